"""``latentatlas inspect``: map a model from anywhere (factory, TorchScript, run or codes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from latentatlas.cli._app import app, console, progress_lines, user_errors


@app.command("inspect")
@user_errors
def inspect(
    model: str | None = typer.Option(
        None, "--model", help="Factory package.module:function or path/file.py:function."
    ),
    weights: list[str] = typer.Option(
        [], "--weights", help="Weights of --model (.safetensors or .pt); repeat once per seed."
    ),
    torchscript: list[str] = typer.Option(
        [], "--torchscript", help="TorchScript file exporting encode and decode; repeat per seed."
    ),
    codes: list[str] = typer.Option(
        [], "--codes", help="Codes file (.npz, .npy, .parquet), no decoder; repeat per seed."
    ),
    run: list[str] = typer.Option(
        [], "--run", help="A latentatlas run directory; repeat once per seed."
    ),
    dataset: str | None = typer.Option(
        None, help="Data set (see `latentatlas datasets`); a --run's own by default."
    ),
    digits: str | None = typer.Option(None, help="Digits of --dataset mnist, e.g. 1,2."),
    path: str | None = typer.Option(None, help="File or folder of --dataset arrays or images."),
    data_dir: str | None = typer.Option(None, help="Folder with the full MNIST."),
    data_option: list[str] = typer.Option(
        [], "--data-option", "-o", help="Other data set option KEY=VALUE (e.g. size=64)."
    ),
    n: int | None = typer.Option(None, help="Analyse a seeded subsample of this many rows."),
    device: str = typer.Option("auto", help="auto (CUDA when available), cpu or cuda."),
    tsne_points: int | None = typer.Option(None, help="Codes mapped by t-SNE (default 2000)."),
    quick: bool = typer.Option(False, "--quick", help="Small settings for a fast look."),
    out: Path = typer.Option(Path("inspect"), help="Study folder, created."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
) -> None:
    """Map a model trained elsewhere with every analysis its model and data allow."""
    from latentatlas.studies.config import parse_ints
    from latentatlas.studies.inspect.api import run as run_inspect
    from latentatlas.studies.inspect.config import InspectConfig, absolute_paths
    from latentatlas.studies.inspect.study import InspectStudy

    values: dict[str, Any] = {
        "model": model,
        "weights": tuple(weights),
        "torchscript": tuple(torchscript),
        "codes": tuple(codes),
        "runs": tuple(run),
        "dataset": dataset,
        "digits": None if digits is None else parse_ints(digits, "--digits"),
        "path": path,
        "data_dir": data_dir,
        "data_options": tuple(data_option),
        "n": n,
        "device": device,
        "tsne_points": tsne_points,
    }
    values = absolute_paths({k: v for k, v in values.items() if v is not None})
    config = InspectConfig.quick(**values) if quick else InspectConfig(**values)
    step = progress_lines(quiet)
    report = run_inspect(InspectStudy(), config, out, progress=not quiet, on_step=step)
    _print_steps(out)
    console.print(f"report: {report.resolve()}", soft_wrap=True)
    console.print(f"metrics: {(out / 'metrics.json').resolve()}", soft_wrap=True)


def _print_steps(out: Path) -> None:
    from latentatlas.studies.engine import load

    results = load(out)
    result = results.results[results.cells[0].key]
    table = Table(title="What ran")
    for column in ("analysis", "ran", "why"):
        table.add_column(column, overflow="fold")
    for step in result.steps:
        table.add_row(step.name, "yes" if step.ran else "[yellow]no[/]", step.why)
    console.print(table)
