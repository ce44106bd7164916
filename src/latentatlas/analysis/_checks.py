"""Input checks shared by every analysis: validate at the public door, trust inside."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas import _env
from latentatlas.errors import InputError


def check_codes(codes: ArrayLike, name: str) -> NDArray[Any]:
    """A 2-d finite numeric array of at least 2 rows (not copied if it already is one).

    Parameters
    ----------
    codes : array-like of shape (n, d)
        Latent codes, points or features.
    name : str
        The argument's name, used in the error message.

    Raises
    ------
    InputError
        When the array is not numeric, not 2-d, too small, or holds a NaN or infinity.
    """
    array = np.asarray(codes)
    if array.dtype.kind not in "fiub":
        raise InputError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if array.ndim != 2:
        raise InputError(f"{name} must be 2-d (samples x features), got shape {array.shape}")
    if array.shape[0] < 2 or array.shape[1] < 1:
        raise InputError(f"{name} needs at least 2 rows and 1 column, got shape {array.shape}")
    if array.dtype.kind == "f" and not np.isfinite(np.sum(array, dtype=np.float64)):
        bad_row = int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])
        raise InputError(f"{name} has a NaN or infinite value in row {bad_row}")
    return array


def flatten_images(
    images: ArrayLike, name: str, n_features: int | None = None, fitted: str = "model"
) -> NDArray[Any]:
    """Images (or any samples) as a finite 2-d array of one flattened row per sample.

    With ``n_features`` the rows must have that many values: the number the ``fitted``
    estimator (named in the message, e.g. ``"classifier"``) was fitted on.
    """
    array = np.asarray(images)
    if array.ndim < 2:
        raise InputError(f"{name} must have one row per sample, got shape {array.shape}")
    flat = check_codes(array.reshape(len(array), -1), name)
    if n_features is not None and flat.shape[1] != n_features:
        raise InputError(
            f"{name} have {flat.shape[1]} values per sample but the {fitted} was fitted on "
            f"{n_features}"
        )
    return flat


def check_vector(values: ArrayLike, n: int, name: str, of: str) -> NDArray[Any]:
    """A 1-d finite array of ``n`` entries, one per row of the array named ``of``."""
    array = np.asarray(values)
    if array.ndim != 1 or len(array) != n:
        raise InputError(f"{name} has shape {array.shape} but {of} has {n} rows; expected ({n},)")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise InputError(f"{name} has a NaN or infinite value at index {bad}")
    return array


def check_positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum`` (bools and non-integral floats refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{name} must be an integer of at least {minimum}, got {value!r}")
    if value < minimum:
        raise InputError(f"{name} must be an integer of at least {minimum}, got {value}")
    return int(value)


def check_factor_names(names: Any, k: int) -> tuple[str, ...]:
    """``names`` as a tuple of ``k`` strings, one per factor column."""
    names = tuple(str(n) for n in names)
    if len(names) != k:
        raise InputError(f"factor_names has {len(names)} names but factors has {k} columns")
    return names


def check_fits_in_memory(needed: int, what: str, hint: str) -> None:
    """Refuse up front, naming the memory needed, what would not fit in this machine's memory.

    Parameters
    ----------
    needed : int
        Bytes the step would allocate.
    what : str
        What would be allocated, e.g. ``"a 1,000,000 x 1,000,000 distance tile"``.
    hint : str
        What to do instead, one clause.
    """
    available = _env.memory_bytes()
    if needed > available:
        raise InputError(
            f"{what} needs {needed / 2**30:,.1f} GiB, more than this machine's "
            f"{available / 2**30:,.1f} GiB; {hint}"
        )
