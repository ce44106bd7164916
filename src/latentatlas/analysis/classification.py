"""Whether classes can be read back: k-NN on latent codes, and labels of reconstructions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
from sklearn.neural_network import MLPClassifier

from latentatlas.analysis._checks import check_codes, check_vector, flatten_images
from latentatlas.analysis.clusters import _plain
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin, to_jsonable

ClassifierKind = Literal["logistic", "mlp"]
DEFAULT_KS: tuple[int, ...] = (1, 3, 5, 7, 9, 11, 15, 21)


@dataclass(frozen=True, eq=False)
class KnnResult(ResultMixin):
    """k-nearest-neighbour classification of latent codes.

    Attributes
    ----------
    accuracy : float
        Fraction of evaluation codes given their own label.
    macro_f1 : float
        F1 score averaged over classes with equal weight.
    k : int
        Number of neighbours, chosen by cross-validation on the training codes.
    cv_scores : dict of int to float
        Mean cross-validated accuracy of each candidate ``k``.
    """

    accuracy: float
    macro_f1: float
    k: int
    cv_scores: dict[int, float]


@dataclass(frozen=True, eq=False)
class LabelClassifier:
    """A classifier of original inputs, used to label reconstructions.

    Attributes
    ----------
    estimator : sklearn classifier
        Fitted on the flattened training part of the images given to
        :func:`fit_label_classifier`.
    kind : {"logistic", "mlp"}
        Which model it is.
    classes : tuple
        The labels it can give, sorted.
    test_accuracy : float
        Its accuracy on the held-out part of those images (never seen in fitting).
    n_train, n_test : int
        Sizes of the two parts.
    """

    estimator: ClassifierMixin
    kind: str
    classes: tuple[Any, ...]
    test_accuracy: float
    n_train: int
    n_test: int

    def predict(self, images: ArrayLike) -> NDArray[Any]:
        """Label each image (any shape per sample; flattened first)."""
        return self.estimator.predict(
            flatten_images(images, "images", self.n_features, fitted="classifier")
        )

    @property
    def n_features(self) -> int:
        """Number of values per flattened input the classifier expects."""
        return int(self.estimator.n_features_in_)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the fitted estimator, JSON-ready."""
        return to_jsonable(
            {
                "kind": self.kind,
                "classes": self.classes,
                "test_accuracy": self.test_accuracy,
                "n_train": self.n_train,
                "n_test": self.n_test,
            }
        )


@dataclass(frozen=True, eq=False)
class LabelReconstructionResult(ResultMixin):
    """How often a reconstruction is recognised as a different class than its original.

    Attributes
    ----------
    error_rate : float
        Fraction of reconstructions the classifier labels differently from the original's
        label (for a pair of digits: "reconstructed as the other digit").
    error_rate_by_class : dict
        The same fraction among the originals of each class present in ``labels``.
    confusion : ndarray of shape (k, k)
        Counts; row = original label, column = label given to the reconstruction, both in
        the order of ``classes``.
    classes : tuple
        The classifier's classes.
    classifier_accuracy : float
        The classifier's own held-out accuracy on original images: an error rate near
        ``1 - classifier_accuracy`` is what perfect reconstructions would get.
    n : int
        Number of reconstructions.
    misreconstructed : ndarray of bool, shape (n,)
        Which reconstructions were labelled differently from their original.
    """

    error_rate: float
    error_rate_by_class: dict[Any, float]
    confusion: NDArray[np.int64]
    classes: tuple[Any, ...]
    classifier_accuracy: float
    n: int
    misreconstructed: NDArray[np.bool_]


