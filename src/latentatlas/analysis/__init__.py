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
    "FactorViewsResult": "latentatlas.analysis.geometry",
    "HullPerturbationResult": "latentatlas.analysis.geometry",
    "HullResult": "latentatlas.analysis.geometry",
    "factor_columns": "latentatlas.analysis.geometry",
    "factor_views": "latentatlas.analysis.geometry",
    "hull": "latentatlas.analysis.geometry",
    "hull_perturbations": "latentatlas.analysis.geometry",
    "perturb_points": "latentatlas.analysis.geometry",
    "uniform_in_hull": "latentatlas.analysis.geometry",
    "FactorReader": "latentatlas.analysis.paths",
    "PathDecoding": "latentatlas.analysis.paths",
    "arc_path": "latentatlas.analysis.paths",
    "axis_path": "latentatlas.analysis.paths",
    "binned_spline_path": "latentatlas.analysis.paths",
    "bounding_plane_paths": "latentatlas.analysis.paths",
    "decode_path": "latentatlas.analysis.paths",
    "describe_path": "latentatlas.analysis.paths",
    "empty_space_path": "latentatlas.analysis.paths",
    "fit_factor_reader": "latentatlas.analysis.paths",
    "isovariance_path": "latentatlas.analysis.paths",
    "line_path": "latentatlas.analysis.paths",
    "off_manifold_distance": "latentatlas.analysis.paths",
    "path_length": "latentatlas.analysis.paths",
    "ErrorSummary": "latentatlas.analysis.reconstruction",
    "ReconstructionErrors": "latentatlas.analysis.reconstruction",
    "error_distribution": "latentatlas.analysis.reconstruction",
    "reconstruction_errors": "latentatlas.analysis.reconstruction",
    "summarise_errors": "latentatlas.analysis.reconstruction",
    "ManifoldSculpting": "latentatlas.analysis.sculpting",
    "SculptingResult": "latentatlas.analysis.sculpting",
    "manifold_sculpting": "latentatlas.analysis.sculpting",
    "SeedVariabilityResult": "latentatlas.analysis.seeds",
    "linear_cka": "latentatlas.analysis.seeds",
    "procrustes_align": "latentatlas.analysis.seeds",
    "procrustes_disparity": "latentatlas.analysis.seeds",
    "seed_variability": "latentatlas.analysis.seeds",
    "CodeShapeResult": "latentatlas.analysis.shape",
    "code_shape": "latentatlas.analysis.shape",
}

__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
