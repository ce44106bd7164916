"""The sweep as a study on the engine: a cell per run of the spec's product, ``run_metrics`` as
its analysis, the results table and the sweep report drawn from the stored results."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from latentatlas.analysis._result import ResultMixin
from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.errors import InputError
from latentatlas.studies.engine import AnalysisContext, Cell, CellOutput, Study
from latentatlas.studies.sweep.metrics import RunMetrics, run_metrics
from latentatlas.studies.sweep.spec import SweepSpec, _display, _raw, options_taken

#: Characters of the SHA-256 that name a run: 48 bits, no collision in any plausible sweep.
KEY_LENGTH = 12


@dataclass(frozen=True, eq=False)
class SweepRun(ResultMixin):
    """One cell's result: the run's metrics, or why there are none (the run or its analysis
    failed)."""

    metrics: RunMetrics | None
    error: str | None


def run_key(config: RunConfig) -> str:
    """A short hash of everything that defines ``config``: equal configs, equal keys."""
    return _seed_keys(config, (config.seed,))[0]


def _seed_keys(config: RunConfig, seeds: Sequence[int]) -> list[str]:
    """The keys of ``config`` with each of ``seeds``: the hash of its sorted, compact JSON.

    The JSON is built once around the seed (the top-level keys sort as data, model, seed,
    train), so planning stays linear and cheap in the number of seeds.
    """

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
        model that does not take a swept option is trained once, not once per value.
        """
        takes = options_taken(config.models)
        cells: dict[str, Cell] = {}
        for model in config.models:
            # Only the options the model takes: one it does not take adds no runs of it.
            options = [o for o in config.options if o.kind != "model" or o.name in takes[model]]
            grid = itertools.product(
                config.latent_dims,
                config.digit_pairs or (None,),
                *(option.values for option in options),
            )
            for latent_dim, pair, *values in grid:
                chosen = {option.name: value for option, value in zip(options, values, strict=True)}
                first = _run_config(config, model, latent_dim, pair, chosen, config.seeds[0])
                shown = _shown(config, model, latent_dim, pair, chosen, takes[model])
                keys = _seed_keys(first, config.seeds)
                for seed, key in zip(config.seeds, keys, strict=True):
                    run = dataclasses.replace(first, seed=seed)
                    relative = f"runs/{model}/{key}"
                    cells.setdefault(
                        f"{model}/{key}",
                        Cell(f"{model}/{key}", ((run, relative),), {**shown, "seed": seed}),
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
    kinds = {option.name: option.kind for option in spec.options}
    data = {k: _raw(v) for k, v in chosen.items() if kinds[k] == "data"}
    if pair is not None:
        data["digits"] = list(pair)
    model_options = {k: _raw(v) for k, v in chosen.items() if kinds[k] == "model"}
    train = {k: v for k, v in chosen.items() if kinds[k] == "train"}
    if train.get("patience") == 0:
        train["patience"] = None  # as on the command line: 0 never stops early
    try:
        return RunConfig(
            DataConfig(spec.dataset, data),
            ModelConfig(model, latent_dim, model_options),
            TrainConfig(**train),
            seed,
        )
    except (TypeError, InputError) as error:  # TypeError: a training option of the wrong kind
        raise InputError(f"{spec.source}: {error}") from None


def _shown(
    spec: SweepSpec,
    model: str,
    latent_dim: int,
    pair: tuple[int, ...] | None,
    chosen: Mapping[str, Any],
    model_takes: set[str],
) -> dict[str, Any]:
    """The run's options as table columns (None where the model does not take an option; the
    seed is set per run, in its column's place)."""
    shown: dict[str, Any] = {"model": model, "latent_dim": latent_dim, "seed": None}
    if pair is not None:
        shown["digit_pair"] = _display(pair)
    for option in spec.options:
        applies = option.kind != "model" or option.name in model_takes
        shown[option.column] = _display(chosen[option.name]) if applies else None
    return shown


STUDY = SweepStudy()
