"""How far decoded images lie from real ones: the distance to the nearest training image."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas.analysis._checks import check_codes, check_positive_int
from latentatlas.analysis.geometry import HullResult, hull_vertices, uniform_in_hull
from latentatlas.analysis.paths import off_manifold_distance
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

if TYPE_CHECKING:
    from latentatlas.models.base import Autoencoder


class NearestImages:
    """The training images, indexed for the Frobenius distance of any image to the nearest one.

    The distance is in the units of the per-image reconstruction error ``||x - x'||_F``, so a
    decode can be judged against how far a real, unseen image lies from the training set.
    The search is exact and brute force: in pixel space (1,296 dimensions for a 36x36
    heatmap) BLAS distances are about 8x faster than a KD-tree.

    Parameters
    ----------
    images : array-like of shape (n, ...)
        The training images; each is flattened.
    """

    def __init__(self, images: ArrayLike):
        from sklearn.neighbors import NearestNeighbors

        flat = _flat(images, "images")
        self.n_features_ = flat.shape[1]
        self._index = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(flat)

    def distance(self, images: ArrayLike) -> NDArray[np.float64]:
        """Frobenius distance from each of ``images`` (shape (m, ...)) to its nearest training
        image, shape (m,)."""
        flat = _flat(images, "images")
        if flat.shape[1] != self.n_features_:
            raise InputError(
                f"images have {flat.shape[1]} values each but the training images "
                f"{self.n_features_}"
            )
        return self._index.kneighbors(flat)[0][:, 0]


@dataclass(frozen=True, eq=False)
class HullDecodesResult(ResultMixin):
    """Decodes of points drawn uniformly in the codes' convex hull, scored against real images.

    Attributes
    ----------
    hull_distance : float
        Median distance of a decode to its nearest training image, over every point.
    off_data_distance : float
        The same over the points farther than the hull's near-data radius from every code
        (its empty regions); NaN when no point is.
    off_data_share : float
        Share of the points that are off the data.
    example_images : ndarray of shape (e, ...), float32
        The decodes of the first off-data points, for a figure.
    example_distances : ndarray of shape (e,)
        Their distances to the nearest training image.
    """

    hull_distance: float
    off_data_distance: float
    off_data_share: float
    example_images: NDArray[np.float32]
    example_distances: NDArray[np.float64]


def hull_decodes(
    model: Autoencoder,
    codes: ArrayLike,
    hull_result: HullResult,
    nearest: NearestImages,
    n_points: int = 1000,
    n_examples: int = 8,
    random_state: int = 0,
) -> HullDecodesResult:
    """Decode points drawn uniformly in the codes' hull: does the decoder draw real images there?

    ``n_points`` points are drawn uniformly inside the hull of ``hull_result``'s vertices
    (:func:`~latentatlas.analysis.geometry.uniform_in_hull`) and decoded; each decode is scored
    by its distance to the nearest training image. A point is off the data when its nearest
    code lies farther than the hull's near-data ``radius``: the source's question is what a
    decoder makes of these empty regions inside the cloud.

    Parameters
    ----------
    model : Autoencoder
    codes : array-like of shape (n, d)
        The codes ``hull_result`` was computed from.
    hull_result : HullResult
        From :func:`~latentatlas.analysis.geometry.hull`.
    nearest : NearestImages
        The training images.
    n_points, n_examples : int
        Points decoded, and off-data decodes kept for a figure.
    random_state : int
        Seed of the points.

    Returns
    -------
    HullDecodesResult
    """
    from latentatlas.models import decode_array

    z = check_codes(codes, "codes").astype(np.float64)
    vertices = hull_vertices(hull_result, z)
    count = check_positive_int(n_points, "n_points")
    points = uniform_in_hull(z[vertices], count, random_state=random_state)
    images = decode_array(model, points.astype(np.float32))
    distance = nearest.distance(images)
    off = off_manifold_distance(points, z) > hull_result.radius
    shown = np.flatnonzero(off)[: max(0, int(n_examples))]
    return HullDecodesResult(
        hull_distance=float(np.median(distance)),
        off_data_distance=float(np.median(distance[off])) if off.any() else np.nan,
        off_data_share=float(off.mean()),
        example_images=images[shown].astype(np.float32),
        example_distances=distance[shown],
    )


def _flat(images: ArrayLike, name: str) -> NDArray[np.float64]:
    array = np.asarray(images, dtype=np.float64)
    if array.ndim < 2 or len(array) == 0:
        raise InputError(f"{name} must hold at least one image, got shape {array.shape}")
    return array.reshape(len(array), -1)
