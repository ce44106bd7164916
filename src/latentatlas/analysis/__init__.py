"""Pure analyses of latent spaces: arrays and options in, frozen result dataclasses out."""

from latentatlas.analysis.classification import (
    KnnResult,
    LabelClassifier,
    LabelReconstructionResult,
    fit_label_classifier,
    knn_accuracy,
    label_reconstruction,
)
from latentatlas.analysis.clusters import (
    SilhouetteResult,
    original_space_silhouette,
    silhouette,
)
from latentatlas.analysis.seeds import (
    SeedVariabilityResult,
    linear_cka,
    procrustes_disparity,
    seed_variability,
)

__all__ = [
    "KnnResult",
    "LabelClassifier",
    "LabelReconstructionResult",
    "SeedVariabilityResult",
    "SilhouetteResult",
    "fit_label_classifier",
    "knn_accuracy",
    "label_reconstruction",
    "linear_cka",
    "original_space_silhouette",
    "procrustes_disparity",
    "seed_variability",
    "silhouette",
]
