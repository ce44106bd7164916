"""End to end: `latentatlas models`, `models count`, `train` on a tiny arrays file, `runs list`."""

from __future__ import annotations

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
