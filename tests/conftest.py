"""Shared test settings."""

from __future__ import annotations

import os

import matplotlib
import torch

# Tiny models in tests: one intra-op thread avoids OpenMP spin contention on small CI machines.
torch.set_num_threads(1)
matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")
