"""Claim parts beyond :mod:`~latentatlas.studies.claims`' core: a capped rule and a models need.

Kept apart from ``claims.py`` while that module changes elsewhere; both belong beside its rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from latentatlas.studies.claims import Judgement, Rule, missing


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


def has_models(*models: str, cells: Sequence[str] | None = None) -> Callable[[Any], str | None]:
    """A claim's ``needs`` entry: every cell of ``cells`` (by default the headline cell) has a
    result with each of ``models`` (read from the result's ``models``)."""

    def need(evidence: Any) -> str | None:
        for key in [c.key for c in evidence.cells[:1]] if cells is None else cells:
            result = evidence.results.get(key)
            if result is None:
                return f"needs the cell {key}, which has no result"
            reason = missing(result.models, *models)
            if reason:
                return reason
        return None

    return need


def rests_on(*models: str, cells: Sequence[str]) -> tuple[Callable[[Any], str | None], ...]:
    """A claim's ``needs`` for the models it rests on: every cell of ``cells`` has each of
    ``models`` (:func:`has_models`), and none of their seeds failed the learned-model gate
    (:func:`~latentatlas.studies.gates.learned`)."""
    from latentatlas.studies.gates import learned

    return has_models(*models, cells=cells), learned(*models, cells=cells)
