"""CLI commands ``models``, ``models count``, ``train`` and ``runs list``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from latentatlas.cli._app import app, console, fail, parse_key_values, user_errors
from latentatlas.errors import InputError

models_app = typer.Typer(help="List the models and their options; count their parameters.")
runs_app = typer.Typer(help="Inspect run directories.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(runs_app, name="runs")


# -- models ---------------------------------------------------------------------------------------
@models_app.callback(invoke_without_command=True)
@user_errors
def models_list(ctx: typer.Context) -> None:
    """List every model with its options and their defaults."""
    if ctx.invoked_subcommand is not None:
        return
    from rich import box

    from latentatlas.models import describe

    table = Table(title="Models (latentatlas train --model NAME)", box=box.SIMPLE_HEAD)
    table.add_column("name", no_wrap=True)
    table.add_column("what it is", ratio=3)
    table.add_column("options (defaults)", ratio=2)
    for info in describe():
        options = [f"{k}={_show(v)}" for k, v in info.options.items()]
        options.append("closed form" if info.closed_form else f"lr={info.default_lr:g}")
        extra = " Needs labels." if info.needs_labels else ""
        table.add_row(info.name, info.summary + "." + extra, " ".join(options))
    console.print(table)


def _show(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value)
    return str(value)


@models_app.command("count")
@user_errors
def models_count(
    name: str = typer.Argument(..., help="Model name, see `latentatlas models`."),
    input_shape: str = typer.Option("1,28,28", help="Shape of one input, e.g. 3,96,96 or 784."),
    latent_dim: int = typer.Option(2, help="Size of the code z."),
    bottleneck: int | None = typer.Option(None, help="Extra Dense layer size (conv models)."),
    option: list[str] = typer.Option([], "--option", "-m", help="Model option KEY=VALUE."),
) -> None:
    """Print encoder and decoder parameter counts and their float32 size."""
    from latentatlas.models import ParameterCount, build, count_parameters

    try:
        shape = tuple(int(part) for part in input_shape.split(",") if part.strip())
    except ValueError:
        raise InputError(f"--input-shape {input_shape!r} must be integers like 3,96,96") from None
    options = parse_key_values(option, "--option", typed=True)
    if bottleneck is not None:
        options["bottleneck"] = bottleneck
    counts = count_parameters(build(name, shape, latent_dim, **options))
    table = Table(title=f"{name}, input {'x'.join(map(str, shape))}, z={latent_dim}")
    table.add_column("part")
    table.add_column("parameters", justify="right")
    table.add_column("float32 MiB", justify="right")
    rows = [("encoder", counts.encoder), ("decoder", counts.decoder)]
    if counts.other:
        rows.append(("other (head)", counts.other))
    for part, n in [*rows, ("total", counts.total)]:
        table.add_row(part, f"{n:,}", f"{ParameterCount.mebibytes(n):.2f}")
    console.print(table)


# -- train ----------------------------------------------------------------------------------------
@app.command("train")
@user_errors
def train(
    out: Path = typer.Option(..., help="Folder for the runs: one seed-N subfolder per seed."),
    dataset: str = typer.Option("mnist", help="Data set name, see `latentatlas datasets`."),
    digits: str | None = typer.Option(None, help="MNIST digits to keep, e.g. 1,2."),
    data_dir: Path | None = typer.Option(None, help="Folder with the full data (mnist, images)."),
    path: Path | None = typer.Option(None, help="File of the `arrays` data set (.npz or .npy)."),
    data_option: list[str] = typer.Option([], "--data-option", "-o", help="KEY=VALUE, repeatable."),
    model: str = typer.Option("ae", help="Model name, see `latentatlas models`."),
    latent_dim: int = typer.Option(2, help="Size of the code z."),
    activation: str | None = typer.Option(None, help="Hidden activation (tanh, relu, ...)."),
    bottleneck: int | None = typer.Option(None, help="Extra Dense layer (conv models)."),
    model_option: list[str] = typer.Option([], "--model-option", "-m", help="KEY=VALUE."),
    seeds: int = typer.Option(1, help="Number of training seeds."),
    first_seed: int = typer.Option(0, help="The first seed; seeds are consecutive."),
    epochs: int = typer.Option(50, help="Maximum epochs."),
    batch_size: int = typer.Option(128, help="Samples per step."),
    lr: float | None = typer.Option(None, help="Learning rate (default: the model's)."),
    weight_decay: float = typer.Option(1e-6, help="Adam weight decay."),
    patience: int = typer.Option(10, help="Early-stopping patience in epochs; 0 never stops."),
    lr_schedule: str = typer.Option("none", help="none or plateau (ReduceLROnPlateau)."),
    grad_clip: float | None = typer.Option(None, help="Clip the gradient norm to this value."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    validation_fraction: float = typer.Option(0.2, help="Share held out for validation."),
    split_seed: int = typer.Option(0, help="Seed of the train/validation split."),
    jobs: int = typer.Option(1, help="Seeds trained in parallel processes."),
    resume: bool = typer.Option(
        False, "--resume", help="Keep finished runs, continue interrupted ones, train the rest."
    ),
    force: bool = typer.Option(False, "--force", "--overwrite", help="Train every run again."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train a model on a data set for several seeds; each seed becomes a run directory."""
    from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
    from latentatlas.studies.config import MAX_SEEDS

    if seeds < 1 or jobs < 1:
        raise InputError(f"--seeds and --jobs must be at least 1, got {seeds} and {jobs}")
    if seeds > MAX_SEEDS:
        raise InputError(
            f"--seeds must be at most {MAX_SEEDS:,} in one command, got {seeds:,}; to train "
            f"more, run train again into the same --out with --first-seed {first_seed + MAX_SEEDS}"
        )
    data_options = parse_key_values(data_option, "--data-option")
    for key, value in (("digits", digits), ("data_dir", data_dir), ("path", path)):
        if value is not None:
            data_options[key] = str(value)
    model_options = parse_key_values(model_option, "--model-option", typed=True)
    for key, value in (("activation", activation), ("bottleneck", bottleneck)):
        if value is not None:
            model_options[key] = value
    train_config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        weight_decay=weight_decay,
        patience=patience or None,
        lr_schedule=lr_schedule,  # type: ignore[arg-type]
        grad_clip=grad_clip,
        device=device,  # type: ignore[arg-type]
        validation_fraction=validation_fraction,
        split_seed=split_seed,
    )
    data_config = DataConfig(dataset, data_options)
    model_config = ModelConfig(model, latent_dim, model_options)
    configs = [
        RunConfig(data_config, model_config, train_config, seed)
        for seed in range(first_seed, first_seed + seeds)
    ]
    _train_runs(out, configs, jobs=jobs, quiet=quiet, resume=resume, force=force)


