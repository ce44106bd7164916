"""Fuzzed IDX, npz/npy and image-folder readers: every bad file is one InputError, nothing else.

Never a hang, a crash with another exception, a pickle load or a file written outside the cache.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import struct
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from _fuzz import fuzz_settings, refused, surface
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from latentatlas.data import arrays, images, mnist
from latentatlas.errors import InputError

FUZZ = fuzz_settings(60)
FEW = fuzz_settings(25)
IDX_TYPES = sorted(mnist._IDX_DTYPES)


def _scratch() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="latentatlas-fuzz-")


@contextlib.contextmanager
def _cache_in(root: Path):
    """Point the image cache at ``root`` (os.environ: hypothesis tests take no monkeypatch)."""
    previous = os.environ.get(images.CACHE_ENV)
    os.environ[images.CACHE_ENV] = str(root)
    try:
        yield root
    finally:
        if previous is None:
            os.environ.pop(images.CACHE_ENV, None)
        else:
            os.environ[images.CACHE_ENV] = previous


def _cache_file(root: Path, name: str) -> Path:
    (found,) = (root / "images").glob(f"*/{name}")
    return found


def _contents(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


# -- IDX ------------------------------------------------------------------------------------------
def _idx_bytes(code: int, dims: list[int], data: bytes) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + data


def _read_idx_or_input_error(payload: bytes, gzipped: bool) -> np.ndarray | None:
    with _scratch() as folder:
        path = Path(folder) / "train-images-idx3-ubyte"
        path.write_bytes(gzip.compress(payload) if gzipped else payload)
        try:
            return mnist.read_idx(path)
        except InputError:
            refused()
            return None


@FUZZ
@given(payload=st.binary(max_size=300), gzipped=st.booleans())
@surface("IDX reader")
def test_random_bytes_are_an_idx_file_or_an_input_error(payload, gzipped):
    array = _read_idx_or_input_error(payload, gzipped)
    if array is not None:
        assert array.size * array.itemsize == len(payload) - 4 - 4 * array.ndim


@FUZZ
@given(
    code=st.sampled_from(IDX_TYPES),
    dims=st.lists(
        st.one_of(st.integers(0, 6), st.sampled_from([2**16, 2**31, 2**32 - 1])),
        min_size=1,
        max_size=4,
    ),
    extra=st.integers(-8, 8),
    gzipped=st.booleans(),
)
@surface("IDX reader")
def test_declared_sizes_huge_wrong_or_truncated_are_refused(code, dims, extra, gzipped):
    itemsize = np.dtype(mnist._IDX_DTYPES[code]).itemsize
    declared = int(np.prod(dims, dtype=object)) * itemsize
    length = max(0, min(declared, 4096) + extra)
    array = _read_idx_or_input_error(_idx_bytes(code, dims, b"\x01" * length), gzipped)
    if array is not None:
        assert array.shape == tuple(dims) and length == declared


@FUZZ
@given(cut=st.floats(0.0, 1.0, exclude_max=True), flip=st.integers(0, 2**16))
@surface("IDX reader")
def test_a_truncated_or_damaged_gzip_is_an_input_error(cut, flip):
    packed = bytearray(
        gzip.compress(_idx_bytes(0x08, [3, 28, 28], bytes(range(256)) * 9 + b"x" * 48))
    )
    packed[flip % len(packed)] ^= 0xFF
    payload = bytes(packed[: max(1, int(cut * len(packed)))])
    with _scratch() as folder:
        path = Path(folder) / "train-images-idx3-ubyte.gz"
        path.write_bytes(payload)
        with pytest.raises(InputError):
            mnist.read_idx(path)
        refused()


@FEW
@given(
    images_payload=st.one_of(
        st.binary(max_size=64), st.just(_idx_bytes(0x08, [2, 28, 28], b"\x00" * 1568))
    ),
    labels_payload=st.one_of(st.binary(max_size=16), st.just(_idx_bytes(0x08, [2], b"\x01\x0c"))),
    gzipped=st.booleans(),
)
@surface("IDX reader")
def test_mnist_load_and_describe_on_fuzzed_files(images_payload, labels_payload, gzipped):
    suffix = ".gz" if gzipped else ""
    pack = gzip.compress if gzipped else bytes
    with _scratch() as folder:
        Path(folder, f"train-images-idx3-ubyte{suffix}").write_bytes(pack(images_payload))
        Path(folder, f"train-labels-idx1-ubyte{suffix}").write_bytes(pack(labels_payload))
        for call in (mnist.load, mnist.describe):
            try:
                call(data_dir=folder)
            except InputError:
                refused()


# -- npz / npy ------------------------------------------------------------------------------------
class Boom:
    """Unpickling this creates the file ``marker``: proof that a pickle was loaded."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def _load_or_input_error(path: Path) -> object:
    try:
        return arrays.load(path)
    except InputError as error:
        refused()
        return error


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
@pytest.mark.parametrize("key", ["x", "labels", "label_names"])
def test_a_pickled_object_array_is_refused_and_never_unpickled(tmp_path, suffix, key):
    marker = tmp_path / "unpickled"
    hostile = np.empty(4, dtype=object)
    hostile[:] = [Boom(str(marker))] * 4
    file = tmp_path / f"hostile{suffix}"
    if suffix == ".npy":
        np.save(file, hostile, allow_pickle=True)
    else:
        good = {
            "x": np.zeros((4, 3)),
            "labels": np.arange(4),
            "label_names": np.array(list("abcd")),
        }
        np.savez(file, **{**good, key: hostile})
    with pytest.raises(InputError):
        arrays.load(file)
    if suffix == ".npz" and key == "x":
        with pytest.raises(InputError):
            mnist._read_npz_part(_as_mnist_npz(tmp_path, hostile), "train")
    assert not marker.exists()


