"""PCA agrees with scikit-learn; a trained linear autoencoder spans PCA's subspace."""

from __future__ import annotations

import numpy as np
import torch
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA as SklearnPCA

from latentatlas.config import TrainConfig
from latentatlas.models import build, encode_array, reconstruct_array
from latentatlas.train import fit, seed_everything

torch.set_num_threads(1)


def _low_rank(n: int = 400, d: int = 20, rank: int = 3, noise: float = 0.01) -> np.ndarray:
    rng = np.random.default_rng(0)
    scales = np.array([3.0, 2.0, 1.0])[:rank]
    signal = rng.normal(size=(n, rank)) * scales @ np.linalg.qr(rng.normal(size=(d, rank)))[0].T
    return (0.5 + signal + noise * rng.normal(size=(n, d))).astype(np.float32)


def test_pca_reconstruction_equals_scikit_learn():
    x = _low_rank()
    model = build("pca", (20,), 3)
    model.fit_closed_form(x)
    reference = SklearnPCA(n_components=3).fit(x)
    expected = reference.inverse_transform(reference.transform(x))
    np.testing.assert_allclose(reconstruct_array(model, x), expected, atol=1e-5)
    np.testing.assert_allclose(
        model.explained_variance.numpy(), reference.explained_variance_, rtol=1e-4
    )
    codes = encode_array(model, x)
    np.testing.assert_allclose(np.abs(codes), np.abs(reference.transform(x)), atol=1e-4)


def test_pca_reads_lazy_images_batch_by_batch():
    x = _low_rank(d=16).reshape(-1, 1, 4, 4)
    in_memory, lazy = build("pca", (1, 4, 4), 2), build("pca", (1, 4, 4), 2)
    in_memory.fit_closed_form(x)
    lazy.fit_closed_form(np.lib.stride_tricks.as_strided(x))  # any sliceable array works
    torch.testing.assert_close(in_memory.components, lazy.components)


def test_linear_autoencoder_spans_the_principal_subspace():
    x = _low_rank()
    seed_everything(0)
    model = build("linear-ae", (20,), 3)
    config = TrainConfig(epochs=60, batch_size=32, lr=1e-2, patience=None, device="cpu")
    fit(model, x[:320], x[320:], config, seed=0, progress=False)
    reference = SklearnPCA(n_components=3).fit(x[:320])
    decoder_columns = model.decoder.weight.detach().numpy()  # (d, k): its span is the subspace
    angles = np.degrees(subspace_angles(decoder_columns, reference.components_.T))
    assert angles.max() < 5.0
