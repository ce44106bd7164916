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


def add_failures(report: Report, failures: Mapping[str, str]) -> None:
    """A section listing the runs that diverged or failed, when there are any."""
    if not failures:
        return
    report.add_section(
        "Runs that failed",
        "These runs did not finish (the study carried on without them); their models' rows "
        "use the remaining seeds.",
    ).add_table([{"run": path, "reason": reason} for path, reason in failures.items()])


def add_environment(report: Report, environment: Mapping[str, Any]) -> None:
    """A section with the versions, threads, CPU and device the study ran with."""
    if environment:
        report.add_section("Computed with").add_key_values(
            {key: str(value) for key, value in environment.items()},
            caption="Numbers reproduce exactly on the same machine and versions; record these "
            "when comparing across machines.",
        )
