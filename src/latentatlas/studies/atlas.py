"""The atlas: every registered study run through the engine, and one index page over them.

``latentatlas atlas --out atlas`` runs each study into ``atlas/<name>/`` (finished studies are
reused: the engine resumes runs and cells) and writes ``atlas/index.html``: each study's question,
its source, its verdicts on the source's claims with the numbers, and a link to its report.
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from latentatlas.errors import InputError
from latentatlas.studies import engine, sections
from latentatlas.studies.claims import VERDICTS


@dataclass(frozen=True)
class AtlasEntry:
    """One study of the atlas: where it lies and what it found."""

    name: str
    folder: Path
    seconds: float


def run_atlas(
    out: str | os.PathLike[str],
    *,
    names: Sequence[str] | None = None,
    quick: bool = False,
    force: bool = False,
    jobs: int = 1,
    progress: bool = True,
    on_step: Callable[[str], None] | None = None,
) -> Path:
    """Run the studies ``names`` (default: all registered) into ``out``; return the index path.

    Parameters
    ----------
    out : path
        The atlas folder; each study goes to ``out/<name>``.
    names : sequence of str, optional
        Studies to include, in this order.
    quick : bool
        Each study's ``--quick`` settings (what ``make demo`` runs); else the sources' settings.
    force : bool
        Retrain and re-analyse every study.
    jobs : int
        Training processes per study.
    """
    folder = Path(out)
    engine.check_output_folder(folder)
    chosen = study_names(names)
    from latentatlas._lock import folder_lock
    from latentatlas.progress import progress_of

    entries = []
    # One stream (and one heartbeat) for every study of the atlas.
    stream = progress_of(on_step, enabled=progress or on_step is not None)
    with folder_lock(folder), stream:
        for index, name in enumerate(chosen, start=1):
            study = engine.get(name)
            config = study.config_type.quick() if quick else study.config_type()
            stream.step(f"study {index} of {len(chosen)}: {name}")
            started = time.perf_counter()
            engine.run(
                study,
                config,
                folder / name,
                force=force,
                jobs=jobs,
                progress=progress,
                on_step=stream,
            )
            entries.append(AtlasEntry(name, folder / name, time.perf_counter() - started))
        stream.step("drawing the atlas index")
        return write_index(folder, [entry.name for entry in entries], quick=quick)


def study_names(names: Sequence[str] | None = None) -> list[str]:
    """The atlas's studies: ``names`` in their order (checked), or every registered study."""
    chosen = list(names) if names else engine.names()
    unknown = [name for name in chosen if name not in engine.STUDIES]
    if unknown:
        raise InputError(
            f"unknown study {unknown[0]!r} for the atlas; choose from {', '.join(engine.names())}"
        )
    return chosen


def write_index(folder: Path, names: Sequence[str], quick: bool | None = None) -> Path:
    """Write ``folder/index.html`` over the finished studies ``names`` (read from their folders).

    ``quick`` says which settings the atlas ran (its ``--quick``); None reads it from the
    studies where they all ran the same (a redraw). Each study's line also says which settings
    it was run with, read from its stored settings.
    """
    from latentatlas.report import Report

    loaded = [engine.load(folder / name) for name in names]
    if quick is None:
        kinds = {sections.is_quick(results.config) for results in loaded}
        quick = kinds.pop() if len(kinds) == 1 else None

    intro = (
        "Each row is one source document's investigation, rerun over several seeds. The "
        "answer reads the study's supported and contradicted verdicts on its source's claims: "
        "**confirmed** when every one is supported, **not confirmed** when every one is "
        "contradicted, **mixed** otherwise; with none, it reads how the indicative ones lean. "
        f"{sections.VERDICTS_EXPLAINED} Open a study's report for its figures and the numbers "
        "behind each verdict."
    )
    if quick is not None:
        intro = f"This atlas ran with {sections.settings_label(quick)}. {intro}"
    report = Report(
        "latentatlas: the atlas",
        subtitle="Four investigations of autoencoder latent spaces, each a study with verdicts",
        intro=intro,
    )
    for name, results in zip(names, loaded, strict=True):
        _add_study(report, results, f"{name}/report.html")
    return report.write(folder / "index.html")


