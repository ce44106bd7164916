"""The study engine: one driver for every study (plan, train, analyse, judge, report, resume).

A study is a small :class:`Study` object: a validated ``Config``, ``cells(config)`` (the grid,
each cell naming the runs it needs), ``analyse(config, cell, context)`` (a typed result that is
the metrics schema, plus the arrays its figures need), ``claim_specs(config)`` (its source's
claims as data, which the engine judges) and a report module (``report_module``) whose
``intro``, ``body`` and ``methods`` draw from stored results only; ``analyse`` is by default
``analyse_cell`` of its ``analyse_module``. The engine owns the folder::

    study.json            name, settings and environment, written once everything is validated
    runs/...              the run directories (each complete or absent)
    cells/<key>/          settings.json, arrays.npz, gates.json and result.json of each cell,
                          written when it is analysed, then manifest.json that vouches for them
    metrics.json          every cell's result, the verdicts and the failed runs
    report.html
    manifest.json         vouches for study.json and metrics.json (and report.html, derived)

and resumes an interrupted study by skipping finished runs and finished cells (a cell whose
files do not match its manifest is not finished: it is analysed again). It also owns the
report's frame (:func:`compose_report`): the title, the source cited by title, the verdicts,
the failed runs, the settings and the environment, around the study's own sections. It imports
no study: studies register themselves by name in :data:`STUDIES` and are imported when asked
for.
"""

from __future__ import annotations

import importlib
import json
import os
import shlex
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np
from numpy.typing import NDArray

from latentatlas._io import atomic_path, write_json
from latentatlas._lock import folder_lock
from latentatlas.config import DataConfig, RunConfig
from latentatlas.errors import InputError
from latentatlas.studies import registry
from latentatlas.studies.claims import Claim, ClaimSpec, Evidence, judge

#: The registry (:mod:`latentatlas.studies.registry`), re-exported where its users look for it.
STUDIES, OWN_COMMAND = registry.STUDIES, registry.OWN_COMMAND
get, names = registry.get, registry.names


@dataclass(frozen=True)
class Cell:
    """One cell of a study's grid.

    Attributes
    ----------
    key : str
        A path-like identifier, e.g. ``"pair-1-2/dim-2/tanh"``; also the cell's folder.
    runs : tuple of (RunConfig, str)
        The runs the cell needs, each with its folder relative to the study folder.
    params : mapping
        The study's own description of the cell (the pair, the dimension, ...).
    """

    key: str
    runs: tuple[tuple[RunConfig, str], ...]
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class CellOutput:
    """What :meth:`Study.analyse` returns: the typed result and the arrays its figures need."""

    result: Any
    arrays: Mapping[str, NDArray[Any]] = field(default_factory=dict)
    #: The learned-model gate of models that are not run folders (``inspect``'s sources), with
    #: its report arrays; None lets the engine gate the cell's runs itself.
    gates: tuple[Any, Mapping[str, NDArray[Any]]] | None = None
    #: 2-d maps of its runs' codes that the explorer offers as views
    #: (:class:`~latentatlas.studies.arrays.StoredMap`).
    maps: tuple[Any, ...] = ()


def seed_runs(
    config: Any,
    data: DataConfig,
    models: Mapping[str, Any],
    folder: str,
) -> tuple[tuple[RunConfig, str], ...]:
    """A cell's runs: every model for every training seed of ``config``, in model then seed order.

    Parameters
    ----------
    config : TrainingSettings
        The study's settings: its seed count and :meth:`train_config`.
    data : DataConfig
        The cell's data set (one split for every run: the seed changes only the training).
    models : mapping of str to ModelConfig
        The cell's models by the key its results use (e.g. ``"vae-beta4"``).
    folder : str
        Where the runs go, relative to the study: ``{folder}/{key}/seed-{seed}``.

    A model key the settings fill with a user's model (``--model-file KEY=...``) gets that
    model in the built-in's place (:func:`latentatlas.studies.slots.model_in_slot`).
    """
    from latentatlas.studies.slots import model_in_slot

    train = config.train_config()
    return tuple(
        (
            RunConfig(
                data=data, model=model_in_slot(config, key, model, seed), train=train, seed=seed
            ),
            f"{folder}/{key}/seed-{seed}",
        )
        for key, model in models.items()
        for seed in range(config.seeds)
    )


