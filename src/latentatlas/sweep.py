"""Sweeps: train the product of a TOML spec's option lists, analyse each run, tabulate, report.

A spec names a data set and lists what to sweep::

    dataset = "mnist"
    models = ["pca", "ae", "dae"]
    latent_dims = [2, 3]
    seeds = [0, 1, 2]
    digit_pairs = [[1, 2], [4, 9]]
    epochs = 20            # any training, data or model option: a scalar is fixed,
    n_per_class = 100      # a list is swept (a list of lists for list-valued options)

Each run's folder is keyed by a short hash of its whole configuration (``runs/<model>/<key>``),
so a sweep started again skips finished runs, and adding a seed trains only the new runs. The
sweep folder holds ``sweep.json`` (the validated spec), the runs (each with a ``metrics.json``
of :class:`RunMetrics`), ``results.parquet`` and ``results.csv`` (a row per run: its options,
its metrics, its error if it failed) and ``report.html`` (each metric against each swept
option, with the spread over seeds). See docs/sweeps.md.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import itertools
import json
import math
import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas._io import atomic_path, write_json
from latentatlas.analysis._result import ResultMixin
from latentatlas.config import MAX_SEED, DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.errors import InputError

FORMAT_VERSION = 1
#: Keys every spec has (``digit_pairs`` only for data sets with a ``digits`` option).
SPEC_KEYS = ("dataset", "models", "latent_dims", "seeds", "digit_pairs")
REQUIRED_KEYS = ("dataset", "models", "latent_dims", "seeds")
TRAIN_KEYS = tuple(f.name for f in fields(TrainConfig))
#: Metrics the table holds and the report draws (label, what a higher value means).
METRICS: dict[str, str] = {
    "validation_loss": "validation loss (the model's own objective, best epoch)",
    "reconstruction_error": "validation reconstruction error (MSE per pixel)",
    "silhouette": "silhouette of validation codes by label",
    "knn_accuracy": "k-NN accuracy of validation codes",
}
#: Characters of the SHA-256 that name a run: 48 bits, no collision in any plausible sweep.
KEY_LENGTH = 12


# -- the spec -------------------------------------------------------------------------------------
#: Columns of the results table that are not options; an option of the same name (a data
#: set's own ``seed``) gets its kind as a prefix, e.g. ``data_seed``.
RESERVED_COLUMNS = ("run", "folder", "model", "latent_dim", "seed", "digit_pair", "status", "error")


@dataclass(frozen=True)
class SweptOption:
    """One training, data or model option of a spec and the values it takes (one: fixed)."""

    name: str
    kind: str  # "train", "data" or "model"
    values: tuple[Any, ...]

    @property
    def column(self) -> str:
        """Its column in the results table."""
        reserved = self.name in RESERVED_COLUMNS or self.name in _metric_names()
        return f"{self.kind}_{self.name}" if reserved else self.name


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep specification.

    Attributes
    ----------
    dataset : str
        Data registry name.
    models, latent_dims, seeds : tuple
        The values swept over, in the spec's order.
    digit_pairs : tuple of tuple of int, or None
        The digit sets to keep (the loader's ``digits`` option), each sorted.
    options : tuple of SweptOption
        Every other option, in the spec's order.
    source : str
        Where the spec came from (a file name), for messages.
    """

    dataset: str
    models: tuple[str, ...]
    latent_dims: tuple[int, ...]
    seeds: tuple[int, ...]
    digit_pairs: tuple[tuple[int, ...], ...] | None = None
    options: tuple[SweptOption, ...] = ()
    source: str = "spec"

    def swept(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The options with more than one value (besides seeds), as (column, display values)."""
        axes: list[tuple[str, tuple[Any, ...]]] = [
            ("model", self.models),
            ("latent_dim", self.latent_dims),
        ]
        if self.digit_pairs is not None:
            axes.append(("digit_pair", tuple(_pair_text(p) for p in self.digit_pairs)))
        axes += [(o.column, tuple(_display(v) for v in o.values)) for o in self.options]
        return [(name, values) for name, values in axes if len(values) > 1]

    def to_dict(self) -> dict[str, Any]:
        """The spec as the TOML document it reads back from (lists for swept values)."""
        document: dict[str, Any] = {
            "dataset": self.dataset,
            "models": list(self.models),
            "latent_dims": list(self.latent_dims),
            "seeds": list(self.seeds),
        }
        if self.digit_pairs is not None:
            document["digit_pairs"] = [list(p) for p in self.digit_pairs]
        for option in self.options:
            values = [list(v) if isinstance(v, tuple) else v for v in option.values]
            document[option.name] = values if len(values) > 1 else values[0]
        return document


def read_spec(path: str | os.PathLike[str]) -> SweepSpec:
    """Read and validate the TOML sweep spec at ``path``.

    Raises
    ------
    InputError
        One sentence naming the file (and line, for malformed TOML) or the offending key.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise InputError(f"cannot read sweep spec {path}: {reason}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # Python 3.11's message has a line number except at the end of the file: add that one.
        where = f"at the end of the file, line {len(text.splitlines()) or 1}"
        reason = str(error).replace("at end of document", where)
        raise InputError(f"sweep spec {path} is not valid TOML: {reason}") from None
    return parse_spec(document, source=str(path))


def parse_spec(document: Mapping[str, Any], source: str = "spec") -> SweepSpec:
    """Validate a spec given as a mapping (what ``tomllib`` reads) and return it typed.

    Every key is checked: unknown keys, wrong types, empty or repeated lists are refused with
    one sentence naming the key. Whether the models can be built and the data loaded with
    these options is checked later, by :func:`run_sweep`, before anything is written.
    """
    from latentatlas.data.registry import entry

    if not isinstance(document, Mapping):
        raise InputError(f"{source} must be a table of keys and values")
    missing = [key for key in REQUIRED_KEYS if key not in document]
    if missing:
        raise InputError(f"{source} has no {missing[0]!r} key; it needs {', '.join(REQUIRED_KEYS)}")
    dataset = document["dataset"]
    if not isinstance(dataset, str):
        raise InputError(f"{source}: dataset must be a data set name, got {dataset!r}")
    try:
        loader_options = entry(dataset).options
    except InputError as error:
        raise InputError(f"{source}: {error}") from None
    models = tuple(_values(document["models"], "models", source, str))
    _check_models(models, source)
    latent_dims = tuple(_values(document["latent_dims"], "latent_dims", source, int, minimum=1))
    seeds = tuple(_values(document["seeds"], "seeds", source, int, minimum=0, maximum=MAX_SEED))
    digit_pairs = _digit_pairs(document, loader_options, source)
    model_options = _model_option_defaults(models)
    options = []
    for name, value in document.items():
        if name in SPEC_KEYS:
            continue
        kind = _kind(name, loader_options, model_options)
        if kind is None:
            raise InputError(_unknown_key(name, source, dataset, loader_options, model_options))
        list_valued = name == "digits" or isinstance(model_options.get(name), tuple | list)
        values = _values(value, name, source, None, list_valued=list_valued)
        options.append(SweptOption(name, kind, tuple(values)))
    return SweepSpec(dataset, models, latent_dims, seeds, digit_pairs, tuple(options), source)


def _values(
    value: Any,
    name: str,
    source: str,
    kind: type | None,
    *,
    list_valued: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
) -> list[Any]:
    """The values of one key: a scalar is one value, a list is swept (see ``list_valued``)."""
    swept = isinstance(value, list) and not (
        list_valued and not any(isinstance(v, list) for v in value)
    )
    values = list(value) if swept else [value]
    if not values:
        raise InputError(f"{source}: {name} is an empty list; give at least one value")
    for item in values:
        _check_value(item, name, source, kind, minimum, maximum)
    frozen = [tuple(v) if isinstance(v, list) else v for v in values]
    for i, item in enumerate(frozen):
        if any(item == other and type(item) is type(other) for other in frozen[:i]):
            raise InputError(f"{source}: {name} lists {_display(item)} twice")
    return frozen


def _check_value(
    item: Any, name: str, source: str, kind: type | None, minimum: int | None, maximum: int | None
) -> None:
    if isinstance(item, dict):
        raise InputError(f"{source}: {name} must be a value or a list of values, not a table")
    scalars = (bool, int, float, str)
    plain = isinstance(item, scalars) or (
        isinstance(item, list) and all(isinstance(v, scalars) for v in item)
    )
    if not plain:
        raise InputError(f"{source}: {name} has a value of unsupported type: {item!r}")
    if isinstance(item, float) and not math.isfinite(item):
        raise InputError(f"{source}: {name} must be finite, got {item!r}")
    if kind is None:
        return
    if kind is int:
        whole = isinstance(item, int) and not isinstance(item, bool)
        in_range = whole and (minimum is None or item >= minimum)
        if not (in_range and (maximum is None or item <= maximum)):
            bounds = f"from {minimum}" + (f" to {maximum}" if maximum is not None else " up")
            raise InputError(f"{source}: {name} must hold integers {bounds}, got {item!r}")
    elif not isinstance(item, kind):
        raise InputError(f"{source}: {name} must hold {kind.__name__} values, got {item!r}")


def _check_models(models: Sequence[str], source: str) -> None:
    from latentatlas.models.registry import names

    for name in models:
        if name not in names():
            raise InputError(
                f"{source}: models lists {name!r}, which is not a model; "
                f"choose from {', '.join(names())}"
            )


def _digit_pairs(
    document: Mapping[str, Any], loader_options: Sequence[str], source: str
) -> tuple[tuple[int, ...], ...] | None:
    """The ``digit_pairs`` key as sorted digit tuples (a flat list is one pair)."""
    if "digit_pairs" not in document:
        return None
    if "digits" not in loader_options:
        raise InputError(f"{source}: digit_pairs needs a data set with digits, such as mnist")
    if "digits" in document:
        raise InputError(f"{source}: give digit_pairs or digits, not both")
    pairs = _values(document["digit_pairs"], "digit_pairs", source, None, list_valued=True)
    checked = []
    for pair in pairs:
        digits = pair if isinstance(pair, tuple) else (pair,)
        valid = all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 9 for d in digits)
        if not valid or len(set(digits)) < 2 or len(set(digits)) != len(digits):
            raise InputError(
                f"{source}: digit_pairs must hold lists of at least two different digits 0-9, "
                f"got {_display(pair)}"
            )
        checked.append(tuple(sorted(digits)))
    return tuple(checked)


def _model_option_defaults(models: Sequence[str]) -> dict[str, Any]:
    """Every option any of ``models`` takes, with its default (to tell list-valued ones)."""
    from latentatlas.models.registry import describe

    defaults: dict[str, Any] = {}
    for info in describe():
        if info.name in models:
            for name, default in info.options.items():
                defaults.setdefault(name, default)
    return defaults


def _kind(name: str, loader_options: Sequence[str], model_options: Mapping[str, Any]) -> str | None:
    if name in TRAIN_KEYS:
        return "train"
    if name in loader_options:
        return "data"
    if name in model_options:
        return "model"
    return None


def _unknown_key(
    name: str,
    source: str,
    dataset: str,
    loader_options: Sequence[str],
    model_options: Mapping[str, Any],
) -> str:
    data = ", ".join(loader_options) or "none"
    model = ", ".join(model_options) or "none"
    return (
        f"{source} has an unknown key {name!r}; expected {', '.join(SPEC_KEYS)}, a training "
        f"option ({', '.join(TRAIN_KEYS)}), a data option of {dataset} ({data}) or a model "
        f"option of the listed models ({model})"
    )


# -- the plan -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedRun:
    """One run of a sweep: its key (also its folder name), configuration and table options."""

    key: str
    config: RunConfig
    path: Path
    options: Mapping[str, Any] = field(default_factory=dict)


def run_key(config: RunConfig) -> str:
    """A short hash of everything that defines ``config``: equal configs, equal keys."""
    text = json.dumps(config.to_dict(), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:KEY_LENGTH]


def plan(spec: SweepSpec, folder: str | os.PathLike[str]) -> list[PlannedRun]:
    """Every run of the spec's product, in a fixed order, once each.

    The order is models, latent dimensions, digit pairs, the other options in the spec's order
    and seeds last. A model option is given only to the models that take it, so a model that
    does not take a swept option is trained once, not once per value.
    """
    folder = Path(folder)
    takes = _options_taken(spec.models)
    pairs: Sequence[tuple[int, ...] | None] = spec.digit_pairs or (None,)
    runs: dict[str, PlannedRun] = {}
    grid = itertools.product(
        spec.models,
        spec.latent_dims,
        pairs,
        *(option.values for option in spec.options),
        spec.seeds,
    )
    for model, latent_dim, pair, *values, seed in grid:
        chosen = dict(zip((o.name for o in spec.options), values, strict=True))
        config = _run_config(spec, model, latent_dim, pair, chosen, seed, takes[model])
        key = run_key(config)
        if key in runs:
            continue
        shown: dict[str, Any] = {"model": model, "latent_dim": latent_dim, "seed": seed}
        if pair is not None:
            shown["digit_pair"] = _pair_text(pair)
        for option in spec.options:
            applies = option.kind != "model" or option.name in takes[model]
            shown[option.column] = _display(chosen[option.name]) if applies else None
        runs[key] = PlannedRun(key, config, folder / "runs" / model / key, shown)
    return list(runs.values())


def _options_taken(models: Sequence[str]) -> dict[str, set[str]]:
    from latentatlas.models.registry import describe

    return {info.name: set(info.options) for info in describe() if info.name in models}


def _run_config(
    spec: SweepSpec,
    model: str,
    latent_dim: int,
    pair: tuple[int, ...] | None,
    chosen: Mapping[str, Any],
    seed: int,
    model_takes: set[str],
) -> RunConfig:
    kinds = {option.name: option.kind for option in spec.options}
    data = {k: _plain(v) for k, v in chosen.items() if kinds[k] == "data"}
    if pair is not None:
        data["digits"] = list(pair)
    model_options = {
        k: _plain(v) for k, v in chosen.items() if kinds[k] == "model" and k in model_takes
    }
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
    except TypeError as error:  # a TrainConfig field of the wrong kind, e.g. a list
        raise InputError(f"{spec.source}: {error}") from None
    except InputError as error:
        raise InputError(f"{spec.source}: {error}") from None


# -- per-run analysis -----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RunMetrics(ResultMixin):
    """What a sweep measures on one finished run.

    Attributes
    ----------
    train_loss, validation_loss : float
        The model's own training objective (reconstruction, plus KL for a VAE) at the best
        epoch, averaged over samples.
    best_epoch, epochs_trained : int
        The epoch whose weights were kept, and the epochs trained (fewer than ``epochs`` when
        training stopped early).
    reconstruction_error : float
        Mean over validation samples of the per-pixel squared error (comparable across models).
    silhouette : float
        Mean silhouette of the validation codes grouped by label (NaN without labels).
    knn_accuracy : float
        Accuracy of k-NN on the validation codes, ``k`` chosen by cross-validation on the
        training codes (NaN without labels or with a class of fewer than 2 training codes).
    knn_k : int or None
        The chosen ``k``.
    """

    train_loss: float
    validation_loss: float
    best_epoch: int
    epochs_trained: int
    reconstruction_error: float
    silhouette: float
    knn_accuracy: float
    knn_k: int | None


def run_metrics(
    history: Any, latents: Mapping[str, NDArray[Any]], random_state: int = 0
) -> RunMetrics:
    """Measure one run from its training history and stored latent codes.

    Parameters
    ----------
    history : latentatlas.train.History
        The run's training history.
    latents : mapping of str to ndarray
        The run's ``latents.npz``: ``train_codes``, ``validation_codes``,
        ``validation_reconstruction_error`` and, where the data has labels,
        ``train_labels`` and ``validation_labels``.
    random_state : int
        Seed of the k-NN cross-validation folds.

    Returns
    -------
    RunMetrics

    References
    ----------
    Rousseeuw, P. J. (1987). Silhouettes. J. Comput. Appl. Math. 20, 53-65 (the silhouette);
    k-NN accuracy as in :func:`latentatlas.analysis.knn_accuracy`.
    """
    from latentatlas.analysis.classification import knn_accuracy
    from latentatlas.analysis.clusters import silhouette

    best = history.best
    silhouette_mean, knn, k = math.nan, math.nan, None
    if "validation_labels" in latents and "train_labels" in latents:
        codes, labels = latents["validation_codes"], latents["validation_labels"]
        if 2 <= len(np.unique(labels)) <= len(labels) - 1:
            silhouette_mean = silhouette(codes, labels).mean
        folds = _knn_folds(latents["train_labels"])
        if folds >= 2:
            result = knn_accuracy(
                latents["train_codes"],
                latents["train_labels"],
                codes,
                labels,
                cv=folds,
                random_state=random_state,
            )
            knn, k = result.accuracy, result.k
    return RunMetrics(
        train_loss=float(best.train["total"]),
        validation_loss=float(best.validation["total"]),
        best_epoch=int(history.best_epoch),
        epochs_trained=len(history.epochs),
        reconstruction_error=float(np.mean(latents["validation_reconstruction_error"])),
        silhouette=float(silhouette_mean),
        knn_accuracy=float(knn),
        knn_k=k,
    )


def _knn_folds(train_labels: NDArray[Any]) -> int:
    """Five folds, or fewer when the smallest class has fewer training codes (0: no k-NN)."""
    classes, counts = np.unique(train_labels, return_counts=True)
    return 0 if len(classes) < 2 else min(5, int(counts.min()))


# -- running --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepOutcome:
    """What :func:`run_sweep` did.

    Attributes
    ----------
    folder : Path
    rows : tuple of dict
        The results table, a row per planned run, in plan order.
    trained : int
        Runs trained now (finished runs found in the folder are not counted).
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
    on_step: Callable[[str], None] | None = None,
) -> SweepOutcome:
    """Train, analyse, tabulate and report a sweep into ``out``; resume where it stopped.

    Everything is validated before the first write: the spec, the output folder, every data
    set and model (:func:`latentatlas.executors.check_plan`) and the finished runs already in
    ``out``. Finished runs are skipped; a run that fails is tried once more, and if it fails
    again it is recorded with its error while the others finish.

    Parameters
    ----------
    spec : SweepSpec or path
        The spec, or the TOML file holding it.
    out : path
        The sweep folder (created).
    executor : Executor, optional
        What trains the runs (:func:`latentatlas.executors.make_executor`); by default one
        local process.
    on_step : callable, optional
        Called with a line of text as runs finish and files are written.
    """
    from latentatlas.executors import LocalExecutor, check_plan, connect
    from latentatlas.studies.engine import check_output_folder

    spec = spec if isinstance(spec, SweepSpec) else read_spec(spec)
    folder = Path(out)
    check_output_folder(folder)
    if importlib.util.find_spec("pyarrow") is None:
        raise InputError("a sweep writes results.parquet, which needs pyarrow: pip install pyarrow")
    runs = plan(spec, folder)
    pairs = [(run.config, run.path) for run in runs]
    try:
        check_plan(pairs)
    except InputError as error:
        raise InputError(f"{spec.source}: {error}") from None
    connect(executor)  # a cluster that cannot be reached fails here, before the first write
    from latentatlas._lock import folder_lock

    with folder_lock(folder):  # a second sweep into this folder is refused, not interleaved
        _check_finished_runs(runs)
        _write_sweep_file(folder, spec)
        step = on_step or (lambda message: None)
        todo = [run for run in runs if not _is_complete(run.path)]
        step(f"{len(runs)} runs planned, {len(runs) - len(todo)} already finished")
        failures = _train(todo, executor or LocalExecutor(1, threads=1), folder, step)
        from threadpoolctl import threadpool_limits

        # One BLAS/OpenMP thread per analysis, as per training: on codes this small, spinning
        # threads made scikit-learn's k-NN search several times slower, not faster (measured).
        with threadpool_limits(limits=1):
            rows = [_row(run, folder, failures, step) for run in runs]
        write_table(rows, folder)
        report = build_report(spec, rows).write(folder / "report.html")
        step(f"wrote {folder / 'results.parquet'}, results.csv and report.html")
        failed = {row["folder"]: row["error"] for row in rows if row["status"] == "failed"}
        return SweepOutcome(folder, tuple(rows), len(todo), failed, report)


def _is_complete(path: Path) -> bool:
    from latentatlas.runs import is_complete

    return is_complete(path)


def _check_finished_runs(runs: Sequence[PlannedRun]) -> None:
    """Refuse a finished run whose stored configuration is not the one its key stands for."""
    for run in runs:
        if not _is_complete(run.path):
            continue
        try:
            stored = json.loads((run.path / "config.json").read_text())
            stored = {k: stored[k] for k in ("data", "model", "train", "seed")}
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InputError(f"{run.path / 'config.json'} cannot be read ({error!r})") from None
        if stored != json.loads(json.dumps(run.config.to_dict(), default=str)):
            raise InputError(
                f"{run.path} holds a run of other settings than its key {run.key} stands for; "
                "remove it and start the sweep again"
            )


def _write_sweep_file(folder: Path, spec: SweepSpec) -> None:
    from latentatlas._env import environment

    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "format_version": FORMAT_VERSION,
        "spec": spec.to_dict(),
        "source": spec.source,
        "environment": environment(),
    }
    write_json(folder / "sweep.json", document)


def _train(
    todo: Sequence[PlannedRun], executor: Any, folder: Path, step: Callable[[str], None]
) -> dict[Path, str]:
    """Train ``todo``, then once more the runs that failed; return those failing twice."""
    failures: dict[Path, str] = {}
    attempt_plan = [(run.config, run.path) for run in todo]
    for attempt in (1, 2):
        if not attempt_plan:
            break
        done = 0
        total = len(attempt_plan)

        def report(outcome: Any, total: int = total, word: str = ("run", "retry")[attempt - 1]):
            nonlocal done
            done += 1
            state = "trained" if outcome.ok else f"FAILED ({outcome.error})"
            where = _relative(Path(outcome.path), folder)
            step(f"{word} {done} of {total} {state}: {where}")

        outcomes = executor.run(attempt_plan, on_done=report)
        failures = {Path(o.path): o.error or "failed" for o in outcomes if not o.ok}
        attempt_plan = [(c, p) for c, p in attempt_plan if Path(p) in failures]
        if attempt_plan and attempt == 1:
            step(f"retrying {len(attempt_plan)} failed run(s) once")
    return failures


def _row(
    run: PlannedRun, folder: Path, failures: Mapping[Path, str], step: Callable[[str], None]
) -> dict[str, Any]:
    """The table row of one run: its options, status, error and metrics."""
    row: dict[str, Any] = {"run": run.key, "folder": _relative(run.path, folder), **run.options}
    metrics, error = None, failures.get(run.path)
    if error is None and not _is_complete(run.path):
        error = "not trained"  # e.g. an executor that stopped early
    if error is None:
        try:
            metrics = _metrics(run.path)
        except InputError as problem:
            error = f"analysis failed: {problem}"
            step(f"analysis of {row['folder']} FAILED ({problem})")
    row["status"] = "failed" if error is not None else "finished"
    row["error"] = error
    empty = dict.fromkeys((f.name for f in fields(RunMetrics)), None)
    row.update(metrics.to_dict() if metrics is not None else empty)
    return row


def _metrics(path: Path) -> RunMetrics:
    """The run's stored metrics, or measured now and stored beside it."""
    stored = path / "metrics.json"
    if stored.is_file():
        try:
            return RunMetrics.from_dict(json.loads(stored.read_text()))
        except (InputError, ValueError, TypeError):
            pass  # another version's schema: measure again
    from latentatlas.runs import load

    run = load(path)
    metrics = run_metrics(run.history, run.latents)
    write_json(stored, metrics.to_dict())
    return metrics


def _relative(path: Path, folder: Path) -> str:
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return str(path)


# -- the table ------------------------------------------------------------------------------------
def write_table(rows: Sequence[Mapping[str, Any]], folder: str | os.PathLike[str]) -> None:
    """Write ``results.parquet`` and ``results.csv`` (a row per run) atomically into ``folder``.

    Each column gets one type: booleans, integers or floats where every value is one, else
    text (lists as ``"a,b"``); a missing value is null in Parquet and empty in the CSV.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    names = list(dict.fromkeys(key for row in rows for key in row))
    columns = {name: _column([row.get(name) for row in rows]) for name in names}
    table = pa.table({name: pa.array(values) for name, values in columns.items()})
    with atomic_path(folder / "results.parquet") as tmp:
        pq.write_table(table, tmp)
    with atomic_path(folder / "results.csv") as tmp, tmp.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for i in range(len(rows)):
            writer.writerow(_csv_cell(columns[name][i]) for name in names)


def read_table(folder: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of ``results.parquet`` in ``folder`` (nulls as None)."""
    import pyarrow.parquet as pq

    path = Path(folder) / "results.parquet"
    try:
        return pq.read_table(path).to_pylist()
    except (OSError, ValueError) as error:
        raise InputError(f"{path} cannot be read: {error}") from None


def _column(values: Sequence[Any]) -> list[Any]:
    """One type for a column: bool, int, float or text, with None for missing values."""
    present = [v for v in values if v is not None]
    if all(isinstance(v, bool) for v in present):
        return list(values)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return list(values)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return [None if v is None else float(v) for v in values]
    return [None if v is None else _display(v) for v in values]


def _csv_cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def _display(value: Any) -> Any:
    """A value as a table shows it: lists and tuples as ``"a,b"``, the rest as they are."""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return value


def _plain(value: Any) -> Any:
    """Tuples (frozen TOML lists) back to lists, as a loader or model option."""
    return list(value) if isinstance(value, tuple) else value


def _pair_text(pair: Sequence[int]) -> str:
    return ",".join(str(d) for d in pair)


# -- the report -----------------------------------------------------------------------------------
def build_report(spec: SweepSpec, rows: Sequence[Mapping[str, Any]]) -> Any:
    """The sweep's report: a summary table, each metric against each swept option, failures.

    It draws from the table's rows only (no data, no models), so it is redrawn in seconds.
    """
    from latentatlas.report import Report

    finished = [row for row in rows if row["status"] == "finished"]
    swept = spec.swept()
    report = Report(
        f"Sweep: {spec.dataset}",
        subtitle=f"latentatlas sweep {spec.source}",
        intro=(
            f"{len(rows)} runs of {', '.join(spec.models)} on {spec.dataset} over "
            f"{len(spec.seeds)} seed(s); {len(finished)} finished, "
            f"{len(rows) - len(finished)} failed. Swept: "
            f"{', '.join(name for name, _ in swept) or 'nothing but seeds'}."
        ),
    )
    metrics = [m for m in METRICS if any(_finite(row.get(m)) for row in finished)]
    report.add_summary_table(
        _summary_rows(finished, [name for name, _ in swept], metrics),
        caption="Each configuration's metrics over seeds (mean ± std, n = seeds).",
    )
    for name, values in swept:
        if name != "model":
            _add_option_section(report, finished, name, values, spec.models, metrics)
    if len(swept) <= 1:  # only models (or nothing) swept: one strip of seeds per metric
        _add_strips(report, finished, spec.models, metrics)
    _add_failures(report, [row for row in rows if row["status"] == "failed"])
    report.add_section("Spec").add_key_values(
        {k: _display(v) for k, v in spec.to_dict().items()}, caption=spec.source
    )
    return report


def _summary_rows(
    rows: Sequence[Mapping[str, Any]], swept: Sequence[str], metrics: Sequence[str]
) -> list[dict[str, Any]]:
    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(name) for name in swept or ["model"]), []).append(row)
    summary = []
    for key, members in groups.items():
        line: dict[str, Any] = dict(zip(swept or ["model"], key, strict=True))
        for metric in metrics:
            line[metric] = [row[metric] for row in members if _finite(row.get(metric))]
        summary.append(line)
    return summary


