"""User arrays: .npz and .npy round trips, shape and value checks with their messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latentatlas.data import load
from latentatlas.errors import InputError


def test_npz_round_trip_with_labels_and_factors(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.random((20, 5))
    labels = np.arange(20) % 3
    factors = rng.normal(size=(20, 2))
    np.savez(
        tmp_path / "data.npz",
        x=x,
        labels=labels,
        label_names=np.array(["a", "b", "c"]),
        factors=factors,
        factor_names=np.array(["size", "kind"]),
        factor_kinds=np.array(["continuous", "discrete"]),
    )
    data = load("arrays", path=tmp_path / "data.npz")
    np.testing.assert_array_equal(data.x, x.astype(np.float32))
    assert data.x.dtype == np.float32 and data.x.shape == (20, 5)
    np.testing.assert_array_equal(data.labels, labels)
    assert data.label_names == ("a", "b", "c")
    np.testing.assert_array_equal(data.factors, factors)
    assert data.factor_names == ("size", "kind") and data.factor_kinds == ("continuous", "discrete")


def test_npy_images_get_a_channel_axis(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.full((4, 6, 6), 0.5))
    data = load("arrays", path=tmp_path / "x.npy")
    assert data.x.shape == (4, 1, 6, 6) and data.labels is None
    np.savez(tmp_path / "y.npz", x=np.zeros((3, 3, 4, 4)), factors=np.arange(3.0))
    data = load("arrays", path=tmp_path / "y.npz")
    assert data.x.shape == (3, 3, 4, 4) and data.factor_names == ("factor_0",)


def test_rescale_is_min_max(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.array([[0.0, 255.0], [51.0, 102.0]]))
    with pytest.raises(InputError, match=r"values from 0 to 255 but must lie in \[0, 1\]"):
        load("arrays", path=tmp_path / "x.npy")
    data = load("arrays", path=tmp_path / "x.npy", rescale=True)
    np.testing.assert_allclose(data.x, [[0.0, 1.0], [0.2, 0.4]])


def test_nan_and_inf_are_counted(tmp_path: Path) -> None:
    x = np.zeros((5, 3))
    x[0, 0], x[2, 1], x[4, 2] = np.nan, np.inf, -np.inf
    np.savez(tmp_path / "bad.npz", x=x)
    with pytest.raises(InputError, match=r"x in .*bad.npz has 3 NaN or infinite value\(s\)"):
        load("arrays", path=tmp_path / "bad.npz")
    np.savez(tmp_path / "badf.npz", x=np.zeros((2, 2)), factors=np.array([1.0, np.nan]))
    with pytest.raises(InputError, match=r"factors in .* has 1 NaN"):
        load("arrays", path=tmp_path / "badf.npz")


def test_length_mismatch_names_both_numbers(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((1000, 2)), labels=np.zeros(998, dtype=int))
    with pytest.raises(InputError, match=r"labels in .* has 998 entries but x has 1000 rows"):
        load("arrays", path=tmp_path / "d.npz")
    np.savez(tmp_path / "f.npz", x=np.zeros((10, 2)), factors=np.zeros((9, 2)))
    with pytest.raises(InputError, match=r"factors in .* has shape \(9, 2\) but x has 10 rows"):
        load("arrays", path=tmp_path / "f.npz")


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"images": np.zeros((2, 2))}, "unknown array"),
        ({"labels": np.zeros(2)}, "no array named x"),
        ({"x": np.zeros(3)}, "expected"),
        ({"x": np.zeros((2, 2)), "labels": np.array([0.5, 1])}, "whole numbers"),
        ({"x": np.zeros((2, 2)), "labels": np.array([-1, 0])}, "non-negative"),
        ({"x": np.zeros((2, 2)), "labels": [0, 2], "label_names": ["a"]}, "has 1 names"),
        ({"x": np.zeros((2, 2)), "factors": np.zeros((2, 2)), "factor_names": ["a"]}, "1 entries"),
        ({"x": np.zeros((2, 2)), "factor_names": ["a"]}, "but no factors"),
        ({"x": np.zeros((2, 2)), "factors": np.zeros(2), "factor_kinds": ["odd"]}, "'odd'"),
    ],
)
def test_bad_contents(tmp_path: Path, arrays: dict, message: str) -> None:
    np.savez(tmp_path / "a.npz", **arrays)
    with pytest.raises(InputError, match=message):
        load("arrays", path=tmp_path / "a.npz")


def test_not_a_numpy_file(tmp_path: Path) -> None:
    (tmp_path / "x.npz").write_text("hello")
    with pytest.raises(InputError, match=r"x.npz is not a NumPy .npz or .npy file"):
        load("arrays", path=tmp_path / "x.npz")
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="is not a NumPy"):
        load("arrays", path=tmp_path / "o.npy")
    with pytest.raises(InputError, match="does not exist"):
        load("arrays", path=tmp_path / "missing.npz")
