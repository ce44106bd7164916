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
from latentatlas.studies import engine


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
    chosen = list(names) if names else engine.names()
    unknown = [name for name in chosen if name not in engine.STUDIES]
    if unknown:
        raise InputError(
            f"unknown study {unknown[0]!r} for the atlas; choose from {', '.join(engine.names())}"
        )
    from latentatlas._lock import folder_lock

    entries = []
    with folder_lock(folder):
        for index, name in enumerate(chosen, start=1):
            study = engine.get(name)
            config = study.config_type.quick() if quick else study.config_type()
            if on_step is not None:
                on_step(f"study {index} of {len(chosen)}: {name}")
            started = time.perf_counter()
            engine.run(
                study,
                config,
                folder / name,
                force=force,
                jobs=jobs,
                progress=progress,
                on_step=on_step,
            )
            entries.append(AtlasEntry(name, folder / name, time.perf_counter() - started))
        return write_index(folder, [entry.name for entry in entries])


def write_index(folder: Path, names: Sequence[str]) -> Path:
    """Write ``folder/index.html`` over the finished studies ``names`` (read from their folders)."""
    from latentatlas.report import Report

    report = Report(
        "latentatlas: the atlas",
        subtitle="Four investigations of autoencoder latent spaces, each a study with verdicts",
        intro="Each row is one source document's investigation, rerun over several seeds. The "
        "answer reads the study's verdicts on its source's claims: **confirmed** when every "
        "claim it could judge is supported, **not confirmed** when every one is contradicted, "
        "**mixed** otherwise. Open a study's report for its figures and the numbers behind "
        "each verdict.",
    )
    for name in names:
        results = engine.load(folder / name)
        _add_study(report, results, f"{name}/report.html")
    return report.write(folder / "index.html")


def answer(verdicts: Sequence[str]) -> str:
    """``confirmed``, ``not confirmed`` or ``mixed`` from verdicts (inconclusive ones aside)."""
    judged = [v for v in verdicts if v != "inconclusive"]
    if not judged:
        return "not judged"
    if all(v == "supported" for v in judged):
        return "confirmed"
    if all(v == "contradicted" for v in judged):
        return "not confirmed"
    return "mixed"


def _add_study(report: object, results: engine.StudyResults, link: str) -> None:
    study = results.study
    verdicts = [claim.verdict for claim in results.claims]
    counts = ", ".join(
        f"{verdicts.count(v)} {v}" for v in ("supported", "contradicted", "inconclusive")
    )
    section = report.add_section(f"{study.title} ({study.name})")  # type: ignore[attr-defined]
    section.add_html(
        f"<p><strong>{html.escape(study.question)}</strong> After {html.escape(study.source)}."
        f" Answer: <strong>{answer(verdicts)}</strong> ({counts}). "
        f'<a href="{html.escape(link)}">Open the report</a>.</p>'
    )
    rows = [
        {"claim of the source": c.statement, "verdict": c.verdict, "the numbers": c.evidence}
        for c in results.claims
    ]
    if rows:
        section.add_table(rows)
    if results.failures:
        section.add_text(f"{len(results.failures)} run(s) failed; the report lists them.")
