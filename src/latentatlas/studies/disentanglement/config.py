"""Settings of the disentanglement study; the defaults follow 003_685b0f5ef59928c2.txt."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from latentatlas.config import DataConfig, ModelConfig
from latentatlas.data.heatmaps import N_IMAGES as N_HEATMAPS
from latentatlas.errors import InputError
from latentatlas.studies.config import Each, Interval, OneOf, TrainingSettings, redefault, setting

#: Data sets with ground-truth factors, one cell each (MNIST is always the first cell).
FACTOR_DATASETS: tuple[str, ...] = ("sprites", "heatmaps")
#: ``analysis.disentanglement.ESTIMATORS``, repeated so that the CLI need not import scikit-learn
#: to read the settings (a test checks the two agree).
ESTIMATORS: tuple[str, ...] = (
    "hist-gradient-boosting",
    "gradient-boosting",
    "random-forest",
    "lasso",
)
#: Key of the MNIST cell (always the first, headline cell) and of its one model.
MNIST_CELL = "mnist"
MNIST_MODEL = "ae-classifier"
TRAVERSAL_MODES: tuple[str, ...] = ("absolute", "relative", "std")
VAE_DECODERS: tuple[str, ...] = ("bernoulli", "gaussian")


def beta_key(beta: float) -> str:
    """The model key of a VAE with this beta in every result: ``vae-beta1``, ``vae-beta0.5``."""
    return f"vae-beta{beta:g}"


@dataclass(frozen=True)
class DisentanglementConfig(TrainingSettings):
    """Settings of the disentanglement study; each setting's help says what it sets.

    The training block (seeds, epochs, batch size, lr, split, device) is
    :class:`~latentatlas.studies.config.TrainingSettings`; lr none is each model's default (1e-2
    for the autoencoders, 1e-3 for the VAEs). The code sizes follow the source on MNIST (16) and
    disentanglement_lib on the factor data sets (10); Higgins et al. (2017) use beta 4 on
    dSprites. A data set with fewer codes than ``dci_n_train + dci_n_test`` is split in the same
    proportion (the sizes used are stored with the result).
    """

    QUICK: ClassVar[Mapping[str, Any]] = {
        "factor_datasets": ("sprites",),
        "seeds": 2,
        # Measured (docs/studies.md): at the VAEs' default lr 1e-3, 15 epochs of 1,200 sprites
        # left both VAEs at the mean image (gate ratio 0.985-0.988); at 5e-3 one beta-4 seed of
        # two still collapsed onto the prior; 3,000 sprites for 12 epochs pass every gate.
        "epochs": 12,
        "batch_size": 32,
        "lr": 5e-3,
        "patience": 4,
        "n": 3000,
        "n_per_class": 150,
        # Random forests with every code a candidate at each split pass disentanglement_lib's
        # DCI tests (docs/analyses/disentanglement.md) and cost less than the boosted trees.
        "estimator": "random-forest",
        "dci_n_train": 800,
        "dci_n_test": 400,
        "traversal_inputs": 32,
    }

    seeds: int = redefault(TrainingSettings, "seeds", 3)
    epochs: int = redefault(TrainingSettings, "epochs", 40)
    patience: int = redefault(TrainingSettings, "patience", 8)

    factor_datasets: tuple[str, ...] = setting(
        FACTOR_DATASETS,
        "Data sets with ground-truth factors: sprites, heatmaps.",
        check=Each(OneOf(FACTOR_DATASETS), min_items=0),
    )
    betas: tuple[float, ...] = setting(
        (1.0, 4.0),
        "KL weights of the VAEs, e.g. 1,4 (one vae per beta; 1 is the plain VAE).",
        check=Each(Interval(float, 0.0, 1e4)),
        metavar="1,4,...",
    )
    mnist_latent_dim: int = setting(
        16, "Code size of the MNIST ae-classifier (the source: 16).", check=Interval(int, 1, 4096)
    )
    factor_latent_dim: int = setting(
        10,
        "Code size of ae and vae on the factor data sets.",
        check=Interval(int, 2, 4096),  # MIG and SAP need 2 codes
    )
    n: int = setting(
        10_000,
        "Images drawn from each factor data set (heatmaps: at most 11,875).",
        check=Interval(int, 100, 1_000_000),
    )
    n_per_class: int | None = setting(
        None, "MNIST images kept per digit.", check=Interval(int, 10, None)
    )
    data_dir: str | None = setting(
        None, "Folder with the full MNIST (IDX or mnist.npz); default: the embedded subset."
    )
    vae_decoder: str = setting(
        "bernoulli", "VAE likelihood: bernoulli or gaussian.", check=OneOf(VAE_DECODERS)
    )
    estimator: str = setting(
        "hist-gradient-boosting",
        "DCI classifier: hist-gradient-boosting, gradient-boosting, random-forest or lasso.",
        check=OneOf(ESTIMATORS),
    )
    dci_n_train: int = setting(
        6000,
        "At most this many codes train each DCI classifier.",
        check=Interval(int, 10, 1_000_000),
    )
    dci_n_test: int = setting(
        2000,
        "At most this many codes test each DCI classifier.",
        check=Interval(int, 10, 1_000_000),
    )
    traversal_inputs: int = setting(
        100, "Validation images whose traversals are measured.", check=Interval(int, 2, 100_000)
    )
    grid_inputs: int = setting(
        2, "Images drawn side by side in the traversal grids (2 or 3).", check=Interval(int, 2, 3)
    )
    traversal_mode: str = setting(
        "absolute", "Traversal steps: absolute, relative or std.", check=OneOf(TRAVERSAL_MODES)
    )

    def check_relations(self) -> None:
        """Two betas must not name the same VAE; the grids draw from the traversed images."""
        if len({beta_key(b) for b in self.betas}) != len(self.betas):
            raise InputError(f"betas names a beta twice: {self.betas!r}")
        if self.grid_inputs > self.traversal_inputs:
            raise InputError("grid_inputs must not exceed traversal_inputs")


def data_config(config: DisentanglementConfig, dataset: str) -> DataConfig:
    """The loader options of one cell's data set (the analyses read them from its runs)."""
    options: dict[str, Any] = {}
    if dataset == MNIST_CELL:
        if config.data_dir is not None:
            options["data_dir"] = config.data_dir
        if config.n_per_class is not None:
            options["n_per_class"] = config.n_per_class
    elif dataset == "sprites":
        options["n"] = config.n
    elif dataset == "heatmaps" and config.n < N_HEATMAPS:  # n above it takes the whole grid
        options["subsample"] = config.n
    return DataConfig(name=dataset, options=options)


def cell_models(config: DisentanglementConfig, dataset: str) -> dict[str, ModelConfig]:
    """The models of one cell by key: ``ae-classifier`` (MNIST), else ``ae`` and ``vae-beta<B>``."""
    if dataset == MNIST_CELL:
        return {MNIST_MODEL: ModelConfig(name=MNIST_MODEL, latent_dim=config.mnist_latent_dim)}
    dim = config.factor_latent_dim
    vaes = {
        beta_key(beta): ModelConfig(
            name="vae", latent_dim=dim, options={"beta": float(beta), "decoder": config.vae_decoder}
        )
        for beta in config.betas
    }
    return {"ae": ModelConfig(name="ae", latent_dim=dim), **vaes}
