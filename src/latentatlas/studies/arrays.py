"""Typed figure arrays: a study's analysis results flattened into ``arrays.npz`` and read back.

A cell's figures are drawn from stored results only, so the report needs the full analysis
results (per-point arrays included) that metrics.json leaves out. :func:`store_result` writes
a result dataclass field by field under ``prefix/field`` keys; :func:`restore_result` rebuilds
it from its type's annotations. A :class:`StoredMap` is the one figure array read outside the
report: a 2-d map of a run's codes that the explorer (``latentatlas explore``) offers as a view,
stored by the engine from :attr:`~latentatlas.studies.engine.CellOutput.maps` and read back by
:meth:`~latentatlas.studies.engine.StudyResults.maps`.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.results import from_jsonable

__all__ = [
    "StoredMap",
    "hint_is_array",
    "restore_maps",
    "restore_result",
    "store_maps",
    "store_result",
]

#: Where a cell's arrays hold its :class:`StoredMap` entries.
MAPS_PREFIX = "explorer"


@dataclass(frozen=True, eq=False)
class StoredMap:
    """A 2-d map (t-SNE, UMAP) of one run's codes, stored for the explorer.

    Attributes
    ----------
    method : str
        The map's name, e.g. ``"tsne"``; the explorer's view ``map:<method>``.
    run : str
        The run's folder relative to the study folder (``runs/.../seed-0``).
    embedding : ndarray of shape (n, 2)
        The map's points.
    dataset_rows : ndarray of int, shape (n,), optional
        The data set row of each point; None when the points are the run's validation codes in
        the order of its ``latents.npz``.
    """

    method: str
    run: str
    embedding: NDArray[np.float64]
    dataset_rows: NDArray[np.int64] | None = None


@dataclass(frozen=True, eq=False)
class _StoredMaps:
    maps: tuple[StoredMap, ...]


def store_maps(arrays: dict[str, NDArray[Any]], maps: tuple[StoredMap, ...]) -> None:
    """Add ``maps`` to a cell's ``arrays`` (nothing when there are none)."""
    if maps:
        store_result(arrays, MAPS_PREFIX, _StoredMaps(tuple(maps)))


def restore_maps(arrays: Mapping[str, NDArray[Any]]) -> tuple[StoredMap, ...]:
    """The maps :func:`store_maps` added to ``arrays`` (none when it added none)."""
    if f"{MAPS_PREFIX}/maps/#" not in arrays:
        return ()
    return restore_result(arrays, MAPS_PREFIX, _StoredMaps).maps


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
