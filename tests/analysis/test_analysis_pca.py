"""Tests for exact PCA: principal axes against scikit-learn, and the spectrum."""

from __future__ import annotations

import numpy as np
import pytest
from _results import clusters, round_trip
from sklearn.decomposition import PCA

from latentatlas.analysis.pca import PcaSpectrumResult, PrincipalAxes, pca_spectrum, principal_axes
from latentatlas.errors import InputError


def test_principal_axes_match_scikit_learn() -> None:
    codes, _ = clusters()
    axes = principal_axes(codes)
    reference = PCA().fit(codes.astype(np.float64))
    np.testing.assert_allclose(axes.variances, reference.explained_variance_, rtol=1e-8)
    # the same axes up to sign
    np.testing.assert_allclose(
        np.abs(axes.components @ reference.components_.T), np.eye(8), atol=1e-7
    )
    np.testing.assert_allclose(axes.transform(codes, 3)[:, 0].var(ddof=1), axes.variances[0])
    again = round_trip(axes)
    assert isinstance(again, PrincipalAxes)
    np.testing.assert_array_equal(again.components, axes.components)


def test_spectrum_of_one_dominant_direction() -> None:
    rng = np.random.default_rng(1)
    codes = rng.normal(size=(4000, 30))
    codes[:, 3] *= 5.0  # one direction with 25 times the variance of the others
    spectrum = pca_spectrum(codes)
    assert spectrum.n_leading == 1
    # 25 over the largest noise eigenvalue, (1 + sqrt(30 / 4000))^2 = 1.18 by Marchenko-Pastur
    assert 18.0 < spectrum.first_to_second < 26.0
    assert spectrum.cumulative[-1] == pytest.approx(1.0)
    assert spectrum.explained_variance_ratio[0] == pytest.approx(25 / 54, rel=0.05)
    assert isinstance(round_trip(spectrum), PcaSpectrumResult)
    with pytest.raises(InputError, match="zero variance"):
        pca_spectrum(np.ones((10, 3)))
