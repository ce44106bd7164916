"""Factories for the slot tests that the inspect zoo has no need of; imported by file path
(``tests/inspect/slot_zoo.py:build_for_8x8``), as a user's script would be."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

SLOT_ZOO = Path(__file__).resolve()


def slot_factory(name: str) -> str:
    """The ``--model-file`` value of a factory in this file."""
    return f"{SLOT_ZOO}:{name}"


class Small(nn.Module):
    """A dense autoencoder of 8x8 images (scikit-learn's digits), 2-d codes."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(64, 2))
        self.decoder = nn.Sequential(nn.Linear(2, 64), nn.Unflatten(1, (1, 8, 8)))


def build_for_8x8() -> nn.Module:
    return Small()


def build_encoder_only() -> nn.Module:
    """Encodes, but has nothing that decodes."""

    class EncoderOnly(nn.Module):
        def encode(self, x: torch.Tensor) -> torch.Tensor:
            return x.flatten(1)[:, :2]

    return EncoderOnly()
