"""The hot loop of Manifold Sculpting: one breadth-first pass of hill climbing, compiled.

Written by hand with numba because the paper's update is sequential by design: each point
climbs against the positions its breadth-first predecessors have just reached (they get the
weight 10), so the pass cannot be vectorised over points without changing the algorithm
(an earlier NumPy version moved whole waves of points at once: about as fast, but a departure
from the paper that unrolled less well; docs/analyses/sculpting.md compares them). No library
provides this loop. numba installs from wheels and compiles the two functions once (cached on
disk).
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: The order of the per-pair arrays in the ``pairs`` tuple both functions take (one (n, k)
#: array each; ``_Geometry.kernel_pairs`` builds it).
PAIRS = (
    "neighbors", "colinear", "distances0", "angles0", "junk_sq", "junk_dot", "junk_sq_colinear",
)  # fmt: skip


@numba.njit(cache=True, nogil=True)
def point_error(
    i: int,
    position: np.ndarray,
    coordinates: np.ndarray,
    pairs: tuple[np.ndarray, ...],
    squared_scale: float,
    rank: np.ndarray,
    adjusted_weight: float,
    distance_scale: float,
) -> float:
    """``e_i`` (Gashler et al. 2007, Eq. 1) with point ``i`` at ``position``, others in place.

    For neighbour ``j`` and ``j``'s most collinear neighbour ``m``: the distance term
    ``((|x_i - x_j| - delta_ij0) * distance_scale)^2`` and the angle term
    ``((theta_ij - theta_ij0) / pi)^2`` of the angle i-j-m, weighted by ``adjusted_weight``
    when ``j`` comes earlier in the breadth-first order (``rank``), else by 1. The discarded
    dimensions enter through their stored squared lengths and dot products times
    ``squared_scale``. ``pairs`` holds the arrays named in :data:`PAIRS`.
    """
    neighbors, colinear, distances0, angles0, junk_sq, junk_dot, junk_sq_colinear = pairs
    error = 0.0
    for a in range(neighbors.shape[1]):
        j = neighbors[i, a]
        m = colinear[i, a]
        squared = squared_scale * junk_sq[i, a]
        dot = squared_scale * junk_dot[i, a]
        colinear_sq = squared_scale * junk_sq_colinear[i, a]
        for axis in range(coordinates.shape[1]):
            to_point = position[axis] - coordinates[j, axis]
            to_colinear = coordinates[m, axis] - coordinates[j, axis]
            squared += to_point * to_point
            dot += to_point * to_colinear
            colinear_sq += to_colinear * to_colinear
        norms = math.sqrt(squared * colinear_sq)
        # dot is 0 wherever a norm is 0, so a tiny floor gives the cosine 0 there (as Waffles)
        cosine = min(1.0, max(-1.0, dot / max(norms, 1e-300)))
        distance_term = (math.sqrt(squared) - distances0[i, a]) * distance_scale
        angle_term = (math.acos(cosine) - angles0[i, a]) / math.pi
        weight = adjusted_weight if rank[j] < rank[i] else 1.0
        error += weight * (distance_term * distance_term + angle_term * angle_term)
    return error


@numba.njit(cache=True, nogil=True)
def sculpting_pass(
    coordinates: np.ndarray,
    order: np.ndarray,
    steps: np.ndarray,
    pairs: tuple[np.ndarray, ...],
    squared_scale: float,
    adjusted_weight: float,
    distance_scale: float,
    max_rounds: int,
) -> tuple[float, int]:
    """Adjust every point once, in ``order``, by hill climbing; ``coordinates`` change in place.

    Point ``order[r]`` tries ``+steps[p]`` then ``-steps[p]`` along each kept axis in turn and
    keeps the first move that lowers its error; it stops after a round without improvement or
    after ``max_rounds`` rounds (Waffles' ``adjustDataPoint``). Returns the summed error of
    the points after their climb and the number of rounds that improved a point, summed over
    points (what Waffles' step-size rule counts). ``pairs`` as for :func:`point_error`.
    """
    n, d = coordinates.shape
    rank = np.empty(n, dtype=np.int64)
    for r in range(n):
        rank[order[r]] = r
    position = np.empty(d)
    total, moves = 0.0, 0
    for r in range(n):
        i = order[r]
        for axis in range(d):
            position[axis] = coordinates[i, axis]
        base = point_error(
            i, position, coordinates, pairs, squared_scale, rank, adjusted_weight, distance_scale
        )
        step = steps[i]
        for _ in range(max_rounds):
            improved = False
            for axis in range(d):
                start = position[axis]
                for sign in (1.0, -1.0):
                    position[axis] = start + sign * step
                    error = point_error(
                        i, position, coordinates, pairs, squared_scale, rank, adjusted_weight,
                        distance_scale,
                    )  # fmt: skip
                    if error < base:
                        base = error
                        improved = True
                        break
                    position[axis] = start
            if not improved:
                break
            moves += 1
        for axis in range(d):
            coordinates[i, axis] = position[axis]
        total += base
    return total, moves
