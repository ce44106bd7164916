"""A user's model in a study's model slot: a factory or TorchScript module behind the
:class:`~latentatlas.models.base.Autoencoder` contract, with the loss of the built-in model
whose place it takes.

The registry builds it by the hidden name ``slot`` (see :data:`SLOT_MODEL`), so the trainer,
run directories, the learned-model gate and the explorer treat it as any model: a factory
without weights is trained by the one training loop with the study's settings; with weights
(or a TorchScript file, which carries its own) it is "fitted" in closed form by loading them,
and the run holds a copy in ``model.safetensors``. Loading and checking the user's objects is
:mod:`latentatlas.models.external`'s job; this module only adapts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import nn

from latentatlas.errors import InputError
from latentatlas.models import external
from latentatlas.models.base import Autoencoder, VariationalMixin
from latentatlas.models.dense import DenoisingAutoencoder

#: The registry name of a model in a slot (hidden from ``latentatlas models``).
SLOT_MODEL = "slot"
#: Keys of an encoder's dict output that hold the log-variance of a VAE's posterior.
LOGVAR_KEYS = ("logvar", "log_var", "z_log_var")


class SlotModel(Autoencoder):
    """A user's encoder and decoder trained and analysed as the built-in model ``builtin``.

    Options
    -------
    slot : str
        The slot's name in the study (its model key), for messages.
    builtin, builtin_options : str, dict
        The built-in model whose place it takes: its loss (reconstruction error, the
        denoising one's noise, or the VAE's beta-ELBO with its beta and decoder) and default
        learning rate apply.
    source : str
        ``package.module:function``, ``file.py:function`` or a TorchScript file.
    weights : str or None
        The factory's weights file (``.safetensors`` or ``.pt``), loaded in
        :meth:`fit_closed_form`; None trains the factory's module.
    sha256 : str or None
        SHA-256 of the weights or TorchScript file when the study was set up; a file that
        changed since is refused.
    """

    name: ClassVar[str] = SLOT_MODEL
    summary: ClassVar[str] = "a user's model in a study's slot (a factory or TorchScript file)"
    option_defaults: ClassVar[dict[str, Any]] = {
        "slot": None,
        "builtin": "ae",
        "builtin_options": None,
        "source": None,
        "weights": None,
        "sha256": None,
    }

    def __init__(self, input_shape: tuple[int, ...], latent_dim: int, options: dict[str, Any]):
        super().__init__(input_shape, latent_dim, options)
        self._take_builtin_loss()
        source = self.options["source"]
        self.where = f"--model-file {self.options['slot']}={source}"
        self.torchscript = is_torchscript(source)
        if self.torchscript:
            self._check_unchanged(source)
            self.inner = external.load_torchscript(source)
        else:
            self.inner = external.build_factory(source, f"--model-file {self.options['slot']}=")
        # A plain tuple: an encoder/decoder attribute that is a module must not be registered
        # twice (its tensors would be saved twice, under inner. and again).
        self._calls = external._methods(self.inner)
        if self._calls[1] is None:
            raise InputError(
                f"{self.where} has no decode method or decoder attribute; a study decodes codes"
            )
        # Given weights (or TorchScript's own) are the model: loading them is its whole fit.
        self.closed_form = self.torchscript or self.options["weights"] is not None

    def _take_builtin_loss(self) -> None:
        """The loss family, its options and the default learning rate of the built-in model."""
        from latentatlas.models.registry import model_class

        builtin = model_class(self.options["builtin"])
        settings = {**builtin.option_defaults, **(self.options["builtin_options"] or {})}
        self.variational, self.denoising = builtin.variational, builtin.denoising
        self.default_lr = builtin.default_lr
        self.beta = float(settings.get("beta", 1.0))
        self.decoder_kind = str(settings.get("decoder", "gaussian"))
        self.noise = float(settings.get("noise", 0.0))

    # -- the contract -----------------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Codes (n, latent_dim): the encoder's output, or its posterior mean."""
        output = external._call(self._calls[0], x, f"the encoder of {self.where}")
        return external.codes_of(output, len(x), None, self.where)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Decoded inputs (n, *input_shape)."""
        output = external._call(self._calls[1], z, f"the decoder of {self.where}")  # type: ignore[arg-type]
        return external.images_of(output, len(z), self.input_shape, self.where)

    def encode_distribution(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and log-variance: the module's own ``encode_distribution``, or an
        encoder output of ``(mu, logvar)``, a dict with both, or a Normal distribution."""
        own = getattr(self.inner, "encode_distribution", None)
        if not getattr(self.inner, "variational", True):  # a latentatlas autoencoder's stub
            own = None
        output = own(x) if callable(own) else self._calls[0](x)  # type: ignore[misc]
        return posterior_of(output, self.where)

    def corrupt(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The denoising model's noisy input (its noise level) in a dae slot; else ``x``."""
        if not self.denoising:
            return x
        return DenoisingAutoencoder.corrupt(self, x, generator)  # type: ignore[arg-type]

    def loss(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """The built-in model's loss: the beta-ELBO in a VAE slot, else the reconstruction
        error of (in training, for a denoising slot, the corrupted) input."""
        if self.variational:
            return VariationalMixin.loss(self, x, labels)  # type: ignore[arg-type]
        return super().loss(x, labels)

    def fit_closed_form(self, x: Any) -> None:
        """Load the given weights (a TorchScript module already holds its own)."""
        weights = self.options["weights"]
        if weights is None:
            return
        self._check_unchanged(weights)
        where = f"--weights {self.options['slot']}={weights}"
        try:
            external.load_weights(self.inner, weights)
        except InputError as error:
            raise InputError(f"{where}: {error}") from None

    def encoder_modules(self) -> list[nn.Module]:
        """The user's module counts as encoder and decoder together (its split is unknown)."""
        return [self.inner] if isinstance(self.inner, nn.Module) else []

    def decoder_modules(self) -> list[nn.Module]:
        """None apart: see :meth:`encoder_modules`."""
        return []

    def _check_unchanged(self, path: str) -> None:
        """Refuse a weights or TorchScript file that changed since the study recorded it."""
        expected = self.options["sha256"]
        external.existing_file(path, f"the file of {self.where}")
        if expected is not None and external.sha256(path) != expected:
            raise InputError(
                f"{path} changed since the study recorded it (its SHA-256 differs); run the "
                "study again with --force to analyse the new model"
            )


def is_torchscript(source: str) -> bool:
    """Whether a slot's source names a file (TorchScript) rather than a factory."""
    module, sep, attribute = str(source).rpartition(":")
    is_factory = bool(sep and module and attribute.isidentifier())
    return not is_factory


def posterior_of(output: Any, where: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mu, logvar)`` from an encoder's output: a pair, a dict, or a Normal distribution."""
    if isinstance(output, torch.distributions.Normal):
        return output.mean, 2.0 * output.stddev.log()
    if isinstance(output, Mapping):
        mu = next((output[k] for k in external.MEAN_KEYS if k in output), None)
        logvar = next((output[k] for k in LOGVAR_KEYS if k in output), None)
        if isinstance(mu, torch.Tensor) and isinstance(logvar, torch.Tensor):
            return mu, logvar
    if isinstance(output, tuple | list) and len(output) >= 2:
        if all(isinstance(item, torch.Tensor) for item in output[:2]):
            return output[0], output[1]
    raise InputError(
        f"the encoder of {where} gives no posterior, which a VAE slot needs for its loss: "
        "return (mu, logvar), a dict with mu and logvar, or a torch Normal distribution"
    )
