"""Learned-model gates made by hand for claim tests: a model that learned and one that did not."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from latentatlas.analysis.quality import LearnedGate, learned_model_gate
from latentatlas.results import PerSeed
from latentatlas.studies.gates import CellGates


@cache
def passing_and_failing() -> tuple[LearnedGate, LearnedGate]:
    """The gate of perfect reconstructions, and of reconstructions that are the mean image."""
    rng = np.random.default_rng(0)
    x = rng.random((60, 1, 4, 4)).astype(np.float32)
    codes = rng.standard_normal((60, 3))
    good = learned_model_gate(x, x, codes, x)
    bad = learned_model_gate(x, np.broadcast_to(x.mean(0), x.shape), codes, x)
    assert good.passed and not bad.passed
    return good, bad


def cell_gates(models: Sequence[str], failing: str | None = None, seeds: int = 5) -> CellGates:
    """Every seed of ``models`` passes the gate, except every seed of ``failing``."""
    good, bad = passing_and_failing()
    return CellGates(
        {m: PerSeed(tuple(range(seeds)), (bad if m == failing else good,) * seeds) for m in models}
    )
