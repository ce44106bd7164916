"""Tests for per-seed column tables built from per-seed results (studies.columns)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from latentatlas.studies.columns import columns_of


@dataclass(frozen=True)
class _Table:
    score: tuple[float, ...]
    name: tuple[str, ...]
    count: tuple[int, ...]


@dataclass(frozen=True)
class _Row:
    score: float
    name: str
    count: int


def test_columns_read_each_field_off_results_and_mappings_in_seed_order():
    rows = [_Row(0.5, "a", 3), {"score": 0.25, "name": "b", "count": 4}]
    assert columns_of(_Table, rows) == _Table((0.5, 0.25), ("a", "b"), (3, 4))


def test_a_seed_without_the_result_holds_nan_empty_text_or_minus_one():
    table = columns_of(_Table, [None, _Row(1.0, "x", 2)])
    assert math.isnan(table.score[0]) and table.score[1] == 1.0
    assert table.name == ("", "x") and table.count == (-1, 2)


def test_given_columns_are_kept_as_they_are():
    table = columns_of(_Table, [_Row(1.0, "x", 2)], name=("renamed",))
    assert table == _Table((1.0,), ("renamed",), (2,))
