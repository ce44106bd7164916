"""Checks of loader option values, shared by the data modules (values may arrive as CLI text)."""

from __future__ import annotations

import os
from pathlib import Path

from latentatlas.errors import InputError


def as_int(
    value: object,
    option: str,
    dataset: str,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """Return ``value`` as an int (text such as ``"100"`` is accepted) in [minimum, maximum]."""
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise InputError(
            f"option {option}={value!r} of data set '{dataset}' must be an integer"
        ) from None
    if minimum is not None and number < minimum:
        raise InputError(
            f"option {option}={number} of data set '{dataset}' must be at least {minimum}"
        )
    if maximum is not None and number > maximum:
        raise InputError(
            f"option {option}={number} of data set '{dataset}' must be at most {maximum}"
        )
    return number


def as_bool(value: object, option: str, dataset: str) -> bool:
    """Return ``value`` as a bool; accepts bools and the texts true/false/yes/no/1/0."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1", "on"}:
        return True
    if text in {"false", "no", "0", "off"}:
        return False
    raise InputError(f"option {option}={value!r} of data set '{dataset}' must be true or false")


def as_choice(value: object, option: str, dataset: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise InputError(
            f"option {option}={value!r} of data set '{dataset}' must be one of {allowed}"
        )
    return str(value)


def as_path(value: object, option: str, dataset: str) -> Path:
    """Return ``value`` as a Path with ``~`` expanded."""
    if not isinstance(value, (str, os.PathLike)) or str(value) == "":
        raise InputError(f"option {option}={value!r} of data set '{dataset}' must be a path")
    return Path(value).expanduser()
