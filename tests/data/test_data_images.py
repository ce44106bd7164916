"""Image folders: decoding, centre-crop, the cache built once and reused, unreadable files."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latentatlas.data import images, load
from latentatlas.errors import InputError


def striped(width: int, height: int) -> Image.Image:
    """Red margins around a green centre square: a centre-crop keeps only green."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[..., 0] = 255
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    pixels[top : top + side, left : left + side] = (0, 255, 0)
    return Image.fromarray(pixels)


@pytest.fixture(autouse=True)
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every cache of these tests in the test's own folder, never in the user's cache."""
    monkeypatch.setenv(images.CACHE_ENV, str(tmp_path / "cache-root"))
    return tmp_path / "cache-root"


def caches(cache_root: Path) -> list[Path]:
    return sorted((cache_root / "images").glob("*"))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    root.mkdir()
    striped(60, 40).save(root / "a_wide.png")
    striped(30, 50).save(root / "b_tall.jpg", quality=95)
    Image.fromarray(np.full((20, 20), 128, dtype=np.uint8)).save(root / "c_grey.bmp")
    (root / "d_corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    (root / "notes.txt").write_text("ignored: not an image suffix")
    sub = root / "more"
    sub.mkdir()
    striped(16, 16).save(sub / "e_nested.png")
    return root


def quiet_load(**options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load("images", **options)


def test_decodes_rgb_centre_crops_and_skips_corrupt(folder: Path) -> None:
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable image file\(s\).*d_corrupt.png"):
        data = load("images", path=folder, size=12)
    assert isinstance(data.x, images.LazyImages)
    assert data.x.shape == (3, 3, 12, 12) and data.x.dtype == np.float32 and len(data) == 3
    x = data.x[:]
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    for row in (0, 1):  # the wide and the tall image: pure green after the centre-crop
        np.testing.assert_allclose(x[row, 1], 1.0, atol=0.02)
        np.testing.assert_allclose(x[row, 0], 0.0, atol=0.02)
    np.testing.assert_allclose(x[2], 128 / 255, atol=1e-6)  # grey becomes equal RGB channels
    assert data.labels is None and data.factors is None


def test_cache_is_built_once_and_reused(
    folder: Path, cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = quiet_load(path=folder, size=12)
    (cache,) = caches(cache_root)
    manifest = cache / "images-12.json"
    stamp = (manifest.stat().st_mtime_ns, (cache / "images-12.npy").stat().st_mtime_ns)

    def no_decoding(*args, **kwargs):
        raise AssertionError("the second load must not decode images")

    monkeypatch.setattr(Image, "open", no_decoding)
    second = quiet_load(path=folder, size=12)
    np.testing.assert_array_equal(second.x[:], first.x[:])
    assert (manifest.stat().st_mtime_ns, (cache / "images-12.npy").stat().st_mtime_ns) == stamp


def test_changed_folder_rebuilds(folder: Path, cache_root: Path) -> None:
    assert len(quiet_load(path=folder, size=8)) == 3
    (first,) = caches(cache_root)
    striped(10, 10).save(folder / "f_new.png")
    assert len(quiet_load(path=folder, size=8)) == 4
    (second,) = caches(cache_root)  # keyed by content: a new cache, the old one removed
    assert second != first and second.name.split("-")[0] == first.name.split("-")[0]
    assert len(quiet_load(path=folder, size=8, recursive=True)) == 5
    assert len(caches(cache_root)) == 2  # recursive or not: two caches that both stay valid


def test_nothing_is_written_into_the_users_folder(folder: Path, cache_root: Path) -> None:
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    data = quiet_load(path=folder, size=8)
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before
    (cache,) = caches(cache_root)
    assert str(cache) in data.source and not (folder / ".latentatlas-cache").exists()


def test_a_rejected_folder_leaves_no_cache(tmp_path: Path, cache_root: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.png").write_bytes(b"not an image")
    with pytest.raises(InputError, match="none of the 1 image files"):
        load("images", path=bad)
    assert not cache_root.exists() and [p.name for p in bad.iterdir()] == ["x.png"]  # was kept


def test_cache_root_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(images.CACHE_ENV, "~/somewhere")
    assert images.cache_root() == Path.home() / "somewhere"
    monkeypatch.delenv(images.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setitem(__import__("sys").modules, "platformdirs", None)  # not installed
    assert images.cache_root() == tmp_path / "xdg" / "latentatlas"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert images.cache_root() == Path.home() / ".cache" / "latentatlas"


def test_sizes_beyond_the_limit_or_the_free_disk_are_refused(
    folder: Path, cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InputError, match="size=100000 of data set 'images' must be at most 4096"):
        load("images", path=folder, size=100_000)  # was a MemoryError from the cache's memmap

    class Full:
        free = 1000

    monkeypatch.setattr(images.shutil, "disk_usage", lambda path: Full())
    with pytest.raises(InputError, match=r"cache of 4 images of size 64 needs .* GiB free"):
        load("images", path=folder, size=64)
    assert not cache_root.exists()


def test_strict_names_the_file_and_leaves_no_cache(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(InputError, match=r"cannot read image .*d_corrupt.png"):
        load("images", path=folder, size=8, strict=True, cache_dir=cache)
    assert not cache.exists()  # the folder this load created is removed too


def test_interrupted_build_leaves_no_cache(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    calls = []
    real_decode = images.decode

    def dies_on_second(file: Path, size: int):
        calls.append(file)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_decode(file, size)

    monkeypatch.setattr(images, "decode", dies_on_second)
    with pytest.raises(KeyboardInterrupt):
        load("images", path=folder, size=8, cache_dir=cache)
    assert not cache.exists()
    monkeypatch.setattr(images, "decode", real_decode)
    assert len(quiet_load(path=folder, size=8, cache_dir=cache)) == 3


def test_a_read_only_folder_loads(folder: Path, cache_root: Path) -> None:
    folder.chmod(0o555)
    try:
        data = quiet_load(path=folder, size=8)
    finally:
        folder.chmod(0o755)
    assert len(data) == 3 and str(cache_root) in data.source


def test_subset_and_split_work_on_lazy_images(folder: Path) -> None:
    data = quiet_load(path=folder, size=8)
    sub = data.subset(np.array([2, 0]))
    assert isinstance(sub.x, np.ndarray) and sub.x.shape == (2, 3, 8, 8)
    np.testing.assert_array_equal(sub.x[1], data.x[0])
    train, validation = data.split(seed=0, validation_fraction=0.34)
    assert len(train) + len(validation) == 3
    np.testing.assert_array_equal(data.x[np.array([True, False, True])], data.x[[0, 2]])
    assert np.asarray(data.x).shape == (3, 3, 8, 8)


def test_missing_empty_and_unreadable_folders(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load("images", path=tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no images here")
    with pytest.raises(InputError, match="holds no images"):
        load("images", path=tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.jpg").write_bytes(b"nope")
    with pytest.raises(InputError, match="none of the 1 image files"):
        load("images", path=tmp_path / "bad")
    with pytest.raises(InputError, match="needs the option path="):
        load("images")
