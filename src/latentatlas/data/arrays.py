"""A user's own arrays from a .npz or .npy file: inputs, and optionally labels and factors."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from latentatlas.data._checks import as_bool, as_path
from latentatlas.data.base import Dataset
from latentatlas.errors import InputError

KEYS = ("x", "labels", "label_names", "factors", "factor_names", "factor_kinds")
KINDS = ("discrete", "continuous")
#: Largest label value: ``label_names`` has one entry per value up to the largest one.
MAX_LABEL = 2**16 - 1


def load(path: str | os.PathLike[str], rescale: bool = False) -> Dataset:
    """Load arrays from a ``.npz`` (keys below) or a ``.npy`` (``x`` only).

    Parameters
    ----------
    path : path-like
        The file. A ``.npz`` holds ``x`` and optionally ``labels`` (n,) non-negative integers,
        ``label_names`` (strings, one per label value), ``factors`` (n, k) or (n,),
        ``factor_names`` (k strings; default ``factor_0``, ...) and ``factor_kinds`` (k of
        "discrete"/"continuous"; default all continuous).
    rescale : bool
        Min-max scale ``x`` into [0, 1]. Without it, ``x`` outside [0, 1] is an error.

    Returns
    -------
    Dataset
        ``x`` float32 as given, (n, d) or (n, c, h, w); an (n, h, w) array becomes (n, 1, h, w).
    """
    file = as_path(path, "path", "arrays")
    rescale = as_bool(rescale, "rescale", "arrays")
    arrays = read_arrays(file)
    x = _inputs(arrays["x"], file, rescale)
    n = len(x)
    labels, label_names = _labels(arrays, n, file)
    factors, factor_names, factor_kinds = _factors(arrays, n, file)
    return Dataset(
        name="arrays",
        x=x,
        labels=labels,
        label_names=label_names,
        factors=factors,
        factor_names=factor_names,
        factor_kinds=factor_kinds,  # type: ignore[arg-type]
        source=f"arrays in {file.resolve()}",
        options={"path": str(file), "rescale": rescale},
    )


def read_arrays(file: Path) -> dict[str, NDArray]:
    """Read the arrays of a .npz, or ``{"x": array}`` of a .npy, refusing pickled objects."""
    if not file.is_file():
        raise InputError(f"array file {file} does not exist or is not a file")
    with file.open("rb") as handle:
        magic = handle.read(6)
    if magic != b"\x93NUMPY" and not magic.startswith(b"PK"):  # .npy, or a zip (.npz)
        raise InputError(f"{file} is not a NumPy .npz or .npy file (it does not start like one)")
    try:
        loaded = np.load(file, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return {"x": loaded}
        with loaded as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise InputError(f"{file} is not a NumPy .npz or .npy file ({error})") from None
    except MemoryError:  # a header that declares more than memory holds, whatever the file size
        raise InputError(f"{file} declares an array larger than this machine's memory") from None
    unknown = sorted(set(arrays) - set(KEYS))
    if unknown:
        raise InputError(
            f"{file} holds unknown array(s) {', '.join(unknown)}; expected {', '.join(KEYS)}"
        )
    if "x" not in arrays:
        raise InputError(f"{file} has no array named x (it has {', '.join(arrays) or 'none'})")
    return arrays


def _inputs(x: NDArray, file: Path, rescale: bool) -> NDArray[np.float32]:
    if x.dtype.kind not in "biuf":
        raise InputError(f"x in {file} has dtype {x.dtype}, expected numbers")
    if x.ndim not in (2, 3, 4) or x.size == 0:  # (1, 0) is as empty as (0, 5)
        raise InputError(
            f"x in {file} has shape {x.shape}, expected (n, d), (n, h, w) or (n, c, h, w) "
            "with no empty dimension"
        )
    values = x.astype(np.float64)
    bad = int(np.count_nonzero(~np.isfinite(values)))
    if bad:
        raise InputError(f"x in {file} has {bad} NaN or infinite value(s)")
    low, high = float(values.min()), float(values.max())
    if rescale:
        if high == low:
            raise InputError(f"x in {file} is constant ({low}), so it cannot be rescaled")
        values = (values - low) / (high - low)
    elif low < 0.0 or high > 1.0:
        raise InputError(
            f"x in {file} has values from {low:g} to {high:g} but must lie in [0, 1]; "
            "pass rescale=True to min-max scale it"
        )
    if values.ndim == 3:
        values = values[:, None]
    return values.astype(np.float32)


def _labels(
    arrays: dict[str, NDArray], n: int, file: Path
) -> tuple[NDArray[np.int64] | None, tuple[str, ...] | None]:
    if "labels" not in arrays:
        if "label_names" in arrays:
            raise InputError(f"{file} has label_names but no labels")
        return None, None
    raw = arrays["labels"]
    if raw.ndim != 1 or len(raw) != n:
        raise InputError(f"labels in {file} has {raw.size} entries but x has {n} rows")
    if raw.dtype.kind not in "biuf" or (
        raw.dtype.kind == "f" and not np.all(np.isfinite(raw) & (raw == np.round(raw)))
    ):
        raise InputError(f"labels in {file} must be whole numbers, got dtype {raw.dtype}")
    if raw.min() < 0:
        raise InputError(f"labels in {file} must be non-negative, found {raw.min()}")
    if raw.max() > MAX_LABEL:  # one name per value up to the largest: 10**12 would never end
        raise InputError(
            f"labels in {file} go up to {raw.max()}; expected class numbers up to {MAX_LABEL:,}"
        )
    labels = raw.astype(np.int64)
    top = int(labels.max())
    if "label_names" not in arrays:
        return labels, tuple(str(k) for k in range(top + 1))
    names = _strings(arrays["label_names"], "label_names", file)
    if len(names) <= top:
        raise InputError(f"label_names in {file} has {len(names)} names but labels go up to {top}")
    return labels, names


def _factors(
    arrays: dict[str, NDArray], n: int, file: Path
) -> tuple[NDArray[np.float64] | None, tuple[str, ...], tuple[str, ...]]:
    if "factors" not in arrays:
        for key in ("factor_names", "factor_kinds"):
            if key in arrays:
                raise InputError(f"{file} has {key} but no factors")
        return None, (), ()
    raw = arrays["factors"]
    if raw.dtype.kind not in "biuf":
        raise InputError(f"factors in {file} has dtype {raw.dtype}, expected numbers")
    factors = raw.astype(np.float64)
    factors = factors[:, None] if factors.ndim == 1 else factors
    if factors.ndim != 2 or len(factors) != n:
        raise InputError(f"factors in {file} has shape {raw.shape} but x has {n} rows")
    bad = int(np.count_nonzero(~np.isfinite(factors)))
    if bad:
        raise InputError(f"factors in {file} has {bad} NaN or infinite value(s)")
    k = factors.shape[1]
    names = tuple(f"factor_{i}" for i in range(k))
    kinds = ("continuous",) * k
    if "factor_names" in arrays:
        names = _strings(arrays["factor_names"], "factor_names", file)
    if "factor_kinds" in arrays:
        kinds = _strings(arrays["factor_kinds"], "factor_kinds", file)
        wrong = [kind for kind in kinds if kind not in KINDS]
        if wrong:
            raise InputError(
                f"factor_kinds in {file} has {wrong[0]!r}; each must be 'discrete' or 'continuous'"
            )
    for key, values in (("factor_names", names), ("factor_kinds", kinds)):
        if len(values) != k:
            raise InputError(
                f"{key} in {file} has {len(values)} entries but factors has {k} columns"
            )
    return factors, names, kinds


def _strings(raw: NDArray, key: str, file: Path) -> tuple[str, ...]:
    if raw.ndim != 1 or raw.dtype.kind not in "US":
        raise InputError(
            f"{key} in {file} must be a 1-D array of strings, got {raw.dtype} {raw.shape}"
        )
    return tuple(
        str(v.decode("utf-8", "replace") if isinstance(v, bytes) else v) for v in raw.tolist()
    )


def describe(
    path: str | os.PathLike[str] | None = None, rescale: bool = False
) -> dict[str, object]:
    """Size, shape and source of :func:`load` (the file is read when a path is given)."""
    info: dict[str, object] = {
        "size": None,
        "shape": None,
        "labels": None,
        "factors": [],
        "source": "your .npz or .npy file (path=)",
    }
    if path is not None:
        dataset = load(path, rescale)
        info.update(
            size=len(dataset),
            shape=dataset.input_shape,
            labels="given" if dataset.labels is not None else None,
            factors=list(dataset.factor_names),
            source=dataset.source,
        )
    return info
