"""The sweep's results table: a row per run (its options, status, error and metrics), written as
``results.parquet`` and ``results.csv``."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from latentatlas._io import atomic_path
from latentatlas.errors import InputError
from latentatlas.studies.sweep.metrics import RunMetrics
from latentatlas.studies.sweep.spec import _display


def rows(results: Any) -> list[dict[str, Any]]:
    """The table of a finished sweep (:func:`latentatlas.studies.load`), a row per run."""
    table = []
    for cell in results.cells:
        outcome = results.results[cell.key]
        row: dict[str, Any] = {"run": cell.key.split("/")[-1], "folder": cell.runs[0][1]}
        row.update(cell.params)
        row["status"] = "failed" if outcome.error is not None else "finished"
        row["error"] = outcome.error
        empty = dict.fromkeys((f.name for f in fields(RunMetrics)), None)
        row.update(outcome.metrics.to_dict() if outcome.metrics is not None else empty)
        table.append(row)
    return table


def write_table(rows: Sequence[Mapping[str, Any]], folder: str | os.PathLike[str]) -> None:
    """Write ``results.parquet`` and ``results.csv`` (a row per run) atomically into ``folder``.

    Each column gets one type: booleans, integers or floats where every value is one, else
    text (lists as ``"a,b"``); a missing value is null in Parquet and empty in the CSV.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    names = list(dict.fromkeys(key for row in rows for key in row))
    columns = {name: _column([row.get(name) for row in rows]) for name in names}
    table = pa.table({name: pa.array(values) for name, values in columns.items()})
    with atomic_path(folder / "results.parquet") as tmp:
        pq.write_table(table, tmp)
    with atomic_path(folder / "results.csv") as tmp, tmp.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for i in range(len(rows)):
            writer.writerow(_csv_cell(columns[name][i]) for name in names)


def read_table(folder: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of ``results.parquet`` in ``folder`` (nulls as None)."""
    import pyarrow.parquet as pq

    path = Path(folder) / "results.parquet"
    try:
        return pq.read_table(path).to_pylist()
    except (OSError, ValueError) as error:
        raise InputError(f"{path} cannot be read: {error}") from None


def _column(values: Sequence[Any]) -> list[Any]:
    """One type for a column: bool, int, float or text, with None for missing values."""
    present = [v for v in values if v is not None]
    if all(isinstance(v, bool) for v in present):
        return list(values)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return list(values)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return [None if v is None else float(v) for v in values]
    return [None if v is None else _display(v) for v in values]


def _csv_cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(value) if isinstance(value, float) else str(value)