def _as_mnist_npz(folder: Path, hostile: np.ndarray) -> Path:
    file = folder / "mnist.npz"
    np.savez(file, x_train=hostile, y_train=np.arange(4))
    return file


@FUZZ
@given(
    prefix=st.sampled_from([b"\x93NUMPY", b"PK\x03\x04", b"PK", b""]), rest=st.binary(max_size=300)
)
@surface("array reader (npz/npy)")
def test_random_bytes_that_start_like_numpy_files(prefix, rest):
    with _scratch() as folder:
        file = Path(folder) / "data.npz"
        file.write_bytes(prefix + rest)
        result = _load_or_input_error(file)
    assert isinstance(result, InputError) or result.x.ndim in (2, 4)


@FUZZ
@given(
    shape=st.lists(st.sampled_from([0, 1, 3, 10**6, 2**40, 2**62]), min_size=0, max_size=3),
    descr=st.sampled_from(["<f4", "<f8", "|u1", "|O", "<c8", "<M8[s]", "|V4", "<U3"]),
    packed=st.booleans(),
    body=st.binary(max_size=64),
)
@surface("array reader (npz/npy)")
def test_huge_or_odd_declared_npy_headers_are_refused(shape, descr, packed, body):
    header = {"descr": descr, "fortran_order": False, "shape": tuple(shape)}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    npy = buffer.getvalue() + body
    with _scratch() as folder:
        file = Path(folder) / ("data.npz" if packed else "data.npy")
        if packed:
            with zipfile.ZipFile(file, "w") as archive:
                archive.writestr("x.npy", npy)
        else:
            file.write_bytes(npy)
        result = _load_or_input_error(file)
    assert isinstance(result, InputError) or result.x.size * 4 <= 64


KEYS = st.sampled_from([*arrays.KEYS, "x", "x", "labels", "../escape", "x" * 300, "é/ü"])
ANY_ARRAY = hnp.arrays(
    dtype=st.one_of(
        hnp.floating_dtypes(),
        hnp.integer_dtypes(),
        hnp.unsigned_integer_dtypes(),
        hnp.boolean_dtypes(),
        hnp.complex_number_dtypes(),
        hnp.byte_string_dtypes(max_len=4),
        hnp.unicode_string_dtypes(max_len=4),
        hnp.datetime64_dtypes(),
    ),
    shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
)


@FUZZ
@given(contents=st.dictionaries(KEYS, ANY_ARRAY, max_size=5), compressed=st.booleans())
@surface("array reader (npz/npy)")
def test_npz_files_with_random_keys_shapes_dtypes_and_values(contents, compressed):
    with _scratch() as folder:
        file = Path(folder) / "data.npz"
        (np.savez_compressed if compressed else np.savez)(file, **contents)
        before = _contents(Path(folder))
        result = _load_or_input_error(file)
        assert _contents(Path(folder)) == before  # nothing written, "../escape" included
    if not isinstance(result, InputError):
        x = result.x
        assert x.dtype == np.float32 and np.isfinite(x).all() and 0 <= x.min() <= x.max() <= 1


@FUZZ
@given(
    n=st.integers(1, 5),
    labels=st.one_of(
        st.lists(st.integers(-3, 2**62), min_size=1, max_size=5),
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=5),
    ),
    names=st.one_of(
        st.none(),
        st.lists(st.binary(max_size=3), max_size=4),
        st.lists(st.text(max_size=3), max_size=4),
    ),
)
@surface("array reader (npz/npy)")
def test_labels_and_label_names_of_any_value(n, labels, names):
    contents = {"x": np.zeros((n, 2)), "labels": np.array(labels)}
    if names is not None:
        contents["label_names"] = np.array(names) if names else np.array([], dtype="U1")
    with _scratch() as folder:
        file = Path(folder) / "data.npz"
        np.savez(file, **contents)
        result = _load_or_input_error(file)
    if not isinstance(result, InputError):
        assert len(result.label_names) > int(result.labels.max())


