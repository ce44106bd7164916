"""How densely a latent cloud fills its space: axis and radius densities, filaments and voids."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas.analysis._checks import check_codes, check_positive_int
from latentatlas.analysis._neighbours import neighbours_of as _neighbours_of
from latentatlas.analysis._neighbours import query_rows as _query_rows
from latentatlas.analysis.pca import PrincipalAxes, principal_axes
from latentatlas.analysis.planes import plane_counts
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

#: Full width at half maximum of a Gaussian in units of its standard deviation, 2 sqrt(2 ln 2).
FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))
#: Consistency factor: 1.4826 * MAD estimates a Gaussian's standard deviation.
MAD_TO_SIGMA = 1.482602218505602
#: Calibrated thresholds of :class:`FilamentScoreResult`'s verdicts, derived with
#: ``PYTHONPATH=src python benchmarks/calibrate_density.py --dims 256 --seeds 3 --null-seeds 20``
#: (and ``--dims 16``; docs/analyses/density.md has the table): a smooth curve, five filaments,
#: 2-d and 4-d tori, a Gaussian (the null, 20 seeds) and ten blobs, 3,000 points, isotropic
#: noise 0 to 0.3 of the cloud's RMS per-coordinate deviation.
#:
#: ``void_excess`` above this over ``sqrt(len(planes))`` is "voids": the null's largest excess
#: was 0.024 with one plane (16-d) and 0.008 with three (256-d), no false positive in 40 seeds;
#: curves, filaments, 2-d tori and blobs read 0.037-0.47 at every noise level (power 1).
VOID_EXCESS_MIN = 0.04
#: ``low_dimension_ratio`` below this is "lower-dimensional than the matched Gaussian": the
#: null read 0.96-1.00; 1-d, 2-d and 4-d clouds 0.06-0.78 (a curve drowned in noise 0.3 in
#: 256-d reads 0.97), blobs 0.87-0.99 (16-d) and 3.0-3.8 (256-d). The null's own 1st
#: percentile (0.98 in 256-d) flagged 2 of 10 held-out null seeds, hence a threshold in the gap.
LOW_DIMENSION_RATIO_MAX = 0.85
#: ``smallest_dimension`` at most this is "nearly 1-d": 1-d clouds up to noise 0.03 read
#: 1.0-1.3 (every seed), a clean 2-d torus 2.0, a 4-d one 4.4-4.5; at noise 0.1 a curve reads
#: 2.2-2.3, still falling at k = 160 (undecided, not "not 1-d").
NEARLY_1D_MAX_DIMENSION = 1.5
#: The dimension is "resolved" when its last step over ``ks`` fell by at most this share:
#: noisy 1-d clouds above 1.5 were still falling by 11 % or more, 2-d and 4-d tori by 7 % or less.
RESOLVED_MAX_FALL = 0.05
#: A median local MLE below this at some k is no manifold's (a clean curve reads 1.0-1.2):
#: ten blobs of 60 points read 0.8 at k = 80, where neighbourhoods span two blobs.
MANIFOLD_MIN_DIMENSION = 0.9
#: At most this many shared bins along the axes: a data-driven width is widened to keep a few
#: far outlying codes from asking for millions of bins.
MAX_AXIS_BINS = 1024
#: Columns histogrammed at a time (bounds the int64 bin-index copy to 32 x n values).
_AXES_PER_BLOCK = 32


@dataclass(frozen=True, eq=False)
class Histogram(ResultMixin):
    """A histogram on bins of equal width.

    Attributes
    ----------
    edges : ndarray of shape (bins + 1,)
    counts : ndarray of shape (bins,)
    width : float
        Bin width.
    peak : float
        Centre of the fullest bin (the first one on a tie).
    """

    edges: NDArray[np.float64]
    counts: NDArray[np.int64]
    width: float
    peak: float

    @property
    def density(self) -> NDArray[np.float64]:
        """Counts divided by ``total * width``: integrates to 1."""
        return self.counts / max(int(self.counts.sum()), 1) / self.width


@dataclass(frozen=True, eq=False)
class AxisDensityResult(ResultMixin):
    """The number density of the points along every coordinate axis.

    Attributes
    ----------
    edges : ndarray of shape (bins + 1,)
        Shared bin edges, ``bin_width`` apart, covering every coordinate of every axis.
    counts : ndarray of shape (d, bins)
        Points per bin along each axis.
    bin_width : float
    centres : ndarray of shape (d,)
        Median of each coordinate: a centre the tails do not pull.
    half_widths : ndarray of shape (d,)
        Full width at half maximum of a Gaussian with the coordinate's robust standard
        deviation ``1.4826 * MAD``: ``2.3548 * 1.4826 * MAD`` (the source's "half-width", the
        German *Halbwertsbreite*; about 2.35 for a unit Gaussian).
    median_half_width : float
        Median of ``half_widths`` over the axes: the typical axis.
    dominant_axes : tuple of int
        Axes (0-based) whose centre is off the origin (``|centre| > centre_tolerance *
        median_half_width``) or whose width is well above the median (``half_width >
        width_factor * median_half_width``), by decreasing ``centre^2 + sigma^2`` (their
        share of the squared radius).
    off_centre : tuple of bool
        For each dominant axis, whether its centre is off the origin.
    wide : tuple of bool
        For each dominant axis, whether it is wide.
    """

    edges: NDArray[np.float64]
    counts: NDArray[np.int64]
    bin_width: float
    centres: NDArray[np.float64]
    half_widths: NDArray[np.float64]
    median_half_width: float
    dominant_axes: tuple[int, ...]
    off_centre: tuple[bool, ...]
    wide: tuple[bool, ...]

    @property
    def densities(self) -> NDArray[np.float64]:
        """Counts per axis divided by ``n * bin_width``: each row integrates to 1."""
        return self.counts / self.counts[:1].sum() / self.bin_width


@dataclass(frozen=True, eq=False)
class RadiusDensityResult(ResultMixin):
    """The number density of the points against their distance from the origin.

    Attributes
    ----------
    histograms : tuple of Histogram
        Histograms of the L2 norms, one per requested bin width (the source: 0.5, 0.05).
    expected_peak : float
        ``sqrt(sum_i E[z_i^2])``: the radius the per-axis second moments predict, about
        where the norms of a cloud of independent coordinates concentrate (``sqrt(d)`` = 16
        for unit Gaussians in d = 256).
    unit_gaussian_peak : float
        ``sqrt(d)``: the same for a standard normal cloud of this dimension.
    minimum, maximum, median : float
        Of the radii.
    """

    histograms: tuple[Histogram, ...]
    expected_peak: float
    unit_gaussian_peak: float
    minimum: float
    maximum: float
    median: float


def axis_density(
    codes: ArrayLike,
    bin_width: float | None = None,
    centre_tolerance: float = 0.25,
    width_factor: float = 1.5,
) -> AxisDensityResult:
    """Histogram every coordinate axis; find the axes that dominate the cloud's shape.

    Parameters
    ----------
    codes : array-like of shape (n, d)
    bin_width : float, optional
        Width of the histogram bins. Default: chosen from the data by
        :func:`axis_bin_width` (the source's fixed 0.25 left a VAE's codes, within about
        ±0.4, three bins wide).
    centre_tolerance : float
        An axis is off-centre when ``|median| > centre_tolerance * median_half_width``.
    width_factor : float
        An axis is wide when ``half_width > width_factor * median_half_width``.

    Returns
    -------
    AxisDensityResult

    References
    ----------
    Rousseeuw, P. J. & Croux, C. (1993). Alternatives to the median absolute deviation.
    JASA 88, 1273-1283 (the MAD and its consistency factor 1.4826).
    """
    array = check_codes(codes, "codes")
    if bin_width is None:
        bin_width = axis_bin_width(array)
    for name, value in (("bin_width", bin_width), ("centre_tolerance", centre_tolerance)):
        if not (np.isfinite(value) and value > 0):
            raise InputError(f"{name} must be a positive number, got {value}")
    if not width_factor > 1:
        raise InputError(f"width_factor must exceed 1, got {width_factor}")
    edges = _shared_edges(array, bin_width)
    counts = _axis_counts(array, edges[0], bin_width, len(edges) - 1)
    centres = np.median(array, axis=0).astype(np.float64)
    mad = np.median(np.abs(array - centres.astype(array.dtype)), axis=0).astype(np.float64)
    sigma = MAD_TO_SIGMA * mad
    half_widths = FWHM_PER_SIGMA * sigma
    typical = float(np.median(half_widths))
    off = np.abs(centres) > centre_tolerance * typical
    wide = half_widths > width_factor * typical
    chosen = np.flatnonzero(off | wide)
    chosen = chosen[np.argsort(-(centres[chosen] ** 2 + sigma[chosen] ** 2), kind="stable")]
    return AxisDensityResult(
        edges=edges,
        counts=counts,
        bin_width=float(bin_width),
        centres=centres,
        half_widths=half_widths,
        median_half_width=typical,
        dominant_axes=tuple(int(a) for a in chosen),
        off_centre=tuple(bool(off[a]) for a in chosen),
        wide=tuple(bool(wide[a]) for a in chosen),
    )


def axis_bin_width(codes: NDArray[Any], max_bins: int = MAX_AXIS_BINS) -> float:
    """A bin width for every axis's histogram, chosen from the data.

    The Freedman-Diaconis width ``2 IQR n^(-1/3)`` of the typical axis (the median of the
    axes' interquartile ranges), rounded down to 1, 2 or 5 times a power of ten so that
    the axis label reads plainly; widened where the codes' whole range would need more than
    ``max_bins`` bins. A cloud without spread on any axis gets one bin per unit.

    References
    ----------
    Freedman, D. & Diaconis, P. (1981). On the histogram as a density estimator: L2 theory.
    Z. Wahrscheinlichkeitstheorie verw. Gebiete 57, 453-476.
    """
    q75, q25 = np.percentile(codes, [75, 25], axis=0)
    spread = float(np.median(q75 - q25))
    span = float(codes.max()) - float(codes.min())
    if not spread > 0:
        spread = span / 2 if span > 0 else 1.0
    usable = max(max_bins - 2, 1)  # edges on multiples of the width add up to two bins
    width = max(2.0 * spread * len(codes) ** (-1.0 / 3.0), span / usable)
    power = 10.0 ** math.floor(math.log10(width))
    nice = max(step * power for step in (1.0, 2.0, 5.0) if step * power <= width * (1 + 1e-9))
    return float(nice) if span / nice <= usable else float(width)


def _shared_edges(array: NDArray[Any], width: float) -> NDArray[np.float64]:
    """Edges on multiples of ``width`` that cover every value of the array."""
    low = np.floor(float(array.min()) / width)
    high = np.floor(float(array.max()) / width) + 1
    return np.arange(low, high + 1) * width


def _axis_counts(array: NDArray[Any], low: float, width: float, bins: int) -> NDArray[np.int64]:
    """Histogram of every column at once: one bincount over ``column * bins + bin`` per block
    of columns (a loop of ``numpy.histogram`` over 256 axes is many times slower)."""
    counts = np.empty((array.shape[1], bins), dtype=np.int64)
    for first in range(0, array.shape[1], _AXES_PER_BLOCK):
        block = array[:, first : first + _AXES_PER_BLOCK]
        index = np.clip(((block - low) / width).astype(np.int64), 0, bins - 1)
        index += np.arange(block.shape[1]) * bins
        flat = np.bincount(index.ravel(), minlength=block.shape[1] * bins)
        counts[first : first + block.shape[1]] = flat.reshape(block.shape[1], bins)
    return counts


def radius_density(
    codes: ArrayLike, bin_widths: tuple[float, ...] = (0.5, 0.05)
) -> RadiusDensityResult:
    """Histogram the L2 norms of the points and compare their peak with the expected one.

    For independent coordinates the squared norm ``sum_i z_i^2`` has mean ``sum_i
    E[z_i^2]`` and, in high dimension, a relative spread that shrinks like ``1/sqrt(d)``, so
    the norms concentrate near ``sqrt(sum_i E[z_i^2])`` (``sqrt(d)`` for unit Gaussians).

    Parameters
    ----------
    codes : array-like of shape (n, d)
    bin_widths : tuple of float
        One histogram per width (the source: 0.5 and 0.05).

    Returns
    -------
    RadiusDensityResult

    References
    ----------
    Vershynin, R. (2018). High-Dimensional Probability. Cambridge University Press,
    section 3.1 (concentration of the norm).
    """
    array = check_codes(codes, "codes")
    if len(bin_widths) == 0:
        raise InputError("bin_widths must hold at least one width")
    radii = np.sqrt(np.einsum("ij,ij->i", array, array, dtype=np.float64))
    second_moments = np.einsum("ij,ij->j", array, array, dtype=np.float64) / len(array)
    histograms = []
    for width in bin_widths:
        if not (np.isfinite(width) and width > 0):
            raise InputError(f"bin_widths must be positive numbers, got {width}")
        edges = np.arange(0.0, radii.max() + width, width)
        edges = edges if edges[-1] > radii.max() else np.append(edges, edges[-1] + width)
        counts = np.histogram(radii, edges)[0].astype(np.int64)
        peak = float(edges[counts.argmax()] + width / 2)
        histograms.append(Histogram(edges=edges, counts=counts, width=float(width), peak=peak))
    return RadiusDensityResult(
        histograms=tuple(histograms),
        expected_peak=float(np.sqrt(second_moments.sum())),
        unit_gaussian_peak=float(np.sqrt(array.shape[1])),
        minimum=float(radii.min()),
        maximum=float(radii.max()),
        median=float(np.median(radii)),
    )


@dataclass(frozen=True, eq=False)
class RadiusPeakNull(ResultMixin):
    """How far the radius peak of Gaussian clouds like the codes falls from the expected one.

    Attributes
    ----------
    peaks : ndarray of shape (draws,)
        Radius peak (centre of the fullest bin) of each matched Gaussian draw.
    relative_distances : ndarray of shape (draws,)
        ``|peak - expected_peak| / expected_peak`` of each matched Gaussian draw, with the
        peak and expected radius computed as :func:`radius_density` does.
    tolerance : float
        The largest of ``relative_distances``: a peak of the codes within it is as near the
        expected radius as the peaks of clouds without any structure (with 19 draws, a
        5 % one-sided test).
    bin_width : float
        Histogram bin width of the peaks.
    """

    peaks: NDArray[np.float64]
    relative_distances: NDArray[np.float64]
    tolerance: float
    bin_width: float


def radius_peak_null(
    codes: ArrayLike, bin_width: float = 0.5, draws: int = 19, random_state: int = 0
) -> RadiusPeakNull:
    """The spread of the radius peak over Gaussian clouds with the codes' mean and covariance.

    The histogram peak of the radii of a finite cloud moves with the sample and with the bin
    grid, and for an anisotropic covariance the mode of ``||z||`` lies below ``sqrt(sum_i
    E[z_i^2])`` (a chi distribution with few effective degrees of freedom), so a fixed
    relative tolerance calls the same cloud "near" or "far" by chance. This draws ``draws``
    matched Gaussians (:func:`matched_gaussian`'s distribution, as many points) and takes
    the largest relative distance of their peaks as the tolerance. The radii are drawn
    without the clouds: along the principal axes ``||mean + V^T (sqrt(lambda) e)||^2 =
    ||mean||^2 + 2 (V mean) . (sqrt(lambda) e) + sum_i lambda_i e_i^2`` for orthonormal
    ``V``.

    Parameters
    ----------
    codes : array-like of shape (n, d)
    bin_width : float
        Bin width of the peak (the filaments study's radius claim: 0.5).
    draws : int
        Gaussian clouds drawn (19: the largest of 19 is exceeded by a 20th with chance 5 %).
    random_state : int

    Returns
    -------
    RadiusPeakNull

    References
    ----------
    Davison, A. C. & Hinkley, D. V. (1997). Bootstrap Methods and their Application.
    Cambridge University Press, section 4.2 (parametric bootstrap; Monte Carlo tests).
    """
    array = check_codes(codes, "codes")
    draws = check_positive_int(draws, "draws")
    if not (np.isfinite(bin_width) and bin_width > 0):
        raise InputError(f"bin_width must be a positive number, got {bin_width}")
    pca = principal_axes(array)
    scales = np.sqrt(np.clip(pca.variances, 0.0, None))
    along = pca.components @ pca.mean
    rng = np.random.default_rng(random_state)
    peaks, distances = np.empty(draws), np.empty(draws)
    for draw in range(draws):
        e = rng.standard_normal((len(array), len(scales))) * scales
        radii = np.sqrt(np.maximum(pca.mean @ pca.mean + 2 * e @ along + (e * e).sum(1), 0.0))
        edges = np.arange(0.0, radii.max() + 2 * bin_width, bin_width)
        counts = np.histogram(radii, edges)[0]
        peaks[draw] = edges[counts.argmax()] + bin_width / 2
        expected = np.sqrt(np.mean(radii**2))
        distances[draw] = abs(peaks[draw] - expected) / expected
    return RadiusPeakNull(
        peaks=peaks,
        relative_distances=distances,
        tolerance=float(distances.max()),
        bin_width=float(bin_width),
    )


#: Planes of principal axes (0-based) the source looked at: the first two, the 1st and 18th,
#: the 8th and 35th.
SOURCE_PLANES: tuple[tuple[int, int], ...] = ((0, 1), (0, 17), (7, 34))


@dataclass(frozen=True, eq=False)
class IntrinsicDimension(ResultMixin):
    """Intrinsic-dimension estimates of one cloud from its query points' neighbours.

    Attributes
    ----------
    local_mle : ndarray of shape (q,)
        Levina-Bickel estimate at each query point from its ``k`` nearest neighbours.
    median_local_mle : float
        Median of ``local_mle``: about 1 on a filament, about m on an m-dimensional patch.
    mle : float
        MacKay-Ghahramani pooling ``1 / mean(1 / local_mle)``.
    twonn : float
        TwoNN estimate (Facco et al.: linear fit, largest 10 % of ratios discarded).
    nn_distances : ndarray of shape (q,)
        Distance of each query point to its nearest other point.
    """

    local_mle: NDArray[np.float64]
    median_local_mle: float
    mle: float
    twonn: float
    nn_distances: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class FilamentScoreResult(ResultMixin):
    """Numbers for "the codes lie on thin filaments around voids", each against a Gaussian.

    The matched Gaussian has the codes' mean, covariance and number of points; it fills
    its ellipsoid without filaments or voids, so each number is read against its value.

    Attributes
    ----------
    data, gaussian : IntrinsicDimension
        Estimates for the codes and for the matched Gaussian cloud.
    k : int
        Neighbours per query point of the local MLE.
    n_queries : int
        Query points (a seeded sample of each cloud, searched against the whole cloud).
    n_duplicates : int
        Query points of the codes with an exact duplicate (distance 0), left out of the
        estimates (their ratios are undefined).
    dimension_ratio : float
        ``data.median_local_mle / gaussian.median_local_mle``: well below 1 for filaments.
    nn_distance_ratio : float
        Median nearest-neighbour distance of the codes over the Gaussian's: below 1 when
        the points bunch on thin structures.
    planes : tuple of (int, int)
        Planes of principal axes (0-based) of the void fractions.
    scales : tuple of float
        Window half-widths in units of the standard deviation along the plane's first axis.
    grid : int
        Cells per side of each window's grid.
    void_fraction, void_fraction_gaussian : ndarray of shape (len(planes), len(scales))
        Share of empty cells of the window's grid, for the codes and for the Gaussian.
    void_excess : float
        Mean of ``void_fraction - void_fraction_gaussian``: positive when the codes leave
        more of the plane empty than a cloud of the same covariance.
    ks : tuple of int
        Neighbourhood sizes of the next two (empty in results stored before them).
    dimension_by_k, dimension_by_k_gaussian : tuple of float
        Median local MLE at each k of ``ks``, for the codes and for the matched Gaussian.
    """

    data: IntrinsicDimension
    gaussian: IntrinsicDimension
    k: int
    n_queries: int
    n_duplicates: int
    dimension_ratio: float
    nn_distance_ratio: float
    planes: tuple[tuple[int, int], ...]
    scales: tuple[float, ...]
    grid: int
    void_fraction: NDArray[np.float64]
    void_fraction_gaussian: NDArray[np.float64]
    void_excess: float
    ks: tuple[int, ...] = ()
    dimension_by_k: tuple[float, ...] = ()
    dimension_by_k_gaussian: tuple[float, ...] = ()

    @property
    def smallest_dimension(self) -> float:
        """Smallest median local MLE over ``ks``: the noise-robust reading (small k sees the
        noise, large k the structure; NaN for results stored before ``ks`` existed)."""
        return min(self.dimension_by_k or (), default=math.nan)

    @property
    def low_dimension_ratio(self) -> float:
        """Smallest ``dimension_by_k / dimension_by_k_gaussian`` over ``ks``: about 1 for a
        Gaussian at every k, well below 1 for structure of lower dimension than the cloud."""
        pairs = zip(self.dimension_by_k or (), self.dimension_by_k_gaussian or (), strict=True)
        return min((d / g for d, g in pairs), default=math.nan)

    @property
    def dimension_resolved(self) -> bool:
        """Whether the dimension has stopped falling by the largest k (its last step fell by
        at most :data:`RESOLVED_MAX_FALL`); if not, larger neighbourhoods might read lower."""
        if len(self.dimension_by_k or ()) < 2:
            return False
        return self.dimension_by_k[-1] >= (1 - RESOLVED_MAX_FALL) * self.dimension_by_k[-2]

    @property
    def void_threshold(self) -> float:
        """:data:`VOID_EXCESS_MIN` over ``sqrt(len(planes))``: ``void_excess`` averages the
        planes, and the null's spread shrinks like one over the root of their number."""
        return VOID_EXCESS_MIN / math.sqrt(max(len(self.planes), 1))

    @property
    def has_voids(self) -> bool:
        """``void_excess`` above :attr:`void_threshold`, the Gaussian null's threshold."""
        return bool(self.void_excess > self.void_threshold)

    @property
    def is_low_dimensional(self) -> bool:
        """``low_dimension_ratio`` below :data:`LOW_DIMENSION_RATIO_MAX`."""
        return bool(self.low_dimension_ratio < LOW_DIMENSION_RATIO_MAX)

    @property
    def one_dimensional(self) -> bool | None:
        """Whether the cloud is nearly 1-d, where the calibration says the data can tell.

        True: low-dimensional with ``smallest_dimension <= NEARLY_1D_MAX_DIMENSION``. False:
        low-dimensional but above that with a resolved dimension (a 2-d or 4-d manifold), or
        neither low-dimensional nor with voids (a Gaussian-like cloud). None (undecided):
        above it while still falling at the largest k (a noisy filament reads so); not
        low-dimensional but with voids (blobs, or a filament drowned in noise); a reading below
        :data:`MANIFOLD_MIN_DIMENSION` at some k (clusters of fewer than k points: the
        neighbourhoods jump between clusters, which no manifold does); no ``ks`` (a result
        stored before they existed).
        """
        if not self.dimension_by_k or self.smallest_dimension < MANIFOLD_MIN_DIMENSION:
            return None
        if not self.is_low_dimensional:
            return None if self.has_voids else False
        if self.smallest_dimension <= NEARLY_1D_MAX_DIMENSION:
            return True
        return False if self.dimension_resolved else None


def matched_gaussian(codes: ArrayLike, random_state: int = 0) -> NDArray[np.float32]:
    """A Gaussian cloud with the mean, covariance and number of points of ``codes``.

    Drawn as ``mean + (e * sqrt(variances)) @ components`` with ``e`` standard normal, along
    the principal axes, which works for a singular covariance too. Float32, like codes.
    """
    array = check_codes(codes, "codes")
    return _gaussian_like(principal_axes(array), len(array), random_state)


def _gaussian_like(pca: PrincipalAxes, n: int, random_state: int) -> NDArray[np.float32]:
    """``n`` points of N(mean, covariance) of the principal axes ``pca``, in float32."""
    rng = np.random.default_rng(random_state)
    scaled = (np.sqrt(pca.variances)[:, None] * pca.components).astype(np.float32)
    cloud = np.empty((n, len(pca.mean)), dtype=np.float32)
    for start in range(0, n, 16_384):
        rows = min(16_384, n - start)
        noise = rng.standard_normal((rows, len(pca.mean)), dtype=np.float32)
        cloud[start : start + rows] = noise @ scaled + pca.mean.astype(np.float32)
    return cloud


def filament_score(
    codes: ArrayLike,
    k: int = 20,
    n_queries: int | None = 5000,
    planes: tuple[tuple[int, int], ...] | None = None,
    scales: tuple[float, ...] = (2.0, 1.0, 0.5, 0.25),
    grid: int = 32,
    random_state: int = 0,
    ks: tuple[int, ...] = (5, 10, 20, 40, 80, 160),
) -> FilamentScoreResult:
    """Local intrinsic dimension, voids and neighbour distances, each against a matched Gaussian.

    Three numbers test the source's claim that the codes lie on thin, nearly 1-d filaments
    around voids: (1) the local intrinsic dimension (Levina-Bickel MLE over ``k`` neighbours,
    as a distribution over query points, and TwoNN): about 1 on a filament; (2) the void
    fraction, the share of empty cells of a ``grid x grid`` grid on planes of principal axes
    at several window sizes; (3) the ratio of nearest-neighbour distances. Exact neighbours
    of every point of 165,000 cost 165,000^2 distances, so ``n_queries`` seeded query points
    of each cloud are searched against the whole cloud (exactly); both estimators need only
    the query points' own neighbours.

    Under noise the MLE at small k reads the noise's dimension, so the median is also taken at
    every k of ``ks`` (one search at the largest) for both clouds; the result's properties read
    them with the calibrated thresholds (``smallest_dimension``, ``low_dimension_ratio``,
    ``has_voids``, ``one_dimensional``; docs/analyses/density.md has the calibration).

    Parameters
    ----------
    codes : array-like of shape (n, d)
    k : int
        Neighbours of the local MLE (at least 3).
    n_queries : int or None
        Query points per cloud; None uses every point.
    planes : tuple of (int, int), optional
        Principal-axis planes (0-based); default: the source's planes that exist in ``d``
        dimensions, :data:`SOURCE_PLANES`.
    scales : tuple of float
        Window half-widths, in standard deviations along each plane's first axis.
    grid : int
        Cells per side of each window.
    random_state : int
        Seed of the Gaussian cloud and of the query points.
    ks : tuple of int
        Neighbourhood sizes of ``dimension_by_k`` (each at least 3); those of a tenth of the
        points or more are left out (such neighbourhoods span clusters, not a manifold).

    Returns
    -------
    FilamentScoreResult

    References
    ----------
    Levina, E. & Bickel, P. J. (2004). Maximum likelihood estimation of intrinsic dimension.
    NIPS 17, equation (8); MacKay, D. J. C. & Ghahramani, Z. (2005). Comments on 'Maximum
    likelihood estimation of intrinsic dimension' (pooling the inverses).
    Facco, E., d'Errico, M., Rodriguez, A. & Laio, A. (2017). Estimating the intrinsic
    dimension of datasets by a minimal neighborhood information. Sci. Rep. 7, 12140.
    """
    array = check_codes(codes, "codes")
    k = check_positive_int(k, "k", 3)
    if k >= len(array):
        raise InputError(f"k={k} needs more than {k} points, got {len(array)}")
    grid = check_positive_int(grid, "grid")
    planes = _planes(planes, array.shape[1])
    pca = principal_axes(array)  # once: the Gaussian and the void planes share it
    gaussian = _gaussian_like(pca, len(array), random_state)
    # A neighbourhood of over a tenth of the cloud spans its clusters, not a manifold.
    ks = tuple(sorted({check_positive_int(s, "ks", 3) for s in ks if 10 * s < len(array)}))
    queries = _query_rows(len(array), n_queries, random_state)
    data_id, by_k, duplicates = _intrinsic_dimension(array, queries, k, ks)
    gaussian_id, by_k_gaussian, _ = _intrinsic_dimension(gaussian, queries, k, ks)
    void, void_gaussian = _void_fractions(array, gaussian, pca, planes, scales, grid)
    return FilamentScoreResult(
        data=data_id,
        gaussian=gaussian_id,
        k=k,
        n_queries=len(queries),
        n_duplicates=duplicates,
        dimension_ratio=data_id.median_local_mle / gaussian_id.median_local_mle,
        nn_distance_ratio=float(
            np.median(data_id.nn_distances) / np.median(gaussian_id.nn_distances)
        ),
        planes=planes,
        scales=tuple(float(s) for s in scales),
        grid=grid,
        void_fraction=void,
        void_fraction_gaussian=void_gaussian,
        void_excess=float(np.mean(void - void_gaussian)),
        ks=ks,
        dimension_by_k=by_k,
        dimension_by_k_gaussian=by_k_gaussian,
    )


def _planes(planes: tuple[tuple[int, int], ...] | None, dim: int) -> tuple[tuple[int, int], ...]:
    if planes is None:
        return tuple(p for p in SOURCE_PLANES if max(p) < dim)
    for plane in planes:
        if len(plane) != 2 or plane[0] == plane[1] or not 0 <= min(plane) <= max(plane) < dim:
            raise InputError(
                f"planes must be pairs of distinct axes in 0..{dim - 1}, got {tuple(plane)}"
            )
    return tuple((int(a), int(b)) for a, b in planes)


def _intrinsic_dimension(
    points: NDArray[Any], queries: NDArray[np.int64], k: int, ks: tuple[int, ...]
) -> tuple[IntrinsicDimension, tuple[float, ...], int]:
    """scikit-dimension's MLE and TwoNN fed with our exact neighbours of the query points,
    and the median local MLE at every neighbourhood size of ``ks`` (one search for all).

    scikit-dimension searches the neighbours of every point itself (exact, all n x n
    distances); given precomputed ones it runs its estimators unchanged, which the tests
    check against running it on the whole cloud.
    """
    from skdim.id import MLE, TwoNN  # imported here: scikit-dimension takes ~3 s to import

    distances, indices = _neighbours_of(points, queries, max((k, *ks)))
    kept = distances[:, 0] > 0.0  # duplicates give log(0): undefined ratios
    distances, indices = distances[kept], indices[kept]
    if len(distances) < 3:
        raise InputError(
            "fewer than 3 query points without an exact duplicate: too few to estimate"
        )

    def local_mle(size: int) -> Any:
        # The points only pass scikit-dimension's input checks; the neighbours given are used.
        knn = (distances[:, :size], indices[:, :size])
        return MLE().fit(points, precomputed_knn_arrays=knn, n_neighbors=size)

    mle = local_mle(k)
    twonn = TwoNN(dist=True).fit(distances[:, :2])
    local = np.asarray(mle.dimension_pw_, dtype=np.float64)
    estimate = IntrinsicDimension(
        local_mle=local,
        median_local_mle=float(np.median(local)),
        mle=float(mle.dimension_),
        twonn=float(twonn.dimension_),
        nn_distances=distances[:, 0].copy(),
    )
    by_k = tuple(float(np.median(local_mle(size).dimension_pw_)) for size in ks)
    return estimate, by_k, int(np.count_nonzero(~kept))


def _void_fractions(
    codes: NDArray[Any],
    gaussian: NDArray[np.float32],
    pca: PrincipalAxes,
    planes: tuple[tuple[int, int], ...],
    scales: tuple[float, ...],
    grid: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Empty-cell shares on each (plane, scale) for the codes and for the Gaussian, both
    projected onto the codes' principal axes."""
    for scale in scales:
        if not (np.isfinite(scale) and scale > 0):
            raise InputError(f"scales must be positive numbers, got {scale}")
    used = sorted({axis for plane in planes for axis in plane})
    position = {axis: i for i, axis in enumerate(used)}
    voids = np.empty((2, len(planes), len(scales)))
    for c, cloud in enumerate((codes, gaussian)):
        coordinates = _project(cloud, pca.mean, pca.components[used])
        for p, (a, b) in enumerate(planes):
            u, v = coordinates[:, position[a]], coordinates[:, position[b]]
            sigma = float(np.sqrt(pca.variances[a]))
            for s, scale in enumerate(scales):
                counts = plane_counts(u, v, scale * sigma, grid)
                voids[c, p, s] = np.mean(counts == 0)
    return voids[0], voids[1]


def _project(
    points: NDArray[Any], mean: NDArray[np.float64], axes: NDArray[np.float64]
) -> NDArray[np.float64]:
    """``(points - mean) @ axes.T`` without a float64 copy of ``points`` (338 MB at 165,000 x
    256): the product runs in the points' dtype and the centre is subtracted afterwards."""
    dtype = points.dtype if points.dtype.kind == "f" else np.float64
    return (points @ axes.T.astype(dtype)).astype(np.float64) - mean @ axes.T
