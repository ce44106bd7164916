"""Models: PCA, dense and convolutional autoencoders and VAEs behind one interface and registry."""

from latentatlas.models.arrays import (
    decode_array,
    encode_array,
    reconstruct_array,
    reconstruction_error,
)
from latentatlas.models.base import Autoencoder
from latentatlas.models.registry import (
    ModelInfo,
    ParameterCount,
    build,
    check_buildable,
    count_parameters,
    describe,
    names,
)

__all__ = [
    "Autoencoder",
    "ModelInfo",
    "ParameterCount",
    "build",
    "check_buildable",
    "count_parameters",
    "decode_array",
    "describe",
    "encode_array",
    "names",
    "reconstruct_array",
    "reconstruction_error",
]
