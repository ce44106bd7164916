"""``latentatlas datasets``: the table, JSON, preview images, and bad input as exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import latentatlas.cli.datasets  # noqa: F401  (registers the command)
from latentatlas.cli._app import app
from latentatlas.data import names

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LATENTATLAS_DATA", raising=False)
    monkeypatch.setenv("LATENTATLAS_CACHE", str(tmp_path / "cache"))  # never the user's cache


def run(*args: str):
    return runner.invoke(app, ["datasets", *args])


def test_table_lists_all_seven() -> None:
    result = run()
    assert result.exit_code == 0, result.output
    for name in names():
        assert name in result.output
    assert "11,875" in result.output


def test_table_shows_each_loaders_options_whole_at_80_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from latentatlas.cli import datasets as command
    from latentatlas.data.registry import REGISTRY

    # The private field, not the ``width`` property: restoring the property would pin the shared
    # console at whatever width it had computed, and later tests would print cut tables.
    monkeypatch.setattr(command.console, "_width", 80)
    result = run()
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    words = {word for line in result.output.splitlines() for word in line.split()}
    for name, entry in REGISTRY.items():  # every option the loader takes, each shown whole
        labels = command.option_labels(name)
        assert [label.split("=")[0].split(" ")[0] for label in labels] == list(entry.options)
        assert all(label.split(" ")[0] in words for label in labels), (name, labels)
    assert {"split=train", "n_per_class", "antialias=false", "rescale=false"} <= words
    assert result.output.count("path (required)") == 2  # images and arrays need a path


def test_json() -> None:
    result = run("--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["name"] for row in rows] == names()
    assert {"name", "size", "shape", "labels", "factors", "source"} <= set(rows[0])


def test_preview_writes_a_png(tmp_path: Path) -> None:
    out = tmp_path / "figs" / "digits.png"
    result = run("preview", "digits", "--out", str(out), "--n", "12", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = tmp_path / "heat.png"
    result = run("preview", "heatmaps-t", "--out", str(out), "-o", "subsample=30")
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_preview_of_an_image_folder(tmp_path: Path) -> None:
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((10, 14, 3), 40 * i, dtype=np.uint8)).save(folder / f"{i}.png")
    out = tmp_path / "imgs.png"
    result = run("preview", "images", "--path", str(folder), "--out", str(out), "-o", "size=16")
    assert result.exit_code == 0, result.output
    assert out.exists()


def _nan_file(tmp_path: Path) -> Path:
    x = np.zeros((4, 4))
    x[1, 1] = np.nan
    np.savez(tmp_path / "nan.npz", x=x)
    return tmp_path / "nan.npz"


def _mismatch_file(tmp_path: Path) -> Path:
    np.savez(tmp_path / "mis.npz", x=np.zeros((5, 4)), labels=np.zeros(4, dtype=int))
    return tmp_path / "mis.npz"


def _not_idx_folder(tmp_path: Path) -> Path:
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"hello world, not IDX")
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"hello world, not IDX")
    return tmp_path


def _empty_folder(tmp_path: Path) -> Path:
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty"


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda t: ["cifar"], "unknown data set 'cifar'; known data sets: mnist"),
        (lambda t: ["mnist", "-o", "digits=1,12"], "digits must be integers from 0 to 9"),
        (lambda t: ["images", "--path", str(t / "nowhere")], "does not exist"),
        (lambda t: ["images", "--path", str(_empty_folder(t))], "holds no images"),
        (lambda t: ["arrays", "--path", str(_nan_file(t))], "has 1 NaN or infinite value"),
        (lambda t: ["arrays", "--path", str(_mismatch_file(t))], "has 4 entries but x has 5"),
        (lambda t: ["mnist", "--data-dir", str(_not_idx_folder(t))], "is not an IDX file"),
        (lambda t: ["digits", "-o", "oops"], "must look like KEY=VALUE"),
        (lambda t: ["digits", "-o", "n=3"], "unknown option 'n' for data set 'digits'"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(tmp_path: Path, make_args, message: str) -> None:
    out = tmp_path / "never.png"
    result = run("preview", *make_args(tmp_path), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not out.exists()


def test_out_must_be_png(tmp_path: Path) -> None:
    result = run("preview", "digits", "--out", str(tmp_path / "grid.jpg"))
    assert result.exit_code == 2 and "must be a .png file" in result.output
