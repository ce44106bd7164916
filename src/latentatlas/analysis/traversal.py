"""Latent traversals: decode codes with one dimension swept, and measure what each dimension does.

Needs a model but no ground-truth factors. :func:`traverse` gives the images (the source's
traversal grids); :func:`traversal_effects` turns many traversals into numbers: how much each
dimension changes the image per unit step, how consistent that change is across inputs, and a
classification into "consistent", "entangled" and "inactive"; :func:`effect_agreement` compares
two seeds' dimensions by those effects, and :func:`traversal_seeds` sums up several seeds'.
Formulas in ``docs/analyses/disentanglement.md``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

MODES: tuple[str, ...] = ("absolute", "relative", "std")
# Calibrated by benchmarks/calibrate_traversal.py (see traversal_effects).
AGREEMENT_COSINE = 0.8
CONSISTENCY_THRESHOLD = 0.85
NULL_INPUTS = 16  # inputs, evenly spaced, whose changes by every dimension give the null
DEFAULT_VALUES: NDArray[np.float64] = np.linspace(-3.0, 3.0, 10)


@dataclass(frozen=True, eq=False)
class TraversalResult(ResultMixin):
    """Decoded traversals of some inputs along some latent dimensions.

    Attributes
    ----------
    images : ndarray of shape (n_inputs, n_dims, n_values, *input_shape)
        ``images[i, k, j]`` decodes input ``i``'s code with dimension ``dims[k]`` set by
        ``values[j]`` (see ``mode``).
    codes : ndarray of shape (n_inputs, latent_dim)
        The inputs' own codes (the model's ``encode``; a VAE's posterior mean).
    dims : tuple of int
        The dimensions traversed.
    values : ndarray of shape (n_values,)
        The steps as requested.
    scale : ndarray of shape (n_dims,)
        Multiplier of the steps per dimension: the dimension's std in mode ``"std"``, else 1.
    mode : str
        ``"absolute"``: the dimension is set to ``value``; ``"relative"``: ``value`` is added to
        the input's code; ``"std"``: the dimension is set to ``value * scale`` (steps in units of
        the dimension's standard deviation, around 0).
    """

    images: NDArray[np.float32]
    codes: NDArray[np.float64]
    dims: tuple[int, ...]
    values: NDArray[np.float64]
    scale: NDArray[np.float64]
    mode: str


@dataclass(frozen=True, eq=False)
class TraversalEffectsResult(ResultMixin):
    """What each latent dimension does to the decoded image, over many inputs.

    Attributes
    ----------
    effect : ndarray of shape (n_inputs, n_dims)
        Mean absolute pixel change per unit step of the latent value, for each input and
        dimension (the heat map): ``mean_k mean_pixels |x_{k+1} - x_k| / |v_{k+1} - v_k|``.
    mean_effect : ndarray of shape (n_dims,)
        ``effect`` averaged over inputs.
    consistency : ndarray of shape (n_dims,)
        Share of the pairs of inputs whose change images (the step differences
        ``x_{k+1} - x_k`` concatenated; ``x_last - x_first`` in mode ``"relative"``) agree:
        cosine similarity at least ``pair_threshold``.
        1 when every input changes the same way; a 31% minority changing the other way gives
        ``1 - 2 * 0.31 * 0.69 = 0.57``. An input the dimension barely changes (change below
        ``inactive_fraction`` of the dimension's 90th-percentile change) agrees with no other.
    mean_change : ndarray of shape (n_dims, *input_shape)
        Mean over inputs of ``(x_last - x_first) / (v_last - v_first)``: what a unit step does on
        average (signed), for pictures and for :func:`effect_agreement`.
    classification : tuple of str
        Per dimension: ``"inactive"`` when ``mean_effect`` is below ``inactive_fraction`` times
        the largest dimension's (or below ``min_effect``); else ``"consistent"`` when
        ``consistency >= consistency_threshold``; else ``"entangled"``.
    consistent_dims : int
        Number of dimensions classified ``"consistent"``.
    dims : tuple of int
    values : ndarray of shape (n_values,)
    mode : str
    inactive_fraction, consistency_threshold, min_effect : float
        The thresholds used (``consistency_threshold``: the smallest share of agreeing pairs
        of a consistent dimension).
    mean_cosine : ndarray of shape (n_dims,) or None
        Mean pairwise cosine similarity of the change images (the measure before 2026-12; a mean
        hides a minority, kept for comparison). None in results built without it.
    silent_share : ndarray of shape (n_dims,) or None
        Share of inputs that the dimension barely changes (see ``consistency``).
    agreement_cosine : float
        The smallest cosine at which two change images agree when the cross-dimension null is
        lower (the calibrated floor).
    cross_dimension_cosine : float
        The null: 95th percentile, over 16 evenly spaced inputs (all when fewer) and the pairs
        of different active dimensions, of the absolute cosine between their change images of
        the same input; 0 with fewer than two active dimensions. Two inputs' changes agree only
        above what different dimensions share.
    """

    effect: NDArray[np.float64]
    mean_effect: NDArray[np.float64]
    consistency: NDArray[np.float64]
    mean_change: NDArray[np.float64]
    classification: tuple[str, ...]
    consistent_dims: int
    dims: tuple[int, ...]
    values: NDArray[np.float64]
    mode: str
    inactive_fraction: float
    consistency_threshold: float
    min_effect: float
    mean_cosine: NDArray[np.float64] | None = None
    silent_share: NDArray[np.float64] | None = None
    agreement_cosine: float = float("nan")
    cross_dimension_cosine: float = float("nan")

    @property
    def pair_threshold(self) -> float:
        """Cosine at which two inputs' change images agree: the floor or the null, the larger."""
        return max(self.agreement_cosine, self.cross_dimension_cosine)


@dataclass(frozen=True, eq=False)
class EffectAgreementResult(ResultMixin):
    """Best one-to-one matching of two models' latent dimensions by what they do.

    Attributes
    ----------
    similarity : ndarray of shape (n_dims_a, n_dims_b)
        ``"profile"``: Pearson correlation of the per-input effect columns; ``"change"``:
        absolute cosine similarity of the mean change images.
    pairs : tuple of (int, int)
        Matched (index in a, index in b), positions in each result's ``dims``.
    matched_similarity : ndarray of shape (n_pairs,)
        ``similarity`` of each matched pair.
    score : float
        Mean of ``matched_similarity``.
    by : str
        ``"profile"`` or ``"change"``.
    """

    similarity: NDArray[np.float64]
    pairs: tuple[tuple[int, int], ...]
    matched_similarity: NDArray[np.float64]
    score: float
    by: str


@dataclass(frozen=True, eq=False)
class TraversalSeedsResult(ResultMixin):
    """What each dimension does in traversals of the same inputs, per seed (`traversal_seeds`).

    ``classification[s][d]`` is ``"consistent"``, ``"entangled"`` or ``"inactive"`` (see
    ``traversal_effects``); ``consistency[s][d]`` is the share of pairs of inputs whose
    change images agree (cosine at least ``agreement_cosine``, or the seed's
    ``cross_dimension_cosine`` null when that is higher) and ``mean_consistency`` its mean over
    the active dimensions; ``mean_cosine`` and ``silent_share`` are the mean pairwise cosine and
    the share of inputs a dimension barely changes. ``seed_agreement`` holds, for every pair of
    seeds, the mean matched correlation of the dimensions' per-input effect profiles
    (``effect_agreement`` by profile: 1 = both seeds have dimensions that act on the same
    inputs). The last four fields are absent (defaults) in results written before 2026-12.
    """

    consistent_dims: tuple[int, ...]
    entangled_dims: tuple[int, ...]
    inactive_dims: tuple[int, ...]
    mean_consistency: tuple[float, ...]
    classification: tuple[tuple[str, ...], ...]
    consistency: tuple[NDArray[np.float64], ...]
    mean_effect: tuple[NDArray[np.float64], ...]
    seed_agreement: tuple[float, ...]
    n_inputs: int
    mode: str
    inactive_fraction: float
    consistency_threshold: float
    min_effect: float
    agreement_cosine: float = float("nan")
    cross_dimension_cosine: tuple[float, ...] = ()
    mean_cosine: tuple[NDArray[np.float64], ...] = ()
    silent_share: tuple[NDArray[np.float64], ...] = ()

    @property
    def entangled_share(self) -> tuple[float, ...]:
        """Per seed, entangled dimensions over active ones (nan when none is active)."""
        return tuple(
            e / (e + c) if e + c else float("nan")
            for e, c in zip(self.entangled_dims, self.consistent_dims, strict=True)
        )


def traverse(
    model: Any,
    x: ArrayLike,
    dims: ArrayLike | None = None,
    values: ArrayLike | None = None,
    mode: str = "absolute",
    code_std: ArrayLike | None = None,
    batch_size: int = 1024,
) -> TraversalResult:
    """Decode each input's code with each chosen dimension set to each value, the rest kept.

    The source article's traversal: encode an input, change one latent dimension over a range
    (-3 to 3 in 10 steps by default) and decode.

    Parameters
    ----------
    model : latentatlas.models.Autoencoder
        A model with ``encode``, ``decode``, ``latent_dim`` and ``input_shape``.
    x : array-like of shape (n_inputs, *input_shape)
        Inputs, encoded with :func:`latentatlas.models.encode_array`.
    dims : array-like of int, optional
        Dimensions to traverse; all by default.
    values : array-like of float, optional
        Steps; ``np.linspace(-3, 3, 10)`` by default.
    mode : {"absolute", "relative", "std"}
        How a step sets the dimension (see :class:`TraversalResult`).
    code_std : array-like of shape (latent_dim,), optional
        Standard deviation of each dimension for ``mode="std"``; by default the std of the
        inputs' own codes (needs 2 or more inputs).
    batch_size : int
        Decoding batch size.

    Returns
    -------
    TraversalResult
    """
    from latentatlas.models import encode_array

    inputs = _check_inputs(model, x)
    codes = encode_array(model, inputs, batch_size=batch_size).astype(np.float64)
    dims_used, steps = _check_dims(dims, model.latent_dim), _check_values(values)
    scale = _scale(mode, codes, dims_used, code_std)
    images = np.stack(
        [
            _decode_sweep(model, codes, dim, steps, mode, s, batch_size)
            for dim, s in zip(dims_used, scale, strict=True)
        ],
        axis=1,
    )
    return TraversalResult(
        images=images, codes=codes, dims=dims_used, values=steps, scale=scale, mode=mode
    )


def _traversal_codes(
    codes: NDArray[np.float64], dim: int, values: NDArray[np.float64], mode: str, scale: float
) -> NDArray[np.float64]:
    """Codes of one sweep, shape (n_inputs, n_values, latent_dim): ``dim`` set by each value."""
    swept = np.repeat(codes[:, None, :], len(values), axis=1)
    if mode == "relative":
        swept[:, :, dim] += values[None, :]
    else:  # "absolute" (scale 1) or "std"
        swept[:, :, dim] = values[None, :] * scale
    return swept


def _decode_sweep(
    model: Any,
    codes: NDArray[np.float64],
    dim: int,
    values: NDArray[np.float64],
    mode: str,
    scale: float,
    batch_size: int,
) -> NDArray[np.float32]:
    from latentatlas.models import decode_array

    swept = _traversal_codes(codes, dim, values, mode, scale)
    decoded = decode_array(model, swept.reshape(-1, codes.shape[1]), batch_size=batch_size)
    return decoded.reshape(len(codes), len(values), *decoded.shape[1:])


def traversal_effects(
    model: Any,
    xs: ArrayLike,
    values: ArrayLike | None = None,
    dims: ArrayLike | None = None,
    mode: str = "absolute",
    code_std: ArrayLike | None = None,
    inactive_fraction: float = 0.1,
    consistency_threshold: float = CONSISTENCY_THRESHOLD,
    min_effect: float = 1e-6,
    batch_size: int = 1024,
    agreement_cosine: float = AGREEMENT_COSINE,
) -> TraversalEffectsResult:
    """Per dimension: how much it changes the decoded image and how consistently across inputs.

    The source's reading of traversal grids, as numbers: a dimension with a large and
    consistent effect is disentangled in the source's sense ("consistent"), a large effect that
    differs between inputs is "entangled", a small one has "no major impact" ("inactive").

    Consistency is the share of input pairs whose change images agree, not a mean similarity:
    a mean over pairs hides a minority of inputs for which the dimension does something else
    (a 31% minority that moves the other way still leaves a mean cosine of 0.14 plus whatever
    the shared part adds). Two change images agree when their cosine reaches
    ``max(agreement_cosine, cross_dimension_cosine)``, the second being how alike *different*
    dimensions' changes of the same input are (95th percentile of their absolute cosines): a
    dimension is consistent only when its inputs agree more than unrelated dimensions do. An
    input the dimension barely changes (below ``inactive_fraction`` of the dimension's
    90th-percentile change) agrees with none, so an effect switched off for some inputs counts.

    The defaults come from ``benchmarks/calibrate_traversal.py`` (synthetic decoders with a
    known answer, 100 inputs, absolute values -3 to 3): ``agreement_cosine`` is the 5th
    percentile of the pair cosines of the disentangled control dimensions, rounded down to
    0.05; ``consistency_threshold`` is the lowest consistency of a control dimension over all
    seeds, less 0.05, rounded down to 0.05. Over 5 seeds they flag every one of six entangled
    kinds, with balanced and 69/31 groups, and no control dimension (table in
    ``docs/analyses/disentanglement.md``).

    One dimension is decoded at a time; kept are each dimension's ``n_inputs x n_inputs``
    cosines and, for the null, the unit change vectors of 16 evenly spaced inputs in float32
    (``n_dims x 16 x (n_values - 1) x pixels``).

    Parameters
    ----------
    model : latentatlas.models.Autoencoder
    xs : array-like of shape (n_inputs, *input_shape)
        At least 2 inputs (consistency compares pairs); inputs from every class or cluster, or
        a dimension that acts differently on an absent class cannot be seen.
    values, dims, mode, code_std, batch_size
        As in :func:`traverse`; ``values`` needs at least 2 distinct steps.
    inactive_fraction : float
        A dimension is inactive when its mean effect is below this fraction of the largest; an
        input is silent for a dimension when its change is below this fraction of the
        dimension's 90th-percentile change.
    consistency_threshold : float
        Smallest share of agreeing input pairs of a consistent dimension.
    min_effect : float
        Mean effects below this (pixel units per unit step) are inactive whatever the others.
    agreement_cosine : float
        Smallest cosine similarity at which two change images agree (raised to the
        cross-dimension null when that is higher).

    Returns
    -------
    TraversalEffectsResult

    References
    ----------
    Higgins, I. et al. (2017). beta-VAE: Learning basic visual concepts with a constrained
    variational framework. ICLR (latent traversals, one dimension swept with the rest fixed).
    """
    from latentatlas.models import encode_array

    inputs = _check_inputs(model, xs, minimum=2)
    _check_thresholds(inactive_fraction, consistency_threshold, min_effect, agreement_cosine)
    codes = encode_array(model, inputs, batch_size=batch_size).astype(np.float64)
    dims_used, steps = _check_dims(dims, model.latent_dim), _check_values(values, minimum=2)
    scale = _scale(mode, codes, dims_used, code_std)
    sweeps = [
        _sweep_effects(
            _decode_sweep(model, codes, dim, steps, mode, s, batch_size),
            steps * s,
            inactive_fraction,
            by_endpoint=mode == "relative",
        )
        for dim, s in zip(dims_used, scale, strict=True)
    ]
    effect = np.stack([sweep.effect for sweep in sweeps], axis=1)
    mean_change = np.stack([sweep.mean_change for sweep in sweeps])
    silent = np.array([sweep.silent_share for sweep in sweeps])
    mean_effect = effect.mean(axis=0)
    active = _active(mean_effect, inactive_fraction, min_effect)
    null = _cross_dimension_cosine([sweep.null_units for sweep in sweeps], active)
    consistency, mean_cosine = _agreement(
        [sweep.gram for sweep in sweeps], max(agreement_cosine, null)
    )
    classes = tuple(
        "inactive" if not on else "consistent" if c >= consistency_threshold else "entangled"
        for on, c in zip(active, consistency, strict=True)
    )
    return TraversalEffectsResult(
        effect=effect,
        mean_effect=mean_effect,
        consistency=consistency,
        mean_change=mean_change,
        classification=classes,
        consistent_dims=classes.count("consistent"),
        dims=dims_used,
        values=steps,
        mode=mode,
        inactive_fraction=float(inactive_fraction),
        consistency_threshold=float(consistency_threshold),
        min_effect=float(min_effect),
        mean_cosine=mean_cosine,
        silent_share=silent,
        agreement_cosine=float(agreement_cosine),
        cross_dimension_cosine=null,
    )


class _Sweep(NamedTuple):
    """What one dimension's sweep leaves once its images are gone."""

    effect: NDArray[np.float64]  # (n_inputs,) mean absolute change per unit step
    gram: NDArray[np.float64]  # (n_inputs, n_inputs) cosines of the change images
    null_units: NDArray[np.float32]  # (<= NULL_INPUTS, length) unit changes of evenly spaced inputs
    silent_share: float
    mean_change: NDArray[np.float64]  # (*input_shape) mean signed change per unit step


def _sweep_effects(
    images: NDArray[np.float32],
    steps: NDArray[np.float64],
    inactive_fraction: float,
    by_endpoint: bool = False,
) -> _Sweep:
    """Per-input effect, change-image cosines and mean change image of one dimension's sweep.

    ``images`` has shape (n_inputs, n_values, *input_shape); ``steps`` are the latent values
    actually stepped through (in ``"relative"`` mode the offsets, which have the same spacing).
    Inputs whose change is below ``inactive_fraction`` of the 90th-percentile change get a zero
    unit vector (silent: they agree with no other input). The change is the step differences
    concatenated, or with ``by_endpoint`` (relative steps) ``x_last - x_first``: relative steps
    start from each input's own value, so a dimension's own nonlinearity would shift the
    differences along the sweep from input to input.
    """
    flat = images.reshape(len(images), len(steps), -1).astype(np.float64)
    differences = np.diff(flat, axis=1)  # (n, n_values - 1, pixels)
    step_sizes = np.abs(np.diff(steps))
    moving = step_sizes > 0  # repeated values make no step
    per_step = np.abs(differences[:, moving]).mean(axis=2) / step_sizes[moving]
    unit = _unit_changes(flat, differences, inactive_fraction, by_endpoint)
    rows = np.linspace(0, len(flat) - 1, min(len(flat), NULL_INPUTS)).round().astype(np.int64)
    span = steps[-1] - steps[0]
    endpoint = (flat[:, -1] - flat[:, 0]) / span if span != 0 else np.zeros_like(flat[:, 0])
    return _Sweep(
        effect=per_step.mean(axis=1),
        gram=(unit @ unit.T).astype(np.float64),
        null_units=unit[np.unique(rows)],
        silent_share=float(np.mean(~unit.any(axis=1))),
        mean_change=endpoint.mean(axis=0).reshape(images.shape[2:]),
    )


def _unit_changes(
    flat: NDArray[np.float64],
    differences: NDArray[np.float64],
    inactive_fraction: float,
    by_endpoint: bool,
) -> NDArray[np.float32]:
    """Unit change vectors (n_inputs, length) in float32; zero for silent inputs."""
    change = flat[:, -1] - flat[:, 0] if by_endpoint else differences.reshape(len(flat), -1)
    norms = np.linalg.norm(change, axis=1)
    loud = (norms > 0) & (norms >= inactive_fraction * np.percentile(norms, 90))
    unit = np.zeros(change.shape, dtype=np.float32)
    unit[loud] = change[loud] / norms[loud, None]
    return unit


def _active(
    mean_effect: NDArray[np.float64], inactive_fraction: float, min_effect: float
) -> NDArray[np.bool_]:
    strongest = float(mean_effect.max()) if mean_effect.size else 0.0
    return (mean_effect >= min_effect) & (mean_effect >= inactive_fraction * strongest)


def _cross_dimension_cosine(units: list[NDArray[np.float32]], active: NDArray[np.bool_]) -> float:
    """95th percentile of |cosine| between different active dimensions' changes of one input.

    ``units[k]`` holds dimension ``k``'s unit change vectors of the same (up to
    ``NULL_INPUTS``) inputs.
    """
    chosen = [u for u, on in zip(units, active, strict=True) if on]
    if len(chosen) < 2:
        return 0.0
    stacked = np.stack(chosen, axis=1)  # (n_inputs, n_active, length)
    gram = np.abs(np.matmul(stacked, stacked.transpose(0, 2, 1)))  # batched BLAS, not einsum
    upper = np.triu_indices(len(chosen), k=1)
    loud = stacked.any(axis=2)
    both = loud[:, upper[0]] & loud[:, upper[1]]  # a silent input says nothing about the null
    pairs = gram[:, upper[0], upper[1]][both]
    return float(np.percentile(pairs, 95)) if pairs.size else 0.0


def _agreement(
    grams: list[NDArray[np.float64]], threshold: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per dimension: share of input pairs with cosine >= ``threshold``, and the mean cosine.

    ``grams[k]`` holds the cosines of dimension ``k``'s change images of every pair of inputs.
    """
    shares, means = np.zeros(len(grams)), np.zeros(len(grams))
    for k, gram in enumerate(grams):
        off = ~np.eye(len(gram), dtype=bool)
        shares[k] = np.mean(gram[off] >= threshold - 1e-6)  # float32 noise at cosine 1
        means[k] = gram[off].mean()
    return shares, means


def effect_agreement(
    effects_a: TraversalEffectsResult, effects_b: TraversalEffectsResult, by: str = "profile"
) -> EffectAgreementResult:
    """Match the dimensions of two models (e.g. two seeds) by what they do, without factors.

    Builds a similarity matrix between the dimensions of ``a`` and of ``b`` and finds the
    one-to-one matching with the largest total similarity (Hungarian algorithm,
    :func:`scipy.optimize.linear_sum_assignment`); the score is the mean matched similarity.

    ``by="profile"``: Pearson correlation of the per-input effect columns (which inputs a
    dimension changes strongly); both results must come from the same inputs in the same order.
    ``by="change"``: absolute cosine similarity of the mean change images (what the
    dimension does to the picture on average; absolute because a dimension's sign is arbitrary).

    A high score says both models have dimensions with matching effects; it does not say that
    those effects are the true factors, nor that the codes agree (two models can move the same
    pixels for different reasons), and with one dimension per model it is trivially the one pair.
    A dimension with constant effect has correlation 0 with every other.

    Parameters
    ----------
    effects_a, effects_b : TraversalEffectsResult
    by : {"profile", "change"}

    Returns
    -------
    EffectAgreementResult
    """
    if by == "profile":
        if effects_a.effect.shape[0] != effects_b.effect.shape[0]:
            raise InputError(
                f"effects_a has {effects_a.effect.shape[0]} inputs but effects_b has "
                f"{effects_b.effect.shape[0]}; profiles need the same inputs"
            )
        similarity = _column_correlation(effects_a.effect, effects_b.effect)
    elif by == "change":
        if effects_a.mean_change.shape[1:] != effects_b.mean_change.shape[1:]:
            raise InputError("effects_a and effects_b decode images of different shapes")
        similarity = np.abs(_row_cosine(effects_a.mean_change, effects_b.mean_change))
    else:
        raise InputError(f"by must be 'profile' or 'change', got {by!r}")
    rows, cols = linear_sum_assignment(similarity, maximize=True)
    matched = similarity[rows, cols]
    return EffectAgreementResult(
        similarity=similarity,
        pairs=tuple((int(r), int(c)) for r, c in zip(rows, cols, strict=True)),
        matched_similarity=matched,
        score=float(matched.mean()),
        by=by,
    )


def _column_correlation(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Pearson correlation of every column of ``a`` with every column of ``b`` (0 if constant)."""
    za, zb = a - a.mean(axis=0), b - b.mean(axis=0)
    na, nb = np.linalg.norm(za, axis=0), np.linalg.norm(zb, axis=0)
    denominator = np.outer(na, nb)
    return np.divide(za.T @ zb, denominator, out=np.zeros_like(denominator), where=denominator > 0)


def _row_cosine(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    fa, fb = a.reshape(len(a), -1), b.reshape(len(b), -1)
    denominator = np.outer(np.linalg.norm(fa, axis=1), np.linalg.norm(fb, axis=1))
    return np.divide(fa @ fb.T, denominator, out=np.zeros_like(denominator), where=denominator > 0)


# -- input checks ---------------------------------------------------------------------------------
def _check_inputs(model: Any, x: ArrayLike, minimum: int = 1) -> NDArray[np.float32]:
    if not hasattr(model, "latent_dim") or not hasattr(model, "input_shape"):
        raise InputError(f"model must be a latentatlas Autoencoder, got {type(model).__name__}")
    inputs = np.asarray(x)
    expected = tuple(model.input_shape)
    if inputs.dtype.kind not in "fiub" or inputs.shape[1:] != expected:
        raise InputError(
            f"x has shape {inputs.shape} and dtype {inputs.dtype}; expected numeric "
            f"(n, {', '.join(map(str, expected))}) for this model"
        )
    if len(inputs) < minimum:
        raise InputError(f"x needs at least {minimum} inputs, got {len(inputs)}")
    if not np.isfinite(inputs).all():
        raise InputError("x has a NaN or infinite value")
    return inputs.astype(np.float32, copy=False)


def _check_dims(dims: ArrayLike | None, latent_dim: int) -> tuple[int, ...]:
    if dims is None:
        return tuple(range(latent_dim))
    chosen = np.atleast_1d(np.asarray(dims))
    if chosen.size == 0 or chosen.dtype.kind not in "iu":
        raise InputError(f"dims must be a non-empty list of integers, got {dims!r}")
    bad = chosen[(chosen < 0) | (chosen >= latent_dim)]
    if bad.size:
        raise InputError(f"dims has {int(bad[0])}, outside 0..{latent_dim - 1} of this model")
    return tuple(int(d) for d in chosen)


def _check_values(values: ArrayLike | None, minimum: int = 1) -> NDArray[np.float64]:
    if values is None:
        return DEFAULT_VALUES.copy()
    steps = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if steps.ndim != 1 or len(steps) < minimum or not np.isfinite(steps).all():
        raise InputError(f"values must be at least {minimum} finite numbers, got {values!r}")
    if minimum >= 2 and np.all(steps == steps[0]):
        raise InputError("values must hold at least 2 different steps to measure a change")
    return steps


def _scale(
    mode: str, codes: NDArray[np.float64], dims: tuple[int, ...], code_std: ArrayLike | None
) -> NDArray[np.float64]:
    if mode not in MODES:
        raise InputError(f"mode {mode!r} is not known; choose one of {', '.join(MODES)}")
    if mode != "std":
        return np.ones(len(dims))
    if code_std is None:
        if len(codes) < 2:
            raise InputError("mode 'std' needs code_std or at least 2 inputs to estimate it")
        std = codes.std(axis=0, ddof=1)
    else:
        std = np.asarray(code_std, dtype=np.float64)
        if std.shape != (codes.shape[1],) or not np.isfinite(std).all() or np.any(std < 0):
            raise InputError(
                f"code_std must be {codes.shape[1]} finite non-negative numbers (one per latent "
                f"dimension), got shape {std.shape}"
            )
    return std[list(dims)].astype(np.float64)


def _check_thresholds(
    inactive_fraction: float, consistency_threshold: float, min_effect: float, agreement: float
) -> None:
    for name, value, low, high in (
        ("inactive_fraction", inactive_fraction, 0.0, 1.0),
        ("consistency_threshold", consistency_threshold, 0.0, 1.0),
        ("min_effect", min_effect, 0.0, np.inf),
        ("agreement_cosine", agreement, -1.0, 1.0),
    ):
        number = isinstance(value, int | float | np.floating) and not isinstance(value, bool)
        if not number or not low <= value <= high:
            raise InputError(f"{name} must be a number in [{low}, {high}], got {value!r}")


def traversal_seeds(effects: Sequence[TraversalEffectsResult]) -> TraversalSeedsResult:
    """Counts, consistency and cross-seed agreement of several seeds' traversal effects.

    Parameters
    ----------
    effects : sequence of TraversalEffectsResult
        One per seed, in seed order, all from the same inputs and thresholds (the first
        seed's thresholds are kept).

    Returns
    -------
    TraversalSeedsResult
    """
    if not effects:
        raise InputError("effects is empty; give one traversal_effects result per seed")
    first = effects[0]
    return TraversalSeedsResult(
        **{
            f"{kind}_dims": tuple(e.classification.count(kind) for e in effects)
            for kind in ("consistent", "entangled", "inactive")
        },
        mean_consistency=tuple(_mean_consistency(e) for e in effects),
        classification=tuple(tuple(e.classification) for e in effects),
        consistency=tuple(e.consistency for e in effects),
        mean_effect=tuple(e.mean_effect for e in effects),
        seed_agreement=tuple(
            effect_agreement(a, b, by="profile").score
            for a, b in itertools.combinations(effects, 2)
        ),
        n_inputs=int(first.effect.shape[0]),
        mode=first.mode,
        inactive_fraction=first.inactive_fraction,
        consistency_threshold=first.consistency_threshold,
        min_effect=first.min_effect,
        agreement_cosine=float(first.agreement_cosine),
        cross_dimension_cosine=tuple(float(e.cross_dimension_cosine) for e in effects),
        mean_cosine=tuple(e.mean_cosine for e in effects if e.mean_cosine is not None),
        silent_share=tuple(e.silent_share for e in effects if e.silent_share is not None),
    )


def _mean_consistency(effects: TraversalEffectsResult) -> float:
    """The mean share of agreeing pairs of inputs over the active dimensions (nan: none is)."""
    active = np.asarray(effects.classification) != "inactive"
    return float(effects.consistency[active].mean()) if active.any() else float("nan")
