"""The one training loop for every model: index batches, early stopping, checkpoints, NaN stop."""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from latentatlas._io import atomic_path
from latentatlas.config import TrainConfig
from latentatlas.errors import InputError
from latentatlas.models.base import Autoencoder

IN_MEMORY_BYTES = 4 * 2**30  # arrays up to this size live as one tensor on the device
EVAL_BATCH = 1024
CHECKPOINT_NAME = "checkpoint.pt"


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint (if any) is kept."""


@dataclass(frozen=True)
class EpochRecord:
    """Losses of one epoch: each term averaged over samples, for training and validation."""

    epoch: int
    train: dict[str, float]
    validation: dict[str, float]
    lr: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        return {
            "epoch": self.epoch,
            "train": dict(self.train),
            "validation": dict(self.validation),
            "lr": self.lr,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class History:
    """Per-epoch record of a training run.

    Attributes
    ----------
    epochs : tuple of EpochRecord
        One record per completed epoch (one for closed-form models).
    best_epoch : int
        The epoch whose weights the model holds at the end (lowest validation loss).
    stopped_early : bool
        True when patience ran out before the last epoch.
    device : str
        Where training ran.
    threads : int or None
        The torch threads it trained with (None: not recorded, a run written before).
    """

    epochs: tuple[EpochRecord, ...] = ()
    best_epoch: int = 0
    stopped_early: bool = False
    device: str = "cpu"
    threads: int | None = None

    @property
    def train_loss(self) -> list[float]:
        """Total training loss per epoch."""
        return [record.train["total"] for record in self.epochs]

    @property
    def validation_loss(self) -> list[float]:
        """Total validation loss per epoch."""
        return [record.validation["total"] for record in self.epochs]

    @property
    def best(self) -> EpochRecord:
        """The record of :attr:`best_epoch`."""
        return self.epochs[self.best_epoch - 1]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        return {
            "epochs": [record.to_dict() for record in self.epochs],
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
            "device": self.device,
            "threads": self.threads,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """Inverse of :meth:`to_dict`."""
        return cls(
            epochs=tuple(EpochRecord(**record) for record in data["epochs"]),
            best_epoch=int(data["best_epoch"]),
            stopped_early=bool(data["stopped_early"]),
            device=str(data["device"]),
            threads=None if data.get("threads") is None else int(data["threads"]),
        )


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators (CPU and CUDA) with ``seed``."""
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002  (legacy code that uses the global state)
    torch.manual_seed(seed)


