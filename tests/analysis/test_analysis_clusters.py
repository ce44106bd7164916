"""Tests for the tiled silhouette: agreement with scikit-learn, conventions and input checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import silhouette_samples

from latentatlas.analysis import original_space_silhouette, silhouette
from latentatlas.errors import InputError

TOLERANCE = 1e-9


def _blobs(n: int, dim: int, n_classes: int, seed: int, offset: float = 0.0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, size=n)
    centers = rng.normal(scale=2.0, size=(n_classes, dim))
    return centers[labels] + rng.normal(size=(n, dim)) + offset, labels


@pytest.mark.parametrize(
    ("n", "dim", "n_classes", "block_size"),
    [
        (50, 2, 2, None),
        (101, 2, 2, 7),  # blocks smaller than n and not dividing it
        (257, 10, 3, 64),
        (300, 784, 5, 41),
        (120, 3, 7, 120),
        (90, 1, 4, 1000),  # one feature; a block larger than n
    ],
)
def test_silhouette_equals_sklearn(n, dim, n_classes, block_size):
    x, labels = _blobs(n, dim, n_classes, seed=n + dim)
    result = silhouette(x, labels, block_size=block_size)
    expected = silhouette_samples(x, labels)
    np.testing.assert_allclose(result.samples, expected, rtol=0, atol=TOLERANCE)
    assert result.mean == pytest.approx(float(expected.mean()), abs=TOLERANCE)


def test_silhouette_far_from_origin_and_cosine_equal_sklearn():
    x, labels = _blobs(200, 6, 3, seed=3, offset=50.0)
    np.testing.assert_allclose(
        silhouette(x, labels, block_size=33).samples,
        silhouette_samples(x, labels),
        rtol=0,
        atol=TOLERANCE,
    )
    np.testing.assert_allclose(
        silhouette(x, labels, block_size=33, metric="cosine").samples,
        silhouette_samples(x, labels, metric="cosine"),
        rtol=0,
        atol=TOLERANCE,
    )


def test_singleton_class_has_silhouette_zero_as_sklearn():
    x, labels = _blobs(60, 4, 3, seed=5)
    labels = labels.copy()
    labels[17] = 9  # class 9 has one sample
    result = silhouette(x, labels, block_size=16)
    assert result.samples[17] == 0.0
    assert result.class_means[9] == 0.0
    np.testing.assert_allclose(result.samples, silhouette_samples(x, labels), atol=TOLERANCE)


def test_ties_and_duplicate_points_equal_sklearn():
    # Small integer coordinates: many equal distances and exactly repeated points, while every
    # squared distance is exact in float64 for both implementations.
    rng = np.random.default_rng(11)
    x = rng.integers(0, 3, size=(400, 3)).astype(np.float64)
    labels = rng.integers(0, 3, size=400)
    result = silhouette(x, labels, block_size=33)
    np.testing.assert_allclose(result.samples, silhouette_samples(x, labels), atol=TOLERANCE)


def test_duplicated_float_points_are_exact():
    # A point repeated exactly is at distance 0 from its copy. The expansion
    # |x|^2 + |y|^2 - 2xy leaves ~1e-8 there, so compare with a direct, exact computation.
    from scipy.spatial.distance import cdist

    x, labels = _blobs(120, 30, 3, seed=2, offset=5.0)
    x[60:90], labels[60:90] = x[:30], labels[:30]
    distances = cdist(x, x)
    expected = np.zeros(len(x))
    for i in range(len(x)):
        own = labels == labels[i]
        a = distances[i, own].sum() / (own.sum() - 1)
        b = min(distances[i, labels == k].mean() for k in np.unique(labels) if k != labels[i])
        expected[i] = (b - a) / max(a, b)
    np.testing.assert_allclose(silhouette(x, labels, block_size=25).samples, expected, atol=1e-12)


def test_string_labels_class_means_and_json():
    x, labels = _blobs(80, 2, 3, seed=8)
    names = np.array(["one", "two", "three"])[labels]
    result = silhouette(x, names, block_size=30)
    np.testing.assert_allclose(result.samples, silhouette_samples(x, names), atol=TOLERANCE)
    assert set(result.class_means) == {"one", "two", "three"}
    for name, value in result.class_means.items():
        assert value == pytest.approx(result.samples[names == name].mean())
    assert result.labels.tolist() == names.tolist()
    encoded = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert len(encoded["samples"]) == 80
    assert encoded["mean"] == pytest.approx(result.mean)


def test_float32_input_matches_float64():
    x, labels = _blobs(150, 20, 2, seed=4)
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(
        silhouette(x32, labels, block_size=40).samples,
        silhouette(x32.astype(np.float64), labels).samples,
        atol=1e-12,
    )


#: The stated agreement of float32 tiles with scikit-learn's float64 silhouette, per sample, on
#: data where float32 is adequate (measured deviations are ~1e-7; the check's own bound is 1e-5).
FLOAT32_AGREEMENT = 1e-5


def test_float32_tiles_agree_with_sklearn_float64():
    x, labels = _blobs(700, 784, 10, seed=11)
    result = silhouette(x.astype(np.float32), labels, block_size=128, precision="float32")
    expected = silhouette_samples(x.astype(np.float32).astype(np.float64), labels)
    assert result.precision == "float32"
    assert 0 < result.float32_deviation <= 1e-5
    np.testing.assert_allclose(result.samples, expected, rtol=0, atol=FLOAT32_AGREEMENT)
    assert result.mean == pytest.approx(float(expected.mean()), abs=1e-7)


def test_float32_refines_close_pairs_of_tight_classes_far_from_the_centre():
    # Two interleaved classes in a ball of radius ~8 at distance ~800 from a third class: their
    # squared distances are ~1e-4 of the squared norms, where float32's expansion loses most
    # digits; those pairs are recomputed exactly, so the values still agree.
    rng = np.random.default_rng(3)
    x = np.vstack([100.0 + rng.standard_normal((300, 64)), -100.0 + rng.standard_normal((150, 64))])
    labels = np.r_[rng.integers(0, 2, 300), np.full(150, 2)]
    x = x.astype(np.float32)
    result = silhouette(x, labels, block_size=100, precision="float32")
    expected = silhouette_samples(x.astype(np.float64), labels)
    assert result.precision == "float32"
    np.testing.assert_allclose(result.samples, expected, rtol=0, atol=FLOAT32_AGREEMENT)


def test_float32_falls_back_to_float64_where_it_is_not_adequate():
    # Nearly parallel vectors: cosine distances of ~1e-6, below float32's resolution.
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, 400)
    centres = 1e-3 * rng.standard_normal((3, 32))
    x = (1.0 + centres[labels] + 1e-3 * rng.standard_normal((400, 32))).astype(np.float32)
    result = silhouette(x, labels, block_size=100, metric="cosine", precision="float32")
    assert result.precision == "float64"
    assert result.float32_deviation > 1e-5
    expected = silhouette_samples(x.astype(np.float64), labels, metric="cosine")
    np.testing.assert_allclose(result.samples, expected, rtol=0, atol=TOLERANCE)


def test_auto_precision_is_float64_for_small_data():
    x, labels = _blobs(120, 5, 3, seed=2)
    result = silhouette(x, labels)
    assert (result.precision, result.float32_deviation) == ("float64", None)
    np.testing.assert_array_equal(
        result.samples, silhouette(x, labels, precision="float64").samples
    )


def test_well_separated_clusters_score_near_one():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 50)
    x = rng.normal(scale=0.01, size=(100, 2)) + labels[:, None] * 100.0
    assert silhouette(x, labels).mean > 0.99


def test_original_space_silhouette_flattens_images():
    x, labels = _blobs(64, 16, 2, seed=9)
    images = x.reshape(64, 1, 4, 4)
    np.testing.assert_allclose(
        original_space_silhouette(images, labels).samples, silhouette_samples(x, labels)
    )


@pytest.mark.parametrize(
    ("codes", "labels", "message"),
    [
        (np.zeros((5, 2)), np.zeros(5), "between 2 and 4 "),  # one cluster
        (np.arange(10.0).reshape(5, 2), np.arange(5), "between 2 and 4 "),  # n clusters
        (np.zeros((5, 2)), np.array([0, 1, 0, 1]), "labels has 4 entries but codes has 5"),
        (np.array([[0.0, 1], [np.nan, 2], [3, 4]]), [0, 1, 1], "row 1"),
        (np.array([[0.0, 1], [1, np.inf], [3, 4]]), [0, 1, 1], "NaN or infinite"),
        (np.zeros(5), np.array([0, 1, 0, 1, 0]), "must be 2-d"),
        (np.zeros((3, 2)), np.array([0.0, np.nan, 1.0]), "labels has a NaN"),
        (np.array([["a", "b"], ["c", "d"], ["e", "f"]]), [0, 1, 1], "numeric"),
    ],
)
def test_bad_input_raises_input_error(codes, labels, message):
    with pytest.raises(InputError, match=message):
        silhouette(codes, labels)


@pytest.mark.parametrize(
    ("option", "value"), [("block_size", 0), ("metric", "manhattan"), ("precision", "float16")]
)
def test_bad_options_raise_input_error(option, value):
    x, labels = _blobs(20, 2, 2, seed=1)
    with pytest.raises(InputError, match=option):
        silhouette(x, labels, **{option: value})
