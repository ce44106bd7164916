"""Tests for densities: axis and radius histograms, and the filament score on known clouds."""

from __future__ import annotations

import json

import numpy as np
import pytest
import skdim
from _results import round_trip

from latentatlas.analysis.density import (
    FWHM_PER_SIGMA,
    MAX_AXIS_BINS,
    NEARLY_1D_MAX_DIMENSION,
    VOID_EXCESS_MIN,
    AxisDensityResult,
    FilamentScoreResult,
    RadiusDensityResult,
    axis_density,
    filament_score,
    matched_gaussian,
    radius_density,
    radius_peak_null,
)
from latentatlas.errors import InputError


def _curve(n: int = 1500, dim: int = 256, seed: int = 0):
    """Points on a smooth closed 1-d curve embedded in ``dim`` dimensions."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    harmonics = rng.integers(1, 4, dim)
    phases = rng.uniform(0, 2 * np.pi, dim)
    return np.sin(harmonics * t[:, None] + phases)


def _noisy(cloud, noise: float, seed: int = 0):
    """``cloud`` plus isotropic noise of ``noise`` times its RMS per-coordinate deviation (the
    calibration's relative noise, benchmarks/calibrate_density.py)."""
    rng = np.random.default_rng(seed)
    scale = np.sqrt(cloud.var(axis=0).mean())
    return (cloud + noise * scale * rng.normal(size=cloud.shape)).astype(np.float32)


def _blobs(n: int = 2000, dim: int = 16, seed: int = 0):
    """Ten tight Gaussian blobs: voids, but full-dimensional inside each blob."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(10, dim))
    return centres[rng.integers(0, 10, n)] + 0.15 * rng.normal(size=(n, dim))


def test_axis_density_finds_the_shifted_and_wide_axes() -> None:
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(20_000, 40)).astype(np.float32)
    codes[:, 7] += 5.0  # off-centre, as the source's axis 52
    codes[:, 12] *= 4.0  # wide
    result = axis_density(codes, bin_width=0.25)  # the source's bins
    # ordered by centre^2 + sigma^2: 25 + 1 for axis 7 before 0 + 16 for axis 12
    assert result.dominant_axes == (7, 12)
    assert result.off_centre == (True, False) and result.wide == (False, True)
    assert result.centres[7] == pytest.approx(5.0, abs=0.05)
    assert result.half_widths[12] == pytest.approx(4 * FWHM_PER_SIGMA, rel=0.05)
    assert result.median_half_width == pytest.approx(FWHM_PER_SIGMA, rel=0.03)
    # the histograms are numpy's on the shared edges, and each density integrates to 1
    expected = np.histogram(codes[:, 12], result.edges)[0]
    np.testing.assert_array_equal(result.counts[12], expected)
    assert result.bin_width == 0.25 and np.allclose(np.diff(result.edges), 0.25)
    np.testing.assert_allclose(result.densities.sum(axis=1) * 0.25, 1.0)
    again = round_trip(result)
    assert isinstance(again, AxisDensityResult) and again.dominant_axes == result.dominant_axes


def test_default_bins_resolve_a_narrow_vae_like_cloud() -> None:
    """The source's 0.25 drew a VAE's codes within ±0.4 as triangles of three bins."""
    rng = np.random.default_rng(1)
    codes = (rng.normal(size=(2000, 64)) * 0.15).astype(np.float32)
    codes[:, 3] = rng.normal(size=2000) * 0.4 + 0.2  # one wider axis widens the range only
    result = axis_density(codes)
    inside = np.sum((result.edges >= -0.4) & (result.edges <= 0.4)) - 1
    assert inside >= 20, result.bin_width
    # no finer than the sampling noise allows: the typical axis's peak bin holds dozens
    assert np.median(result.counts.max(axis=1)) >= 30
    assert result.bin_width in {0.01, 0.02, 0.05}  # a plain number for the axis label
    np.testing.assert_allclose(result.densities.sum(axis=1) * result.bin_width, 1.0)
    assert result.dominant_axes == axis_density(codes, bin_width=0.25).dominant_axes
    wide = axis_density(rng.normal(size=(5000, 8)) * 3.0)
    assert 20 <= np.ptp(wide.edges) / wide.bin_width <= MAX_AXIS_BINS
    outlier = np.concatenate([codes[:, :4], [[1e6, 0.0, 0.0, 0.0]]])
    assert len(axis_density(outlier).edges) - 1 <= MAX_AXIS_BINS


def test_axis_density_of_a_plain_gaussian_has_no_dominant_axes() -> None:
    codes = np.random.default_rng(1).normal(size=(5000, 16))
    assert axis_density(codes).dominant_axes == ()


def test_radius_density_peaks_near_sqrt_d() -> None:
    codes = np.random.default_rng(2).normal(size=(20_000, 256)).astype(np.float32)
    result = radius_density(codes)
    assert result.unit_gaussian_peak == 16.0
    assert result.expected_peak == pytest.approx(16.0, abs=0.05)
    coarse, fine = result.histograms
    assert coarse.width == 0.5 and fine.width == 0.05
    assert coarse.peak == pytest.approx(16.0, abs=0.5)
    assert int(coarse.counts.sum()) == 20_000 and int(fine.counts.sum()) == 20_000
    assert 13.0 < result.minimum < result.median < result.maximum < 19.5
    np.testing.assert_allclose((coarse.density * coarse.width).sum(), 1.0)
    again = round_trip(result)
    assert isinstance(again, RadiusDensityResult) and again.histograms[1].peak == fine.peak


def test_matched_gaussian_has_the_mean_and_covariance() -> None:
    rng = np.random.default_rng(3)
    codes = rng.normal(size=(30_000, 3)) @ np.array([[2.0, 0, 0], [1.0, 1.0, 0], [0, 0, 0.1]])
    codes += np.array([1.0, -2.0, 3.0])
    cloud = matched_gaussian(codes, random_state=1)
    assert cloud.shape == codes.shape and cloud.dtype == np.float32
    np.testing.assert_allclose(cloud.mean(0), codes.mean(0), atol=0.05)
    np.testing.assert_allclose(np.cov(cloud.T), np.cov(codes.T), atol=0.08)
    np.testing.assert_array_equal(cloud, matched_gaussian(codes, random_state=1))


@pytest.mark.parametrize(
    ("name", "cloud", "low", "high"),
    [
        ("1-d curve in 256-d", _curve(), 0.9, 1.15),
        ("10-d Gaussian", np.random.default_rng(4).normal(size=(1500, 10)), 8.0, 10.5),
        ("3-d uniform box", np.random.default_rng(5).uniform(size=(1500, 3)), 2.6, 3.2),
    ],
)
def test_intrinsic_dimension_of_known_clouds(name, cloud, low, high) -> None:
    result = filament_score(cloud, n_queries=None, random_state=0)
    assert low < result.data.median_local_mle < high, name
    assert low < result.data.twonn < high + 0.3, name


def test_estimators_agree_with_scikit_dimension_on_the_whole_cloud() -> None:
    cloud = np.random.default_rng(6).normal(size=(800, 5)) @ np.diag([3, 2, 1, 1, 0.5])
    result = filament_score(cloud, k=15, n_queries=None)
    reference = skdim.id.MLE().fit(cloud, n_neighbors=15)
    np.testing.assert_allclose(result.data.local_mle, reference.dimension_pw_, rtol=1e-10)
    assert result.data.mle == pytest.approx(reference.dimension_, rel=1e-10)
    assert result.data.twonn == pytest.approx(skdim.id.TwoNN().fit(cloud).dimension_, rel=1e-10)


def test_a_filament_scores_against_its_matched_gaussian() -> None:
    result = filament_score(_curve(n=2000), n_queries=500, random_state=1)
    assert result.n_queries == 500 and len(result.data.local_mle) == 500
    assert result.gaussian.median_local_mle > 3.0  # the Gaussian of the same covariance
    assert result.dimension_ratio < 0.4
    assert result.nn_distance_ratio < 0.1  # points on a curve are far closer together
    assert result.planes == ((0, 1), (0, 17), (7, 34))
    assert result.void_fraction.shape == (3, 4) and result.void_excess > 0.1
    assert result.void_threshold == pytest.approx(VOID_EXCESS_MIN / np.sqrt(3))
    assert result.has_voids and result.one_dimensional is True
    again = round_trip(result)
    assert isinstance(again, FilamentScoreResult) and again.planes == result.planes
    np.testing.assert_array_equal(again.void_fraction, result.void_fraction)


def test_a_gaussian_scores_like_its_matched_gaussian() -> None:
    cloud = np.random.default_rng(7).normal(size=(2000, 6)) * np.arange(1, 7)
    result = filament_score(cloud, n_queries=500, planes=((0, 1), (2, 3)))
    assert result.dimension_ratio == pytest.approx(1.0, abs=0.12)
    assert result.nn_distance_ratio == pytest.approx(1.0, abs=0.12)
    assert abs(result.void_excess) < 0.05


def test_duplicates_are_counted_and_left_out() -> None:
    cloud = np.random.default_rng(8).normal(size=(300, 3))
    doubled = np.vstack([cloud, cloud[:50]])
    result = filament_score(doubled, k=5, n_queries=None, planes=((0, 1),))
    assert result.n_duplicates == 100 and len(result.data.local_mle) == 250
    assert np.all(np.isfinite(result.data.local_mle))


def test_bad_inputs() -> None:
    cloud = np.random.default_rng(9).normal(size=(50, 4))
    with pytest.raises(InputError, match="bin_width must be a positive"):
        axis_density(cloud, bin_width=0.0)
    with pytest.raises(InputError, match="bin_widths must be positive"):
        radius_density(cloud, bin_widths=(0.5, -1.0))
    with pytest.raises(InputError, match="k=60 needs more than 60 points"):
        filament_score(cloud, k=60)
    with pytest.raises(InputError, match="k must be an integer of at least 3"):
        filament_score(cloud, k=2)
    with pytest.raises(InputError, match=r"pairs of distinct axes in 0\.\.3"):
        filament_score(cloud, planes=((0, 4),))
    with pytest.raises(InputError, match="scales must be positive"):
        filament_score(cloud, scales=(0.0,))
    with pytest.raises(InputError, match="2-d"):
        axis_density(np.zeros(5))


def test_the_noise_free_curve_reads_one_at_every_scale() -> None:
    result = filament_score(_curve(n=2000, dim=32), n_queries=300, random_state=0)
    assert result.ks == (5, 10, 20, 40, 80, 160)
    assert all(0.9 < d < 1.25 for d in result.dimension_by_k)
    assert result.smallest_dimension == pytest.approx(1.0, abs=0.1)
    assert result.low_dimension_ratio < 0.3 and result.is_low_dimensional
    assert result.has_voids and result.one_dimensional is True


def test_a_noisy_curve_is_flagged_by_the_void_test_and_its_smallest_dimension() -> None:
    # relative noise 0.03: the median MLE at k = 5 reads about 9, at k = 160 about 1.3
    result = filament_score(_noisy(_curve(n=3000, dim=16), 0.03), n_queries=300)
    assert result.dimension_by_k[0] > 5 and result.data.median_local_mle > 3
    assert result.void_excess > 2 * result.void_threshold and result.has_voids
    assert result.smallest_dimension <= NEARLY_1D_MAX_DIMENSION
    assert result.one_dimensional is True


def test_a_gaussian_shows_no_voids_and_no_low_dimension() -> None:
    cloud = np.random.default_rng(10).normal(size=(2000, 16)) / np.sqrt(np.arange(1, 17))
    result = filament_score(cloud, n_queries=300, random_state=3)
    assert result.void_threshold == VOID_EXCESS_MIN  # one plane in 16-d
    assert result.void_excess < VOID_EXCESS_MIN and not result.has_voids
    assert result.low_dimension_ratio == pytest.approx(1.0, abs=0.08)
    assert not result.is_low_dimensional and result.one_dimensional is False


def test_blobs_are_voids_but_not_filaments() -> None:
    # 300 points a blob, as calibrated: k = 160 stays inside a blob (see the next tests)
    result = filament_score(_blobs(n=3000), n_queries=300, random_state=0)
    assert result.has_voids
    assert result.smallest_dimension > 5 and not result.is_low_dimensional
    assert result.one_dimensional is None  # voids without low dimension: not called 1-d


def test_a_four_dimensional_manifold_is_low_dimensional_but_not_one_dimensional() -> None:
    rng = np.random.default_rng(11)
    angles = rng.uniform(0, 2 * np.pi, (2000, 4))
    features = np.hstack([np.cos(angles), np.sin(angles)])
    cloud = features @ rng.normal(size=(8, 16))
    result = filament_score(cloud, n_queries=300, random_state=0)
    assert 3.0 < result.smallest_dimension < 5.0 and result.is_low_dimensional
    assert result.dimension_resolved and result.one_dimensional is False


def test_clusters_smaller_than_k_leave_one_dimension_undecided() -> None:
    # forty tight clusters of 25 points: at k = 40 and 80 neighbourhoods span several
    rng = np.random.default_rng(12)
    tiny = np.repeat(rng.normal(size=(40, 16)), 25, axis=0) + 0.01 * rng.normal(size=(1000, 16))
    result = filament_score(tiny, n_queries=300, random_state=0)
    assert min(result.dimension_by_k) < 0.9
    assert result.one_dimensional is None


def test_the_new_numbers_are_deterministic_and_round_trip() -> None:
    cloud = _noisy(_curve(n=800, dim=16), 0.03)
    first = filament_score(cloud, n_queries=200, random_state=4)
    second = filament_score(cloud, n_queries=200, random_state=4)
    assert first.dimension_by_k == second.dimension_by_k
    assert first.void_excess == second.void_excess
    again = round_trip(first)
    assert again.ks == first.ks and again.dimension_by_k == first.dimension_by_k
    assert again.one_dimensional == first.one_dimensional


def test_results_stored_before_the_scales_existed_still_load() -> None:
    result = filament_score(_curve(n=400, dim=8), n_queries=100, random_state=0)
    stored = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    for key in ("ks", "dimension_by_k", "dimension_by_k_gaussian"):
        del stored[key]
    old = FilamentScoreResult.from_dict(stored)
    assert old.ks == () and np.isnan(old.smallest_dimension) and not old.dimension_resolved
    assert old.one_dimensional is None and not old.is_low_dimensional
    assert old.void_excess == result.void_excess


def test_ks_beyond_a_tenth_of_the_cloud_are_left_out() -> None:
    result = filament_score(_curve(n=500, dim=8), n_queries=100, ks=(5, 40, 60, 3000))
    assert result.ks == (5, 40)
    with pytest.raises(InputError, match="ks must be an integer of at least 3"):
        filament_score(_curve(n=500, dim=8), ks=(2, 5))


def test_the_radius_peak_of_a_gaussian_lies_within_its_null_tolerance() -> None:
    rng = np.random.default_rng(14)
    spectrum = 1 / np.arange(1, 65)
    cloud = rng.normal(size=(3000, 64)) * np.sqrt(spectrum * 64 / spectrum.sum())
    null = radius_peak_null(cloud, random_state=0)
    observed = radius_density(cloud)
    own = abs(observed.histograms[0].peak - observed.expected_peak) / observed.expected_peak
    assert null.relative_distances.shape == (19,) and null.peaks.shape == (19,)
    assert own <= null.tolerance == null.relative_distances.max()
    # the anisotropic Gaussian's peak sits below sqrt(sum E z^2): the null says by how much
    assert np.all(null.peaks < observed.expected_peak)
    np.testing.assert_array_equal(
        null.relative_distances, radius_peak_null(cloud, random_state=0).relative_distances
    )
    assert round_trip(null).tolerance == null.tolerance
    with pytest.raises(InputError, match="bin_width must be a positive"):
        radius_peak_null(cloud, bin_width=0.0)
