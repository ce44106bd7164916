"""Models: PCA, dense and convolutional autoencoders and VAEs behind one interface and registry.

Every name is imported on first use (PEP 562): checking a model's name imports no torch.
"""

from latentatlas._lazy import lazy_attributes

_EXPORTS = {
    "corrupt_array": "latentatlas.models.arrays",
    "decode_array": "latentatlas.models.arrays",
    "encode_array": "latentatlas.models.arrays",
    "reconstruct_array": "latentatlas.models.arrays",
    "reconstruction_error": "latentatlas.models.arrays",
    "Autoencoder": "latentatlas.models.base",
    "ModelInfo": "latentatlas.models.registry",
    "ParameterCount": "latentatlas.models.registry",
    "build": "latentatlas.models.registry",
    "check_buildable": "latentatlas.models.registry",
    "count_parameters": "latentatlas.models.registry",
    "describe": "latentatlas.models.registry",
    "model_class": "latentatlas.models.registry",
    "names": "latentatlas.models.registry",
}

__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
