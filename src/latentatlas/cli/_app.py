"""The Typer application object and the one place where errors become exit codes."""

from __future__ import annotations

import functools
import json
import time
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import typer
import typer.core
from rich.console import Console

from latentatlas.errors import InputError

app = typer.Typer(
    name="latentatlas",
    help="Train autoencoders and map the structure of their latent spaces.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def _declared_metavar(self: Any, ctx: Any) -> str | None:
    """The value column of ``--help``: an option's own metavar (``A,B,...``) or nothing.

    Typer's default names Python types (``<bool>`` for a flag, ``<int>``, ``<list[str]>``):
    noise that takes a quarter of an 80-column help box; each help text says what it takes.
    """
    return None if isinstance(self, typer.core.TyperArgument) else self.metavar


for _kind in ("_TyperParameter", "TyperOption"):  # Typer >= 0.20 shows the types; older ones don't
    if hasattr(getattr(typer.core, _kind, None), "display_type_rich"):
        getattr(typer.core, _kind).display_type_rich = _declared_metavar

F = TypeVar("F", bound=Callable[..., Any])


def _print_version(value: bool) -> None:
    if value:
        from latentatlas._env import package_version

        console.print(f"latentatlas {package_version()}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        callback=_print_version,
        is_eager=True,
    ),
) -> None:
    """Train autoencoders and map the structure of their latent spaces."""


def _show_warning(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
    """Warnings on the command line are one yellow sentence, not a source line and a path."""
    err_console.print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)


warnings.showwarning = _show_warning


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``message`` as one red sentence on stderr and return the exit to raise.

    Exit code 2 is bad input; 1 is a failure of the work itself (a training that diverged).
    """
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=code)


def parse_key_values(pairs: list[str], flag: str, typed: bool = False) -> dict[str, Any]:
    """Turn ``KEY=VALUE`` strings into a dict; ``typed`` reads values as JSON where they parse.

    Untyped values stay text for the loaders to parse (``digits=1,2``); typed ones become
    numbers, booleans or lists where they are valid JSON and stay text otherwise (``relu``).
    """
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{flag} {pair!r} must look like KEY=VALUE")
        value = value.strip()
        if typed:
            try:
                value = json.loads(value)
            except ValueError:
                pass  # a plain word such as relu, or a list like 128,32 that the model parses
        options[key.strip()] = value
    return options


def progress_lines(quiet: bool) -> Callable[[str], None]:
    """A printer of progress lines stamped with the seconds since it was made (silent if quiet)."""
    start = time.perf_counter()

    def step(message: str) -> None:
        if not quiet:
            elapsed = time.perf_counter() - start
            console.print(f"[dim]{elapsed:6.1f}s[/] {message}", soft_wrap=True, highlight=False)

    return step


def user_errors(fn: F) -> F:
    """Turn :class:`InputError` raised inside a command into one sentence and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as error:
            raise fail(str(error)) from None

    return wrapper  # type: ignore[return-value]