@FEW
@given(cut=st.floats(0.0, 1.0, exclude_max=True), suffix=st.sampled_from([".npy", ".npz"]))
@surface("array reader (npz/npy)")
def test_a_truncated_numpy_file_is_an_input_error(cut, suffix):
    with _scratch() as folder:
        file = Path(folder) / f"data{suffix}"
        x = np.linspace(0, 1, 600).reshape(20, 30)
        np.save(file, x) if suffix == ".npy" else np.savez(file, x=x, labels=np.arange(20) % 3)
        payload = file.read_bytes()
        file.write_bytes(payload[: int(cut * len(payload))])
        with pytest.raises(InputError):
            arrays.load(file)
        refused()


# -- image folders --------------------------------------------------------------------------------
def _image_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    rgb = np.linspace(0, 255, 12 * 10 * 3).astype(np.uint8).reshape(12, 10, 3)
    Image.fromarray(rgb).save(buffer, format=kind)
    return buffer.getvalue()


VALID = {kind: _image_bytes(kind) for kind in ("PNG", "GIF", "BMP", "TIFF", "JPEG", "WEBP")}
SUFFIX = {
    "PNG": ".png",
    "GIF": ".gif",
    "BMP": ".bmp",
    "TIFF": ".tif",
    "JPEG": ".jpg",
    "WEBP": ".webp",
}
HOSTILE_NAMES = [
    "-rf.png",
    "space name.png",
    "new\nline.png",
    "ünïcødé.PNG",
    "a" * 240 + ".png",
    "..png",  # hidden: skipped
    "$(touch pwned).png",
    "..\\..\\escape.png",
    "%2e%2e%2fescape.png",
]


def _damaged(kind: str, cut: float, flips: list[int]) -> bytes:
    payload = bytearray(VALID[kind])
    for flip in flips:
        payload[flip % len(payload)] = (payload[flip % len(payload)] + 1 + flip) % 256
    return bytes(payload[: max(1, int(len(payload) * cut))])


def _load_images(folder: Path, cache: Path | None = None) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return images.load(folder, size=8, workers=1, cache_dir=cache)
        except InputError as error:
            refused()
            return error


@FUZZ
@given(
    files=st.lists(
        st.tuples(
            st.sampled_from(sorted(VALID)),
            st.floats(0.05, 1.0),
            st.lists(st.integers(0, 2**20), max_size=4),
        ),
        min_size=1,
        max_size=4,
    ),
    names=st.lists(st.sampled_from(HOSTILE_NAMES), min_size=4, max_size=4, unique=True),
)
@surface("image folder reader")
def test_damaged_images_with_hostile_names(files, names):
    with _scratch() as root:
        folder = Path(root) / "photos"
        folder.mkdir()
        for (kind, cut, flips), name in zip(files, names, strict=False):
            (folder / (name.rsplit(".", 1)[0] + SUFFIX[kind])).write_bytes(
                _damaged(kind, cut, flips)
            )
        before = _contents(Path(root))
        with _cache_in(Path(root) / "cache"):
            result = _load_images(folder)
        written = set(_contents(Path(root))) - set(before)
        assert all(re.fullmatch(r"cache/images/[0-9a-f-]+/images-8\.(npy|json)", path)
                   for path in written)  # fmt: skip
        assert written if not isinstance(result, InputError) else not written
        assert not isinstance(result, InputError) or not (Path(root) / "cache").exists()
        assert {
            path: size for path, size in _contents(Path(root)).items() if path in before
        } == before
        if not isinstance(result, InputError):
            x = result.x[:]
            assert x.shape[1:] == (3, 8, 8) and 0 <= x.min() <= x.max() <= 1


@FEW
@given(
    field=st.sampled_from(["count", "skipped", "size", "version", "files"]),
    value=st.one_of(
        st.none(), st.integers(-5, 10**20), st.text(max_size=4), st.lists(st.integers(), max_size=3)
    ),
)
@surface("image folder reader")
def test_a_tampered_cache_manifest_is_rebuilt_or_refused(field, value):
    import json

    with _scratch() as root:
        folder = Path(root) / "photos"
        folder.mkdir()
        for k in range(3):
            (folder / f"{k}.png").write_bytes(VALID["PNG"])
        with _cache_in(Path(root) / "cache") as cache:
            first = _load_images(folder)
            manifest = _cache_file(cache, "images-8.json")
            document = json.loads(manifest.read_text())
            document[field] = value
            manifest.write_text(json.dumps(document))
            result = _load_images(folder)
        if not isinstance(result, InputError):
            np.testing.assert_array_equal(result.x[:], first.x[:])


