"""Declared bounds of study settings: one validator, one sentence, nothing written."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from latentatlas.cli import app
from latentatlas.errors import InputError
from latentatlas.studies import engine
from latentatlas.studies.config import Each, Interval, OneOf, TrainingSettings

runner = CliRunner()


@pytest.mark.parametrize(
    ("constraint", "value", "message"),
    [
        (Interval(int, 1, 10), 0, "x must be an integer from 1 to 10, got 0"),
        (Interval(int, 1, 10), 2.0, "x must be an integer from 1 to 10, got 2.0"),
        (Interval(int, 1, 10), True, "x must be an integer from 1 to 10, got True"),
        (Interval(float, 0.0, None, "neither"), 0.0, "x must be a number above 0, got 0.0"),
        (Interval(float, 0.0, 1.0, "neither"), math.nan, "x must be a finite number"),
        (Interval(float, 0.0, None), math.inf, "x must be a finite number of at least 0"),
        (OneOf(("a", "b")), "c", "x must be one of a, b, got 'c'"),
        (Each(OneOf(("a", "b"))), ("a", "a"), "x names 'a' twice"),
        (Each(OneOf(("a", "b"))), (), "x is empty"),
        (Each(Interval(int, 1, None)), (1, 0), r"x\[1\] must be an integer of at least 1"),
        (Each(Interval(int, 1, None), 2, 2), (1,), "x takes exactly 2 values, got 1"),
    ],
)
def test_each_constraint_names_the_setting_and_the_bound(
    constraint: Interval | OneOf | Each, value: object, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        constraint.check("x", value)


@pytest.mark.parametrize(
    ("constraint", "value"),
    [
        (Interval(int, 1, 10), 1),
        (Interval(int, 1, 10), 10),
        (Interval(float, 0.0, 1.0, "neither"), 0.5),
        (Interval(float, 0.0, 1.0), 1),  # an integer is a number
        (Each(Interval(int, 1, None), allow_repeats=True), (4, 4)),
        (Each(OneOf(("a",)), min_items=0), ()),
    ],
)
def test_values_inside_the_bounds_pass(constraint: Interval | OneOf | Each, value: object) -> None:
    constraint.check("x", value)


def test_the_training_block_gives_the_runs_train_config() -> None:
    settings = TrainingSettings(epochs=3, lr=0.5, patience=2, split_seed=7)
    train = settings.train_config()
    assert (train.epochs, train.lr, train.patience, train.split_seed) == (3, 0.5, 2, 7)
    assert train.lr_schedule == "none" and train.weight_decay == 1e-6
    assert settings.training_text() == (
        "Adam, lr 0.5, weight decay 1e-06, batch 128, up to 3 epochs, patience 2, 20% held out "
        "(split seed 7)"
    )
    assert "lr the model's default" in TrainingSettings().training_text()


def test_every_study_shares_the_training_block_and_its_bounds() -> None:
    for name in ("digit-pairs", "heatmaps", "filaments", "disentanglement"):
        config_type = engine.get(name).config_type
        assert issubclass(config_type, TrainingSettings), name
        with pytest.raises(InputError, match="seeds must be an integer from 1 to 1,000"):
            config_type(seeds=1_000_000_000)


#: Options that hung, allocated terabytes or ran on nonsense before they had declared bounds
#: (the list options and the rest of issue 32's cases are in tests/cli/test_cli_options.py).
BAD_OPTIONS = [
    ("digit-pairs", ["--lr", "1e308"], "lr must be a number above 0 and at most 10"),
    ("filaments", ["--early-exaggeration", "inf"], "early_exaggeration must be a finite"),
    ("filaments", ["--id-neighbours", "1000000"], "id_neighbours must be an integer from 3"),
    ("filaments", ["--memory-latent-dims", "1000000000"], r"memory_latent_dims\[0\] must be"),
    ("filaments", ["--tsne-points", "20"], "perplexity must be below a third of tsne_points"),
    ("heatmaps", ["--validation-fraction", "1"], "validation_fraction must be a number above 0"),
    ("disentanglement", ["--betas", "1,inf"], r"betas\[1\] must be a finite number"),
]


@pytest.mark.parametrize(("study", "args", "message"), BAD_OPTIONS)
def test_bad_options_are_refused_before_anything_is_written(
    tmp_path: Path, study: str, args: list[str], message: str
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["study", study, "--out", str(out), *args])
    assert result.exit_code == 2, result.output
    assert " ".join(result.output.split()).count("Traceback") == 0
    assert re.search(message, " ".join(result.output.split())), result.output
    assert not out.exists()


def test_layer_widths_may_repeat_on_the_command_line_while_other_lists_may_not() -> None:
    from latentatlas.studies.heatmaps import HeatmapsConfig

    options = {option.flag: option for option in HeatmapsConfig.cli_options()}
    assert options["--filters"].parse("4,4,4,4") == (4, 4, 4, 4)
    with pytest.raises(InputError, match="--datasets lists heatmaps twice"):
        options["--datasets"].parse("heatmaps,heatmaps")


def test_none_is_refused_where_the_setting_is_not_optional() -> None:
    from latentatlas.studies.digit_pairs import DigitPairsConfig

    with pytest.raises(InputError, match="seeds must be an integer from 1 to 1,000, got None"):
        DigitPairsConfig.from_dict({"seeds": None})
    assert DigitPairsConfig.from_dict({"n_per_class": None, "lr": None}).lr is None
