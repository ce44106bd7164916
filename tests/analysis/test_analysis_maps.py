"""Tests for 2-d maps: neighbour preservation, trustworthiness, t-SNE and UMAP maps."""

from __future__ import annotations

import numpy as np
import pytest
from _results import clusters, round_trip
from sklearn.manifold import trustworthiness

from latentatlas.analysis.maps import (
    EmbeddingResult,
    embed_2d,
    map_trustworthiness,
    neighbour_preservation,
)
from latentatlas.errors import InputError


def test_neighbour_preservation_known_answers() -> None:
    codes, _ = clusters(n=500, dim=2)
    assert neighbour_preservation(codes, codes * 3.0 + 1.0) == 1.0  # a similarity keeps all
    rng = np.random.default_rng(2)
    shuffled = rng.permutation(codes)
    assert neighbour_preservation(codes, shuffled) < 0.05  # a random map keeps about k / n
    padded = np.hstack([codes, np.zeros((500, 5))])
    assert neighbour_preservation(padded, codes, n_queries=100) == 1.0
    with pytest.raises(InputError, match="embedding has 10 rows but codes has 500"):
        neighbour_preservation(codes, codes[:10])


def test_tsne_map_is_repeatable_keeps_neighbours_and_round_trips() -> None:
    codes, labels = clusters(n=1100, dim=10)  # above 1,000 points: approximate neighbours
    options = dict(perplexity=10, early_exaggeration=16, n_iter=120, random_state=3, n_jobs=1)
    first = embed_2d(codes, **options)
    second = embed_2d(codes, **options)
    np.testing.assert_array_equal(first.embedding, second.embedding)
    assert first.embedding.shape == (1100, 2) and first.perplexity == 10.0
    assert first.preservation > 0.25 and first.n_evaluated == 1100  # random: 10 / 1100
    # clusters stay apart: each point's nearest point in the map shares its label
    near = np.argsort(((first.embedding[:, None] - first.embedding[None]) ** 2).sum(-1), 1)[:, 1]
    assert np.mean(labels[near] == labels) > 0.95
    again = round_trip(first)
    assert isinstance(again, EmbeddingResult) and again.n_neighbors is None
    np.testing.assert_array_equal(again.embedding, first.embedding)
    assert again.trustworthiness == first.trustworthiness and first.trustworthiness_n == 1100
    # the same k as preservation, on all 1,100 points (below the 2,000-point sample)
    assert first.trustworthiness == pytest.approx(
        trustworthiness(codes, first.embedding, n_neighbors=10), abs=1e-12
    )


def test_trustworthiness_is_scikit_learns_on_a_seeded_sample() -> None:
    codes, _ = clusters(n=500, dim=6)
    embedding = codes[:, :2] + np.random.default_rng(1).normal(scale=0.3, size=(500, 2))
    score, used = map_trustworthiness(codes, embedding, k=7, n_samples=None)
    assert used == 500
    assert score == pytest.approx(trustworthiness(codes, embedding, n_neighbors=7), abs=1e-12)
    sampled, used = map_trustworthiness(codes, embedding, k=7, n_samples=200, random_state=4)
    rows = np.sort(np.random.default_rng(4).choice(500, size=200, replace=False))
    expected = trustworthiness(codes[rows], embedding[rows], n_neighbors=7)
    assert used == 200 and sampled == pytest.approx(expected, abs=1e-12)
    assert map_trustworthiness(codes, embedding, k=7, n_samples=200, random_state=4)[0] == sampled
    assert map_trustworthiness(codes, codes * 2.0, k=7)[0] == pytest.approx(1.0)
    assert map_trustworthiness(codes, embedding, k=7, n_samples=14) == (None, 14)  # k >= n / 2
    with pytest.raises(InputError, match="embedding has 10 rows but codes has 500"):
        map_trustworthiness(codes, embedding[:10])
    with pytest.raises(InputError, match="n_samples"):
        map_trustworthiness(codes, embedding, n_samples=0)