def knn_accuracy(
    train_codes: ArrayLike,
    train_labels: ArrayLike,
    eval_codes: ArrayLike,
    eval_labels: ArrayLike,
    ks: Sequence[int] = DEFAULT_KS,
    cv: int = 5,
    random_state: int = 0,
) -> KnnResult:
    """k-NN accuracy and macro F1 of evaluation codes, with ``k`` chosen on the training codes.

    ``k`` is chosen by stratified ``cv``-fold cross-validation on the training codes (the
    smallest ``k`` on ties); the classifier with that ``k`` is fitted on all training codes
    and scored on the evaluation (validation) codes. Codes are used as they are, not
    standardised: the latent geometry, distances included, is the object of study.

    The cross-validation gives the same scores, and so the same ``k``, as scikit-learn's
    ``GridSearchCV(KNeighborsClassifier(), {"n_neighbors": ks})`` with the same folds (a
    test checks this), but each fold's neighbours are searched once, for the largest ``k``,
    and every candidate votes among the first ``k`` of them: ``GridSearchCV`` refits and
    searches again for each candidate, 8x the work with the default ``ks``.

    Parameters
    ----------
    train_codes : array-like of shape (n_train, d)
    train_labels : array-like of shape (n_train,)
    eval_codes : array-like of shape (n_eval, d)
    eval_labels : array-like of shape (n_eval,)
    ks : sequence of int
        Candidate numbers of neighbours; those larger than a training fold are dropped.
    cv : int
        Number of cross-validation folds; every class needs at least ``cv`` training codes.
    random_state : int
        Seed of the fold shuffling.

    Returns
    -------
    KnnResult
    """
    x_train, y_train = _codes_and_labels(train_codes, train_labels, "train")
    x_eval, y_eval = _codes_and_labels(eval_codes, eval_labels, "eval")
    if x_train.shape[1] != x_eval.shape[1]:
        raise InputError(
            f"eval_codes has {x_eval.shape[1]} columns but train_codes has {x_train.shape[1]}"
        )
    folds = _check_folds(cv, y_train)
    smallest_fit = len(y_train) - int(np.ceil(len(y_train) / folds))  # codes fitted per fold
    candidates = _check_ks(ks, smallest_fit)
    splits = StratifiedKFold(folds, shuffle=True, random_state=random_state).split(x_train, y_train)
    fold_scores = np.column_stack(
        [_fold_accuracies(x_train, y_train, fit, held, candidates) for fit, held in splits]
    )
    mean_scores = fold_scores.mean(axis=1)  # as GridSearchCV's mean_test_score
    best = candidates[int(np.argmax(mean_scores))]  # the first (smallest k) on ties
    predicted = KNeighborsClassifier(n_neighbors=best).fit(x_train, y_train).predict(x_eval)
    return KnnResult(
        accuracy=float(accuracy_score(y_eval, predicted)),
        macro_f1=float(f1_score(y_eval, predicted, average="macro")),
        k=int(best),
        cv_scores={int(k): float(score) for k, score in zip(candidates, mean_scores, strict=True)},
    )


def _fold_accuracies(
    x: NDArray[Any],
    y: NDArray[Any],
    fit: NDArray[np.intp],
    held: NDArray[np.intp],
    candidates: list[int],
) -> NDArray[np.float64]:
    """Held-out accuracy of a uniform-weight k-NN vote for each candidate ``k``, one search.

    The vote is ``KNeighborsClassifier``'s: the class with the most of the ``k`` nearest
    labels, the first of the sorted classes on ties.
    """
    classes, fit_index = np.unique(y[fit], return_inverse=True)
    search = NearestNeighbors(n_neighbors=max(candidates)).fit(x[fit])
    nearest = fit_index.reshape(-1)[search.kneighbors(x[held], return_distance=False)]
    votes = np.cumsum(np.eye(len(classes), dtype=np.int32)[nearest], axis=1)  # (m, k_max, C)
    return np.array(
        [np.mean(classes[votes[:, k - 1].argmax(axis=1)] == y[held]) for k in candidates]
    )


def fit_label_classifier(
    images: ArrayLike,
    labels: ArrayLike,
    kind: ClassifierKind = "logistic",
    random_state: int = 0,
    test_fraction: float = 0.2,
) -> LabelClassifier:
    """Fit a classifier of original images and measure its accuracy on held-out images.

    The images are split, stratified by label, into a training part and a test part of
    ``test_fraction``; the classifier is fitted on the flattened training part only, so its
    ``test_accuracy`` is honest. ``"logistic"`` is multinomial logistic regression on the
    pixels; ``"mlp"`` a one-hidden-layer perceptron with 64 ReLU units (Adam).

    Parameters
    ----------
    images : array-like of shape (n, ...)
        Original inputs (e.g. ``(n, 1, 28, 28)`` in [0, 1]); each is flattened.
    labels : array-like of shape (n,)
        Class of each image; at least 2 classes, each with 2 or more images.
    kind : {"logistic", "mlp"}
    random_state : int
        Seed of the split and of the classifier.
    test_fraction : float
        Fraction of images held out, in (0, 1).

    Returns
    -------
    LabelClassifier
    """
    x = flatten_images(images, "images")
    y = check_vector(labels, len(x), "labels", "images")
    if not 0.0 < test_fraction < 1.0:
        raise InputError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2 or counts.min() < 2:
        raise InputError(
            "labels must have at least 2 classes with 2 or more images each to fit a classifier"
        )
    try:
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=test_fraction, stratify=y, random_state=random_state
        )
    except ValueError as error:
        raise InputError(f"cannot split the images for a held-out test: {error}") from None
    estimator = _make_classifier(kind, random_state).fit(x_train, y_train)
    return LabelClassifier(
        estimator=estimator,
        kind=kind,
        classes=tuple(_plain(c) for c in estimator.classes_),
        test_accuracy=float(accuracy_score(y_test, estimator.predict(x_test))),
        n_train=len(y_train),
        n_test=len(y_test),
    )


