"""The learned-model gate: did a model learn anything, before any verdict is drawn from it?

A claim about a latent space is only worth judging on a model that learned: one that
reconstructs better than the mean training image, whose codes spread over more than one
direction, whose VAE units are not all collapsed onto the prior, and from whose codes the
generating factors can be read. :func:`learned_model_gate` measures all four from arrays and
returns :class:`LearnedGate` with ``passed`` and, when it failed, a one-sentence ``reason``.
:func:`gate_of_model` and :func:`gate_of_run` compute those arrays from a loaded model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentatlas.analysis._checks import check_codes, check_vector, flatten_images
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

if TYPE_CHECKING:  # torch-backed objects, imported only by gate_of_model / gate_of_run
    from latentatlas.data.base import Dataset
    from latentatlas.models.base import Autoencoder
    from latentatlas.runs import Run

#: The reconstruction's mean squared error must be below this fraction of the error left by the
#: mean training image (``MSE(x, x_hat) / MSE(x, mean image) < 0.95``). The mean image is what a
#: decoder that ignores its code puts out (the best constant under squared error), so a ratio
#: near 1 means the code told the decoder nothing; a flat grey square scores 1.02-2.1 on the
#: built-in data sets. The bar is low on purpose: PCA with a single component already reaches
#: 0.90 (MNIST), 0.87 (sprites), 0.78 (RGB sprites), 0.47 (heatmaps), so any model that learned
#: one direction of the data passes; stricter ratios (0.8) would fail PCA with 2 components on
#: the ten MNIST digits (0.83), a model that certainly learned something.
MAX_MEAN_IMAGE_RATIO = 0.95

#: With more than one latent dimension, the first principal axis of the codes must carry less
#: than this share of their variance. Above it the codes lie on one line (the collapsed conv
#: autoencoder measured 0.997): every study of a d-dimensional latent geometry is then the study
#: of a line. PCA's own 2-d codes put 0.57 (ten MNIST digits) or 0.67 (digits 1, 2) of their
#: variance on the first axis. For a VAE whose active units (posterior means or KL) number two
#: or more, the active-unit count is the collapse test instead: its posterior means can line up
#: while two units carry information (a 10-epoch VAE on MNIST digits 1 and 2 with a 2-d latent:
#: PC1 0.993, both units active with KL 1.05 and 0.69 nats, error ratio 0.916).
MAX_PC1_SHARE = 0.99

#: A code coordinate is *active* when its variance exceeds this share of the codes' total
#: variance (or half an even share, ``0.5 / d``, when ``d > 50`` makes 1% unreachable for all).
#: The gate needs at least one; none means every input gets (nearly) the same code.
ACTIVE_DIMENSION_SHARE = 0.01

#: A VAE unit is active when the variance over inputs of its posterior mean,
#: ``Cov_x(E_q[z_u | x])``, exceeds 0.01 (Burda et al. 2016, section 5.2); an inactive unit
#: encodes nothing and decodes from the prior. The gate needs at least one active unit.
ACTIVE_UNIT_VARIANCE = 0.01

#: A VAE unit's mean KL divergence from the prior (nats) above which it counts as carrying
#: information; a unit collapsed onto the prior has KL 0 for every input.
ACTIVE_UNIT_KL = 0.01

#: When factors are given, at least one must be read from the codes with this skill on held-out
#: rows: R^2 for a continuous factor, ``(accuracy - majority) / (1 - majority)`` for a discrete
#: one (0 = no better than guessing, 1 = perfect). Random codes score about 0; the sprites VAE
#: that learned read position with 0.99, the one that did not with 0.01-0.49 (it still passes
#: here: the gate fails only codes from which *no* factor can be read).
MIN_READOUT_SKILL = 0.1

#: Neighbours of the k-NN regressor and classifier that read the factors from the codes.
READOUT_NEIGHBOURS = 10

#: Share of rows held out to score the readout, and the most rows it uses (a seeded subsample).
READOUT_TEST_FRACTION = 0.25
READOUT_MAX_ROWS = 20_000


@dataclass(frozen=True, eq=False)
class FactorReadout(ResultMixin):
    """How well one generating factor is read from the codes on held-out rows.

    Attributes
    ----------
    name : str
    kind : {"continuous", "discrete"}
    score : float
        Held-out R^2 (continuous) or accuracy (discrete) of a k-NN model on the codes.
    baseline : float
        What guessing scores: 0 for R^2, the majority class's share for accuracy.
    skill : float
        ``score`` for a continuous factor; ``(score - baseline) / (1 - baseline)`` for a
        discrete one. NaN when the held-out factor is constant.
    """

    name: str
    kind: str
    score: float
    baseline: float
    skill: float


@dataclass(frozen=True, eq=False)
class LearnedGate(ResultMixin):
    """Whether a model learned enough for verdicts to be drawn from it, and the measures why.

    Attributes
    ----------
    passed : bool
        Every criterion met (see the module constants).
    reason : str or None
        The first failed criterion, one sentence; None when passed.
    failures : tuple of str
        Every failed criterion, one sentence each.
    n_samples, latent_dim : int
    reconstruction_mse : float
        Mean over rows and values of ``(x - x_hat)^2``.
    mean_image_mse : float
        The same error for the mean training image put out for every input.
    mean_image_ratio : float
        ``reconstruction_mse / mean_image_mse`` (1 - the share of pixel variance explained).
    class_mean_mse, class_mean_ratio : float
        Error of putting out the training mean of each input's class, and the reconstruction's
        error over it (below 1: the model knows more than the class). NaN without labels.
    code_variance_shares : tuple of float
        Eigenvalues of the codes' covariance over their sum, largest first.
    pc1_share : float
        ``code_variance_shares[0]``.
    active_dimensions : int
        Code coordinates whose variance exceeds the active share of the total.
    active_units : int or None
        VAE units with ``Var_x(E_q[z_u|x]) > 0.01`` (Burda et al. 2016); None unless posterior
        means were given.
    kl_per_dimension : tuple of float or None
        Mean KL divergence from the prior per latent unit (nats); None unless given.
    kl_active_units : int or None
        Units whose mean KL exceeds :data:`ACTIVE_UNIT_KL`; None unless KL was given.
    factor_readouts : tuple of FactorReadout
        One per factor; empty without factors.
    """

    passed: bool
    reason: str | None
    failures: tuple[str, ...]
    n_samples: int
    latent_dim: int
    reconstruction_mse: float
    mean_image_mse: float
    mean_image_ratio: float
    class_mean_mse: float
    class_mean_ratio: float
    code_variance_shares: tuple[float, ...]
    pc1_share: float
    active_dimensions: int
    active_units: int | None
    kl_per_dimension: tuple[float, ...] | None
    kl_active_units: int | None
    factor_readouts: tuple[FactorReadout, ...]


def learned_model_gate(
    x: ArrayLike,
    reconstructions: ArrayLike,
    codes: ArrayLike,
    train_x: Any = None,
    *,
    mean_image: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    train_labels: ArrayLike | None = None,
    factors: ArrayLike | None = None,
    factor_names: tuple[str, ...] | None = None,
    factor_kinds: tuple[str, ...] | None = None,
    posterior_means: ArrayLike | None = None,
    kl_per_dimension: ArrayLike | None = None,
    random_state: int = 0,
) -> LearnedGate:
    """Measure whether a model learned, and pass or fail it on documented criteria.

    Parameters
    ----------
    x : array-like of shape (n, ...)
        Validation inputs (never the training rows: a memorising model would pass on them).
    reconstructions : array-like of the shape of ``x``
        The model's reconstructions of ``x`` (a VAE's decoded posterior means).
    codes : array-like of shape (n, d)
        The model's codes of ``x`` (a VAE's posterior means).
    train_x : array-like of shape (m, ...), optional
        Training inputs, for the mean image (and the class means with ``train_labels``); may be a
        memory map, read in blocks. Give this or ``mean_image``.
    mean_image : array-like of the shape of one input, optional
        The mean training input, when ``train_x`` is not at hand.
    labels, train_labels : array-like of shape (n,) and (m,), optional
        Classes of the validation and training rows, for the per-class-mean baseline.
    factors : array-like of shape (n, k), optional
        Generating factors of the validation rows, read from the codes.
    factor_names, factor_kinds : tuple of str, optional
        One per factor column; kinds are ``"continuous"`` (default) or ``"discrete"``.
    posterior_means : array-like of shape (n, d), optional
        A VAE's ``E_q[z|x]`` for the active-unit count (usually equal to ``codes``).
    kl_per_dimension : array-like of shape (n, d) or (d,), optional
        A VAE's ``KL(q(z_u|x) || p(z_u))`` per row and unit, or already averaged over rows.
    random_state : int
        Seed of the readout's train/test split and subsample.

    Returns
    -------
    LearnedGate

    References
    ----------
    Burda, Y., Grosse, R. & Salakhutdinov, R. (2016). Importance Weighted Autoencoders. ICLR,
    section 5.2 (active units). Kingma, D. P. & Welling, M. (2014). Auto-Encoding Variational
    Bayes. ICLR, appendix B (the Gaussian KL).
    """
    flat = flatten_images(x, "x").astype(np.float64)
    flat_hat = _same_shape(reconstructions, x, flat)
    z = check_codes(codes, "codes").astype(np.float64)
    if len(z) != len(flat):
        raise InputError(f"codes has {len(z)} rows but x has {len(flat)}")
    if (labels is None) != (train_labels is None) or (labels is not None and train_x is None):
        raise InputError("the class-mean baseline needs labels, train_labels and train_x together")
    mean, class_means = _training_means(train_x, mean_image, train_labels, flat.shape[1])
    errors = _baselines(flat, flat_hat, mean, class_means, labels)
    shares = _variance_shares(z)
    units = _active_units(posterior_means, len(z))
    kl, kl_units = _kl(kl_per_dimension, z.shape)
    readouts = _readouts(z, factors, factor_names, factor_kinds, random_state)
    active = _active_dimensions(z)
    failures = _failures(errors[2], shares, active, units, kl_units, readouts, errors[:2])
    return LearnedGate(
        passed=not failures,
        reason=failures[0] if failures else None,
        failures=failures,
        n_samples=len(flat),
        latent_dim=z.shape[1],
        reconstruction_mse=errors[0],
        mean_image_mse=errors[1],
        mean_image_ratio=errors[2],
        class_mean_mse=errors[3],
        class_mean_ratio=errors[4],
        code_variance_shares=shares,
        pc1_share=shares[0],
        active_dimensions=active,
        active_units=units,
        kl_per_dimension=kl,
        kl_active_units=kl_units,
        factor_readouts=readouts,
    )


def _same_shape(reconstructions: ArrayLike, x: ArrayLike, flat: NDArray[Any]) -> NDArray[Any]:
    recon = np.asarray(reconstructions)
    if recon.shape != np.shape(x):
        raise InputError(f"reconstructions have shape {recon.shape} but x has {np.shape(x)}")
    return flatten_images(recon, "reconstructions").astype(np.float64)


def _training_means(
    train_x: Any, mean_image: ArrayLike | None, train_labels: ArrayLike | None, width: int
) -> tuple[NDArray[np.float64], dict[Any, NDArray[np.float64]] | None]:
    """The mean training input and, with labels, each class's mean, read in blocks of rows."""
    if (train_x is None) == (mean_image is None):
        raise InputError("give exactly one of train_x and mean_image")
    if train_x is None:
        mean = np.asarray(mean_image, dtype=np.float64).reshape(-1)
        if mean.size != width or not np.isfinite(mean).all():
            raise InputError(f"mean_image must hold {width} finite values, got {mean.size}")
        return mean, None
    m = len(train_x)
    if m == 0:
        raise InputError("train_x has no rows")
    labels = np.zeros(m, dtype=np.int64) if train_labels is None else train_labels
    values, coded = np.unique(
        check_vector(labels, m, "train_labels", "train_x"), return_inverse=True
    )
    sums = np.zeros((len(values), width))
    for start in range(0, m, 4096):  # blocks: train_x may be a memory map larger than memory
        block = flatten_images(np.asarray(train_x[start : start + 4096]), "train_x", width, "x")
        one_hot = np.eye(len(values))[coded[start : start + 4096]]
        sums += one_hot.T @ block
    means = sums / np.bincount(coded, minlength=len(values))[:, None]
    classes = None if train_labels is None else dict(zip(values.tolist(), means, strict=True))
    return sums.sum(axis=0) / m, classes


