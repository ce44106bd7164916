"""The Typer application object and the one place where errors become exit codes."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import typer
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

F = TypeVar("F", bound=Callable[..., Any])


def _show_warning(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
    """Warnings on the command line are one yellow sentence, not a source line and a path."""
    err_console.print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)


warnings.showwarning = _show_warning


def fail(message: str) -> typer.Exit:
    """Print ``message`` as one red sentence on stderr and return the exit (code 2) to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def user_errors(fn: F) -> F:
    """Turn :class:`InputError` raised inside a command into one sentence and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as error:
            raise fail(str(error)) from None

    return wrapper  # type: ignore[return-value]
