"""The atlas: every study through the engine and one index page, resumed on a second run."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from latentatlas.cli import app
from latentatlas.report import Report
from latentatlas.studies import atlas, engine
from latentatlas.studies.digit_pairs import DigitPairsConfig
from latentatlas.studies.digit_pairs.study import DigitPairsStudy

runner = CliRunner()


def test_answer_reads_the_verdicts() -> None:
    assert atlas.answer(["supported", "supported", "inconclusive"]) == "confirmed"
    assert atlas.answer(["contradicted"]) == "not confirmed"
    assert atlas.answer(["supported", "contradicted"]) == "mixed"
    assert atlas.answer(["inconclusive"]) == "not judged"
    assert atlas.answer(["supported", "indicative"], [None, "contradicted"]) == "confirmed"
    leanings = ["supported", None, "supported"]
    assert atlas.answer(["indicative", "not judged", "indicative"], leanings) == "leans confirmed"
    assert atlas.answer(["indicative", "indicative"], ["supported", "contradicted"]) == (
        "leans mixed"
    )
    assert atlas.answer(["not judged", "inconclusive"], [None, None]) == "not judged"


def test_the_atlas_runs_its_studies_and_links_their_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = DigitPairsConfig.quick(n_per_class=30, seeds=2, epochs=2, models=("pca", "ae"))
    monkeypatch.setattr(DigitPairsConfig, "quick", classmethod(lambda cls, **kw: tiny))
    out = tmp_path / "atlas"
    # One job: its runs train in this process (the kill tests run an atlas with two workers).
    command = ["atlas", "--out", str(out), "--quick", "--studies", "digit-pairs", "--jobs", "1"]
    command.append("--quiet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    index = (out / "index.html").read_text()
    assert 'href="digit-pairs/report.html"' in index
    assert (out / "digit-pairs" / "report.html").is_file()
    assert "Answer:" in index and engine.get("digit-pairs").question in index
    assert "This atlas ran with quick settings (--quick)" in index
    assert "Run with quick settings (--quick)" in index  # the study's own line
    assert "indicative" in index and "not judged" in index  # counted even when none
    thumbnail = re.search(r'<img src="(digit-pairs/figures/figure-01-[a-z0-9-]+\.png)"', index)
    assert thumbnail and (out / thumbnail.group(1)).is_file()  # the headline figure, linked
    weights = sorted(out.rglob("model.safetensors"))
    before = [p.stat().st_mtime_ns for p in weights]
    with monkeypatch.context() as bare:  # the study's page without figures: redrawn below
        bare.setattr(DigitPairsStudy, "report", lambda self, results: Report("Digit pairs"))
        again = runner.invoke(app, command)
    assert again.exit_code == 0, again.output
    assert [p.stat().st_mtime_ns for p in weights] == before  # a finished study is reused
    (out / "index.html").unlink()
    (out / "digit-pairs" / "report.html").unlink()
    redrawn = runner.invoke(app, ["report", str(out)])  # every study's report and the index
    assert redrawn.exit_code == 0, redrawn.output
    stamp = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")  # when it was drawn
    redrawn_index = stamp.sub("", (out / "index.html").read_text())
    assert redrawn_index == stamp.sub("", index)  # the settings read back from the study too
    assert (out / "digit-pairs" / "report.html").is_file()
    assert [p.stat().st_mtime_ns for p in weights] == before  # drawn, not recomputed


def test_report_of_a_folder_without_studies_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["report", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "is not a study folder" in result.output
    assert not list((tmp_path / "empty").iterdir())  # nothing written


def test_an_unknown_study_is_one_sentence(tmp_path: Path) -> None:
    result = runner.invoke(app, ["atlas", "--out", str(tmp_path / "a"), "--studies", "nope"])
    assert result.exit_code == 2 and "unknown study 'nope'" in result.output
    assert not (tmp_path / "a").exists()
