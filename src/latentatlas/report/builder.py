"""Build a self-contained HTML report: sections of text, tables and embedded figures, one file."""

from __future__ import annotations

import base64
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from latentatlas._env import package_version
from latentatlas._io import write_bytes
from latentatlas.errors import InputError
from latentatlas.report.format import format_value, is_numeric

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SUMMARY_TITLE = "Summary"

# CommonMark with raw HTML disabled: user text is escaped, never injected.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("latentatlas.report", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def markdown_to_html(text: str) -> Markup:
    """Render Markdown (or plain paragraphs) to HTML, escaping any HTML in ``text``."""
    # Safe to mark: markdown-it with html=False escapes any HTML in the text.
    return Markup(_MARKDOWN.render(text))


@dataclass
class Section:
    """A titled part of a report holding text, figures and tables in the order added.

    Create sections with :meth:`Report.add_section`; every ``add_*`` method returns the
    section, so calls can be chained.
    """

    title: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def add_text(self, text: str) -> Section:
        """Add paragraphs of plain text or Markdown (HTML in ``text`` is shown literally)."""
        self.blocks.append({"kind": "html", "html": markdown_to_html(text)})
        return self

    def add_figure(self, figure: Any, title: str, caption: str, alt: str | None = None) -> Section:
        """Embed a figure as a PNG, with a title and a caption saying what to look for.

        Parameters
        ----------
        figure : matplotlib.figure.Figure or bytes
            A matplotlib figure (rendered at the house REPORT_DPI and then closed) or PNG bytes.
        title : str
            Short title shown above the figure.
        caption : str
            One line saying what the reader should look for; must not be empty.
        alt : str, optional
            Text alternative for screen readers; defaults to the title and caption.

        Raises
        ------
        ValueError
            If the title or caption is empty, or ``figure`` is neither a figure nor PNG bytes.
        """
        if not title.strip():
            raise ValueError("a report figure needs a title")
        if not caption.strip():
            raise ValueError(f"figure {title!r} needs a caption saying what to look for")
        png = _png_bytes(figure)
        self.blocks.append(
            {
                "kind": "figure",
                "title": title,
                "caption": caption,
                "alt": alt if alt else f"{title}. {caption}",
                "src": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
                "png": png,
            }
        )
        return self

    def add_table(
        self,
        rows: Sequence[Mapping[str, Any]],
        columns: Sequence[str] | None = None,
        caption: str = "",
    ) -> Section:
        """Add a table, one mapping per row.

        Cells are formatted by :func:`latentatlas.report.format.format_value`: numbers
        readably, a list of numbers (one per seed) as ``"mean ± std (n=...)"``, strings as
        given (so preformatted values pass through).

        Parameters
        ----------
        rows : sequence of mapping
            The rows; keys are column names.
        columns : sequence of str, optional
            Columns in display order; defaults to every key, in order of first appearance.
        caption : str
            Text shown above the table.
        """
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping):
                raise ValueError(f"table row {i} is a {type(row).__name__}, expected a mapping")
        if columns is None:
            columns = list(dict.fromkeys(key for row in rows for key in row))
        cells = [
            [{"text": format_value(row.get(c)), "numeric": is_numeric(row.get(c))} for c in columns]
            for row in rows
        ]
        self.blocks.append(
            {
                "kind": "table",
                "columns": [str(c) for c in columns],
                "rows": cells,
                "caption": caption,
            }
        )
        return self

    def add_key_values(self, mapping: Mapping[str, Any], caption: str = "") -> Section:
        """Add a two-column list of names and values (settings, provenance)."""
        items = [(str(key), format_value(value)) for key, value in mapping.items()]
        self.blocks.append({"kind": "key_values", "items": items, "caption": caption})
        return self

    def add_html(self, raw: str) -> Section:
        """Add trusted raw HTML as is (not escaped): only for HTML the program generated."""
        self.blocks.append({"kind": "html", "html": Markup(raw)})
        return self

    def add_plotly(self, figure: Any, title: str, caption: str) -> Section:
        """Embed an interactive plotly figure; plotly.js is inlined once per report.

        Needs the optional ``plotly`` package.
        """
        try:
            import plotly.offline  # noqa: F401 - checked here so the error names the cause
        except ImportError as err:
            raise ImportError(
                "add_plotly needs plotly; install it with `pip install plotly`"
            ) from err
        if not caption.strip():
            raise ValueError(f"figure {title!r} needs a caption saying what to look for")
        html = figure.to_html(full_html=False, include_plotlyjs=False)
        self.blocks.append(
            {"kind": "plotly", "title": title, "caption": caption, "html": Markup(html)}
        )
        return self


