"""Typed figure arrays: a study's analysis results flattened into ``arrays.npz`` and read back.

A cell's figures are drawn from stored results only, so the report needs the full analysis
results (per-point arrays included) that metrics.json leaves out. :func:`store_result` writes
a result dataclass field by field under ``prefix/field`` keys; :func:`restore_result` rebuilds
it from its type's annotations.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.analysis._result import from_jsonable

__all__ = ["hint_is_array", "restore_result", "store_result"]


def store_result(arrays: dict[str, NDArray[Any]], prefix: str, result: Any) -> None:
    """Flatten an analysis result into ``arrays`` (keys ``prefix/field``), for the report.

    Nested results recurse; a tuple of results stores its length under ``prefix/field/#``;
    None is left out. :func:`restore_result` reverses it.
    """
    for field in dataclasses.fields(result):
        value, key = getattr(result, field.name), f"{prefix}/{field.name}"
        if value is None:
            continue
        if dataclasses.is_dataclass(value):
            store_result(arrays, key, value)
        elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            arrays[f"{key}/#"] = np.asarray(len(value))
            for index, item in enumerate(value):
                store_result(arrays, f"{key}/{index}", item)
        else:
            arrays[key] = np.asarray(value)


def restore_result(arrays: Mapping[str, NDArray[Any]], prefix: str, kind: type) -> Any:
    """The result of type ``kind`` that :func:`store_result` stored under ``prefix``."""
    hints = typing.get_type_hints(kind)
    values = {}
    for field in dataclasses.fields(kind):  # type: ignore[arg-type]
        hint, key = hints[field.name], f"{prefix}/{field.name}"
        args = typing.get_args(hint)
        if dataclasses.is_dataclass(hint):
            values[field.name] = restore_result(arrays, key, hint)  # type: ignore[arg-type]
        elif f"{key}/#" in arrays:
            count = int(arrays[f"{key}/#"])
            values[field.name] = tuple(
                restore_result(arrays, f"{key}/{i}", args[0]) for i in range(count)
            )
        elif key in arrays:
            stored = arrays[key]
            values[field.name] = (
                stored if hint_is_array(hint) else from_jsonable(hint, stored.tolist())
            )
        else:
            values[field.name] = None
    return kind(**values)


def hint_is_array(hint: Any) -> bool:
    """True for ``NDArray[...]`` annotations (kept as arrays, not converted to lists)."""
    return (
        hint is np.ndarray
        or typing.get_origin(hint) is np.ndarray
        or (getattr(hint, "__origin__", None) is np.ndarray)
    )
