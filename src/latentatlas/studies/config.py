"""Study settings as validated, frozen data: JSON round trips, ``--quick`` and command-line options.

A study's ``Config`` is a frozen dataclass that subclasses :class:`StudyConfig` and declares its
fields with :func:`setting`, which carries the help text and, where needed, a parser for the
command-line text. From that one declaration come the stored ``study.json`` (unknown keys are an
error naming the key), ``--quick`` (the ``QUICK`` overrides) and every ``latentatlas study NAME``
option with its help. This module imports no torch, so the CLI stays fast to start.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from latentatlas.errors import InputError

#: Most training seeds a study takes: planning and training grow with every seed, and a mistyped
#: count (``--seeds 1000000000``) would otherwise hang while the runs are planned. Raise it from
#: Python where a study truly needs more.
MAX_SEEDS = 1_000


def setting(
    default: Any,
    help: str,
    *,
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
    cli : str, optional
        The option's name on the command line without ``--`` (default: the field name with
        dashes); an empty string hides the setting from the command line.
    parse : callable, optional
        Turns the command-line text into the value; by default it is read from the field's type
        (int, float, str, bool, comma-separated tuples of those).
    metavar : str, optional
        What ``--help`` shows as the value, e.g. ``"2,3,5"``.
    """
    metadata = {"help": help, "cli": cli, "parse": parse, "metavar": metavar}
    if isinstance(default, list | dict | set):
        raise TypeError("study settings must be immutable: use a tuple")
    return dataclasses.field(default=default, metadata=metadata)


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

    Subclasses set ``QUICK`` (the overrides of ``--quick``) and validate in ``__post_init__``,
    raising :class:`InputError` with one sentence.
    """

    QUICK: ClassVar[Mapping[str, Any]] = {}

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
            parse = meta.get("parse") or _parser_for(hints[field.name], flag)
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


def check_seeds(seeds: Any) -> None:
    """Refuse more than :data:`MAX_SEEDS` training seeds, before anything is planned or written."""
    if isinstance(seeds, int) and not isinstance(seeds, bool) and seeds > MAX_SEEDS:
        raise InputError(
            f"seeds must be at most {MAX_SEEDS:,}, got {seeds:,}; each seed trains every model "
            "again, so if you truly need more, raise latentatlas.studies.config.MAX_SEEDS "
            "from Python"
        )


def parse_ints(text: str, flag: str) -> tuple[int, ...]:
    """``"2,3,5"`` -> ``(2, 3, 5)``; anything else is an error naming ``flag``."""
    try:
        values = tuple(int(item) for item in text.split(",") if item.strip())
    except ValueError:
        raise InputError(
            f"{flag} takes comma-separated integers such as 2,3,5, got {text!r}"
        ) from None
    if not values:
        raise InputError(f"{flag} is empty; give at least one integer")
    return no_duplicates(values, flag)


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


def _parser_for(kind: Any, flag: str) -> Callable[[str], Any]:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (types.UnionType, typing.Union):
        inner = _parser_for(next(a for a in args if a is not type(None)), flag)
        return lambda text: None if text.strip().lower() in ("", "none") else inner(text)
    if origin is tuple and args and args[0] is int:
        return lambda text: parse_ints(text, flag)
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
