"""The report parts a study's body is built from, each on a hand-built tiny result whose table
rows and figures are known."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from latentatlas.report import Report
from latentatlas.studies import report_parts
from latentatlas.studies.report_parts import (
    SEED_SPREAD_COLUMNS,
    Column,
    add_against_setting,
    add_reconstructions,
    add_strip,
    cell,
    column_row,
    model_rows,
)


@dataclass(frozen=True)
class _Scores:
    error: tuple[float, ...]
    knn: tuple[float, ...] | None


@dataclass(frozen=True)
class _Spread:
    silhouette_std: float | None
    procrustes_pairs: tuple[float, ...]
    cka_pairs: tuple[float, ...]


COLUMNS = (
    Column("error", lambda s: s.error, 2),
    Column("k-NN", lambda s: s.knn),
    Column("seeds", lambda s: f"{len(s.error)} seeds"),
)


def test_a_cell_is_mean_and_std_over_seeds_one_number_or_text() -> None:
    assert cell([0.5, 0.7]) == "0.600 ± 0.141 (n=2)"
    assert cell((0.3,), digits=1) == "0.3 (n=1)"
    assert cell(np.array([1.0, np.nan, 3.0])) == "2.000 ± 1.414 (n=2)"  # NaN left out
    assert cell(0.1234) == "0.123" and cell(np.float64(2.0), digits=1) == "2.0"
    assert cell("n/a (no decoder)") == "n/a (no decoder)"
    assert cell(None) is None
    assert cell(()) == "—"


def test_rows_read_each_column_and_leave_out_a_missing_value() -> None:
    results = {"ae": _Scores((0.1, 0.3), (0.9, 0.8)), "pca": _Scores((0.2,), None)}
    rows = model_rows(results, COLUMNS, title=str.upper)
    assert rows == [
        {"model": "AE", "error": "0.20 ± 0.14 (n=2)", "k-NN": "0.850 ± 0.071 (n=2)",
         "seeds": "2 seeds"},
        {"model": "PCA", "error": "0.20 (n=1)", "seeds": "1 seeds"},
    ]  # fmt: skip
    row = column_row(COLUMNS[:1], results["pca"], **{"data set": "mnist", "model": "PCA"})
    assert list(row) == ["data set", "model", "error"]
    assert column_row([("e", lambda s: s.error, 1)], results["pca"]) == {"e": "0.2 (n=1)"}
    assert model_rows({"a": results["pca"]}, COLUMNS[:1], name="path") == [
        {"path": "a", "error": "0.20 (n=1)"}
    ]


def test_the_seed_spread_table_gives_the_pairs_of_seeds_mean_and_std() -> None:
    spreads = {
        "ae": _Spread(0.0126, (0.1, 0.3, 0.2), (0.9, 0.7, 0.8)),
        "pca": _Spread(None, (), ()),
    }
    assert model_rows(spreads, SEED_SPREAD_COLUMNS) == [
        {
            "model": "ae",
            "silhouette std": "0.013",
            "Procrustes disparity (seed pairs)": "0.200 ± 0.100 (n=3)",
            "linear CKA (seed pairs)": "0.800 ± 0.100 (n=3)",
        },
        {
            "model": "pca",
            "Procrustes disparity (seed pairs)": "—",
            "linear CKA (seed pairs)": "—",
        },
    ]


def _figures(report: Report) -> list[dict[str, Any]]:
    return [
        block
        for section in [report.summary, *report.sections]
        for block in section.blocks
        if block["kind"] == "figure"
    ]


def test_a_strip_leaves_out_models_without_seeds_and_names_its_reference(monkeypatch) -> None:
    drawn: list[tuple[Any, ...]] = []
    _record(monkeypatch, "metric_strip", drawn)
    report = Report("A study")
    section = report.add_section("Seeds")
    by_model = {"AE": (0.1, 0.2), "VAE": ()}
    assert add_strip(section, by_model, "error", "Error (mnist)", heading="Error per seed",
                     reference=(0.5, "pixel space"))  # fmt: skip
    assert not add_strip(section, {"VAE": ()}, "error", "nothing drawn")
    (figure,) = _figures(report)
    assert figure["title"] == "Error per seed"
    assert figure["caption"] == report_parts.STRIP_CAPTION + " and the pixel space line."
    assert drawn == [({"AE": (0.1, 0.2)}, "error", "Error (mnist)", 0.5, "pixel space", None)]
    add_strip(section, {"AE": (0.1,)}, "error", "Error")
    assert _figures(report)[-1]["caption"] == report_parts.STRIP_CAPTION + "."


def test_a_swept_setting_gets_one_figure_per_metric_with_a_value(monkeypatch) -> None:
    drawn: list[tuple[Any, ...]] = []
    _record(monkeypatch, "metric_vs_option", drawn)
    report = Report("A sweep")
    metrics = {
        "loss": {"ae": [[0.3, 0.2], [0.1]], "pca": [[], []]},  # pca has no loss: left out
        "silhouette": {"ae": [[], []], "pca": [[], []]},  # no model has it: no figure
    }
    section = add_against_setting(
        report, "lr", [0.01, 0.1], metrics, "averaged over the other options", {"loss": "MSE"}
    )
    assert section.title == "Against the lr"
    (figure,) = _figures(report)
    assert figure["title"] == "loss against the lr"
    assert "each seed's loss, averaged over the other options." in figure["caption"]
    assert drawn == [([0.01, 0.1], {"ae": [[0.3, 0.2], [0.1]]}, "lr", "MSE", figure["title"], None)]


def test_reconstructions_are_originals_above_a_models_rows(monkeypatch) -> None:
    drawn: list[tuple[Any, ...]] = []
    _record(monkeypatch, "image_pairs", drawn)
    report = Report("A study")
    section = report.add_section("AE")
    originals, decoded = np.zeros((3, 4, 4)), np.ones((3, 4, 4))
    add_reconstructions(section, originals, decoded, "Reconstructions (seed 0)", "lost detail")
    add_reconstructions(section, originals, decoded, "Denoised", "noise", noisy=decoded)
    plain, denoised = _figures(report)
    assert plain["caption"] == "Originals above their reconstructions. Look for lost detail."
    assert denoised["caption"] == (
        "Originals above their reconstructions, with the noisy training input between. "
        "Look for noise."
    )
    assert [(call[2] is None, call[3]) for call in drawn] == [(True, 3), (False, 3)]


def test_reconstructions_draw_one_column_per_original() -> None:
    report = Report("A study")
    section = report.add_section("AE")
    add_reconstructions(section, np.zeros((5, 6, 6)), np.ones((5, 6, 6)), "R", "detail")
    assert _figures(report)[0]["png"].startswith(b"\x89PNG")


def _record(monkeypatch: pytest.MonkeyPatch, name: str, calls: list[tuple[Any, ...]]) -> None:
    """Replace ``latentatlas.plots.NAME`` by a stand-in that records its arguments and returns a
    tiny real figure (the report renders it)."""
    from matplotlib.figure import Figure

    import latentatlas.plots

    def record(*args: Any) -> Figure:
        calls.append(args)
        return Figure(figsize=(1, 1))

    monkeypatch.setattr(latentatlas.plots, name, record)