class AnalysisContext:
    """What an analysis may read: the cell's finished runs, the failed ones, and cached data."""

    def __init__(
        self,
        folder: Path,
        failures: Mapping[str, str],
        datasets: dict[str, Any] | None = None,
        progress: Any = None,
        label: str = "analysing",
    ):
        from latentatlas.progress import Progress

        self.folder = folder
        self.failures = dict(failures)
        # Shared by every cell of a study and seeded by the engine's up-front check.
        self._datasets: dict[str, Any] = {} if datasets is None else datasets
        self._progress = progress if progress is not None else Progress(enabled=False)
        self._label, self._stage = label, label

    def begin(self) -> None:
        """Say that the cell's analysis begins: the line ``analysing <cell>``, one per cell."""
        self._stage = self._label
        self._progress.step(f"analysing {self._label}")

    def step(self, what: str, line: bool = True) -> None:
        """Say that the analysis of ``what`` begins (a model's seed, a map): a progress line
        ``<cell>: <what>``, or with ``line=False`` only the state the heartbeat names."""
        self._stage = f"{self._label}: {what}"
        (self._progress.step if line else self._progress.update)(self._stage)

    def update(self, detail: str) -> None:
        """Name the analysis now running within the current step (no line; the heartbeat shows
        it while it lasts)."""
        self._progress.update(f"{self._stage}: {detail}")

    def per_seed(
        self, model: str, runs: Sequence[Any], analyse: Callable[[Any], Any], what: str = ""
    ) -> Any:
        """``analyse(run)`` of each of one model's finished ``runs``, as a
        :class:`~latentatlas.results.PerSeed` by training seed; each run begins the
        progress step ``<model>/seed-<s>`` (``: what`` added when given)."""
        from latentatlas.results import PerSeed

        def one(run: Any) -> Any:
            self.step(f"{model}/seed-{run.config.seed}" + (f": {what}" if what else ""))
            return analyse(run)

        return PerSeed(tuple(int(run.config.seed) for run in runs), tuple(map(one, runs)))

    def dataset(self, config: DataConfig) -> Any:
        """The data set of ``config``, loaded once per study."""
        from latentatlas.executors import data_key

        key = data_key(config)
        if key not in self._datasets:
            from latentatlas import data

            self._datasets[key] = data.load(config.name, **config.options)
        return self._datasets[key]

    def finished_runs(
        self, cell: Cell, group: Callable[[RunConfig, str], str] | None = None
    ) -> tuple[dict[str, list[Any]], dict[str, str]]:
        """The cell's finished runs, grouped in plan order, and its failed runs with reasons.

        Parameters
        ----------
        cell : Cell
        group : callable, optional
            ``group(run_config, relative_path) -> key``; by default the model key of the run's
            folder (``.../<model>/seed-<s>``), which a user's model in a slot keeps.

        Raises
        ------
        InputError
            When a run's validation rows are not its configuration's split (a run trained on
            another split must not be compared with the others).
        """
        from latentatlas.runs import split_indices

        grouped: dict[str, list[Any]] = {}
        failed: dict[str, str] = {}
        for config, relative in cell.runs:
            run = self.run(relative)
            if run is None:
                failed[relative] = self.failures.get(relative, "the run is missing")
                continue
            _, validation = split_indices(config, self.dataset(config.data))
            if not np.array_equal(run.latents["validation_indices"], validation):
                raise InputError(
                    f"run {run.path} was trained on another train/validation split; "
                    "rerun with --force"
                )
            key = group(config, relative) if group is not None else Path(relative).parent.name
            grouped.setdefault(key, []).append(run)
        return grouped, failed

    def run(self, relative: str) -> Any:
        """The loaded :class:`~latentatlas.runs.Run` at ``relative``; None if it did not finish."""
        from latentatlas import runs

        path = self.folder / relative
        return runs.load(path) if runs.is_complete(path) else None

    def split(self, cell: Cell) -> Split:
        """The cell's training and validation rows: those of its first run, which every run of
        the cell shares (:meth:`finished_runs` refuses a run that does not)."""
        from latentatlas.runs import split_indices

        first = cell.runs[0][0]
        dataset = self.dataset(first.data)
        train, validation = split_indices(first, dataset)
        return Split(Rows(dataset, train), Rows(dataset, validation))


