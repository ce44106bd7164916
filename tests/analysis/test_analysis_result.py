"""Results as their own schema: the per-seed table's columnar round trip."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pytest

from latentatlas.errors import InputError
from latentatlas.results import PerSeed, ResultMixin


@dataclass(frozen=True, eq=False)
class Score(ResultMixin):
    value: float
    axes: tuple[int, ...]
    note: str | None = None


@dataclass(frozen=True, eq=False)
class Holder(ResultMixin):
    scores: PerSeed[Score]
    spectrum: np.ndarray


def _scores() -> PerSeed[Score]:
    return PerSeed.of([0, 3], lambda seed: Score(seed / 2, (seed, seed + 1)))


def test_per_seed_results_are_stored_column_by_column() -> None:
    assert _scores().to_dict() == {
        "seeds": [0, 3],
        "value": [0.0, 1.5],
        "axes": [[0, 1], [3, 4]],
        "note": [None, None],
    }
    assert _scores().column("value") == (0.0, 1.5)
    assert [seed for seed, _ in _scores()] == [0, 3] and len(_scores()) == 2


def test_a_result_holding_a_per_seed_table_round_trips_through_json() -> None:
    holder = Holder(PerSeed((1,), (Score(math.nan, (2,), "x"),)), np.arange(3.0))
    back = Holder.from_dict(json.loads(json.dumps(holder.to_dict())))
    assert back.scores.seeds == (1,) and back.scores.column("axes") == ((2,),)
    assert math.isnan(back.scores.results[0].value) and back.scores.results[0].note == "x"
    np.testing.assert_array_equal(back.spectrum, holder.spectrum)
    empty = Holder(PerSeed((), ()), np.zeros(0))
    assert Holder.from_dict(json.loads(json.dumps(empty.to_dict()))).scores.seeds == ()


@pytest.mark.parametrize(
    "document",
    [{"value": [1.0]}, {"seeds": [0, 1], "value": [1.0]}, {"seeds": [0], "value": 1.0}, [1]],
)
def test_a_damaged_per_seed_table_is_one_sentence(document: object) -> None:
    with pytest.raises(InputError, match="per-seed table"):
        PerSeed.from_dict(document, Score)  # type: ignore[arg-type]


def test_seeds_and_results_must_pair_up() -> None:
    with pytest.raises(ValueError, match="2 seeds but 1 results"):
        PerSeed((0, 1), (Score(1.0, ()),))
