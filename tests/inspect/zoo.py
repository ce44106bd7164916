"""Models defined the way other libraries define them, for ``latentatlas inspect`` tests.

Imported by file path (``tests/inspect/zoo.py:build_vae``), as a user's script would be.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

LATENT = 4
ZOO = Path(__file__).resolve()
#: Tiny settings every end-to-end test uses.
TINY = {
    "n": 120,
    "tsne_points": 100,
    "id_queries": 100,
    "decodes": 8,
    "traversal_dims": 3,
    "traversal_inputs": 3,
}


def factory(name: str) -> str:
    """The ``--model`` text of a factory in this file, imported by file path."""
    return f"{ZOO}:{name}"


class ConvVAE(nn.Module):
    """A small conv VAE for 1x28x28 images whose encoder returns (mu, logvar)."""

    def __init__(self, latent: int = LATENT):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 4, stride=2, padding=1), nn.ReLU(), nn.Flatten()
        )
        self.mu = nn.Linear(4 * 14 * 14, latent)
        self.logvar = nn.Linear(4 * 14 * 14, latent)
        self.up = nn.Linear(latent, 28 * 28)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.up(z)).view(-1, 1, 28, 28)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x)[0])


class Parts(nn.Module):
    """Only ``encoder`` and ``decoder`` attributes; the encoder returns a distribution."""

    def __init__(self, latent: int = LATENT):
        super().__init__()
        self.encoder = _NormalEncoder(latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28))
        )


class _NormalEncoder(nn.Module):
    def __init__(self, latent: int):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 2 * latent))

    def forward(self, x: torch.Tensor) -> torch.distributions.Normal:
        mu, log_sigma = self.net(x).chunk(2, dim=1)
        return torch.distributions.Normal(mu, log_sigma.exp())


class DictEncoder(nn.Module):
    """``encode`` returns a dict with ``mean``."""

    def __init__(self, latent: int = LATENT):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, latent))

    def encode(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"mean": self.net(x), "logvar": torch.zeros(len(x), LATENT)}

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.zeros(len(z), 1, 28, 28)


class Scriptable(nn.Module):
    """Exported to TorchScript with @torch.jit.export encode and decode."""

    def __init__(self, latent: int = LATENT):
        super().__init__()
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(784, latent))
        self.dec = nn.Linear(latent, 784)

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.enc(x)

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.dec(z)).view(-1, 1, 28, 28)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class EncodeOnlyScript(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)[:, :4]


def build_vae() -> nn.Module:
    torch.manual_seed(0)
    return ConvVAE()


def build_parts() -> nn.Module:
    torch.manual_seed(0)
    return Parts()


def build_dict() -> nn.Module:
    torch.manual_seed(0)
    return DictEncoder()


def build_broken() -> nn.Module:
    raise RuntimeError("no GPU found")


def build_nothing() -> object:
    return object()


def build_wrong_rows() -> nn.Module:
    class Wrong(nn.Module):
        def encode(self, x: torch.Tensor) -> torch.Tensor:
            return torch.zeros(3, 4)

        def decode(self, z: torch.Tensor) -> torch.Tensor:
            return torch.zeros(len(z), 1, 28, 28)

    return Wrong()


def build_scalar_codes() -> nn.Module:
    class Scalar(nn.Module):
        def encode(self, x: torch.Tensor) -> torch.Tensor:
            return x.sum()

        def decode(self, z: torch.Tensor) -> torch.Tensor:
            return z

    return Scalar()


def build_latentatlas_ae() -> nn.Module:
    """A latentatlas dense autoencoder, built the way the same-numbers test trained it."""
    from latentatlas.models import build

    return build("ae", (1, 28, 28), 2)


def build_bad_decoder() -> nn.Module:
    """Decodes to 10 values per code, not a 1x28x28 image."""

    class BadDecoder(nn.Module):
        def encode(self, x: torch.Tensor) -> torch.Tensor:
            return x.flatten(1)[:, :4]

        def decode(self, z: torch.Tensor) -> torch.Tensor:
            return torch.zeros(len(z), 10)

    return BadDecoder()
