"""Work that cannot fit in memory is refused up front with the memory it needs, or blocked."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from latentatlas.analysis import _checks, clusters
from latentatlas.errors import InputError
from latentatlas.models import build
from latentatlas.models.registry import check_buildable


def test_a_silhouette_tile_of_a_million_squared_is_refused_with_the_memory_it_needs():
    n = 10**6
    codes = np.zeros((n, 1), dtype=np.float32)
    codes[::2] = 1.0
    labels = np.arange(n) % 2
    with pytest.raises(InputError, match=r"block_size=1000000 .* needs 7,450\.6 GiB"):
        clusters.silhouette(codes, labels, block_size=n)  # was np.empty's MemoryError


def test_the_default_silhouette_of_a_million_points_is_blocked():
    """The n = 10**6 silhouette takes the tiled path: 32 MiB tiles, never the 8 TB matrix."""
    block = clusters._check_block_size(None, 10**6)
    assert 8 * block * block <= clusters.DEFAULT_TILE_BYTES < 8 * (10**6) ** 2 / 10**5


def test_the_silhouette_peak_memory_stays_far_below_the_full_matrix():
    rng = np.random.default_rng(0)
    n = 3000
    codes, labels = rng.normal(size=(n, 2)), rng.integers(0, 3, n)
    tracemalloc.start()
    result = clusters.silhouette(codes, labels, block_size=500)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 * n * n / 8, f"peak {peak / 2**20:.1f} MiB"  # an eighth of the n x n matrix
    from sklearn.metrics import silhouette_score

    assert result.mean == pytest.approx(silhouette_score(codes, labels), abs=1e-12)


def test_check_fits_in_memory_names_what_and_how_much(monkeypatch):
    monkeypatch.setattr(_checks, "memory_bytes", lambda: 2**30)
    _checks.check_fits_in_memory(2**29, "half", "no hint")  # fits: no error
    with pytest.raises(
        InputError, match=r"^a matrix needs 2\.0 GiB, more than this machine's 1\.0 GiB; shrink it$"
    ):
        _checks.check_fits_in_memory(2**31, "a matrix", "shrink it")


@pytest.mark.parametrize(
    ("name", "latent_dim", "options"),
    [("ae", 2, {"hidden": [2**20, 2**20]}), ("ae", 2**40, {"hidden": [8]}), ("pca", 2**31, {})],
)
def test_a_model_too_large_for_memory_is_refused_before_allocating(name, latent_dim, options):
    with pytest.raises(InputError, match=r"GiB|cannot be built"):
        build(name, (1, 28, 28), latent_dim, **options)
    from latentatlas.config import ModelConfig

    with pytest.raises(InputError):
        check_buildable(ModelConfig(name, latent_dim, options), (1, 28, 28))
