"""The learned-model gate of every run of a study: one engine stage that every study shares.

A verdict on a model that did not learn is an artefact (a conv autoencoder that draws every
sprite as a grey square makes every random decode "meaningful"). The engine therefore gates
every finished run with :func:`latentatlas.analysis.gate_of_run` when it analyses a cell, stores
the result beside the study's own (``cells/<key>/gates.json``, ``metrics.json["gates"]``) with
originals and reconstructions for the report, and withholds every claim that rests on a model
of which any seed failed (see :func:`failed_models`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.analysis.quality import LearnedGate
from latentatlas.results import PerSeed, ResultMixin

#: Validation inputs drawn (stratified over classes or factor bins) beside their reconstructions.
N_SHOWN = 10
#: The key prefix of the gate's arrays in a cell's ``arrays.npz``.
PREFIX = "gate/"


@dataclass(frozen=True, eq=False)
class CellGates(ResultMixin):
    """The gate of every finished run of one cell, by model key then seed.

    Attributes
    ----------
    models : dict of str to PerSeed[LearnedGate]
        The model keys are those of the cell's run folders (``runs/.../<model>/seed-<s>``).
    """

    models: dict[str, PerSeed[LearnedGate]]

    def failures(self, models: Iterable[str] | None = None) -> list[str]:
        """One sentence per seed of ``models`` (all by default) that did not pass the gate."""
        chosen = list(self.models) if models is None else [m for m in models if m in self.models]
        return [
            f"{model} seed {seed}: {gate.reason}"
            for model in chosen
            for seed, gate in self.models[model]
            if not gate.passed
        ]


def gate_cell(cell: Any, context: Any) -> tuple[CellGates, dict[str, NDArray[Any]]]:
    """Gate every finished run of ``cell``; return the gates and the report's example arrays.

    The arrays hold ``N_SHOWN`` validation inputs of the first run's split, drawn with
    :func:`~latentatlas.analysis.stratified_sample` (``gate/originals``, ``gate/labels``), and
    the first seed's reconstructions of them for each model (``gate/model/<key>``).
    """
    from latentatlas.analysis.quality import gate_of_run

    runs: dict[str, list[tuple[int, Any, Any]]] = {}
    for config, relative in cell.runs:
        run = context.run(relative)
        if run is not None:
            runs.setdefault(Path(relative).parent.name, []).append((config.seed, config, run))
    gates = {
        model: PerSeed(
            tuple(seed for seed, _, _ in seeds),
            tuple(gate_of_run(run, context.dataset(c.data)) for _, c, run in seeds),
        )
        for model, seeds in runs.items()
    }
    first = {model: seeds[0] for model, seeds in runs.items()}
    return CellGates(gates), _examples(first, context)


def gate_models(
    models: Mapping[str, Any], x: NDArray[Any], labels: NDArray[Any] | None = None
) -> tuple[CellGates, dict[str, NDArray[Any]]]:
    """The gate of models that are not run folders (one per seed, keyed ``model``), on inputs
    ``x`` that serve as both the mean image's data and the validation rows (a model trained
    elsewhere comes without its split), with the report's example arrays."""
    from latentatlas.analysis.quality import gate_of_model
    from latentatlas.analysis.sampling import stratified_sample

    gates = PerSeed(
        tuple(range(len(models))),
        tuple(gate_of_model(m, x, x, labels=labels, train_labels=labels) for m in models.values()),
    )
    picked = stratified_sample(N_SHOWN, labels=labels, n_rows=len(x))
    first = {"model": next(iter(models.values()))}
    return CellGates({"model": gates}), _example_arrays(x, labels, picked, first)


def _examples(first: Mapping[str, tuple[int, Any, Any]], context: Any) -> dict[str, NDArray]:
    """Stratified validation inputs of the first run and each model's reconstructions of them."""
    if not first:
        return {}
    from latentatlas.analysis.sampling import stratified_sample
    from latentatlas.runs import split_indices

    _, config, _ = next(iter(first.values()))
    dataset = context.dataset(config.data)
    _, validation = split_indices(config, dataset)
    labels = None if dataset.labels is None else np.asarray(dataset.labels)[validation]
    factors = None if dataset.factors is None else np.asarray(dataset.factors)[validation]
    picked = validation[
        stratified_sample(
            N_SHOWN,
            labels=labels,
            factors=None if labels is not None else factors,
            factor_kinds=tuple(dataset.factor_kinds) or None,
            n_rows=len(validation),
        )
    ]
    models = {model: run.model for model, (_, _, run) in first.items()}
    return _example_arrays(dataset.x, dataset.labels, picked, models)


def _example_arrays(
    x: Any, labels: Any, picked: NDArray[np.int64], models: Mapping[str, Any]
) -> dict[str, NDArray[Any]]:
    """Rows ``picked`` of ``x`` (``gate/originals``), their labels and each model's
    reconstructions of them (``gate/model/<key>``): what the report's gate figure draws."""
    from latentatlas.models import reconstruct_array

    originals = np.asarray(x[picked], dtype=np.float32)
    arrays: dict[str, NDArray[Any]] = {f"{PREFIX}originals": originals}
    if labels is not None:
        arrays[f"{PREFIX}labels"] = np.asarray(labels)[picked]
    for key, model in models.items():
        arrays[f"{PREFIX}model/{key}"] = np.asarray(reconstruct_array(model, originals), np.float32)
    return arrays


def examples(arrays: Mapping[str, NDArray[Any]]) -> tuple[NDArray | None, dict[str, NDArray]]:
    """The stored originals (None when none were stored) and each model's reconstructions."""
    models = {
        key[len(f"{PREFIX}model/") :]: value
        for key, value in arrays.items()
        if key.startswith(f"{PREFIX}model/")
    }
    return arrays.get(f"{PREFIX}originals"), models


def failed_models(
    gates: Mapping[str, CellGates], models: Iterable[str], cells: Iterable[str] | None = None
) -> list[str]:
    """Every failing seed of ``models`` in ``cells`` (all cells by default), one sentence each."""
    chosen = list(gates) if cells is None else [c for c in cells if c in gates]
    wanted = list(models)
    return [
        f"{failure} ({cell})" if len(gates) > 1 else failure
        for cell in chosen
        for failure in gates[cell].failures(wanted)
    ]


#: Failing seeds named in a "not judged" sentence before the rest are counted.
MAX_NAMED = 3


def learned(*models: str, cells: Iterable[str] | None = None) -> Callable[[Any], str | None]:
    """A claim's ``needs`` entry: the claim rests on ``models`` (in ``cells``, all by default)
    and is not judged when any of their seeds failed the learned-model gate.

    >>> need = learned("ae", "dae")   # ClaimSpec(..., needs=(need,))
    """
    wanted = tuple(models)
    chosen = None if cells is None else tuple(cells)

    def need(evidence: Any) -> str | None:
        failing = failed_models(evidence.gates, wanted, chosen)
        if not failing:
            return None
        more = len(failing) - MAX_NAMED
        named = "; ".join(failing[:MAX_NAMED]) + (f"; and {more} more" if more > 0 else "")
        return f"a model it rests on did not learn ({named})"

    return need