class Study(ABC):
    """A named recipe the engine drives; see the module docstring and docs/architecture.md."""

    name: ClassVar[str]
    title: ClassVar[str]
    question: ClassVar[str]
    #: The source document's file in shared/seeds (for the docs; reports cite ``citation``).
    source: ClassVar[str]
    #: The source as a reader can find it: its title, and its author where it names one.
    citation: ClassVar[str]
    config_type: ClassVar[type]
    result_type: ClassVar[type]
    #: The key under which metrics.json holds every cell's result.
    cells_key: ClassVar[str] = "cells"
    #: The module that draws the report's own sections: ``intro(results) -> str``,
    #: ``body(report, results)``, ``methods(report, results)`` and optionally
    #: ``title(results) -> str``; imported only when a report is drawn.
    report_module: ClassVar[str]
    #: The module whose ``analyse_cell(config, cell, context)`` analyses a cell (imported only
    #: when one is analysed); a study without one overrides :meth:`analyse`.
    analyse_module: ClassVar[str | None] = None
    #: The entries of the first cell's result that metrics.json repeats at its top level (None:
    #: every entry).
    headline_fields: ClassVar[tuple[str, ...] | None] = None

    @abstractmethod
    def cells(self, config: Any) -> list[Cell]:
        """The grid in a fixed order; the first cell is the headline one."""

    def analyse(self, config: Any, cell: Cell, context: AnalysisContext) -> CellOutput:
        """Every analysis of one cell, from its runs (and data), as a typed result: by default
        the ``analyse_cell`` of :attr:`analyse_module`."""
        if self.analyse_module is None:
            raise NotImplementedError(f"study {self.name} has no analyse_module and no analyse")
        return importlib.import_module(self.analyse_module).analyse_cell(config, cell, context)

    def claim_specs(self, config: Any) -> list[ClaimSpec]:
        """The source's claims as data (none by default); the engine judges them."""
        return []

    def check(self, config: Any) -> None:
        """Validate what only the study can (e.g. a user's model), before anything is written."""
        return None  # nothing by default

    def cell_settings(self, config: Any, cell: Cell) -> dict[str, Any]:
        """What a cell's stored analysis depends on; it is reused while this is unchanged (by
        default every setting: an analysis option may change without any run changing) and
        the analysis code is too (:mod:`latentatlas.studies.provenance`)."""
        return config.to_dict()

    def headline(self, config: Any, results: Mapping[str, Any]) -> dict[str, Any]:
        """Top-level metrics.json entries (by default the first cell's result, or its
        :attr:`headline_fields`)."""
        first = self.cells(config)[0].key
        if first not in results:
            return {}
        document = results[first].to_dict()
        fields = self.headline_fields
        return document if fields is None else {name: document[name] for name in fields}

    def report(self, results: StudyResults) -> Any:
        """The :class:`~latentatlas.report.Report`, drawn from stored results only."""
        return compose_report(results)


@dataclass(frozen=True, eq=False)
class StudyResults:
    """A finished study read back: settings, typed cell results, verdicts and failures."""

    study: Study
    folder: Path
    config: Any
    cells: tuple[Cell, ...]
    results: Mapping[str, Any]
    claims: tuple[Claim, ...]
    failures: Mapping[str, str]
    environment: Mapping[str, Any]
    #: The learned-model gate of each cell's runs (:class:`~latentatlas.studies.gates.CellGates`).
    gates: Mapping[str, Any] = field(default_factory=dict)

    def arrays(self, key: str) -> dict[str, NDArray[Any]]:
        """The arrays stored with cell ``key``.

        Raises
        ------
        InputError
            When the file is missing or cannot be read (a study folder written before manifests
            is not checked by :func:`load`), naming the command that recomputes it.
        """
        return self._read_arrays(key, lambda archive: {n: archive[n] for n in archive.files})

    def maps(self) -> tuple[Any, ...]:
        """Every cell's 2-d maps of run codes (:class:`~latentatlas.studies.arrays.StoredMap`,
        each naming its run relative to :attr:`folder`), for the explorer; InputError as
        :meth:`arrays`."""
        from latentatlas.studies.arrays import restore_maps

        return tuple(m for cell in self.cells for m in self._read_arrays(cell.key, restore_maps))

    def _read_arrays(self, key: str, read: Callable[[Any], Any]) -> Any:
        """``read(archive)`` of cell ``key``'s arrays.npz, any failure named as one sentence."""
        path = self.folder / "cells" / key / "arrays.npz"
        try:
            with np.load(path, allow_pickle=False) as archive:
                return read(archive)
        except Exception as error:  # missing, truncated (BadZipFile), a folder: name the file
            from latentatlas.studies.integrity import rerun_command

            reason = "is missing" if not path.exists() else f"cannot be read ({error})"
            raise InputError(
                f"{path} {reason}; rerun `{rerun_command(self.folder)}` to recompute it"
            ) from None


