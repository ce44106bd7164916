"""Shared plumbing for analysis results: frozen dataclasses that become JSON-ready dicts."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np


def to_jsonable(value: Any) -> Any:
    """Convert NumPy arrays and scalars, tuples and dicts into plain JSON-ready Python values.

    Arrays become (nested) lists, NumPy scalars become ``int``/``float``/``bool``/``str``,
    tuples become lists, dict keys become ``int`` or ``str``, and a non-finite float becomes
    ``None`` so that ``json.dumps(..., allow_nan=False)`` accepts the result.
    """
    if isinstance(value, dict):
        return {_key(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _key(key: Any) -> int | str:
    """A dict key JSON keeps meaningfully: Python ints stay ints (json writes them as text)."""
    if isinstance(key, np.generic):
        key = key.item()
    return key if isinstance(key, int | str) else str(key)


class ResultMixin:
    """Gives a frozen dataclass a ``to_dict()`` built from all its fields."""

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dict of plain Python values, ready for ``json.dumps``."""
        if not dataclasses.is_dataclass(self):  # pragma: no cover - programming error
            raise TypeError(f"{type(self).__name__} is not a dataclass")
        return {
            field.name: to_jsonable(getattr(self, field.name)) for field in dataclasses.fields(self)
        }