def _add_option_section(
    report: Any,
    rows: Sequence[Mapping[str, Any]],
    option: str,
    values: Sequence[Any],
    models: Sequence[str],
    metrics: Sequence[str],
) -> None:
    from latentatlas.plots import metric_vs_option

    section = report.add_section(f"Metrics against {option}")
    seeds = sorted({row["seed"] for row in rows})
    for metric in metrics:
        by_model = {
            model: [_seed_means(rows, model, option, value, metric, seeds) for value in values]
            for model in models
        }
        by_model = {m: v for m, v in by_model.items() if any(len(s) for s in v)}
        if not by_model:
            continue
        figure = metric_vs_option(
            list(values), by_model, option, METRICS[metric], f"{metric} against {option}"
        )
        section.add_figure(
            figure,
            f"{metric} against {option}",
            f"Dots: each seed's {metric}, averaged over the other swept options; line and bars: "
            f"mean ± std over seeds. Look for a trend in {option} larger than the seed spread.",
        )


def _seed_means(
    rows: Sequence[Mapping[str, Any]],
    model: str,
    option: str,
    value: Any,
    metric: str,
    seeds: Sequence[int],
) -> list[float]:
    """Per seed, the metric's mean over the runs of ``model`` with ``option == value``."""
    means = []
    for seed in seeds:
        found = [
            row[metric]
            for row in rows
            if row["model"] == model
            and row.get(option) == value
            and row["seed"] == seed
            and _finite(row.get(metric))
        ]
        if found:
            means.append(float(np.mean(found)))
    return means


def _add_strips(
    report: Any, rows: Sequence[Mapping[str, Any]], models: Sequence[str], metrics: Sequence[str]
) -> None:
    from latentatlas.plots import metric_strip

    section = report.add_section("Metrics by model")
    for metric in metrics:
        by_model = {
            model: [r[metric] for r in rows if r["model"] == model and _finite(r.get(metric))]
            for model in models
        }
        by_model = {m: v for m, v in by_model.items() if v}
        if by_model:
            section.add_figure(
                metric_strip(by_model, METRICS[metric], f"{metric} by model"),
                f"{metric} by model",
                "Dots: seeds; diamond: mean ± std. Compare the gap between models to the spread.",
            )


def _add_failures(report: Any, failed: Sequence[Mapping[str, Any]]) -> None:
    if not failed:
        return
    section = report.add_section("Failed runs", "Each failed run was tried twice.")
    section.add_table(
        [
            {"run": r["folder"], "model": r["model"], "seed": r["seed"], "error": r["error"]}
            for r in failed
        ]
    )


def _metric_names() -> set[str]:
    return {f.name for f in fields(RunMetrics)}


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
