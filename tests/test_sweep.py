"""Sweeps: spec validation, the plan and its keys, per-run metrics, resumption, failures, CLI."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from latentatlas.cli._app import app
from latentatlas.config import RunConfig
from latentatlas.errors import InputError
from latentatlas.executors import LocalExecutor, RayExecutor, make_executor
from latentatlas.studies.sweep import (
    STUDY,
    RunMetrics,
    SweepSpec,
    parse_spec,
    read_spec,
    read_table,
    run_key,
    run_metrics,
    run_sweep,
)
from latentatlas.studies.sweep.study import SweepStudy
from latentatlas.train import EpochRecord, History

# Registers `latentatlas sweep` until cli/__init__.py imports it (the lead wires that line).
import latentatlas.cli.sweep  # noqa: F401  isort: skip

TINY = """
dataset = "mnist"
models = ["ae"]
latent_dims = [2]
seeds = [0]
digit_pairs = [[1, 2]]
n_per_class = 20
epochs = 1
device = "cpu"
"""


def _write(folder: Path, text: str, name: str = "spec.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


class CountingExecutor:
    """A local executor that records each plan it is given (to see what was trained)."""

    def __init__(self) -> None:
        self.inner = LocalExecutor(1, threads=1)
        self.plans: list[list[Path]] = []

    def run(self, plan: Any, **kwargs: Any) -> Any:
        self.plans.append([Path(path) for _, path in plan])
        return self.inner.run(plan, **kwargs)


pytestmark = pytest.mark.filterwarnings("ignore:no MNIST files given")


# -- the spec -------------------------------------------------------------------------------------
def test_spec_scalars_are_fixed_lists_are_swept_and_list_options_need_lists_of_lists() -> None:
    spec = parse_spec(
        {
            "dataset": "mnist",
            "models": ["pca", "ae"],
            "latent_dims": 2,
            "seeds": [0, 1],
            "digit_pairs": [[2, 1], [4, 9]],
            "hidden": [16, 8],  # one list value of a list-valued option: fixed
            "activation": ["tanh", "relu"],
            "lr": [0.01, 0.001],
            "n_per_class": 20,
        }
    )
    assert spec.models == ("pca", "ae") and spec.latent_dims == (2,)
    assert spec.digit_pairs == ((1, 2), (4, 9))  # sorted: the same data either way
    options = {o.name: (o.kind, o.values) for o in spec.options}
    assert options["hidden"] == ("model", ((16, 8),))
    assert options["activation"] == ("model", ("tanh", "relu"))
    assert options["lr"] == ("train", (0.01, 0.001))
    assert options["n_per_class"] == ("data", (20,))
    assert [name for name, _ in spec.swept()] == ["model", "digit_pair", "activation", "lr"]
    swept = SweepSpec.from_dict({**spec.to_dict(), "hidden": [[16, 8], [32]]})
    assert dict((o.name, o.values) for o in swept.options)["hidden"] == ((16, 8), (32,))


def test_plan_gives_model_options_only_to_models_that_take_them_and_keys_follow_options(
    tmp_path: Path,
) -> None:
    spec = parse_spec(
        {
            "dataset": "digits",
            "models": ["pca", "ae"],
            "latent_dims": [2],
            "seeds": [0, 1],
            "activation": ["tanh", "relu"],
        }
    )
    cells = STUDY.cells(spec)  # a cell per run
    # pca takes no activation: 2 seeds; ae: 2 activations x 2 seeds.
    configs = [cell.runs[0][0] for cell in cells]
    assert [c.model.name for c in configs] == ["pca"] * 2 + ["ae"] * 4
    assert [cell.params["activation"] for cell in cells[:2]] == [None, None]
    assert [cell.params["seed"] for cell in cells] == [0, 1] * 3
    assert len({cell.key for cell in cells}) == 6 == spec.run_count()
    for cell, config in zip(cells, configs, strict=True):
        assert cell.key == f"{config.model.name}/{run_key(config)}"
        assert cell.runs[0][1] == f"runs/{cell.key}"
    again = RunConfig.from_dict(json.loads(json.dumps(configs[3].to_dict())))
    assert run_key(again) == cells[3].key.split("/")[1]  # a key is a function of the options
    assert SweepSpec.from_dict(spec.to_dict()) == spec  # as study.json stores it


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (TINY + "colour = 3\n", "unknown key 'colour'"),
        (TINY.replace('["ae"]', '["ae", "nope"]'), "models lists 'nope'"),
        (
            TINY.replace("latent_dims = [2]", 'latent_dims = "two"'),
            "latent_dims[0] must be a valid integer, got 'two'",
        ),
        (
            TINY.replace("seeds = [0]", "seeds = [-1]"),
            "seeds[0] must be greater than or equal to 0",
        ),
        (TINY + "lr = nan\n", "lr must be finite, got nan"),
        (TINY + "max_runs = 0\n", "max_runs must be greater than or equal to 1, got 0"),
        (TINY.replace("seeds = [0]", "seeds = []"), "seeds is an empty list"),
        (TINY.replace("seeds = [0]", "seeds = [0, 0]"), "seeds lists 0 twice"),
        (TINY.replace("epochs = 1", "epochs = 0"), "train.epochs must be a positive integer"),
        (TINY + "activation = 'nope'\n", "activation"),
        (TINY.replace('"mnist"', '"digits"').replace("n_per_class = 20\n", ""), "digit_pairs"),
        (TINY + "[extra]\nx = 1\n", "unknown key 'extra'"),
        (TINY.replace("models = [", "models = ["), None),  # control: valid
    ],
)
def test_bad_specs_are_one_sentence_exit_2_and_write_nothing(
    tmp_path: Path, text: str, expected: str | None
) -> None:
    spec = _write(tmp_path, text)
    if expected is None:
        assert read_spec(spec).models == ("ae",)
        return
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(out)])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert expected in message and message.startswith("error:") and "Traceback" not in message
    assert not out.exists()


def test_malformed_toml_names_the_file_and_line(tmp_path: Path) -> None:
    spec = _write(tmp_path, 'dataset = "mnist"\nmodels = ["ae"]]\nseeds = [0]\n')
    with pytest.raises(InputError, match=r"spec.toml is not valid TOML: .*at line 2, column"):
        read_spec(spec)
    _write(tmp_path, 'dataset = "mnist"\nmodels = ["ae"\n')
    with pytest.raises(
        InputError, match=r"spec.toml is not valid TOML: .* end of the file, line 2"
    ):
        read_spec(spec)
    with pytest.raises(InputError, match="cannot read sweep spec"):
        read_spec(tmp_path / "missing.toml")


def test_make_executor_names_its_choices() -> None:
    assert isinstance(make_executor("local", 2), LocalExecutor)
    with pytest.raises(InputError, match="--executor must be one of local, ray"):
        make_executor("dask")
    with pytest.raises(InputError, match="--address needs --executor ray"):
        make_executor("local", 1, "auto")
    with pytest.raises(InputError, match="--jobs must be a positive integer"):
        make_executor("local", 0)
    pytest.importorskip("ray", reason="ray is an optional extra: latentatlas[ray]")
    executor = make_executor("ray", 2)  # nothing starts until it is given a plan
    assert isinstance(executor, RayExecutor) and executor.num_cpus == 2


# -- per-run metrics ------------------------------------------------------------------------------
def _history() -> History:
    records = tuple(
        EpochRecord(e, {"total": 1.0 / e}, {"total": 2.0 / e}, lr=0.01, seconds=0.1)
        for e in (1, 2, 3)
    )
    return History(epochs=records, best_epoch=3, stopped_early=False, device="cpu")


def test_run_metrics_on_separated_classes_and_round_trip() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 10.0]])
    train_labels, validation_labels = np.repeat([0, 1], 20), np.repeat([0, 1], 10)
    latents = {
        "train_codes": centres[train_labels] + rng.normal(0, 0.1, (40, 2)),
        "train_labels": train_labels,
        "validation_codes": centres[validation_labels] + rng.normal(0, 0.1, (20, 2)),
        "validation_labels": validation_labels,
        "validation_reconstruction_error": np.array([0.1, 0.3] * 10),
    }
    metrics = run_metrics(_history(), latents)
    assert metrics.knn_accuracy == 1.0 and metrics.silhouette > 0.95
    assert metrics.validation_loss == pytest.approx(2.0 / 3) and metrics.best_epoch == 3
    assert metrics.epochs_trained == 3 and metrics.reconstruction_error == pytest.approx(0.2)
    again = RunMetrics.from_dict(json.loads(json.dumps(metrics.to_dict())))
    assert again.to_dict() == metrics.to_dict()
    unlabelled = {k: v for k, v in latents.items() if "labels" not in k}
    bare = run_metrics(_history(), unlabelled)
    assert math.isnan(bare.silhouette) and math.isnan(bare.knn_accuracy) and bare.knn_k is None
    assert RunMetrics.from_dict(json.loads(json.dumps(bare.to_dict()))).knn_k is None


# -- running --------------------------------------------------------------------------------------
def test_sweep_resumes_and_a_new_seed_trains_only_its_runs(tmp_path: Path) -> None:
    spec = _write(tmp_path, TINY)
    out = tmp_path / "sweep"
    executor = CountingExecutor()
    first = run_sweep(spec, out, executor=executor)
    assert first.trained == 1 and not first.failures
    assert {"results.parquet", "results.csv", "report.html", "study.json"} <= {
        p.name for p in out.iterdir()
    }
    again = run_sweep(spec, out, executor=executor)
    assert again.trained == 0 and not any(executor.plans[1:])  # no run handed to the executor
    assert again.rows == first.rows
    _write(tmp_path, TINY.replace("seeds = [0]", "seeds = [0, 1]"))
    lines: list[str] = []
    more = run_sweep(spec, out, executor=executor, on_step=lines.append)
    assert more.trained == 1 and executor.plans[-1] == [out / more.rows[1]["folder"]]
    assert [line for line in lines if line.startswith("analysing")] == [  # only the new run
        f"analysing {more.rows[1]['folder'].removeprefix('runs/')}"
    ]
    assert more.rows[0] == first.rows[0]  # the finished run's numbers are kept
    assert [row["seed"] for row in read_table(out)] == [0, 1]
    assert list(read_table(out)[0])[:6] == [
        "run",
        "folder",
        "model",
        "latent_dim",
        "seed",
        "digit_pair",
    ]
    with open(out / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert float(rows[1]["knn_accuracy"]) == read_table(out)[1]["knn_accuracy"]


def test_a_failing_run_is_retried_once_recorded_and_the_rest_finish(tmp_path: Path) -> None:
    text = TINY.replace('["ae"]', '["ae", "vae"]') + "lr = 1e6\n"  # the VAE diverges
    spec = _write(tmp_path, text)
    out = tmp_path / "sweep"
    result = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 1, result.output
    assert "1 of 2 runs failed twice" in " ".join(result.output.split())
    rows = read_table(out)
    by_model = {row["model"]: row for row in rows}
    assert by_model["ae"]["status"] == "finished" and by_model["ae"]["error"] is None
    assert by_model["vae"]["status"] == "failed" and "diverged" in by_model["vae"]["error"]
    assert by_model["vae"]["validation_loss"] is None
    assert "retrying 1 failed run(s) once" in result.output
    assert "retry 1 of 1 FAILED" in " ".join(result.output.split())
    assert "Failed runs" in (out / "report.html").read_text()
    (out / "report.html").unlink()
    redrawn = CliRunner().invoke(app, ["report", str(out)])  # from stored results, as any study
    assert redrawn.exit_code == 0, redrawn.output
    assert "Failed runs" in (out / "report.html").read_text()


def test_a_finished_run_of_other_settings_is_refused(tmp_path: Path) -> None:
    spec = _write(tmp_path, TINY)
    out = tmp_path / "sweep"
    finished = run_sweep(spec, out)
    _write(tmp_path, TINY.replace("seeds = [0]", "seeds = [1]"))
    (seed_1,) = STUDY.cells(read_spec(spec))
    (out / finished.rows[0]["folder"]).rename(out / seed_1.runs[0][1])  # seed 0 under seed 1's key
    with pytest.raises(InputError, match="was trained with other settings than this study asks"):
        run_sweep(spec, out)
    again = run_sweep(spec, out, force=True)  # --force trains it again
    assert again.trained == 1 and again.rows[0]["seed"] == 1
    config_file = out / again.rows[0]["folder"] / "config.json"
    config_file.write_text(config_file.read_text().replace('"seed": 1', '"seed": 7'))
    with pytest.raises(InputError, match=r"config\.json was altered since it was written"):
        run_sweep(spec, out)


def test_a_damaged_finished_run_is_refused_not_listed_as_finished(tmp_path: Path) -> None:
    spec = _write(tmp_path, TINY)
    out = tmp_path / "sweep"
    finished = run_sweep(spec, out)
    weights = out / finished.rows[0]["folder"] / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # truncated
    result = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(out)])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert message.startswith("error:") and "model.safetensors" in message
    assert "--force" in message and "Traceback" not in message
    result = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert read_table(out)[0]["status"] == "finished"


def test_a_grid_over_the_limit_is_refused_before_it_is_planned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(self: Any, config: Any) -> Any:
        raise AssertionError("the grid was planned")

    monkeypatch.setattr(SweepStudy, "cells", never)
    # 2e8 runs: 1000 seeds x 200 dimensions x 1000 learning rates.
    huge = (
        TINY.replace("seeds = [0]", f"seeds = {list(range(1000))}")
        .replace("latent_dims = [2]", f"latent_dims = {list(range(1, 201))}")
        .replace("epochs = 1", f"epochs = 1\nlr = {[i / 1000 for i in range(1, 1001)]}")
    )
    spec = _write(tmp_path, huge)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(out)])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "the grid has 200,000,000 runs, more than the limit of 10,000" in message
    assert "max_runs = 200000000" in message and not out.exists()
    # The count is exact (a model option not taken adds no runs), and max_runs raises the limit.
    text = TINY.replace('["ae"]', '["pca", "ae"]').replace("seeds = [0]", "seeds = [0, 1, 2]")
    over = text + 'activation = ["tanh", "relu"]\nmax_runs = 8\n'
    with pytest.raises(InputError, match="the grid has 9 runs, more than the limit of 8"):
        parse_spec(__import__("tomllib").loads(over))
    assert parse_spec(__import__("tomllib").loads(over.replace("= 8", "= 9"))).run_count() == 9


def test_planning_ten_thousand_runs_is_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counts, not times: a value is compared once with what came before (a set), and each
    run's configuration is built once (not once per value of an option its model ignores)."""
    import latentatlas.studies.sweep.study as study_module

    built = []
    original = study_module._run_config
    monkeypatch.setattr(
        study_module, "_run_config", lambda *args: built.append(1) or original(*args)
    )
    spec = parse_spec(
        {
            "dataset": "digits",
            "models": ["pca", "ae"],
            "latent_dims": [2],
            "seeds": list(range(3333)),
            "activation": ["tanh", "relu"],
        }
    )
    cells = STUDY.cells(spec)
    assert spec.run_count() == 9999 == len(cells)
    assert len(built) == 3  # one configuration per model and option values; seeds reuse it
    import latentatlas.models
    from latentatlas.executors import check_plan
    from latentatlas.studies import engine

    checked = []
    original_check = latentatlas.models.check_buildable
    monkeypatch.setattr(
        latentatlas.models,
        "check_buildable",
        lambda *args: checked.append(1) or original_check(*args),
    )
    check_plan(engine._plan(Path("sweep"), cells))  # what the engine validates before writing
    assert len(checked) == 3  # each model built once, not once per seed