def _train_runs(
    out: Path, configs: list[Any], *, jobs: int, quiet: bool, resume: bool, force: bool
) -> None:
    """Train ``configs`` into ``out/seed-N``; a divergence is one sentence and exit code 1."""
    from latentatlas.executors import train_many
    from latentatlas.runs import is_complete
    from latentatlas.studies.engine import check_output_folder
    from latentatlas.train import TrainingDiverged

    check_output_folder(out)
    plan = [(config, out / f"seed-{config.seed}") for config in configs]
    existing = [path for _, path in plan if is_complete(path)]
    if existing and not (resume or force):
        raise InputError(
            f"{existing[0]} already holds a complete run; pass --resume to keep finished runs "
            "and train only the missing ones, or --force to train them all again"
        )
    created = [path for path in (out, *out.parents) if not path.exists()]
    try:
        train_many(plan, jobs=jobs, progress=not quiet, overwrite=force, on_done=console.print)
    except TrainingDiverged as error:
        _remove_empty(created)
        raise fail(str(error), code=1) from None
    except BaseException:
        _remove_empty(created)
        raise
    _print_runs(out, f"Runs in {out}")


def _remove_empty(created: list[Path]) -> None:
    """Remove the folders this command created (deepest first) where they stayed empty.

    Complete runs and a kept checkpoint stay: the error names them and --resume uses them.
    """
    for folder in created:
        try:
            folder.rmdir()
        except FileNotFoundError:
            continue
        except OSError:
            return  # not empty: it and its parents stay


# -- runs -----------------------------------------------------------------------------------------
@runs_app.command("list")
@user_errors
def runs_list(directory: Path = typer.Argument(..., help="A run or a folder of runs.")) -> None:
    """Print a table of the runs in DIRECTORY (complete and interrupted) with their best losses."""
    _print_runs(directory, f"Runs in {directory}")


def _print_runs(directory: Path, title: str) -> None:
    from latentatlas.runs import list_runs

    summaries = list_runs(directory)
    if not summaries:
        console.print(f"no runs in {directory}")
        return
    from rich import box

    # Fits 80 columns: no vertical rules, the latent size beside the model, best/total epochs.
    table = Table(title=title, box=box.SIMPLE_HEAD)
    for column in ("run", "status", "data", "model", "seed", "epochs", "train", "validation"):
        left = column in ("run", "status", "data", "model")
        table.add_column(
            column,
            justify="left" if left else "right",
            overflow="fold",
            no_wrap=column != "run",
        )
    for s in summaries:
        name = str(s.path.relative_to(directory)) if s.path != directory else s.path.name
        table.add_row(
            name,
            s.status,
            s.dataset,
            f"{s.model} z={s.latent_dim}",
            str(s.seed),
            f"{s.best_epoch}/{s.epochs}",
            f"{s.train_loss:.4g}",
            f"{s.validation_loss:.4g}",
        )
    table.caption = "epochs: best/trained; losses of the best epoch"
    console.print(table)
    for s in summaries:
        if s.problem is not None:
            console.print(f"[yellow]broken:[/] {s.problem}", soft_wrap=True, highlight=False)