def study_folders(folder: Path) -> list[str]:
    """The registered studies that have a study folder (a ``study.json``) in the atlas ``folder``,
    in the atlas's order."""
    return [name for name in engine.names() if (folder / name / "study.json").is_file()]


def redraw(out: str | os.PathLike[str]) -> list[Path]:
    """Redraw every study's ``report.html`` in the atlas ``out``, then its index, from the stored
    results only (nothing is trained or analysed).

    Returns
    -------
    list of Path
        The studies' reports, then ``index.html``.

    Raises
    ------
    InputError
        When ``out`` holds no study folder, or one sentence naming a damaged study and the
        command that recomputes it.
    """
    from latentatlas._lock import folder_lock

    folder = Path(out)
    names = study_folders(folder)
    if not names:
        raise InputError(
            f"{folder} is not an atlas folder: it holds none of the study folders "
            f"{', '.join(engine.names())} (run `latentatlas atlas --out {folder}` first)"
        )
    with folder_lock(folder):
        reports = [engine.write_report(folder / name) for name in names]
        return [*reports, write_index(folder, names)]


def answer(verdicts: Sequence[str], leanings: Sequence[str | None] | None = None) -> str:
    """``confirmed``, ``not confirmed`` or ``mixed`` from the supported and contradicted verdicts.

    Indicative, inconclusive and not judged verdicts are set aside; when no verdict is supported
    or contradicted, the indicative ones' ``leanings`` give ``"leans confirmed"`` (and so on),
    and with none of those either the answer is ``"not judged"``.
    """
    judged = [v for v in verdicts if v in ("supported", "contradicted")]
    if judged:
        return _reading(judged)
    leaning = [
        lean
        for v, lean in zip(verdicts, leanings or [None] * len(verdicts), strict=True)
        if v == "indicative" and lean in ("supported", "contradicted")
    ]
    return f"leans {_reading(leaning)}" if leaning else "not judged"


def _reading(verdicts: Sequence[str]) -> str:
    if all(v == "supported" for v in verdicts):
        return "confirmed"
    if all(v == "contradicted" for v in verdicts):
        return "not confirmed"
    return "mixed"


def _add_study(report: object, results: engine.StudyResults, link: str) -> None:
    study = results.study
    verdicts = [claim.verdict for claim in results.claims]
    leanings = [claim.leaning for claim in results.claims]
    counts = ", ".join(f"{verdicts.count(v)} {v}" for v in VERDICTS)
    settings = sections.settings_label(sections.is_quick(results.config))
    short = {True: "quick settings", False: "the sources' settings", None: "changed settings"}
    header = f"{study.title} ({study.name}): {short[sections.is_quick(results.config)]}"
    section = report.add_section(header)  # type: ignore[attr-defined]
    section.add_html(
        _thumbnail(results.folder, link)
        + f"<p><strong>{html.escape(study.question)}</strong> After "
        f"{html.escape(getattr(study, 'citation', study.source))}."
        f" Answer: <strong>{answer(verdicts, leanings)}</strong> ({counts}). "
        f"Run with {html.escape(settings)}. "
        f'<a href="{html.escape(link)}">Open the report</a>.</p>'
    )
    rows = [
        {
            "claim of the source": c.statement,
            "verdict": sections.verdict_label(c),
            "the numbers": c.evidence,
        }
        for c in results.claims
    ]
    if rows:
        section.add_table(rows)
    if results.failures:
        section.add_text(f"{len(results.failures)} run(s) failed; the report lists them.")


def _thumbnail(folder: Path, link: str) -> str:
    """The study report's first figure, small, linking to the report (nothing when it has none)."""
    from latentatlas.report.builder import FIGURES_FOLDER

    figures = sorted((folder / FIGURES_FOLDER).glob("figure-*.png"))
    if not figures:
        return ""
    source = f"{folder.name}/{FIGURES_FOLDER}/{figures[0].name}"
    return (
        f'<a href="{html.escape(link)}"><img src="{html.escape(source)}" width="360" '
        f'style="float:right;margin:0 0 0.5rem 1rem" alt="The first figure of the report"></a>'
    )
