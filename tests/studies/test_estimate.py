"""The atlas's dry-run estimate: the schedule over workers, the measured runs, the CLI table."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from latentatlas.cli import app
from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.data import load
from latentatlas.errors import InputError
from latentatlas.runs import split_indices
from latentatlas.studies import estimate
from latentatlas.studies.digit_pairs import DigitPairsConfig

runner = CliRunner()


def test_runs_are_handed_in_order_to_the_first_free_worker() -> None:
    assert estimate.schedule_seconds([], 2) == 0.0
    assert estimate.schedule_seconds([1, 2, 3], 1) == 6.0
    assert estimate.schedule_seconds([1, 1, 1, 1], 2) == 2.0
    # The long first run keeps one worker while the other takes the three short ones.
    assert estimate.schedule_seconds([3, 1, 1, 1], 2) == 3.0
    assert estimate.schedule_seconds([3, 1, 1, 1], 2, startup=0.5) == 3.5
    assert estimate.schedule_seconds([1, 1, 1, 3], 2) == 4.0  # in plan order, not sorted
    assert estimate.schedule_seconds([2, 2], 8) == 2.0


def test_a_run_is_measured_with_its_own_data_and_settings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = load("mnist", digits=[1, 2], n_per_class=50)
    train = TrainConfig(epochs=7, batch_size=16, patience=None, device="cpu")
    config = RunConfig(DataConfig("mnist", {"digits": [1, 2]}), ModelConfig("ae", 2), train)
    cost = estimate.measure_run(config, dataset, steps=2, load_seconds=1.5)
    train_rows = len(split_indices(config, dataset)[0])
    assert cost.steps_per_epoch == math.ceil(train_rows / 16)
    assert cost.epochs == 7 and cost.model == "ae" and cost.data == "mnist"
    assert 0 < cost.step_seconds < cost.epoch_seconds
    assert cost.epoch_seconds >= cost.steps_per_epoch * cost.step_seconds
    assert cost.run_seconds >= 1.5 + 7 * cost.epoch_seconds  # load, then every epoch
    pca = RunConfig(config.data, ModelConfig("pca", 2), train)
    closed = estimate.measure_run(pca, dataset, steps=2)
    assert closed.epochs == 1 and closed.run_seconds >= closed.step_seconds > 0


def test_dry_run_prints_each_stage_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = DigitPairsConfig.quick(n_per_class=30, seeds=2, epochs=3, models=("pca", "ae"))
    monkeypatch.setattr(DigitPairsConfig, "quick", classmethod(lambda cls, **kw: tiny))
    out = tmp_path / "atlas"
    args = ["atlas", "--out", str(out), "--quick", "--studies", "digit-pairs", "--jobs", "1"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.invoke(app, [*args, "--dry-run"])
    assert result.exit_code == 0, result.output
    for stage in ("data", "train pca on mnist", "train ae on mnist", "analyses and report"):
        assert stage in result.output
    assert "atlas: about" in result.output and "--jobs 1" in result.output
    assert not out.exists()


def test_dry_run_refuses_bad_settings_in_one_sentence(tmp_path: Path) -> None:
    result = runner.invoke(app, ["atlas", "--studies", "nope", "--dry-run"])
    assert result.exit_code == 2 and "unknown study 'nope'" in result.output
    with pytest.raises(InputError, match="jobs must be a positive integer, got 0"):
        estimate.estimate_atlas(["digit-pairs"], jobs=0)
    with pytest.raises(InputError, match="steps must be a positive integer"):
        estimate.estimate_atlas(["digit-pairs"], steps=0)
