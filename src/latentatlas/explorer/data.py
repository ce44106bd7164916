"""What the explorer serves, free of any web framework: the runs of a folder, their points, PNGs.

A :class:`Catalogue` finds the complete runs at or below a folder (a run, a study or an atlas)
and names each by its path relative to that folder; a name is only ever looked up in that
list, never joined onto a path. A :class:`RunView` is one loaded run: its codes (validation
rows first, then training rows), the data set index of every row (the point's identity across
the seeds of a study, which share one split), labels, factors, its PCA axes and any stored
2-d maps. Every function here raises :class:`~latentatlas.errors.InputError` for bad input;
the web layer turns that into a 4xx answer.

Stored 2-d maps (t-SNE, UMAP) are read from a study's cell arrays: an entry
``map/<method>/<run folder relative to the study>`` of shape (n, 2), whose rows are the run's
validation rows, or the data set rows named by an optional entry
``map-index/<method>/<same run folder>``.
"""

from __future__ import annotations

import base64
import io
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas.errors import InputError

#: Decoded images are enlarged (nearest neighbour) until their longer side reaches this size.
THUMBNAIL_SIDE = 112
#: Runs kept loaded at once (model, codes and PCA axes); the least recently used goes first.
RUN_CACHE_SIZE = 8
#: Data sets kept loaded at once (for the original images of points).
DATASET_CACHE_SIZE = 2
#: Largest number of points a path may be decoded at, and of waypoints it may be given.
MAX_PATH_POINTS = 256
MAX_WAYPOINTS = 128
#: Views every run has; stored maps add ``map:<method>``.
SPLIT_NAMES = ("validation", "train")


