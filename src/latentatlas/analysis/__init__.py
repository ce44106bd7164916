"""Pure analyses of latent spaces: arrays and options in, frozen result dataclasses out.

Every name is imported on first use (PEP 562), so importing the package stays fast.
"""

from latentatlas._lazy import lazy_attributes

_EXPORTS = {
    "KnnResult": "latentatlas.analysis.classification",
    "LabelClassifier": "latentatlas.analysis.classification",
    "LabelReconstructionResult": "latentatlas.analysis.classification",
    "fit_label_classifier": "latentatlas.analysis.classification",
    "knn_accuracy": "latentatlas.analysis.classification",
    "label_reconstruction": "latentatlas.analysis.classification",
    "SilhouetteResult": "latentatlas.analysis.clusters",
    "original_space_silhouette": "latentatlas.analysis.clusters",
    "silhouette": "latentatlas.analysis.clusters",
    "SeedVariabilityResult": "latentatlas.analysis.seeds",
    "linear_cka": "latentatlas.analysis.seeds",
    "procrustes_disparity": "latentatlas.analysis.seeds",
    "seed_variability": "latentatlas.analysis.seeds",
}

__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
