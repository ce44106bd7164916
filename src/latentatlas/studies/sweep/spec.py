"""The sweep spec: a TOML grid of options, validated as a pydantic model before anything runs.

A scalar is one value and a list is swept (a list of lists for list-valued options such as
``hidden``); every key besides :data:`SPEC_KEYS` is a training, data or model option. Whether each
combination's model builds and its data load is the engine's check, before anything is written.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from latentatlas.config import MAX_SEED, TrainConfig
from latentatlas.errors import InputError

#: Keys every spec may have (``digit_pairs`` only for data sets with a ``digits`` option).
SPEC_KEYS = ("dataset", "models", "latent_dims", "seeds", "digit_pairs", "max_runs")
REQUIRED_KEYS = SPEC_KEYS[:4]
TRAIN_KEYS = tuple(f.name for f in fields(TrainConfig))
#: The most runs a spec may plan unless it raises ``max_runs``: a larger grid is almost always
#: a typo, and refusing it costs a multiplication, not a plan.
MAX_RUNS = 10_000
#: Columns of the results table that are not options; an option of the same name (a data set's
#: own ``seed``) gets its kind as a prefix, e.g. ``data_seed``.
RESERVED_COLUMNS = ("run", "folder", "model", "latent_dim", "seed", "digit_pair", "status", "error")
_SCALARS = (bool, int, float, str)
T = TypeVar("T")


def _listed(values: tuple[Any, ...], name: str) -> tuple[Any, ...]:
    """``values`` unchanged, or an error for an empty list or the first value listed twice (1,
    1.0 and true are different values of an option; a set keeps it linear)."""
    if not values:
        raise ValueError(f"{name} is an empty list; give at least one value")
    seen: set[Any] = set()
    for item in values:
        if (type(item), item) in seen:
            raise ValueError(f"{name} lists {_display(item)} twice")
        seen.add((type(item), item))
    return values


def _known_model(name: str) -> str:
    from latentatlas.models.registry import names

    if name not in names():
        raise ValueError(
            f"models lists {name!r}, which is not a model; choose from {', '.join(names())}"
        )
    return name


def _digit_set(digits: tuple[int, ...]) -> tuple[int, ...]:
    if len(set(digits)) < 2 or len(set(digits)) != len(digits):
        raise ValueError(
            "digit_pairs must hold lists of at least two different digits 0-9, "
            f"got {_display(digits)}"
        )
    return tuple(sorted(digits))  # the same data either way


#: A key's values, in the spec's order: at least one, none twice.
Values = Annotated[
    tuple[T, ...], AfterValidator(lambda values, info: _listed(values, info.field_name))
]
Digits = Annotated[tuple[Annotated[StrictInt, Field(ge=0, le=9)], ...], AfterValidator(_digit_set)]


class SweptOption(BaseModel):
    """One training, data or model option of a spec and the values it takes (one: fixed)."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["train", "data", "model"]
    values: tuple[Any, ...]

    @field_validator("values")
    @classmethod
    def _plain_values(cls, values: tuple[Any, ...], info: ValidationInfo) -> tuple[Any, ...]:
        name = info.data.get("name", "option")
        for item in values:
            items = item if isinstance(item, tuple) else (item,)
            if not all(isinstance(v, _SCALARS) for v in items):
                raise ValueError(f"{name} must be a value or a list of values, got {_raw(item)!r}")
            if any(isinstance(v, float) and not math.isfinite(v) for v in items):
                raise ValueError(f"{name} must be finite, got {_raw(item)!r}")
        return _listed(values, name)

    @property
    def column(self) -> str:
        """Its column in the results table."""
        from latentatlas.studies.sweep.metrics import RunMetrics

        reserved = self.name in (*RESERVED_COLUMNS, *RunMetrics.__dataclass_fields__)
        return f"{self.kind}_{self.name}" if reserved else self.name


