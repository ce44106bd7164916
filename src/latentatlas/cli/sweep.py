"""``latentatlas sweep SPEC.toml --out DIR``: train a grid of runs, tabulate and report them."""

from __future__ import annotations

from pathlib import Path

import typer

from latentatlas.cli._app import app, console, fail, progress_lines, user_errors


@app.command("sweep")
@user_errors
def sweep(
    spec: Path = typer.Argument(..., help="A TOML sweep spec (see docs/sweeps.md)."),
    out: Path = typer.Option(..., help="Sweep folder, created; started again it resumes."),
    executor: str = typer.Option(
        "local", help="local (a process pool) or ray (one Ray task per run)."
    ),
    address: str | None = typer.Option(
        None, help="A Ray cluster's address (with --executor ray); none starts a local Ray."
    ),
    jobs: int | None = typer.Option(
        None,
        help="Local training processes, or the CPUs of a local Ray (default: the core count); "
        "a cluster's size is its own.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Train every run again, even finished or damaged ones."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
) -> None:
    """Train every combination of a spec's options, analyse each run, write a table and a report.

    A sweep is a study on the engine: finished runs are kept (runs are keyed by their options),
    so a sweep started again resumes and a new seed trains only its runs. A failed run is tried
    once more, then listed.
    """
    from latentatlas.executors import make_executor
    from latentatlas.studies.sweep import read_spec, run_sweep

    step = progress_lines(quiet)
    chosen = make_executor(executor, jobs, address)
    parsed = read_spec(spec)

    try:
        outcome = run_sweep(parsed, out, executor=chosen, force=force, on_step=step)
    finally:
        shutdown = getattr(chosen, "shutdown", None)
        if shutdown is not None:
            shutdown()
    console.print(f"table: {(out / 'results.parquet').resolve()} (and results.csv)", soft_wrap=True)
    console.print(f"report: {outcome.report.resolve()}", soft_wrap=True)
    if outcome.failures:
        for folder, error in outcome.failures.items():
            console.print(f"[red]failed[/] {folder}: {error}", soft_wrap=True, highlight=False)
        raise fail(
            f"{len(outcome.failures)} of {len(outcome.rows)} runs failed twice (listed above and "
            "in results.csv); the others finished",
            code=1,
        )