def _baselines(
    flat: NDArray[np.float64],
    flat_hat: NDArray[np.float64],
    mean: NDArray[np.float64],
    class_means: dict[Any, NDArray[np.float64]] | None,
    labels: ArrayLike | None,
) -> tuple[float, float, float, float, float]:
    """Reconstruction MSE, mean-image MSE, their ratio, class-mean MSE and the ratio to it."""
    mse = float(np.mean((flat - flat_hat) ** 2))
    mean_mse = float(np.mean((flat - mean) ** 2))
    ratio = mse / mean_mse if mean_mse > 0 else math.inf
    class_mse = class_ratio = math.nan
    if class_means is not None and labels is not None:
        validation = check_vector(labels, len(flat), "labels", "x")
        unseen = sorted(set(np.unique(validation).tolist()) - set(class_means))
        if unseen:
            raise InputError(f"labels has class {unseen[0]!r}, which train_labels never has")
        predicted = np.stack([class_means[v] for v in validation.tolist()])
        class_mse = float(np.mean((flat - predicted) ** 2))
        class_ratio = mse / class_mse if class_mse > 0 else math.inf
    return mse, mean_mse, ratio, class_mse, class_ratio


def _variance_shares(z: NDArray[np.float64]) -> tuple[float, ...]:
    """Eigenvalues of the codes' covariance, largest first, over their sum (0s if constant)."""
    eigenvalues = np.clip(np.linalg.eigvalsh(np.atleast_2d(np.cov(z, rowvar=False))), 0, None)
    total = float(eigenvalues.sum())
    ordered = eigenvalues[::-1]
    return tuple(float(v / total) if total > 0 else 0.0 for v in ordered)


