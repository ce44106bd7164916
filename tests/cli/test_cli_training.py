"""End to end: `latentatlas models`, `models count`, `train` on a tiny arrays file, `runs list`."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from typer.testing import CliRunner

from latentatlas import runs
from latentatlas.cli import app

torch.set_num_threads(1)
runner = CliRunner()


def test_models_lists_every_model_with_its_options():
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    for name in ("pca", "linear-ae", "ae", "dae", "vae", "conv-ae", "conv-vae", "ae-classifier"):
        assert name in result.output
    assert "tanh" in result.output


def test_models_count_prints_the_filaments_source_numbers():
    args = ["models", "count", "conv-vae", "--input-shape", "3,96,96", "--latent-dim", "256"]
    result = runner.invoke(app, [*args, "--bottleneck", "256"])
    assert result.exit_code == 0, result.output
    assert "2,879,552" in result.output
    assert "5,107,520" in runner.invoke(app, args).output
    bad = runner.invoke(app, ["models", "count", "conv-vae", "--input-shape", "3,x"])
    assert bad.exit_code == 2 and "--input-shape" in bad.output


def test_train_several_seeds_then_list_them(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "toy.npz"
    np.savez(data, x=rng.random((80, 10), dtype=np.float32), labels=np.arange(80) % 2)
    out = tmp_path / "runs"
    args = ["train", "--dataset", "arrays", "--path", str(data), "--model", "ae"]
    args += ["--latent-dim", "2", "-m", "hidden=[6]", "--seeds", "2", "--epochs", "2"]
    args += ["--batch-size", "16", "--device", "cpu", "--quiet", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert runs.is_complete(out / "seed-0") and runs.is_complete(out / "seed-1")
    assert runs.load(out / "seed-1").config.model.options == {"hidden": [6]}

    listed = runner.invoke(app, ["runs", "list", str(out)])
    assert listed.exit_code == 0 and "seed-0" in listed.output and "seed-1" in listed.output
    report = runner.invoke(app, ["report", str(out)])  # not a study: what to run instead
    assert report.exit_code == 2 and "Traceback" not in report.output
    instead = f"latentatlas inspect --run {out / 'seed-0'} --run {out / 'seed-1'} --out"
    assert "not a study" in report.output and instead in " ".join(report.output.split())

    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "already holds a complete run" in again.output
    assert "--resume" in again.output and "--force" in again.output
    assert runner.invoke(app, [*args, "--resume"]).exit_code == 0
    before = (out / "seed-0" / "model.safetensors").stat().st_mtime_ns
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert (out / "seed-0" / "model.safetensors").stat().st_mtime_ns != before


def test_wrong_option_values_are_one_sentence_and_exit_2(tmp_path):
    base = ["train", "--out", str(tmp_path / "r"), "--dataset", "arrays"]
    cases = [
        (["--model", "nope"], "model.name"),
        (["--lr-schedule", "cosine"], "lr_schedule"),
        (["--epochs", "0"], "epochs"),
        (["--device", "tpu"], "device"),
    ]
    for extra, expected in cases:
        result = runner.invoke(app, [*base, *extra])
        assert result.exit_code == 2, (extra, result.output)
        assert expected in result.output
    assert runner.invoke(app, ["runs", "list", str(tmp_path / "missing")]).exit_code == 2


def _toy_args(tmp_path, out):
    rng = np.random.default_rng(0)
    data = tmp_path / "toy.npz"
    np.savez(data, x=rng.random((80, 10), dtype=np.float32), labels=np.arange(80) % 2)
    args = ["train", "--dataset", "arrays", "--path", str(data), "--latent-dim", "2"]
    return [
        *args,
        "-m",
        "hidden=[6]",
        "--epochs",
        "2",
        "--device",
        "cpu",
        "--quiet",
        "--out",
        str(out),
    ]


def test_a_diverged_training_is_one_sentence_and_leaves_nothing_half_written(tmp_path):
    out = tmp_path / "runs"
    result = runner.invoke(app, [*_toy_args(tmp_path, out), "--model", "vae", "--lr", "1e6"])
    assert result.exit_code == 1
    assert "training diverged" in result.output and "Traceback" not in result.output
    assert not result.exception or isinstance(result.exception, SystemExit)
    assert not out.exists()  # was left behind empty; no seed-0.partial holding a config only


def test_a_failed_train_removes_only_the_folders_it_created(tmp_path):
    out = tmp_path / "new" / "deeper" / "runs"
    result = runner.invoke(app, [*_toy_args(tmp_path, out), "--model", "vae", "--lr", "1e6"])
    assert result.exit_code == 1 and not (tmp_path / "new").exists()
    (tmp_path / "mine").mkdir()
    out = tmp_path / "mine" / "runs"
    result = runner.invoke(app, [*_toy_args(tmp_path, out), "--model", "vae", "--lr", "1e6"])
    assert result.exit_code == 1 and (tmp_path / "mine").is_dir() and not out.exists()


def test_resume_with_a_garbage_run_config_names_the_file(tmp_path):
    out = tmp_path / "runs"
    partial = runs.partial_dir(out / "seed-0")
    partial.mkdir(parents=True)
    (partial / "run-config.json").write_text("{garbage")
    result = runner.invoke(app, [*_toy_args(tmp_path, out), "--resume"])
    assert result.exit_code == 2, result.output  # was a JSONDecodeError traceback
    assert "run-config.json is not valid JSON" in result.output
    assert "Traceback" not in result.output
    (partial / "run-config.json").write_text("[1, 2]")
    result = runner.invoke(app, [*_toy_args(tmp_path, out), "--resume"])
    assert result.exit_code == 2 and "does not hold a run configuration" in result.output


def test_an_out_that_is_a_broken_link_or_cannot_be_created_is_one_sentence(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "missing")
    for out in (link, link / "below"):
        result = runner.invoke(app, _toy_args(tmp_path, out))
        assert result.exit_code == 2, result.output  # was a FileExistsError traceback
        assert "a broken link to the missing" in " ".join(result.output.split())
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    targets = [locked / "runs"] * (os.geteuid() != 0) + [Path("/proc/latentatlas-runs")] * (
        Path("/proc/self").is_dir()
    )
    for out in targets:
        result = runner.invoke(app, _toy_args(tmp_path, out))
        assert result.exit_code == 2, result.output  # /proc was a FileNotFoundError traceback
        assert "cannot be created" in result.output and not out.exists()
    assert [p.name for p in locked.iterdir()] == []


def test_runs_list_shows_an_interrupted_run_as_incomplete(tmp_path):
    from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
    from latentatlas.train import fit

    out = tmp_path / "runs"
    assert runner.invoke(app, [*_toy_args(tmp_path, out), "--model", "ae"]).exit_code == 0
    # An interrupted second seed: a checkpoint after one epoch, no run folder.
    config = RunConfig(
        DataConfig("arrays", {"path": str(tmp_path / "toy.npz")}),
        ModelConfig("ae", 2, {"hidden": [6]}),
        TrainConfig(epochs=1, device="cpu"),
        seed=1,
    )
    partial = runs.partial_dir(out / "seed-1")
    partial.mkdir()
    (partial / "run-config.json").write_text(__import__("json").dumps(config.to_dict()))
    model = __import__("latentatlas.models", fromlist=["build"]).build("ae", (10,), 2, hidden=[6])
    data = np.random.default_rng(1).random((40, 10), dtype=np.float32)
    fit(model, data[:30], data[30:], config.train, seed=1, checkpoint_dir=partial, progress=False)
    listed = runner.invoke(app, ["runs", "list", str(out)])
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[0]: line for line in listed.output.splitlines() if "seed-" in line}
    assert "complete" in rows["seed-0"] and "incomplete" in rows["seed-1"]


def test_impossible_seeds_splits_and_sizes_are_one_sentence_each(tmp_path):
    out = tmp_path / "runs"
    base = [*_toy_args(tmp_path, out), "--model", "ae"]
    cases = [
        (["--split-seed", "-1"], "split_seed"),
        (["--split-seed", str(2**70)], "split_seed"),
        (["--first-seed", "-3"], "seed must be"),
        (["--first-seed", str(2**40)], "seed must be"),
        (["--validation-fraction", "0.999"], "training split"),
        (["--validation-fraction", "0.001"], "validation split"),
        (["--latent-dim", str(10**9)], "GiB"),
        (["--latent-dim", str(2**70)], "latent_dim"),
    ]
    for extra, expected in cases:
        result = runner.invoke(app, [*base, *extra])
        assert result.exit_code == 2, (extra, result.output)
        assert expected in result.output and "Traceback" not in result.output, extra
        assert not out.exists(), extra


def test_an_output_that_is_a_file_is_one_sentence(tmp_path):
    file = tmp_path / "file"
    file.write_text("x")
    for out in (file, file / "below"):
        result = runner.invoke(app, [*_toy_args(tmp_path, out), "--model", "ae"])
        assert result.exit_code == 2 and "is a file" in result.output, result.output
