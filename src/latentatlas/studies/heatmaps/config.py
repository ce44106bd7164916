"""Settings of the heatmaps study; the defaults are those of 002_da2b51c41f09188e.txt."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from latentatlas.errors import InputError
from latentatlas.studies.config import StudyConfig, check_seeds, setting

STUDY_MODELS: tuple[str, ...] = ("conv-vae", "conv-ae")
#: ``heatmaps``: the source's three factors; ``heatmaps-t``: its four-factor extension (dof).
DATASETS: tuple[str, ...] = ("heatmaps", "heatmaps-t")
#: The source embeds the heatmaps in a 3-d latent space (the 3-d views and hulls need it).
LATENT_DIM = 3
#: Images in the full factor grid (25 x 25 variances x 19 correlations).
N_GRID_IMAGES = 11_875
#: Fewest images a study may keep: the validation split must still fill 12 path bins and
#: the k-NN classifier's five folds.
MIN_SUBSAMPLE = 300
READERS: tuple[str, ...] = ("knn", "mlp")


@dataclass(frozen=True)
class HeatmapsConfig(StudyConfig):
    """Settings of the heatmaps study; the defaults are the source's where it gives them.

    Parameters
    ----------
    datasets : tuple of str
        ``heatmaps`` (var_x, var_y, corr) and ``heatmaps-t`` (plus the degrees of freedom);
        the first is the headline cell, where the source's AE/VAE comparison is judged.
    models : tuple of str
        ``conv-vae`` and ``conv-ae``, both with a 3-d latent space.
    seeds : int
        Training seeds per model (the data split is the same for every seed).
    epochs, batch_size, lr, patience : training settings
        Adam (lr None = the model's default, 1e-3) with a halving-on-plateau schedule as in
        the source, early stopping on the validation loss.
    filters : tuple of int
        Filters of the four stride-2 convolutions (mirrored in the decoder).
    subsample : int, optional
        Keep a random subset of this many of the 11,875 images (for quick runs).
    validation_fraction : float
        Share held out; every metric is computed on it (the source's 80/20 split).
    split_seed : int
        Seed of the train/validation split, shared by every run of the study.
    reader : {"knn", "mlp"}
        Regressor that reads the factors off decoded images (``analysis.fit_factor_reader``).
    device : {"auto", "cpu", "cuda"}
        Where to train.
    """

    QUICK: ClassVar[Mapping[str, Any]] = {
        "seeds": 2,
        "epochs": 12,
        "patience": 4,
        "subsample": 2000,
        "filters": (16, 32, 64, 128),
    }

    datasets: tuple[str, ...] = setting(
        DATASETS, "Data sets: heatmaps (3 factors), heatmaps-t (4: dof too)."
    )
    models: tuple[str, ...] = setting(STUDY_MODELS, "Models to train (3-d latent space).")
    seeds: int = setting(3, "Training seeds per model.")
    epochs: int = setting(100, "Maximum epochs.")
    batch_size: int = setting(128, "Samples per gradient step.")
    lr: float | None = setting(None, "Adam learning rate (none: the model's default, 1e-3).")
    patience: int = setting(10, "Early-stopping patience in epochs.")
    filters: tuple[int, ...] = setting(
        (32, 64, 128, 256), "Filters of the four stride-2 convolutions."
    )
    subsample: int | None = setting(None, "Keep a random subset of N of the 11,875 images.")
    validation_fraction: float = setting(0.2, "Share held out for every metric (80/20).")
    split_seed: int = setting(0, "Seed of the train/validation split.")
    reader: str = setting("knn", "Regressor reading factors off decoded images: knn or mlp.")
    device: str = setting("auto", "auto, cpu or cuda.")

    def __post_init__(self) -> None:
        _choices(self.datasets, DATASETS, "data set", "datasets")
        _choices(self.models, STUDY_MODELS, "model", "models")
        for name in ("seeds", "epochs", "batch_size", "patience"):
            _at_least(getattr(self, name), name, 1)
        check_seeds(self.seeds)
        _at_least(self.split_seed, "split_seed", 0)
        if self.split_seed >= 2**32:
            raise InputError(f"split_seed must be below 2**32, got {self.split_seed}")
        if self.lr is not None and not (_is_number(self.lr) and self.lr > 0):
            raise InputError(f"lr must be a positive number or none, got {self.lr!r}")
        if not self.filters or any(
            isinstance(f, bool) or not isinstance(f, int) or f < 1 for f in self.filters
        ):
            raise InputError(f"filters must be positive integers such as 32,64,128,256, got "
                             f"{self.filters!r}")  # fmt: skip
        if self.subsample is not None:
            _at_least(self.subsample, "subsample", MIN_SUBSAMPLE)
            if self.subsample > N_GRID_IMAGES:
                raise InputError(
                    f"subsample must be at most the {N_GRID_IMAGES} images, got {self.subsample}"
                )
        fraction = self.validation_fraction
        if not (_is_number(fraction) and 0.0 < fraction < 1.0):
            raise InputError(f"validation_fraction must be between 0 and 1, got {fraction!r}")
        if self.reader not in READERS:
            raise InputError(f"reader must be 'knn' or 'mlp', got {self.reader!r}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise InputError(f"device must be 'auto', 'cpu' or 'cuda', got {self.device!r}")


def _choices(values: tuple[str, ...], known: tuple[str, ...], what: str, field: str) -> None:
    unknown = sorted(set(values) - set(known))
    if unknown or not values:
        raise InputError(
            f"unknown {what}(s) {', '.join(unknown) or '(none given)'} for heatmaps; "
            f"choose from {', '.join(known)}"
        )
    if len(set(values)) != len(values):
        raise InputError(f"{field} names a {what} twice: {', '.join(values)}")


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _at_least(value: Any, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"{name} must be an integer of at least {minimum}, got {value!r}")
