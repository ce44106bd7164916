"""Disentanglement scores against ground-truth factors: DCI, MIG and SAP as disentanglement_lib.

Every function here follows the definition in google-research/disentanglement_lib (Locatello et
al., 2019), with two documented extensions: continuous factors are discretised into histogram bins
where a metric needs classes, and ``dci`` has a fast default estimator. The formulas, and what each
score does and does not show, are in ``docs/analyses/disentanglement.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.stats
import sklearn
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import mutual_info_score

from latentatlas.analysis._checks import check_codes, check_positive_int, check_vector
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin

FactorKind = Literal["discrete", "continuous"]
ESTIMATORS: tuple[str, ...] = (
    "hist-gradient-boosting",
    "gradient-boosting",
    "random-forest",
    "lasso",
)
_EPS = 1e-11  # disentanglement_lib adds this before the entropies so that 0 log 0 is 0


@dataclass(frozen=True, eq=False)
class DCIResult(ResultMixin):
    """Disentanglement, completeness and informativeness (Eastwood & Williams, 2018).

    Attributes
    ----------
    disentanglement : float
        Weighted mean over codes of ``1 - H(row of R, base = n_factors)``, in [0, 1].
    completeness : float
        Weighted mean over factors of ``1 - H(column of R, base = n_codes)``, in [0, 1].
    informativeness : float
        Mean over factors of the held-out classification ACCURACY (higher is better).
        disentanglement_lib stores this value as ``informativeness_test`` and calls the list it
        averages ``test_loss``, but computes accuracy; so do we.
    informativeness_train : float
        The same on the training split.
    importance : ndarray of shape (n_codes, n_factors)
        Importance matrix ``R``: column ``j`` holds the importance of every code for predicting
        factor ``j`` and sums to 1 (0 for a factor with a single class).
    disentanglement_per_code : ndarray of shape (n_codes,)
    code_weights : ndarray of shape (n_codes,)
        Each code's share of the total importance (the weights of ``disentanglement``).
    completeness_per_factor : ndarray of shape (n_factors,)
    factor_weights : ndarray of shape (n_factors,)
        Each factor's share of the total importance (the weights of ``completeness``).
    train_accuracy, test_accuracy : ndarray of shape (n_factors,)
        Accuracy of each factor's classifier on the training and held-out splits.
    n_classes : tuple of int
        Number of classes of each (discretised) factor.
    factor_kinds : tuple of str
        ``"discrete"`` or ``"continuous"`` per factor, as used.
    estimator : str
        The estimator used (one of ``ESTIMATORS``).
    n_train, n_test : int
        Sizes of the two splits.
    """

    disentanglement: float
    completeness: float
    informativeness: float
    informativeness_train: float
    importance: NDArray[np.float64]
    disentanglement_per_code: NDArray[np.float64]
    code_weights: NDArray[np.float64]
    completeness_per_factor: NDArray[np.float64]
    factor_weights: NDArray[np.float64]
    train_accuracy: NDArray[np.float64]
    test_accuracy: NDArray[np.float64]
    n_classes: tuple[int, ...]
    factor_kinds: tuple[str, ...]
    estimator: str
    n_train: int
    n_test: int


@dataclass(frozen=True, eq=False)
class SingleFactorDCIResult(ResultMixin):
    """The source's one-classifier shortcut of DCI for a single label (not Eastwood & Williams).

    Attributes
    ----------
    disentanglement : float
        ``sum_i p_i^2`` of the normalised importances ``p`` (1 when one code carries all).
    completeness : float
        ``max_i p_i``.
    informativeness : float
        Held-out accuracy of the classifier.
    train_accuracy : float
        Accuracy on the training split.
    importance : ndarray of shape (n_codes,)
        The normalised importances ``p`` (sum 1, or all 0 when the classifier used no code).
    estimator : str
    n_train, n_test : int
    """

    disentanglement: float
    completeness: float
    informativeness: float
    train_accuracy: float
    importance: NDArray[np.float64]
    estimator: str
    n_train: int
    n_test: int

    @property
    def effective_codes(self) -> float:
        """``1 / D``, the number of codes the label's importance is effectively spread over (the
        inverse Simpson index); nan when no code carries it."""
        return 1.0 / self.disentanglement if self.disentanglement > 0 else float("nan")


@dataclass(frozen=True, eq=False)
class MIGResult(ResultMixin):
    """Mutual information gap (Chen et al., 2018) as disentanglement_lib computes it.

    Attributes
    ----------
    mig : float
        Mean over factors of ``gap_per_factor``.
    gap_per_factor : ndarray of shape (n_factors,)
        ``(I_top1 - I_top2) / H(factor)``, in [0, 1]; NaN for a constant factor.
    mutual_information : ndarray of shape (n_codes, n_factors)
        Discrete mutual information (nats) between each binned code and each factor.
    factor_entropy : ndarray of shape (n_factors,)
        Entropy (nats) of each (discretised) factor.
    n_bins : int
    factor_kinds : tuple of str
    """

    mig: float
    gap_per_factor: NDArray[np.float64]
    mutual_information: NDArray[np.float64]
    factor_entropy: NDArray[np.float64]
    n_bins: int
    factor_kinds: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class SAPResult(ResultMixin):
    """Separated attribute predictability (Kumar et al., 2018) as disentanglement_lib computes it.

    Attributes
    ----------
    sap : float
        Mean over factors of ``gap_per_factor``.
    gap_per_factor : ndarray of shape (n_factors,)
        Difference between the best and second-best code's score for each factor.
    scores : ndarray of shape (n_codes, n_factors)
        Held-out accuracy of a one-code linear SVM (discrete factors) or the R^2 of a one-code
        linear regression (continuous factors).
    factor_kinds : tuple of str
    n_train, n_test : int
    """

    sap: float
    gap_per_factor: NDArray[np.float64]
    scores: NDArray[np.float64]
    factor_kinds: tuple[str, ...]
    n_train: int
    n_test: int


# -- DCI ------------------------------------------------------------------------------------------
def dci(
    codes: ArrayLike,
    factors: ArrayLike,
    *,
    factor_kinds: tuple[str, ...] | list[str] | None = None,
    estimator: str = "hist-gradient-boosting",
    n_train: int = 10_000,
    n_test: int = 5_000,
    n_bins: int = 20,
    random_state: int = 0,
) -> DCIResult:
    """Disentanglement, completeness and informativeness of codes against ground-truth factors.

    The rows are shuffled with ``random_state``; the first ``n_train`` train one classifier per
    factor (continuous factors first cut into ``n_bins`` equal-width histogram bins, as
    disentanglement_lib's ``_histogram_discretize``), the next ``n_test`` measure accuracy.
    Column ``j`` of the importance matrix ``R`` holds the absolute importances of the codes for
    factor ``j``, normalised to sum 1 (as ``feature_importances_`` is). Then, following
    disentanglement_lib's ``dci.py``::

        D_i = 1 - H_K(R_i. / sum R_i.)     (entropy over the K factors, base K)
        D   = sum_i rho_i D_i,  rho_i = sum_j R_ij / sum R
        C_j = 1 - H_L(R_.j / sum R_.j)     (entropy over the L codes, base L)
        C   = sum_j w_j C_j,    w_j = sum_i R_ij / sum R
        I   = mean_j accuracy_j(test)

    ``I`` is the mean held-out ACCURACY: disentanglement_lib names the list it averages
    ``test_loss`` (and the paper defines informativeness as a prediction error), but the code
    computes ``mean(predict == y)``, i.e. accuracy. Higher is better.

    Parameters
    ----------
    codes : array-like of shape (n, n_codes)
        Latent codes.
    factors : array-like of shape (n, n_factors) or (n,)
        Ground-truth factors of the same rows.
    factor_kinds : sequence of {"discrete", "continuous"}, optional
        Kind of each factor. Discrete factors are used as class labels unchanged; continuous
        ones are binned. By default a factor is discrete when all its values are whole numbers.
    estimator : {"hist-gradient-boosting", "gradient-boosting", "random-forest", "lasso"}
        ``"gradient-boosting"`` is disentanglement_lib's ``GradientBoostingClassifier()`` with
        its impurity importances. ``"hist-gradient-boosting"`` (default; 7-12x less CPU at
        10,000 rows in our measurement) boosts the same depth-3 trees with
        ``HistGradientBoostingClassifier`` and measures importance as
        ``GradientBoostingClassifier`` does: the decrease in squared error of the boosting
        residuals at each split, summed over trees (see ``_residual_importance``); codes that
        order the rows alike share their importance (see ``_share_among_equivalent_codes``);
        it runs on one OpenMP thread.
        ``"random-forest"``: ``RandomForestClassifier`` (100 trees, depth 8, every code a
        candidate at every split) impurity importances.
        All four pass disentanglement_lib's own DCI tests (docs/analyses/disentanglement.md).
        ``"lasso"``: L1-penalised logistic regression on standardised codes, importance the
        summed absolute coefficients (the classification analogue of the paper's lasso).
    n_train, n_test : int
        Rows used to train and to test; ``n`` must be at least their sum.
    n_bins : int
        Histogram bins for continuous factors.
    random_state : int
        Seed of the shuffle and of the estimators.

    Returns
    -------
    DCIResult

    References
    ----------
    Eastwood, C. & Williams, C. K. I. (2018). A framework for the quantitative evaluation of
    disentangled representations. ICLR (Section 2, equations 1-3).
    Locatello, F. et al. (2019). Challenging common assumptions in the unsupervised learning of
    disentangled representations. ICML (disentanglement_lib, ``evaluation/metrics/dci.py``).
    """
    fit = _estimator(estimator)
    x, y, kinds, classes = _prepare(codes, factors, factor_kinds, n_bins)
    check_positive_int(random_state, "random_state", minimum=0)
    train, test = _split(len(x), n_train, n_test, random_state)
    importance = np.zeros((x.shape[1], y.shape[1]))
    train_accuracy, test_accuracy = np.zeros(y.shape[1]), np.zeros(y.shape[1])
    with _one_openmp_thread():
        for j in range(y.shape[1]):
            importance[:, j], predict = fit(x[train], y[train, j], random_state)
            train_accuracy[j] = np.mean(predict(x[train]) == y[train, j])
            test_accuracy[j] = np.mean(predict(x[test]) == y[test, j])
    per_code, code_weights = _weighted_entropy_scores(importance)
    per_factor, factor_weights = _weighted_entropy_scores(importance.T)
    return DCIResult(
        disentanglement=float(per_code @ code_weights),
        completeness=float(per_factor @ factor_weights),
        informativeness=float(test_accuracy.mean()),
        informativeness_train=float(train_accuracy.mean()),
        importance=importance,
        disentanglement_per_code=per_code,
        code_weights=code_weights,
        completeness_per_factor=per_factor,
        factor_weights=factor_weights,
        train_accuracy=train_accuracy,
        test_accuracy=test_accuracy,
        n_classes=classes,
        factor_kinds=kinds,
        estimator=estimator,
        n_train=n_train,
        n_test=n_test,
    )


def dci_chance(factors: ArrayLike, factor_kinds: tuple[str, ...], n_bins: int = 20) -> float:
    """DCI informativeness by guessing: the mean over factors of the majority class's share.

    Continuous factors are cut into ``n_bins`` equal-width bins first, as :func:`dci` does, so
    ``(I - chance) / (1 - chance)`` is the share of the possible gain over guessing that a
    code's classifiers achieve (0 = guessing).

    Parameters
    ----------
    factors : array-like of shape (n, n_factors)
    factor_kinds : tuple of str
        ``"discrete"`` or ``"continuous"`` per factor (:attr:`DCIResult.factor_kinds`).
    n_bins : int
        Bins of a continuous factor.
    """
    shares = []
    for column, kind in zip(np.asarray(factors, dtype=np.float64).T, factor_kinds, strict=True):
        if kind == "continuous":
            counts = np.histogram(column, n_bins)[0]
        else:
            counts = np.unique(column, return_counts=True)[1]
        shares.append(counts.max() / counts.sum())
    return float(np.mean(shares))


def dci_single_factor(
    codes: ArrayLike,
    labels: ArrayLike,
    *,
    estimator: str = "hist-gradient-boosting",
    n_train: int = 10_000,
    n_test: int = 5_000,
    random_state: int = 0,
) -> SingleFactorDCIResult:
    """The source's single-label shortcut of DCI: one classifier, three numbers.

    With normalised importances ``p = r / (sum r + 1e-8)`` of one classifier predicting
    ``labels`` from the codes: ``I`` = held-out accuracy, ``D = sum_i p_i^2`` and
    ``C = max_i p_i``. This is NOT Eastwood & Williams' DCI (which needs several factors);
    with one factor their D is 1 by definition. It is kept, under its own name, because it is
    what the source article reports for MNIST digit labels.

    Parameters
    ----------
    codes : array-like of shape (n, n_codes)
    labels : array-like of shape (n,)
        Class labels (discrete).
    estimator, n_train, n_test, random_state
        As in :func:`dci`.

    Returns
    -------
    SingleFactorDCIResult
    """
    fit = _estimator(estimator)
    x = check_codes(codes, "codes").astype(np.float64)
    y = check_vector(labels, len(x), "labels", "codes")
    check_positive_int(random_state, "random_state", minimum=0)
    train, test = _split(len(x), n_train, n_test, random_state)
    with _one_openmp_thread():
        importance, predict = fit(x[train], y[train], random_state)
        test_accuracy = float(np.mean(predict(x[test]) == y[test]))
        train_accuracy = float(np.mean(predict(x[train]) == y[train]))
    p = importance / (importance.sum() + 1e-8)  # the source's epsilon
    return SingleFactorDCIResult(
        disentanglement=float(np.sum(p**2)),
        completeness=float(np.max(p)),
        informativeness=test_accuracy,
        train_accuracy=train_accuracy,
        importance=p,
        estimator=estimator,
        n_train=n_train,
        n_test=n_test,
    )


def _weighted_entropy_scores(
    importance: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``1 - H(row, base = n_columns)`` per row and each row's share of the total.

    disentanglement_lib's ``disentanglement_per_code`` / ``completeness_per_code`` and their
    weights; an all-zero matrix gets equal weights, as there.
    """
    n_columns = importance.shape[1]
    if n_columns == 1:  # a single column: entropy base 1 is undefined; all mass is in it
        per_row = np.ones(importance.shape[0])
    else:
        per_row = 1.0 - scipy.stats.entropy(importance.T + _EPS, base=n_columns)
    total = importance.sum()
    weights = (
        importance.sum(axis=1) / total
        if total > 0
        else np.full(len(importance), 1 / len(importance))
    )
    return np.asarray(per_row, dtype=np.float64), weights


def _split(n: int, n_train: int, n_test: int, random_state: int) -> tuple[NDArray, NDArray]:
    check_positive_int(n_train, "n_train", minimum=2)
    check_positive_int(n_test, "n_test", minimum=1)
    if n_train + n_test > n:
        raise InputError(
            f"codes has {n} rows but n_train + n_test = {n_train + n_test}; pass smaller "
            "n_train and n_test"
        )
    order = np.random.default_rng(random_state).permutation(n)
    return order[:n_train], order[n_train : n_train + n_test]


def _one_openmp_thread() -> Any:
    """Context in which OpenMP code (the histogram trees) runs on one thread.

    The histogram trees synchronise their threads at every node; on a 2-core machine under load
    the extra threads only spin: one fit of 6,000 rows took 220 s wall with 2 threads and 10 s
    with 1 (``benchmarks/dci.py --threads-check``; docs/analyses/disentanglement.md).
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


def _estimator(name: str) -> Any:
    fits = {
        "hist-gradient-boosting": _fit_hist_gradient_boosting,
        "gradient-boosting": _fit_gradient_boosting,
        "random-forest": _fit_random_forest,
        "lasso": _fit_lasso,
    }
    if name not in fits:
        raise InputError(f"estimator {name!r} is not known; choose one of {', '.join(ESTIMATORS)}")
    return fits[name]


def _normalised(values: NDArray[np.float64]) -> NDArray[np.float64]:
    total = values.sum()
    return values / total if total > 0 else np.zeros_like(values)


def _fit_gradient_boosting(x: NDArray, y: NDArray, seed: int) -> tuple[NDArray, Any]:
    from sklearn.ensemble import GradientBoostingClassifier

    # disentanglement_lib uses the defaults (100 depth-3 trees, learning rate 0.1); the seed
    # only breaks ties between equally good splits.
    model = GradientBoostingClassifier(random_state=seed).fit(x, y)
    return np.abs(model.feature_importances_), model.predict


def _fit_hist_gradient_boosting(x: NDArray, y: NDArray, seed: int) -> tuple[NDArray, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier

    # Trees shaped like GradientBoostingClassifier's defaults (depth 3, leaves of any size,
    # 100 rounds at rate 0.1, no early stopping) so that both learn similar functions.
    model = HistGradientBoostingClassifier(
        max_iter=100,
        learning_rate=0.1,
        max_depth=3,
        max_leaf_nodes=None,
        min_samples_leaf=1,
        early_stopping=False,
        random_state=seed,
    ).fit(x, y)
    importance = _share_among_equivalent_codes(_residual_importance(model, x, y), x)
    return _normalised(importance), model.predict


def _share_among_equivalent_codes(importance: NDArray, x: NDArray) -> NDArray[np.float64]:
    """Each code's importance replaced by the mean over the codes that order the rows as it does.

    Two codes that sort the training rows the same way (one an increasing or decreasing
    function of the other, e.g. an exact copy) allow the same partitions, so every split on one
    is equally good on the other. ``GradientBoostingClassifier`` breaks such ties at random,
    which shares the importance between them on average; the histogram trees always take the
    first, which gave a duplicated code no importance (C = 1.00 where disentanglement_lib's
    ``test_duplicated_latent_space`` wants 0.6-0.8). Sharing equally restores the average.
    """
    groups: dict[bytes, list[int]] = {}
    for i, column in enumerate(x.T):
        rank = scipy.stats.rankdata(column, method="dense").astype(np.int64)
        key = min(rank.tobytes(), (rank.max() + 1 - rank).tobytes())  # up to the direction
        groups.setdefault(key, []).append(i)
    shared = np.asarray(importance, dtype=np.float64).copy()
    for members in groups.values():
        shared[members] = shared[members].mean()
    return shared


def _fit_random_forest(x: NDArray, y: NDArray, seed: int) -> tuple[NDArray, Any]:
    from sklearn.ensemble import RandomForestClassifier

    # Every split sees every code (max_features=None, i.e. bagged trees): with the default
    # sqrt(n_codes) candidates a split must often use a code that carries nothing, and those
    # splits' impurity decrease put D = C at 0.41 on identity codes (disentanglement_lib's
    # test wants at least 0.9).
    model = RandomForestClassifier(
        n_estimators=100, max_depth=8, max_features=None, random_state=seed
    ).fit(x, y)
    return np.abs(model.feature_importances_), model.predict


def _fit_lasso(x: NDArray, y: NDArray, seed: int) -> tuple[NDArray, Any]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # Standardised codes make coefficient sizes comparable between codes.
    l1 = {"l1_ratio": 1.0} if _sklearn_at_least(1, 8) else {"penalty": "l1"}
    classifier = LogisticRegression(C=0.1, solver="saga", max_iter=1000, random_state=seed, **l1)
    model = make_pipeline(StandardScaler(), classifier).fit(x, y)
    coefficients = np.atleast_2d(model[-1].coef_)
    return _normalised(np.abs(coefficients).sum(axis=0)), model.predict


def _sklearn_at_least(major: int, minor: int) -> bool:
    version = tuple(int(part) for part in sklearn.__version__.split(".")[:2])
    return version >= (major, minor)


def _residual_importance(model: Any, x: NDArray, y: NDArray) -> NDArray[np.float64]:
    """Impurity importance of a fitted HistGradientBoostingClassifier, as GradientBoosting's.

    ``GradientBoostingClassifier.feature_importances_`` sums, over every split of every tree,
    the decrease in squared error of the residuals the tree was fitted to
    (``y_onehot - predicted probability``). HistGradientBoosting exposes no importances, and its
    own split gains are Newton gains (residuals weighted by the Hessian), which measured 0.05 to
    0.2 away in D and C; so we replay the boosting on the training data: the residuals before
    each round (from ``staged_decision_function``), routed down each tree, give every split's
    decrease ``G_L^2 / n_L + G_R^2 / n_R - G^2 / n`` (``G`` the residual sum in a node).
    Reads the fitted trees from the private ``_predictors`` and ``_baseline_prediction``
    (present since scikit-learn 0.21).
    """
    encoded = np.searchsorted(model.classes_, y)
    raw = np.broadcast_to(model._baseline_prediction, (len(x), model._baseline_prediction.shape[1]))
    importance = np.zeros(x.shape[1])
    for staged, trees in zip(model.staged_decision_function(x), model._predictors, strict=True):
        residuals = _residuals(raw, encoded)  # one softmax per round, not one per tree
        for k, tree in enumerate(trees):
            _add_split_decreases(tree.nodes, x, residuals[:, k], importance)
        raw = np.asarray(staged).reshape(len(x), -1)
    return importance


def _residuals(raw: NDArray, encoded: NDArray) -> NDArray[np.float64]:
    """Negative gradients of the log loss, one column per tree: ``1[y = k] - p_k``."""
    if raw.shape[1] == 1:  # binary: one tree per round on the positive class
        return ((encoded == 1) - 1.0 / (1.0 + np.exp(-raw[:, 0])))[:, None]
    shifted = np.exp(raw - raw.max(axis=1, keepdims=True))
    probabilities = shifted / shifted.sum(axis=1, keepdims=True)
    return (encoded[:, None] == np.arange(raw.shape[1])) - probabilities


def _add_split_decreases(nodes: Any, x: NDArray, residual: NDArray, importance: NDArray) -> None:
    """Add each split's squared-error decrease of ``residual`` to its feature's importance."""
    is_leaf = nodes["is_leaf"].astype(bool)
    feature = nodes["feature_idx"].astype(np.int64)
    left, right = nodes["left"].astype(np.int64), nodes["right"].astype(np.int64)
    node, rows = np.zeros(len(x), dtype=np.int64), np.arange(len(x))
    while not is_leaf[node].all():  # route all rows one level down per pass
        goes_left = x[rows, feature[node]] <= nodes["num_threshold"][node]
        node = np.where(is_leaf[node], node, np.where(goes_left, left[node], right[node]))
    total = np.bincount(node, weights=residual, minlength=len(nodes))
    count = np.bincount(node, minlength=len(nodes)).astype(np.float64)
    inner = np.flatnonzero(~is_leaf)
    for i in inner[::-1]:  # children come after their parent in the node array
        total[i], count[i] = total[left[i]] + total[right[i]], count[left[i]] + count[right[i]]
    score = np.divide(total**2, count, out=np.zeros_like(total), where=count > 0)
    np.add.at(importance, feature[inner], score[left[inner]] + score[right[inner]] - score[inner])


# -- shared factor handling -----------------------------------------------------------------------
def _prepare(
    codes: ArrayLike, factors: ArrayLike, factor_kinds: Any, n_bins: int
) -> tuple[NDArray[np.float64], NDArray[np.int64], tuple[str, ...], tuple[int, ...]]:
    """Checked float codes, integer class labels per factor, the kinds and class counts."""
    x = check_codes(codes, "codes").astype(np.float64)
    raw = np.asarray(factors)
    if raw.ndim == 1:
        raw = raw[:, None]
    f = check_codes(raw, "factors").astype(np.float64)
    if len(f) != len(x):
        raise InputError(f"factors has {len(f)} rows but codes has {len(x)} rows")
    check_positive_int(n_bins, "n_bins", minimum=2)
    kinds = _factor_kinds(f, factor_kinds)
    labels = np.column_stack(
        [
            _histogram_discretize(f[:, j], n_bins)
            if kind == "continuous"
            else np.unique(f[:, j], return_inverse=True)[1]
            for j, kind in enumerate(kinds)
        ]
    ).astype(np.int64)
    classes = tuple(len(np.unique(labels[:, j])) for j in range(labels.shape[1]))
    return x, labels, kinds, classes


def _factor_kinds(factors: NDArray[np.float64], factor_kinds: Any) -> tuple[str, ...]:
    if factor_kinds is None:
        whole = np.all(factors == np.round(factors), axis=0)
        return tuple("discrete" if w else "continuous" for w in whole)
    kinds = tuple(factor_kinds)
    if len(kinds) != factors.shape[1]:
        raise InputError(
            f"factor_kinds has {len(kinds)} entries but factors has {factors.shape[1]} columns"
        )
    for kind in kinds:
        if kind not in ("discrete", "continuous"):
            raise InputError(f"factor_kinds entry {kind!r} is not 'discrete' or 'continuous'")
    return kinds


def _histogram_discretize(values: NDArray[np.float64], n_bins: int) -> NDArray[np.int64]:
    """Bin index (1..n_bins) in ``n_bins`` equal-width bins, as disentanglement_lib's helper."""
    return np.digitize(values, np.histogram(values, n_bins)[1][:-1])


# -- MIG ------------------------------------------------------------------------------------------
def mig(
    codes: ArrayLike,
    factors: ArrayLike,
    *,
    factor_kinds: tuple[str, ...] | list[str] | None = None,
    n_bins: int = 20,
) -> MIGResult:
    """Mutual information gap, as disentanglement_lib's ``mig.py``.

    Each code is cut into ``n_bins`` equal-width histogram bins; ``I_ij`` is the discrete
    mutual information (``sklearn.metrics.mutual_info_score``, nats) between binned code ``i``
    and factor ``j``; ``H_j`` is the factor's entropy. Then
    ``MIG = mean_j (I_(1)j - I_(2)j) / H_j`` with ``I_(1)j >= I_(2)j`` the two largest values in
    column ``j``. Continuous factors are binned like the codes (disentanglement_lib's factors
    are discrete already).

    Parameters
    ----------
    codes : array-like of shape (n, n_codes)
        Needs at least 2 codes (the gap needs a second best).
    factors : array-like of shape (n, n_factors) or (n,)
    factor_kinds : sequence of {"discrete", "continuous"}, optional
        As in :func:`dci`.
    n_bins : int
        Histogram bins per code (and per continuous factor).

    Returns
    -------
    MIGResult

    References
    ----------
    Chen, R. T. Q., Li, X., Grosse, R. & Duvenaud, D. (2018). Isolating sources of
    disentanglement in variational autoencoders. NeurIPS (Section 4.1, equation 6).
    Locatello et al. (2019), disentanglement_lib ``evaluation/metrics/mig.py``.
    """
    x, y, kinds, _ = _prepare(codes, factors, factor_kinds, n_bins)
    if x.shape[1] < 2:
        raise InputError(f"mig needs at least 2 code dimensions, got {x.shape[1]}")
    binned = np.column_stack([_histogram_discretize(x[:, i], n_bins) for i in range(x.shape[1])])
    information = np.array(
        [
            [mutual_info_score(y[:, j], binned[:, i]) for j in range(y.shape[1])]
            for i in range(x.shape[1])
        ]
    )
    entropy = np.array([mutual_info_score(y[:, j], y[:, j]) for j in range(y.shape[1])])
    top = np.sort(information, axis=0)[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(entropy > 0, (top[0] - top[1]) / entropy, np.nan)
    return MIGResult(
        mig=float(np.nanmean(gap)) if np.isfinite(gap).any() else float("nan"),
        gap_per_factor=gap,
        mutual_information=information,
        factor_entropy=entropy,
        n_bins=n_bins,
        factor_kinds=kinds,
    )


# -- SAP ------------------------------------------------------------------------------------------
def sap(
    codes: ArrayLike,
    factors: ArrayLike,
    *,
    factor_kinds: tuple[str, ...] | list[str] | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    random_state: int = 0,
) -> SAPResult:
    """Separated attribute predictability, as disentanglement_lib's ``sap_score.py``.

    For every code ``i`` and factor ``j`` a score ``S_ij``: for a discrete factor the held-out
    accuracy of ``LinearSVC(C=0.01, class_weight="balanced")`` trained on code ``i`` alone;
    for a continuous factor the R^2 of a one-code linear regression on the training split,
    ``cov(z_i, y_j)^2 / (var z_i var y_j)`` (0 for a constant code). Then
    ``SAP = mean_j (S_(1)j - S_(2)j)``, the gap between the best and second-best code.

    Parameters
    ----------
    codes : array-like of shape (n, n_codes)
        Needs at least 2 codes.
    factors : array-like of shape (n, n_factors) or (n,)
    factor_kinds : sequence of {"discrete", "continuous"}, optional
        As in :func:`dci` (whole-number factors are discrete by default).
    n_train, n_test : int, optional
        Split sizes after a shuffle with ``random_state``; by default two thirds and one third.
    random_state : int
        Seed of the shuffle.

    Returns
    -------
    SAPResult

    References
    ----------
    Kumar, A., Sattigeri, P. & Balakrishnan, A. (2018). Variational inference of disentangled
    latent concepts from unlabeled observations. ICLR (Section 3).
    Locatello et al. (2019), disentanglement_lib ``evaluation/metrics/sap_score.py``.
    """
    x = check_codes(codes, "codes").astype(np.float64)
    _, _, kinds, _ = _prepare(x, factors, factor_kinds, 2)
    f = np.asarray(factors, dtype=np.float64).reshape(len(x), -1)
    if x.shape[1] < 2:
        raise InputError(f"sap needs at least 2 code dimensions, got {x.shape[1]}")
    n_train = (2 * len(x)) // 3 if n_train is None else n_train
    n_test = len(x) - n_train if n_test is None else n_test
    check_positive_int(random_state, "random_state", minimum=0)
    train, test = _split(len(x), n_train, n_test, random_state)
    scores = np.zeros((x.shape[1], f.shape[1]))
    for j, kind in enumerate(kinds):
        for i in range(x.shape[1]):
            if kind == "continuous":
                scores[i, j] = _squared_correlation(x[train, i], f[train, j])
            else:
                scores[i, j] = _one_code_svm_accuracy(x[:, i], f[:, j], train, test)
    top = np.sort(scores, axis=0)[::-1]
    gap = top[0] - top[1]
    return SAPResult(
        sap=float(gap.mean()),
        gap_per_factor=gap,
        scores=scores,
        factor_kinds=kinds,
        n_train=n_train,
        n_test=n_test,
    )


def _squared_correlation(code: NDArray, factor: NDArray) -> float:
    covariance = np.cov(code, factor, ddof=1)
    if covariance[0, 0] <= 1e-12 or covariance[1, 1] <= 0:
        return 0.0
    return float(covariance[0, 1] ** 2 / (covariance[0, 0] * covariance[1, 1]))


def _one_code_svm_accuracy(code: NDArray, factor: NDArray, train: NDArray, test: NDArray) -> float:
    from sklearn.svm import LinearSVC

    if len(np.unique(factor[train])) < 2:  # one class: every prediction is that class
        return float(np.mean(factor[test] == factor[train][0]))
    classifier = LinearSVC(C=0.01, class_weight="balanced").fit(code[train, None], factor[train])
    return float(np.mean(classifier.predict(code[test, None]) == factor[test]))
