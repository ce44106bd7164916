"""The model registry: build a model by name, list the models and count their parameters."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from latentatlas import _env
from latentatlas.errors import InputError

if TYPE_CHECKING:
    from latentatlas.config import ModelConfig
    from latentatlas.models.base import Autoencoder

#: Every model by name, as ``module:class``: imported on first use, so that checking a model's
#: name (``ModelConfig("ae", 2)``, ``latentatlas --help``) does not import torch.
_MODELS: dict[str, str] = {
    "pca": "latentatlas.models.pca:PCA",
    "linear-ae": "latentatlas.models.dense:LinearAutoencoder",
    "ae": "latentatlas.models.dense:DenseAutoencoder",
    "dae": "latentatlas.models.dense:DenoisingAutoencoder",
    "vae": "latentatlas.models.dense:DenseVAE",
    "conv-ae": "latentatlas.models.conv:ConvAutoencoder",
    "conv-vae": "latentatlas.models.conv:ConvVAE",
    "ae-classifier": "latentatlas.models.dense:ClassifierAutoencoder",
}
#: Models a study builds but nobody names: a user's model in a study's slot
#: (:mod:`latentatlas.models.slot`, from ``latentatlas study NAME --model-file``).
_HIDDEN: dict[str, str] = {"slot": "latentatlas.models.slot:SlotModel"}


def model_class(name: str) -> type[Autoencoder]:
    """The class of the model ``name`` (imports it, and torch, on first use)."""
    if not is_known(name):
        raise InputError(f"unknown model {name!r}; choose one of {', '.join(_MODELS)}")
    module, attribute = {**_MODELS, **_HIDDEN}[name].split(":")
    return getattr(importlib.import_module(module), attribute)


def is_known(name: str) -> bool:
    """Whether ``name`` is a model the registry builds (a listed or a hidden one)."""
    return name in _MODELS or name in _HIDDEN


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
        for cls in map(model_class, _MODELS)
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
    cls = model_class(name)
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
    _check_fits_in_memory(cls, shape, latent_dim, options)
    return cls(shape, latent_dim, options)


def check_buildable(config: ModelConfig, input_shape: tuple[int, ...]) -> None:
    """Raise :class:`InputError` if ``config`` cannot be built for ``input_shape``; build nothing.

    Checks the name, the options and that the model's training memory fits, on torch's
    ``meta`` device (shapes only, no memory), so a study can validate every model up front.
    """
    import torch

    with torch.device("meta"):
        build(config.name, tuple(input_shape), config.latent_dim, **config.options)


def _check_fits_in_memory(
    cls: type[Autoencoder], shape: tuple[int, ...], latent_dim: int, options: dict[str, Any]
) -> None:
    """Refuse, before allocating, a model whose training state would not fit in memory.

    The model is first built on the ``meta`` device, which records shapes without allocating;
    training holds about four copies of the weights (weights, gradients, Adam's two moments).
    """
    import torch

    try:
        with torch.device("meta"):
            n_parameters = sum(p.numel() for p in cls(shape, latent_dim, options).parameters())
    except (RuntimeError, OverflowError, MemoryError, TypeError, ValueError) as error:
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        raise InputError(
            f"model {cls.name} cannot be built with latent_dim={latent_dim} for inputs of shape "
            f"{shape}: {reason}"
        ) from None
    needed = 4 * 4 * n_parameters  # bytes: four float32 copies
    available = _env.memory_bytes()
    if needed > available:
        raise InputError(
            f"model {cls.name} with latent_dim={latent_dim} has {n_parameters:,} parameters and "
            f"needs about {needed / 2**30:,.1f} GiB to train, more than this machine's "
            f"{available / 2**30:,.1f} GiB; choose a smaller latent_dim or model"
        )


def count_parameters(model: Autoencoder) -> ParameterCount:
    """Trainable parameters of ``model``'s encoder, decoder and the rest (a classifier head)."""
    encoder = sum(p.numel() for m in model.encoder_modules() for p in m.parameters())
    decoder = sum(p.numel() for m in model.decoder_modules() for p in m.parameters())
    return ParameterCount(encoder, decoder, model.n_parameters - encoder - decoder)
