"""Settings of the digit-pairs study; the defaults are those of 000_2b4a74d5463f301c.txt."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from latentatlas.config import DataConfig, ModelConfig
from latentatlas.errors import InputError
from latentatlas.studies.config import (
    CliOption,
    Each,
    Interval,
    OneOf,
    TrainingSettings,
    mnist_folder,
    no_duplicates,
    parse_ints,
    redefault,
    setting,
)

STUDY_MODELS: tuple[str, ...] = ("pca", "linear-ae", "ae", "dae")
#: Models with a hidden activation (the others are linear and trained once per cell).
ACTIVATED_MODELS = frozenset({"ae", "dae"})
#: How reports and verdicts name each model (and the Manifold Sculpting row).
MODEL_TITLES = {
    "pca": "PCA (closed form)",
    "linear-ae": "linear autoencoder",
    "ae": "autoencoder",
    "dae": "denoising autoencoder",
    "sculpting": "Manifold Sculpting",
}
ALL_PAIRS: tuple[tuple[int, int], ...] = tuple(itertools.combinations(range(10), 2))
ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "elu", "gelu", "sigmoid", "leaky_relu")
CLASSIFIERS: tuple[str, ...] = ("logistic", "mlp")


def parse_pairs(text: str | None, digits: Sequence[int] | None) -> tuple[tuple[int, int], ...]:
    """Turn ``--pairs all`` / ``--pairs 1-2,4-9`` / ``--digits 1,2`` into digit pairs.

    ``all`` is read in any case (``ALL``, ``All``); a pair listed twice, in either order, is an
    error.
    """
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
    return no_duplicates(tuple(pairs), "--pairs", key=lambda pair: frozenset(pair))


def _pairs_option(text: str) -> tuple[tuple[int, int], ...]:
    """``--pairs`` on the command line: an empty value is an error, not the default pair."""
    if not text.strip():
        raise InputError("--pairs is empty; give 'all' or pairs such as 1-2,4-9")
    return parse_pairs(text, None)


@dataclass(frozen=True)
class DigitPairsConfig(TrainingSettings):
    """Settings of the digit-pairs study; the defaults are the source's (Adam, lr 1e-2).

    Every setting's help text (``latentatlas study digit-pairs --help``) documents it; the first
    pair is the headline pair, and every metric is computed on the validation split only.
    """

    QUICK: ClassVar[Mapping[str, Any]] = {
        "seeds": 3,
        "epochs": 40,
        "batch_size": 32,
        "patience": 8,
        "n_per_class": 300,
    }

    lr: float | None = redefault(TrainingSettings, "lr", 1e-2)

    pairs: tuple[tuple[int, int], ...] = setting(
        ((1, 2),),
        "Digit pairs: 'all' (any case) for the 45 pairs, or a list such as 1-7,4-9.",
        parse=_pairs_option,
        metavar="A-B,...|all",
    )
    latent_dims: tuple[int, ...] = setting(
        (2,), "Latent dimensions, e.g. 2,3,5,10 for a sweep.", check=Each(Interval(int, 1, 4096))
    )
    activations: tuple[str, ...] = setting(
        ("tanh",),
        "Activations of ae and dae, e.g. tanh,relu.",
        check=Each(OneOf(ACTIVATIONS)),
        cli="activation",
    )
    models: tuple[str, ...] = setting(
        STUDY_MODELS, "Models to train.", check=Each(OneOf(STUDY_MODELS))
    )
    classifier: str = setting(
        "logistic", "Label classifier on pixels: logistic or mlp.", check=OneOf(CLASSIFIERS)
    )
    data_dir: str | None = mnist_folder()
    n_per_class: int | None = setting(
        None, "Keep at most N images per digit.", check=Interval(int, 2, None)
    )
    with_sculpting: bool = setting(
        False, "Add Manifold Sculpting as a row (fitted on train + validation images)."
    )

    def check_relations(self) -> None:
        """Every pair is two different digits, and no pair is given twice."""
        if not self.pairs:
            raise InputError("pairs is empty: give at least one digit pair such as 1,2")
        for a, b in self.pairs:
            if not (0 <= a <= 9 and 0 <= b <= 9) or a == b:
                raise InputError(f"digit pair ({a}, {b}) must be two different digits in 0-9")
        no_duplicates(self.pairs, "pairs", key=lambda pair: frozenset(pair))

    @classmethod
    def cli_options(cls) -> list[CliOption]:
        """The settings' options plus ``--digits``, the headline pair's shorthand."""
        digits = CliOption(
            field="digits",
            flag="--digits",
            help="The two digits of a single pair, e.g. 1,2 (or use --pairs). (default: 1,2)",
            metavar="A,B",
            parse=lambda text: parse_ints(text, "--digits"),
        )
        return [digits, *super().cli_options()]

    @classmethod
    def from_cli(cls, texts: Mapping[str, str | None], quick: bool = False) -> DigitPairsConfig:
        """``--digits`` becomes ``pairs`` unless ``--pairs`` is given."""
        texts = dict(texts)
        digits_text = texts.pop("digits", None)
        if texts.get("pairs") is None and digits_text is not None:
            (pair,) = parse_pairs(None, parse_ints(digits_text, "--digits"))
            texts["pairs"] = "{}-{}".format(*pair)
        return super().from_cli(texts, quick)


def data_config(config: DigitPairsConfig, pair: tuple[int, int]) -> DataConfig:
    """The ``mnist`` loader options of one pair: one home for the runs and the analyses."""
    optional = {"data_dir": config.data_dir, "n_per_class": config.n_per_class}
    options = {"digits": list(pair), **{k: v for k, v in optional.items() if v is not None}}
    return DataConfig(name="mnist", options=options)


def cell_models(
    config: DigitPairsConfig, latent_dim: int, activation: str
) -> dict[str, ModelConfig]:
    """The models of one cell; the activation-free ones only under the first activation."""
    first = activation == config.activations[0]
    return {
        model: ModelConfig(
            model, latent_dim, {"activation": activation} if model in ACTIVATED_MODELS else {}
        )
        for model in config.models
        if model in ACTIVATED_MODELS or first
    }


def model_title(model: str) -> str:
    """How reports and verdicts name ``model``."""
    return MODEL_TITLES.get(model, model)
