"""The sweep spec: a TOML grid of options, validated as a pydantic model before anything runs."""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from latentatlas.config import MAX_SEED, TrainConfig
from latentatlas.errors import InputError

#: Keys every spec may have (``digit_pairs`` only for data sets with a ``digits`` option).
SPEC_KEYS = ("dataset", "models", "latent_dims", "seeds", "digit_pairs", "max_runs")
REQUIRED_KEYS = ("dataset", "models", "latent_dims", "seeds")
TRAIN_KEYS = tuple(f.name for f in fields(TrainConfig))
#: The most runs a spec may plan unless it raises ``max_runs``: a larger grid is almost always
#: a typo, and refusing it costs a multiplication, not a plan.
MAX_RUNS = 10_000
#: Columns of the results table that are not options; an option of the same name (a data set's
#: own ``seed``) gets its kind as a prefix, e.g. ``data_seed``.
RESERVED_COLUMNS = ("run", "folder", "model", "latent_dim", "seed", "digit_pair", "status", "error")
_SCALARS = (bool, int, float, str)


class SweptOption(BaseModel):
    """One training, data or model option of a spec and the values it takes (one: fixed)."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["train", "data", "model"]
    values: tuple[Any, ...]

    @field_validator("values")
    @classmethod
    def _plain_values(cls, values: tuple[Any, ...], info: Any) -> tuple[Any, ...]:
        name = info.data.get("name", "option")
        for item in values:
            items = item if isinstance(item, tuple) else (item,)
            if not all(isinstance(v, _SCALARS) for v in items):
                raise ValueError(f"{name} has a value of unsupported type: {_raw(item)!r}")
            if any(isinstance(v, float) and not math.isfinite(v) for v in items):
                raise ValueError(f"{name} must be finite, got {_raw(item)!r}")
        return _distinct(name, values)

    @property
    def column(self) -> str:
        """Its column in the results table."""
        from latentatlas.studies.sweep.metrics import RunMetrics

        metric_names = {f.name for f in fields(RunMetrics)}
        reserved = self.name in RESERVED_COLUMNS or self.name in metric_names
        return f"{self.kind}_{self.name}" if reserved else self.name


Digits = tuple[Annotated[StrictInt, Field(ge=0, le=9)], ...]


class SweepSpec(BaseModel):
    """A validated sweep specification (the settings of the sweep study).

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
    models: tuple[StrictStr, ...]
    latent_dims: tuple[Annotated[StrictInt, Field(ge=1)], ...]
    seeds: tuple[Annotated[StrictInt, Field(ge=0, le=MAX_SEED)], ...]
    digit_pairs: tuple[Digits, ...] | None = None
    options: tuple[SweptOption, ...] = ()
    max_runs: Annotated[StrictInt, Field(ge=1)] = MAX_RUNS
    source: str = "spec"

    @field_validator("models")
    @classmethod
    def _known_models(cls, models: tuple[str, ...]) -> tuple[str, ...]:
        from latentatlas.models.registry import names

        for name in models:
            if name not in names():
                raise ValueError(
                    f"models lists {name!r}, which is not a model; choose from {', '.join(names())}"
                )
        return _distinct("models", models)

    @field_validator("latent_dims", "seeds")
    @classmethod
    def _once_each(cls, values: tuple[int, ...], info: Any) -> tuple[int, ...]:
        return _distinct(info.field_name, values)

    @field_validator("digit_pairs")
    @classmethod
    def _pairs(cls, pairs: tuple[tuple[int, ...], ...] | None) -> Any:
        if pairs is None:
            return None
        for pair in pairs:
            if len(set(pair)) < 2 or len(set(pair)) != len(pair):
                raise ValueError(
                    "digit_pairs must hold lists of at least two different digits 0-9, "
                    f"got {_display(pair)}"
                )
        return _distinct("digit_pairs", tuple(tuple(sorted(p)) for p in pairs))

    @model_validator(mode="after")
    def _not_too_many(self) -> SweepSpec:
        count = self.run_count()
        if count > self.max_runs:
            raise ValueError(
                f"the grid has {count:,} runs, more than the limit of {self.max_runs:,}; "
                f"sweep fewer values, or raise the limit with max_runs = {count} in the spec"
            )
        return self

    def run_count(self) -> int:
        """The runs the spec plans, counted without planning them (a product per model)."""
        takes = options_taken(self.models)
        shared = len(self.latent_dims) * len(self.digit_pairs or (None,)) * len(self.seeds)
        return sum(
            shared
            * math.prod(
                len(o.values) for o in self.options if o.kind != "model" or o.name in takes[m]
            )
            for m in self.models
        )

    def swept(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The options with more than one value (besides seeds), as (column, display values)."""
        axes: list[tuple[str, tuple[Any, ...]]] = [
            ("model", self.models),
            ("latent_dim", self.latent_dims),
        ]
        if self.digit_pairs is not None:
            axes.append(("digit_pair", tuple(_display(p) for p in self.digit_pairs)))
        axes += [(o.column, tuple(_display(v) for v in o.values)) for o in self.options]
        return [(name, values) for name, values in axes if len(values) > 1]

    def to_dict(self) -> dict[str, Any]:
        """The spec as the TOML document it reads back from, and its ``source``."""
        document: dict[str, Any] = {
            "dataset": self.dataset,
            "models": list(self.models),
            "latent_dims": list(self.latent_dims),
            "seeds": list(self.seeds),
        }
        if self.digit_pairs is not None:
            document["digit_pairs"] = [list(p) for p in self.digit_pairs]
        if self.max_runs != MAX_RUNS:
            document["max_runs"] = self.max_runs
        for option in self.options:
            values = [_raw(v) for v in option.values]
            document[option.name] = values if len(values) > 1 else values[0]
        return {**document, "source": self.source}

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

    A scalar is one value and a list is swept (a list of lists for list-valued options); every
    key is checked, and the first problem is one sentence naming the key and the value.
    Whether the models can be built and the data loaded is checked by the engine, before
    anything is written.
    """
    where = source if source.isprintable() else repr(source)  # a message stays on one line
    if not isinstance(document, Mapping):
        raise InputError(f"{where} must be a table of keys and values")
    missing = [key for key in REQUIRED_KEYS if key not in document]
    if missing:
        raise InputError(f"{where} has no {missing[0]!r} key; it needs {', '.join(REQUIRED_KEYS)}")
    try:
        return SweepSpec.model_validate({**_grid(document, where), "source": source})
    except ValidationError as error:
        raise InputError(f"{where}: {_sentence(error)}") from None


def _grid(document: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The document as the model's fields: value lists, and every other key as an option."""
    from latentatlas.data.registry import entry

    dataset = document["dataset"]
    if not isinstance(dataset, str):
        raise InputError(f"{source}: dataset must be a data set name, got {dataset!r}")
    try:
        loader_options = entry(dataset).options
    except InputError as error:
        raise InputError(f"{source}: {error}") from None
    grid: dict[str, Any] = {"dataset": dataset}
    for name in ("models", "latent_dims", "seeds"):
        grid[name] = _values(document[name], name, source)
    if "max_runs" in document:
        grid["max_runs"] = document["max_runs"]
    if "digit_pairs" in document:
        if "digits" not in loader_options:
            raise InputError(f"{source}: digit_pairs needs a data set with digits, such as mnist")
        if "digits" in document:
            raise InputError(f"{source}: give digit_pairs or digits, not both")
        grid["digit_pairs"] = _values(document["digit_pairs"], "digit_pairs", source, True)
    models = grid["models"] if all(isinstance(m, str) for m in grid["models"]) else ()
    model_options = _model_option_defaults(models)
    options = []
    for name, value in document.items():
        if name in SPEC_KEYS:
            continue
        kind = _kind(name, loader_options, model_options)
        if kind is None:
            raise InputError(_unknown_key(name, source, dataset, loader_options, model_options))
        list_valued = name == "digits" or isinstance(model_options.get(name), tuple | list)
        options.append(
            {"name": name, "kind": kind, "values": _values(value, name, source, list_valued)}
        )
    return {**grid, "options": options}


def _values(value: Any, name: str, source: str, list_valued: bool = False) -> tuple[Any, ...]:
    """The values of one key: a scalar is one value, a list is swept (see ``list_valued``)."""
    swept = isinstance(value, list) and not (
        list_valued and not any(isinstance(v, list) for v in value)
    )
    values = list(value) if swept else [value]
    if not values:
        raise InputError(f"{source}: {name} is an empty list; give at least one value")
    for item in values:
        if isinstance(item, dict):
            raise InputError(f"{source}: {name} must be a value or a list of values, not a table")
    return tuple(tuple(v) if isinstance(v, list) else v for v in values)


def _distinct(name: str, values: tuple[Any, ...]) -> tuple[Any, ...]:
    """``values`` unchanged, or an error naming the first value listed twice (in linear time)."""
    seen: set[Any] = set()
    for item in values:
        marked = (type(item), item)  # 1 and 1.0 and True are different values of an option
        if marked in seen:
            raise ValueError(f"{name} lists {_display(item)} twice")
        seen.add(marked)
    return values


def _sentence(error: ValidationError) -> str:
    """Pydantic's first error as one sentence naming the key (and position) and the value."""
    first = error.errors(include_url=False)[0]
    if first["type"] == "value_error":
        return str(first["ctx"]["error"])
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
    message = first["msg"].replace("Input should be", "must be")
    return f"{where} {message}, got {_raw(first['input'])!r}"


def options_taken(models: Sequence[str]) -> dict[str, set[str]]:
    """The options each of ``models`` takes."""
    from latentatlas.models.registry import describe

    return {info.name: set(info.options) for info in describe() if info.name in models}


def _model_option_defaults(models: Sequence[str]) -> dict[str, Any]:
    """Every option any of ``models`` takes, with its default (to tell list-valued ones)."""
    from latentatlas.models.registry import describe

    defaults: dict[str, Any] = {}
    for info in describe():
        if info.name in models:
            for name, default in info.options.items():
                defaults.setdefault(name, default)
    return defaults


def _kind(name: str, loader_options: Sequence[str], model_options: Mapping[str, Any]) -> str | None:
    if name in TRAIN_KEYS:
        return "train"
    if name in loader_options:
        return "data"
    if name in model_options:
        return "model"
    return None


def _unknown_key(
    name: str,
    source: str,
    dataset: str,
    loader_options: Sequence[str],
    model_options: Mapping[str, Any],
) -> str:
    data = ", ".join(loader_options) or "none"
    model = ", ".join(model_options) or "none"
    return (
        f"{source} has an unknown key {name!r}; expected {', '.join(SPEC_KEYS)}, a training "
        f"option ({', '.join(TRAIN_KEYS)}), a data option of {dataset} ({data}) or a model "
        f"option of the listed models ({model})"
    )


def _display(value: Any) -> Any:
    """A value as a table shows it: lists and tuples as ``"a,b"``, the rest as they are."""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return value


def _raw(value: Any) -> Any:
    """Tuples (frozen TOML lists) back to lists, as TOML, a loader or a model takes them."""
    return list(value) if isinstance(value, tuple) else value