def test_maps_stored_before_trustworthiness_still_load() -> None:
    old = EmbeddingResult(np.zeros((3, 2), np.float32), "tsne", None, None, 30.0, 12.0, 400,
                          None, 0, 0.8, 10, 3).to_dict()  # fmt: skip
    del old["trustworthiness"], old["trustworthiness_n"]
    loaded = EmbeddingResult.from_dict(old)
    assert loaded.trustworthiness is None and loaded.trustworthiness_n is None


def test_tsne_with_fft_gradients_is_repeatable() -> None:
    codes, _ = clusters(n=200, dim=6)
    first = embed_2d(codes, gradient="fft", n_iter=60, n_jobs=2)  # two threads, same map
    second = embed_2d(codes, gradient="fft", n_iter=60, n_jobs=2)
    np.testing.assert_array_equal(first.embedding, second.embedding)


@pytest.mark.parametrize("gradient", ["bh", "fft"])
def test_float32_codes_are_mapped_without_a_float64_copy_to_the_same_map(gradient) -> None:
    # The map of float32 codes runs on them as given; it must be the map of their float64
    # copy (the old input), to the last bit: same neighbours, same float64 initialisation.
    codes, _ = clusters(n=300, dim=8)
    codes32 = codes.astype(np.float32)
    as_given = embed_2d(codes32, gradient=gradient, n_iter=40, n_jobs=1)
    upcast = embed_2d(codes32.astype(np.float64), gradient=gradient, n_iter=40, n_jobs=1)
    np.testing.assert_array_equal(as_given.embedding, upcast.embedding)
    assert as_given.preservation == upcast.preservation


@pytest.mark.parametrize(("n", "gradient"), [(300, "fft"), (1100, "bh")])
def test_tsne_map_is_opentsnes_fit_to_the_last_bit(n, gradient) -> None:
    # embed_2d computes the affinities apart to free openTSNE's neighbour index early (issue
    # 30); the map must still be TSNE.fit's, exact (300) and Annoy (1,100) neighbours alike.
    import openTSNE
    from openTSNE.initialization import pca

    codes = clusters(n=n, dim=8)[0].astype(np.float32)
    ours = embed_2d(codes, gradient=gradient, n_iter=40, n_jobs=1, random_state=4)
    tsne = openTSNE.TSNE(early_exaggeration_iter=10, n_iter=30, negative_gradient_method=gradient,
                         n_jobs=1, random_state=4)  # fmt: skip
    theirs = tsne.fit(codes, initialization=pca(codes.astype(np.float64), random_state=4))
    np.testing.assert_array_equal(ours.embedding, np.asarray(theirs, dtype=np.float32))


def test_tsne_after_pca_and_prereduction() -> None:
    codes, _ = clusters(n=200, dim=12)
    on_pcs = embed_2d(codes, n_components=2, n_iter=40, n_jobs=1)
    assert on_pcs.n_components == 2 and on_pcs.prereduce is None
    assert embed_2d(codes, prereduce=4, n_iter=40, n_jobs=1).prereduce == 4
    assert embed_2d(codes, n_iter=40, n_jobs=1).prereduce is None  # off by default
    assert embed_2d(codes[:40], n_iter=40, n_jobs=1).perplexity == 13.0  # capped: (n - 1) / 3


def test_bad_map_options() -> None:
    codes, _ = clusters(n=50)
    with pytest.raises(InputError, match="method must be"):
        embed_2d(codes, method="pca")
    with pytest.raises(InputError, match="gradient must be"):
        embed_2d(codes, gradient="exact")
    with pytest.raises(InputError, match="perplexity must be"):
        embed_2d(codes, perplexity=40)
    with pytest.raises(InputError, match="n_components=9 exceeds the 8"):
        embed_2d(codes, n_components=9)
    with pytest.raises(InputError, match="NaN"):
        embed_2d(np.full((10, 3), np.nan))
    with pytest.raises(InputError, match="n_trust"):
        embed_2d(codes, n_trust=-1)


@pytest.mark.slow
def test_umap_map_is_repeatable() -> None:
    codes, _ = clusters(n=500, dim=6)
    first = embed_2d(codes, method="umap", random_state=1)
    second = embed_2d(codes, method="umap", random_state=1)
    np.testing.assert_array_equal(first.embedding, second.embedding)
    assert first.method == "umap" and first.n_neighbors == 15 and first.preservation > 0.4
