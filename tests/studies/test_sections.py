"""Report parts every study shares: the verdict table, its marks and the settings line."""

from __future__ import annotations

from pathlib import Path

from latentatlas.report import Report
from latentatlas.studies import sections
from latentatlas.studies.claims import VERDICTS, Claim
from latentatlas.studies.digit_pairs import DigitPairsConfig


def _claim(verdict: str, leaning: str | None = None) -> Claim:
    return Claim("k", "A claim.", verdict, "The numbers.", "The test.", leaning=leaning)


def test_every_verdict_has_a_mark_and_indicative_says_its_leaning() -> None:
    assert set(sections.VERDICT_MARKS) == set(VERDICTS)
    label = sections.verdict_label(_claim("indicative", "supported"))
    assert label == "≈ indicative (leans supported)"
    assert sections.verdict_label(_claim("not judged")) == "– not judged"


def test_the_settings_are_read_from_the_config() -> None:
    assert sections.is_quick(DigitPairsConfig.quick()) is True
    assert sections.is_quick(DigitPairsConfig()) is False
    assert sections.is_quick(DigitPairsConfig.quick(seeds=5)) is None
    assert sections.is_quick(object()) is None
    assert sections.settings_label(True).startswith("quick settings (--quick)")
    assert sections.settings_label(False) == "the sources' settings"
    assert "neither --quick" in sections.settings_label(None)


def test_the_verdict_table_explains_indicative_and_names_the_settings(tmp_path: Path) -> None:
    report = Report("A study")
    claims = [_claim("indicative", "contradicted"), _claim("not judged")]
    sections.add_verdicts(report, claims, "the source", config=DigitPairsConfig.quick())
    page = report.write(tmp_path / "report.html").read_text()
    assert "≈ indicative (leans contradicted)" in page and "– not judged" in page
    assert "fewer than 5 seeds" in page and "quick settings (--quick)" in page
    assert "indicative means fewer seeds than that" in page
