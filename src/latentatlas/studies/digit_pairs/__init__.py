"""The digit-pairs study (000_2b4a74d5463f301c.txt): are two MNIST digits kept apart?"""

from latentatlas._lazy import lazy_attributes

_EXPORTS = {
    "DigitPairsConfig": "latentatlas.studies.digit_pairs.config",
    "parse_pairs": "latentatlas.studies.digit_pairs.config",
    "STUDY": "latentatlas.studies.digit_pairs.study",
    "DigitPairsStudy": "latentatlas.studies.digit_pairs.study",
    "PairResult": "latentatlas.studies.digit_pairs.results",
}

__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
