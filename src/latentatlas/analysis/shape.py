"""The shape of a cloud of codes: how much of it gathers at the origin, and whether it collapsed.

Two numbers for the digit-pairs source's remarks: ReLU codes "gather around the origin" (the
share of codes near the origin, on the cloud's own scale), and several denoising seeds put their
codes on a 1-d curve (the smallest over the largest singular value of the centred codes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from latentatlas.analysis._checks import check_codes
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

#: Below this singular-value ratio the codes are reported as collapsed onto a lower-dimensional set.
COLLAPSE_RATIO = 0.1


@dataclass(frozen=True, eq=False)
class CodeShapeResult(ResultMixin):
    """How the codes sit around the origin and how flat their cloud is.

    Attributes
    ----------
    scale : float
        The cloud's radius: the 95th percentile of the codes' Euclidean norms.
    radius_fraction : float
        The radius of the "near the origin" ball as a fraction of ``scale``.
    share_near_origin : float
        Share of codes with ``||z|| <= radius_fraction * scale``. For codes spread uniformly
        in a d-dimensional ball it is about ``radius_fraction ** d`` (0.01 for 0.1 in 2-d);
        much more means the codes gather at the origin.
    median_norm_ratio : float
        ``median ||z|| / scale``: small when most codes sit close to the origin.
    singular_values : tuple of float
        Singular values of the centred codes, largest first, divided by ``sqrt(n)`` (the
        standard deviations along the principal axes).
    flatness : float
        The smallest singular value over the largest (the second over the first in 2-d):
        1 for a round cloud, near 0 when the codes lie on a curve or a lower-dimensional set.
    collapsed : bool
        ``flatness < COLLAPSE_RATIO`` (0.1).
    """

    scale: float
    radius_fraction: float
    share_near_origin: float
    median_norm_ratio: float
    singular_values: tuple[float, ...]
    flatness: float
    collapsed: bool


def code_shape(codes: ArrayLike, radius_fraction: float = 0.1) -> CodeShapeResult:
    """Measure how much a cloud of codes gathers at the origin and how flat it is.

    Parameters
    ----------
    codes : array-like of shape (n, d)
        Latent codes, n >= 2.
    radius_fraction : float
        Radius of the ball around the origin, as a fraction of the cloud's 95th-percentile norm.

    Returns
    -------
    CodeShapeResult

    Notes
    -----
    The scale is the cloud's own (a percentile, so a few outliers do not set it), which makes the
    share comparable between models whose codes live on different scales (tanh codes in
    [-1, 1], ReLU codes unbounded). The flatness is ``s_d / s_1`` of the centred codes' singular
    values, the ratio the source's "codes on a 1-d curve" needs in 2-d; for d > 2 it flags any
    collapse of at least one direction.
    """
    points = check_codes(codes, "codes").astype(np.float64)
    if not (isinstance(radius_fraction, int | float) and 0.0 < radius_fraction < 1.0):
        raise InputError(f"radius_fraction must be a number in (0, 1), got {radius_fraction!r}")
    norms = np.linalg.norm(points, axis=1)
    scale = float(np.percentile(norms, 95))
    if scale == 0.0:
        raise InputError("codes are all at the origin; their shape is undefined")
    centred = points - points.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False) / np.sqrt(len(points))
    flatness = float(singular[-1] / singular[0]) if singular[0] > 0 else 0.0
    return CodeShapeResult(
        scale=scale,
        radius_fraction=float(radius_fraction),
        share_near_origin=float(np.mean(norms <= radius_fraction * scale)),
        median_norm_ratio=float(np.median(norms) / scale),
        singular_values=tuple(float(s) for s in singular),
        flatness=flatness,
        collapsed=flatness < COLLAPSE_RATIO,
    )
