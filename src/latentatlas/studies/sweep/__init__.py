"""Sweeps: the product of a TOML spec's option lists, trained and measured as a study on the engine.

A spec names a data set and lists what to sweep::

    dataset = "mnist"
    models = ["pca", "ae", "dae"]
    latent_dims = [2, 3]
    seeds = [0, 1, 2]
    digit_pairs = [[1, 2], [4, 9]]
    epochs = 20            # any training, data or model option: a scalar is fixed,
    n_per_class = 100      # a list is swept (a list of lists for list-valued options)

Each run is one cell of the study (:mod:`.study`) and its folder is keyed by a short hash of its
whole configuration (``runs/<model>/<key>``), so the engine's resumption skips finished runs and
adding a seed trains only the new runs. Beside the engine's files (``study.json``, ``cells/``,
``metrics.json``, ``report.html``) a sweep writes ``results.parquet`` and ``results.csv``, a row
per run. See docs/sweeps.md.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from latentatlas.errors import InputError
from latentatlas.studies.sweep.metrics import METRICS, RunMetrics, run_metrics
from latentatlas.studies.sweep.spec import MAX_RUNS, SweepSpec, SweptOption, parse_spec, read_spec
from latentatlas.studies.sweep.study import STUDY, SweepRun, run_key
from latentatlas.studies.sweep.table import read_table, rows, write_table

__all__ = [
    "MAX_RUNS",
    "METRICS",
    "STUDY",
    "RunMetrics",
    "SweepOutcome",
    "SweepRun",
    "SweepSpec",
    "SweptOption",
    "parse_spec",
    "read_spec",
    "read_table",
    "rows",
    "run_key",
    "run_metrics",
    "run_sweep",
    "write_table",
]


@dataclass(frozen=True)
class SweepOutcome:
    """What :func:`run_sweep` did.

    Attributes
    ----------
    folder : Path
    rows : tuple of dict
        The results table, a row per planned run, in plan order.
    trained : int
        Runs handed to training now (finished runs found in the folder are not counted).
    failures : dict of str to str
        Each failed run's folder (relative to ``folder``) and its error, after one retry.
    report : Path
    """

    folder: Path
    rows: tuple[dict[str, Any], ...]
    trained: int
    failures: Mapping[str, str]
    report: Path


def run_sweep(
    spec: SweepSpec | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    executor: Any = None,
    force: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> SweepOutcome:
    """Train, analyse, tabulate and report a sweep into ``out``; resume where it stopped.

    The engine (:func:`latentatlas.studies.run`) validates everything before the first write
    (the spec, the output folder, every data set and model, the finished runs already in
    ``out``, which must be intact and of the settings their keys stand for), skips finished
    runs, tries a failed run once more and records it with its error if it fails again.

    Parameters
    ----------
    spec : SweepSpec or path
        The spec, or the TOML file holding it.
    out : path
        The sweep folder (created).
    executor : Executor, optional
        What trains the runs (:func:`latentatlas.executors.make_executor`); by default one
        local process.
    force : bool
        Train every run again, even finished ones.
    on_step : callable, optional
        Called with a line of text as runs finish and files are written.
    """
    from latentatlas.runs import is_complete
    from latentatlas.studies import engine

    spec = spec if isinstance(spec, SweepSpec) else read_spec(spec)
    if importlib.util.find_spec("pyarrow") is None:
        raise InputError("a sweep writes results.parquet, which needs pyarrow: pip install pyarrow")
    folder = Path(out)
    cells = STUDY.cells(spec)
    todo = [cell for cell in cells if force or not is_complete(folder / cell.runs[0][1])]
    step = _announcing(
        on_step, f"{len(cells)} runs planned, {len(cells) - len(todo)} already finished"
    )
    report = engine.run(
        STUDY,
        spec,
        folder,
        force=force,
        executor=executor,
        retries=1,
        progress=False,
        on_step=step,
    )
    table = rows(engine.load(folder))
    write_table(table, folder)
    step(f"wrote {folder / 'results.parquet'}, results.csv and report.html")
    failed = {row["folder"]: row["error"] for row in table if row["status"] == "failed"}
    return SweepOutcome(folder, tuple(table), len(todo), failed, report)


def _announcing(on_step: Callable[[str], None] | None, first: str) -> Callable[[str], None]:
    """``on_step`` that says ``first`` before its first line: once the engine has validated
    everything, so a refused sweep prints its error alone."""
    said = False

    def step(message: str) -> None:
        nonlocal said
        if on_step is not None:
            if not said:
                on_step(first)
            said = True
            on_step(message)

    return step
