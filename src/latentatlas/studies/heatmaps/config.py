"""Settings of the heatmaps study; the defaults are those of 002_da2b51c41f09188e.txt."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from latentatlas.config import DataConfig
from latentatlas.studies.config import Each, Interval, OneOf, TrainingSettings, redefault, setting

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
class HeatmapsConfig(TrainingSettings):
    """Settings of the heatmaps study; the defaults are the source's where it gives them.

    The training block (seeds, epochs, learning rate, split, device) is
    :class:`~latentatlas.studies.config.TrainingSettings`', with the source's Adam without
    weight decay and its halving of the rate on plateaus.

    Parameters
    ----------
    datasets : tuple of str
        ``heatmaps`` (var_x, var_y, corr) and ``heatmaps-t`` (plus the degrees of freedom);
        the first is the headline cell, where the source's AE/VAE comparison is judged.
    models : tuple of str
        ``conv-vae`` and ``conv-ae``, both with a 3-d latent space.
    filters : tuple of int
        Filters of the four stride-2 convolutions (mirrored in the decoder).
    subsample : int, optional
        Keep a random subset of this many of the 11,875 images (for quick runs).
    reader : {"knn", "mlp"}
        Regressor that reads the factors off decoded images (``analysis.fit_factor_reader``).
    """

    QUICK: ClassVar[Mapping[str, Any]] = {
        "seeds": 2,
        "epochs": 12,
        "patience": 4,
        "subsample": 2000,
        "filters": (16, 32, 64, 128),
    }

    LR_SCHEDULE: ClassVar[str] = "plateau"

    seeds: int = redefault(TrainingSettings, "seeds", 3)
    weight_decay: float = redefault(TrainingSettings, "weight_decay", 0.0)  # Keras' Adam has none

    datasets: tuple[str, ...] = setting(
        DATASETS,
        "Data sets: heatmaps (3 factors), heatmaps-t (4: dof too).",
        check=Each(OneOf(DATASETS)),
    )
    models: tuple[str, ...] = setting(
        STUDY_MODELS, "Models to train (3-d latent space).", check=Each(OneOf(STUDY_MODELS))
    )
    filters: tuple[int, ...] = setting(
        (32, 64, 128, 256),
        "Filters of the four stride-2 convolutions.",
        check=Each(Interval(int, 1, 4096), allow_repeats=True),
    )
    subsample: int | None = setting(
        None,
        "Keep a random subset of N of the 11,875 images.",
        check=Interval(int, MIN_SUBSAMPLE, N_GRID_IMAGES),
    )
    reader: str = setting(
        "knn", "Regressor reading factors off decoded images: knn or mlp.", check=OneOf(READERS)
    )


def data_config(config: HeatmapsConfig, dataset: str) -> DataConfig:
    """The loader options of one data set: one home for the runs and the analyses."""
    options: dict[str, Any] = {}
    if config.subsample is not None:
        options["subsample"] = config.subsample
    return DataConfig(name=dataset, options=options)
