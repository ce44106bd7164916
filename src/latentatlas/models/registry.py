"""The model registry: build a model by name, list the models and count their parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from latentatlas.errors import InputError
from latentatlas.models.base import Autoencoder
from latentatlas.models.conv import ConvAutoencoder, ConvVAE
from latentatlas.models.dense import (
    ClassifierAutoencoder,
    DenoisingAutoencoder,
    DenseAutoencoder,
    DenseVAE,
    LinearAutoencoder,
)
from latentatlas.models.pca import PCA

_MODELS: dict[str, type[Autoencoder]] = {
    cls.name: cls
    for cls in (
        PCA,
        LinearAutoencoder,
        DenseAutoencoder,
        DenoisingAutoencoder,
        DenseVAE,
        ConvAutoencoder,
        ConvVAE,
        ClassifierAutoencoder,
    )
}


@dataclass(frozen=True)
class ModelInfo:
    """What ``latentatlas models`` shows for one model."""

    name: str
    summary: str
    options: dict[str, Any]
    default_lr: float
    needs_labels: bool
    closed_form: bool
    variational: bool

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        return {**self.__dict__, "options": dict(self.options)}


@dataclass(frozen=True)
class ParameterCount:
    """Trainable parameters of a model, split into encoder, decoder and the rest (e.g. a head)."""

    encoder: int
    decoder: int
    other: int

    @property
    def total(self) -> int:
        """All trainable parameters."""
        return self.encoder + self.decoder + self.other

    @staticmethod
    def mebibytes(n_parameters: int) -> float:
        """Size of ``n_parameters`` float32 values in MiB."""
        return n_parameters * 4 / 2**20

    def to_dict(self) -> dict[str, int]:
        """Return a JSON-ready mapping."""
        return {
            "encoder": self.encoder,
            "decoder": self.decoder,
            "other": self.other,
            "total": self.total,
        }


def names() -> list[str]:
    """Names of all registered models, in registry order."""
    return list(_MODELS)


def describe() -> list[ModelInfo]:
    """One :class:`ModelInfo` per model, with every option and its default."""
    return [
        ModelInfo(
            name=cls.name,
            summary=cls.summary,
            options=dict(cls.option_defaults),
            default_lr=cls.default_lr,
            needs_labels=cls.needs_labels,
            closed_form=cls.closed_form,
            variational=cls.variational,
        )
        for cls in _MODELS.values()
    ]


def build(name: str, input_shape: tuple[int, ...], latent_dim: int, **options: Any) -> Autoencoder:
    """Build the model ``name`` for inputs of ``input_shape`` with a ``latent_dim``-sized code.

    Parameters
    ----------
    name : str
        A registry name, see :func:`names`.
    input_shape : tuple of int
        Shape of one input, e.g. ``(784,)`` or ``(1, 28, 28)``; dense models flatten it.
    latent_dim : int
        Size of the code.
    **options
        Model options (see :func:`describe`); unknown names are rejected.

    Returns
    -------
    Autoencoder
        A freshly initialised model (initialised from the global torch generator).
    """
    if name not in _MODELS:
        raise InputError(f"unknown model {name!r}; choose one of {', '.join(_MODELS)}")
    cls = _MODELS[name]
    unknown = sorted(set(options) - set(cls.option_defaults))
    if unknown:
        known = ", ".join(cls.option_defaults) or "none"
        raise InputError(
            f"model {name} has no option {', '.join(unknown)}; its options are {known}"
        )
    shape = tuple(input_shape)
    if not shape or any(not isinstance(s, int) or s < 1 for s in shape):
        raise InputError(f"input_shape must be positive integers, got {input_shape!r}")
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
        raise InputError(f"latent_dim must be a positive integer, got {latent_dim!r}")
    return cls(shape, latent_dim, options)


def count_parameters(model: Autoencoder) -> ParameterCount:
    """Trainable parameters of ``model``'s encoder, decoder and the rest (a classifier head)."""
    encoder = sum(p.numel() for m in model.encoder_modules() for p in m.parameters())
    decoder = sum(p.numel() for m in model.decoder_modules() for p in m.parameters())
    return ParameterCount(encoder, decoder, model.n_parameters - encoder - decoder)
