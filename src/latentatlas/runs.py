"""Run directories: train one seed into a folder that is complete or absent, load it, list runs.

A run directory holds ``config.json`` (data, model and training options, seed, package version,
input shape), ``model.safetensors``, ``history.json`` and ``latents.npz`` (codes, indices, labels,
factors and per-sample reconstruction errors of the train and validation splits); later stages add
``metrics.json`` and ``figures/``. The folder is built under a temporary name beside ``out`` and
renamed when complete. Per-epoch checkpoints live in ``<out>.partial/`` until the run is written,
so an interrupted run can be resumed and a killed process never leaves a run that looks complete.
One process at a time writes a run (``.<out>.lock`` beside it; a second writer waits).
"""

from __future__ import annotations

import glob
import json
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.torch
import torch
from numpy.typing import NDArray

from latentatlas import _manifest
from latentatlas._env import package_version
from latentatlas._io import atomic_path, write_json
from latentatlas._lock import run_lock
from latentatlas._manifest import MANIFEST
from latentatlas.config import RunConfig
from latentatlas.data.base import Dataset
from latentatlas.errors import InputError
from latentatlas.models import build, encode_array, reconstruction_error
from latentatlas.models.base import Autoencoder
from latentatlas.train import CHECKPOINT_NAME, History, fit, seed_everything

REQUIRED_FILES = ("config.json", "model.safetensors", "history.json", "latents.npz")
#: 2 adds manifest.json (sizes and SHA-256 of the files); format-1 runs are still read.
FORMAT_VERSION = 2
#: Larger inputs than this (elements of one sample) are refused when a config.json asks for them.
MAX_INPUT_ELEMENTS = 2**26


