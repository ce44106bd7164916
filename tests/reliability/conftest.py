"""The fuzz suite's tally (``_fuzz.TALLY``): a table after the run, JSON where
``LATENTATLAS_FUZZ_REPORT`` says."""

from __future__ import annotations

import os

import _fuzz
import pytest


@pytest.fixture(scope="session", autouse=True)
def _fuzz_report():
    yield
    target = os.environ.get("LATENTATLAS_FUZZ_REPORT")
    if target:
        _fuzz.write_report(target)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One row per fuzzed surface: cases, results, clean refusals, tracebacks, hangs, leftovers."""
    if not _fuzz.TALLY:
        return
    write = terminalreporter.write_line
    write(f"fuzz ({_fuzz.PROFILE}): " + " | ".join(("surface", *_fuzz.OUTCOMES)))
    totals = dict.fromkeys(_fuzz.OUTCOMES, 0)
    for name, counts in sorted(_fuzz.TALLY.items()):
        write(" | ".join((name, *(str(counts[k]) for k in _fuzz.OUTCOMES))))
        for key in _fuzz.OUTCOMES:
            totals[key] += counts[key]
    write(" | ".join(("all", *(str(totals[k]) for k in _fuzz.OUTCOMES))))
