"""Tests for seed variability: Procrustes and CKA invariances, and the spread over seeds."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import ortho_group

from latentatlas.analysis import (
    linear_cka,
    procrustes_disparity,
    seed_variability,
    silhouette,
)
from latentatlas.errors import InputError


def _layout(n: int = 200, dim: int = 2, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    codes = rng.normal(size=(n, dim)) + 3.0 * labels[:, None]
    return codes, labels


def _similar_copy(codes, seed: int = 1):
    """The same layout rotated, reflected, scaled and translated."""
    rotation = ortho_group.rvs(codes.shape[1], random_state=seed)
    reflection = np.diag([-1.0] + [1.0] * (codes.shape[1] - 1))
    return 3.7 * codes @ rotation @ reflection + np.arange(1, codes.shape[1] + 1) * 5.0


@pytest.mark.parametrize("dim", [2, 5])
def test_similar_copy_has_disparity_zero_and_cka_one(dim):
    codes, _ = _layout(dim=dim)
    copy = _similar_copy(codes)
    assert procrustes_disparity(codes, copy) == pytest.approx(0.0, abs=1e-10)
    assert linear_cka(codes, copy) == pytest.approx(1.0, abs=1e-10)


def test_cka_invariant_to_orthogonal_transform_and_isotropic_scale():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(150, 6))
    b = a @ rng.normal(size=(6, 4)) + 0.5 * rng.normal(size=(150, 4))
    reference = linear_cka(a, b)
    rotation = ortho_group.rvs(4, random_state=4)
    assert linear_cka(a, 0.01 * b @ rotation) == pytest.approx(reference, abs=1e-10)
    assert linear_cka(b, a) == pytest.approx(reference, abs=1e-12)
    assert 0.0 < reference < 1.0


def test_cka_of_independent_noise_is_small():
    rng = np.random.default_rng(5)
    assert linear_cka(rng.normal(size=(2000, 2)), rng.normal(size=(2000, 2))) < 0.01


def test_procrustes_disparity_of_unrelated_layouts_is_large_and_symmetric():
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(500, 2)), rng.normal(size=(500, 2))
    assert procrustes_disparity(a, b) > 0.9
    assert procrustes_disparity(a, b) == pytest.approx(procrustes_disparity(b, a), abs=1e-12)


def test_seed_variability_of_identical_codes():
    codes, labels = _layout()
    result = seed_variability([codes, codes, codes], labels)
    assert result.silhouette_std == 0.0
    assert result.procrustes_mean == pytest.approx(0.0, abs=1e-10)
    assert result.cka_mean == pytest.approx(1.0, abs=1e-10)
    assert result.procrustes.shape == result.cka.shape == (3, 3)


def test_seed_variability_of_similar_copies():
    # the silhouette is invariant to rotation, reflection, translation and uniform scale
    codes, labels = _layout()
    result = seed_variability([codes, _similar_copy(codes, 1), _similar_copy(codes, 2)], labels)
    assert result.silhouette_std == pytest.approx(0.0, abs=1e-12)
    assert result.procrustes_mean == pytest.approx(0.0, abs=1e-10)
    assert result.cka_mean == pytest.approx(1.0, abs=1e-10)


def test_seed_variability_summarises_different_layouts():
    rng = np.random.default_rng(7)
    labels = np.repeat([0, 1], 100)
    codes = [rng.normal(size=(200, 2)) + spread * labels[:, None] for spread in (1.0, 2.0, 4.0)]
    result = seed_variability(codes, labels)
    scores = [silhouette(c, labels).mean for c in codes]
    assert result.silhouette_by_seed == pytest.approx(tuple(scores))
    assert result.silhouette_mean == pytest.approx(np.mean(scores))
    assert result.silhouette_std == pytest.approx(np.std(scores, ddof=1))
    assert (result.silhouette_min, result.silhouette_max) == (min(scores), max(scores))
    assert result.procrustes[0, 1] == pytest.approx(procrustes_disparity(codes[0], codes[1]))
    assert result.cka[2, 0] == pytest.approx(linear_cka(codes[0], codes[2]))
    upper = result.procrustes[np.triu_indices(3, k=1)]
    assert result.procrustes_mean == pytest.approx(upper.mean())
    assert result.layout_spread == result.procrustes_mean
    assert result.silhouette_relative_spread == pytest.approx(
        result.silhouette_std / result.silhouette_mean
    )
    encoded = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert len(encoded["procrustes"]) == 3


def test_seed_variability_with_one_seed_has_no_pairs():
    codes, labels = _layout()
    result = seed_variability([codes], labels)
    assert result.silhouette_std == 0.0
    assert result.procrustes_mean is None and result.cka_mean is None
    assert result.layout_spread is None
    assert result.procrustes.tolist() == [[0.0]] and result.cka.tolist() == [[1.0]]
    json.dumps(result.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c, y: seed_variability([], y), "empty"),
        (lambda c, y: seed_variability([c, c[:, :1]], y), r"codes_by_seed\[1\] has shape"),
        (lambda c, y: seed_variability([c], y[:-1]), "labels has 199 entries"),
        (lambda c, y: procrustes_disparity(c, c[:-1]), "rows"),
        (lambda c, y: procrustes_disparity(c, np.ones_like(c)), "undefined"),
        (lambda c, y: linear_cka(c, np.ones_like(c)), "undefined"),
        (lambda c, y: linear_cka(c, np.full_like(c, np.nan)), "NaN"),
    ],
)
def test_bad_input_raises_input_error(call, message):
    codes, labels = _layout()
    with pytest.raises(InputError, match=message):
        call(codes, labels)


def test_procrustes_align_undoes_rotation_reflection_scale_and_shift():
    from latentatlas.analysis import procrustes_align

    rng = np.random.default_rng(3)
    reference = rng.normal(size=(60, 2))
    angle = 1.1
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = 2.5 * reference @ rotation @ np.diag([1.0, -1.0]) + [4.0, -7.0]
    np.testing.assert_allclose(procrustes_align(reference, moved), reference, atol=1e-12)
    noisy = moved + rng.normal(scale=0.01, size=moved.shape)
    aligned = procrustes_align(reference, noisy)
    assert np.abs(aligned - reference).max() < 0.05
    with pytest.raises(InputError, match="same points"):
        procrustes_align(reference, reference[:10])