@dataclass(frozen=True, eq=False)
class Run:
    """A loaded run directory.

    Attributes
    ----------
    path : Path
    config : RunConfig
    model : Autoencoder
        In evaluation mode, on the CPU.
    history : History
    latents : dict of str to ndarray
        Contents of ``latents.npz``: ``train_codes``, ``validation_codes``, ``train_indices``,
        ``validation_indices``, ``train_reconstruction_error``, ``validation_reconstruction_error``
        and, where the data has them, ``{train,validation}_labels`` and
        ``{train,validation}_factors``.
    info : dict
        Everything else in ``config.json`` (input shape, package version, data set details).
    """

    path: Path
    config: RunConfig
    model: Autoencoder
    history: History
    latents: dict[str, NDArray[Any]]
    info: dict[str, Any]

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input."""
        return tuple(self.info["input_shape"])


@dataclass(frozen=True)
class RunSummary:
    """One row of ``latentatlas runs list``."""

    path: Path
    dataset: str
    model: str
    latent_dim: int
    seed: int
    epochs: int
    best_epoch: int
    train_loss: float
    validation_loss: float
    complete: bool = True
    problem: str | None = None

    @property
    def status(self) -> str:
        """``complete``; ``incomplete`` for an interrupted run that ``--resume`` continues;
        ``broken`` for a run whose files are missing, truncated, altered or malformed."""
        if self.problem is not None:
            return "broken"
        return "complete" if self.complete else "incomplete"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        return {**self.__dict__, "path": str(self.path), "status": self.status}


def partial_dir(out: str | Path) -> Path:
    """Where checkpoints of the run ``out`` live until the run is complete."""
    out = Path(out)
    return out.with_name(out.name + ".partial")


def is_complete(path: str | Path) -> bool:
    """True when ``path`` is a run directory with every required file."""
    path = Path(path)
    return path.is_dir() and all((path / name).is_file() for name in REQUIRED_FILES)


def train_run(
    config: RunConfig,
    out: str | Path,
    dataset: Dataset | None = None,
    progress: bool = True,
    resume: bool = False,
    overwrite: bool = False,
    on_epoch: Callable[[Any], None] | None = None,
) -> Path:
    """Train one model with one seed and write its run directory atomically.

    Only one process writes a run at a time: while another holds it (a Ray task that outlived
    its killed driver on a cluster, say) this waits, then keeps the run that one finished or,
    with ``resume``, continues from the checkpoint it left.

    Parameters
    ----------
    config : RunConfig
        Data, model, training options and the training seed.
    out : path
        The run directory to create.
    dataset : Dataset, optional
        Already loaded data; by default ``latentatlas.data.load(config.data.name,
        **config.data.options)``.
    progress : bool
        Show a progress bar on a terminal.
    resume : bool
        Continue from the checkpoint in ``<out>.partial/``; a complete run at ``out`` is kept.
    overwrite : bool
        Replace a complete run at ``out`` (the old one stays until the new one is ready).
    on_epoch : callable, optional
        Called with each epoch's :class:`~latentatlas.train.EpochRecord` (progress displays).

    Returns
    -------
    Path
        ``out``.
    """
    out = Path(out)
    if _keep_existing(out, resume, overwrite):
        return out
    if dataset is None:
        from latentatlas import data  # late: the data layer is only needed without a dataset

        dataset = data.load(config.data.name, **config.data.options)
    model_config = config.model
    if dataset.labels is None and _needs_labels(model_config.name):
        raise InputError(
            f"model {model_config.name} needs labels, but data set {dataset.name} has none"
        )
    train_idx, validation_idx = split_indices(config, dataset)
    partial = partial_dir(out)
    # One writer per run, also across processes and machines: a writer that outlived its
    # driver finishes (or dies) before another takes over its checkpoint or its run.
    with run_lock(out):
        if _keep_existing(out, resume, overwrite):  # finished by the writer we waited for
            return out
        _remove_stale_temporaries(out)
        _prepare_partial(partial, config, resume)
        try:
            model, history = _fit_model(
                config, dataset, train_idx, validation_idx, partial, resume, progress, on_epoch
            )
            latents = _latents(model, dataset, train_idx, validation_idx)
            model.cpu().eval()
            _write_run(out, partial, config, model, history, latents, dataset)
        except BaseException:
            # A failed run leaves a resumable checkpoint or nothing: never a folder holding only
            # run-config.json that looks like an interrupted run.
            if not (partial / CHECKPOINT_NAME).is_file():
                shutil.rmtree(partial, ignore_errors=True)
            raise
    return out


def _keep_existing(out: Path, resume: bool, overwrite: bool) -> bool:
    """True when ``out`` is a complete run to keep; refuse to replace one by accident."""
    if not is_complete(out) or overwrite:
        return False
    if resume:
        return True
    # Python wording: the CLI checks first and names its own flags (--resume, --force).
    raise InputError(
        f"a complete run already exists at {out}; pass resume=True to keep it, "
        "or overwrite=True to train it again"
    )


def split_indices(
    config: RunConfig, dataset: Dataset
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The (train, validation) row indices of ``dataset`` for ``config``: the one home of a split.

    The split depends on ``config.train.split_seed`` and ``validation_fraction`` only, never
    on the training seed, so every seed of a study sees the same validation images.
    """
    return dataset.split(config.train.split_seed, config.train.validation_fraction)


def _fit_model(
    config: RunConfig,
    dataset: Dataset,
    train_idx: NDArray[np.int64],
    validation_idx: NDArray[np.int64],
    partial: Path,
    resume: bool,
    progress: bool,
    on_epoch: Callable[[Any], None] | None,
) -> tuple[Autoencoder, History]:
    seed_everything(config.seed)  # the model's initial weights come from the training seed
    model_config = config.model
    model = build(
        model_config.name, dataset.input_shape, model_config.latent_dim, **model_config.options
    )
    history = fit(
        model,
        _rows(dataset.x, train_idx),
        _rows(dataset.x, validation_idx),
        config.train,
        config.seed,
        train_labels=_take(dataset.labels, train_idx),
        validation_labels=_take(dataset.labels, validation_idx),
        checkpoint_dir=partial,
        resume=resume,
        progress=progress,
        on_epoch=on_epoch,
    )
    return model, history