def _active_dimensions(z: NDArray[np.float64]) -> int:
    """Coordinates whose variance exceeds the active share of the total (see the constant)."""
    variances = z.var(axis=0)
    total = float(variances.sum())
    scale = float(np.mean(z**2)) + 1.0
    if total <= 1e-12 * scale:  # float noise on constant codes is not activity
        return 0
    share = min(ACTIVE_DIMENSION_SHARE, 0.5 / z.shape[1])
    return int(np.sum(variances > share * total))


def _active_units(posterior_means: ArrayLike | None, n: int) -> int | None:
    """Burda et al. (2016): units whose posterior mean varies over inputs by more than 0.01."""
    if posterior_means is None:
        return None
    means = check_codes(posterior_means, "posterior_means").astype(np.float64)
    if len(means) != n:
        raise InputError(f"posterior_means has {len(means)} rows but x has {n}")
    return int(np.sum(means.var(axis=0) > ACTIVE_UNIT_VARIANCE))


def _kl(
    kl_per_dimension: ArrayLike | None, shape: tuple[int, int]
) -> tuple[tuple[float, ...] | None, int | None]:
    """Mean KL per unit and the number of units above :data:`ACTIVE_UNIT_KL`."""
    if kl_per_dimension is None:
        return None, None
    kl = np.asarray(kl_per_dimension, dtype=np.float64)
    if kl.ndim == 2 and kl.shape == shape:
        kl = kl.mean(axis=0)
    if kl.shape != (shape[1],) or not np.isfinite(kl).all():
        raise InputError(
            f"kl_per_dimension must be finite with shape {shape} or ({shape[1]},), got {kl.shape}"
        )
    return tuple(float(v) for v in kl), int(np.sum(kl > ACTIVE_UNIT_KL))