@pytest.mark.parametrize("content", ["random", "object", "wrong-shape"])
def test_a_tampered_cache_array_is_refused_without_unpickling(tmp_path, content, monkeypatch):
    monkeypatch.setenv(images.CACHE_ENV, str(tmp_path / "cache"))
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.png").write_bytes(VALID["PNG"])
    _load_images(folder)
    cache = _cache_file(tmp_path / "cache", "images-8.npy")
    marker = tmp_path / "unpickled"
    if content == "random":
        cache.write_bytes(os.urandom(200))
    elif content == "object":
        hostile = np.empty(1, dtype=object)
        hostile[0] = Boom(str(marker))
        np.save(cache, hostile, allow_pickle=True)
    else:
        np.save(cache, np.zeros((1, 3, 4, 4), dtype=np.uint8))
    with pytest.raises(InputError, match="delete it to rebuild"):
        images.load(folder, size=8, workers=1)
    assert not marker.exists()


def test_np_load_never_allows_pickles_in_the_package():
    """Every np.load of a file says allow_pickle=False (grep, so a new reader cannot forget)."""
    root = Path(images.__file__).parents[1]
    calls = []
    for source in root.rglob("*.py"):
        for number, line in enumerate(source.read_text().splitlines(), 1):
            if "np.load(" in line:
                calls.append((f"{source.relative_to(root)}:{number}", "allow_pickle=False" in line))
    assert calls and [where for where, safe in calls if not safe] == []


# -- regressions the fuzzing found (each failed before its fix) -----------------------------------
def _zlib_damaged() -> bytes:
    packed = bytearray(gzip.compress(_idx_bytes(0x08, [10240], bytes(range(256)) * 40)))
    packed[10:14] = b"\xff" * 4  # the first deflate block: zlib.error, not OSError
    return bytes(packed)


@pytest.mark.parametrize(
    "payload",
    [
        _idx_bytes(0x08, [0, 2**32 - 1, 2**32 - 1], b""),  # size 0, shape NumPy cannot make
        _idx_bytes(0x08, [2**16] * 4, b""),  # 2**64 elements: np.prod wrapped to 0
        _zlib_damaged(),
    ],
    ids=["zero-times-huge", "wraps-to-zero", "zlib-error"],
)
def test_idx_regressions(tmp_path, payload):
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(payload)
    with pytest.raises(InputError, match="IDX"):
        mnist.read_idx(path)


def test_label_regressions(tmp_path):
    file = tmp_path / "data.npz"
    np.savez(file, x=np.zeros((2, 2)), labels=np.array([0, 10**12]))
    with pytest.raises(InputError, match="go up to 1000000000000"):  # was a near-endless loop
        arrays.load(file)
    np.savez(
        file, x=np.zeros((2, 2)), labels=np.array([0, 1]), label_names=np.array([b"\xff", b"b"])
    )
    assert arrays.load(file).label_names == ("\ufffd", "b")  # was a UnicodeDecodeError


@pytest.mark.parametrize("shape", [(1, 0), (3, 0, 2), (0, 4)])
def test_an_empty_x_is_an_input_error(tmp_path, shape):
    np.save(tmp_path / "x.npy", np.zeros(shape, dtype=np.float32))
    with pytest.raises(InputError, match="no empty dimension"):  # (1, 0) was a raw ValueError
        arrays.load(tmp_path / "x.npy")


def test_a_header_declaring_terabytes_is_an_input_error(tmp_path):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "<f4", "fortran_order": False, "shape": (2**40,)}
    )
    file = tmp_path / "data.npz"
    with zipfile.ZipFile(file, "w") as archive:
        archive.writestr("x.npy", buffer.getvalue())
    with pytest.raises(InputError, match="larger than this machine's memory"):  # MemoryError
        arrays.load(file)


def test_a_manifest_without_a_count_is_rebuilt(tmp_path, monkeypatch):
    import json

    monkeypatch.setenv(images.CACHE_ENV, str(tmp_path / "cache"))
    (tmp_path / "a.png").write_bytes(VALID["PNG"])
    first = images.load(tmp_path, size=8, workers=1).x[:]
    manifest = _cache_file(tmp_path / "cache", "images-8.json")
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "count": None}))
    np.testing.assert_array_equal(images.load(tmp_path, size=8, workers=1).x[:], first)