# -- running --------------------------------------------------------------------------------------
def run(
    name: str | Study,
    config: Any,
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    jobs: int = 1,
    executor: Any = None,
    progress: bool = True,
    on_step: Callable[[str], None] | None = None,
    retries: int = 0,
) -> Path:
    """Train, analyse, judge and report one study into ``out``; return the report's path.

    Everything is validated before the first write (settings, data, models, device, the runs
    already in ``out``); finished runs and cells are reused, so an interrupted study resumes.

    Parameters
    ----------
    name : str or Study
        A registered study name or a study object.
    config : the study's Config
        Its settings.
    out : path
        The study folder (created).
    force : bool
        Retrain every run and re-analyse every cell, even when settings changed.
    jobs : int
        Training processes (one torch thread each) when ``executor`` is not given.
    executor : Executor, optional
        What trains the plan; by default :class:`~latentatlas.executors.LocalExecutor`.
    progress : bool
        A progress bar of the runs on a terminal (never in CI) and, without ``on_step``,
        progress lines on the ``latentatlas`` logger (printed on stderr while logging is not
        set up); False is silent.
    on_step : callable or Progress, optional
        Called with each progress line (runs trained, each analysis stage, the report drawn,
        and a heartbeat naming the current stage whenever nothing was said for a few seconds;
        :mod:`latentatlas.progress`).
    retries : int
        How many more times a failed run is trained, after the others (a sweep: 1); a run
        that fails every time is recorded with its error and the rest carry on.
    """
    from latentatlas.progress import progress_of

    study = get(name) if isinstance(name, str) else name
    if not isinstance(config, study.config_type):
        raise InputError(f"study {study.name} takes a {study.config_type.__name__}")
    # A given on_step hears every line; without one, ``progress`` says whether the logger does.
    with progress_of(on_step, enabled=progress or on_step is not None) as stream:
        return _run(study, config, Path(out), force, jobs, executor, progress, stream, retries)


def _run(
    study: Study,
    config: Any,
    folder: Path,
    force: bool,
    jobs: int,
    executor: Any,
    bar: bool,
    progress: Any,
    retries: int,
) -> Path:
    """:func:`run` inside its progress stream: each stage says that it begins."""
    from latentatlas.executors import LocalExecutor, check_plan, connect, threads_per_run
    from latentatlas.studies.config import check_memory

    check_output_folder(folder)
    check_memory(config)  # before the data are loaded: a typo can ask for terabytes
    cells = study.cells(config)
    plan = _plan(folder, cells)
    # An update, not a line: a refused study prints its error alone (unless checking is slow).
    progress.update(f"{study.name}: loading the data and checking {len(plan)} planned runs")
    datasets = check_plan(plan)
    _check_report_target(folder)
    _check_write_targets(folder, cells)
    from latentatlas.studies.slots import check as check_slots

    check_slots(study, config, cells, datasets)  # a user's model in a slot, on the cells' data
    study.check(config)
    connect(executor)  # a cluster that cannot be reached fails here, before the first write
    with folder_lock(folder):  # a second process writing here is refused, not interleaved
        if not force:
            progress.update(f"{study.name}: checking the runs already in {folder}")
            _check_folder_matches(folder, study, plan, datasets)
        executor = executor or LocalExecutor(jobs, threads=1, datasets=datasets)
        _write_study_file(folder, study, config, threads_per_run(executor))
        todo = [(c, p) for c, p in plan if force or not _is_complete(p)]
        finished = len(plan) - len(todo)
        progress.step(f"{study.name}: {len(plan)} runs planned, {finished} already finished")
        failures = _train(todo, executor, force, bar, progress, retries)
        retrained = {str(p) for _, p in todo}
        results, gates = {}, {}
        for cell in cells:
            failed = _relative(folder, failures)
            context = AnalysisContext(folder, failed, datasets, progress, cell.key)
            analysed = _analysed(study, config, cell, context, retrained, force)
            results[cell.key], gates[cell.key] = analysed
        progress.step(f"{study.name}: judging the claims and writing metrics.json")
        claims = verdicts(study, config, results, gates)
        _write_metrics(folder, study, config, cells, results, gates, claims, failures)
        progress.step(f"{study.name}: drawing the report")
        return write_report(folder)


def verdicts(
    study: Study,
    config: Any,
    results: Mapping[str, Any],
    gates: Mapping[str, Any] | None = None,
) -> list[Claim]:
    """The study's verdicts: its claim specs judged on ``results`` and the runs' ``gates``.

    A claim that declares the models it rests on (``needs=(gates.learned(...),)``) is not
    judged when any of their seeds failed the learned-model gate.
    """
    evidence = Evidence(config, study.cells(config), results, dict(gates or {}))
    return judge(study.claim_specs(config), evidence)


