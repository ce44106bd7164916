"""Every Python example of the README runs as written, each in a fresh namespace and folder."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def _run(block: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(block, "README.md", "exec"), {})


def test_the_readme_has_its_three_python_examples() -> None:
    assert len(BLOCKS) == 3
    assert all(block.lstrip().startswith("import latentatlas as la") for block in BLOCKS)


def test_the_run_example_trains_and_measures(tmp_path, monkeypatch, capsys) -> None:
    _run(BLOCKS[0], tmp_path, monkeypatch)
    silhouette, accuracy = (float(line) for line in capsys.readouterr().out.split())
    assert -1.0 <= silhouette <= 1.0
    assert accuracy > 0.9  # digits 1 and 2 are easy to tell apart in any trained 2-d code
    assert (tmp_path / "runs" / "ae12-seed0" / "model.safetensors").is_file()


def test_the_study_example_prints_a_verdict_per_claim(tmp_path, monkeypatch, capsys) -> None:
    from latentatlas.studies.claims import VERDICTS
    from latentatlas.studies.digit_pairs import DigitPairsConfig

    # The example as written, on tiny quick settings so that it trains in seconds.
    tiny = DigitPairsConfig(seeds=2, epochs=2, n_per_class=30, models=("pca", "ae"))
    monkeypatch.setattr(DigitPairsConfig, "quick", classmethod(lambda cls, **kw: tiny))
    _run(BLOCKS[1], tmp_path, monkeypatch)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 6 and all(line.startswith(VERDICTS) for line in lines), lines
    assert (tmp_path / "atlas" / "digit-pairs" / "report.html").is_file()


def test_the_your_own_model_example_inspects_a_vae(tmp_path, monkeypatch, capsys) -> None:
    _run(BLOCKS[2], tmp_path, monkeypatch)
    report = Path(capsys.readouterr().out.strip())
    assert report.is_file() and report.name == "report.html"
    assert (tmp_path / "inspect-vae" / "metrics.json").is_file()
