"""Writes the fuzz suite's tally (``_fuzz.TALLY``) where ``LATENTATLAS_FUZZ_REPORT`` says."""

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