def label_reconstruction(
    reconstructions: ArrayLike, labels: ArrayLike, classifier: LabelClassifier
) -> LabelReconstructionResult:
    """Fraction of reconstructions that a classifier of originals gives another label.

    The source's proposed metric (its "Future developments"): a reconstruction recognised as
    a different class than its original means the model has moved the point to the wrong
    region of its latent space, something the reconstruction loss does not see.

    Parameters
    ----------
    reconstructions : array-like of shape (n, ...)
        Decoded images, same shape per sample as the classifier's training images.
    labels : array-like of shape (n,)
        Label of each reconstruction's original; every label must be one of the classifier's.
    classifier : LabelClassifier
        From :func:`fit_label_classifier`, fitted on original (not reconstructed) images.

    Returns
    -------
    LabelReconstructionResult
    """
    x = flatten_images(
        reconstructions, "reconstructions", classifier.n_features, fitted="classifier"
    )
    y = check_vector(labels, len(x), "labels", "reconstructions")
    unknown = set(np.unique(y).tolist()) - set(classifier.classes)
    if unknown:
        raise InputError(
            f"labels contain {sorted(unknown, key=str)} which the classifier never saw; "
            f"expected labels among {list(classifier.classes)}"
        )
    given = classifier.estimator.predict(x)
    wrong = given != y
    present = [c for c in classifier.classes if np.any(y == c)]
    return LabelReconstructionResult(
        error_rate=float(wrong.mean()),
        error_rate_by_class={c: float(wrong[y == c].mean()) for c in present},
        confusion=confusion_matrix(y, given, labels=list(classifier.classes)).astype(np.int64),
        classes=classifier.classes,
        classifier_accuracy=classifier.test_accuracy,
        n=len(y),
        misreconstructed=np.asarray(wrong, dtype=bool),
    )


def _make_classifier(kind: str, random_state: int) -> ClassifierMixin:
    if kind == "logistic":
        return LogisticRegression(max_iter=1000, random_state=random_state)
    if kind == "mlp":
        return MLPClassifier(hidden_layer_sizes=(64,), max_iter=300, random_state=random_state)
    raise InputError(f"kind must be 'logistic' or 'mlp', got {kind!r}")


def _codes_and_labels(
    codes: ArrayLike, labels: ArrayLike, split: str
) -> tuple[NDArray[Any], NDArray[Any]]:
    x = check_codes(codes, f"{split}_codes")
    return x, check_vector(labels, len(x), f"{split}_labels", f"{split}_codes")


def _check_folds(cv: int, y_train: NDArray[Any]) -> int:
    if isinstance(cv, bool) or not isinstance(cv, int | np.integer) or cv < 2:
        raise InputError(f"cv must be an integer of at least 2, got {cv!r}")
    classes, counts = np.unique(y_train, return_counts=True)
    if len(classes) < 2:
        raise InputError("train_labels must contain at least 2 classes for k-NN")
    if counts.min() < cv:
        smallest = _plain(classes[counts.argmin()])
        raise InputError(
            f"train_labels has only {counts.min()} codes of class {smallest} "
            f"but cv={cv} folds need at least {cv} per class"
        )
    return int(cv)


def _check_ks(ks: Sequence[int], largest_fold: int) -> list[int]:
    values = [int(k) for k in ks]
    if not values or min(values) < 1:
        raise InputError(f"ks must be a non-empty list of positive integers, got {list(ks)}")
    usable = sorted({k for k in values if k <= largest_fold})
    if not usable:
        raise InputError(
            f"every k in ks {values} exceeds the {largest_fold} codes of a training fold"
        )
    return usable