class SweepSpec(BaseModel):
    """A validated sweep specification (the settings of the sweep study).

    It validates a TOML document (:func:`parse_spec`), whose keys it turns into these fields.

    Attributes
    ----------
    dataset : str
        Data registry name.
    models, latent_dims, seeds : tuple
        The values swept over, in the spec's order.
    digit_pairs : tuple of tuple of int, or None
        The digit sets to keep (the loader's ``digits`` option), each sorted.
    options : tuple of SweptOption
        Every other option, in the spec's order.
    max_runs : int
        The most runs the spec may plan (:data:`MAX_RUNS` unless the spec raises it).
    source : str
        Where the spec came from (a file name), for messages.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: StrictStr
    models: Values[Annotated[StrictStr, AfterValidator(_known_model)]]
    latent_dims: Values[Annotated[StrictInt, Field(ge=1)]]
    seeds: Values[Annotated[StrictInt, Field(ge=0, le=MAX_SEED)]]
    digit_pairs: Values[Digits] | None = None
    options: tuple[SweptOption, ...] = ()
    max_runs: Annotated[StrictInt, Field(ge=1)] = MAX_RUNS
    source: str = "spec"

    @model_validator(mode="before")
    @classmethod
    def _from_document(cls, document: Any, info: ValidationInfo) -> Any:
        """The document's keys as fields: value lists, and every other key as an option."""
        from latentatlas.data.registry import entry

        if not isinstance(document, Mapping) or "dataset" not in document:
            return document  # pydantic names what is missing
        if not isinstance(document["dataset"], str):
            raise ValueError(f"dataset must be a data set name, got {document['dataset']!r}")
        loader = entry(document["dataset"]).options
        if "digit_pairs" in document and "digits" not in loader:
            raise ValueError("digit_pairs needs a data set with digits, such as mnist")
        if "digit_pairs" in document and "digits" in document:
            raise ValueError("give digit_pairs or digits, not both")
        models = document.get("models")
        defaults: dict[str, Any] = {}  # every listed model's options, to tell list-valued ones
        for options in model_options(models if isinstance(models, list) else [models]).values():
            defaults |= {k: v for k, v in options.items() if k not in defaults}
        grid = {name: document[name] for name in SPEC_KEYS if name in document}
        for name in ("models", "latent_dims", "seeds", "digit_pairs"):
            if name in grid:
                grid[name] = _values(grid[name], list_valued=name == "digit_pairs")
        options = [
            {
                "name": name,
                "kind": _kind(name, document["dataset"], loader, defaults),
                "values": _values(
                    value, name == "digits" or isinstance(defaults.get(name), tuple | list)
                ),
            }
            for name, value in document.items()
            if name not in SPEC_KEYS
        ]
        return {**grid, "options": options, "source": (info.context or {}).get("source", "spec")}

    @model_validator(mode="after")
    def _not_too_many(self) -> SweepSpec:
        count = self.run_count()
        if count > self.max_runs:
            raise ValueError(
                f"the grid has {count:,} runs, more than the limit of {self.max_runs:,}; "
                f"sweep fewer values, or raise the limit with max_runs = {count} in the spec"
            )
        return self

    def options_of(self, model: str) -> list[SweptOption]:
        """The options ``model`` trains with: all but the model options it does not take (one it
        does not take adds no runs of it)."""
        takes = model_options([model]).get(model, {})
        return [o for o in self.options if o.kind != "model" or o.name in takes]

    def run_count(self) -> int:
        """The runs the spec plans, counted without planning them (a product per model)."""
        shared = len(self.latent_dims) * len(self.digit_pairs or (None,)) * len(self.seeds)
        return sum(
            shared * math.prod(len(o.values) for o in self.options_of(m)) for m in self.models
        )

    def swept(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The options with more than one value (besides seeds), as (column, display values)."""
        axes: list[tuple[str, tuple[Any, ...]]] = [
            ("model", self.models),
            ("latent_dim", self.latent_dims),
            ("digit_pair", tuple(_display(p) for p in self.digit_pairs or ())),
            *((o.column, tuple(_display(v) for v in o.values)) for o in self.options),
        ]
        return [(name, values) for name, values in axes if len(values) > 1]

    def to_dict(self) -> dict[str, Any]:
        """The spec as the TOML document it reads back from, and its ``source``."""
        document = self.model_dump(include={"dataset", "models", "latent_dims", "seeds"})
        if self.digit_pairs is not None:
            document["digit_pairs"] = self.digit_pairs
        if self.max_runs != MAX_RUNS:
            document["max_runs"] = self.max_runs
        for option in self.options:
            document[option.name] = option.values if len(option.values) > 1 else option.values[0]
        return {**_raw(document), "source": self.source}

    @classmethod
    def from_dict(cls, data: Any) -> SweepSpec:
        """Rebuild the spec from :meth:`to_dict` (as ``study.json`` stores it)."""
        if not isinstance(data, Mapping):
            raise InputError(f"sweep settings must be a JSON object, got {type(data).__name__}")
        document = dict(data)
        return parse_spec(document, source=str(document.pop("source", "spec")))


def read_spec(path: str | os.PathLike[str]) -> SweepSpec:
    """Read and validate the TOML sweep spec at ``path``.

    Raises
    ------
    InputError
        One sentence naming the file (and line, for malformed TOML) or the offending key.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise InputError(f"cannot read sweep spec {path}: {reason}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # Python 3.11's message has a line number except at the end of the file: add that one.
        where = f"at the end of the file, line {len(text.splitlines()) or 1}"
        reason = str(error).replace("at end of document", where)
        raise InputError(f"sweep spec {path} is not valid TOML: {reason}") from None
    return parse_spec(document, source=str(path))


def parse_spec(document: Mapping[str, Any], source: str = "spec") -> SweepSpec:
    """Validate a spec given as a mapping (what ``tomllib`` reads) and return it typed.

    The first problem is one sentence naming ``source``, the key and the value.
    """
    where = source if source.isprintable() else repr(source)  # a message stays on one line
    if not isinstance(document, Mapping):
        raise InputError(f"{where} must be a table of keys and values")
    missing = [key for key in REQUIRED_KEYS if key not in document]
    if missing:
        raise InputError(f"{where} has no {missing[0]!r} key; it needs {', '.join(REQUIRED_KEYS)}")
    try:
        return SweepSpec.model_validate(document, context={"source": source})
    except ValidationError as error:
        raise InputError(f"{where}: {_sentence(error)}") from None


def model_options(models: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """The options (with their defaults) of each of ``models`` that is a model."""
    from latentatlas.models.registry import describe

    return {info.name: info.options for info in describe() if info.name in models}


def _values(value: Any, list_valued: bool = False) -> tuple[Any, ...]:
    """The values of one key: a scalar is one value, a list is swept, except that a list of a
    ``list_valued`` option is one value unless it holds lists (TOML lists become tuples)."""
    swept = isinstance(value, list) and not (
        list_valued and not any(isinstance(v, list) for v in value)
    )
    return tuple(tuple(v) if isinstance(v, list) else v for v in (value if swept else [value]))


def _kind(name: str, dataset: str, loader: Sequence[str], model: Mapping[str, Any]) -> str:
    """Whether ``name`` is a training, data or model option; an error listing them if none."""
    for kind, names in (("train", TRAIN_KEYS), ("data", loader), ("model", model)):
        if name in names:
            return kind
    raise ValueError(
        f"unknown key {name!r}; expected {', '.join(SPEC_KEYS)}, a training option "
        f"({', '.join(TRAIN_KEYS)}), a data option of {dataset} ({', '.join(loader) or 'none'}) "
        f"or a model option of the listed models ({', '.join(model) or 'none'})"
    )


def _sentence(error: ValidationError) -> str:
    """Pydantic's first error as one sentence naming the key (and position) and the value."""
    first = error.errors(include_url=False)[0]
    if first["type"] == "value_error":
        return str(first["ctx"]["error"])
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
    message = first["msg"].replace("Input should be", "must be")
    return f"{where} {message}, got {_raw(first['input'])!r}"


def _display(value: Any) -> Any:
    """A value as a table shows it: lists and tuples as ``"a,b"``, the rest as they are."""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return value


def _raw(value: Any) -> Any:
    """Tuples (frozen TOML lists), nested too, back to lists, as TOML, JSON, a loader or a model
    takes them."""
    if isinstance(value, dict):
        return {key: _raw(item) for key, item in value.items()}
    return [_raw(item) for item in value] if isinstance(value, tuple | list) else value
