"""``latentatlas study NAME``, ``study --list`` and ``report DIR``: whole investigations.

One command per registered study, its options generated from the study's ``Config`` (each
setting's help text and default come from the dataclass), so a new study gets its command by
registering itself in ``latentatlas.studies.engine.STUDIES``.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from latentatlas.cli._app import app, console, progress_lines, user_errors
from latentatlas.errors import InputError

study_app = typer.Typer(
    help="Run one of the source documents' investigations end to end.",
    invoke_without_command=True,
)
app.add_typer(study_app, name="study")


@study_app.callback()
def study_main(
    ctx: typer.Context,
    list_studies: bool = typer.Option(False, "--list", help="List the studies and exit."),
) -> None:
    """Run a study: train its models over seeds, analyse, judge its source's claims, report."""
    if ctx.invoked_subcommand is not None:
        return
    if not list_studies:
        console.print(ctx.get_help())
        raise typer.Exit(0)
    from latentatlas.studies import engine

    table = Table(title="Studies (latentatlas study NAME --help)")
    for column in ("name", "question", "after"):
        table.add_column(column, overflow="fold")
    for name in engine.names():
        study = engine.get(name)
        table.add_row(name, study.question, getattr(study, "citation", study.source))
    console.print(table)


def _engine_parameters() -> list[inspect.Parameter]:
    """The options every study command has, beside its own settings."""
    options = {
        "out": typer.Option(None, help="Study folder, created (default: atlas/NAME)."),
        "quick": typer.Option(False, "--quick", help="Small settings for a fast look."),
        "force": typer.Option(False, "--force", help="Retrain and re-analyse everything."),
        "jobs": typer.Option(
            None, help="Training processes, one torch thread each (default: the core count)."
        ),
        "quiet": typer.Option(False, "--quiet", help="No progress output."),
        "executor": typer.Option(
            "local", help="local (processes on this machine) or ray (one Ray task per run)."
        ),
        "address": typer.Option(None, help="A Ray cluster's address (with --executor ray)."),
    }
    kinds = {
        "out": Path | None,
        "quick": bool,
        "force": bool,
        "jobs": int | None,
        "quiet": bool,
        "executor": str,
        "address": str | None,
    }
    return [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kinds[name]
        )
        for name, default in options.items()
    ]


def _register(name: str) -> None:
    """Add ``latentatlas study NAME`` with one option per setting of the study's Config."""
    from latentatlas.studies import engine

    study = engine.get(name)
    settings = study.config_type.cli_options()
    parameters = [
        inspect.Parameter(
            option.field,
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(False, option.flag, help=option.help)
            if option.is_flag
            else typer.Option(None, option.flag, help=option.help, metavar=option.metavar),
            annotation=bool if option.is_flag else str | None,
        )
        for option in settings
    ]

    slotted = _has_slots(study.config_type)
    if slotted:
        parameters += _slot_parameters()

    def command(**values: Any) -> None:
        texts = {option.field: values.pop(option.field) for option in settings}
        config = study.config_type.from_cli(texts, quick=values["quick"])
        if slotted and (values["model_file"] or values["weights"]):
            config = dataclasses.replace(
                config, model_files=tuple(values["model_file"]), weights=tuple(values["weights"])
            )
        out = values["out"] if values["out"] is not None else Path("atlas") / name
        _run(
            name,
            config,
            out,
            force=values["force"],
            jobs=values["jobs"],
            quiet=values["quiet"],
            executor=values["executor"],
            address=values["address"],
        )

    command.__signature__ = inspect.Signature(parameters + _engine_parameters())  # type: ignore[attr-defined]
    command.__doc__ = f"{study.question} (after {getattr(study, 'citation', study.source)})"
    study_app.command(name)(user_errors(command))


def _has_slots(config_type: type) -> bool:
    """Whether a study's settings take a user's model in a slot (the training block's
    ``model_files``)."""
    return "model_files" in getattr(config_type, "__dataclass_fields__", {})


def _slot_parameters() -> list[inspect.Parameter]:
    """``--model-file NAME=...`` and ``--weights NAME=...``, each repeatable."""
    options = {
        "model_file": typer.Option(
            [],
            "--model-file",
            help="Your model in the slot NAME (a model key of the study, e.g. conv-ae): "
            "NAME=package.module:function, NAME=file.py:function or NAME=scripted.pt "
            "(TorchScript; repeat per seed). See docs/studies.md, 'Your model in a slot'.",
            metavar="NAME=MODEL",
        ),
        "weights": typer.Option(
            [],
            "--weights",
            help="Weights of the factory in slot NAME (.safetensors or .pt, read with "
            "weights_only); repeat once per seed; without them the factory is trained.",
            metavar="NAME=FILE",
        ),
    }
    return [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=list[str]
        )
        for name, default in options.items()
    ]


