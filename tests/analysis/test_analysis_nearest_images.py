"""Tests for the nearest-training-image distance and the decodes of a hull's empty regions."""

from __future__ import annotations

import numpy as np
import pytest

from latentatlas.analysis.geometry import hull, uniform_in_hull
from latentatlas.analysis.nearest_images import HullDecodesResult, NearestImages, hull_decodes
from latentatlas.analysis.paths import off_manifold_distance
from latentatlas.data import load
from latentatlas.errors import InputError
from latentatlas.models import build, decode_array, encode_array


def test_distance_is_the_frobenius_norm_to_the_nearest_training_image():
    training = np.stack([np.zeros((1, 2, 2)), np.ones((1, 2, 2))])
    nearest = NearestImages(training)
    queries = np.stack([np.full((1, 2, 2), 0.25), np.ones((1, 2, 2)), np.full((1, 2, 2), 2.0)])
    # 0.25 off the zeros in 4 pixels: sqrt(4 * 0.25^2) = 0.5; the ones themselves: 0; 2: 2.
    np.testing.assert_allclose(nearest.distance(queries), [0.5, 0.0, 2.0])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda n: n.distance(np.zeros((3, 1, 3, 3))), "9 values each but the training images 4"),
        (lambda n: n.distance(np.zeros((0, 1, 3, 3))), "at least one image"),
        (lambda n: NearestImages(np.zeros(4)), "at least one image"),
    ],
)
def test_bad_images_raise_input_error(call, message):
    nearest = NearestImages(np.zeros((2, 1, 2, 2)))
    with pytest.raises(InputError, match=message):
        call(nearest)


@pytest.fixture(scope="module")
def pca_codes():
    data = load("heatmaps", subsample=300)
    model = build("pca", data.input_shape, 3)
    model.fit_closed_form(data.x)
    return model, encode_array(model, data.x).astype(np.float64)


def test_hull_decodes_of_a_linear_decoder_are_as_far_from_images_as_points_from_codes(pca_codes):
    # PCA decodes z to z @ W + mean with orthonormal W: with the decodes of the codes as the
    # "training images", a decode's distance to the nearest one is its point's distance to the
    # nearest code, so off-data decodes (points beyond the near-data radius) lie beyond it too.
    model, codes = pca_codes
    shape = hull(codes, n_samples=500)
    nearest = NearestImages(decode_array(model, codes.astype(np.float32)))
    result = hull_decodes(model, codes, shape, nearest, n_points=400, n_examples=5, random_state=3)
    points = uniform_in_hull(codes[shape.vertices], 400, random_state=3)
    to_codes = off_manifold_distance(points, codes)
    off = to_codes > shape.radius
    assert result.off_data_share == pytest.approx(off.mean())
    assert result.hull_distance == pytest.approx(np.median(to_codes), rel=1e-3)
    assert result.off_data_distance == pytest.approx(np.median(to_codes[off]), rel=1e-3)
    assert result.off_data_distance > shape.radius
    assert result.example_images.shape == (5, 1, 36, 36)
    assert np.all(result.example_distances > shape.radius * (1 - 1e-3))
    assert isinstance(HullDecodesResult.from_dict(result.to_dict()), HullDecodesResult)


def test_hull_decodes_refuse_a_hull_of_other_codes(pca_codes):
    model, codes = pca_codes
    shape = hull(codes, n_samples=100)
    nearest = NearestImages(np.zeros((2, 1, 36, 36)))
    with pytest.raises(InputError, match="does not belong"):
        hull_decodes(model, codes[:4], shape, nearest)
