"""Fully connected models: linear-ae, ae, dae, vae and ae-classifier (inputs are flattened)."""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

import torch
from torch import nn

from latentatlas.errors import InputError
from latentatlas.models.base import (
    Autoencoder,
    VariationalMixin,
    activation,
    choice,
    int_tuple,
    positive_number,
)


def _mlp(sizes: list[int], options: dict[str, Any], model: str) -> list[nn.Module]:
    """Linear layers through ``sizes`` with the chosen activation between them (not after)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation(options, model))
    return layers


def _output_layer(options: dict[str, Any], model: str) -> list[nn.Module]:
    return (
        [nn.Sigmoid()]
        if choice(options, "output", ("sigmoid", "linear"), model) == "sigmoid"
        else []
    )


class LinearAutoencoder(Autoencoder):
    """Linear autoencoder d -> k -> d with untied weights and no activations.

    Trained with MSE it spans the same subspace as PCA's top-k components (Baldi & Hornik 1989;
    Plaut 2018), in a different basis: the stand-in for PCA of the digit-pairs source.
    """

    name = "linear-ae"
    summary = "linear autoencoder d->k->d, untied, no activations (spans PCA's subspace)"
    option_defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, input_shape: tuple[int, ...], latent_dim: int, options: dict[str, Any]):
        super().__init__(input_shape, latent_dim, options)
        self.encoder = nn.Linear(self.input_size, latent_dim)
        self.decoder = nn.Linear(latent_dim, self.input_size)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).view(-1, *self.input_shape)


class DenseAutoencoder(Autoencoder):
    """Dense autoencoder d -> hidden -> k -> reversed(hidden) -> d, untied weights, MSE loss.

    Defaults follow the digit-pairs source: hidden (128, 32), tanh. The code layer is linear;
    the output goes through a sigmoid by default because inputs are in [0, 1] (``output="linear"``
    drops it).
    """

    name = "ae"
    summary = "dense autoencoder d-128-32-k (untied, MSE), the digit-pairs model"
    option_defaults: ClassVar[dict[str, Any]] = {
        "hidden": (128, 32),
        "activation": "tanh",
        "output": "sigmoid",
    }

    def __init__(self, input_shape: tuple[int, ...], latent_dim: int, options: dict[str, Any]):
        super().__init__(input_shape, latent_dim, options)
        hidden = list(int_tuple(self.options, "hidden", self.name))
        self.options["hidden"] = tuple(hidden)
        self.encoder = nn.Sequential(
            *_mlp([self.input_size, *hidden, self._code_width()], self.options, self.name)
        )
        self.decoder = nn.Sequential(
            *_mlp([latent_dim, *reversed(hidden), self.input_size], self.options, self.name),
            *_output_layer(self.options, self.name),
        )

    def _code_width(self) -> int:
        return self.latent_dim

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).view(-1, *self.input_shape)


class DenoisingAutoencoder(DenseAutoencoder):
    """The ``ae`` trained on noisy inputs: x + noise * N(0, 1), clipped to [0, 1], training only."""

    name = "dae"
    summary = "denoising dense autoencoder: ae + Gaussian input noise (factor 0.3) in training"
    option_defaults: ClassVar[dict[str, Any]] = {**DenseAutoencoder.option_defaults, "noise": 0.3}
    denoising = True

    def __init__(self, input_shape: tuple[int, ...], latent_dim: int, options: dict[str, Any]):
        super().__init__(input_shape, latent_dim, options)
        self.noise = positive_number(self.options, "noise", self.name, allow_zero=True)

    def corrupt(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Add Gaussian noise with standard deviation ``noise`` and clip to [0, 1].

        ``generator`` None draws from the global torch generator, which the trainer seeds and
        checkpoints; pass a seeded generator to draw reproducible examples for a report.
        """
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return (x + self.noise * noise).clamp(0.0, 1.0)


class DenseVAE(VariationalMixin, Autoencoder):
    """Dense variational autoencoder with the reparameterisation trick.

    Loss = reconstruction + beta * KL per sample, averaged over the batch (Kingma & Welling 2014;
    beta-VAE, Higgins et al. 2017). ``encode`` returns the posterior mean. In evaluation mode the
    loss decodes the mean too, so the validation loss is deterministic.
    """

    name = "vae"
    summary = "dense VAE d-128-32-(mu, logvar); beta, gaussian or bernoulli decoder"
    default_lr = 1e-3  # 1e-2 makes the sampled ELBO noisy enough to diverge on MNIST
    variational = True
    option_defaults: ClassVar[dict[str, Any]] = {
        "hidden": (128, 32),
        "activation": "tanh",
        "beta": 1.0,
        "decoder": "gaussian",
    }

    def __init__(self, input_shape: tuple[int, ...], latent_dim: int, options: dict[str, Any]):
        super().__init__(input_shape, latent_dim, options)
        hidden = list(int_tuple(self.options, "hidden", self.name, min_items=1))
        self.options["hidden"] = tuple(hidden)
        self.beta = positive_number(self.options, "beta", self.name, allow_zero=True)
        self.decoder_kind = choice(self.options, "decoder", ("gaussian", "bernoulli"), self.name)
        self.encoder = nn.Sequential(
            *_mlp([self.input_size, *hidden], self.options, self.name),
            activation(self.options, self.name),
        )
        self.mu = nn.Linear(hidden[-1], latent_dim)
        self.logvar = nn.Linear(hidden[-1], latent_dim)
        self.decoder = nn.Sequential(
            *_mlp([latent_dim, *reversed(hidden), self.input_size], self.options, self.name),
            nn.Sigmoid(),
        )

    def encode_distribution(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x.flatten(1))
        return self.mu(h), self.logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).view(-1, *self.input_shape)


class ClassifierAutoencoder(DenseAutoencoder):
    """Dense autoencoder with a linear classifier on the code (the disentanglement source).

    Loss = MSE reconstruction + alpha * cross-entropy of ``classifier(z)`` against the labels.
    """

    name = "ae-classifier"
    summary = "dense autoencoder + linear classifier on z; loss = MSE + alpha * cross-entropy"
    needs_labels = True
    option_defaults: ClassVar[dict[str, Any]] = {
        "hidden": (128, 32),
        "activation": "relu",
        "output": "sigmoid",
        "alpha": 1.0,
        "n_classes": 10,
    }

    def __init__(self, input_shape: tuple[int, ...], latent_dim: int, options: dict[str, Any]):
        super().__init__(input_shape, latent_dim, options)
        self.alpha = positive_number(self.options, "alpha", self.name, allow_zero=True)
        n_classes = self.options["n_classes"]
        if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
            raise InputError(f"option n_classes of model {self.name} must be an integer >= 2")
        self.classifier = nn.Linear(latent_dim, n_classes)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits of shape (n, n_classes)."""
        return self.classifier(self.encode(x))

    def loss(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        if labels is None:
            raise InputError(f"model {self.name} needs labels, but the data set has none")
        z = self.encode(x)
        reconstruction = nn.functional.mse_loss(self.decode(z), x)
        classification = nn.functional.cross_entropy(self.classifier(z), labels)
        return {
            "total": reconstruction + self.alpha * classification,
            "reconstruction": reconstruction,
            "classification": classification,
        }
