"""The fuzz suite's two sizes and its tally of outcomes per surface.

``LATENTATLAS_FUZZ=nightly`` (what ``make fuzz`` sets) multiplies every property's examples by
:data:`NIGHTLY_FACTOR`; unset, each property runs its CI count inside the normal ``pytest``.
Every case is tallied under its surface (``study digit-pairs``, ``sweep spec``, ``IDX``, ...) as
a result or a clean refusal; a case that raises anything else is a traceback, one that runs past
:data:`HANG_SECONDS` a hang (both fail the test), and one that leaves a file behind a leftover.
With ``LATENTATLAS_FUZZ_REPORT=FILE`` the tally is written to FILE as JSON when the session
ends (``tests/reliability/conftest.py``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("LATENTATLAS_FUZZ", "ci")
#: How many times more examples each property runs in the nightly profile.
NIGHTLY_FACTOR = 10
#: A case that runs longer than this is a hang (the CI cases take milliseconds to a second).
HANG_SECONDS = 120
OUTCOMES = ("cases", "results", "refusals", "tracebacks", "hangs", "leftovers")

TALLY: dict[str, Counter[str]] = defaultdict(Counter)
#: The outcome and the surface of the case running now (a stack: cases do not nest, but a
#: failing one must not leave its entry behind).
_current: list[str] = []
_surfaces: list[str] = []


class Hang(Exception):
    """A case ran past :data:`HANG_SECONDS`."""


class Leftover(AssertionError):
    """A case left files behind."""


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings of a property with ``examples`` cases in CI (more at night)."""
    factor = NIGHTLY_FACTOR if PROFILE == "nightly" else 1
    return settings(
        max_examples=examples * factor,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def refused() -> None:
    """Mark the running case as a clean refusal (one InputError, exit code 2 or a 4xx)."""
    if _current:
        _current[-1] = "refusals"


def no_leftovers(folder: Path, expected: tuple[str, ...] = ()) -> None:
    """Fail the running case (a leftover) if ``folder`` holds anything but ``expected``."""
    found = [path for path in files_under(folder) if path not in expected]
    if found:
        raise Leftover(f"left behind in {folder}: {found[:5]}")


class Accepted(Exception):
    """Raised where the engine would take its first step of work: the options were accepted."""


@contextlib.contextmanager
def stopped_at(target: str) -> Iterator[None]:
    """Replace ``target`` (``"module.function"``, e.g. the engine's folder lock, its first write,
    or the executors' plan check, before any data are loaded) with one that raises
    :class:`Accepted`, so an accepted case costs no training."""
    import pytest

    def accepted(*args: Any, **kwargs: Any) -> Any:
        raise Accepted(target)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(target, accepted)
        yield


@contextlib.contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread after ``seconds`` (no-op in other threads)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ring(signum: int, frame: Any) -> None:
        raise Hang(f"the case ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def surface(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Tally every case of the decorated property (put it under ``@given``) under ``name``."""

    def decorate(test: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(test)
        def case(*args: Any, **kwargs: Any) -> Any:
            counts = TALLY[name]
            counts["cases"] += 1
            _current.append("results")
            _surfaces.append(name)
            try:
                with _alarm(HANG_SECONDS):
                    value = test(*args, **kwargs)
            except Hang:
                counts["hangs"] += 1
                raise
            except Leftover:
                counts["leftovers"] += 1
                raise
            except Exception:  # another exception, or a broken invariant
                counts["tracebacks"] += 1
                raise
            except BaseException:  # hypothesis stopping a draw: not a case
                counts["cases"] -= 1
                raise
            else:
                counts[_current[-1]] += 1
                return value
            finally:
                _current.pop()
                _surfaces.pop()

        return case

    return decorate


def cli_refusal(result: Any) -> None:
    """Check that a CliRunner ``result`` is a clean refusal and count it: exit code 2 with one
    red sentence (or typer's own usage error, for text given to a number option), no traceback.
    """
    if result.exit_code != 2 or not isinstance(result.exception, SystemExit):
        raise AssertionError(f"exit {result.exit_code}: {result.output[-2000:]}") from (
            result.exception
        )
    message = result.stderr.strip()
    assert "Traceback" not in result.output, result.output
    if message.startswith("error:"):
        assert len(message.splitlines()) == 1, message  # one sentence, not a wall of text
    else:
        assert "Usage:" in message, message
    refused()


def files_under(folder: Path) -> list[str]:
    """Every path under ``folder`` (files and folders), relative, sorted."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def write_report(path: str) -> None:
    """The tally as JSON: ``{surface: {outcome: count}}`` plus the profile."""
    document = {
        "profile": PROFILE,
        "surfaces": {name: {k: counts[k] for k in OUTCOMES} for name, counts in TALLY.items()},
    }
    Path(path).write_text(json.dumps(document, indent=1, sort_keys=True))