def _needs_labels(name: str) -> bool:
    from latentatlas.models.registry import describe

    return any(info.needs_labels for info in describe() if info.name == name)


def _prepare_partial(partial: Path, config: RunConfig, resume: bool) -> None:
    """Create the checkpoint folder; refuse to resume a run that had another configuration."""
    saved = partial / "run-config.json"
    if resume and saved.is_file():
        previous = _saved_config(saved, partial)
        if _without_epochs(previous) != _without_epochs(config.to_dict()):
            raise InputError(
                f"cannot resume {partial}: it was started with a different configuration"
            )
    elif partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    write_json(saved, config.to_dict())


def _saved_config(saved: Path, partial: Path) -> dict[str, Any]:
    """The configuration an interrupted run was started with, or one sentence naming the file."""
    remedy = f"remove {partial} to train this run from the start"
    try:
        previous = json.loads(saved.read_text())
    except (OSError, ValueError) as error:
        raise InputError(f"cannot resume: {saved} is not valid JSON ({error}); {remedy}") from None
    if not isinstance(previous, dict) or not isinstance(previous.get("train"), dict):
        raise InputError(f"cannot resume: {saved} does not hold a run configuration; {remedy}")
    return previous


def _remove_stale_temporaries(out: Path) -> None:
    """Remove the temporary folders that writers of ``out`` killed while writing it left behind.

    Called under the run's lock: no live process is writing ``out``, so every
    ``.<name>.*.tmp`` beside it (see :func:`latentatlas._io.atomic_path`) is stale.
    """
    for stale in out.parent.glob(f".{glob.escape(out.name)}.*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)


def _without_epochs(config: dict[str, Any]) -> dict[str, Any]:
    """A config without ``train.epochs``: a resumed run may be given more (or fewer) epochs."""
    return {**config, "train": {k: v for k, v in config["train"].items() if k != "epochs"}}


class _IndexedRows:
    """Rows ``indices`` of a large or lazy array, read only when sliced (no copy up front)."""

    def __init__(self, x: Any, indices: NDArray[np.int64]):
        self.x, self.indices = x, indices
        self.shape = (len(indices), *x.shape[1:])

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, key: Any) -> NDArray[np.float32]:
        rows = self.indices[key]
        order = np.argsort(rows, kind="stable")  # read in ascending order, return in asked order
        values = np.asarray(self.x[rows[order]], dtype=np.float32)
        result = np.empty_like(values)
        result[order] = values
        return result


def _rows(x: Any, indices: NDArray[np.int64]) -> Any:
    if isinstance(x, np.ndarray) and not isinstance(x, np.memmap):
        return np.ascontiguousarray(x[indices])
    return _IndexedRows(x, indices)


def _take(values: NDArray[Any] | None, indices: NDArray[np.int64]) -> NDArray[Any] | None:
    return None if values is None else np.asarray(values)[indices]


def _latents(
    model: Autoencoder,
    dataset: Dataset,
    train_idx: NDArray[np.int64],
    validation_idx: NDArray[np.int64],
) -> dict[str, NDArray[Any]]:
    latents: dict[str, NDArray[Any]] = {}
    for split, indices in (("train", train_idx), ("validation", validation_idx)):
        rows = _rows(dataset.x, indices)
        latents[f"{split}_codes"] = encode_array(model, rows)
        latents[f"{split}_indices"] = indices.astype(np.int64)
        latents[f"{split}_reconstruction_error"] = reconstruction_error(model, rows)
        if dataset.labels is not None:
            latents[f"{split}_labels"] = np.asarray(dataset.labels)[indices]
        if dataset.factors is not None:
            latents[f"{split}_factors"] = np.asarray(dataset.factors)[indices]
    return latents


