"""The contract every model keeps: encode, decode, a loss dictionary, and option checking."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import nn

from latentatlas.errors import InputError

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
}


class Autoencoder(nn.Module):
    """Base class of all latentatlas models.

    Subclasses set the class attributes below and implement :meth:`encode`, :meth:`decode`
    and, where the loss is more than a reconstruction error, :meth:`loss`.

    Attributes
    ----------
    name : str
        Registry name.
    summary : str
        One line for ``latentatlas models``.
    option_defaults : dict
        Every option the model takes, with its default.
    default_lr : float
        Adam learning rate when the training config leaves ``lr`` unset.
    needs_labels : bool
        True when :meth:`loss` needs class labels (``ae-classifier``).
    closed_form : bool
        True when the model is fitted by :meth:`fit_closed_form` instead of gradient steps (PCA).
    variational : bool
        True for VAEs: :meth:`encode_distribution` gives (mu, logvar).
    denoising : bool
        True when :meth:`corrupt` adds noise to the training input (the denoising autoencoder).
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    option_defaults: ClassVar[dict[str, Any]] = {}
    default_lr: ClassVar[float] = 1e-2
    needs_labels: ClassVar[bool] = False
    closed_form: ClassVar[bool] = False
    variational: ClassVar[bool] = False
    denoising: ClassVar[bool] = False

    def __init__(self, input_shape: tuple[int, ...], latent_dim: int, options: dict[str, Any]):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.latent_dim = int(latent_dim)
        self.input_size = math.prod(self.input_shape)
        self.options = {**self.option_defaults, **options}

    # -- the contract ---------------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Map inputs of shape (n, *input_shape) to codes of shape (n, latent_dim)."""
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Map codes of shape (n, latent_dim) to reconstructions of shape (n, *input_shape)."""
        raise NotImplementedError

    def encode_distribution(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and log-variance, each (n, latent_dim); only variational models."""
        raise NotImplementedError(f"{self.name} is not variational")

    def corrupt(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The input the model sees in training; identity except for denoising models."""
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct ``x`` (deterministically: a VAE decodes its mean)."""
        return self.decode(self.encode(x))

    def loss(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Loss terms for a batch; ``"total"`` is the one minimised.

        The default is the mean squared error over all elements; in training mode the input
        first goes through :meth:`corrupt`.
        """
        source = self.corrupt(x) if self.training else x
        reconstruction = nn.functional.mse_loss(self.decode(self.encode(source)), x)
        return {"total": reconstruction, "reconstruction": reconstruction}

    @property
    def n_parameters(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def fit_closed_form(self, x: Any) -> None:
        """Fit without gradient steps; only models with ``closed_form = True``."""
        raise NotImplementedError(f"{self.name} is trained by gradient steps")

    def encoder_modules(self) -> list[nn.Module]:
        """Modules that make up the encoder (for parameter counts)."""
        return [getattr(self, n) for n in ("encoder", "mu", "logvar") if hasattr(self, n)]

    def decoder_modules(self) -> list[nn.Module]:
        """Modules that make up the decoder (for parameter counts)."""
        return [self.decoder] if hasattr(self, "decoder") else []

    def extra_repr(self) -> str:
        return f"input_shape={self.input_shape}, latent_dim={self.latent_dim}"


# -- option checking shared by the model classes ---------------------------------------------------
def choice(options: dict[str, Any], key: str, allowed: tuple[str, ...], model: str) -> str:
    """Return ``options[key]`` if it is one of ``allowed``, else raise InputError."""
    value = options[key]
    if value not in allowed:
        raise InputError(
            f"option {key}={value!r} of model {model} is not valid; choose one of "
            f"{', '.join(allowed)}"
        )
    return str(value)


def positive_number(
    options: dict[str, Any], key: str, model: str, allow_zero: bool = False
) -> float:
    """Return ``options[key]`` as a float if it is a positive (or zero) finite number."""
    value = options[key]
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not (value >= 0 if allow_zero else value > 0) or value != value:
        expected = "a non-negative number" if allow_zero else "a positive number"
        raise InputError(f"option {key} of model {model} must be {expected}, got {value!r}")
    return float(value)


def int_tuple(options: dict[str, Any], key: str, model: str, min_items: int = 0) -> tuple[int, ...]:
    """Return ``options[key]`` as a tuple of at least ``min_items`` positive ints (accepts
    "128,32" strings too)."""
    value = options[key]
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    try:
        sizes = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        sizes = ()
        value = None
    if value is None or any(s < 1 for s in sizes):
        raise InputError(
            f"option {key} of model {model} must be a list of positive integers, got "
            f"{options[key]!r}"
        )
    if len(sizes) < min_items:
        raise InputError(
            f"option {key} of model {model} needs at least {min_items} value(s), got "
            f"{options[key]!r}"
        )
    return sizes


def activation(options: dict[str, Any], model: str) -> nn.Module:
    """A new activation module for ``options["activation"]``."""
    return ACTIVATIONS[choice(options, "activation", tuple(ACTIVATIONS), model)]()


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over dimensions, averaged over the batch.

    Kingma & Welling (2014), Auto-Encoding Variational Bayes, appendix B.
    """
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)).mean()


def reparameterise(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Sample z = mu + sigma * eps with the global torch generator (seeded by the trainer)."""
    return mu + torch.randn_like(mu) * (0.5 * logvar).exp()


def vae_reconstruction(x_hat: torch.Tensor, x: torch.Tensor, decoder: str) -> torch.Tensor:
    """Per-sample summed reconstruction term of the ELBO, averaged over the batch.

    ``"gaussian"``: sum of squared errors (negative log-likelihood of a Gaussian with variance
    1/2, up to a constant); ``"bernoulli"``: binary cross-entropy summed over elements.
    """
    if decoder == "bernoulli":
        per_element = nn.functional.binary_cross_entropy(x_hat, x, reduction="none")
    else:
        per_element = (x_hat - x).pow(2)
    return per_element.flatten(1).sum(dim=1).mean()


class VariationalMixin:
    """The VAEs' shared half: the code is the posterior mean, the loss is the beta-ELBO.

    Mixed in before :class:`Autoencoder` by the dense and convolutional VAEs, which supply
    ``encode_distribution``, ``decode``, ``beta`` and ``decoder_kind``.
    """

    beta: float
    decoder_kind: str
    training: bool

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The posterior mean ``mu(x)``."""
        return self.encode_distribution(x)[0]  # type: ignore[attr-defined]

    def loss(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Reconstruction + beta * KL; the code is sampled in training and the mean otherwise."""
        mu, logvar = self.encode_distribution(x)  # type: ignore[attr-defined]
        z = reparameterise(mu, logvar) if self.training else mu
        reconstruction = vae_reconstruction(self.decode(z), x, self.decoder_kind)  # type: ignore[attr-defined]
        kl = gaussian_kl(mu, logvar)
        return {
            "total": reconstruction + self.beta * kl,
            "reconstruction": reconstruction,
            "kl": kl,
        }