def _run(
    name: str,
    config: Any,
    out: Path,
    *,
    force: bool,
    jobs: int | None,
    quiet: bool,
    executor: str = "local",
    address: str | None = None,
) -> None:
    from latentatlas.executors import make_executor
    from latentatlas.studies import engine

    if jobs is not None and jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {jobs}")
    step = progress_lines(quiet)

    chosen = make_executor(executor, jobs or os.cpu_count() or 1, address)
    try:
        report = engine.run(
            name, config, out, force=force, executor=chosen, progress=not quiet, on_step=step
        )
    finally:
        getattr(chosen, "shutdown", lambda: None)()
    console.print(f"report: {report.resolve()}", soft_wrap=True)
    console.print(f"metrics: {(out / 'metrics.json').resolve()}", soft_wrap=True)


def _register_all() -> None:
    from latentatlas.studies.engine import names

    for name in names():
        _register(name)


_register_all()


@app.command("report")
@user_errors
def report(
    folder: Path = typer.Argument(
        ..., help="A study folder (`latentatlas study`) or an atlas folder (`latentatlas atlas`)."
    ),
) -> None:
    """Redraw a study's report.html, or every study's and the index of an atlas, from the stored
    results, without recomputing.

    A study whose files do not match their manifests is refused with the command that
    recomputes what is damaged (`latentatlas check FOLDER` lists all of it).
    """
    from latentatlas.studies import atlas
    from latentatlas.studies.engine import write_report

    if (folder / "study.json").is_file() or not folder.is_dir():
        console.print(f"report: {write_report(folder)}", soft_wrap=True)
        return
    if atlas.study_folders(folder):
        for path in atlas.redraw(folder):
            kind = "atlas" if path.name == "index.html" else "report"
            console.print(f"{kind}: {path}", soft_wrap=True)
        return
    _refuse_runs(folder)
    write_report(folder)  # says what the folder lacks


def _refuse_runs(folder: Path) -> None:
    """Refuse a folder of runs (``latentatlas train``'s output) with the command that maps them."""
    import shlex

    from latentatlas.runs import find_runs

    found = find_runs(folder)
    if found:
        runs = " ".join(f"--run {shlex.quote(str(path))}" for path in found)
        raise InputError(
            f"{folder} holds {len(found)} run(s) of `latentatlas train`, not a study, so it has "
            f"no report to redraw; map them with `latentatlas inspect {runs} "
            f"--out {shlex.quote(str(folder / 'inspect'))}`"
        )


@app.command("atlas")
@user_errors
def atlas(
    out: Path = typer.Option(Path("atlas"), help="Atlas folder: one folder per study, index.html."),
    studies: str | None = typer.Option(
        None, help="Studies to run, e.g. digit-pairs (default: all)."
    ),
    quick: bool = typer.Option(False, "--quick", help="Each study's quick settings (make demo)."),
    force: bool = typer.Option(False, "--force", help="Retrain and re-analyse every study."),
    jobs: int | None = typer.Option(
        None, help="Training processes, one torch thread each (default: the core count)."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Estimate the time on this machine (a few timed training steps per model) and "
        "exit without training or writing anything.",
    ),
) -> None:
    """Run every study and write one index page with their verdicts (the main job)."""
    from latentatlas.studies.atlas import run_atlas
    from latentatlas.studies.config import parse_words

    if jobs is not None and jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {jobs}")
    names = None if studies is None else parse_words(studies, "--studies")
    if dry_run:
        _print_estimate(names, quick, jobs or os.cpu_count() or 1)
        return
    step = progress_lines(quiet)

    index = run_atlas(
        out,
        names=names,
        quick=quick,
        force=force,
        jobs=jobs or os.cpu_count() or 1,
        progress=not quiet,
        on_step=step,
    )
    console.print(f"atlas: {index.resolve()}", soft_wrap=True)


def _print_estimate(names: list[str] | None, quick: bool, jobs: int) -> None:
    """Print :func:`~latentatlas.studies.estimate.estimate_atlas` as one table per study."""
    from latentatlas.studies.estimate import estimate_atlas

    estimate = estimate_atlas(names, quick=quick, jobs=jobs)
    for study in estimate.studies:
        table = Table(title=f"{study.name}: about {_minutes(study.seconds)}")
        for column in ("stage", "runs", "epochs", "steps x s/step", "s/epoch", "wall"):
            table.add_column(column, justify="left" if column == "stage" else "right")
        table.add_row("data", "", "", "", "", _minutes(study.data_seconds))
        for run in study.runs:
            table.add_row(
                f"train {run.model} on {run.data}",
                str(run.runs),
                str(run.epochs),
                f"{run.steps_per_epoch} x {run.step_seconds:.3f}",
                f"{run.epoch_seconds:.1f}",
                f"{_minutes(run.run_seconds * run.runs)} CPU",
            )
        table.add_row(
            "training (over the workers)", "", "", "", "", _minutes(study.training_seconds)
        )
        table.add_row("analyses and report", "", "", "", "", _minutes(study.analysis_seconds))
        console.print(table)
    console.print(
        f"atlas: about {_minutes(estimate.seconds)} with --jobs {estimate.jobs} on "
        f"{estimate.cores} cores (epochs at their maxima: early stopping only shortens it; "
        f"worker start-up {estimate.startup_seconds:.1f} s, one-thread matmul "
        f"{estimate.matmul_gflops:.0f} GFLOP/s, measured in {estimate.measured_seconds:.0f} s "
        "under the machine's present load)"
    )


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
