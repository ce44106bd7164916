"""Tests for k-NN accuracy on codes and for labelling reconstructions with a classifier."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import accuracy_score

from latentatlas.analysis import fit_label_classifier, knn_accuracy, label_reconstruction
from latentatlas.errors import InputError


def _blobs(n: int, separation: float, seed: int):
    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1, 2], n // 3)
    codes = rng.normal(size=(len(labels), 2)) + separation * np.eye(3, 2)[labels]
    return codes, labels


def _images(n_per_class: int = 60, seed: int = 0):
    """Two classes of 6x6 'images': a bright left half or a bright right half, with noise."""
    rng = np.random.default_rng(seed)
    labels = np.repeat([1, 2], n_per_class)
    images = rng.uniform(0.0, 0.6, size=(len(labels), 1, 6, 6))
    images[labels == 1, :, :, :3] += 0.4
    images[labels == 2, :, :, 3:] += 0.4
    return images.astype(np.float32), labels


def test_knn_on_well_separated_blobs_is_perfect():
    train_codes, train_labels = _blobs(90, 50.0, seed=0)
    eval_codes, eval_labels = _blobs(60, 50.0, seed=1)
    result = knn_accuracy(train_codes, train_labels, eval_codes, eval_labels)
    assert result.accuracy == 1.0 and result.macro_f1 == 1.0
    assert result.k == 1  # every k scores 1.0; ties go to the smallest
    assert set(result.cv_scores) == {1, 3, 5, 7, 9, 11, 15, 21}
    json.dumps(result.to_dict(), allow_nan=False)


def test_knn_on_random_labels_is_near_chance():
    rng = np.random.default_rng(2)
    codes = rng.normal(size=(900, 2))
    labels = rng.integers(0, 3, size=900)
    result = knn_accuracy(codes[:600], labels[:600], codes[600:], labels[600:], random_state=1)
    assert 0.2 < result.accuracy < 0.47


@pytest.mark.parametrize(
    ("dim", "n_classes", "labels_as", "seed"),
    [(2, 3, int, 0), (16, 10, int, 1), (5, 4, str, 2), (3, 5, int, 3)],
)
def test_knn_cross_validation_equals_grid_search(dim, n_classes, labels_as, seed):
    # One neighbour search per fold must give GridSearchCV's scores, k and predictions; even
    # k's make tied votes. (Among exactly equidistant neighbours, which one counts depends on
    # the search's k in scikit-learn itself, so codes here have no equal distances.)
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, 500)
    codes = rng.normal(size=(500, dim)) + 1.5 * rng.normal(size=(n_classes, dim))[labels]
    labels = labels.astype(str) if labels_as is str else labels
    ks = (1, 2, 3, 4, 5, 7, 9, 11, 15, 21)
    result = knn_accuracy(codes[:400], labels[:400], codes[400:], labels[400:], ks=ks)
    search = GridSearchCV(
        KNeighborsClassifier(),
        {"n_neighbors": list(ks)},
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
        scoring="accuracy",
    ).fit(codes[:400], labels[:400])
    assert list(result.cv_scores.values()) == list(search.cv_results_["mean_test_score"])
    assert result.k == search.best_params_["n_neighbors"]
    assert result.accuracy == accuracy_score(labels[400:], search.predict(codes[400:]))


def test_knn_drops_k_larger_than_a_fold():
    codes, labels = _blobs(15, 5.0, seed=3)
    result = knn_accuracy(codes, labels, codes, labels, ks=(1, 3, 11, 13), cv=3)
    assert set(result.cv_scores) == {1, 3}  # a fold fits 10 codes


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cv": 1}, "cv must be"),
        ({"cv": 40}, "at least 40 per class"),
        ({"ks": (500,)}, "exceeds"),
        ({"ks": ()}, "non-empty"),
    ],
)
def test_knn_bad_options_raise_input_error(kwargs, message):
    codes, labels = _blobs(90, 5.0, seed=4)
    with pytest.raises(InputError, match=message):
        knn_accuracy(codes, labels, codes, labels, **kwargs)


def test_knn_mismatched_inputs_raise_input_error():
    codes, labels = _blobs(90, 5.0, seed=4)
    with pytest.raises(InputError, match="train_labels"):
        knn_accuracy(codes, labels[:-1], codes, labels)
    with pytest.raises(InputError, match="columns"):
        knn_accuracy(codes, labels, codes[:, :1], labels)


@pytest.mark.parametrize("kind", ["logistic", "mlp"])
def test_identity_reconstructions_err_as_often_as_the_classifier(kind):
    images, labels = _images()
    classifier = fit_label_classifier(images, labels, kind=kind, random_state=0)
    assert classifier.kind == kind and classifier.classes == (1, 2)
    assert classifier.n_test == 24 and classifier.n_train == 96
    assert classifier.test_accuracy > 0.9
    result = label_reconstruction(images, labels, classifier)
    expected_error = 1.0 - accuracy_score(labels, classifier.predict(images))
    assert result.error_rate == pytest.approx(expected_error)
    assert result.classifier_accuracy == classifier.test_accuracy
    assert result.n == len(labels)


def test_swapped_reconstructions_are_mostly_errors():
    images, labels = _images()
    classifier = fit_label_classifier(images, labels)
    swapped = images[::-1]  # every class-1 original gets a class-2 image and vice versa
    result = label_reconstruction(swapped, labels, classifier)
    assert result.error_rate > 0.9
    assert min(result.error_rate_by_class.values()) > 0.9


def test_confusion_counts_match_a_hand_count():
    images, labels = _images()
    classifier = fit_label_classifier(images, labels)
    reconstructions = images.copy()
    reconstructions[:10] = images[-10:]  # ten class-1 originals reconstructed as class 2
    given = classifier.predict(reconstructions)
    result = label_reconstruction(reconstructions, labels, classifier)
    for row, true in enumerate((1, 2)):
        for col, predicted in enumerate((1, 2)):
            expected = int(np.sum((labels == true) & (given == predicted)))
            assert result.confusion[row, col] == expected
    assert result.confusion.sum() == len(labels)
    wrong_ones = np.mean(given[labels == 1] != 1)
    assert result.error_rate_by_class[1] == pytest.approx(wrong_ones)
    assert result.error_rate_by_class[1] >= 10 / 60 - (1 - classifier.test_accuracy)
    encoded = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert encoded["confusion"] == result.confusion.tolist()
    assert json.dumps(classifier.to_dict())


def test_label_reconstruction_bad_input_raises_input_error():
    images, labels = _images()
    classifier = fit_label_classifier(images, labels)
    with pytest.raises(InputError, match="never saw"):
        label_reconstruction(images, np.full(len(labels), 7), classifier)
    with pytest.raises(InputError, match="values per sample"):
        label_reconstruction(images[:, :, :3], labels, classifier)
    with pytest.raises(InputError, match="labels has shape"):
        label_reconstruction(images, labels[:5], classifier)
    with pytest.raises(InputError, match="kind"):
        fit_label_classifier(images, labels, kind="forest")
    with pytest.raises(InputError, match="at least 2 classes"):
        fit_label_classifier(images, np.ones(len(labels), dtype=int))
