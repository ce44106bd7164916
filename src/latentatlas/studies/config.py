"""Study settings as validated, frozen data: JSON round trips, ``--quick`` and command-line options.

A study's ``Config`` is a frozen dataclass that subclasses :class:`StudyConfig` (or
:class:`TrainingSettings`, which holds the training block every study shares) and declares its
fields with :func:`setting`, which carries the help text, the setting's bounds (``check``, as
scikit-learn's ``_parameter_constraints`` declare them beside each hyper-parameter) and, where
needed, a parser for the command-line text. From that one declaration come the stored
``study.json`` (unknown keys are an error naming the key), ``--quick`` (the ``QUICK`` overrides),
the one validator that checks every bound before anything is written, and every
``latentatlas study NAME`` option with its help. This module imports no torch, so the CLI stays
fast to start.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from latentatlas.errors import InputError

#: The most training seeds a study plans per model: a larger count is almost always a typo
#: (planning a billion seeds hung the CLI); raise it here for a real need.
MAX_SEEDS = 1000
#: The most epochs a study trains one run for.
MAX_EPOCHS = 100_000
#: Seeds of the train/validation split are 32-bit (NumPy's legacy seeding takes no more).
MAX_SPLIT_SEED = 2**32 - 1
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")


# -- declared bounds ------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Interval:
    """A number of ``kind`` (int or float) between ``low`` and ``high``, finite.

    ``closed`` says which ends belong to it, as in scikit-learn's ``Interval``: ``"both"``,
    ``"left"``, ``"right"`` or ``"neither"``; None leaves that side open.
    """

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def check(self, name: str, value: Any) -> None:
        """Raise :class:`InputError` naming ``name`` when ``value`` is not in the interval."""
        wanted = "an integer" if self.kind is int else "a number"
        is_number = not isinstance(value, bool) and isinstance(value, int | float)
        if not is_number or (self.kind is int and not isinstance(value, int)):
            raise InputError(f"{name} must be {wanted}{self._range()}, got {value!r}")
        if not math.isfinite(value):
            raise InputError(f"{name} must be a finite number{self._range()}, got {value!r}")
        low_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low
        )
        high_ok = self.high is None or (
            value <= self.high if self.closed in ("both", "right") else value < self.high
        )
        if not (low_ok and high_ok):
            raise InputError(f"{name} must be {wanted}{self._range()}, got {value!r}")

    def _range(self) -> str:
        def show(bound: float) -> str:
            return f"{bound:,}" if isinstance(bound, int) else f"{bound:g}"

        low_in = self.closed in ("both", "left")
        high_in = self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            if low_in and high_in:
                return f" from {show(self.low)} to {show(self.high)}"
            return (
                f" {'from' if low_in else 'above'} {show(self.low)} and "
                f"{'at most' if high_in else 'below'} {show(self.high)}"
            )
        if self.low is not None:
            return f" of at least {show(self.low)}" if low_in else f" above {show(self.low)}"
        if self.high is not None:
            return f" of at most {show(self.high)}" if high_in else f" below {show(self.high)}"
        return ""


@dataclasses.dataclass(frozen=True)
class OneOf:
    """One of a fixed set of words."""

    options: tuple[str, ...]

    def check(self, name: str, value: Any) -> None:
        """Raise :class:`InputError` naming ``name`` when ``value`` is not an option."""
        if value not in self.options:
            raise InputError(f"{name} must be one of {', '.join(self.options)}, got {value!r}")


@dataclasses.dataclass(frozen=True)
class Each:
    """A tuple whose items each satisfy ``item``, with no item twice.

    ``min_items`` and ``max_items`` bound its length; the first duplicate is named, unless
    ``allow_repeats`` (layer widths such as 4,4,4,4 repeat by design).
    """

    item: Interval | OneOf
    min_items: int = 1
    max_items: int | None = None
    allow_repeats: bool = False

    def check(self, name: str, value: Any) -> None:
        """Check the length, every item (named by position) and duplicates."""
        if not isinstance(value, tuple | list):
            raise InputError(f"{name} must be a list, got {value!r}")
        if not value and self.min_items:
            raise InputError(f"{name} is empty; give at least {self.min_items} value(s)")
        if self.min_items == self.max_items and len(value) != self.min_items:
            raise InputError(f"{name} takes exactly {self.min_items} values, got {len(value)}")
        if len(value) < self.min_items:
            raise InputError(f"{name} takes at least {self.min_items} values, got {len(value)}")
        if self.max_items is not None and len(value) > self.max_items:
            raise InputError(f"{name} takes at most {self.max_items} values, got {len(value)}")
        for index, item in enumerate(value):
            self.item.check(f"{name}[{index}]", item)
        seen: set[Any] = set()
        for item in () if self.allow_repeats else value:
            if item in seen:
                raise InputError(f"{name} names {item!r} twice; give each value once")
            seen.add(item)


Constraint = Interval | OneOf | Each

#: Bytes per neighbour of each point in openTSNE's affinities: the neighbour search's indices and
#: distances (8 + 8), the sparse affinities (8 + 4) and their symmetrised copy (up to twice that).
TSNE_BYTES_PER_NEIGHBOUR = 52
#: Float32 values a training step holds per activation value of a conv autoencoder (per value of
#: its input and of each convolution's output map): autograd keeps 3.9 (the layers' inputs,
#: outputs and activations, encoder and decoder; measured with saved-tensor hooks on the conv-vae
#: at 96 px, the rise from batch 8 to 16), and the backward pass holds their gradients beside.
CONV_SAVED_PER_ACTIVATION = 6


@dataclasses.dataclass(frozen=True)
class MemoryNeed:
    """The memory one step of a study will ask for, estimated from its settings alone.

    ``settings`` names the settings that set it (``"tsne_points and perplexity"``), ``what``
    the allocation in words, ``needed`` the bytes.
    """

    settings: str
    what: str
    needed: int


def tsne_memory(points: int, perplexity: float, settings: str) -> MemoryNeed:
    """openTSNE's affinities of ``points`` codes: ``min(points - 1, 3 perplexity)`` neighbours
    each (its default ``n_neighbors``), :data:`TSNE_BYTES_PER_NEIGHBOUR` bytes apiece."""
    neighbours = min(points - 1, math.ceil(3 * perplexity))
    return MemoryNeed(
        settings,
        f"the t-SNE of {points:,} points with {neighbours:,} neighbours each",
        points * neighbours * TSNE_BYTES_PER_NEIGHBOUR,
    )


def conv_memory(
    batch: int, channels: int, side: int, filters: tuple[int, ...], settings: str
) -> MemoryNeed:
    """A training step of a conv autoencoder (stride-2 convolutions of ``filters``) on
    ``batch`` images of ``channels`` x ``side`` x ``side``: the activations autograd keeps
    (:data:`CONV_SAVED_PER_ACTIVATION` float32 values per value of the input and of each
    convolution's output map)."""
    sides = [side]
    for _ in filters:
        sides.append((sides[-1] + 1) // 2)
    maps = sum(f * s * s for f, s in zip(filters, sides[1:], strict=True))
    values = channels * side * side + maps
    return MemoryNeed(
        settings,
        f"a training step of the conv autoencoder on {batch:,} images of {channels}x{side}x{side}",
        4 * CONV_SAVED_PER_ACTIVATION * batch * values,
    )


def check_memory(config: Any) -> None:
    """Refuse settings whose largest step would not fit in this machine's memory, before
    anything is written, naming the settings and the estimate (``config.memory_needs()``)."""
    from latentatlas._env import memory_bytes

    available = memory_bytes()
    for need in getattr(config, "memory_needs", lambda: ())():
        if need.needed > available:
            raise InputError(
                f"{need.what} needs about {need.needed / 2**30:,.1f} GiB (set by "
                f"{need.settings}), more than this machine's {available / 2**30:,.1f} GiB; "
                f"choose smaller {need.settings}"
            )


def setting(
    default: Any,
    help: str,
    *,
    check: Constraint | None = None,
    cli: str | None = None,
    parse: Callable[[str], Any] | None = None,
    metavar: str | None = None,
) -> Any:
    """Declare one study setting.

    Parameters
    ----------
    default : Any
        The default value (the source's setting where it has one).
    help : str
        One line for ``--help``.
    check : Interval, OneOf or Each, optional
        The setting's bounds, checked by :meth:`StudyConfig.__post_init__` before anything is
        written; None passes only where the setting's type admits it (``int | None``).
    cli : str, optional
        The option's name on the command line without ``--`` (default: the field name with
        dashes); an empty string hides the setting from the command line.
    parse : callable, optional
        Turns the command-line text into the value; by default it is read from the field's type
        (int, float, str, bool, comma-separated tuples of those).
    metavar : str, optional
        What ``--help`` shows as the value, e.g. ``"2,3,5"``.
    """
    metadata = {"help": help, "check": check, "cli": cli, "parse": parse, "metavar": metavar}
    if isinstance(default, list | dict | set):
        raise TypeError("study settings must be immutable: use a tuple")
    return dataclasses.field(default=default, metadata=metadata)


@functools.cache
def _optional_fields(cls: type) -> frozenset[str]:
    """The settings of ``cls`` whose type admits None (``int | None``): None is theirs to take."""
    hints = typing.get_type_hints(cls)
    return frozenset(
        name
        for name, kind in hints.items()
        if typing.get_origin(kind) in (types.UnionType, typing.Union)
        and type(None) in typing.get_args(kind)
    )


def redefault(base: type, name: str, default: Any) -> Any:
    """The setting ``name`` of ``base`` (help and bounds) with another default, for a study
    whose source trains otherwise (e.g. 3 seeds instead of 5)."""
    field = base.__dataclass_fields__[name]  # type: ignore[attr-defined]
    return dataclasses.field(default=default, metadata=field.metadata)


@dataclasses.dataclass(frozen=True)
class CliOption:
    """One command-line option of a study: its flag, help text, field and parser."""

    field: str
    flag: str
    help: str
    metavar: str
    parse: Callable[[str], Any]
    is_flag: bool = False


class StudyConfig:
    """Base of every study's frozen settings dataclass.

    Subclasses set ``QUICK`` (the overrides of ``--quick``), declare each setting's bounds with
    ``setting(check=...)`` and put what relates two settings in :meth:`check_relations`. Every
    failure is an :class:`InputError` of one sentence.
    """

    QUICK: ClassVar[Mapping[str, Any]] = {}

    def __post_init__(self) -> None:
        optional = _optional_fields(type(self))
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            constraint = field.metadata.get("check")
            value = getattr(self, field.name)
            if constraint is not None and not (value is None and field.name in optional):
                constraint.check(field.name, value)
        self.check_relations()

    def check_relations(self) -> None:
        """Checks that relate several settings (none by default)."""

    def memory_needs(self) -> tuple[MemoryNeed, ...]:
        """The memory of the study's largest steps, estimated from the settings (see
        :func:`check_memory`; none by default)."""
        return ()

    @classmethod
    def quick(cls, **overrides: Any) -> Any:
        """The settings of ``--quick``, with ``overrides`` applied on top."""
        return cls(**{**cls.QUICK, **overrides})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings (tuples become lists)."""
        return _jsonable(dataclasses.asdict(self))  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: Any) -> Any:
        """Rebuild settings from :meth:`to_dict`; an unknown key is an error naming it."""
        if not isinstance(data, Mapping):
            raise InputError(f"study settings must be a JSON object, got {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(
                f"study setting {unknown[0]!r} is not a setting of {cls.__name__}; "
                f"known settings are {', '.join(sorted(known))}"
            )
        try:
            return cls(**{key: _coerce(hints[key], value) for key, value in data.items()})
        except (TypeError, ValueError) as error:
            if isinstance(error, InputError):
                raise
            raise InputError(f"study settings do not fit {cls.__name__}: {error}") from None

    @classmethod
    def cli_options(cls) -> list[CliOption]:
        """The command-line options of this study, one per setting not hidden with ``cli=""``."""
        hints = typing.get_type_hints(cls)
        options = []
        for field in dataclasses.fields(cls):  # type: ignore[arg-type]
            meta = field.metadata
            if meta.get("cli") == "":
                continue
            flag = "--" + (meta.get("cli") or field.name.replace("_", "-"))
            repeats = getattr(meta.get("check"), "allow_repeats", False)
            parse = meta.get("parse") or _parser_for(hints[field.name], flag, not repeats)
            is_flag = hints[field.name] is bool and field.default is False
            default = _show(field.default)
            quick = cls.QUICK.get(field.name)
            shown = default if quick is None else f"{default}; quick: {_show(quick)}"
            options.append(
                CliOption(
                    field=field.name,
                    flag=flag,
                    help=f"{meta.get('help', '')} (default: {shown})",
                    metavar=meta.get("metavar") or _metavar(hints[field.name]),
                    parse=parse,
                    is_flag=is_flag,
                )
            )
        return options

    @classmethod
    def from_cli(cls, texts: Mapping[str, str | bool | None], quick: bool = False) -> Any:
        """Settings from command-line texts keyed by field; None keeps the (quick) default.

        A flag (a bool setting whose default is False) arrives as True or False, not as text.
        """
        values: dict[str, Any] = {}
        for option in cls.cli_options():
            text = texts.get(option.field)
            if option.is_flag:
                if text:
                    values[option.field] = True
            elif text is not None:
                values[option.field] = option.parse(str(text))
        return cls.quick(**values) if quick else cls(**values)


@dataclasses.dataclass(frozen=True)
class TrainingSettings(StudyConfig):
    """The training block every study shares, declared once with its bounds.

    A study subclasses this and changes a default with :func:`redefault` where its source
    trains otherwise; :meth:`train_config` gives the runs' :class:`~latentatlas.config.TrainConfig`.
    ``LR_SCHEDULE`` is the study's fixed schedule (the heatmaps source halves on plateaus).
    """

    LR_SCHEDULE: ClassVar[str] = "none"

    seeds: int = setting(5, "Training seeds per model.", check=Interval(int, 1, MAX_SEEDS))
    epochs: int = setting(100, "Maximum epochs.", check=Interval(int, 1, MAX_EPOCHS))
    batch_size: int = setting(128, "Samples per gradient step.", check=Interval(int, 1, 1_000_000))
    lr: float | None = setting(
        None,
        "Adam learning rate (none: the model's default).",
        check=Interval(float, 0.0, 10.0, closed="right"),
    )
    weight_decay: float = setting(1e-6, "Adam weight decay.", check=Interval(float, 0.0, 1.0))
    patience: int = setting(
        10, "Early-stopping patience in epochs.", check=Interval(int, 1, MAX_EPOCHS)
    )
    validation_fraction: float = setting(
        0.2, "Share held out for every metric.", check=Interval(float, 0.0, 1.0, "neither")
    )
    split_seed: int = setting(
        0, "Seed of the train/validation split.", check=Interval(int, 0, MAX_SPLIT_SEED)
    )
    device: str = setting("auto", "auto, cpu or cuda.", check=OneOf(DEVICES))
    # A user's model in a slot (see latentatlas.studies.slots); the CLI's --model-file and
    # --weights are repeatable, so they are added by the study command, not generated here.
    model_files: tuple[str, ...] = setting(
        (), "NAME=package.module:function, NAME=file.py:function or NAME=TorchScript file.", cli=""
    )
    weights: tuple[str, ...] = setting((), "NAME=weights file of a --model-file factory.", cli="")
    fingerprints: tuple[str, ...] = setting((), "path=sha256 of every slot file.", cli="")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.model_files or self.weights:
            from latentatlas.studies.slots import settle

            settle(self)

    def training_text(self) -> str:
        """The training block in one line, as a report's methods give it."""
        lr = "the model's default" if self.lr is None else f"{self.lr:g}"
        plateaus = ", learning rate halved on plateaus" if self.LR_SCHEDULE == "plateau" else ""
        return (
            f"Adam, lr {lr}, weight decay {self.weight_decay:g}, batch {self.batch_size}, up to "
            f"{self.epochs} epochs, patience {self.patience}{plateaus}, "
            f"{self.validation_fraction:.0%} held out (split seed {self.split_seed})"
        )

    def train_config(self) -> Any:
        """The :class:`~latentatlas.config.TrainConfig` of every run of the study."""
        from latentatlas.config import TrainConfig

        return TrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            weight_decay=self.weight_decay,
            patience=self.patience,
            lr_schedule=self.LR_SCHEDULE,  # type: ignore[arg-type]
            validation_fraction=self.validation_fraction,
            split_seed=self.split_seed,
            device=self.device,  # type: ignore[arg-type]
        )


def parse_ints(text: str, flag: str, unique: bool = True) -> tuple[int, ...]:
    """``"2,3,5"`` -> ``(2, 3, 5)``; anything else is an error naming ``flag``.

    A value given twice is an error unless ``unique`` is False (layer widths such as 4,4,4,4).
    """
    return parse_numbers(text, flag, int, unique)


#: How an error names the numbers of each kind: (several, with an example; one).
_NUMBER_WORDS = {
    int: ("integers such as 2,3,5", "integer"),
    float: ("numbers such as 1,4", "number"),
}


def parse_numbers(text: str, flag: str, kind: type = float, unique: bool = True) -> tuple[Any, ...]:
    """``"1,4"`` -> ``(1.0, 4.0)`` (``kind`` int: integers); anything else is an error naming
    ``flag``, and so is a value given twice unless ``unique`` is False."""
    several, one = _NUMBER_WORDS[kind]
    try:
        values = tuple(kind(item) for item in text.split(",") if item.strip())
    except ValueError:
        raise InputError(f"{flag} takes comma-separated {several}, got {text!r}") from None
    if not values:
        raise InputError(f"{flag} is empty; give at least one {one}")
    return no_duplicates(values, flag) if unique else values


def parse_words(text: str, flag: str) -> tuple[str, ...]:
    """``"tanh, relu"`` -> ``("tanh", "relu")``."""
    values = tuple(item.strip() for item in text.split(",") if item.strip())
    if not values:
        raise InputError(f"{flag} is empty; give at least one value")
    return no_duplicates(values, flag)


def no_duplicates(
    values: tuple[Any, ...], flag: str, key: Callable[[Any], Any] = lambda value: value
) -> tuple[Any, ...]:
    """Return ``values`` unchanged, or refuse the first one listed twice (by ``key``).

    A repeated value would train and analyse the same cell twice and count it twice in every
    summary, so it is an error rather than silently dropped.
    """
    seen: dict[Any, Any] = {}
    for value in values:
        if key(value) in seen:
            first = seen[key(value)]
            again = "" if first == value else f" (as {_shown(first)} and {_shown(value)})"
            raise InputError(f"{flag} lists {_shown(first)} twice{again}; give each value once")
        seen[key(value)] = value
    return values


def _shown(value: Any) -> str:
    return "-".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _parser_for(kind: Any, flag: str, unique: bool = True) -> Callable[[str], Any]:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (types.UnionType, typing.Union):
        inner = _parser_for(next(a for a in args if a is not type(None)), flag, unique)
        return lambda text: None if text.strip().lower() in ("", "none") else inner(text)
    if origin is tuple and args and args[0] in (int, float):
        return lambda text: parse_numbers(text, flag, args[0], unique)
    if origin is tuple and args and args[0] is str:
        return lambda text: parse_words(text, flag)
    if kind is bool:
        return lambda text: _parse_bool(text, flag)
    if kind in (int, float):
        return lambda text: _parse_number(kind, text, flag)
    return lambda text: text


def _parse_number(kind: type, text: str, flag: str) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise InputError(
            f"{flag} takes {'an integer' if kind is int else 'a number'}, got {text!r}"
        ) from None


def _parse_bool(text: str, flag: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise InputError(f"{flag} takes true or false, got {text!r}")


def _metavar(kind: Any) -> str:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (types.UnionType, typing.Union):
        return _metavar(next(a for a in args if a is not type(None)))
    if origin is tuple:
        return "A,B,..."
    return {int: "INT", float: "FLOAT", bool: "BOOL"}.get(kind, "TEXT")


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(_show(v) for v in value) if value else "none"
    return str(value)


def _coerce(kind: Any, value: Any) -> Any:
    """JSON lists back into (nested) tuples where the field is a tuple."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if value is None:
        return None
    if origin in (types.UnionType, typing.Union):
        options = [a for a in args if a is not type(None)]
        return _coerce(options[0], value) if len(options) == 1 else value
    if origin is tuple and isinstance(value, list | tuple):
        inner = args[0] if args else Any
        return tuple(_coerce(inner, v) for v in value)
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def mnist_folder() -> Any:
    """The ``data_dir`` setting of a study that reads MNIST, declared once for every study."""
    return setting(
        None, "Folder with the full MNIST (IDX or mnist.npz); default: the embedded subset."
    )
