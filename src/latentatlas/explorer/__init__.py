"""The explorer: a local web app to look around the latent spaces of runs and studies.

>>> from latentatlas.explorer import create_app                 # doctest: +SKIP
>>> app = create_app("atlas/digit-pairs")      # a FastAPI app; `latentatlas explore DIR` serves it
"""

from latentatlas._lazy import lazy_attributes

_EXPORTS = {
    "create_app": "latentatlas.explorer.app",
    "Catalogue": "latentatlas.explorer.catalogue",
}

__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
