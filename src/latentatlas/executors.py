"""Run a plan of trainings: in this process or in local worker processes.

A plan is a list of ``(RunConfig, run folder)``. Studies, ``latentatlas train`` and sweeps hand
their plans to an executor: :class:`LocalExecutor` (this process or a process pool) or
:class:`RayExecutor` (one Ray task per run, on a laptop or a cluster), both with the same
:meth:`run`; :func:`make_executor` picks one by name. A training that diverges or fails is recorded
as a failed :class:`RunOutcome` (or raised, with ``stop_on_error``) so that a study can carry on
with the other runs and say in its report which ones failed.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

from latentatlas.config import DataConfig, RunConfig
from latentatlas.errors import InputError

Plan = Sequence[tuple[RunConfig, Path]]


@dataclass(frozen=True)
class RunOutcome:
    """How one planned training ended.

    Attributes
    ----------
    path : Path
        The run folder.
    ok : bool
        True when the run folder is complete.
    error : str or None
        The one-sentence reason when it failed (a divergence, a resource error).
    seconds : float
        Wall-clock time of the training.
    """

    path: Path
    ok: bool
    error: str | None = None
    seconds: float = 0.0


class Executor(Protocol):
    """Anything that trains a plan and reports each run's outcome as it finishes."""

    def run(
        self,
        plan: Plan,
        *,
        overwrite: bool = False,
        stop_on_error: bool = False,
        on_done: Callable[[RunOutcome], None] | None = None,
        on_epoch: Callable[[Path, Any], None] | None = None,
    ) -> list[RunOutcome]: ...


class LocalExecutor:
    """Train in this process (``jobs=1``) or in ``jobs`` spawned worker processes.

    Parameters
    ----------
    jobs : int
        Worker processes; 1 trains here and loads each data set once.
    threads : int or None
        Torch threads per training. 1 makes the numbers independent of ``jobs`` and of the
        machine's thread settings (a reduction split over more threads sums in another order)
        and is also the fastest for small models (docs/performance.md). None keeps this
        process's setting in-process and gives each worker ``cpu_count // jobs``.
    progress : bool
        Per-epoch progress bars of in-process trainings (off in workers).
    datasets : mapping, optional
        Data sets already loaded, keyed by :func:`data_key` (what :func:`check_plan` returns),
        so that in-process trainings do not load them again.
    """

    def __init__(
        self,
        jobs: int = 1,
        threads: int | None = 1,
        progress: bool = False,
        datasets: Mapping[str, Any] | None = None,
    ):
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise InputError(f"jobs must be a positive integer, got {jobs!r}")
        self.jobs, self.threads, self.progress = jobs, threads, progress
        self.datasets = dict(datasets or {})

    def run(
        self,
        plan: Plan,
        *,
        overwrite: bool = False,
        stop_on_error: bool = False,
        on_done: Callable[[RunOutcome], None] | None = None,
        on_epoch: Callable[[Path, Any], None] | None = None,
    ) -> list[RunOutcome]:
        """Train every run of ``plan``; return the outcomes in the plan's order."""
        if not plan:
            return []
        if self.jobs == 1 or len(plan) == 1:
            return self._run_here(plan, overwrite, stop_on_error, on_done, on_epoch)
        return self._run_in_processes(plan, overwrite, stop_on_error, on_done, on_epoch)

    def _run_here(
        self,
        plan: Plan,
        overwrite: bool,
        stop_on_error: bool,
        on_done: Callable[[RunOutcome], None] | None,
        on_epoch: Callable[[Path, Any], None] | None,
    ) -> list[RunOutcome]:
        from latentatlas import data

        datasets = self.datasets
        outcomes = []
        for config, path in plan:
            key = data_key(config)
            if key not in datasets:
                datasets[key] = data.load(config.data.name, **config.data.options)
            epoch_callback = None if on_epoch is None else _bind(on_epoch, Path(path))
            outcome = train_one(
                config,
                Path(path),
                dataset=datasets[key],
                overwrite=overwrite,
                threads=self.threads,
                progress=self.progress,
                on_epoch=epoch_callback,
                catch=not stop_on_error,
            )
            outcomes.append(outcome)
            if on_done is not None:
                on_done(outcome)
        return outcomes

    def _run_in_processes(
        self,
        plan: Plan,
        overwrite: bool,
        stop_on_error: bool,
        on_done: Callable[[RunOutcome], None] | None,
        on_epoch: Callable[[Path, Any], None] | None,
    ) -> list[RunOutcome]:
        threads = threads_per_run(self)
        context = get_context("spawn")  # fork would copy torch's thread pools and locks
        # Workers send each finished epoch back on this queue (handed over when they start:
        # a queue cannot travel with a task) and a thread here passes it to on_epoch.
        epochs = None if on_epoch is None else context.Queue()
        # Workers are started by ``submit`` in this thread, which outlives the pool: what
        # _die_with_parent ties their lives to (see there).
        with (
            _relay_epochs(epochs, on_epoch),
            ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=context,
                initializer=_start_worker,
                initargs=(os.getpid(), epochs),
            ) as pool,
        ):
            futures = [
                pool.submit(
                    _train_in_worker, config.to_dict(), str(path), overwrite, threads, stop_on_error
                )
                for config, path in plan
            ]
            outcomes = []
            for future in futures:
                outcome = future.result()
                outcomes.append(outcome)
                if on_done is not None:
                    on_done(outcome)
        return outcomes


