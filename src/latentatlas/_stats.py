"""Summary statistics shared by analyses, plots and reports: one home for mean ± std over seeds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def mean_and_std(values: Sequence[float]) -> tuple[float, float, int]:
    """Mean, sample standard deviation (``ddof=1``) and count of the finite ``values``.

    One value gives a standard deviation of 0.0; no finite value gives ``(nan, nan, 0)``.
    """
    array = np.asarray(values, dtype=np.float64).ravel()
    array = array[np.isfinite(array)]
    if array.size == 0:
        return float("nan"), float("nan"), 0
    std = float(array.std(ddof=1)) if array.size > 1 else 0.0
    return float(array.mean()), std, int(array.size)