def _failures(
    ratio: float,
    shares: tuple[float, ...],
    active: int,
    units: int | None,
    kl_units: int | None,
    readouts: tuple[FactorReadout, ...],
    errors: tuple[float, float],
) -> tuple[str, ...]:
    """One sentence per failed criterion, in the order a reader should see them."""
    failures = []
    if not ratio < MAX_MEAN_IMAGE_RATIO:
        failures.append(
            f"reconstructs no better than the mean training image (error {errors[0]:.4g} "
            f"against {errors[1]:.4g}, ratio {ratio:.3f}; must be below {MAX_MEAN_IMAGE_RATIO})"
        )
    if active == 0:
        failures.append("its codes do not vary: every input gets the same code")
    elif (
        len(shares) > 1 and shares[0] >= MAX_PC1_SHARE and _units_unmeasured_or_one(units, kl_units)
    ):
        failures.append(
            f"its codes collapsed onto one direction (PC1 carries {shares[0]:.1%} of the "
            f"variance; must be below {MAX_PC1_SHARE:.0%})"
        )
    for count, what in ((units, "posterior mean varies"), (kl_units, "KL exceeds 0.01 nats")):
        if count == 0:
            failures.append(f"no VAE unit is active (none whose {what}): the posterior collapsed")
    skills = [r.skill for r in readouts if not math.isnan(r.skill)]
    if skills and max(skills) < MIN_READOUT_SKILL:
        best = max(readouts, key=lambda r: -math.inf if math.isnan(r.skill) else r.skill)
        failures.append(
            f"no factor can be read from its codes (best: {best.name} with skill "
            f"{best.skill:.2f}; must reach {MIN_READOUT_SKILL})"
        )
    return tuple(failures)


