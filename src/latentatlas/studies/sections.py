"""Report parts every study shares: the verdicts first, failed runs, and how it was computed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from latentatlas.report import Report
from latentatlas.studies.claims import MIN_SEEDS_FOR_TEST, Claim

VERDICT_MARKS = {
    "supported": "✔ supported",
    "contradicted": "✘ contradicted",
    "indicative": "≈ indicative",
    "inconclusive": "? inconclusive",
    "not judged": "– not judged",
}

#: What the verdicts mean, in the words every report and the atlas index use.
VERDICTS_EXPLAINED = (
    f"Supported or contradicted need a one-sided test at alpha 0.05 with at least "
    f"{MIN_SEEDS_FOR_TEST} seeds per group; indicative means fewer seeds than that (2 to "
    f"{MIN_SEEDS_FOR_TEST - 1}) that lean one way, and says which; inconclusive means the numbers "
    "do not decide (overlapping seeds are never support); not judged means the claim could not "
    "be judged (a missing model, one that did not learn, too few seeds), and the numbers say why."
)


def verdict_label(claim: Claim) -> str:
    """The verdict as the reports show it, e.g. ``"≈ indicative (leans supported)"``."""
    mark = VERDICT_MARKS.get(claim.verdict, claim.verdict)
    return f"{mark} (leans {claim.leaning})" if claim.leaning else mark


def settings_label(quick: bool | None) -> str:
    """Which settings ran: ``--quick`` (True), the sources' (False) or changed ones (None)."""
    if quick is None:
        return "changed settings: neither --quick nor the sources' own"
    if quick:
        return (
            f"quick settings (--quick): a first look with fewer than {MIN_SEEDS_FOR_TEST} seeds, "
            "so verdicts are at most indicative"
        )
    return "the sources' settings"


def is_quick(config: Any) -> bool | None:
    """True for a study's ``--quick`` settings, False for its defaults, None for any others."""
    kind = type(config)
    if not hasattr(kind, "quick"):
        return None
    if config == kind.quick():
        return True
    return False if config == kind() else None


def add_verdicts(report: Report, claims: Sequence[Claim], source: str, config: Any = None) -> None:
    """Open the report with one row per claim of the source: verdict, numbers and test.

    Parameters
    ----------
    report : Report
        The study's report.
    claims : sequence of Claim
        Its verdicts.
    source : str
        The source document, as the caption names it.
    config : the study's settings, optional
        When given, the caption says which settings ran (:func:`settings_label`).
    """
    if not claims:
        return
    rows = [
        {
            "claim of the source": claim.statement,
            "verdict": verdict_label(claim),
            "the numbers": claim.evidence,
            "how it was judged": claim.test,
        }
        for claim in claims
    ]
    settings = "" if config is None else f" Run with {settings_label(is_quick(config))}."
    report.add_summary_table(
        rows,
        caption=f"Each claim of {source}, judged from the numbers of this study with their "
        f"spread over seeds.{settings} {VERDICTS_EXPLAINED}",
    )


#: Cells whose originals and reconstructions are drawn (all are in the gate table).
MAX_GATE_FIGURES = 4


def add_gates(report: Report, results: Any) -> None:
    """Did every model learn? The learned-model gate of every run, and what each model makes of
    the same validation inputs, so a reader sees what was learned before reading any verdict."""
    if not results.gates:
        return
    section = report.add_section(
        "Did every model learn?",
        "Each run is checked before any claim rests on it: its validation reconstructions must "
        "beat the mean training image (error ratio below 0.95), its codes must not collapse "
        "onto one direction, and at least one code dimension (for a VAE, one unit) must be "
        "active. A claim resting on a model with a seed below this gate is not judged "
        "(docs/analyses/quality.md).",
    )
    rows = [
        _gate_row(cell, model, per_seed)
        for cell, gates in results.gates.items()
        for model, per_seed in gates.models.items()
    ]
    section.add_table(rows, caption="One row per model and cell; numbers are seed means.")
    from latentatlas.plots.images import reconstructions_by_model
    from latentatlas.studies.gates import examples

    for cell in list(results.gates)[:MAX_GATE_FIGURES]:
        originals, models = examples(results.arrays(cell))
        if originals is None or not models:
            continue
        labels = results.arrays(cell).get("gate/labels")
        titles = None if labels is None else [str(label) for label in labels]
        figure = reconstructions_by_model(originals, models, n=len(originals), column_titles=titles)
        section.add_figure(
            figure,
            f"Originals and reconstructions ({cell})",
            "Top row: validation inputs drawn across the classes or factor ranges; below, each "
            "model's reconstruction of them (its first seed). A model that draws the same "
            "blur for every input has learned nothing its verdicts could rest on.",
        )


def _gate_row(cell: str, model: str, per_seed: Any) -> dict[str, str]:
    import numpy as np

    passed = sum(gate.passed for _, gate in per_seed)
    reasons = sorted({gate.reason for _, gate in per_seed if gate.reason})
    return {
        "cell": cell,
        "model": model,
        "seeds passing": f"{passed} of {len(per_seed)}",
        "error / mean-image error": f"{np.nanmean(per_seed.column('mean_image_ratio')):.3f}",
        "PC1 share of code variance": f"{np.nanmean(per_seed.column('pc1_share')):.3f}",
        "active dimensions": f"{np.mean(per_seed.column('active_dimensions')):.1f}",
        "why not": "; ".join(reasons) or "",
    }


def add_failures(report: Report, failures: Mapping[str, str]) -> None:
    """A section listing the runs that diverged or failed, when there are any."""
    if not failures:
        return
    report.add_section(
        "Runs that failed",
        "These runs did not finish (the study carried on without them); their models' rows "
        "use the remaining seeds.",
    ).add_table([{"run": path, "reason": reason} for path, reason in failures.items()])


def add_settings(report: Report, config: Any) -> None:
    """A section with every setting the study ran with (its ``study.json``)."""
    report.add_section("Settings").add_key_values(
        {key: _shown(value) for key, value in config.to_dict().items()},
        caption="Every setting of this run of the study, as stored in study.json; "
        "`latentatlas study NAME --help` explains each.",
    )


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value) if value else "none"
    return "none" if value is None else str(value)


def add_environment(report: Report, environment: Mapping[str, Any]) -> None:
    """A section with the versions, threads, CPU and device the study ran with."""
    if environment:
        report.add_section("Computed with").add_key_values(
            {key: str(value) for key, value in environment.items()},
            caption="Numbers reproduce exactly on the same machine and versions; record these "
            "when comparing across machines.",
        )
