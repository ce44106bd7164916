"""``latentatlas study ...`` and ``latentatlas report DIR``: whole investigations in one command."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from latentatlas.cli._app import app, console, user_errors
from latentatlas.errors import InputError

study_app = typer.Typer(
    help="Run one of the source documents' investigations end to end.", no_args_is_help=True
)
app.add_typer(study_app, name="study")


def _ints(text: str, option: str) -> tuple[int, ...]:
    try:
        return tuple(int(item) for item in text.split(",") if item.strip())
    except ValueError:
        raise InputError(
            f"{option} takes comma-separated integers such as 2,3,5, got {text!r}"
        ) from None


def _words(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


@study_app.command("digit-pairs")
@user_errors
def digit_pairs(
    out: Path = typer.Option(Path("atlas/digit-pairs"), help="Study folder (created)."),
    digits: str = typer.Option("1,2", help="The two digits of the headline pair."),
    pairs: str = typer.Option("", help="'all' for the 45 pairs, or a list such as 1-7,4-9."),
    seeds: int | None = typer.Option(None, min=1, help="Training seeds per model [5; quick: 3]."),
    latent_dims: str = typer.Option("2", help="Latent dimensions, e.g. 2,3,5,10 for a sweep."),
    activation: str = typer.Option("tanh", help="Activations of ae/dae, e.g. tanh,relu."),
    models: str = typer.Option("pca,linear-ae,ae,dae", help="Models to train."),
    epochs: int | None = typer.Option(None, min=1, help="Maximum epochs [100; quick: 40]."),
    classifier: str = typer.Option("logistic", help="Label classifier: logistic or mlp."),
    data_dir: Path | None = typer.Option(
        None, help="Folder with the full MNIST (IDX or mnist.npz); default: embedded subset."
    ),
    n_per_class: int | None = typer.Option(None, min=2, help="Keep at most N images per digit."),
    quick: bool = typer.Option(False, "--quick", help="Small settings: under a minute on 2 CPUs."),
    force: bool = typer.Option(False, "--force", help="Retrain runs that already exist."),
    jobs: int = typer.Option(1, min=1, help="Parallel training processes."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
) -> None:
    """Do autoencoders keep two MNIST digits apart in a 2-d latent space (000_2b4a74d5463f301c)?"""
    from latentatlas.studies.digit_pairs import DigitPairsConfig, parse_pairs

    settings = {
        "pairs": parse_pairs(pairs, _ints(digits, "--digits")),
        "latent_dims": _ints(latent_dims, "--latent-dims"),
        "activations": _words(activation),
        "models": _words(models),
        "classifier": classifier,
        "data_dir": None if data_dir is None else str(data_dir),
        "device": device,
    }
    for key, value in (("seeds", seeds), ("epochs", epochs), ("n_per_class", n_per_class)):
        if value is not None:
            settings[key] = value
    config = DigitPairsConfig.quick(**settings) if quick else DigitPairsConfig(**settings)
    _run(config, out, force=force, jobs=jobs, quiet=quiet)


def _run(config: object, out: Path, *, force: bool, jobs: int, quiet: bool) -> None:
    from latentatlas.studies.digit_pairs import run_study

    start = time.perf_counter()

    def step(message: str) -> None:
        if not quiet:
            elapsed = time.perf_counter() - start
            console.print(f"[dim]{elapsed:6.1f}s[/] {message}", soft_wrap=True, highlight=False)

    report = run_study(config, out, force=force, progress=not quiet, jobs=jobs, on_step=step)
    console.print(f"report: {report.resolve()}", soft_wrap=True)
    console.print(f"metrics: {(out / 'metrics.json').resolve()}", soft_wrap=True)


@app.command("report")
@user_errors
def report(
    folder: Path = typer.Argument(..., help="A study folder written by `latentatlas study`."),
) -> None:
    """Rebuild a study's report.html from its metrics.json and runs, without recomputing."""
    study_file = folder / "study.json"
    if not study_file.is_file():
        raise InputError(f"{folder} is not a study folder: {study_file} is missing")
    try:
        name = json.loads(study_file.read_text())["study"]
    except (ValueError, KeyError) as error:
        raise InputError(f"{study_file} is not a valid study file ({error})") from None
    if name != "digit-pairs":
        raise InputError(f"{study_file} names study {name!r}, which this version cannot report")
    from latentatlas.studies.digit_pairs_report import write_report

    console.print(f"report: {write_report(folder)}")
