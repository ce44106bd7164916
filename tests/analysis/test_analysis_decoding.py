"""Tests for random decodes: a ring of codes (AE-like) against a filled disk (VAE-like)."""

from __future__ import annotations

import numpy as np
import pytest
from _results import round_trip

from latentatlas.analysis.decoding import RandomDecodesResult, random_decodes
from latentatlas.errors import InputError
from latentatlas.models import build, encode_array, reconstruction_error


def _plane_model(latent_2d: np.ndarray, seed: int = 0):
    """Vectors of 16 values on a plane (plus a little noise off it), and exact PCA on them."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.normal(size=(16, 2)))[0].T  # two orthonormal directions
    x = 0.5 + latent_2d @ basis * 0.25 + 0.05 * rng.normal(size=(len(latent_2d), 16))
    x = x.astype(np.float32)
    model = build("pca", (16,), 2)
    model.fit_closed_form(x)
    return model, x, encode_array(model, x), reconstruction_error(model, x)


def test_codes_on_a_ring_decode_badly_from_the_prior() -> None:
    angle = np.random.default_rng(1).uniform(0, 2 * np.pi, 2000)
    model, x, codes, errors = _plane_model(20.0 * np.column_stack([np.cos(angle), np.sin(angle)]))
    result = random_decodes(model, codes, x, errors, n=200, random_state=0)
    prior, fitted = result.samples
    assert prior.source == "prior" and fitted.source == "fitted"
    # codes have radius 5 in PCA units (20 * 0.25); N(0, I) lands inside the ring, in the void
    assert result.fraction("prior") < 0.1 and prior.near_codes_fraction < 0.1
    assert prior.pixel_distance.shape == (200,) and prior.shown.shape == (16, 16)
    assert prior.shown.dtype == np.uint8
    # The mean image sits in the ring's empty middle, about 5 pixel units (20 * 0.25) from
    # every image on the ring (25 / 16 per value, less the noise toward the middle).
    brute = ((x - x.mean(axis=0)) ** 2).mean(axis=1).min()
    assert result.mean_image_distance == pytest.approx(brute, rel=1e-5)
    assert 1.3 < result.mean_image_distance < 25.0 / 16
    assert result.mean_image_distance > 10 * result.pixel_threshold
    assert not result.mean_image_counts_as_meaningful


def test_codes_filling_a_disk_decode_well_from_the_fitted_gaussian() -> None:
    model, x, codes, errors = _plane_model(np.random.default_rng(2).normal(size=(3000, 2)) * 20.0)
    result = random_decodes(model, codes, x, errors, n=200, random_state=0)
    # N(0, I) lands in the dense middle of the disk (std 5); the fitted Gaussian also
    # reaches its sparse rim, where the nearest training image is farther away
    assert result.fraction("prior") > 0.9 and result.samples[0].near_codes_fraction > 0.9
    assert 0.6 < result.fraction("fitted") < result.fraction("prior")
    assert result.pixel_threshold == pytest.approx(2.0 * np.quantile(errors, 0.9))
    # The mean image lies in the dense middle, near some training image: the criterion would
    # call it meaningful, so here it cannot tell decodes from the mean image.
    assert result.mean_image_distance < result.pixel_threshold
    assert result.mean_image_counts_as_meaningful
    # the nearest training image really is the nearest
    decoded = result.samples[1]
    assert decoded.pixel_distance.min() >= 0.0
    again = round_trip(result)
    assert isinstance(again, RandomDecodesResult)
    np.testing.assert_array_equal(again.samples[0].meaningful, result.samples[0].meaningful)
    np.testing.assert_array_equal(again.samples[1].shown, result.samples[1].shown)
    assert again.mean_image_distance == result.mean_image_distance
    older = {k: v for k, v in result.to_dict().items() if k != "mean_image_distance"}
    unmeasured = RandomDecodesResult.from_dict(older)  # written before the check existed
    assert np.isnan(unmeasured.mean_image_distance)
    assert not unmeasured.mean_image_counts_as_meaningful
    same = random_decodes(model, codes, x, errors, n=200, random_state=0)
    np.testing.assert_array_equal(same.samples[0].pixel_distance, result.samples[0].pixel_distance)


def test_bad_inputs() -> None:
    model, x, codes, errors = _plane_model(np.random.default_rng(3).normal(size=(100, 2)))
    with pytest.raises(InputError, match="reconstruction_errors has shape"):
        random_decodes(model, codes, x, errors[:5])
    with pytest.raises(InputError, match="quantile must be in"):
        random_decodes(model, codes, x, errors, quantile=2.0)
    with pytest.raises(InputError, match="decodes have 16 values but images have 8"):
        random_decodes(model, codes, x[:, :8], errors)
    with pytest.raises(InputError, match="n must be an integer"):
        random_decodes(model, codes, x, errors, n=0)
