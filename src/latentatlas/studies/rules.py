"""Claim parts beyond :mod:`~latentatlas.studies.claims`' core: a capped rule and models needs.

Kept apart from ``claims.py`` while that module changes elsewhere; both belong beside its rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from latentatlas.studies.claims import Judgement, Rule, missing
from latentatlas.studies.gates import learned


@dataclass(frozen=True)
class AtMostIndicative:
    """A rule whose test overstates its evidence: supported or contradicted become indicative.

    For values that are not independent replicates (every pair of seeds), where no honest test
    exists; ``why`` is added to the test sentence and ``seeds`` (the seeds behind the values)
    replaces the inner rule's count of values.
    """

    rule: Rule
    why: str
    seeds: int | None = None

    def judge(self) -> Judgement:
        """The inner verdict, capped at indicative (its leaning kept)."""
        inner = self.rule.judge()
        if inner.verdict == "not judged":
            return inner
        decided = inner.verdict in ("supported", "contradicted")
        return replace(
            inner,
            verdict="indicative" if decided else inner.verdict,
            test=f"{inner.test}; {self.why}",
            leaning=inner.verdict if decided else inner.leaning,
            seeds=inner.seeds if self.seeds is None else self.seeds,
        )


def has_models(
    *models: str, cells: Sequence[str] | None = None, what: str = "cell"
) -> Callable[[Any], str | None]:
    """A claim's ``needs`` entry: every cell of ``cells`` (by default the headline cell) has a
    result with each of ``models`` (read from the result's ``models``); ``what`` names a cell
    in the reason (``"data set"``)."""

    def need(evidence: Any) -> str | None:
        keys = _cell_keys(evidence, cells)
        absent = missing(evidence.results, *keys, what=what)
        if absent:
            return absent
        reasons = (missing(evidence.results[key].models, *models) for key in keys)
        return next((reason for reason in reasons if reason), None)

    return need


def rests_on(
    *models: str, cells: Sequence[str] | None = None, what: str = "cell"
) -> tuple[Callable[[Any], str | None], ...]:
    """A claim's ``needs`` on ``models`` in ``cells`` (by default the headline cell): each cell
    has them (:func:`has_models`) and every seed of them learned
    (:func:`~latentatlas.studies.gates.learned`)."""

    def all_learned(evidence: Any) -> str | None:
        return learned(*models, cells=_cell_keys(evidence, cells))(evidence)

    return has_models(*models, cells=cells, what=what), all_learned


def _cell_keys(evidence: Any, cells: Sequence[str] | None) -> list[str]:
    """The keys of ``cells``, or of the headline cell (the first) when none are given."""
    return [c.key for c in evidence.cells[:1]] if cells is None else list(cells)
