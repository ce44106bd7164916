"""The filaments study (001_635c37cec36b7c29.txt): do AE codes lie on filaments around voids?"""

from latentatlas._lazy import lazy_attributes

_EXPORTS = {
    "FilamentsConfig": "latentatlas.studies.filaments.config",
    "STUDY": "latentatlas.studies.filaments.study",
    "FilamentsStudy": "latentatlas.studies.filaments.study",
    "FilamentsResult": "latentatlas.studies.filaments.results",
    "ModelFilaments": "latentatlas.studies.filaments.results",
    "ResourceTable": "latentatlas.resources",
}

__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
