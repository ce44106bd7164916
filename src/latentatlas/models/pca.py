"""Exact PCA as a model: closed form from the training data; decode is the inverse projection."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from numpy.typing import NDArray

from latentatlas.errors import InputError
from latentatlas.models.base import Autoencoder

_EXACT_MAX_FEATURES = 8192  # a d x d float64 covariance up to 512 MiB; beyond, randomized SVD
_BATCH = 4096


class PCA(Autoencoder):
    """Principal component analysis with the autoencoder interface.

    ``encode(x) = (x - mean) @ components.T`` and ``decode(z) = z @ components + mean``, where the
    rows of ``components`` are the top-``latent_dim`` eigenvectors of the training covariance
    (Pearson 1901; Jolliffe, Principal Component Analysis, 2002). The mean, components and
    explained variances are buffers, so they are saved with the weights. Signs are fixed so that the
    largest-magnitude entry of each component is positive, which makes the codes deterministic.
    """

    name = "pca"
    summary = "exact PCA (closed form, no gradient steps); decode is the inverse projection"
    closed_form = True
    option_defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, input_shape: tuple[int, ...], latent_dim: int, options: dict[str, Any]):
        super().__init__(input_shape, latent_dim, options)
        if latent_dim > self.input_size:
            raise InputError(
                f"pca latent_dim {latent_dim} exceeds the {self.input_size} input features"
            )
        self.register_buffer("mean", torch.zeros(self.input_size))
        self.register_buffer("components", torch.zeros(latent_dim, self.input_size))
        self.register_buffer("explained_variance", torch.zeros(latent_dim))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1) - self.mean) @ self.components.T

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return (z @ self.components + self.mean).view(-1, *self.input_shape)

    def fit_closed_form(self, x: Any) -> None:
        """Fit mean and components to ``x`` of shape (n, *input_shape), read batch by batch.

        Parameters
        ----------
        x : array-like of shape (n, *input_shape)
            Training inputs: an ndarray, a memory map, or any object with ``len`` and slicing.
        """
        n = len(x)
        if n < 2:
            raise InputError(f"pca needs at least 2 training samples, got {n}")
        if self.input_size <= _EXACT_MAX_FEATURES:
            mean, components, variance = _pca_from_covariance(x, self.latent_dim)
        else:
            mean, components, variance = _pca_randomized(x, self.latent_dim)
        signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
        components *= np.where(signs == 0, 1.0, signs)[:, None]
        self.mean.copy_(torch.from_numpy(mean))
        self.components.copy_(torch.from_numpy(components))
        self.explained_variance.copy_(torch.from_numpy(variance))


def _batches(x: Any) -> Any:
    for start in range(0, len(x), _BATCH):
        yield np.asarray(x[start : start + _BATCH], dtype=np.float64).reshape(
            min(_BATCH, len(x) - start), -1
        )


def _pca_from_covariance(x: Any, k: int) -> tuple[NDArray, NDArray, NDArray]:
    """Exact PCA from the float64 covariance, accumulated batch by batch."""
    n = len(x)
    total = sum(batch.sum(axis=0) for batch in _batches(x))
    mean = total / n
    scatter = sum((batch - mean).T @ (batch - mean) for batch in _batches(x))
    eigenvalues, eigenvectors = np.linalg.eigh(scatter / (n - 1))
    order = np.argsort(eigenvalues)[::-1][:k]
    return mean, np.ascontiguousarray(eigenvectors[:, order].T), eigenvalues[order]


def _pca_randomized(x: Any, k: int) -> tuple[NDArray, NDArray, NDArray]:
    """Randomized SVD (Halko et al. 2011) of the centred data, for very wide inputs."""
    from sklearn.utils.extmath import randomized_svd  # late: sklearn is slow to import

    data = np.concatenate(list(_batches(x)))
    mean = data.mean(axis=0)
    data -= mean
    _, singular, vt = randomized_svd(data, k, n_iter=7, random_state=0)
    return mean, vt, singular**2 / (len(data) - 1)