def _write_run(
    out: Path,
    partial: Path,
    config: RunConfig,
    model: Autoencoder,
    history: History,
    latents: dict[str, NDArray[Any]],
    dataset: Dataset,
) -> None:
    info = {
        **config.to_dict(),
        "format_version": FORMAT_VERSION,
        "package_version": package_version(),
        "torch_version": torch.__version__,
        "input_shape": list(dataset.input_shape),
        "n_parameters": model.n_parameters,
        "dataset": {
            "source": dataset.source,
            "n_samples": len(dataset),
            "label_names": list(dataset.label_names) if dataset.label_names else None,
            "factor_names": list(dataset.factor_names),
            "factor_kinds": list(dataset.factor_kinds),
        },
    }
    with atomic_path(out) as tmp:
        tmp.mkdir()
        (tmp / "config.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
        state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
        safetensors.torch.save_file(state, str(tmp / "model.safetensors"))
        (tmp / "history.json").write_text(json.dumps(history.to_dict(), indent=2) + "\n")
        with open(tmp / "latents.npz", "wb") as handle:
            np.savez(handle, **latents)
        _manifest.write(tmp, REQUIRED_FILES, FORMAT_VERSION)  # last: it vouches for the files
        # The checkpoints go before the run is renamed into place, not after: a process killed
        # in between would leave a finished run beside an "incomplete" one that nothing removes
        # (finished runs are skipped). Now such a kill costs a retraining, never a half state.
        # A dot name matching the temporaries a later writer of the run removes, should the
        # process die between these two lines.
        discarded = tmp.with_name(f".{out.name}.checkpoints.tmp")
        partial.rename(discarded)
        shutil.rmtree(discarded)


def verify(path: str | Path) -> None:
    """Check a run's files against its manifest: none missing, truncated or altered.

    Runs written before manifests existed (format 1) have none and are checked by loading only.

    Raises
    ------
    InputError
        Naming the run and the first file that is missing, of the wrong size or altered.
    """
    path = Path(path)
    manifest = _manifest.read(path)
    if manifest is None:
        return
    if set(manifest.get("files", {})) != set(REQUIRED_FILES):
        raise InputError(f"run {path}: {MANIFEST} does not list the run's files")
    for name, problem in _manifest.problems(path, manifest):
        raise InputError(f"run {path}: {name} {problem}")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path} is missing: {path.parent} is not a complete run") from None
    except (OSError, ValueError) as error:
        raise InputError(f"{path} cannot be read as JSON: {error}") from None
    if not isinstance(document, dict):
        raise InputError(f"{path} must hold a JSON object, got {type(document).__name__}")
    return document


def load(path: str | Path) -> Run:
    """Load the run directory ``path``: config, model (eval mode, CPU), history and latents.

    Raises
    ------
    InputError
        When ``path`` is not a run directory or one of its files is missing or broken.
    """
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"run directory {path} does not exist")
    verify(path)
    info = _read_json(path / "config.json")
    config, input_shape = _read_config(path, info)
    try:
        history = History.from_dict(_read_json(path / "history.json"))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        raise InputError(f"{path / 'history.json'} is not a training history: {error!r}") from None
    model = build(config.model.name, input_shape, config.model.latent_dim, **config.model.options)
    weights = path / "model.safetensors"
    try:
        model.load_state_dict(safetensors.torch.load_file(str(weights)))
    except Exception as error:  # missing, truncated or from another model: name the file
        raise InputError(
            f"{weights} cannot be loaded into a {config.model.name}: {error}"
        ) from None
    model.eval()
    latents_path = path / "latents.npz"
    try:
        with np.load(latents_path, allow_pickle=False) as archive:
            latents = {key: archive[key] for key in archive.files}
    except Exception as error:
        raise InputError(f"{latents_path} cannot be read: {error}") from None
    rest = {k: v for k, v in info.items() if k not in ("data", "model", "train", "seed")}
    return Run(path, config, model, history, latents, rest)