# -- the catalogue of runs ------------------------------------------------------------------------
@dataclass(frozen=True)
class RunEntry:
    """One run of the served folder, described from its ``config.json`` (no weights read)."""

    name: str
    path: Path
    dataset: str
    model: str
    latent_dim: int
    seed: int
    group: str
    data_key: str
    #: The seed of a ``latentatlas inspect`` folder (studies/inspect/explore.py); None for a run.
    inspect_seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (the path stays on the server)."""
        return {
            "name": self.name,
            "dataset": self.dataset,
            "model": self.model,
            "latent_dim": self.latent_dim,
            "seed": self.seed,
            "group": self.group,
        }


class _LRU:
    """A small thread-safe least-recently-used cache of values built by ``make(key)``."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict[str, Any](), threading.Lock()
        self.building: dict[str, threading.Lock] = {}

    def get(self, key: str, make: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            gate = self.building.setdefault(key, threading.Lock())
        with gate:  # one thread builds a value; the others wait for it instead of building again
            with self.lock:
                if key in self.items:
                    return self.items[key]
            value = make()
            with self.lock:
                self.items[key] = value
                while len(self.items) > self.size:
                    self.items.popitem(last=False)
                self.building.pop(key, None)
        return value


class Catalogue:
    """The complete runs at or below ``folder``, loaded on demand and cached.

    Parameters
    ----------
    folder : path
        A run directory, a study folder or a folder of studies (the atlas).

    Raises
    ------
    InputError
        When ``folder`` is not a folder or holds no complete run.
    """

    def __init__(self, folder: str | Path):
        from latentatlas.runs import find_runs

        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise InputError(f"{folder} is not a folder; give a run, a study or the atlas folder")
        paths = find_runs(self.folder)
        from latentatlas.studies.inspect.explore import entries, is_inspect_folder

        inspected = entries(self.folder, RunEntry) if is_inspect_folder(self.folder) else []
        if not paths and not inspected:
            raise InputError(
                f"{folder} holds no complete run; train one with `latentatlas train` "
                "or run a study with `latentatlas study NAME`"
            )
        self.entries: dict[str, RunEntry] = {entry.name: entry for entry in inspected}
        for path in paths:
            entry = _entry(self.folder, path)
            self.entries[entry.name] = entry
        self.maps = _stored_maps(self.folder, self.entries)
        self._runs = _LRU(RUN_CACHE_SIZE)
        self._datasets = _LRU(DATASET_CACHE_SIZE)

    def entry(self, name: str) -> RunEntry:
        """The run called ``name``; an unknown name (``../x`` included) is an error."""
        if not isinstance(name, str) or name not in self.entries:
            shown = name if isinstance(name, str) and len(name) <= 80 else f"{str(name)[:80]}..."
            raise UnknownRun(
                f"no run called {shown!r} in the served folder; GET /api/runs lists them"
            )
        return self.entries[name]

    def run(self, name: str) -> RunView:
        """The loaded run ``name`` (cached)."""
        entry = self.entry(name)
        return self._runs.get(name, lambda: RunView.load(entry, self.maps.get(name, {})))

    def dataset(self, name: str) -> Any:
        """The data set run ``name`` was trained on, loaded once; InputError when it cannot be."""
        entry = self.entry(name)
        return self._datasets.get(entry.data_key, lambda: _load_dataset(entry))


class UnknownRun(InputError):
    """A run name that is not in the served folder (the web layer answers 404)."""


class NotAvailable(InputError):
    """Something the run cannot give here, e.g. the images of a data set that is not installed."""


def _entry(root: Path, path: Path) -> RunEntry:
    info = json.loads((path / "config.json").read_text())
    relative = path.relative_to(root).as_posix()
    name = path.name if relative == "." else relative
    parent, _, leaf = name.rpartition("/")
    group = parent if leaf.startswith("seed-") and parent else name
    try:
        data = info["data"]
        return RunEntry(
            name=name,
            path=path,
            dataset=str(data["name"]),
            model=str(info["model"]["name"]),
            latent_dim=int(info["model"]["latent_dim"]),
            seed=int(info["seed"]),
            group=group,
            data_key=json.dumps(data, sort_keys=True, default=str),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"{path / 'config.json'} is not a run configuration ({error!r})") from None


def _load_dataset(entry: RunEntry) -> Any:
    from latentatlas import data

    options = json.loads(entry.data_key).get("options") or {}
    try:
        return data.load(entry.dataset, **options)
    except Exception as error:  # any loader failure means the same here: no original images
        raise NotAvailable(
            f"the images of data set {entry.dataset!r} cannot be loaded here ({error}); "
            "decoded images are still shown"
        ) from None


def _stored_maps(root: Path, entries: dict[str, RunEntry]) -> dict[str, dict[str, Any]]:
    """``{run name: {method: (study folder, arrays file, key, index key or None)}}``."""
    by_path = {entry.path: name for name, entry in entries.items()}
    found: dict[str, dict[str, Any]] = {}
    for arrays in sorted(root.rglob("cells/**/arrays.npz")):
        study = next(p for p in arrays.parents if p.name == "cells").parent
        try:
            with np.load(arrays, allow_pickle=False) as archive:
                keys = list(archive.files)
        except (OSError, ValueError):
            continue  # a damaged cell file: the report command names it; here it only lacks maps
        for key in keys:
            if not key.startswith("map/"):
                continue
            _, method, relative = key.split("/", 2) if key.count("/") >= 2 else ("", "", "")
            name = by_path.get((study / relative).resolve())
            if name is not None and method:
                index_key = f"map-index/{method}/{relative}"
                found.setdefault(name, {})[method] = (
                    arrays,
                    key,
                    index_key if index_key in keys else None,
                )
    return found


# -- one loaded run -------------------------------------------------------------------------------
@dataclass(eq=False)
class RunView:
    """One run as the explorer shows it (rows: validation first, then training)."""

    entry: RunEntry
    model: Any
    codes: NDArray[np.float32]
    indices: NDArray[np.int64]
    split: NDArray[np.int8]
    labels: NDArray[np.int64] | None
    label_names: tuple[str, ...] | None
    factors: NDArray[np.float64] | None
    factor_names: tuple[str, ...]
    error: NDArray[np.float32]
    input_shape: tuple[int, ...]
    map_sources: dict[str, Any] = field(default_factory=dict)
    _row_of: dict[int, int] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, entry: RunEntry, map_sources: dict[str, Any]) -> RunView:
        """Load run ``entry`` (weights, codes, labels, factors)."""
        from latentatlas import runs

        if entry.inspect_seed is not None:
            from latentatlas.studies.inspect.explore import view_fields

            view = cls(entry=entry, map_sources=map_sources, **view_fields(entry))
            view._row_of = {int(index): row for row, index in enumerate(view.indices)}
            return view

        run = runs.load(entry.path)
        latents = run.latents
        parts = [p for p in ("validation", "train") if f"{p}_codes" in latents]

        def joined(key: str, dtype: Any) -> NDArray[Any] | None:
            if not all(f"{p}_{key}" in latents for p in parts):
                return None
            return np.concatenate([np.asarray(latents[f"{p}_{key}"], dtype) for p in parts])

        codes = joined("codes", np.float32)
        indices = joined("indices", np.int64)
        if codes is None or indices is None or codes.ndim != 2 or len(codes) != len(indices):
            raise InputError(f"{entry.path / 'latents.npz'} holds no codes with their indices")
        dataset_info = run.info.get("dataset") or {}
        label_names = dataset_info.get("label_names")
        view = cls(
            entry=entry,
            model=run.model,
            codes=codes,
            indices=indices,
            split=np.concatenate(
                [np.full(len(latents[f"{p}_codes"]), i, np.int8) for i, p in enumerate(parts)]
            ),
            labels=joined("labels", np.int64),
            label_names=tuple(str(n) for n in label_names) if label_names else None,
            factors=joined("factors", np.float64),
            factor_names=tuple(str(n) for n in dataset_info.get("factor_names") or ()),
            error=_or_zeros(joined("reconstruction_error", np.float32), len(codes)),
            input_shape=run.input_shape,
            map_sources=map_sources,
        )
        view._row_of = {int(index): row for row, index in enumerate(indices)}
        return view

    @property
    def latent_dim(self) -> int:
        """Size of a code."""
        return int(self.codes.shape[1])

    def views(self) -> list[str]:
        """The views this run can be drawn in: ``latent`` (d <= 3), ``pca`` (d >= 2), maps."""
        names = ["latent"] if self.latent_dim <= 3 else []
        if self.latent_dim >= 2:
            names.append("pca")
        return names + [f"map:{method}" for method in sorted(self.map_sources)]

    def row(self, index: int) -> int:
        """Row of the data set index ``index``; NotAvailable when this run does not hold it."""
        if index not in self._row_of:
            raise NotAvailable(f"data set row {index} is not among the points of this run")
        return self._row_of[index]

    def axes(self) -> Any:
        """Principal axes of all the run's codes (computed once)."""
        if "pca" not in self._cache:
            from latentatlas.analysis.projections import principal_axes

            self._cache["pca"] = principal_axes(self.codes)
        return self._cache["pca"]

    def stored_map(self, method: str) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """The stored 2-d map ``method`` and the run rows of its points."""
        key = f"map:{method}"
        if key not in self._cache:
            self._cache[key] = _read_map(self, method)
        return self._cache[key]

    def reference_codes(self) -> NDArray[np.float32]:
        """All codes of the run: what off-manifold distances are measured to."""
        return self.codes


