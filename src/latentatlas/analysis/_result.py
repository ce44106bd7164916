"""Shared plumbing for analysis results: frozen dataclasses that are their own JSON schema."""

from __future__ import annotations

import collections.abc
import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from typing import Any

import numpy as np

from latentatlas.errors import InputError


def to_jsonable(value: Any) -> Any:
    """Convert NumPy arrays and scalars, tuples and dicts into plain JSON-ready Python values.

    Arrays become (nested) lists, NumPy scalars become ``int``/``float``/``bool``/``str``,
    tuples become lists, dict keys become ``int`` or ``str``, and a non-finite float becomes
    ``None`` so that ``json.dumps(..., allow_nan=False)`` accepts the result.
    """
    if isinstance(value, ResultMixin):
        return value.to_dict()
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


def from_jsonable(kind: Any, value: Any) -> Any:
    """Rebuild a value of the annotated type ``kind`` from what :func:`to_jsonable` made of it.

    Handles the types results use: NumPy arrays, tuples (fixed or variable length), lists,
    dicts, optional values, nested result dataclasses and plain scalars. A ``None`` read into
    a ``float`` field is NaN again (JSON has no NaN, so :func:`to_jsonable` wrote ``None``).
    """
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if value is None:
        return math.nan if kind is float else None
    if origin in (types.UnionType, typing.Union):
        options = [a for a in args if a is not type(None)]
        return from_jsonable(options[0], value) if len(options) == 1 else value
    if kind is np.ndarray or origin is np.ndarray or _is_ndarray_alias(kind):
        return np.asarray(value)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        return kind.from_dict(value) if hasattr(kind, "from_dict") else kind(**value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_jsonable(args[0], v) for v in value)
        if args:
            return tuple(from_jsonable(a, v) for a, v in zip(args, value, strict=True))
        return tuple(value)
    if origin is list:
        return [from_jsonable(args[0], v) for v in value] if args else list(value)
    if origin in (dict, collections.abc.Mapping):
        key_kind, value_kind = args if args else (Any, Any)
        return {from_jsonable(key_kind, k): from_jsonable(value_kind, v) for k, v in value.items()}
    if kind is float:
        return float(value)
    if kind is int and isinstance(value, int | float | str):
        return int(value)
    return value


def _is_ndarray_alias(kind: Any) -> bool:
    """True for ``NDArray[...]`` annotations (``numpy.ndarray`` generic aliases)."""
    return typing.get_origin(kind) is np.ndarray or getattr(kind, "__origin__", None) is np.ndarray


class ResultMixin:
    """Gives a frozen dataclass ``to_dict()`` and ``from_dict()`` built from all its fields.

    The two are inverse: ``type(r).from_dict(json.loads(json.dumps(r.to_dict())))`` equals
    ``r`` field by field (arrays as arrays, tuples as tuples, nested results as results), so a
    result dataclass *is* the schema of the JSON it is stored in.
    """

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dict of plain Python values, ready for ``json.dumps``."""
        if not dataclasses.is_dataclass(self):  # pragma: no cover - programming error
            raise TypeError(f"{type(self).__name__} is not a dataclass")
        return {
            field.name: to_jsonable(getattr(self, field.name)) for field in dataclasses.fields(self)
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Any:
        """Rebuild the result from :meth:`to_dict`'s output; unknown keys are an error."""
        if not isinstance(data, Mapping):
            raise InputError(f"{cls.__name__} must be read from a JSON object, got {type(data)}")
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise InputError(f"{cls.__name__} has no field {unknown[0]!r}")
        values = {name: from_jsonable(hints[name], value) for name, value in data.items()}
        try:
            return cls(**values)
        except TypeError as error:
            raise InputError(
                f"{cls.__name__} cannot be built from the data given ({error})"
            ) from None