def resolve_device(name: str) -> torch.device:
    """Turn ``"auto"``, ``"cpu"`` or ``"cuda"`` into a torch device; auto picks CUDA if present."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError(
            "device 'cuda' was asked for but no CUDA GPU is available; use cpu or auto"
        )
    if name not in ("cpu", "cuda"):
        raise InputError(f"device must be 'auto', 'cpu' or 'cuda', got {name!r}")
    return torch.device(name)


# -- data access ----------------------------------------------------------------------------------
class _Rows:
    """Training rows: one device tensor when they fit in memory, else read lazily per batch."""

    def __init__(self, x: Any, labels: NDArray | None, device: torch.device):
        in_memory = (
            isinstance(x, np.ndarray)
            and not isinstance(x, np.memmap)
            and x.nbytes <= IN_MEMORY_BYTES
        )
        self.device = device
        self.n = len(x)
        self.x = (
            torch.from_numpy(np.ascontiguousarray(x, np.float32)).to(device) if in_memory else x
        )
        self.lazy = not in_memory
        self.labels = (
            None if labels is None else torch.as_tensor(np.asarray(labels)).long().to(device)
        )

    def batches(self, order: torch.Tensor, batch_size: int) -> Iterator[tuple[torch.Tensor, Any]]:
        """Yield (inputs, labels) for consecutive slices of ``order``."""
        if not self.lazy:
            order = order.to(self.device)
            for idx in order.split(batch_size):
                labels = None if self.labels is None else self.labels.index_select(0, idx)
                yield self.x.index_select(0, idx), labels  # faster than x[idx] for small batches
            return
        for idx in order.split(batch_size):
            rows = np.sort(idx.numpy())  # memory maps read fastest in ascending order
            batch = torch.from_numpy(np.asarray(self.x[rows], dtype=np.float32)).to(self.device)
            labels = (
                None if self.labels is None else self.labels[torch.from_numpy(rows).to(self.device)]
            )
            yield batch, labels


# -- the loop -------------------------------------------------------------------------------------
@dataclass
class _State:
    """Everything that changes from epoch to epoch and goes into a checkpoint."""

    records: list[EpochRecord] = field(default_factory=list)
    best_loss: float = math.inf
    best_epoch: int = 0
    best_weights: dict[str, torch.Tensor] | None = None
    bad_epochs: int = 0


def fit(
    model: Autoencoder,
    train_x: Any,
    validation_x: Any,
    config: TrainConfig,
    seed: int,
    train_labels: NDArray | None = None,
    validation_labels: NDArray | None = None,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    progress: bool = True,
    on_epoch: Callable[[EpochRecord], None] | None = None,
) -> History:
    """Train ``model`` in place and return its per-epoch history.

    Adam with weight decay, early stopping on the total validation loss (the best weights are
    restored at the end), an optional ReduceLROnPlateau schedule and gradient clipping. Closed-form
    models (PCA) are fitted once and get a one-epoch history.

    Parameters
    ----------
    model : Autoencoder
        A freshly built (or partly trained, with ``resume``) model; moved to the training device.
    train_x, validation_x : array-like of shape (n, *input_shape)
        Inputs in [0, 1]. In-memory ndarrays become one device tensor batched by index; memory maps
        and other sliceable arrays are read batch by batch.
    config : TrainConfig
        Epochs, batch size, learning rate, patience, schedule, clipping and device.
    seed : int
        Seeds shuffling, input noise and VAE sampling: the same seed gives bit-identical weights
        on CPU.
    train_labels, validation_labels : ndarray of int, optional
        Class labels, required by models with ``needs_labels``.
    checkpoint_dir : path, optional
        Where ``checkpoint.pt`` is written after every epoch.
    resume : bool
        Continue from the checkpoint in ``checkpoint_dir`` if there is one; the result is the same
        as an uninterrupted run.
    progress : bool
        Show a Rich progress bar when stdout is a terminal.
    on_epoch : callable, optional
        Called with each finished epoch's :class:`EpochRecord` (study and sweep progress).

    Returns
    -------
    History

    Raises
    ------
    TrainingDiverged
        When a loss term becomes NaN or infinite; the last good checkpoint stays on disk.
    """
    device = resolve_device(config.device)
    if model.needs_labels and (train_labels is None or validation_labels is None):
        raise InputError(f"model {model.name} needs labels, but the data set has none")
    seed_everything(seed)
    model.to(device)
    train_rows = _Rows(train_x, train_labels, device)
    validation_rows = _Rows(validation_x, validation_labels, device)
    if model.closed_form:
        return _fit_closed_form(model, train_x, train_rows, validation_rows, device)

    optimizer, scheduler = _optimizer(model, config)
    shuffle = torch.Generator().manual_seed(seed)
    state = _State()
    checkpoint = None if checkpoint_dir is None else Path(checkpoint_dir) / CHECKPOINT_NAME
    if resume and checkpoint is not None and checkpoint.exists():
        state = _load_checkpoint(checkpoint, model, optimizer, scheduler, shuffle)
    loop = _Loop(model, optimizer, scheduler, shuffle, train_rows, validation_rows, checkpoint)
    with _ProgressBar(progress, config.epochs, len(state.records)) as bar:
        while len(state.records) < config.epochs and not _patience_ran_out(state, config):
            record = loop.epoch(state, config)
            bar.advance(record)
            if on_epoch is not None:
                on_epoch(record)

    if state.best_weights is not None:
        model.load_state_dict(state.best_weights)
    return History(
        epochs=tuple(state.records),
        best_epoch=state.best_epoch,
        stopped_early=len(state.records) < config.epochs,
        device=str(device),
        threads=torch.get_num_threads(),
    )


def _optimizer(model: Autoencoder, config: TrainConfig) -> tuple[torch.optim.Optimizer, Any]:
    """Adam (fused) with the configured learning rate, and the optional plateau schedule."""
    lr = config.lr if config.lr is not None else model.default_lr
    # The fused kernel updates every parameter in one call: a third of the time of the
    # per-tensor loop for small dense models, where optimizer overhead is a large share of a step.
    optimizer = torch.optim.Adam(
        model.parameters(), lr=lr, weight_decay=config.weight_decay, fused=True
    )
    scheduler = None
    if config.lr_schedule == "plateau":
        patience = max(1, (config.patience or 10) // 2)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, factor=0.5, patience=patience
        )
    return optimizer, scheduler


@dataclass
class _Loop:
    """What one epoch needs besides the state: model, optimiser, data and checkpoint file."""

    model: Autoencoder
    optimizer: torch.optim.Optimizer
    scheduler: Any
    shuffle: torch.Generator
    train_rows: _Rows
    validation_rows: _Rows
    checkpoint: Path | None

    def epoch(self, state: _State, config: TrainConfig) -> EpochRecord:
        """Train one epoch, evaluate, keep the best weights, step the schedule, checkpoint."""
        epoch = len(state.records) + 1
        started = time.perf_counter()
        order = torch.randperm(self.train_rows.n, generator=self.shuffle)
        train_terms = _train_epoch(self.model, self.optimizer, self.train_rows, order, config)
        validation_terms = evaluate(self.model, self.validation_rows)
        _check_finite(epoch, train_terms, validation_terms, self.checkpoint)
        record = EpochRecord(
            epoch=epoch,
            train=train_terms,
            validation=validation_terms,
            lr=self.optimizer.param_groups[0]["lr"],
            seconds=time.perf_counter() - started,
        )
        _update_best(state, record, self.model, config.min_delta)
        if self.scheduler is not None:
            self.scheduler.step(validation_terms["total"])
        if self.checkpoint is not None:
            _save_checkpoint(
                self.checkpoint, self.model, self.optimizer, self.scheduler, self.shuffle, state
            )
        return record


def _train_epoch(
    model: Autoencoder,
    optimizer: torch.optim.Optimizer,
    rows: _Rows,
    order: torch.Tensor,
    config: TrainConfig,
) -> dict[str, float]:
    """One pass over the shuffled rows; loss terms stay on the device (one sync per epoch)."""
    model.train()
    # Detached per-step terms are only collected here and reduced once per epoch: stacking and
    # summing them every step costs three extra kernel launches per step.
    steps: list[tuple[torch.Tensor, ...]] = []
    sizes: list[int] = []
    names: list[str] = []
    for batch, labels in rows.batches(order, config.batch_size):
        terms = model.loss(batch, labels)
        optimizer.zero_grad(set_to_none=True)
        terms["total"].backward()
        if config.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        steps.append(tuple(value.detach() for value in terms.values()))
        sizes.append(len(batch))
        names = list(terms)
    assert steps, "training data is empty"
    return _mean_terms(names, steps, sizes, rows.n)


def evaluate(model: Autoencoder, rows: _Rows, batch_size: int = EVAL_BATCH) -> dict[str, float]:
    """Loss terms of ``model`` over ``rows`` in evaluation mode, averaged over samples."""
    model.eval()
    steps: list[tuple[torch.Tensor, ...]] = []
    sizes: list[int] = []
    names: list[str] = []
    with torch.inference_mode():
        for batch, labels in rows.batches(torch.arange(rows.n), batch_size):
            terms = model.loss(batch, labels)
            steps.append(tuple(terms.values()))
            sizes.append(len(batch))
            names = list(terms)
        means = _mean_terms(names, steps, sizes, rows.n) if steps else None
    model.train()
    if means is None:
        raise InputError(
            "the validation set is empty; use a larger data set or validation fraction"
        )
    return means


def _mean_terms(
    names: list[str], steps: list[tuple[torch.Tensor, ...]], sizes: list[int], n: int
) -> dict[str, float]:
    """Sample-weighted mean of per-batch loss terms: one (steps, terms) matrix, one sync."""
    weights = torch.tensor(sizes, dtype=torch.float32, device=steps[0][0].device)
    per_step = torch.stack([torch.stack(values) for values in steps])
    sums = (per_step * weights[:, None]).sum(dim=0)
    return dict(zip(names, (sums / n).tolist(), strict=True))


def _fit_closed_form(
    model: Autoencoder,
    train_x: Any,
    train_rows: _Rows,
    validation_rows: _Rows,
    device: torch.device,
) -> History:
    started = time.perf_counter()
    model.fit_closed_form(train_x)
    model.to(device)
    record = EpochRecord(
        epoch=1,
        train=evaluate(model, train_rows),
        validation=evaluate(model, validation_rows),
        lr=0.0,
        seconds=time.perf_counter() - started,
    )
    model.eval()
    return History(
        epochs=(record,),
        best_epoch=1,
        stopped_early=False,
        device=str(device),
        threads=torch.get_num_threads(),
    )


def _patience_ran_out(state: _State, config: TrainConfig) -> bool:
    return config.patience is not None and state.bad_epochs >= config.patience


def _update_best(state: _State, record: EpochRecord, model: Autoencoder, min_delta: float) -> None:
    state.records.append(record)
    loss = record.validation["total"]
    if loss < state.best_loss - min_delta:
        state.best_loss = loss
        state.best_epoch = record.epoch
        state.best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
        state.bad_epochs = 0
    else:
        state.bad_epochs += 1


def _check_finite(
    epoch: int, train: dict[str, float], validation: dict[str, float], checkpoint: Path | None
) -> None:
    for split, terms in (("training", train), ("validation", validation)):
        bad = [name for name, value in terms.items() if not math.isfinite(value)]
        if bad:
            # Name the components rather than the total they contaminate; once the weights are
            # NaN every term is, so all of them are listed.
            parts = [name for name in bad if name != "total"] or bad
            values = sorted({str(terms[name]) for name in parts})
            kept = (
                f"; the last good checkpoint is kept at {checkpoint}"
                if checkpoint is not None and checkpoint.exists()
                else ""
            )
            raise TrainingDiverged(
                f"training diverged in epoch {epoch}: the {split} {' and '.join(parts)} "
                f"loss{'es' if len(parts) > 1 else ''} became {' or '.join(values)}{kept}; "
                "try a lower learning rate or gradient clipping"
            )


# -- what the loop costs (the atlas's dry-run estimate) -------------------------------------------
# These time the loop's own pieces, not a copy of them, so that an estimate of a study's training
# cannot drift from what training runs.
def step_seconds(
    model: Autoencoder, x: NDArray, labels: NDArray | None, config: TrainConfig, steps: int
) -> float:
    """Mean seconds of one training step of ``model`` on the CPU, after one warm-up step.

    Parameters
    ----------
    model : Autoencoder
        A fresh model; it is trained by these steps.
    x : ndarray of shape (batch_size * (steps + 1), *input_shape)
        The rows: the first batch warms up (Adam's moments, first calls), the others are timed.
    labels : ndarray of int, optional
        Their labels, for models that need them.
    config : TrainConfig
        The batch size, learning rate, weight decay and clipping of the run.
    steps : int
        How many steps are timed.

    Returns
    -------
    float
    """
    batch = config.batch_size
    rows = _Rows(x, labels, torch.device("cpu"))
    optimizer, _ = _optimizer(model, config)
    _train_epoch(model, optimizer, rows, torch.arange(batch), config)
    begun = time.perf_counter()
    _train_epoch(model, optimizer, rows, torch.arange(batch, batch * (steps + 1)), config)
    return (time.perf_counter() - begun) / steps


def evaluation_seconds_per_row(model: Autoencoder, x: NDArray, labels: NDArray | None) -> float:
    """Seconds per row of :func:`evaluate` on the CPU (the validation loss; encoding runs alike),
    after one warm-up pass over the same rows."""
    rows = _Rows(x, labels, torch.device("cpu"))
    evaluate(model, rows)
    begun = time.perf_counter()
    evaluate(model, rows)
    return (time.perf_counter() - begun) / rows.n


def checkpoint_seconds(model: Autoencoder, config: TrainConfig) -> float:
    """Seconds to write one epoch's checkpoint of ``model`` (weights, Adam's two moments per
    weight as after a step, the best weights) to a temporary folder."""
    import tempfile

    optimizer, scheduler = _optimizer(model, config)
    state = _State(best_weights={k: v.detach().clone() for k, v in model.state_dict().items()})
    for group in optimizer.param_groups:
        for parameter in group["params"]:
            optimizer.state[parameter] = {
                "step": torch.tensor(1.0),
                "exp_avg": torch.zeros_like(parameter),
                "exp_avg_sq": torch.zeros_like(parameter),
            }
    with tempfile.TemporaryDirectory() as folder:
        begun = time.perf_counter()
        _save_checkpoint(
            Path(folder) / CHECKPOINT_NAME, model, optimizer, scheduler, torch.Generator(), state
        )
        return time.perf_counter() - begun


# -- checkpoints ----------------------------------------------------------------------------------
def _save_checkpoint(
    path: Path,
    model: Autoencoder,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    shuffle: torch.Generator,
    state: _State,
) -> None:
    payload = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "shuffle_rng": shuffle.get_state(),
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "records": [record.to_dict() for record in state.records],
        "best_loss": state.best_loss,
        "best_epoch": state.best_epoch,
        "best_weights": state.best_weights,
        "bad_epochs": state.bad_epochs,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def _load_checkpoint(
    path: Path,
    model: Autoencoder,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    shuffle: torch.Generator,
) -> _State:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
    except Exception as error:  # a corrupt or foreign file: say which one
        raise InputError(f"cannot resume from checkpoint {path}: {error}") from None
    if scheduler is not None and payload["scheduler"] is not None:
        scheduler.load_state_dict(payload["scheduler"])
    shuffle.set_state(payload["shuffle_rng"])
    torch.set_rng_state(payload["torch_rng"])
    if payload["cuda_rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(payload["cuda_rng"])
    device = next(model.parameters()).device
    best = payload["best_weights"]
    return _State(
        records=[EpochRecord(**record) for record in payload["records"]],
        best_loss=payload["best_loss"],
        best_epoch=payload["best_epoch"],
        best_weights=None if best is None else {k: v.to(device) for k, v in best.items()},
        bad_epochs=payload["bad_epochs"],
    )


# -- progress -------------------------------------------------------------------------------------
class _ProgressBar:
    """Epochs as a Rich progress bar on a terminal, else on the progress stream
    (:mod:`latentatlas.progress`: a line to begin and to end, the latest epoch every few
    seconds between them)."""

    def __init__(self, enabled: bool, epochs: int, done: int):
        self.enabled, self.terminal = enabled, sys.stdout.isatty()
        self.epochs, self.done = epochs, done
        self.progress: Any = None
        self.stream: Any = None
        self.last = ""

    def __enter__(self) -> _ProgressBar:
        if self.enabled and self.terminal:
            from rich.progress import Progress

            self.progress = Progress(transient=True)
            self.progress.start()
            self.task = self.progress.add_task("training", total=self.epochs, completed=self.done)
        elif self.enabled:
            from latentatlas.progress import Progress as Stream

            self.stream = Stream().__enter__()
            self.stream.step(f"training for {self.epochs} epochs")
        return self

    def advance(self, record: EpochRecord) -> None:
        text = f"epoch {record.epoch} of {self.epochs}: train {record.train['total']:.4g}, "
        text += f"validation {record.validation['total']:.4g}"
        if self.progress is not None:
            self.progress.update(self.task, advance=1, description=text)
        if self.stream is not None:
            self.last = text
            self.stream.update(f"training {text}")

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
        if self.stream is not None:
            self.stream.__exit__(*exc)
            if exc[0] is None and self.last:
                self.stream.step(f"trained: {self.last}")