def _units_unmeasured_or_one(units: int | None, kl_units: int | None) -> bool:
    """True unless a VAE's measured active units show two or more units carrying information."""
    measured = [count for count in (units, kl_units) if count is not None]
    return not measured or max(measured) < 2


def factor_readout(
    codes: ArrayLike,
    factors: ArrayLike,
    factor_names: tuple[str, ...] | None = None,
    factor_kinds: tuple[str, ...] | None = None,
    random_state: int = 0,
) -> tuple[FactorReadout, ...]:
    """Read each factor from the codes with k-NN and score it on held-out rows.

    Each held-out row is read from its :data:`READOUT_NEIGHBOURS` nearest training rows in code
    space (Euclidean): their mean for a continuous factor, scored by R^2, and their majority
    vote for a discrete one, scored by accuracy against always guessing the majority class.
    The training rows are a seeded 75% of the rows (at most :data:`READOUT_MAX_ROWS`), the rest
    are held out. k-NN reads any smooth encoding, linear or not; one neighbour search serves
    every factor, so 5,000 x 16 codes take under a second (the same rule as scikit-learn's
    ``KNeighborsRegressor`` / ``KNeighborsClassifier`` with uniform weights, without their
    per-factor refits).

    Parameters
    ----------
    codes : array-like of shape (n, d)
    factors : array-like of shape (n, k)
    factor_names, factor_kinds : tuple of str, optional
        One per column; names default to ``factor_0``..., kinds to ``"continuous"``.
    random_state : int
        Seed of the subsample and the split.

    Returns
    -------
    tuple of FactorReadout
    """
    z = check_codes(codes, "codes").astype(np.float64)
    y = np.asarray(factors, dtype=np.float64)
    y = check_codes(y[:, None] if y.ndim == 1 else y, "factors")
    if len(y) != len(z):
        raise InputError(f"factors has {len(y)} rows but codes has {len(z)}")
    names = factor_names or tuple(f"factor_{j}" for j in range(y.shape[1]))
    kinds = factor_kinds or ("continuous",) * y.shape[1]
    if len(names) != y.shape[1] or len(kinds) != y.shape[1]:
        raise InputError(f"factor_names and factor_kinds need {y.shape[1]} entries each")
    bad = [k for k in kinds if k not in ("continuous", "discrete")]
    if bad:
        raise InputError(f"factor kind {bad[0]!r} is not 'continuous' or 'discrete'")
    if len(z) < 8:
        raise InputError(f"the factor readout needs at least 8 rows, got {len(z)}")
    train, test = _readout_split(len(z), random_state)
    neighbours = _neighbours(z[train], z[test])
    return tuple(
        _read_one(neighbours, y[train, j], y[test, j], names[j], kinds[j])
        for j in range(y.shape[1])
    )


