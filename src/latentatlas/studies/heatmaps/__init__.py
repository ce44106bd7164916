"""The heatmaps study (002_da2b51c41f09188e.txt): what a VAE's latent space holds, an AE's not."""

from latentatlas._lazy import lazy_attributes

_EXPORTS = {
    "HeatmapsConfig": "latentatlas.studies.heatmaps.config",
    "STUDY": "latentatlas.studies.heatmaps.study",
    "HeatmapsStudy": "latentatlas.studies.heatmaps.study",
    "HeatmapsResult": "latentatlas.studies.heatmaps.results",
    "ModelScores": "latentatlas.studies.heatmaps.results",
}

__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
