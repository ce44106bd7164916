"""The registry: names, unknown names and options, cheap descriptions, deterministic splits."""

from __future__ import annotations

import time

import numpy as np
import pytest

from latentatlas.data import Dataset, describe, load, names
from latentatlas.errors import InputError


def test_eight_names() -> None:
    assert names() == [
        "mnist",
        "digits",
        "heatmaps",
        "heatmaps-t",
        "sprites",
        "sprites-rgb",
        "images",
        "arrays",
    ]


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(
        InputError, match="unknown data set 'cifar'; known data sets: mnist, digits"
    ):
        load("cifar")


def test_unknown_option_lists_the_allowed_ones() -> None:
    with pytest.raises(InputError, match=r"unknown option 'sise' for data set 'images'.*size"):
        load("images", path=".", sise=3)
    with pytest.raises(InputError, match="allowed options: none"):
        load("digits", n=3)


def test_describe_is_cheap_and_matches_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LATENTATLAS_DATA", raising=False)
    start = time.perf_counter()
    rows = [describe(name) for name in names()]
    assert time.perf_counter() - start < 1.0
    by_name = {row["name"]: row for row in rows}
    assert by_name["heatmaps"]["size"] == 11_875 and by_name["heatmaps"]["shape"] == [1, 36, 36]
    assert by_name["sprites"]["factors"] == ["shape", "scale", "orientation", "pos_x", "pos_y"]
    assert by_name["mnist"]["size"] == 5000 and by_name["images"]["size"] is None
    digits = load("digits")
    assert [len(digits), *digits.input_shape] == [by_name["digits"]["size"], 1, 8, 8]


def test_digits() -> None:
    data = load("digits")
    assert data.x.shape == (1797, 1, 8, 8) and data.x.dtype == np.float32
    assert data.x.min() == 0.0 and data.x.max() == 1.0
    assert np.bincount(data.labels).sum() == 1797 and data.label_names[3] == "3"


def test_split_is_deterministic_and_stratified() -> None:
    labels = np.repeat(np.arange(3), [50, 30, 20])
    data = Dataset(name="toy", x=np.zeros((100, 2), dtype=np.float32), labels=labels)
    train, validation = data.split(seed=7, validation_fraction=0.2)
    again = data.split(seed=7, validation_fraction=0.2)
    np.testing.assert_array_equal(train, again[0])
    np.testing.assert_array_equal(validation, again[1])
    assert not np.array_equal(validation, data.split(seed=8)[1])
    assert np.bincount(labels[validation]).tolist() == [10, 6, 4]
    assert len(np.intersect1d(train, validation)) == 0
    assert len(train) + len(validation) == 100