def _readouts(
    z: NDArray[np.float64],
    factors: ArrayLike | None,
    names: tuple[str, ...] | None,
    kinds: tuple[str, ...] | None,
    random_state: int,
) -> tuple[FactorReadout, ...]:
    if factors is None:
        return ()
    return factor_readout(z, factors, names, kinds, random_state)


def _readout_split(n: int, random_state: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    order = np.random.default_rng(random_state).permutation(n)[:READOUT_MAX_ROWS]
    n_test = max(2, round(len(order) * READOUT_TEST_FRACTION))
    return order[n_test:], order[:n_test]


def _neighbours(z_train: NDArray[Any], z_test: NDArray[Any]) -> NDArray[np.int64]:
    """The :data:`READOUT_NEIGHBOURS` nearest training rows of each test row (Euclidean)."""
    k = min(READOUT_NEIGHBOURS, len(z_train))
    norms = np.sum(z_train**2, axis=1)
    found = []
    for start in range(0, len(z_test), 1024):  # bounded (1024 x n_train) distance blocks
        block = z_test[start : start + 1024]
        distances = norms[None, :] - 2.0 * block @ z_train.T
        found.append(np.argpartition(distances, k - 1, axis=1)[:, :k])
    return np.concatenate(found)


def _read_one(
    neighbours: NDArray[np.int64],
    y_train: NDArray[Any],
    y_test: NDArray[Any],
    name: str,
    kind: str,
) -> FactorReadout:
    """Score the k-NN reading of one factor; NaN skill where guessing is already perfect."""
    if kind == "discrete":
        values, coded = np.unique(y_train, return_inverse=True)
        votes = np.zeros((len(neighbours), len(values)))
        np.add.at(votes, (np.arange(len(neighbours))[:, None], coded[neighbours]), 1.0)
        score = float(np.mean(values[votes.argmax(axis=1)] == y_test))
        baseline = float(np.mean(y_test == values[np.bincount(coded).argmax()]))
        skill = (score - baseline) / (1 - baseline) if baseline < 1 else math.nan
        return FactorReadout(name, kind, score, baseline, float(skill))
    spread = float(np.sum((y_test - y_test.mean()) ** 2))
    predicted = y_train[neighbours].mean(axis=1)
    score = 1.0 - float(np.sum((y_test - predicted) ** 2)) / spread if spread > 0 else math.nan
    return FactorReadout(name, kind, score, 0.0, score)


def gate_of_model(
    model: Autoencoder,
    x: Any,
    train_x: Any,
    *,
    labels: ArrayLike | None = None,
    train_labels: ArrayLike | None = None,
    factors: ArrayLike | None = None,
    factor_names: tuple[str, ...] | None = None,
    factor_kinds: tuple[str, ...] | None = None,
    random_state: int = 0,
    batch_size: int = 1024,
) -> LearnedGate:
    """Run :func:`learned_model_gate` on a loaded model: reconstruct, encode, and for VAEs the KL.

    Parameters
    ----------
    model : Autoencoder
        Any registry model (PCA included), used in evaluation mode.
    x : array-like of shape (n, *input_shape)
        Validation inputs.
    train_x : array-like of shape (m, *input_shape)
        Training inputs (for the mean image and class means), read in blocks.
    labels, train_labels, factors, factor_names, factor_kinds, random_state
        As in :func:`learned_model_gate`.
    batch_size : int
        Inputs sent through the model at once.

    Returns
    -------
    LearnedGate
    """
    from latentatlas.models import encode_array, reconstruct_array

    images = np.asarray(x, dtype=np.float32)
    if images.shape[1:] != tuple(model.input_shape):
        raise InputError(
            f"x has inputs of shape {images.shape[1:]} but the model expects {model.input_shape}"
        )
    codes = encode_array(model, images, batch_size)
    kl = _gaussian_kl(model, images, batch_size) if model.variational else None
    return learned_model_gate(
        images,
        reconstruct_array(model, images, batch_size),
        codes,
        train_x,
        labels=labels,
        train_labels=train_labels,
        factors=factors,
        factor_names=factor_names,
        factor_kinds=factor_kinds,
        posterior_means=codes if model.variational else None,
        kl_per_dimension=kl,
        random_state=random_state,
    )


def _gaussian_kl(model: Autoencoder, x: NDArray[np.float32], batch_size: int) -> NDArray[Any]:
    """Per-row, per-unit ``KL(N(mu, sigma^2) || N(0, 1)) = (mu^2 + sigma^2 - 1 - log sigma^2)/2``.

    Kingma & Welling (2014), appendix B, before the sum over units.
    """
    import torch

    was_training = model.training
    model.eval()
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    parts = []
    try:
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                batch = torch.from_numpy(x[start : start + batch_size]).to(device)
                mu, logvar = model.encode_distribution(batch)
                parts.append((0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).cpu().numpy())
    finally:
        model.train(was_training)
    return np.concatenate(parts).astype(np.float64)


def gate_of_run(
    run: Run, dataset: Dataset, max_samples: int | None = 5000, random_state: int = 0
) -> LearnedGate:
    """The gate of a loaded run on its own validation split of ``dataset``.

    Parameters
    ----------
    run : Run
        From ``latentatlas.runs.load``; its config gives the split.
    dataset : Dataset
        The run's data set, loaded with the run's data options.
    max_samples : int or None
        At most this many validation rows, a :func:`~latentatlas.analysis.sampling.
        stratified_sample` by label and factors (None: all of them).
    random_state : int
        Seed of the subsample and of the readout.

    Returns
    -------
    LearnedGate
    """
    from latentatlas.analysis.sampling import stratified_sample
    from latentatlas.runs import split_indices

    train_idx, val_idx = split_indices(run.config, dataset)
    labels = None if dataset.labels is None else np.asarray(dataset.labels)
    factors = None if dataset.factors is None else np.asarray(dataset.factors)
    if max_samples is not None and max_samples < len(val_idx):
        picked = stratified_sample(
            max_samples,
            labels=None if labels is None else labels[val_idx],
            factors=None if factors is None else factors[val_idx],
            random_state=random_state,
            factor_kinds=tuple(dataset.factor_kinds) or None,
            n_rows=len(val_idx),
        )
        val_idx = np.sort(val_idx[picked])
    return gate_of_model(
        run.model,
        np.asarray(dataset.x[val_idx], dtype=np.float32),
        _Rows(dataset.x, train_idx),
        labels=None if labels is None else labels[val_idx],
        train_labels=None if labels is None else labels[train_idx],
        factors=None if factors is None else factors[val_idx],
        factor_names=tuple(dataset.factor_names) or None,
        factor_kinds=tuple(dataset.factor_kinds) or None,
        random_state=random_state,
    )


class _Rows:
    """Rows ``indices`` of a (possibly memory-mapped) array, read block by block when sliced."""

    def __init__(self, x: Any, indices: NDArray[np.int64]):
        self.x, self.indices = x, np.sort(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, key: slice) -> NDArray[np.float32]:
        return np.asarray(self.x[self.indices[key]], dtype=np.float32)
