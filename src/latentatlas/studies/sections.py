"""Report parts every study shares: the verdicts first, failed runs, and how it was computed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from latentatlas.report import Report
from latentatlas.studies.claims import Claim

VERDICT_MARKS = {
    "supported": "✔ supported",
    "contradicted": "✘ contradicted",
    "inconclusive": "? inconclusive",
}


def add_verdicts(report: Report, claims: Sequence[Claim], source: str) -> None:
    """Open the report with one row per claim of the source: verdict, numbers and test."""
    if not claims:
        return
    rows = [
        {
            "claim of the source": claim.statement,
            "verdict": VERDICT_MARKS.get(claim.verdict, claim.verdict),
            "the numbers": claim.evidence,
            "how it was judged": claim.test,
        }
        for claim in claims
    ]
    report.add_summary_table(
        rows,
        caption=f"Each claim of {source}, judged from the numbers of this study with their "
        "spread over seeds. With few seeds a verdict is indicative only; the test column says "
        "how many there were.",
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
