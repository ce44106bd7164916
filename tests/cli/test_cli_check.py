"""End to end: `latentatlas check` on a run folder (studies: tests/studies/test_integrity.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from latentatlas.cli import app

runner = CliRunner()


@pytest.fixture
def run(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    data = tmp_path / "toy.npz"
    np.savez(data, x=rng.random((40, 6), dtype=np.float32))
    out = tmp_path / "runs"
    args = ["train", "--dataset", "arrays", "--path", str(data), "--model", "pca"]
    args += ["--latent-dim", "2", "--device", "cpu", "--quiet", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out / "seed-0"


def test_check_a_run_intact_damaged_and_written_before_manifests(
    run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    result = runner.invoke(app, ["check", str(run)])
    assert result.exit_code == 0 and f"run {run}: intact" in result.output
    weights = run / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01
    weights.write_bytes(bytes(data))
    result = runner.invoke(app, ["check", str(run)])
    assert result.exit_code == 1
    assert "model.safetensors was altered since it was written" in result.output
    assert "train it again" in result.output
    (run / "manifest.json").unlink()
    result = runner.invoke(app, ["check", str(run)])
    assert result.exit_code == 0 and "written before manifests" in result.output


def test_check_refuses_what_is_no_run_study_or_atlas_folder(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["check", str(tmp_path / "missing")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    (tmp_path / "file").write_text("x")
    assert runner.invoke(app, ["check", str(tmp_path / "file")]).exit_code == 2
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["check", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "not a run, study or atlas folder" in result.output
    assert "Traceback" not in result.output
