"""Heatmaps: the seed's factor grid, peak-normalised images, agreement with SciPy's densities."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal, multivariate_t

from latentatlas.data import heatmaps, load
from latentatlas.errors import InputError


@pytest.fixture(scope="module")
def gaussian():
    return load("heatmaps")


def reference(var_x: float, var_y: float, corr: float, dof: float | None = None) -> np.ndarray:
    """The seed's recipe with SciPy: density on np.meshgrid(linspace(-3, 3, 36)), over its max."""
    grid = np.linspace(-3, 3, 36)
    x, y = np.meshgrid(grid, grid)
    c = corr * np.sqrt(var_x * var_y)
    cov = [[var_x, c], [c, var_y]]
    points = np.dstack([x, y])
    if dof is None:
        density = multivariate_normal([0, 0], cov).pdf(points)
    else:
        density = multivariate_t([0, 0], cov, df=dof).pdf(points)
    return density / density.max()


def test_factor_grid_is_the_seeds_arange() -> None:
    np.testing.assert_array_equal(heatmaps.VARIANCES, np.arange(0.1, 5, 0.2))
    np.testing.assert_array_equal(heatmaps.CORRELATIONS, np.arange(-0.95, 0.95, 0.1))
    assert len(heatmaps.VARIANCES) == 25 and len(heatmaps.CORRELATIONS) == 19
    assert heatmaps.CORRELATIONS[-1] == pytest.approx(0.85)


def test_full_grid_shape_range_and_peak(gaussian) -> None:
    assert gaussian.x.shape == (11_875, 1, 36, 36) and gaussian.x.dtype == np.float32
    assert gaussian.factor_names == ("var_x", "var_y", "corr")
    assert gaussian.factor_kinds == ("continuous",) * 3
    assert gaussian.labels is None
    assert gaussian.x.min() >= 0.0
    np.testing.assert_array_equal(gaussian.x.max(axis=(1, 2, 3)), 1.0)
    # every (var_x, var_y, corr) combination exactly once
    assert len(np.unique(gaussian.factors, axis=0)) == 11_875


def test_factors_reproduce_images(gaussian) -> None:
    rows = np.random.default_rng(0).choice(len(gaussian), 200, replace=False)
    f = gaussian.factors[rows]
    np.testing.assert_array_equal(
        heatmaps.render_heatmaps(f[:, 0], f[:, 1], f[:, 2]), gaussian.x[rows]
    )
    for row in rows[:10]:
        np.testing.assert_allclose(gaussian.x[row, 0], reference(*gaussian.factors[row]), atol=1e-6)


def test_orientation_rows_are_y() -> None:
    # var_x large, var_y small: the blob is wide along columns (x), thin along rows (y)
    image = heatmaps.render_heatmaps([4.9], [0.1], [0.0])[0, 0]
    assert image.sum(axis=0).std() < image.sum(axis=1).std()


def test_t_extension_factors_labels_and_density() -> None:
    data = load("heatmaps-t", subsample=300, seed=3)
    assert data.x.shape == (300, 1, 36, 36)
    assert data.factor_names == ("var_x", "var_y", "corr", "dof")
    assert data.factor_kinds[-1] == "discrete"
    assert set(np.unique(data.factors[:, 3])) <= {2.0, 200.0}
    np.testing.assert_array_equal(data.labels, data.factors[:, 3] == 200.0)
    assert data.label_names == ("dof=2", "dof=200")
    np.testing.assert_array_equal(data.x.max(axis=(1, 2, 3)), 1.0)
    for row in range(5):
        np.testing.assert_allclose(data.x[row, 0], reference(*data.factors[row]), atol=1e-6)


def test_dof_rule_follows_the_seed() -> None:
    dof = heatmaps.dof_assignment(seed=0)
    total = heatmaps.factor_grid()[:, 0] + heatmaps.factor_grid()[:, 1]
    # (vx + vy)^2 - l > 20 with l in [0, 10): always 200 above sqrt(30), always 2 below sqrt(20)
    assert np.all(dof[total**2 > 30] == 200) and np.all(dof[total**2 <= 20] == 2)
    middle = (total**2 > 20) & (total**2 <= 30)
    assert 0 < np.mean(dof[middle] == 200) < 1
    np.testing.assert_array_equal(dof, heatmaps.dof_assignment(seed=0))
    assert not np.array_equal(dof, heatmaps.dof_assignment(seed=1))


def test_subsample_is_seeded_and_in_grid_order() -> None:
    a = load("heatmaps", subsample=50, seed=1)
    b = load("heatmaps", subsample="50", seed=1)
    np.testing.assert_array_equal(a.factors, b.factors)
    assert not np.array_equal(a.factors, load("heatmaps", subsample=50, seed=2).factors)
    with pytest.raises(InputError, match="exceeds its 11875 images"):
        load("heatmaps", subsample=20_000)
    with pytest.raises(InputError, match="must be an integer"):
        load("heatmaps", subsample="many")
