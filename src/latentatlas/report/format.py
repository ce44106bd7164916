"""Number formatting for reports and tables: one home for "mean ± std (n=...)" and cell values."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from latentatlas._stats import mean_and_std

MISSING = "—"


def mean_std(values: Sequence[float], digits: int = 3) -> str:
    """Format values over seeds as ``"0.472 ± 0.031 (n=5)"``.

    The standard deviation is the sample one (ddof=1); a single value is shown alone,
    ``"0.472 (n=1)"``. Non-finite values are left out of the statistics and of ``n``.

    Parameters
    ----------
    values : sequence of float
        One value per seed (or any repeated measurement).
    digits : int
        Decimals shown for mean and standard deviation.

    Returns
    -------
    str
        The formatted text; ``"—"`` when there is no finite value.
    """
    mean, std, n = mean_and_std(values)
    if n == 0:
        return MISSING
    if n == 1:
        return f"{mean:.{digits}f} (n=1)"
    return f"{mean:.{digits}f} ± {std:.{digits}f} (n={n})"


def format_value(value: Any, digits: int = 3) -> str:
    """Format one table cell: numbers readably, sequences of numbers as :func:`mean_std`.

    Integers get thousands separators; floats ``digits`` decimals, or three significant
    digits when very large or very small; NaN and None show as ``"—"``; booleans as
    ``"yes"``/``"no"``; strings (preformatted text such as ``"0.47 ± 0.05"``) unchanged.
    """
    if value is None:
        return MISSING
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return _format_float(float(value), digits)
    if isinstance(value, Sequence | np.ndarray) and _all_numbers(value):
        return mean_std(list(value), digits)
    return str(value)


def is_numeric(value: Any) -> bool:
    """Whether a cell holds a number or numbers (shown right-aligned)."""
    if isinstance(value, bool | str) or value is None:
        return False
    if isinstance(value, numbers.Real):
        return True
    return isinstance(value, Sequence | np.ndarray) and _all_numbers(value)


def _all_numbers(values: Any) -> bool:
    items = list(np.asarray(values, dtype=object).ravel())
    return bool(items) and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in items
    )


def _format_float(value: float, digits: int) -> str:
    if math.isnan(value):
        return MISSING
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    magnitude = abs(value)
    if magnitude != 0.0 and (magnitude >= 1e5 or magnitude < 10.0 ** (-digits)):
        return f"{value:.3g}"
    return f"{value:.{digits}f}"
