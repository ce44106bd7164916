"""Work that cannot fit in memory is refused up front with the memory it needs, or blocked."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from latentatlas import _env
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
    monkeypatch.setattr(_env, "memory_bytes", lambda: 2**30)
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


# -- a study's settings: the memory estimate before the first write -------------------------------
def test_the_conv_estimate_covers_the_activations_autograd_keeps():
    """Measured with saved-tensor hooks on conv-vae steps at 96 px: what autograd keeps per
    image (the rise from batch 8 to 16; the weights are the model's own estimate) is at most
    the estimate, which leaves room for the gradients of backward but not twice as much."""
    import torch

    from latentatlas.resources import step_cost
    from latentatlas.studies.config import conv_memory
    from latentatlas.studies.filaments.config import SOURCE_FILTERS

    saved = [
        step_cost(
            "conv-vae", (3, 96, 96), 256, batch, 1, torch.device("cpu"), filters=SOURCE_FILTERS
        ).saved_activations_mib
        for batch in (8, 16)
    ]
    per_image = (saved[1] - saved[0]) / 8 * 2**20
    estimate = conv_memory(1, 3, 96, SOURCE_FILTERS, "").needed
    assert per_image <= estimate <= 2 * per_image, (per_image, estimate)


def test_the_tsne_estimate_counts_the_neighbours_opentsne_takes():
    from latentatlas.studies.config import TSNE_BYTES_PER_NEIGHBOUR, tsne_memory

    assert tsne_memory(1000, 10.0, "").needed == 1000 * 30 * TSNE_BYTES_PER_NEIGHBOUR
    assert tsne_memory(50, 30.0, "").needed == 50 * 49 * TSNE_BYTES_PER_NEIGHBOUR  # n - 1 cap


@pytest.mark.parametrize(
    ("study", "settings", "named"),
    [
        ("filaments", {"memory_batch_sizes": (4096,), "memory_image_side": 1024}, "memory_batch"),
        ("filaments", {"n": 10**6, "tsne_points": 10**6, "perplexity": 3e5}, "tsne_points"),
        ("filaments", {"dataset": "images", "path": "x", "image_size": 1024}, "image_size"),
        ("inspect", {"codes": ("x",), "tsne_points": 10**6, "perplexity": 1e4}, "perplexity"),
    ],
)
def test_settings_beyond_the_machine_are_refused_before_the_first_write(
    tmp_path, study, settings, named
):
    """Within every declared bound, these asked for 54 GiB to 43,000 GiB mid-study."""
    from latentatlas.studies import engine
    from latentatlas.studies.config import check_memory

    config_type = engine.get(study).config_type
    config = config_type(**settings, fingerprints=("x=0",)) if study == "inspect" else None
    config = config or config_type(**settings)
    with pytest.raises(InputError, match=rf"GiB \(set by [^)]*{named}.*more than this machine"):
        check_memory(config)
    with pytest.raises(InputError, match="GiB"):
        engine.run(study, config, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_the_default_and_quick_settings_fit_this_machine():
    from latentatlas.studies import engine
    from latentatlas.studies.config import check_memory

    for name in ("digit-pairs", "heatmaps", "filaments", "disentanglement"):
        config_type = engine.get(name).config_type
        check_memory(config_type())
        check_memory(config_type.quick())
