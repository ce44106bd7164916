"""The registered studies by name, imported only when asked for (one home for the list).

The engine, the integrity checks, the CLI and the atlas find a study here; a study registers
itself by adding ``"name": "module:STUDY"`` to :data:`STUDIES`.
"""

from __future__ import annotations

import importlib
from typing import Any

from latentatlas.errors import InputError

#: Registered studies: name -> "module:attribute" of the :class:`Study` instance (imported lazily).
STUDIES: dict[str, str] = {
    "digit-pairs": "latentatlas.studies.digit_pairs:STUDY",
    "heatmaps": "latentatlas.studies.heatmaps:STUDY",
    "filaments": "latentatlas.studies.filaments:STUDY",
    "disentanglement": "latentatlas.studies.disentanglement:STUDY",
    "inspect": "latentatlas.studies.inspect:STUDY",
    "sweep": "latentatlas.studies.sweep.study:STUDY",
}
#: Registered studies with a command of their own (``latentatlas inspect``, ``latentatlas sweep``):
#: not recipes that run from their defaults, so :func:`names` (the atlas, ``latentatlas study``)
#: leaves them out; :func:`get`, :func:`load` and ``latentatlas report`` read them like any study.
OWN_COMMAND = frozenset({"inspect", "sweep"})


def names() -> list[str]:
    """Registered study names (the recipes; studies with their own command are left out)."""
    return [name for name in STUDIES if name not in OWN_COMMAND]


def get(name: str) -> Any:
    """The registered study ``name``."""
    if name not in STUDIES:
        raise InputError(f"unknown study {name!r}; choose one of {', '.join(STUDIES)}")
    module, attribute = STUDIES[name].split(":")
    return getattr(importlib.import_module(module), attribute)
