"""Per-seed column tables (one tuple per field, one entry per seed) built from per-seed results."""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

#: What a seed without the result holds, by the column's element type (NaN otherwise).
MISSING: Mapping[Any, Any] = {str: "", int: -1}


def columns_of(kind: type[T], rows: Sequence[Any], **given: Any) -> T:
    """``kind`` with each field the column of that field over ``rows``, in seed order.

    A row is a result (its attribute of the field's name is read), a mapping (its key) or None
    (the seed has no such result: NaN, or ``""`` / ``-1`` for text and integer columns). Fields
    in ``given`` are taken as they are (a column that the rows name otherwise, or compute, or a
    value of the whole table such as a chance level).

    Parameters
    ----------
    kind : type
        A dataclass whose fields are ``tuple[X, ...]`` columns, e.g. a study's ``HullScores``.
    rows : sequence
        One per seed.
    **given
        Fields that are not read off the rows.
    """
    hints = typing.get_type_hints(kind)
    columns = dict(given)
    for field in dataclasses.fields(kind):  # type: ignore[arg-type]
        if field.name not in columns:
            missing = MISSING.get(typing.get_args(hints[field.name])[0], math.nan)
            columns[field.name] = tuple(_read(row, field.name, missing) for row in rows)
    return kind(**columns)


def _read(row: Any, name: str, missing: Any) -> Any:
    if row is None:
        return missing
    return row[name] if isinstance(row, Mapping) else getattr(row, name)
