"""Helpers shared by the analysis tests: a JSON round trip and a seeded cloud of clusters."""

from __future__ import annotations

import json
from typing import Any

import numpy as np


def round_trip(result: Any) -> Any:
    """``result`` through JSON (NaN refused) and back through its own ``from_dict``."""
    return type(result).from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))


def clusters(n: int = 600, dim: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points around 4 well separated centres in ``dim`` dimensions, and their labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    centres = 6.0 * rng.normal(size=(4, dim))
    return (centres[labels] + rng.normal(size=(n, dim))).astype(np.float32), labels
