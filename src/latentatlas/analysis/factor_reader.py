"""A factor reader: a regressor that reads the generating factors off an image.

It is what a decoded path is described by (:func:`latentatlas.analysis.paths.describe_path`):
fitted once on original images, it reads the factors off each decode of a path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.decomposition import PCA
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from latentatlas.analysis._checks import check_codes, check_factor_names, flatten_images
from latentatlas.errors import InputError
from latentatlas.results import to_jsonable

ReaderKind = Literal["knn", "mlp"]


@dataclass(frozen=True, eq=False)
class FactorReader:
    """A regressor that reads the generating factors off an image.

    Attributes
    ----------
    estimator : sklearn regressor
        Pipeline fitted on flattened training images against standardised factors.
    scaler : sklearn StandardScaler
        The factors' standardisation, undone on prediction.
    kind : {"knn", "mlp"}
        Which regressor it is.
    factor_names : tuple of str
        One name per factor column it predicts.
    test_r2 : dict of str to float
        Coefficient of determination of each factor on held-out images.
    factor_min, factor_max : tuple of float
        Range of each factor in the training images (to express changes as a share of it).
    n_train, n_test : int
        Sizes of the fitting and held-out parts.
    """

    estimator: Pipeline
    scaler: StandardScaler
    kind: str
    factor_names: tuple[str, ...]
    test_r2: dict[str, float]
    factor_min: tuple[float, ...]
    factor_max: tuple[float, ...]
    n_train: int
    n_test: int

    def predict(self, images: ArrayLike) -> NDArray[np.float64]:
        """Factors read off each image, shape (n, k); images of any shape per sample."""
        n_features = int(self.estimator.n_features_in_)
        flat = flatten_images(images, "images", n_features, fitted="reader").astype(np.float64)
        raw = self.estimator.predict(flat).reshape(len(flat), -1)
        return self.scaler.inverse_transform(raw)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the fitted estimator, JSON-ready."""
        return to_jsonable(
            {
                "kind": self.kind,
                "factor_names": self.factor_names,
                "test_r2": self.test_r2,
                "factor_min": self.factor_min,
                "factor_max": self.factor_max,
                "n_train": self.n_train,
                "n_test": self.n_test,
            }
        )


def fit_factor_reader(
    images: ArrayLike,
    factors: ArrayLike,
    factor_names: tuple[str, ...],
    kind: ReaderKind = "knn",
    random_state: int = 0,
    test_fraction: float = 0.2,
) -> FactorReader:
    """Fit a regressor of the factors on image pixels and score it on held-out images.

    ``"knn"``: PCA to 20 components (randomized SVD, Halko et al. 2011), then the
    distance-weighted mean of the 5 nearest training images' factors; its reading of any
    image stays inside the range of the training factors, which keeps readings of
    off-manifold decodes interpretable. ``"mlp"``: PCA to 30 components, standardised, then
    a perceptron with two hidden layers of 128 ReLU units; more accurate on heatmaps but it
    extrapolates. Factors are standardised for the fit so that each weighs the same.

    Parameters
    ----------
    images : array-like of shape (n, ...)
        Original images; each is flattened.
    factors : array-like of shape (n, k)
        Their generating factors.
    factor_names : tuple of str
        One name per factor column.
    kind : {"knn", "mlp"}
    random_state : int
        Seed of the split, the PCA and the perceptron.
    test_fraction : float
        Share of images held out to measure ``test_r2``, in (0, 1).

    Returns
    -------
    FactorReader
    """
    x = flatten_images(images, "images").astype(np.float64)
    y = check_codes(np.asarray(factors, dtype=np.float64), "factors")
    if len(y) != len(x):
        raise InputError(f"factors has {len(y)} rows but images has {len(x)}")
    names = check_factor_names(factor_names, y.shape[1])
    if not 0.0 < test_fraction < 1.0:
        raise InputError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_fraction, random_state=random_state
    )
    scaler = StandardScaler().fit(y_train)
    estimator = _make_reader(kind, min(x_train.shape) - 1, random_state)
    estimator.fit(x_train, scaler.transform(y_train))
    predicted = scaler.inverse_transform(estimator.predict(x_test).reshape(len(x_test), -1))
    return FactorReader(
        estimator=estimator,
        scaler=scaler,
        kind=kind,
        factor_names=names,
        test_r2={n: float(r2_score(y_test[:, i], predicted[:, i])) for i, n in enumerate(names)},
        factor_min=tuple(float(v) for v in y_train.min(axis=0)),
        factor_max=tuple(float(v) for v in y_train.max(axis=0)),
        n_train=len(x_train),
        n_test=len(x_test),
    )


def _make_reader(kind: str, max_components: int, random_state: int) -> Pipeline:
    if kind == "knn":
        return make_pipeline(
            PCA(min(20, max_components), svd_solver="randomized", random_state=random_state),
            KNeighborsRegressor(n_neighbors=5, weights="distance"),
        )
    if kind == "mlp":
        return make_pipeline(
            PCA(min(30, max_components), svd_solver="randomized", random_state=random_state),
            StandardScaler(),
            MLPRegressor(hidden_layer_sizes=(128, 128), max_iter=500, random_state=random_state),
        )
    raise InputError(f"kind must be 'knn' or 'mlp', got {kind!r}")
