"""Convolutional models for images: conv-ae and conv-vae (4 stride-2 convolutions, mirrored).

The layout reproduces the Keras encoder of the filaments source (001): four Conv2D layers with
32-64-128-256 filters, 3x3 kernels, stride 2 and 'same' padding, Flatten, then Dense layers to the
code (mu and logvar for the VAE), optionally through one extra Dense ``bottleneck`` layer. For a
96x96x3 input that gives 388,416 convolution parameters and a 6*6*256 = 9216-wide Flatten layer, so
the VAE encoder has 9,826,624 parameters at z=512 and 5,107,520 at z=256, or 2,879,552 at z=256
with ``bottleneck=256``, as the source reports.

'Same' padding with stride 2 maps a side s to ceil(s/2) (28 -> 14 -> 7 -> 4 -> 2). The decoder
mirrors this with transposed convolutions whose ``output_padding`` (0 or 1 per layer) is computed
from the encoder's sizes, so it returns exactly the input size, odd sides included, with no crop.
"""

from __future__ import annotations

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

_MIN_SIDE = 16  # four stride-2 layers leave at least 1x1 maps


def _side_sizes(side: int, n_layers: int) -> list[int]:
    sizes = [side]
    for _ in range(n_layers):
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


class _ConvBase(Autoencoder):
    default_lr = 1e-3
    option_defaults: ClassVar[dict[str, Any]] = {
        "filters": (32, 64, 128, 256),
        "activation": "leaky_relu",
        "bottleneck": None,
    }

    def __init__(self, input_shape: tuple[int, ...], latent_dim: int, options: dict[str, Any]):
        super().__init__(input_shape, latent_dim, options)
        if len(self.input_shape) != 3:
            raise InputError(
                f"model {self.name} needs images of shape (channels, height, width), got "
                f"input shape {self.input_shape}"
            )
        channels, height, width = self.input_shape
        if min(height, width) < _MIN_SIDE:
            raise InputError(
                f"model {self.name} needs images at least {_MIN_SIDE} pixels high and wide, got "
                f"{height}x{width}"
            )
        filters = int_tuple(self.options, "filters", self.name, min_items=1)
        self.options["filters"] = filters
        self.bottleneck = self._bottleneck_size()
        heights = _side_sizes(height, len(filters))
        widths = _side_sizes(width, len(filters))
        self.map_shape = (filters[-1], heights[-1], widths[-1])
        flat = filters[-1] * heights[-1] * widths[-1]

        convs: list[nn.Module] = []
        for n_in, n_out in zip((channels, *filters[:-1]), filters, strict=True):
            convs += [
                nn.Conv2d(n_in, n_out, 3, stride=2, padding=1),
                activation(self.options, self.name),
            ]
        self.conv = nn.Sequential(*convs, nn.Flatten())
        self.dense = (
            nn.Sequential(nn.Linear(flat, self.bottleneck), activation(self.options, self.name))
            if self.bottleneck
            else nn.Identity()
        )
        self.head_width = self.bottleneck or flat

        self.decoder_input = nn.Linear(latent_dim, flat)
        deconvs: list[nn.Module] = [activation(self.options, self.name)]
        outs = (*reversed(filters[:-1]), channels)
        for i, (n_in, n_out) in enumerate(zip(reversed(filters), outs, strict=True)):
            target = (heights[-2 - i], widths[-2 - i])
            source = (heights[-1 - i], widths[-1 - i])
            pad = tuple(t - 2 * s + 1 for t, s in zip(target, source, strict=True))
            deconvs.append(
                nn.ConvTranspose2d(n_in, n_out, 3, stride=2, padding=1, output_padding=pad)
            )
            deconvs.append(
                activation(self.options, self.name) if n_out != channels else nn.Sigmoid()
            )
        self.deconv = nn.Sequential(*deconvs)

    def _bottleneck_size(self) -> int | None:
        value = self.options["bottleneck"]
        if value in (None, 0):
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"option bottleneck of model {self.name} must be a positive integer")
        return value

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Flattened convolution features, through the bottleneck layer if there is one."""
        return self.dense(self.conv(x))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.deconv(self.decoder_input(z).view(-1, *self.map_shape))

    def decoder_modules(self) -> list[nn.Module]:
        """Modules that make up the decoder (for parameter counts)."""
        return [self.decoder_input, self.deconv]


class ConvAutoencoder(_ConvBase):
    """Convolutional autoencoder: conv encoder, Dense to z, mirrored transposed convolutions."""

    name = "conv-ae"
    summary = "conv autoencoder, 4 stride-2 convs 32-64-128-256, mirrored (images 16-512 px)"

    def __init__(self, input_shape: tuple[int, ...], latent_dim: int, options: dict[str, Any]):
        super().__init__(input_shape, latent_dim, options)
        self.code = nn.Linear(self.head_width, latent_dim)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.code(self.features(x))

    def encoder_modules(self) -> list[nn.Module]:
        return [self.conv, self.dense, self.code]


class ConvVAE(VariationalMixin, _ConvBase):
    """Convolutional VAE: the conv-ae layout with Dense mu and logvar layers; beta, decoder kind."""

    name = "conv-vae"
    summary = "conv VAE (the filaments source's layout), option bottleneck=N cuts parameters"
    variational = True
    option_defaults: ClassVar[dict[str, Any]] = {
        **_ConvBase.option_defaults,
        "beta": 1.0,
        "decoder": "gaussian",
    }

    def __init__(self, input_shape: tuple[int, ...], latent_dim: int, options: dict[str, Any]):
        super().__init__(input_shape, latent_dim, options)
        self.beta = positive_number(self.options, "beta", self.name, allow_zero=True)
        self.decoder_kind = choice(self.options, "decoder", ("gaussian", "bernoulli"), self.name)
        self.mu = nn.Linear(self.head_width, latent_dim)
        self.logvar = nn.Linear(self.head_width, latent_dim)

    def encode_distribution(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x)
        return self.mu(h), self.logvar(h)

    def encoder_modules(self) -> list[nn.Module]:
        return [self.conv, self.dense, self.mu, self.logvar]
