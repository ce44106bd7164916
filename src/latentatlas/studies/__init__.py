"""Studies: each source document's investigation as one recipe on the study engine.

>>> import latentatlas as la
>>> la.studies.names()                                            # doctest: +SKIP
['digit-pairs']
>>> config = la.studies.get("digit-pairs").config_type.quick()    # doctest: +SKIP
>>> la.studies.run("digit-pairs", config, "atlas/digit-pairs")    # doctest: +SKIP
>>> results = la.studies.load("atlas/digit-pairs")                # typed results, verdicts
"""

from latentatlas._lazy import lazy_attributes

_EXPORTS = {
    "Claim": "latentatlas.studies.claims",
    "StudyConfig": "latentatlas.studies.config",
    "setting": "latentatlas.studies.config",
    "STUDIES": "latentatlas.studies.engine",
    "AnalysisContext": "latentatlas.studies.engine",
    "Cell": "latentatlas.studies.engine",
    "CellOutput": "latentatlas.studies.engine",
    "Study": "latentatlas.studies.engine",
    "StudyResults": "latentatlas.studies.engine",
    "get": "latentatlas.studies.engine",
    "load": "latentatlas.studies.engine",
    "names": "latentatlas.studies.engine",
    "run": "latentatlas.studies.engine",
    "write_report": "latentatlas.studies.engine",
}

__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
