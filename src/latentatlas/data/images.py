"""Any folder of images (CelebA, for one), decoded once into a cached uint8 memory map.

The first load decodes every image (RGB, centre-cropped to a square, resized) into
``images-<size>.npy`` beside a ``images-<size>.json`` manifest that lists each file with its
byte size and modification time. Later loads compare the folder with the manifest and, when
nothing changed, open the ``.npy`` as a read-only memory map without decoding anything. The
``.npy`` is written under a temporary name and renamed, and the manifest is written last, so a
build that is killed leaves no cache that looks complete.

Nothing is written into the user's folder: the cache lives in the user cache directory
(``$LATENTATLAS_CACHE``, else ``platformdirs.user_cache_dir("latentatlas")`` where platformdirs
is installed, else ``$XDG_CACHE_HOME/latentatlas`` or ``~/.cache/latentatlas``), under
``images/<folder key>-<content key>/``: the folder's path, then its files' names, sizes and
modification times. A changed folder gets a new cache and its old one is removed; a folder that
is refused (no readable image, or an unreadable one with ``strict``) leaves nothing behind.

``Dataset.x`` is then a :class:`LazyImages`: rows become float32 in [0, 1] only when indexed, so a
200,000-image folder never has to fit in RAM.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from latentatlas._io import atomic_path, write_json
from latentatlas.data._checks import as_bool, as_int, as_path
from latentatlas.data.base import Dataset
from latentatlas.data.lazy import LazyArray
from latentatlas.errors import InputError

SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff")
#: Environment variable naming the cache directory (default: the user cache directory).
CACHE_ENV = "LATENTATLAS_CACHE"
#: Largest side of the decoded squares: a 4096-pixel RGB image is already 48 MiB in the cache.
MAX_SIZE = 4096
MANIFEST_VERSION = 1
_CHUNK = 512
# Pillow raises these for files it cannot decode (truncated, not an image, unsupported mode).
_DECODE_ERRORS = (
    OSError,
    UnidentifiedImageError,
    ValueError,
    SyntaxError,
    Image.DecompressionBombError,
)


class LazyImages(LazyArray):
    """uint8 images (n, 3, size, size) in a memory map, returned as float32 / 255 when indexed.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (n, 3, size, size)
        Usually a read-only ``np.memmap``.
    """

    def __init__(self, pixels: NDArray[np.uint8]) -> None:
        super().__init__(pixels.shape)
        self.pixels = pixels

    def _rows(self, indices: NDArray[np.int64]) -> NDArray[np.float32]:
        return self.pixels[indices].astype(np.float32) / np.float32(255.0)


def load(
    path: str | os.PathLike[str],
    size: int = 96,
    recursive: bool = False,
    strict: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    workers: int | None = None,
) -> Dataset:
    """Load a folder of images as RGB squares of side ``size``, through the cache.

    Parameters
    ----------
    path : path-like
        The folder. Files ending in .jpg, .jpeg, .png, .bmp, .webp, .gif, .tif or .tiff are read,
        in sorted order; hidden files are ignored.
    size : int
        Side of the square images after centre-cropping and resizing (Lanczos).
    recursive : bool
        Also read images in subfolders.
    strict : bool
        Raise on the first unreadable file instead of skipping it (skips are counted in one
        warning).
    cache_dir : path-like, optional
        Where to keep the decoded cache (default: see the module docstring).
    workers : int, optional
        Threads decoding images while the cache is built (default: the number of CPUs).

    Returns
    -------
    Dataset
        ``x`` a :class:`LazyImages` of shape (n, 3, size, size), float32 in [0, 1] when indexed;
        no labels or factors.
    """
    folder = as_path(path, "path", "images")
    size = as_int(size, "size", "images", 8, maximum=MAX_SIZE)
    recursive = as_bool(recursive, "recursive", "images")
    strict = as_bool(strict, "strict", "images")
    workers = as_int(workers or os.cpu_count() or 1, "workers", "images", 1)
    files = list_images(folder, recursive)
    stem = f"images-{size}{'-recursive' if recursive else ''}"
    entries = [_entry(folder, file) for file in files]
    if cache_dir is None:
        cache = _cache_folder(folder, recursive, entries)
    else:
        cache = as_path(cache_dir, "cache_dir", "images")
    manifest = _read_manifest(cache / f"{stem}.json")
    if not _manifest_matches(manifest, entries, size):
        manifest = _build_or_leave_nothing(
            folder, files, entries, size, strict, cache, stem, workers
        )
        if cache_dir is None:
            _remove_older_caches(cache)
    pixels = _open_pixels(cache / f"{stem}.npy", manifest, size)
    skipped = list(manifest["skipped"])
    if skipped:
        if strict:
            raise InputError(f"cannot read image {folder / skipped[0]}: it is not a readable image")
        warnings.warn(
            f"skipped {len(skipped)} unreadable image file(s) in {folder} "
            f"(first: {skipped[0]}); pass strict=True to stop at them",
            UserWarning,
            stacklevel=2,
        )
    return Dataset(
        name="images",
        x=LazyImages(pixels),  # type: ignore[arg-type]
        source=f"images in {folder.resolve()} ({len(pixels)} decoded, cache {cache})",
        options={"path": str(folder), "size": size, "recursive": recursive, "strict": strict},
    )


def list_images(folder: Path, recursive: bool = False) -> list[Path]:
    """Image files in ``folder`` (sorted; hidden files and folders skipped); InputError if none."""
    if not folder.exists():
        raise InputError(f"image folder {folder} does not exist")
    if not folder.is_dir():
        raise InputError(f"image folder {folder} is not a folder")
    pattern = "**/*" if recursive else "*"
    files = sorted(
        file
        for file in folder.glob(pattern)
        if file.suffix.lower() in SUFFIXES
        and file.is_file()
        and not any(part.startswith(".") for part in file.relative_to(folder).parts)
    )
    if not files:
        raise InputError(
            f"image folder {folder} holds no images (expected files ending in "
            f"{', '.join(SUFFIXES)})"
        )
    return files


def decode(file: Path, size: int) -> NDArray[np.uint8]:
    """Decode one image as RGB, centre-crop it square, resize to ``size``; shape (3, size, size)."""
    with Image.open(file) as image:
        image.draft("RGB", (size, size))  # lets JPEG decode at a reduced scale: much faster
        rgb = image.convert("RGB")
    side = min(rgb.size)
    left, top = (rgb.width - side) // 2, (rgb.height - side) // 2
    square = rgb.crop((left, top, left + side, top + side))
    resized = square.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.uint8).transpose(2, 0, 1)


def _decode_all(
    files: list[Path], size: int, workers: int
) -> Iterator[NDArray[np.uint8] | BaseException]:
    """Decoded images (or the decoding error) in file order, from a pool of threads.

    Pillow releases the GIL while decoding and resizing, so threads scale; files go to the pool
    in chunks so finished images never pile up in memory.
    """
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for start in range(0, len(files), _CHUNK):
            yield from pool.map(partial(_try_decode, size=size), files[start : start + _CHUNK])


def _try_decode(file: Path, size: int) -> NDArray[np.uint8] | BaseException:
    try:
        return decode(file, size)
    except _DECODE_ERRORS as error:
        return error


def _entry(folder: Path, file: Path) -> list[object]:
    stat = file.stat()
    return [file.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns]


def cache_root() -> Path:
    """The directory latentatlas keeps its caches in (see the module docstring for the order)."""
    chosen = os.environ.get(CACHE_ENV, "").strip()
    if chosen:
        return Path(chosen).expanduser()
    try:
        import platformdirs
    except ImportError:
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        return (Path(xdg) if xdg else Path.home() / ".cache") / "latentatlas"
    return Path(platformdirs.user_cache_dir("latentatlas", appauthor=False))


def _cache_folder(folder: Path, recursive: bool, entries: list[list[object]]) -> Path:
    """``<cache root>/images/<folder key>-<content key>``: one cache per folder and content."""
    where = json.dumps([str(folder.resolve()), recursive])
    place = hashlib.sha256(where.encode()).hexdigest()[:16]
    content = hashlib.sha256(json.dumps(entries).encode()).hexdigest()[:16]
    return cache_root() / "images" / f"{place}-{content}"


def _remove_older_caches(cache: Path) -> None:
    """Remove the caches of earlier contents of the same folder (they can never match again)."""
    place = cache.name.split("-")[0]
    for older in cache.parent.glob(f"{place}-*"):
        if older != cache and older.is_dir():
            shutil.rmtree(older, ignore_errors=True)


def _build_or_leave_nothing(
    folder: Path,
    files: list[Path],
    entries: list[list[object]],
    size: int,
    strict: bool,
    cache: Path,
    stem: str,
    workers: int,
) -> dict[str, object]:
    """:func:`_build`, removing the folders it created when the build fails or is refused."""
    created = [path for path in (cache, *cache.parents) if not path.exists()]
    needed = len(files) * 3 * size * size
    free = shutil.disk_usage(next(p for p in cache.parents if p.exists())).free
    if needed > free:
        raise InputError(
            f"the cache of {len(files):,} images of size {size} needs {needed / 2**30:,.1f} GiB, "
            f"more than the {free / 2**30:,.1f} GiB free for {cache.parent}; choose a smaller "
            f"size or set {CACHE_ENV} to a larger disk"
        )
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(
            f"cannot create the image cache {cache} ({error.strerror or error}); set "
            f"{CACHE_ENV} to a writable folder"
        ) from None
    try:
        return _build(folder, files, entries, size, strict, cache, stem, workers)
    except BaseException:
        for path in created:  # deepest first; stop at the first that holds something else
            try:
                path.rmdir()
            except OSError:
                break
        raise


def _read_manifest(path: Path) -> dict[str, object] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _manifest_matches(manifest: object, entries: list, size: int) -> bool:
    """True when ``manifest`` describes these files; a tampered one is rebuilt, never trusted."""
    if not isinstance(manifest, dict):
        return False
    count, skipped = manifest.get("count"), manifest.get("skipped")
    return (
        manifest.get("version") == MANIFEST_VERSION
        and manifest.get("size") == size
        and manifest.get("files") == entries
        and isinstance(count, int)
        and isinstance(skipped, list)
        and all(isinstance(name, str) for name in skipped)
        and 0 < count == len(entries) - len(skipped)
    )


def _build(
    folder: Path,
    files: list[Path],
    entries: list[list[object]],
    size: int,
    strict: bool,
    cache: Path,
    stem: str,
    workers: int,
) -> dict[str, object]:
    """Decode every file into ``<stem>.npy`` (atomically), then write the manifest."""
    manifest_path = cache / f"{stem}.json"
    manifest_path.unlink(missing_ok=True)  # an old manifest must never vouch for a new array
    skipped: list[str] = []
    with atomic_path(cache / f"{stem}.npy") as tmp:
        pixels = np.lib.format.open_memmap(
            tmp, mode="w+", dtype=np.uint8, shape=(len(files), 3, size, size)
        )
        count = 0
        for file, entry, result in zip(
            files, entries, _decode_all(files, size, workers), strict=True
        ):
            if isinstance(result, BaseException):
                if strict:
                    raise InputError(f"cannot read image {file}: {result}") from None
                skipped.append(str(entry[0]))
                continue
            pixels[count] = result
            count += 1
        if count == 0:
            raise InputError(f"none of the {len(files)} image files in {folder} could be read")
        pixels.flush()
        del pixels
    manifest = {
        "version": MANIFEST_VERSION,
        "folder": str(folder.resolve()),
        "size": size,
        "count": count,
        "skipped": skipped,
        "files": entries,
    }
    write_json(manifest_path, manifest)
    return manifest


def _open_pixels(path: Path, manifest: dict[str, object], size: int) -> NDArray[np.uint8]:
    """The first ``count`` rows of the cached array (rows left for skipped files stay unused)."""
    count = int(manifest["count"])  # type: ignore[call-overload]
    try:
        pixels = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as error:
        raise InputError(
            f"image cache {path} is unreadable ({error}); delete it to rebuild"
        ) from None
    if pixels.dtype != np.uint8 or pixels.shape[1:] != (3, size, size) or len(pixels) < count:
        raise InputError(f"image cache {path} does not match its manifest; delete it to rebuild")
    return pixels[:count]


def describe(
    path: str | os.PathLike[str] | None = None,
    size: int = 96,
    recursive: bool = False,
    strict: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    workers: int | None = None,
) -> dict[str, object]:
    """Shape and source of :func:`load`; size is the number of image files when a path is given."""
    size = as_int(size, "size", "images", 8, maximum=MAX_SIZE)
    count = None
    if path is not None:
        count = len(
            list_images(as_path(path, "path", "images"), as_bool(recursive, "recursive", "images"))
        )
    return {
        "size": count,
        "shape": (3, size, size),
        "labels": None,
        "factors": [],
        "source": "your folder of images (path=), cached as uint8",
    }
