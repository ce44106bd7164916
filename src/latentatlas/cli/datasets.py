"""``latentatlas datasets``: list the data sets as a table (or JSON) and save preview grids."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from latentatlas.cli._app import app, console, parse_key_values, user_errors
from latentatlas.data import Dataset, describe, load, names
from latentatlas.errors import InputError

datasets_app = typer.Typer(
    help="List the data sets (a table, or --json) and preview their images.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(datasets_app, name="datasets")


@datasets_app.callback(invoke_without_command=True)
@user_errors
def datasets(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Folder with MNIST IDX or mnist.npz files (else LATENTATLAS_DATA)."
    ),
) -> None:
    """List every data set: name, size, shape of one input, labels, factors and source."""
    if ctx.invoked_subcommand is not None:
        return
    rows = [
        describe(name, **({"data_dir": data_dir} if name == "mnist" and data_dir else {}))
        for name in names()
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    console.print(_table(rows))


def _table(rows: list[dict[str, object]]) -> Table:
    """The data sets as a Rich table: each loader's options in a column of their own."""
    from rich import box

    # No vertical rules and the options one per line: 80 columns keep every word whole.
    table = Table(
        title="latentatlas data sets",
        box=box.SIMPLE_HEAD,
        caption="Give an option as -o KEY=VALUE (train, datasets preview) or as a key of a "
        "sweep spec; a default follows '='.",
    )
    for column in ("name", "size", "shape"):
        table.add_column(column, no_wrap=True, justify="right" if column == "size" else "left")
    table.add_column("options", no_wrap=True)
    table.add_column("what it is", ratio=1)
    for row in rows:
        table.add_row(
            str(row["name"]),
            "-" if row["size"] is None else f"{row['size']:,}",
            "-" if row["shape"] is None else "x".join(str(s) for s in row["shape"]),
            "\n".join(option_labels(str(row["name"]))) or "-",
            _details(row),
        )
    return table


def _details(row: dict[str, object]) -> str:
    details = [str(row["summary"]) + "."]
    if row["labels"]:
        details.append(f"Labels: {row['labels']}.")
    if row["factors"]:
        details.append("Factors: " + ", ".join(row["factors"]) + ".")  # type: ignore[arg-type]
    details.append(f"From: {row['source']}.")
    return " ".join(details)


def option_labels(name: str) -> list[str]:
    """``KEY`` or ``KEY=DEFAULT`` for each option of data set ``name``'s loader; a required
    one reads ``KEY (required)``."""
    import inspect

    from latentatlas.data.registry import entry

    labels = []
    for parameter in inspect.signature(entry(name).loader).parameters.values():
        if parameter.default is inspect.Parameter.empty:
            labels.append(f"{parameter.name} (required)")
        elif parameter.default is None:
            labels.append(parameter.name)
        else:  # true/false as the loaders, the CLI and TOML read them
            default = parameter.default
            shown = str(default).lower() if isinstance(default, bool) else str(default)
            labels.append(f"{parameter.name}={shown}")
    return labels


@datasets_app.command("preview")
@user_errors
def preview(
    name: str = typer.Argument(..., help=f"Data set name: {', '.join(names())}."),
    out: Path = typer.Option(..., "--out", help="PNG file to write the grid of examples to."),
    n: int = typer.Option(40, "--n", min=1, max=400, help="Number of examples to show."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="MNIST folder (mnist only; else LATENTATLAS_DATA)."
    ),
    path: Path | None = typer.Option(
        None, "--path", help="Image folder (images) or .npz/.npy file (arrays)."
    ),
    option: list[str] = typer.Option(
        [], "--option", "-o", help="Loader option KEY=VALUE, repeatable (e.g. -o digits=1,2)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for choosing the examples."),
) -> None:
    """Save a grid of random examples of data set NAME to a PNG file."""
    from latentatlas._io import atomic_path
    from latentatlas.plots.images import image_grid

    if out.suffix.lower() != ".png":
        raise InputError(f"--out {out} must be a .png file")
    options = parse_key_values(option, "--option")
    if data_dir is not None:
        options["data_dir"] = str(data_dir)
    if path is not None:
        options["path"] = str(path)
    dataset = load(name, **options)
    chosen = choose_examples(dataset, n, seed)
    shown = np.asarray(dataset.x[chosen])
    if shown.ndim == 2 and round(np.sqrt(shown.shape[1])) ** 2 != shown.shape[1]:
        raise InputError(f"data set {name!r} holds vectors of length {shown.shape[1]}, not images")
    figure = image_grid(
        shown, n_columns=10, title=f"{name}: {len(chosen)} of {len(dataset):,} examples"
    )
    with atomic_path(out) as tmp:
        figure.savefig(tmp, dpi=100)
    console.print(f"wrote {out}")


def choose_examples(dataset: Dataset, n: int, seed: int) -> np.ndarray:
    """Up to ``n`` row indices, drawn at random with ``seed``, sorted by label where labelled."""
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(dataset), size=min(n, len(dataset)), replace=False))
    if dataset.labels is not None:
        chosen = chosen[np.argsort(dataset.labels[chosen], kind="stable")]
    return chosen