def _read_config(path: Path, info: Any) -> tuple[RunConfig, tuple[int, ...]]:
    """The run configuration and input shape of ``config.json``, checked for structure and size."""
    where = path / "config.json"
    if not isinstance(info, dict):
        raise InputError(f"{where} must hold a JSON object, got {type(info).__name__}")
    try:
        config = RunConfig.from_dict({k: info[k] for k in ("data", "model", "train", "seed")})
    except KeyError as error:
        raise InputError(f"{where} has no {error.args[0]!r} entry") from None
    shape = info.get("input_shape")
    valid = (
        isinstance(shape, list)
        and 1 <= len(shape) <= 4
        and all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in shape)
    )
    if not valid or math.prod(shape) > MAX_INPUT_ELEMENTS:
        raise InputError(
            f"{where} has input_shape {shape!r}; expected 1 to 4 positive integers with at most "
            f"{MAX_INPUT_ELEMENTS:,} elements in all"
        )
    return config, tuple(shape)


def find_runs(root: str | Path) -> list[Path]:
    """Complete run directories at or below ``root``, sorted by path."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise InputError(f"runs folder {root} is a file, not a folder of runs")
    if not root.is_dir():
        raise InputError(f"runs folder {root} does not exist")
    if is_complete(root):
        return [root]
    found = {p.parent for p in root.rglob("config.json") if is_complete(p.parent)}
    return sorted(
        p for p in found if not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def list_runs(root: str | Path) -> list[RunSummary]:
    """Summaries of the runs at or below ``root``: complete ones, then interrupted ones.

    A complete run's row reads JSON only, not the weights; an interrupted run (a ``.partial``
    folder holding a checkpoint) is listed as incomplete with the epochs it reached, so that
    ``--resume`` can be seen to have something to continue.
    """
    summaries = []
    for path in find_runs(root):
        try:
            summaries.append(_complete_summary(path))
        except InputError as error:  # listed as broken; the other runs are still listed
            nan = float("nan")
            summaries.append(RunSummary(path, "?", "?", 0, 0, 0, 0, nan, nan, True, str(error)))
    for partial in sorted(Path(root).rglob("*.partial")):
        checkpoint = partial / CHECKPOINT_NAME
        if checkpoint.is_file() and (partial / "run-config.json").is_file():
            run = partial.with_name(partial.name.removesuffix(".partial"))
            try:
                records, best_epoch = _checkpoint_progress(checkpoint)
                info = _read_json(partial / "run-config.json")
                summaries.append(_summary(run, info, records, best_epoch, False))
            except (
                InputError,
                KeyError,
                TypeError,
                ValueError,
                IndexError,
                AttributeError,
            ) as error:
                nan = float("nan")
                problem = f"interrupted run {partial} cannot be read: {error}"
                summaries.append(RunSummary(run, "?", "?", 0, 0, 0, 0, nan, nan, False, problem))
    return summaries


def _complete_summary(path: Path) -> RunSummary:
    """The row of a complete run, after checking its manifest and the structure of its JSON."""
    verify(path)
    info = _read_json(path / "config.json")
    _read_config(path, info)
    history = _read_json(path / "history.json")
    try:
        return _summary(path, info, history["epochs"], int(history["best_epoch"]), True)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        raise InputError(f"{path / 'history.json'} is not a training history: {error!r}") from None


def _summary(
    path: Path, info: dict[str, Any], epochs: list[dict[str, Any]], best_epoch: int, complete: bool
) -> RunSummary:
    best = epochs[best_epoch - 1] if best_epoch else {"train": {}, "validation": {}}
    return RunSummary(
        path=path,
        dataset=info["data"]["name"],
        model=info["model"]["name"],
        latent_dim=info["model"]["latent_dim"],
        seed=info["seed"],
        epochs=len(epochs),
        best_epoch=best_epoch,
        train_loss=best["train"].get("total", float("nan")),
        validation_loss=best["validation"].get("total", float("nan")),
        complete=complete,
    )


def _checkpoint_progress(checkpoint: Path) -> tuple[list[dict[str, Any]], int]:
    """The per-epoch records and the best epoch stored in an interrupted run's checkpoint."""
    try:
        payload = torch.load(checkpoint, map_location="cpu", weights_only=True)
        return list(payload["records"]), int(payload["best_epoch"])
    except Exception as error:  # a truncated or foreign file: name it
        raise InputError(f"checkpoint {checkpoint} cannot be read: {error}") from None