def load(out: str | os.PathLike[str]) -> StudyResults:
    """Read the finished study in ``out``: settings, typed results, verdicts and failures.

    The study files and every cell are checked against their manifests first; a folder written
    before manifests is read unverified.

    Raises
    ------
    InputError
        One sentence naming what is damaged or missing and the command that recomputes it.
    """
    from latentatlas.studies.integrity import verify_cells, verify_study_files

    folder = Path(out)
    verify_study_files(folder)  # before reading: a damaged file is named, not half-read
    study, config, environment = _read_study_file(folder)
    metrics = _read_json(folder / "metrics.json", "run the study first")
    try:
        cells = tuple(study.cells(config))
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(
            f"{folder / 'study.json'} holds settings study {study.name} cannot plan ({error!r}); "
            "run the study again"
        ) from None
    verify_cells(folder, cells)
    try:
        results = {
            c.key: study.result_type.from_dict(metrics[study.cells_key][c.key]) for c in cells
        }
        claims = tuple(Claim.from_dict(c) for c in metrics.get("verdicts", []))
        failures = dict(metrics.get("failed_runs", {}))
        gates = {k: _cell_gates().from_dict(v) for k, v in metrics.get("gates", {}).items()}
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise InputError(
            f"{folder / 'metrics.json'} does not match study {study.name} ({error!r}); "
            "run the study again"
        ) from None
    return StudyResults(study, folder, config, cells, results, claims, failures, environment, gates)


def write_report(out: str | os.PathLike[str]) -> Path:
    """Redraw ``report.html`` of the study in ``out`` from its stored results only."""
    from latentatlas.studies.integrity import vouch_for_report

    folder = Path(out)
    _check_report_target(folder)
    results = load(folder)
    path = results.study.report(results).write(folder / "report.html")
    vouch_for_report(folder)
    return path


def _check_report_target(folder: Path) -> None:
    """Refuse a ``report.html`` that is not a file (a folder, say) before anything is drawn."""
    path = folder / "report.html"
    if path.exists() and not path.is_file():
        raise InputError(
            f"{path} is a folder, not a file; remove it and draw the report again "
            f"(`latentatlas report {shlex.quote(str(folder))}`)"
        )


def _check_write_targets(folder: Path, cells: Sequence[Cell]) -> None:
    """Refuse, before any write, a study file that is a folder or a cell folder that is a file."""
    files = [folder / name for name in ("study.json", "metrics.json", "manifest.json")]
    for cell in cells:
        cell_folder = folder / "cells" / cell.key
        if cell_folder.exists() and not cell_folder.is_dir():
            raise InputError(
                f"{cell_folder} is a file, not a folder; remove it and run the study again"
            )
        names = ("settings.json", "arrays.npz", "gates.json", "result.json", "manifest.json")
        files += [cell_folder / name for name in names]
    for path in files:
        if path.is_dir():
            raise InputError(f"{path} is a folder, not a file; remove it and run the study again")


def compose_report(results: StudyResults) -> Any:
    """A study's report in the frame every study shares.

    The title and the source first, then the verdicts on the source's claims, the study's own
    sections (its report module's ``body``), the failed runs, its ``methods``, the settings
    that ran and the environment.
    """
    from latentatlas.report import Report
    from latentatlas.studies import sections

    study = results.study
    module = importlib.import_module(study.report_module)
    title = getattr(module, "title", None)
    report = Report(
        title=title(results) if title else f"{study.title}: {study.question}",
        subtitle=f"latentatlas study {study.name}, after {study.citation}",
        intro=module.intro(results),
    )
    sections.add_verdicts(report, results.claims, study.citation, config=results.config)
    sections.add_gates(report, results)
    module.body(report, results)
    sections.add_failures(report, results.failures)
    module.methods(report, results)
    sections.add_settings(report, results.config)
    sections.add_environment(report, results.environment)
    return report


def check_output_folder(folder: Path) -> None:
    """Refuse an output that is a file, a broken link or cannot be created, before any write.

    Where the folder does not exist yet, a probe folder is made and removed in its nearest
    existing parent: the one reliable test that a folder can be created there (read-only
    file systems, /proc, permissions), and it leaves nothing behind.
    """
    import tempfile

    for path in (folder, *folder.parents):
        where = "is" if path == folder else f"lies below {path}, which is"
        if path.is_symlink() and not path.exists():
            raise InputError(
                f"output folder {folder} {where} a broken link to the missing "
                f"{os.readlink(path)}; remove the link or choose another folder"
            )
        if path.exists() and not path.is_dir():
            raise InputError(f"output folder {folder} {where} a file; choose a folder")
    if folder.is_dir():
        return
    parent = next(path for path in folder.parents if path.is_dir())
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".latentatlas-probe-", dir=parent))
    except OSError as error:
        raise InputError(
            f"output folder {folder} cannot be created: {parent} does not accept new folders "
            f"({error.strerror or error}); choose another folder"
        ) from None