def _or_zeros(values: NDArray[Any] | None, n: int) -> NDArray[np.float32]:
    return np.zeros(n, np.float32) if values is None else values


def _read_map(run: RunView, method: str) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    if method not in run.map_sources:
        raise InputError(f"run {run.entry.name} has no stored {method} map; views: {run.views()}")
    path, key, index_key = run.map_sources[method]
    with np.load(path, allow_pickle=False) as archive:
        coords = np.asarray(archive[key], dtype=np.float64)
        index = archive[index_key].astype(np.int64) if index_key else None
    if index is None:
        rows = np.flatnonzero(run.split == 0)
    else:
        rows = np.array([run._row_of.get(int(i), -1) for i in index], dtype=np.int64)
    if coords.ndim != 2 or coords.shape[1] != 2 or len(coords) != len(rows) or (rows < 0).any():
        raise InputError(f"{path} entry {key!r} does not match the points of {run.entry.name}")
    return coords, rows


# -- view coordinates -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ViewSpec:
    """How the cloud is drawn: ``latent``, ``pca`` (on PCs ``pcs``) or ``map:<method>``."""

    kind: str
    pcs: tuple[int, ...] = (0, 1)

    @staticmethod
    def parse(run: RunView, view: str | None, pcs: Sequence[int] = (0, 1)) -> ViewSpec:
        """Check ``view`` against the run's views (default: the first) and the PC numbers."""
        available = run.views()
        chosen = available[0] if view in (None, "", "auto") else view
        if chosen not in available:
            raise InputError(f"view {view!r} is not available for this run; choose {available}")
        if chosen == "pca":
            pcs = tuple(int(p) for p in pcs)
            if len(pcs) not in (2, 3) or len(set(pcs)) != len(pcs):
                raise InputError(f"pca view takes 2 or 3 different components, got {list(pcs)}")
            if not all(0 <= p < run.latent_dim for p in pcs):
                raise InputError(f"components must lie in [0, {run.latent_dim}), got {list(pcs)}")
            return ViewSpec("pca", pcs)
        return ViewSpec(chosen)


