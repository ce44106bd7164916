"""The explorer's JSON answers: a run, its points, one point, a lifted click, a decoded path."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas.errors import InputError
from latentatlas.explorer.catalogue import SPLIT_NAMES, RunView
from latentatlas.explorer.images import data_url, decoder_of, path_points, png, png_strip
from latentatlas.explorer.views import (
    ViewSpec,
    axis_titles,
    project,
    subsample,
    view_coordinates,
    view_dims,
)


def points_payload(
    run: RunView, spec: ViewSpec, max_points: int | None, include_codes: bool
) -> dict[str, Any]:
    """Everything the page draws: coordinates, identities, labels, factors (and codes)."""
    coords, rows = view_coordinates(run, spec)
    kept = subsample(run, np.arange(len(rows)), max_points)
    coords, rows = coords[kept], rows[kept]
    payload: dict[str, Any] = {
        "run": run.entry.name,
        "view": spec.kind if spec.kind != "pca" else "pca",
        "pcs": list(spec.pcs) if spec.kind == "pca" else None,
        "dims": int(coords.shape[1]),
        "axis_titles": axis_titles(run, spec),
        "n_total": len(run.codes),
        "n_returned": len(rows),
        "index": run.indices[rows].tolist(),
        "split": run.split[rows].tolist(),
        "split_names": list(SPLIT_NAMES),
        "coords": _rounded(coords.T),
        "labels": None if run.labels is None else run.labels[rows].tolist(),
        "label_names": list(run.label_names) if run.label_names else None,
        "factors": {name: _rounded(run.factors[rows, k]) for k, name in enumerate(run.factor_names)}
        if run.factors is not None
        else {},
        "reconstruction_error": _rounded(run.error[rows]),
    }
    if include_codes:
        payload["codes"] = _rounded(run.codes[rows])
    return payload


def _rounded(values: ArrayLike) -> list[Any]:
    """Nested lists of floats with 6 significant digits (relative to the largest), for JSON.

    Enough to draw, a third of the text of full doubles, and vectorised (200,000 codes in a
    fraction of a second). A NaN or infinity becomes None, which JSON can hold.
    """
    array = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(array)
    largest = float(np.abs(array[finite]).max()) if finite.any() else 0.0
    decimals = 6 - math.ceil(math.log10(largest)) if largest > 0 else 6
    rounded = np.round(np.where(finite, array, 0.0), decimals)
    if finite.all():
        return rounded.tolist()
    return np.where(finite, rounded.astype(object), None).tolist()


def _exact(values: ArrayLike) -> list[float]:
    """One code at full precision (it goes back to the decoder)."""
    return np.asarray(values, dtype=np.float64).tolist()


def run_payload(run: RunView) -> dict[str, Any]:
    """The run's description: views, factors, labels, slider ranges and the PCA axes."""
    from latentatlas.plots.style import CONTINUOUS_CMAP, OKABE_ITO, TOL_MUTED

    low, high = run.codes.min(axis=0), run.codes.max(axis=0)
    margin = 0.25 * np.maximum(high - low, 1e-6)  # sliders reach a little beyond the data
    axes = run.axes() if run.latent_dim >= 2 else None
    return {
        **run.entry.to_dict(),
        "input_shape": list(run.input_shape),
        "n_points": len(run.codes),
        "views": run.views(),
        "label_names": list(run.label_names) if run.label_names else None,
        "has_labels": run.labels is not None,
        "factor_names": list(run.factor_names),
        "slider_min": _rounded(low - margin),
        "slider_max": _rounded(high + margin),
        "palettes": {"few": OKABE_ITO, "many": TOL_MUTED, "continuous": CONTINUOUS_CMAP},
        "pca": None
        if axes is None
        else {"mean": _rounded(axes.mean), "components": _rounded(axes.components)},
    }


def point_payload(run: RunView, index: int, spec: ViewSpec | None) -> dict[str, Any]:
    """One point: its code, label, factors, split, reconstruction error (and view coordinates)."""
    row = run.row(index)
    payload: dict[str, Any] = {
        "run": run.entry.name,
        "index": index,
        "split": SPLIT_NAMES[int(run.split[row])],
        "code": _exact(run.codes[row]),
        "label": None if run.labels is None else int(run.labels[row]),
        "label_name": _label_name(run, row),
        "factors": {}
        if run.factors is None
        else {n: float(run.factors[row, k]) for k, n in enumerate(run.factor_names)},
        "reconstruction_error": float(run.error[row]),
        "coords": None,
    }
    if spec is not None:
        coords, rows = view_coordinates(run, spec)
        where = np.flatnonzero(rows == row)
        payload["coords"] = _rounded(coords[where[0]]) if len(where) else None
    return payload


def _label_name(run: RunView, row: int) -> str | None:
    if run.labels is None:
        return None
    label = int(run.labels[row])
    names = run.label_names
    return names[label] if names and 0 <= label < len(names) else str(label)


def lift(run: RunView, spec: ViewSpec, position: Sequence[float]) -> dict[str, Any]:
    """A code for a clicked position of a view, and how it was found.

    The latent view is the code itself; a PCA view is lifted back by the inverse PCA (the
    components not drawn set to the mean); a 2-d map has no inverse, so the nearest point of
    the map is taken and its code returned.
    """
    where = np.asarray(position, dtype=np.float64)
    dims = view_dims(run, spec)
    if where.ndim != 1 or len(where) != dims or not np.isfinite(where).all():
        raise InputError(f"position must be {dims} finite numbers in the {spec.kind} view")
    if spec.kind == "latent":
        z, method, note = where[: run.latent_dim], "exact", "the code at the clicked position"
        return {"z": _exact(z), "method": method, "index": None, "note": note}
    if spec.kind == "pca":
        axes = run.axes()
        z = axes.mean + where @ axes.components[list(spec.pcs)]
        note = "lifted back by the inverse PCA (the components not drawn held at the mean)"
        return {"z": _exact(z), "method": "inverse-pca", "index": None, "note": note}
    coords, rows = run.stored_map(spec.kind.removeprefix("map:"))
    nearest = int(np.argmin(((coords - where) ** 2).sum(axis=1)))
    row = int(rows[nearest])
    note = "a 2-d map has no inverse: this is the decode of the nearest point's code"
    index = int(run.indices[row])
    return {"z": _exact(run.codes[row]), "method": "nearest-code", "index": index, "note": note}


def decode_path_payload(
    run: RunView, spec: ViewSpec | None, waypoints: NDArray[np.float64], kind: str, n_points: int
) -> dict[str, Any]:
    """Decode a path with :func:`~latentatlas.analysis.paths.decode_path`: strip and distances."""
    from latentatlas.analysis.paths import decode_path

    points = path_points(run, waypoints, kind, n_points)
    result = decode_path(decoder_of(run), points, run.reference_codes())
    coords = None if spec is None else project(run, spec, result.points)
    return {
        "run": run.entry.name,
        "kind": kind,
        "points": _rounded(result.points),
        "offmanifold": _rounded(result.offmanifold),
        "max_offmanifold": result.max_offmanifold,
        "mean_offmanifold": result.mean_offmanifold,
        "length": result.length,
        "strip": data_url(png_strip(result.images)),
        "images": [data_url(png(image)) for image in result.images],
        "coords": None if coords is None else _rounded(coords.T),
    }
