"""What every typed result is built from: frozen dataclasses that are their own JSON schema.

``ResultMixin`` gives a result dataclass ``to_dict``/``from_dict`` (the ``metrics.json`` schema),
``PerSeed`` holds one result per training seed with a columnar JSON form, and
``to_jsonable``/``from_jsonable`` convert the values they hold. Analyses, studies, the gates and
the resource table build on it; it imports nothing of the package but its error type.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import math
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

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
    if origin is PerSeed:
        return PerSeed.from_dict(value, args[0])
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


R = TypeVar("R")


@dataclasses.dataclass(frozen=True, eq=False)
class PerSeed(ResultMixin, Generic[R]):
    """One result of type ``R`` per training seed, stored column by column.

    The loop over seeds is written once here (scikit-learn writes its chunked loop once and
    hands it a reduce function): a study computes one seed's result with a small function and
    :meth:`of` collects them. ``to_dict`` is columnar, ``{"seeds": [0, 1], "field": [v0, v1],
    ...}``, the layout the per-seed tables of ``metrics.json`` have always had.

    Attributes
    ----------
    seeds : tuple of int
        The training seeds, in the order of ``results``.
    results : tuple of R
        One frozen result dataclass per seed.
    """

    seeds: tuple[int, ...]
    results: tuple[R, ...]

    def __post_init__(self) -> None:
        if len(self.seeds) != len(self.results):
            raise ValueError(f"{len(self.seeds)} seeds but {len(self.results)} results")

    @classmethod
    def of(cls, seeds: Sequence[int], compute: Callable[[int], R]) -> PerSeed[R]:
        """``compute(seed)`` for every seed, in order."""
        return cls(tuple(seeds), tuple(compute(seed) for seed in seeds))

    def column(self, name: str) -> tuple[Any, ...]:
        """The field ``name`` of every seed's result, in seed order."""
        return tuple(getattr(result, name) for result in self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Iterator[tuple[int, R]]:
        return iter(zip(self.seeds, self.results, strict=True))

    def to_dict(self) -> dict[str, Any]:
        """Columnar: the seeds, then one list per field of ``R``."""
        names = [f.name for f in dataclasses.fields(self.results[0])] if self.results else []  # type: ignore[arg-type]
        return {
            "seeds": list(self.seeds),
            **{name: [to_jsonable(v) for v in self.column(name)] for name in names},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], result_type: Any = None) -> PerSeed[Any]:
        """Inverse of :meth:`to_dict`; ``result_type`` is ``R`` (a result dataclass)."""
        if not isinstance(data, Mapping) or "seeds" not in data:
            raise InputError(f"a per-seed table must be a JSON object with seeds, got {data!r}")
        if result_type is None:
            raise TypeError("PerSeed.from_dict needs the result type of one seed")
        seeds = tuple(int(seed) for seed in data["seeds"])
        columns = {name: values for name, values in data.items() if name != "seeds"}
        if any(not isinstance(v, list) or len(v) != len(seeds) for v in columns.values()):
            raise InputError(f"every column of a per-seed table must hold {len(seeds)} values")
        results = tuple(
            result_type.from_dict({name: values[i] for name, values in columns.items()})
            for i in range(len(seeds))
        )
        return cls(seeds, results)