# -- internals ------------------------------------------------------------------------------------
def _plan(folder: Path, cells: Sequence[Cell]) -> list[tuple[RunConfig, Path]]:
    """Every run of every cell once, in cell order."""
    plan: dict[Path, RunConfig] = {}
    for cell in cells:
        for config, relative in cell.runs:
            path = folder / relative
            if plan.setdefault(path, config) != config:
                raise InputError(f"two cells plan different runs into {path}")  # a study bug
    return [(config, path) for path, config in plan.items()]


def _is_complete(path: Path) -> bool:
    from latentatlas.runs import is_complete

    return is_complete(path)


def _check_folder_matches(
    folder: Path, study: Study, plan: Sequence[tuple[RunConfig, Path]], datasets: Mapping[str, Any]
) -> None:
    """Refuse to mix runs of other settings or another split into ``folder`` (without force)."""
    from latentatlas.executors import data_key
    from latentatlas.runs import split_indices, verify

    stored = _stored_study_name(folder)
    if stored is not None:
        if stored != study.name:
            raise InputError(
                f"{folder} holds a {stored!r} study, not {study.name}; choose another --out"
            )
    for config, path in plan:
        if not _is_complete(path):
            continue
        try:
            verify(path)
        except InputError as error:
            raise InputError(f"{error}; pass --force to train it again") from None
        stored = _read_json(path / "config.json", "pass --force to retrain it")
        stored_config = {k: stored.get(k) for k in ("data", "model", "train", "seed")}
        if stored_config != json.loads(json.dumps(config.to_dict(), default=str)):
            raise InputError(
                f"{path} was trained with other settings than this study asks for; "
                "choose another --out or pass --force to retrain"
            )
        _, validation = split_indices(config, datasets[data_key(config)])
        if not np.array_equal(_stored_validation_indices(path), validation):
            raise InputError(
                f"{path} was trained on another train/validation split; "
                "choose another --out or pass --force to retrain"
            )


def _stored_study_name(folder: Path) -> str | None:
    """The study that wrote ``folder``, read from the first of study.json and metrics.json that
    matches the manifest: a rerun rewrites a damaged one. None for a new folder, and where the
    manifest vouches for neither (the runs' settings are still checked one by one)."""
    from latentatlas.studies.integrity import stored_study_name

    study_file = folder / "study.json"
    if not study_file.exists():
        return None
    name = stored_study_name(folder)
    if name is None and not (folder / "manifest.json").exists():  # written before manifests
        name = _read_json(study_file, "remove it or choose another --out").get("study")
    return name


def _stored_validation_indices(path: Path) -> NDArray[np.int64]:
    try:
        with np.load(path / "latents.npz", allow_pickle=False) as archive:
            return archive["validation_indices"]
    except (OSError, ValueError, KeyError) as error:
        raise InputError(f"{path / 'latents.npz'} cannot be read: {error}") from None


def _write_study_file(folder: Path, study: Study, config: Any, threads: int | None) -> None:
    """study.json; its environment's ``torch_threads`` are those each run trains with (and the
    analyses run with one), not this process's default."""
    from latentatlas._env import environment
    from latentatlas.studies.integrity import FORMAT_VERSION

    document = {
        "study": study.name,
        "format_version": FORMAT_VERSION,
        "config": config.to_dict(),
        "environment": environment(threads),
    }
    from latentatlas.studies.integrity import write_study_manifest

    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "study.json", document)
    write_study_manifest(folder, study.name, ["study.json"])  # metrics.json joins it later


def _read_study_file(folder: Path) -> tuple[Study, Any, dict[str, Any]]:
    study_file = folder / "study.json"
    if not study_file.is_file():
        raise InputError(f"{folder} is not a study folder: {study_file} is missing")
    document = _read_json(study_file, "run the study again")
    name = document.get("study")
    if not isinstance(name, str) or name not in STUDIES:
        raise InputError(f"{study_file} names study {name!r}, which this version does not know")
    study = get(name)
    config = study.config_type.from_dict(document.get("config"))
    environment = document.get("environment")
    return study, config, dict(environment) if isinstance(environment, dict) else {}


def _read_json(path: Path, hint: str) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path} is missing; {hint}") from None
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise InputError(f"{path} is not valid JSON ({error}); {hint}") from None
    if not isinstance(document, dict):
        raise InputError(f"{path} must hold a JSON object; {hint}")
    return document


