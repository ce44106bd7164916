"""Tests for stratified samples: every class and factor bin present, seeded, never file order."""

from __future__ import annotations

import numpy as np
import pytest

from latentatlas.analysis import stratified_rows, stratified_sample
from latentatlas.errors import InputError

#: MNIST-like labels in source order: all zeros first, then all ones, ...
SOURCE_ORDER = np.repeat(np.arange(10), 500)


def test_every_class_present_for_labels_in_source_order() -> None:
    sample = stratified_sample(100, labels=SOURCE_ORDER)
    assert len(sample) == 100 and len(set(sample.tolist())) == 100
    assert np.bincount(SOURCE_ORDER[sample]).tolist() == [10] * 10
    assert sorted(SOURCE_ORDER[sample[:10]].tolist()) == list(range(10))  # every prefix too


def test_rows_of_a_data_set_cover_its_factors_else_its_labels() -> None:
    from types import SimpleNamespace

    validation = np.arange(1000, 5000)  # the source order's classes 2 to 9
    shapes = SOURCE_ORDER[:, None] % 3  # a factor that cycles 0, 1, 2 class by class
    labelled = SimpleNamespace(labels=SOURCE_ORDER, factors=None, factor_names=())
    rows = stratified_rows(labelled, validation, 8)
    assert set(rows) <= set(validation) and sorted(SOURCE_ORDER[rows].tolist()) == list(
        range(2, 10)
    )
    with_factors = SimpleNamespace(
        labels=SOURCE_ORDER, factors=shapes, factor_names=("shape",), factor_kinds=("discrete",)
    )
    rows = stratified_rows(with_factors, validation, 3)
    assert sorted(shapes[rows, 0].tolist()) == [0, 1, 2]  # by the factor, not the labels


def test_fewer_than_the_classes_gives_different_classes() -> None:
    sample = stratified_sample(4, labels=SOURCE_ORDER, random_state=3)
    assert len(set(SOURCE_ORDER[sample].tolist())) == 4


def test_deterministic_per_seed_and_seeds_differ() -> None:
    first = stratified_sample(30, labels=SOURCE_ORDER, random_state=7)
    assert np.array_equal(first, stratified_sample(30, labels=SOURCE_ORDER, random_state=7))
    assert not np.array_equal(first, stratified_sample(30, labels=SOURCE_ORDER, random_state=8))
    uniform = stratified_sample(5, n_rows=1000, random_state=1)
    assert np.array_equal(uniform, stratified_sample(5, n_rows=1000, random_state=1))
    assert not np.array_equal(uniform, stratified_sample(5, n_rows=1000, random_state=2))


def test_continuous_factors_cover_every_bin() -> None:
    rng = np.random.default_rng(0)
    n = 4000
    # sorted like a generator's grid: the first rows all share one shape and small values
    shape = np.repeat([0.0, 1.0, 2.0], [1500, 1500, 1000])
    continuous = np.sort(rng.uniform(size=(n, 4)), axis=0)
    factors = np.c_[shape, continuous]
    kinds = ("discrete",) + ("continuous",) * 4
    sample = stratified_sample(40, factors=factors, factor_kinds=kinds, bins=4)
    assert set(factors[sample, 0].tolist()) == {0.0, 1.0, 2.0}
    for column in continuous.T:
        edges = np.quantile(column, [0.25, 0.5, 0.75])
        counts = np.bincount(np.searchsorted(edges, column[sample], side="right"), minlength=4)
        assert counts.min() >= 8, counts  # balanced: 10 per bin, give or take


def test_labels_and_factors_together_and_inferred_kinds() -> None:
    rng = np.random.default_rng(1)
    factors = np.c_[rng.integers(0, 3, 600), rng.uniform(size=600)]
    labels = np.repeat([0, 1], 300)
    sample = stratified_sample(24, labels=labels, factors=factors)
    assert np.bincount(labels[sample]).tolist() == [12, 12]
    assert set(factors[sample, 0].tolist()) == {0.0, 1.0, 2.0}


def test_more_than_available_gives_every_row_once() -> None:
    sample = stratified_sample(50, labels=np.repeat([0, 1, 2], 5))
    assert sorted(sample.tolist()) == list(range(15))
    assert sorted(stratified_sample(9, n_rows=4).tolist()) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0, "labels": SOURCE_ORDER}, "n must be an integer of at least 1"),
        ({"n": 3}, "needs labels, factors or n_rows"),
        ({"n": 3, "labels": np.zeros((2, 2))}, "labels must be a non-empty 1-d array"),
        ({"n": 3, "labels": SOURCE_ORDER, "factors": np.ones((4, 2))}, "factors has 4 rows"),
        ({"n": 3, "factors": np.array([[np.nan], [1.0]])}, "factors has a NaN"),
        ({"n": 3, "n_rows": 5, "bins": 1}, "bins must be an integer of at least 2"),
        ({"n": 3, "factors": np.ones((4, 2)), "factor_kinds": ("discrete",)}, "factor_kinds"),
    ],
)
def test_bad_inputs(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        stratified_sample(**kwargs)
