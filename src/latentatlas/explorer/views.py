"""How the explorer draws a run's cloud: the view (latent, PCA, stored map) and its coordinates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.errors import InputError
from latentatlas.explorer.catalogue import RunView


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