#: The executors :func:`make_executor` knows, for ``--executor``.
EXECUTORS = ("local", "ray")


class RayExecutor:
    """Train each run of a plan as one Ray task: a local Ray on this machine or a cluster.

    Each task asks for one CPU (and ``gpus_per_run`` GPUs where the run trains on CUDA) and
    trains with one torch thread, so its numbers equal :class:`LocalExecutor`'s. Ray itself
    does not retry (``max_retries=0``): a failed run, a dead worker included, comes back as a
    failed :class:`RunOutcome` and the caller (the sweep) decides whether to try it again.
    Run folders are written by the workers, so on a cluster they must lie on storage every
    node sees at the same path (docs/sweeps.md).

    Parameters
    ----------
    address : str or None
        A running cluster's address (``"auto"``, ``"ray://head:10001"``, ``"head:6379"``);
        None starts a local Ray for this process.
    num_cpus : int or None
        CPUs of a local Ray (None: all of this machine's); ignored with ``address``.
    gpus_per_run : float
        GPUs each run on CUDA asks for; a fraction lets tiny models share a GPU.
    """

    def __init__(
        self, address: str | None = None, num_cpus: int | None = None, gpus_per_run: float = 1.0
    ):
        if num_cpus is not None and (
            isinstance(num_cpus, bool) or not isinstance(num_cpus, int) or num_cpus < 1
        ):
            raise InputError(f"num_cpus must be a positive integer, got {num_cpus!r}")
        if not isinstance(gpus_per_run, int | float) or not 0 < gpus_per_run <= 1:
            raise InputError(f"gpus_per_run must be in (0, 1], got {gpus_per_run!r}")
        self.address, self.num_cpus, self.gpus_per_run = address, num_cpus, gpus_per_run
        self._started = False

    def run(
        self,
        plan: Plan,
        *,
        overwrite: bool = False,
        stop_on_error: bool = False,
        on_done: Callable[[RunOutcome], None] | None = None,
        on_epoch: Callable[[Path, Any], None] | None = None,
    ) -> list[RunOutcome]:
        """Train every run of ``plan``; return the outcomes in the plan's order.

        ``on_done`` is called in this process as tasks finish (in any order); ``on_epoch`` is
        accepted for the common signature but not called (epochs happen in the workers).
        """
        if not plan:
            return []
        ray = self._connect()
        has_gpu = ray.cluster_resources().get("GPU", 0) > 0
        task = ray.remote(_train_in_worker)
        pending = {}
        for index, (config, path) in enumerate(plan):
            gpus = self.gpus_per_run if _wants_gpu(config, has_gpu) else 0
            # Workers may start in another folder: send absolute paths.
            ref = task.options(num_cpus=1, num_gpus=gpus, max_retries=0).remote(
                config.to_dict(), str(Path(path).absolute()), overwrite, 1, stop_on_error
            )
            pending[ref] = index
        outcomes: list[RunOutcome | None] = [None] * len(plan)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(ready[0])
            outcome = self._result(ray, ready[0], Path(plan[index][1]), stop_on_error, pending)
            outcomes[index] = outcome
            if on_done is not None:
                on_done(outcome)
        return [outcome for outcome in outcomes if outcome is not None]

    def connect(self) -> None:
        """Join the cluster (or start the local Ray) now, so that a bad address fails early.

        Studies and sweeps call this (through :func:`connect`) before they write anything;
        :meth:`run` connects by itself when it was not called.

        Raises
        ------
        InputError
            When Ray is missing, nothing answers at the address, or Ray refuses to start.
        """
        self._connect()

    def _connect(self) -> Any:
        """Import Ray and join (or start) the cluster once per process."""
        import logging

        try:
            import ray
        except ImportError:
            raise InputError(
                "the ray executor needs Ray; install it with pip install 'latentatlas[ray]'"
            ) from None
        if not ray.is_initialized():
            address = self.address or os.environ.get("RAY_ADDRESS") or None
            if address not in (None, "auto", "local"):
                _check_reachable(address)
            # A Ray started here serves this process alone: it listens on loopback only.
            starts_one = address in (None, "local")
            local = {"num_cpus": self.num_cpus, "_node_ip_address": LOOPBACK} if starts_one else {}
            try:
                ray.init(
                    address=self.address,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.ERROR,
                    **local,
                )
            except (ConnectionError, RuntimeError, ValueError) as error:
                where = self.address or "a local Ray"
                raise InputError(f"cannot start or reach {where}: {_first_line(error)}") from None
            self._started = True
        return ray

    @staticmethod
    def _result(
        ray: Any, ref: Any, path: Path, stop_on_error: bool, pending: dict[Any, int]
    ) -> RunOutcome:
        """The finished task's outcome; a task that raised becomes a failed outcome."""
        try:
            outcome: RunOutcome = ray.get(ref)
        except ray.exceptions.RayError as error:
            if stop_on_error:
                for other in pending:
                    ray.cancel(other)
                cause = getattr(error, "cause", None)
                raise (cause if isinstance(cause, BaseException) else error) from None
            return RunOutcome(path, False, f"the Ray task failed: {_first_line(error)}")
        return RunOutcome(path, outcome.ok, outcome.error, outcome.seconds)

    def shutdown(self) -> None:
        """Disconnect from Ray (and stop the local Ray) if :meth:`run` started it."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False


#: Where a Ray started by :class:`RayExecutor` for this process listens.
LOOPBACK = "127.0.0.1"

#: Seconds :func:`_check_reachable` waits for an answer from a cluster's address.
REACH_SECONDS = 5.0


def connect(executor: Any) -> None:
    """Reach ``executor``'s workers before anything is written: a cluster's address is checked
    here, so a bad one fails in seconds and leaves no output folder behind.

    Executors without a ``connect`` method (local processes) have nothing to reach.
    """
    reach = getattr(executor, "connect", None)
    if reach is not None:
        reach()


def _check_reachable(address: str) -> None:
    """Refuse within seconds an address where nothing listens.

    ``ray.init`` itself retries such an address for many minutes with nothing but log lines
    (measured at ``127.0.0.1:1``: a try every 41 s, still waiting after 120 s; Ray makes 20).
    """
    import socket
    from urllib.parse import urlsplit

    client = address.startswith("ray://")
    try:
        parts = urlsplit(address if "://" in address else f"//{address}")
        host, port = parts.hostname, parts.port or (10001 if client else 6379)
    except ValueError:
        host = None
    if not host:
        raise InputError(f"--address {address!r} is not host:port or ray://host:port")
    try:
        with socket.create_connection((host, port), timeout=REACH_SECONDS):
            pass
    except OSError as error:
        reason = "no answer" if isinstance(error, TimeoutError) else error.strerror or error
        raise InputError(
            f"cannot reach a Ray cluster at {address} ({reason}); start it with "
            "ray start --head or check --address"
        ) from None


def _wants_gpu(config: RunConfig, cluster_has_gpu: bool) -> bool:
    device = config.train.device
    return device == "cuda" or (device == "auto" and cluster_has_gpu)


def _first_line(error: BaseException) -> str:
    cause = getattr(error, "cause", None)
    shown = cause if isinstance(cause, BaseException) else error
    lines = [line for line in str(shown).splitlines() if line.strip()]
    return f"{type(shown).__name__}: {lines[-1] if lines else ''}".rstrip(": ")


def make_executor(name: str, jobs: int | None = None, address: str | None = None) -> Executor:
    """The executor ``name`` (``"local"`` or ``"ray"``): what ``--executor`` picks.

    ``jobs`` is the number of local worker processes, or the CPUs of a local Ray (default: this
    machine's cores); with ``address`` the cluster's own size counts and ``jobs`` is ignored.
    Nothing is started here: a Ray connects when it is first given a plan.
    """
    import importlib.util

    if name not in EXECUTORS:
        raise InputError(f"--executor must be one of {', '.join(EXECUTORS)}, got {name!r}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise InputError(f"--jobs must be a positive integer, got {jobs!r}")
    if name == "local":
        if address is not None:
            raise InputError("--address needs --executor ray")
        return LocalExecutor(jobs or os.cpu_count() or 1, threads=1)
    if importlib.util.find_spec("ray") is None:
        raise InputError("--executor ray needs Ray; install it with pip install 'latentatlas[ray]'")
    return RayExecutor(address=address, num_cpus=jobs)


def threads_per_run(executor: Any) -> int | None:
    """The torch threads each run of ``executor`` trains with (what a study records), or None
    when the executor does not say.

    :class:`LocalExecutor` with ``threads=None`` keeps this process's setting in-process and
    gives each worker ``cpu_count // jobs``; :class:`RayExecutor` tasks train with one.
    """
    if isinstance(executor, RayExecutor):
        return 1
    threads = getattr(executor, "threads", None)
    if threads is not None or not isinstance(executor, LocalExecutor):
        return threads
    if executor.jobs == 1:
        import torch

        return int(torch.get_num_threads())
    return max(1, (os.cpu_count() or 1) // executor.jobs)


def data_key(config: RunConfig | DataConfig) -> str:
    """A text that is equal for runs (or data configs) that load the same data the same way."""
    data = config.data if isinstance(config, RunConfig) else config
    return json.dumps(data.to_dict(), sort_keys=True, default=str)


def train_one(
    config: RunConfig,
    path: Path,
    *,
    dataset: Any = None,
    overwrite: bool = False,
    threads: int | None = 1,
    progress: bool = False,
    on_epoch: Callable[[Any], None] | None = None,
    catch: bool = True,
    resume: bool = True,
) -> RunOutcome:
    """Train one run (resuming its checkpoint unless ``resume`` is False) and return its outcome.

    With ``catch`` a divergence or a resource error becomes a failed outcome whose ``error``
    is one sentence; without it the exception propagates.
    """
    from latentatlas.runs import train_run
    from latentatlas.train import TrainingDiverged

    started = time.perf_counter()
    try:
        with torch_threads(threads):
            train_run(
                config,
                path,
                dataset,
                progress=progress,
                resume=resume,
                overwrite=overwrite,
                on_epoch=on_epoch,
            )
    except (TrainingDiverged, InputError, MemoryError) as error:
        if not catch:
            raise
        return RunOutcome(path, False, _sentence(error), time.perf_counter() - started)
    return RunOutcome(path, True, None, time.perf_counter() - started)


def _sentence(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if isinstance(error, InputError | RuntimeError) else f"out of memory ({text})"


@contextmanager
def torch_threads(threads: int | None):  # type: ignore[no-untyped-def]
    """Set torch's intra-op threads and NumPy's BLAS threads for the block (None: as they are).

    BLAS counts too: PCA's closed form is a NumPy ``eigh``, whose thread count would otherwise
    differ between a local worker (all cores) and a Ray task (Ray sets one), and whose spinning
    threads slow tiny fits down many times on a loaded machine.
    """
    import torch
    from threadpoolctl import threadpool_limits

    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads, user_api="blas"):
            yield
    finally:
        torch.set_num_threads(before)


def _bind(on_epoch: Callable[[Path, Any], None], path: Path) -> Callable[[Any], None]:
    return lambda record: on_epoch(path, record)


#: Where a worker process sends its epochs (set by :func:`_start_worker`; None elsewhere).
_EPOCHS: Any = None


def _start_worker(parent: int, epochs: Any) -> None:
    """Worker initializer: die with the driver, and keep the queue the epochs go back on."""
    global _EPOCHS
    _die_with_parent(parent)
    _EPOCHS = epochs


@contextmanager
def _relay_epochs(epochs: Any, on_epoch: Callable[[Path, Any], None] | None):  # type: ignore[no-untyped-def]
    """Pass the ``(path, EpochRecord)`` pairs that workers put on ``epochs`` to ``on_epoch``,
    from a thread, until the block (which outlasts the workers) ends."""
    if epochs is None or on_epoch is None:
        yield
        return
    import threading

    def relay() -> None:
        while (item := epochs.get()) is not None:
            on_epoch(Path(item[0]), item[1])

    thread = threading.Thread(target=relay, name="latentatlas-epochs", daemon=True)
    thread.start()
    try:
        yield
    finally:
        epochs.put(None)  # after the workers are gone: their epochs are all in the queue
        thread.join()


def _die_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when ``parent``, the driver that started it, dies.

    A SIGKILLed driver runs no cleanup, and an idle pool worker waits on a queue whose write
    end it holds itself, so it never sees EOF: measured, the workers of a killed ``--jobs 2``
    study trained the queued runs and were still alive minutes later, racing the rerun.

    On Linux the kernel sends this worker SIGKILL when its parent dies (``PR_SET_PDEATHSIG``):
    nothing to poll and nothing the worker must be responsive for (it may sit in a long torch
    call). The signal is tied to the parent *thread* that started the worker; with the spawn
    context ``ProcessPoolExecutor.submit`` starts workers in the thread that calls
    :meth:`LocalExecutor.run`, which waits for the pool to close before it returns. Elsewhere
    a daemon thread polls the parent's pid twice a second. Either way a parent that died
    before this ran is caught by comparing pids.
    """
    import signal

    if not _parent_death_signal(signal.SIGKILL):
        import threading

        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the driver died while this worker started
        os._exit(1)


def _parent_death_signal(signal_number: int) -> bool:
    """Ask Linux to send this process ``signal_number`` when its parent dies; False elsewhere."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(1, signal_number, 0, 0, 0) == 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _train_in_worker(
    config: dict[str, Any], path: str, overwrite: bool, threads: int, stop_on_error: bool
) -> RunOutcome:
    """Train one run in a worker process (top level so that spawn can pickle it)."""
    import warnings

    # The parent already showed each data set's warnings once, as one sentence, when it checked
    # the plan; a worker would repeat them as raw Python warnings for every run it trains.
    warnings.simplefilter("ignore")
    queue = _EPOCHS
    return train_one(
        RunConfig.from_dict(config),
        Path(path),
        overwrite=overwrite,
        threads=threads,
        on_epoch=None if queue is None else lambda record: queue.put((path, record)),
        catch=not stop_on_error,
    )


def check_plan(plan: Plan) -> dict[str, Any]:
    """Load each data set and build each model of ``plan`` once, before anything is written.

    Returns the loaded data sets keyed by :func:`data_key`, so bad options fail fast with their
    own sentence (an unknown activation, a missing data folder, a split that leaves no data).
    """
    from latentatlas import data
    from latentatlas.models import check_buildable
    from latentatlas.train import resolve_device

    datasets: dict[str, Any] = {}
    checked: set[str] = set()
    for config, _ in plan:
        key = data_key(config)
        if key not in datasets:
            datasets[key] = data.load(config.data.name, **config.data.options)
            datasets[key].split(config.train.split_seed, config.train.validation_fraction)
        # Each model once per data set and device, not once per seed: a sweep of 10,000 runs
        # has a few dozen models at most, and building one takes about a millisecond.
        model = json.dumps(
            [key, config.model.to_dict(), config.train.device], sort_keys=True, default=str
        )
        if model not in checked:
            resolve_device(config.train.device)
            check_buildable(config.model, datasets[key].input_shape)
            checked.add(model)
    return datasets


def train_many(
    plan: Plan,
    jobs: int = 1,
    progress: bool = True,
    overwrite: bool = False,
    on_done: Callable[[str], None] | None = None,
    threads: int | None = 1,
) -> list[Path]:
    """Train every run of ``plan`` and stop at the first failure (``latentatlas train``).

    Complete runs are kept and interrupted ones resumed from their checkpoints; with
    ``overwrite`` complete runs are trained again. One torch thread per run by default, so
    the weights do not depend on ``jobs`` or on the machine's thread settings.
    """
    from latentatlas.progress import Progress

    datasets = check_plan(plan)
    # In-process trainings show their own epochs (a bar, or lines off a terminal); runs in
    # worker processes send theirs back to this stream, whose heartbeat names the latest.
    beats = progress and jobs > 1 and len(plan) > 1
    stream = Progress(
        on_done, enabled=beats or on_done is not None, heartbeat=None if beats else math.inf
    )

    def done(outcome: RunOutcome) -> None:
        stream.step(f"trained {outcome.path}")

    def epoch(path: Path, record: Any) -> None:
        stream.update(f"training {path}: epoch {record.epoch}")

    executor = LocalExecutor(jobs, threads=threads, progress=progress, datasets=datasets)
    with stream:
        outcomes = executor.run(
            plan, overwrite=overwrite, stop_on_error=True, on_done=done, on_epoch=epoch
        )
    return [outcome.path for outcome in outcomes]
