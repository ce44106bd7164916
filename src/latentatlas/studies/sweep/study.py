"""The sweep as a study on the engine: a cell per run of the spec's product, ``run_metrics`` as
its analysis; :func:`run_sweep` runs it and writes the results table beside its files."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import itertools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.errors import InputError
from latentatlas.results import ResultMixin
from latentatlas.studies.engine import AnalysisContext, Cell, CellOutput, Study
from latentatlas.studies.sweep.metrics import RunMetrics, run_metrics
from latentatlas.studies.sweep.spec import SweepSpec, _display, _raw, read_spec

#: Characters of the SHA-256 that name a run: 48 bits, no collision in any plausible sweep.
KEY_LENGTH = 12


@dataclass(frozen=True, eq=False)
class SweepRun(ResultMixin):
    """One cell's result: the run's metrics, or why there are none (the run or its analysis
    failed)."""

    metrics: RunMetrics | None
    error: str | None


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
    from latentatlas.studies.sweep.table import rows, write_table

    spec = spec if isinstance(spec, SweepSpec) else read_spec(spec)
    if importlib.util.find_spec("pyarrow") is None:
        raise InputError("a sweep writes results.parquet, which needs pyarrow: pip install pyarrow")
    folder = Path(out)
    todo = [c for c in STUDY.cells(spec) if force or not is_complete(folder / c.runs[0][1])]
    report = engine.run(
        STUDY,
        spec,
        folder,
        force=force,
        executor=executor,
        retries=1,
        progress=False,
        on_step=on_step,
    )
    table = rows(engine.load(folder))
    write_table(table, folder)
    if on_step is not None:
        on_step(f"wrote {folder / 'results.parquet'}, results.csv and report.html")
    failed = {row["folder"]: row["error"] for row in table if row["status"] == "failed"}
    return SweepOutcome(folder, tuple(table), len(todo), failed, report)


def run_key(config: RunConfig) -> str:
    """A short hash of everything that defines ``config``: equal configs, equal keys."""
    return _seed_keys(config, (config.seed,))[0]


def _seed_keys(config: RunConfig, seeds: Sequence[int]) -> list[str]:
    """The keys of ``config`` with each of ``seeds``: the hash of its sorted, compact JSON, built
    once around the seed (the top-level keys sort as data, model, seed, train), so planning
    stays linear and cheap in the number of seeds."""

    def dumps(value: Any) -> str:
        return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))

    document = config.to_dict()
    head = f'{{"data":{dumps(document["data"])},"model":{dumps(document["model"])},"seed":'
    tail = f',"train":{dumps(document["train"])}}}'
    return [
        hashlib.sha256(f"{head}{dumps(seed)}{tail}".encode()).hexdigest()[:KEY_LENGTH]
        for seed in seeds
    ]


class SweepStudy(Study):
    """``latentatlas sweep``: train the product of a spec's options and measure every run."""

    name = "sweep"
    title = "Sweep"
    question = "How do the metrics of a run change with each option swept?"
    source = "docs/sweeps.md"
    citation = "the sweep spec"
    config_type = SweepSpec
    result_type = SweepRun
    report_module = "latentatlas.studies.sweep.report"

    def cells(self, config: SweepSpec) -> list[Cell]:
        """A cell per run, keyed ``<model>/<run key>``, in a fixed order, once each.

        The order is models, latent dimensions, digit pairs, the other options in the spec's
        order and seeds last. A model option is given only to the models that take it, so a
        model that does not take a swept option is trained once, not once per value; its
        column is None.
        """
        cells: dict[str, Cell] = {}
        columns = {option.name: option.column for option in config.options}
        for model in config.models:
            options = config.options_of(model)
            pairs = config.digit_pairs or (None,)
            grid = itertools.product(config.latent_dims, pairs, *(o.values for o in options))
            for latent_dim, pair, *values in grid:
                chosen = {o.name: value for o, value in zip(options, values, strict=True)}
                first = _run_config(config, model, latent_dim, pair, chosen, config.seeds[0])
                shown = {"model": model, "latent_dim": latent_dim, "seed": None}
                shown |= {} if pair is None else {"digit_pair": _display(pair)}
                shown |= {column: _display(chosen.get(o)) for o, column in columns.items()}
                for seed, key in zip(config.seeds, _seed_keys(first, config.seeds), strict=True):
                    run = dataclasses.replace(first, seed=seed)
                    params = {**shown, "seed": seed}
                    cells.setdefault(
                        f"{model}/{key}",
                        Cell(f"{model}/{key}", ((run, f"runs/{model}/{key}"),), params),
                    )
        return list(cells.values())

    def analyse(self, config: SweepSpec, cell: Cell, context: AnalysisContext) -> CellOutput:
        """The run's :class:`RunMetrics`, or the reason it has none."""
        from threadpoolctl import threadpool_limits

        _, relative = cell.runs[0]
        run = context.run(relative)
        if run is None:
            return CellOutput(SweepRun(None, context.failures.get(relative, "not trained")))
        try:
            # One BLAS/OpenMP thread, as per training: on codes this small, spinning threads
            # made scikit-learn's k-NN search several times slower, not faster (measured).
            with threadpool_limits(limits=1):
                return CellOutput(SweepRun(run_metrics(run.history, run.latents), None))
        except InputError as problem:
            return CellOutput(SweepRun(None, f"analysis failed: {problem}"))

    def cell_settings(self, config: SweepSpec, cell: Cell) -> dict[str, Any]:
        """The run's configuration alone: a new seed or value in the spec analyses only the new
        runs, as it trains only them."""
        return cell.runs[0][0].to_dict()

    def headline(self, config: SweepSpec, results: Mapping[str, Any]) -> dict[str, Any]:
        """No headline cell: every run is one row of the table."""
        return {}

    def report(self, results: Any) -> Any:
        """The sweep report, drawn from the table's rows."""
        from latentatlas.studies.sweep.report import build_report
        from latentatlas.studies.sweep.table import rows

        return build_report(results.config, rows(results))


def _run_config(
    spec: SweepSpec,
    model: str,
    latent_dim: int,
    pair: tuple[int, ...] | None,
    chosen: Mapping[str, Any],
    seed: int,
) -> RunConfig:
    """One combination's run: each option by its kind (and ``pair`` as the data's ``digits``)."""
    given: dict[str, dict[str, Any]] = {"train": {}, "data": {}, "model": {}}
    for option in spec.options:
        if option.name in chosen:
            given[option.kind][option.name] = _raw(chosen[option.name])
    if pair is not None:
        given["data"]["digits"] = list(pair)
    if given["train"].get("patience") == 0:
        given["train"]["patience"] = None  # as on the command line: 0 never stops early
    try:
        data, model_config = (
            DataConfig(spec.dataset, given["data"]),
            ModelConfig(model, latent_dim, given["model"]),
        )
        return RunConfig(data, model_config, TrainConfig(**given["train"]), seed)
    except (TypeError, InputError) as error:  # TypeError: a training option of the wrong kind
        raise InputError(f"{spec.source}: {error}") from None


STUDY = SweepStudy()