class Report:
    """A self-contained HTML report: a title, a summary first, then sections.

    Figures are embedded as PNG data URIs and the styles are inline, so the file opens
    offline and can be mailed as is.

    Parameters
    ----------
    title : str
        Report title.
    subtitle : str
        A line under the title (e.g. the command that produced it).
    intro : str
        Opening paragraphs (plain text or Markdown).

    Examples
    --------
    >>> report = Report("Digit pairs", intro="Does a 2-d latent space keep 1 and 2 apart?")
    >>> report.add_summary_table([{"model": "ae", "silhouette": [0.41, 0.47, 0.52]}])
    >>> section = report.add_section("Latent spaces").add_text("One panel per seed.")
    >>> html = report.render()
    """

    def __init__(self, title: str, subtitle: str = "", intro: str = "") -> None:
        self.title = title
        self.subtitle = subtitle
        self.intro = intro
        self.sections: list[Section] = []
        self._summary: Section | None = None

    @property
    def summary(self) -> Section:
        """The summary section, created on first use and always rendered first."""
        if self._summary is None:
            self._summary = Section(SUMMARY_TITLE)
        return self._summary

    def add_section(self, title: str, text: str = "") -> Section:
        """Append a section (after any added before) and return it."""
        section = Section(title, text)
        self.sections.append(section)
        return section

    def add_summary_table(
        self,
        rows: Sequence[Mapping[str, Any]],
        columns: Sequence[str] | None = None,
        caption: str = "",
    ) -> Section:
        """Add a table to the summary section, which comes first whenever it is added."""
        return self.summary.add_table(rows, columns, caption)

    def render(self, generated_at: datetime | None = None) -> str:
        """Return the whole report as one HTML document."""
        ordered = ([self._summary] if self._summary is not None else []) + self.sections
        sections, number = [], 0
        used_ids: set[str] = set()
        for section in ordered:
            blocks = []
            for block in section.blocks:
                if block["kind"] in ("figure", "plotly"):
                    number += 1
                    block = {**block, "number": number, "id": f"figure-{number}"}
                blocks.append(block)
            sections.append(
                {
                    "title": section.title,
                    "id": _unique_id(section.title, used_ids),
                    "text": markdown_to_html(section.text) if section.text else "",
                    "blocks": blocks,
                }
            )
        needs_plotly = any(b["kind"] == "plotly" for s in sections for b in s["blocks"])
        when = generated_at if generated_at is not None else datetime.now(UTC)
        return _ENVIRONMENT.get_template("report.html").render(
            title=self.title,
            subtitle=self.subtitle,
            intro=markdown_to_html(self.intro) if self.intro else "",
            sections=sections,
            version=package_version(),
            generated=when.strftime("%Y-%m-%d %H:%M %Z").strip(),
            plotly_js=Markup(_plotly_js()) if needs_plotly else "",
        )

    def figures(self) -> list[tuple[str, str, bytes]]:
        """Every PNG figure in report order: ``(file name, "title. caption", PNG bytes)``.

        The names are ``figure-NN-<title>.png`` with NN the figure's number in the report.
        """
        ordered = ([self._summary] if self._summary is not None else []) + self.sections
        figures, number = [], 0
        for block in (b for section in ordered for b in section.blocks):
            if block["kind"] not in ("figure", "plotly"):
                continue
            number += 1
            if block["kind"] == "figure":
                slug = re.sub(r"[^a-z0-9]+", "-", block["title"].lower()).strip("-")[:60]
                name = f"figure-{number:02d}-{slug or 'figure'}.png"
                figures.append((name, f"{block['title']}. {block['caption']}", block["png"]))
        return figures

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Render and write the report atomically to ``path``, and every PNG figure into
        ``figures/`` beside it with an index of captions (``figures/index.md``), so that a
        figure can go into a paper as it is; return the report's path."""
        target = Path(path)
        write_figures(self.figures(), target.parent / FIGURES_FOLDER, self.title)
        write_bytes(target, self.render().encode("utf-8"))
        return target


#: The folder beside a report that holds its figures as PNG files.
FIGURES_FOLDER = "figures"


def write_figures(figures: Sequence[tuple[str, str, bytes]], folder: Path, title: str) -> None:
    """Replace ``folder`` with the figures and an ``index.md`` of their captions, atomically
    (a temporary folder renamed into place, so a reader never sees half of them)."""
    import shutil
    import tempfile

    if not figures:
        return
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise InputError(f"{folder} is not a folder; remove it so the figures can be written")
    folder.parent.mkdir(parents=True, exist_ok=True)
    for stale in folder.parent.glob(f".{folder.name}-*"):  # a writer killed midway left it
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        lines = [f"# Figures of: {title}", ""]
        for name, caption, png in figures:
            (staging / name).write_bytes(png)
            lines += [f"- [{name}]({name}): {caption}"]
        (staging / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        if folder.is_dir():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _png_bytes(figure: Any) -> bytes:
    if isinstance(figure, bytes | bytearray):
        if not bytes(figure).startswith(PNG_SIGNATURE):
            raise ValueError("figure bytes are not a PNG image")
        return bytes(figure)
    if not hasattr(figure, "savefig"):
        raise ValueError(
            f"cannot embed a {type(figure).__name__}; pass a matplotlib Figure or PNG bytes"
        )
    import matplotlib.pyplot as plt  # lazily: the report itself does not need matplotlib

    from latentatlas.plots.style import REPORT_DPI

    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=REPORT_DPI, bbox_inches="tight", facecolor="white")
    finally:
        plt.close(figure)
    return buffer.getvalue()


def _unique_id(title: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "section"
    candidate, k = base, 2
    while candidate in used:
        candidate, k = f"{base}-{k}", k + 1
    used.add(candidate)
    return candidate


def _plotly_js() -> str:
    import plotly.offline

    return plotly.offline.get_plotlyjs()
