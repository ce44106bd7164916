"""What a decoder makes of random latent points: are decodes of random codes meaningful images?"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.neighbors import NearestNeighbors

from latentatlas.analysis._checks import check_codes, check_positive_int, check_vector
from latentatlas.analysis._neighbours import neighbours_of as _neighbours_of
from latentatlas.analysis._neighbours import query_rows as _query_rows
from latentatlas.analysis.pca import principal_axes
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

if TYPE_CHECKING:
    from latentatlas.models.base import Autoencoder

#: The two sources of random codes: the standard normal prior, and a Gaussian fitted to the codes.
SOURCES = ("prior", "fitted")


@dataclass(frozen=True, eq=False)
class DecodeSample(ResultMixin):
    """Decodes of random codes from one source, each scored against the training images.

    Attributes
    ----------
    source : str
        ``"prior"`` (N(0, I)) or ``"fitted"`` (N(mean, covariance) of the codes).
    pixel_distance : ndarray of shape (n,)
        Mean squared pixel difference of each decode to its nearest training image.
    nearest_image : ndarray of shape (n,)
        Row of that nearest training image.
    latent_distance : ndarray of shape (n,)
        Euclidean distance of each random code to its nearest training code, divided by the
        codes' median nearest-neighbour distance (1 = as close as codes are to each other).
    meaningful : ndarray of shape (n,), bool
        ``pixel_distance <= pixel_threshold`` of the result.
    meaningful_fraction : float
        Share of meaningful decodes.
    near_codes_fraction : float
        Share of random codes with ``latent_distance <= latent_tolerance``.
    shown : ndarray of shape (n_show, c, h, w) or (n_show, d), uint8
        The first decodes, clipped to [0, 1] and stored as 0-255 for the decode grid.
    """

    source: str
    pixel_distance: NDArray[np.float64]
    nearest_image: NDArray[np.int64]
    latent_distance: NDArray[np.float64]
    meaningful: NDArray[np.bool_]
    meaningful_fraction: float
    near_codes_fraction: float
    shown: NDArray[np.uint8]


@dataclass(frozen=True, eq=False)
class RandomDecodesResult(ResultMixin):
    """How many decodes of random codes look like training images.

    Attributes
    ----------
    samples : tuple of DecodeSample
        One per source, in :data:`SOURCES` order.
    pixel_threshold : float
        ``tolerance * quantile(reconstruction_errors, quantile)``: a decode is meaningful
        when it is this close (mean squared pixel difference) to some training image, i.e.
        about as close as a typical reconstruction is to its original.
    typical_reconstruction_error : float
        The median of the reconstruction errors given.
    code_spacing : float
        Median distance of a training code to its nearest other code.
    latent_tolerance : float
        Threshold on ``latent_distance`` of ``near_codes_fraction``.
    mean_image_distance : float
        Mean squared pixel difference of the training images' mean to its nearest training
        image: the criterion's check. Within ``pixel_threshold`` the criterion would call
        the mean image meaningful (:attr:`mean_image_counts_as_meaningful`). NaN where not
        measured (results written before it was).
    """

    samples: tuple[DecodeSample, ...]
    pixel_threshold: float
    typical_reconstruction_error: float
    code_spacing: float
    latent_tolerance: float
    mean_image_distance: float = math.nan

    def fraction(self, source: str) -> float:
        """Meaningful fraction of ``source`` (``"prior"`` or ``"fitted"``)."""
        return next(s.meaningful_fraction for s in self.samples if s.source == source)

    @property
    def mean_image_counts_as_meaningful(self) -> bool:
        """Whether the criterion would call the mean training image meaningful.

        If so, a decoder that put out the mean image (a blur, on digits, faces or sprites)
        for every code would score 100 % meaningful, and a high meaningful fraction is no
        evidence of decodes like the training images (False where not measured).
        """
        return bool(self.mean_image_distance <= self.pixel_threshold)


def random_decodes(
    model: Autoencoder,
    codes: ArrayLike,
    images: ArrayLike,
    reconstruction_errors: ArrayLike,
    n: int = 256,
    random_state: int = 0,
    quantile: float = 0.9,
    tolerance: float = 2.0,
    latent_tolerance: float = 2.0,
    n_show: int = 16,
) -> RandomDecodesResult:
    """Decode random codes and score each decode as meaningful or not.

    Codes are drawn from N(0, I) (what a VAE's prior promises) and from a Gaussian fitted to
    the training codes (mean and covariance). A decode counts as meaningful when its mean
    squared pixel difference to the nearest training image is at most ``tolerance`` times
    the ``quantile`` of the training reconstruction errors; the random code's distance to
    the nearest training code, in units of the codes' own spacing, says whether it fell
    among the codes or into a void. The source: an AE's random decodes are not faces, a
    VAE's are. As a check of the criterion, the mean training image is scored the same way
    (``mean_image_distance``): on data such as small sprites on a black background that
    blur lies close to some training image, and a lenient threshold (a model that still
    reconstructs poorly) calls it meaningful.

    Parameters
    ----------
    model : Autoencoder
        The trained model; only its decoder is run (:func:`latentatlas.models.decode_array`).
    codes : array-like of shape (m, latent_dim)
        Training codes (the encoder's outputs, a VAE's means).
    images : array-like of shape (m_images, ...)
        Training images in [0, 1], any shape the decoder outputs (flattened here).
    reconstruction_errors : array-like of shape (m_images,)
        Per-image mean squared reconstruction error of those images
        (:func:`latentatlas.models.reconstruction_error`).
    n : int
        Random codes per source.
    random_state : int
        Seed of the random codes.
    quantile, tolerance : float
        Set ``pixel_threshold``; see :class:`RandomDecodesResult`.
    latent_tolerance : float
        Threshold on the normalised latent distance for ``near_codes_fraction``.
    n_show : int
        Decodes kept per source for the decode grid.

    Returns
    -------
    RandomDecodesResult
    """
    from latentatlas.models.arrays import decode_array  # torch only where a model runs

    latent = check_codes(codes, "codes").astype(np.float64)
    flat = _flat_images(images)
    errors = check_vector(reconstruction_errors, len(flat), "reconstruction_errors", "images")
    n = check_positive_int(n, "n")
    _check_fractions(quantile, tolerance, latent_tolerance)
    threshold = float(tolerance * np.quantile(errors, quantile))
    spacing = float(np.median(_neighbours_of(latent, _query_rows(len(latent), 2000, 0), 1)[0]))
    images_index = NearestNeighbors(n_neighbors=1).fit(flat)
    rng = np.random.default_rng(random_state)
    samples = []
    for source, drawn in zip(SOURCES, _draw(latent, n, rng), strict=True):
        decoded = decode_array(model, drawn.astype(np.float32))
        scored = _score(
            source, drawn, decoded, latent, images_index, threshold, spacing, latent_tolerance,
            n_show,
        )  # fmt: skip
        samples.append(scored)
    mean_image = flat.mean(axis=0, keepdims=True)
    return RandomDecodesResult(
        samples=tuple(samples),
        pixel_threshold=threshold,
        typical_reconstruction_error=float(np.median(errors)),
        code_spacing=spacing,
        latent_tolerance=float(latent_tolerance),
        mean_image_distance=float(_pixel_distances(images_index, mean_image)[0][0]),
    )


def _pixel_distances(
    images_index: NearestNeighbors, decodes: NDArray[np.float32]
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Mean squared difference of each row to its nearest training image, and that image."""
    distance, nearest = images_index.kneighbors(decodes)
    return distance[:, 0] ** 2 / decodes.shape[1], nearest[:, 0]  # as the reconstruction errors


def _flat_images(images: ArrayLike) -> NDArray[np.float32]:
    array = np.asarray(images, dtype=np.float32)
    if array.ndim < 2 or len(array) < 1:
        raise InputError(f"images must be an array of at least one image, got shape {array.shape}")
    return check_codes(array.reshape(len(array), -1), "images")


def _check_fractions(quantile: float, tolerance: float, latent_tolerance: float) -> None:
    if not 0.0 <= quantile <= 1.0:
        raise InputError(f"quantile must be in [0, 1], got {quantile}")
    if not (tolerance > 0 and latent_tolerance > 0):
        raise InputError(
            f"tolerance and latent_tolerance must be positive, got {tolerance}, {latent_tolerance}"
        )


def _draw(
    latent: NDArray[np.float64], n: int, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``n`` codes from N(0, I) and ``n`` from the Gaussian fitted to ``latent``."""
    prior = rng.standard_normal((n, latent.shape[1]))
    pca = principal_axes(latent)
    fitted = (
        pca.mean
        + (rng.standard_normal((n, latent.shape[1])) * np.sqrt(pca.variances)) @ pca.components
    )
    return prior, fitted


def _score(
    source: str,
    drawn: NDArray[np.float64],
    decoded: NDArray[np.float32],
    latent: NDArray[np.float64],
    images_index: NearestNeighbors,
    threshold: float,
    spacing: float,
    latent_tolerance: float,
    n_show: int,
) -> DecodeSample:
    decodes = decoded.reshape(len(decoded), -1)
    if decodes.shape[1] != images_index.n_features_in_:
        raise InputError(
            f"decodes have {decodes.shape[1]} values but images have "
            f"{images_index.n_features_in_} per image"
        )
    pixel, nearest = _pixel_distances(images_index, decodes)
    to_codes = NearestNeighbors(n_neighbors=1).fit(latent).kneighbors(drawn)[0][:, 0]
    relative = to_codes / spacing if spacing > 0 else np.full(len(drawn), np.inf)
    meaningful = pixel <= threshold
    shown = np.rint(np.clip(decoded[:n_show], 0.0, 1.0) * 255).astype(np.uint8)
    return DecodeSample(
        source=source,
        pixel_distance=pixel.astype(np.float64),
        nearest_image=nearest.astype(np.int64),
        latent_distance=relative.astype(np.float64),
        meaningful=meaningful,
        meaningful_fraction=float(meaningful.mean()),
        near_codes_fraction=float(np.mean(relative <= latent_tolerance)),
        shown=shown,
    )
