"""The disentanglement study (003_685b0f5ef59928c2.txt): does a dimension do one thing?"""

from latentatlas._lazy import lazy_attributes

_EXPORTS = {
    "DisentanglementConfig": "latentatlas.studies.disentanglement.config",
    "STUDY": "latentatlas.studies.disentanglement.study",
    "DisentanglementStudy": "latentatlas.studies.disentanglement.study",
    "DisentanglementResult": "latentatlas.studies.disentanglement.results",
    "ModelResult": "latentatlas.studies.disentanglement.results",
}

__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