def _train(
    todo: Sequence[tuple[RunConfig, Path]],
    executor: Any,
    force: bool,
    bar: bool,
    progress: Any,
    retries: int = 0,
) -> dict[str, str]:
    """Train the plan, then up to ``retries`` more times the runs that failed; return the runs
    that failed every time (path -> reason) and let the rest carry on."""
    failures = _train_once(todo, executor, force, bar, progress, "run")
    for attempt in range(1, retries + 1):
        failed = {Path(path) for path in failures}
        again = [(config, path) for config, path in todo if Path(path) in failed]
        if not again:
            break
        times = "once" if retries == 1 else f"(retry {attempt} of {retries})"
        progress.step(f"retrying {len(again)} failed run(s) {times}")
        failures = _train_once(again, executor, force, bar, progress, "retry")
    return failures


def _train_once(
    todo: Sequence[tuple[RunConfig, Path]],
    executor: Any,
    force: bool,
    bar: bool,
    progress: Any,
    word: str,
) -> dict[str, str]:
    """Train ``todo`` once; return the failed runs (path -> reason)."""
    failures: dict[str, str] = {}
    if not todo:
        return failures
    epochs = {Path(path): config.train.epochs for config, path in todo}
    progress.step(f"training {len(todo)} run(s): {_how(executor)}")
    with _ProgressDisplay(len(todo), bar) as display:

        def done(outcome: Any) -> None:
            display.finished(outcome)
            if not outcome.ok:
                failures[str(outcome.path)] = outcome.error or "failed"
            state = "trained" if outcome.ok else f"FAILED ({outcome.error})"
            left = display.remaining_seconds()
            eta = f", about {left / 60:.1f} min left" if display.done < len(todo) else ""
            progress.step(f"{word} {display.done} of {len(todo)} {state}{eta}: {outcome.path}")
            progress.update(f"training: {display.done} of {len(todo)} run(s) finished")

        def epoch(path: Path, record: Any) -> None:
            display.epoch(path, record)
            name = f"{path.parent.name}/{path.name}"
            total = epochs.get(Path(path), "?")
            loss = record.validation.get("total", float("nan"))
            progress.update(f"training {name}: epoch {record.epoch} of {total}, loss {loss:.4g}")

        executor.run(todo, overwrite=force, on_done=done, on_epoch=epoch)
    return failures


def _how(executor: Any) -> str:
    """How the executor trains, for the progress line: processes and threads per run."""
    from latentatlas.executors import threads_per_run

    jobs = getattr(executor, "jobs", None)
    where = type(executor).__name__ if jobs is None else f"{jobs} process(es)"
    threads = threads_per_run(executor)
    return where if threads is None else f"{where}, {threads} torch thread(s) each"


def _relative(folder: Path, failures: Mapping[str, str]) -> dict[str, str]:
    """Failed runs keyed by their folder relative to the study, as cells name them."""
    return {str(Path(path).relative_to(folder)): reason for path, reason in failures.items()}


def _analysed(
    study: Study,
    config: Any,
    cell: Cell,
    context: AnalysisContext,
    retrained: set[str],
    force: bool,
) -> tuple[Any, Any]:
    """The cell's result and its runs' gates: read back when finished and still valid, else
    analysed and stored."""
    from latentatlas.studies.gates import gate_cell

    folder = context.folder
    cell_folder = folder / "cells" / cell.key
    touched = any(str(folder / relative) in retrained for _, relative in cell.runs)
    if not (force or touched):
        stored = _stored_result(study, cell_folder, _cell_record(study, config, cell))
        if stored is not None:
            return stored
    context.begin()
    context.step("loading its data and runs", line=False)
    from latentatlas.executors import torch_threads

    # One torch thread, as the runs were trained: the numbers are then the same on every machine,
    # and the small batches of path decodes and traversals run faster than on busy threads.
    with torch_threads(1):
        output = study.analyse(config, cell, context)
        if output.gates is None:
            context.step("the learned-model gate", line=False)
        gates, gate_arrays = output.gates or gate_cell(cell, context)
    context.step("writing its results", line=False)
    from latentatlas.studies.arrays import store_maps
    from latentatlas.studies.integrity import write_cell_manifest

    cell_folder.mkdir(parents=True, exist_ok=True)
    (cell_folder / "manifest.json").unlink(missing_ok=True)  # unfinished until written again
    arrays = {**output.arrays, **gate_arrays}
    store_maps(arrays, output.maps)
    with atomic_path(cell_folder / "arrays.npz") as tmp, tmp.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    write_json(cell_folder / "settings.json", _cell_record(study, config, cell))
    write_json(cell_folder / "gates.json", gates.to_dict())
    write_json(cell_folder / "result.json", output.result.to_dict())
    write_cell_manifest(cell_folder)  # last: it vouches for the files above
    return output.result, gates


