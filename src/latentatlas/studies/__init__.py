"""Studies: each source document's investigation as one recipe (train, analyse, report)."""

from __future__ import annotations

from latentatlas.studies.digit_pairs import DigitPairsConfig, run_study

__all__ = ["DigitPairsConfig", "run_study"]
