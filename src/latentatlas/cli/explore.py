"""``latentatlas explore DIR``: serve the explorer for a run, a study or the atlas on 127.0.0.1."""

from __future__ import annotations

import socket
from pathlib import Path

import typer

from latentatlas.cli._app import app, console, user_errors
from latentatlas.errors import InputError

HOST = "127.0.0.1"


@app.command("explore")
@user_errors
def explore(
    folder: Path = typer.Argument(..., help="A run, a study or the atlas folder."),
    port: int | None = typer.Option(None, help="Port on 127.0.0.1 (default: a free one)."),
    open_browser: bool = typer.Option(False, "--open", help="Open the page in a web browser."),
) -> None:
    """Look around latent spaces in a local web app: the cloud, decodes, paths, sliders."""
    # fastapi, uvicorn and torch load here, not when the CLI starts (`latentatlas --help`).
    import uvicorn

    from latentatlas.explorer.app import create_app

    if port is not None and not 1 <= port <= 65535:
        raise InputError(f"--port must be between 1 and 65535, got {port}")
    application = create_app(folder)
    listener = loopback_listener(port)
    url = f"http://{HOST}:{listener.getsockname()[1]}/"
    console.print(f"explorer of {Path(folder).resolve()} at [bold]{url}[/] (Ctrl+C stops it)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)  # the socket already listens: the browser's request waits for it
    server = uvicorn.Server(uvicorn.Config(application, log_level="warning"))
    try:
        server.run(sockets=[listener])
    finally:
        listener.close()


def loopback_listener(port: int | None) -> socket.socket:
    """A listening socket on 127.0.0.1: ``port``, or a free one the system picks."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Accepted connections inherit this: without it a kept-alive connection waits ~40 ms per
    # answer (Nagle's algorithm against the browser's delayed acknowledgement), which asyncio
    # does not switch off for a socket handed to it.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        listener.bind((HOST, port or 0))
    except OSError as error:
        listener.close()
        raise InputError(
            f"port {port} on {HOST} cannot be used ({error.strerror}); choose another --port "
            "or leave it out for a free one"
        ) from None
    listener.listen(64)
    return listener
