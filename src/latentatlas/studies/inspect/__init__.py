"""``latentatlas inspect``: map a model trained elsewhere (factory, TorchScript, codes)."""

from latentatlas.studies.inspect.study import STUDY, InspectResult, InspectStudy

__all__ = ["STUDY", "InspectResult", "InspectStudy"]