def _cell_record(study: Study, config: Any, cell: Cell) -> dict[str, Any]:
    """What the cell's settings.json records (:mod:`latentatlas.studies.provenance`): the
    settings its analysis reads and the version of the code that analyses it."""
    from latentatlas.studies.provenance import cell_record

    return cell_record(study.cell_settings(config, cell), study)


def _stored_result(
    study: Study, cell_folder: Path, wanted: Mapping[str, Any]
) -> tuple[Any, Any] | None:
    """A finished cell's result and gates, or None when absent, damaged or unverifiable (its
    files do not match its manifest, or it has none), analysed with other settings (an
    analysis option may have changed without any run changing) or by other code (a fixed
    analysis), or written by another schema."""
    from latentatlas.studies.integrity import cell_is_intact

    path = cell_folder / "result.json"
    settings = cell_folder / "settings.json"
    if not cell_is_intact(cell_folder):
        return None
    try:
        if json.loads(settings.read_text()) != json.loads(json.dumps(wanted)):
            return None
        result = study.result_type.from_dict(json.loads(path.read_text()))
        gates = _cell_gates().from_dict(json.loads((cell_folder / "gates.json").read_text()))
        return result, gates
    except (InputError, ValueError, KeyError, TypeError):
        return None  # another version's schema: analyse again


def _cell_gates() -> Any:
    from latentatlas.studies.gates import CellGates

    return CellGates


def _write_metrics(
    folder: Path,
    study: Study,
    config: Any,
    cells: Sequence[Cell],
    results: Mapping[str, Any],
    gates: Mapping[str, Any],
    claims: Sequence[Claim],
    failures: Mapping[str, str],
) -> None:
    document = {
        "study": study.name,
        "config": config.to_dict(),
        "verdicts": [claim.to_dict() for claim in claims],
        "failed_runs": {str(Path(p).relative_to(folder)): r for p, r in failures.items()},
        "gates": {key: gates[key].to_dict() for key in gates},
        **study.headline(config, results),
        study.cells_key: {cell.key: results[cell.key].to_dict() for cell in cells},
    }
    from latentatlas.studies.integrity import write_study_manifest

    write_json(folder / "metrics.json", document)
    write_study_manifest(folder, study.name, ["study.json", "metrics.json"])


class _ProgressDisplay:
    """One Rich progress bar for a whole study: runs done of total, the current run, times."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.done = total, 0
        self.enabled = enabled and total > 0 and sys.stdout.isatty() and not os.environ.get("CI")
        self.progress: Any = None
        self.started = time.perf_counter()

    def __enter__(self) -> _ProgressDisplay:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("runs"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                TextColumn("{task.description}"),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("", total=self.total)
        return self

    def epoch(self, path: Path, record: Any) -> None:
        if self.progress is not None:
            text = f"{path.parent.name}/{path.name} epoch {record.epoch}"
            self.progress.update(self.task, description=text)

    def remaining_seconds(self) -> float:
        """Time left at the mean pace of the runs finished so far."""
        elapsed = time.perf_counter() - self.started
        return elapsed / max(self.done, 1) * (self.total - self.done)

    def finished(self, outcome: Any) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress.update(self.task, advance=1)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


@dataclass(frozen=True, eq=False)
class Rows:
    """Rows of a data set (a cell's training or validation rows: :meth:`AnalysisContext.split`).

    ``index`` holds their row numbers; their inputs, labels and factors are read on first use
    and kept (the labels and factors are None for a data set without them).
    """

    dataset: Any
    index: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.index)

    @cached_property
    def x(self) -> NDArray[Any]:
        """The rows' inputs."""
        return self.dataset.x[self.index]

    @cached_property
    def labels(self) -> NDArray[Any] | None:
        """The rows' labels."""
        labels = self.dataset.labels
        return None if labels is None else np.asarray(labels)[self.index]

    @cached_property
    def factors(self) -> NDArray[Any] | None:
        """The rows' ground-truth factors."""
        factors = self.dataset.factors
        return None if factors is None else np.asarray(factors)[self.index]


class Split(NamedTuple):
    """A cell's training rows and validation rows (:meth:`AnalysisContext.split`)."""

    train: Rows
    validation: Rows
