"""Typed, validated run configurations: what data, which model, how to train, which seed."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from latentatlas.errors import InputError

LrSchedule = Literal["none", "plateau"]
DeviceName = Literal["auto", "cpu", "cuda"]


def _check_keys(cls: type, data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InputError(f"{where} must be a JSON object, got {type(data).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(str(key) for key in set(data) - known)  # str: keys may mix types
    if unknown:
        raise InputError(
            f"{where} has unknown field(s) {', '.join(unknown)}; "
            f"expected {', '.join(sorted(known))}"
        )
    return data


def _check_options(options: Any, where: str) -> None:
    if not isinstance(options, dict) or not all(isinstance(k, str) for k in options):
        raise InputError(f"{where}.options must be a mapping from option names to values")


@dataclass(frozen=True)
class DataConfig:
    """Which data set to load and with which loader options.

    Parameters
    ----------
    name : str
        Data registry name, e.g. ``"mnist"``.
    options : dict
        Keyword arguments for ``latentatlas.data.load(name, **options)``.
    """

    name: str
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InputError(f"data.name must be a non-empty string, got {self.name!r}")
        _check_options(self.options, "data")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataConfig:
        """Build from a JSON-like mapping, rejecting unknown fields."""
        data = _check_keys(cls, data, "data")
        options = data.get("options", {})
        _check_options(
            options, "data"
        )  # before dict(): dict("ab") and dict(5) are not one sentence
        return cls(name=data.get("name", ""), options=dict(options))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        return {"name": self.name, "options": dict(self.options)}


@dataclass(frozen=True)
class ModelConfig:
    """Which model to build: registry name, latent dimension and model options.

    Parameters
    ----------
    name : str
        Model registry name (see ``latentatlas.models.names()``).
    latent_dim : int
        Size of the code z, at least 1.
    options : dict
        Model options, e.g. ``{"activation": "relu"}``; checked when the model is built.
    """

    name: str
    latent_dim: int
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from latentatlas.models.registry import is_known, names  # late: keeps config light

        if not is_known(self.name):
            raise InputError(
                f"model.name {self.name!r} is not a known model; choose one of {', '.join(names())}"
            )
        if isinstance(self.latent_dim, bool) or not isinstance(self.latent_dim, int):
            raise InputError(f"model.latent_dim must be an integer, got {self.latent_dim!r}")
        if self.latent_dim < 1:
            raise InputError(f"model.latent_dim must be at least 1, got {self.latent_dim}")
        _check_options(self.options, "model")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Build from a JSON-like mapping, rejecting unknown fields."""
        data = _check_keys(cls, data, "model")
        if "name" not in data or "latent_dim" not in data:
            raise InputError("model needs both a name and a latent_dim")
        options = data.get("options", {})
        _check_options(options, "model")
        return cls(data["name"], data["latent_dim"], dict(options))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        return {"name": self.name, "latent_dim": self.latent_dim, "options": dict(self.options)}


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimiser, batches, stopping, schedule, device and the train/validation split.

    Parameters
    ----------
    epochs : int
        Maximum number of passes over the training data.
    batch_size : int
        Samples per gradient step.
    lr : float or None
        Adam learning rate; None takes the model's default (1e-2 for the dense models of the
        digit-pairs source, 1e-3 for convolutional models and VAEs).
    weight_decay : float
        Adam's L2 penalty (1e-6 in the digit-pairs source).
    patience : int or None
        Stop after this many epochs without a validation improvement of at least ``min_delta``;
        None never stops early. The best weights are restored either way.
    min_delta : float
        Smallest decrease of the validation loss that counts as an improvement.
    lr_schedule : {"none", "plateau"}
        ``"plateau"`` halves the learning rate after ``max(1, patience // 2)`` flat epochs.
    grad_clip : float or None
        Clip the global gradient norm to this value.
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` picks CUDA where there is one.
    validation_fraction : float
        Share of the data held out for validation, in (0, 1).
    split_seed : int
        Seed of the train/validation split, separate from the training seed so that runs with
        different training seeds share one split.
    """

    epochs: int = 50
    batch_size: int = 128
    lr: float | None = None
    weight_decay: float = 1e-6
    patience: int | None = 10
    min_delta: float = 0.0
    lr_schedule: LrSchedule = "none"
    grad_clip: float | None = None
    device: DeviceName = "auto"
    validation_fraction: float = 0.2
    split_seed: int = 0

    def __post_init__(self) -> None:
        _positive_int(self.epochs, "train.epochs")
        _positive_int(self.batch_size, "train.batch_size")
        if self.lr is not None:
            _positive_float(self.lr, "train.lr")
        _non_negative_float(self.weight_decay, "train.weight_decay")
        if self.patience is not None:
            _positive_int(self.patience, "train.patience")
        _non_negative_float(self.min_delta, "train.min_delta")
        if self.lr_schedule not in ("none", "plateau"):
            raise InputError(
                f"train.lr_schedule must be 'none' or 'plateau', got {self.lr_schedule!r}"
            )
        if self.grad_clip is not None:
            _positive_float(self.grad_clip, "train.grad_clip")
        if self.device not in ("auto", "cpu", "cuda"):
            raise InputError(f"train.device must be 'auto', 'cpu' or 'cuda', got {self.device!r}")
        fraction = self.validation_fraction
        if not _is_number(fraction) or not 0.0 < fraction < 1.0:
            raise InputError(
                f"train.validation_fraction must be a number between 0 and 1, got {fraction!r}"
            )
        _seed(self.split_seed, "train.split_seed")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from a JSON-like mapping, rejecting unknown fields; missing ones take defaults."""
        return cls(**_check_keys(cls, data, "train"))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        return asdict(self)


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines one run: data, model, training and the training seed."""

    data: DataConfig
    model: ModelConfig
    train: TrainConfig = field(default_factory=TrainConfig)
    seed: int = 0

    def __post_init__(self) -> None:
        _seed(self.seed, "seed")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Build from a JSON-like mapping such as the ``config.json`` of a run."""
        data = _check_keys(cls, data, "run config")
        for key in ("data", "model"):
            if key not in data:
                raise InputError(f"run config has no {key!r} section")
        return cls(
            data=DataConfig.from_dict(data["data"]),
            model=ModelConfig.from_dict(data["model"]),
            train=TrainConfig.from_dict(data.get("train", {})),
            seed=data.get("seed", 0),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        return {
            "data": self.data.to_dict(),
            "model": self.model.to_dict(),
            "train": self.train.to_dict(),
            "seed": self.seed,
        }


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


#: Seeds go to NumPy's legacy generator, which takes 32-bit values.
MAX_SEED = 2**32 - 1


def _seed(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise InputError(f"{name} must be an integer from 0 to {MAX_SEED}, got {value!r}")


def _positive_int(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")


def _positive_float(value: Any, name: str) -> None:
    if not _is_number(value) or value <= 0:
        raise InputError(f"{name} must be a positive number, got {value!r}")


def _non_negative_float(value: Any, name: str) -> None:
    if not _is_number(value) or value < 0:
        raise InputError(f"{name} must be a non-negative number, got {value!r}")
