"""Tests for the HTML report: self-contained, escaped, summary first, captions required, atomic."""

from __future__ import annotations

import base64
import re
import sys
import types
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from latentatlas.report import Report, mean_std


def _tiny_figure() -> Figure:
    fig = Figure(figsize=(2, 2))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_title("tiny")
    return fig


def _report() -> Report:
    report = Report(
        "Digit pairs", subtitle="study digit-pairs", intro="Two digits, **five** seeds."
    )
    section = report.add_section("Latent spaces", "One panel per seed.")
    section.add_figure(_tiny_figure(), "Codes", "Look for overlap between the colours.")
    section.add_table([{"model": "ae", "silhouette": [0.4, 0.5]}, {"model": "pca", "x": 2}])
    report.add_summary_table([{"model": "ae", "silhouette": "0.47 ± 0.05"}], caption="headline")
    return report


def test_renders_one_self_contained_document_with_embedded_png():
    html = _report().render()
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "<link" not in html and "@import" not in html
    uris = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(uris) == 1
    assert base64.b64decode(uris[0]).startswith(b"\x89PNG\r\n\x1a\n")
    assert "Figure 1. Codes" in html and "Look for overlap between the colours." in html


def test_summary_comes_first_and_contents_link_every_section():
    html = _report().render()
    assert html.index('<section id="summary">') < html.index('<section id="latent-spaces">')
    toc = html[html.index('<nav class="toc"') : html.index("</nav>")]
    assert toc.index('href="#summary"') < toc.index('href="#latent-spaces"')
    assert 'href="#figure-1"' in toc and 'id="figure-1"' in html


def test_tables_format_numbers_and_keep_preformatted_text():
    html = _report().render()
    assert "0.47 ± 0.05" in html
    assert mean_std([0.4, 0.5]) in html
    assert '<td class="num">2</td>' in html
    assert html.count("<td>—</td>") == 2  # "x" missing for ae, "silhouette" for pca


def test_user_text_is_escaped_everywhere():
    evil = "<script>alert(1)</script>"
    report = Report(evil, subtitle=evil, intro=evil)
    section = report.add_section(evil, evil)
    section.add_text(evil)
    section.add_table([{evil: evil}], caption=evil)
    section.add_key_values({evil: evil})
    section.add_figure(_tiny_figure(), evil, evil)
    html = report.render()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_raw_html_is_kept_only_through_add_html():
    report = Report("r")
    report.add_section("s").add_html('<div class="widget">x</div>')
    assert '<div class="widget">x</div>' in report.render()


def test_figure_needs_title_and_caption_and_an_image():
    section = Report("r").add_section("s")
    with pytest.raises(ValueError, match="caption"):
        section.add_figure(_tiny_figure(), "Codes", "   ")
    with pytest.raises(ValueError, match="title"):
        section.add_figure(_tiny_figure(), "", "caption")
    with pytest.raises(ValueError, match="not a PNG"):
        section.add_figure(b"GIF89a", "t", "c")
    with pytest.raises(ValueError, match="cannot embed"):
        section.add_figure(np.zeros(3), "t", "c")


def test_png_bytes_are_embedded_as_given():
    png = b"\x89PNG\r\n\x1a\n" + b"rest"
    report = Report("r")
    report.add_section("s").add_figure(png, "t", "c")
    assert base64.b64encode(png).decode() in report.render()


def test_footer_has_version_and_time_and_ids_are_unique():
    report = Report("r")
    report.add_section("Same")
    report.add_section("Same")
    html = report.render(generated_at=datetime(2024, 5, 6, 7, 8, tzinfo=UTC))
    assert "2024-05-06 07:08 UTC" in html
    assert re.search(r"latentatlas (\d+\.\d+\S*|dev) on", html)
    assert 'id="same"' in html and 'id="same-2"' in html


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    report = _report()
    target = tmp_path / "out" / "report.html"
    assert report.write(target) == target
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    fresh = tmp_path / "fresh.html"
    original = Path.write_bytes

    def fail_midway(self: Path, data: bytes) -> int:
        original(self, data[:100])
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", fail_midway)
    with pytest.raises(OSError, match="disk full"):
        report.write(fresh)
    with pytest.raises(OSError, match="disk full"):
        report.write(target)
    monkeypatch.undo()
    assert not fresh.exists()
    assert target.read_text(encoding="utf-8").rstrip().endswith("</html>")  # old file intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary left


def test_add_plotly_inlines_plotly_js_once(monkeypatch: pytest.MonkeyPatch):
    offline = types.ModuleType("plotly.offline")
    offline.get_plotlyjs = lambda: "/* plotly.js */"
    plotly = types.ModuleType("plotly")
    plotly.offline = offline
    monkeypatch.setitem(sys.modules, "plotly", plotly)
    monkeypatch.setitem(sys.modules, "plotly.offline", offline)

    class FakeFigure:
        def to_html(self, full_html: bool, include_plotlyjs: bool) -> str:
            assert not full_html and not include_plotlyjs
            return '<div class="plotly-graph-div"></div>'

    report = Report("r")
    section = report.add_section("s")
    section.add_plotly(FakeFigure(), "one", "look here")
    section.add_plotly(FakeFigure(), "two", "and here")
    html = report.render()
    assert html.count("/* plotly.js */") == 1
    assert html.count('<div class="plotly-graph-div"></div>') == 2


def test_add_plotly_without_plotly_says_what_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.offline", None)
    with pytest.raises(ImportError, match="pip install plotly"):
        Report("r").add_section("s").add_plotly(object(), "t", "c")


def test_write_puts_every_figure_beside_the_report_with_its_caption(tmp_path: Path):
    report = _report()
    report.add_section("More").add_figure(_tiny_figure(), "Second: a/b", "Look at the line.")
    target = report.write(tmp_path / "report.html")
    figures = target.parent / "figures"
    names = sorted(p.name for p in figures.iterdir())
    assert names == ["figure-01-codes.png", "figure-02-second-a-b.png", "index.md"]
    assert (figures / names[0]).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    index = (figures / "index.md").read_text()
    assert "[figure-01-codes.png](figure-01-codes.png): Codes. Look for overlap" in index
    _report().write(target)  # a redraw with fewer figures leaves no stale file
    assert sorted(p.name for p in figures.iterdir()) == ["figure-01-codes.png", "index.md"]


def test_figures_that_is_a_file_is_one_sentence(tmp_path: Path):
    from latentatlas.errors import InputError

    (tmp_path / "figures").write_text("not a folder")
    with pytest.raises(InputError, match="figures is not a folder"):
        _report().write(tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()
