"""The one exception type for bad user input: the CLI turns it into one sentence and exit code 2."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from a user: a path, a file, an option value or an array.

    The message is one sentence that says what is wrong, where, and what was expected,
    e.g. ``"labels has 998 entries but x has 1000 rows"``.
    """
