"""The runs the explorer serves, free of any web framework: the catalogue and one loaded run.

A :class:`Catalogue` finds the complete runs at or below a folder (a run, a study or an atlas)
and names each by its path relative to that folder; a name is only ever looked up in that
list, never joined onto a path. A :class:`RunView` is one loaded run: its codes (validation
rows first, then training rows), the data set index of every row (the point's identity across
the seeds of a study, which share one split), labels, factors, its PCA axes and any stored
2-d maps. Every function of the explorer raises :class:`~latentatlas.errors.InputError` for
bad input; the web layer turns that into a 4xx answer.

Stored 2-d maps (t-SNE, UMAP) are those the studies holding the runs stored for them
(:class:`~latentatlas.studies.arrays.StoredMap`), read through
:func:`latentatlas.studies.engine.load`; a run, a train folder or a damaged study has none.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.errors import InputError

if TYPE_CHECKING:
    from latentatlas.studies.arrays import StoredMap

#: Runs kept loaded at once (model, codes and PCA axes); the least recently used goes first.
RUN_CACHE_SIZE = 8
#: Data sets kept loaded at once (for the original images of points).
DATASET_CACHE_SIZE = 2
#: Names of the splits, indexed by a row's value in :attr:`RunView.split`.
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
            # The same for runs of one data set with the same loader options (a data set row is
            # the same sample only among them); a hash, so that no option (a path) leaves.
            "data_id": hashlib.sha256(self.data_key.encode()).hexdigest()[:12],
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


def _stored_maps(root: Path, entries: dict[str, RunEntry]) -> dict[str, dict[str, StoredMap]]:
    """``{run name: {method: map}}``: the maps the studies holding the runs stored for them."""
    from latentatlas.studies import engine

    by_path = {entry.path.resolve(): name for name, entry in entries.items()}
    found: dict[str, dict[str, StoredMap]] = {}
    for folder in _study_folders(root, entries):
        try:
            maps = engine.load(folder).maps()
        except InputError:
            continue  # damaged or unfinished: `latentatlas report` names why; here it lacks maps
        for stored in maps:
            name = by_path.get((folder / stored.run).resolve())
            if name is not None:
                found.setdefault(name, {})[stored.method] = stored
    return found


def _study_folders(root: Path, entries: dict[str, RunEntry]) -> list[Path]:
    """The study folders (a ``study.json``) at or below ``root`` that hold an entry's run."""
    folders = {root}
    for entry in entries.values():
        folders.update(p for p in entry.path.parents if p.is_relative_to(root))
    return sorted(p for p in folders if (p / "study.json").is_file())


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
    map_sources: dict[str, StoredMap] = field(default_factory=dict)
    _row_of: dict[int, int] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, entry: RunEntry, map_sources: dict[str, StoredMap]) -> RunView:
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
            from latentatlas.analysis.pca import principal_axes

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
    stored = run.map_sources[method]
    coords = np.asarray(stored.embedding, dtype=np.float64)
    if stored.dataset_rows is None:
        rows = np.flatnonzero(run.split == 0)
    else:
        rows = np.array([run._row_of.get(int(i), -1) for i in stored.dataset_rows], dtype=np.int64)
    if coords.ndim != 2 or coords.shape[1] != 2 or len(coords) != len(rows) or (rows < 0).any():
        raise InputError(f"the stored {method} map does not match the points of {run.entry.name}")
    return coords, rows