def view_coordinates(run: RunView, spec: ViewSpec) -> tuple[NDArray[np.float64], NDArray[Any]]:
    """Drawn coordinates (m, 2 or 3) of the run's points and the run rows they belong to."""
    if spec.kind == "latent":
        coords = run.codes.astype(np.float64)
        if run.latent_dim == 1:
            coords = np.column_stack([coords, np.zeros(len(coords))])
        return coords, np.arange(len(coords))
    if spec.kind == "pca":
        return run.axes().transform(run.codes)[:, list(spec.pcs)], np.arange(len(run.codes))
    return run.stored_map(spec.kind.removeprefix("map:"))


def project(run: RunView, spec: ViewSpec, codes: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """Coordinates of arbitrary codes in a view; None for a map (a 2-d map has no projection)."""
    if spec.kind == "latent":
        return codes if run.latent_dim > 1 else np.column_stack([codes, np.zeros(len(codes))])
    if spec.kind == "pca":
        return run.axes().transform(codes)[:, list(spec.pcs)]
    return None


def view_dims(run: RunView, spec: ViewSpec) -> int:
    """Number of drawn coordinates of a view (2 or 3)."""
    if spec.kind == "latent":
        return max(run.latent_dim, 2)
    return len(spec.pcs) if spec.kind == "pca" else 2


def axis_titles(run: RunView, spec: ViewSpec) -> list[str]:
    """Axis titles of a view, e.g. ``PC1 (63.0% of variance)``."""
    if spec.kind == "latent":
        return [f"z{i + 1}" for i in range(max(run.latent_dim, 2))][:3]
    if spec.kind == "pca":
        variances = run.axes().variances
        total = float(variances.sum()) or 1.0
        return [f"PC{p + 1} ({100 * variances[p] / total:.1f}% of variance)" for p in spec.pcs]
    method = spec.kind.removeprefix("map:")
    return [f"{method} 1 (no units)", f"{method} 2 (no units)"]


def subsample(run: RunView, rows: NDArray[Any], max_points: int | None) -> NDArray[Any]:
    """At most ``max_points`` of ``rows``, the same data set rows for every run of one data set.

    Each data set index draws a fixed random priority (seed 0); the rows with the lowest
    priorities are kept, so the seeds of a study, which share a split, show the same points.
    """
    if max_points is None or len(rows) <= max_points:
        return rows
    indices = run.indices[rows]
    priority = np.random.default_rng(0).random(int(indices.max()) + 1)[indices]
    keep = np.argpartition(priority, max_points - 1)[:max_points]
    return rows[np.sort(keep)]


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


# -- codes in, images out -------------------------------------------------------------------------
def check_code(run: RunView, z: Sequence[float], name: str = "z") -> NDArray[np.float32]:
    """``z`` as a finite float32 code of the run's latent dimension."""
    array = np.asarray(z, dtype=np.float64)
    if array.ndim != 1 or len(array) != run.latent_dim:
        raise InputError(
            f"{name} has {array.size} numbers but run {run.entry.name} has latent_dim "
            f"{run.latent_dim}"
        )
    if not np.isfinite(array).all():
        raise InputError(f"{name} holds a NaN or infinite number")
    return array.astype(np.float32)


def decode(run: RunView, codes: NDArray[np.float32]) -> NDArray[np.float32]:
    """Decoded images (m, *input_shape) of codes (m, d) by the run's model."""
    from latentatlas.models import decode_array

    return decode_array(_decoder(run), codes)


def _decoder(run: RunView) -> Any:
    """The run's model; NotAvailable for inspected codes without a model to reload."""
    if run.model is None or not getattr(run.model, "has_decoder", True):
        raise NotAvailable(f"{run.entry.name} has no decoder to reload; its codes are shown")
    return run.model


def original_image(catalogue: Catalogue, name: str, index: int) -> NDArray[np.float32]:
    """The data set image of row ``index`` (only rows the run holds)."""
    run = catalogue.run(name)
    run.row(index)
    return np.asarray(catalogue.dataset(name).x[index], dtype=np.float32)


def reconstruction(run: RunView, index: int) -> NDArray[np.float32]:
    """The decode of the stored code of data set row ``index``."""
    return decode(run, run.codes[[run.row(index)]])[0]


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


def path_points(
    run: RunView, waypoints: NDArray[np.float64], kind: str, n_points: int
) -> NDArray[np.float64]:
    """The latent path through ``waypoints``: straight segments, or a spline that follows data.

    ``line``: :func:`~latentatlas.analysis.paths.line_path` between consecutive waypoints, the
    ``n_points`` shared in proportion to the segments' lengths. ``spline`` (two waypoints):
    :func:`~latentatlas.analysis.paths.binned_spline_path` through the codes in a tube around
    the segment, along the latent axis on which the two ends differ most: a path that follows
    the data from one end to the other where the line crosses empty space.
    """
    from latentatlas.analysis.paths import line_path

    if kind == "spline":
        if len(waypoints) != 2:
            raise InputError(f"a spline path takes 2 waypoints (two points), got {len(waypoints)}")
        return _data_spline(run, waypoints[0], waypoints[1], n_points)
    lengths = np.linalg.norm(np.diff(waypoints, axis=0), axis=1)
    if not lengths.sum() > 0:
        raise InputError("the waypoints of the path all coincide; pick two different points")
    steps = _shares(lengths, max(n_points, len(lengths) + 1) - 1)
    pieces = [
        line_path(waypoints[k], waypoints[k + 1], int(steps[k]) + 1) for k in range(len(steps))
    ]
    return np.concatenate([pieces[0], *(piece[1:] for piece in pieces[1:])])


def _shares(lengths: NDArray[np.float64], total: int) -> NDArray[np.int64]:
    """``total`` steps shared among segments in proportion to their lengths, at least 1 each.

    Largest remainders (Hamilton's method), so the steps add up to ``total`` exactly.
    """
    extra = total - len(lengths)
    exact = lengths / lengths.sum() * extra
    steps = np.floor(exact).astype(np.int64)
    steps[np.argsort(steps - exact)[: extra - int(steps.sum())]] += 1
    return steps + 1


def _data_spline(
    run: RunView, start: NDArray[np.float64], end: NDArray[np.float64], n_points: int
) -> NDArray[np.float64]:
    from latentatlas.analysis.paths import binned_spline_path

    codes = run.codes.astype(np.float64)
    direction = end - start
    span = float(np.linalg.norm(direction))
    if span == 0:
        raise InputError("the two ends of the spline path coincide; pick two different points")
    t = (codes - start) @ direction / span**2
    off = np.linalg.norm(codes - start - t[:, None] * direction, axis=1)
    inside = (t >= 0) & (t <= 1)
    n_bins = 12
    for width in (0.1, 0.2, 0.4, 0.8, 1.6):  # widen the tube until it holds enough codes
        select = inside & (off <= width * span)
        if select.sum() >= 4 * n_bins:
            break
    else:
        raise InputError("too few codes lie between the two points for a spline; draw a line")
    along = int(np.argmax(np.abs(direction)))
    path = binned_spline_path(codes, along, n_points, n_bins, select=select)
    return path if direction[along] > 0 else path[::-1].copy()


def decode_path_payload(
    run: RunView, spec: ViewSpec | None, waypoints: NDArray[np.float64], kind: str, n_points: int
) -> dict[str, Any]:
    """Decode a path with :func:`~latentatlas.analysis.paths.decode_path`: strip and distances."""
    from latentatlas.analysis.paths import decode_path

    points = path_points(run, waypoints, kind, n_points)
    result = decode_path(_decoder(run), points, run.reference_codes())
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


# -- PNG ------------------------------------------------------------------------------------------
def as_picture(image: NDArray[Any]) -> NDArray[np.uint8]:
    """An input-shaped array in [0, 1] as 8-bit grey (h, w) or RGB (h, w, 3) pixels.

    (1, h, w) and (h, w) are grey; (3, h, w) is colour; other channel counts show their
    channels side by side; a flat vector of a square length is a square, any other a row.
    """
    array = np.nan_to_num(np.asarray(image, dtype=np.float32), nan=0.0)
    if array.ndim == 1:
        side = math.isqrt(array.size)
        array = array.reshape(side, side) if side * side == array.size else array[None, :]
    elif array.ndim == 3 and array.shape[0] == 3:
        array = np.moveaxis(array, 0, -1)
    elif array.ndim == 3:
        array = np.concatenate(list(array), axis=1)
    elif array.ndim != 2:
        array = array.reshape(array.shape[0], -1)
    return (np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def png(image: NDArray[Any], side: int = THUMBNAIL_SIDE) -> bytes:
    """PNG bytes of one image, enlarged by an integer factor to about ``side`` pixels."""
    from PIL import Image

    pixels = as_picture(image)
    scale = max(1, side // max(pixels.shape[:2]))
    picture = Image.fromarray(pixels)
    if scale > 1:
        picture = picture.resize(
            (pixels.shape[1] * scale, pixels.shape[0] * scale), Image.Resampling.NEAREST
        )
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def png_strip(images: NDArray[Any], side: int = 64, gap: int = 2) -> bytes:
    """PNG bytes of images side by side (a path's strip), separated by white gaps."""
    from PIL import Image

    tiles = [Image.open(io.BytesIO(png(image, side))).convert("RGB") for image in images]
    height = max(t.height for t in tiles)
    strip = Image.new(
        "RGB", (sum(t.width for t in tiles) + gap * (len(tiles) - 1), height), "white"
    )
    x = 0
    for tile in tiles:
        strip.paste(tile, (x, 0))
        x += tile.width + gap
    buffer = io.BytesIO()
    strip.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(png_bytes: bytes) -> str:
    """A ``data:image/png;base64`` URL (for JSON answers and self-contained pages)."""
    return "data:image/png;base64," + base64.b64encode(png_bytes).decode("ascii")


# -- export ---------------------------------------------------------------------------------------
def colour_values(run: RunView, colour: str) -> tuple[str, NDArray[Any], bool]:
    """Title, per-row values and whether they are categories, for colouring by ``colour``.

    ``colour`` is ``label``, ``split``, ``error`` (reconstruction error) or ``factor:<name>``.
    """
    if colour == "label" and run.labels is not None:
        names = run.label_names
        labels = [names[v] if names and 0 <= v < len(names) else str(v) for v in run.labels]
        return "label", np.asarray(labels), True
    if colour == "split":
        return "split", np.asarray(SPLIT_NAMES)[run.split], True
    if colour == "error":
        return "reconstruction error (MSE)", run.error, False
    name = colour.removeprefix("factor:")
    if colour.startswith("factor:") and name in run.factor_names and run.factors is not None:
        return name, run.factors[:, run.factor_names.index(name)], False
    choices = ["label"] * (run.labels is not None) + ["split", "error"]
    choices += [f"factor:{n}" for n in run.factor_names]
    raise InputError(f"cannot colour by {colour!r}; choose one of {choices}")


def export_html(
    run: RunView, spec: ViewSpec, colour: str, max_points: int | None, selected: int | None
) -> str:
    """A self-contained HTML page (plotly.js inlined) of the current view, to embed anywhere.

    The page needs no server and no network: the cloud, its colouring, the selected point and
    its image and decode as inline PNGs.
    """
    import plotly.graph_objects as go

    from latentatlas.plots.style import CONTINUOUS_CMAP, OKABE_ITO, TOL_MUTED

    title, values, categorical = colour_values(run, colour)
    coords, rows = view_coordinates(run, spec)
    kept = subsample(run, np.arange(len(rows)), max_points)
    coords, rows, values = coords[kept], rows[kept], values[rows[kept]]
    three = coords.shape[1] == 3
    size = 2 if three else 4
    trace = go.Scatter3d if three else go.Scattergl
    figure = go.Figure()

    def add(mask: NDArray[np.bool_], name: str, marker: dict[str, Any]) -> None:
        xyz = {"xyz"[k]: coords[mask, k] for k in range(coords.shape[1])}
        text = [f"row {i}" for i in run.indices[rows[mask]]]
        figure.add_trace(trace(**xyz, mode="markers", name=name, marker=marker, text=text))

    if categorical:
        groups = list(dict.fromkeys(values.tolist()))
        palette = OKABE_ITO if len(groups) <= len(OKABE_ITO) else TOL_MUTED
        for k, group in enumerate(sorted(groups, key=_natural)):
            colour_k = palette[k % len(palette)]
            add(values == group, str(group), {"size": size, "color": colour_k})
    else:
        bar = {"title": {"text": title}}
        marker = {"size": size, "color": values, "colorscale": CONTINUOUS_CMAP, "colorbar": bar}
        add(np.ones(len(values), bool), title, marker)
    titles = axis_titles(run, spec)
    caption = _export_caption(run, spec, colour, len(rows))
    layout: dict[str, Any] = {"title": {"text": caption}, "template": "plotly_white"}
    layout.update(legend={"title": {"text": title}}, height=640)
    if three:
        layout["scene"] = {
            f"{a}axis": {"title": {"text": t}} for a, t in zip("xyz", titles, strict=True)
        }
    else:
        layout["xaxis"] = {"title": {"text": titles[0]}}
        layout["yaxis"] = {"title": {"text": titles[1]}, "scaleanchor": "x", "scaleratio": 1}
    figure.update_layout(**layout)
    body = figure.to_html(include_plotlyjs=True, full_html=False)
    return _export_page(caption, body, _selected_block(run, selected))


def _natural(value: Any) -> tuple[int, Any]:
    text = str(value)
    return (0, int(text)) if text.lstrip("-").isdigit() else (1, text)


def _export_caption(run: RunView, spec: ViewSpec, colour: str, n: int) -> str:
    entry = run.entry
    view = f"PCs {', '.join(str(p + 1) for p in spec.pcs)}" if spec.kind == "pca" else spec.kind
    return (
        f"{entry.name}: {entry.model}, latent_dim {entry.latent_dim}, seed {entry.seed}, "
        f"data set {entry.dataset}; {view} view of {n} points coloured by {colour}"
    )


def _selected_block(run: RunView, selected: int | None) -> str:
    import html

    if selected is None:
        return ""
    point = point_payload(run, selected, None)
    decoded = data_url(png(reconstruction(run, selected)))
    facts = ", ".join(f"{k} = {v:.3g}" for k, v in point["factors"].items())
    label = f"label {html.escape(str(point['label_name']))}" if point["label"] is not None else ""
    return (
        f'<figure><img alt="decode of the selected point" src="{decoded}">'
        f"<figcaption>Selected point: data set row {selected} ({point['split']}) {label} "
        f"{html.escape(facts)}; its reconstruction (decode of its code).</figcaption></figure>"
    )


def _export_page(title: str, body: str, extra: str) -> str:
    import html

    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:1rem;color:#222}"
        "figure img{image-rendering:pixelated;border:1px solid #ccc}</style></head><body>"
        f"{body}{extra}<p><small>Exported by latentatlas explore.</small></p></body></html>\n"
    )
