"""Settings of ``latentatlas inspect``: which model source, which data, how much of it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from latentatlas.errors import InputError
from latentatlas.studies.config import (
    DEVICES,
    Interval,
    MemoryNeed,
    OneOf,
    StudyConfig,
    setting,
    tsne_memory,
)

MAX_ROWS = 1_000_000
SOURCE_KINDS = ("factory", "torchscript", "codes", "python")


@dataclass(frozen=True)
class InspectConfig(StudyConfig):
    """Settings of the inspect study.

    Parameters
    ----------
    model : str, optional
        A factory ``package.module:function`` or ``path/to/file.py:function`` returning a
        ``torch.nn.Module`` with ``encode``/``decode`` (or ``encoder``/``decoder``).
    weights : tuple of str
        Weights files (``.safetensors`` or ``.pt``) of ``model``: one per seed.
    torchscript : tuple of str
        TorchScript files exporting ``encode`` and ``decode``: one per seed.
    codes : tuple of str
        Codes files (``.npz``, ``.npy``, ``.parquet``): one per seed, no decoder.
    runs : tuple of str
        latentatlas run directories: one per seed (their data set unless ``dataset`` is given).
    python : bool
        The source was given as Python callables or arrays to :func:`latentatlas.inspect`
        (the folder then records no way to reload it).
    fingerprints : tuple of str
        ``path=sha256`` of every weights, TorchScript and codes file, taken when the settings
        are made: the folder records what was analysed, and a changed file is re-analysed.
    dataset, digits, path, data_dir, data_options : the data
        A registered data set with its options (``mnist`` with ``digits``, ``arrays`` with
        ``path``, ``images`` with ``path`` and ``size=64`` among ``data_options``); none for
        codes files that stand alone.
    n : int, optional
        A seeded, label-stratified subsample of this many rows.
    """

    QUICK: ClassVar[Mapping[str, Any]] = {"n": 500, "tsne_points": 500, "id_queries": 500}

    model: str | None = setting(None, "Factory package.module:function or file.py:function.")
    weights: tuple[str, ...] = setting(
        (), "Weights files of --model (.safetensors or .pt), one per seed.", metavar="A,B"
    )
    torchscript: tuple[str, ...] = setting(
        (), "TorchScript files exporting encode and decode, one per seed.", metavar="A,B"
    )
    codes: tuple[str, ...] = setting(
        (), "Codes files (.npz, .npy, .parquet), one per seed; no decoder.", metavar="A,B"
    )
    runs: tuple[str, ...] = setting(
        (), "latentatlas run directories, one per seed.", cli="run", metavar="A,B"
    )
    python: bool = setting(False, "Source given as Python objects.", cli="")
    fingerprints: tuple[str, ...] = setting((), "path=sha256 of every file read.", cli="")
    dataset: str | None = setting(None, "Data set name (see latentatlas datasets).")
    digits: tuple[int, ...] | None = setting(None, "Digits of --dataset mnist, e.g. 1,2.")
    path: str | None = setting(None, "File or folder of --dataset arrays or images.")
    data_dir: str | None = setting(None, "Folder with the full MNIST (IDX or mnist.npz).")
    data_options: tuple[str, ...] = setting(
        (), "Other options of the data set, KEY=VALUE (e.g. size=64).", cli="data-option"
    )
    n: int | None = setting(
        None, "Subsample this many rows (seeded).", check=Interval(int, 10, MAX_ROWS)
    )
    validation_fraction: float = setting(
        0.2, "Share held out for k-NN and classifiers.", check=Interval(float, 0.0, 1.0, "neither")
    )
    seed: int = setting(
        0, "Seed of the subsample, split and random draws.", check=Interval(int, 0, 2**32 - 1)
    )
    tsne_points: int = setting(2000, "Codes mapped by t-SNE.", check=Interval(int, 10, MAX_ROWS))
    perplexity: float = setting(30.0, "t-SNE perplexity.", check=Interval(float, 0.0, 1e4, "right"))
    id_neighbours: int = setting(
        20, "Neighbours of the local intrinsic dimension.", check=Interval(int, 3, 1000)
    )
    id_queries: int = setting(
        2000, "Query points of the intrinsic dimension.", check=Interval(int, 10, MAX_ROWS)
    )
    decodes: int = setting(128, "Random codes decoded per source.", check=Interval(int, 1, 100_000))
    traversal_inputs: int = setting(
        8, "Inputs whose codes are traversed.", check=Interval(int, 2, 1000)
    )
    traversal_dims: int = setting(
        16,
        "Latent dimensions traversed (the highest-variance first).",
        check=Interval(int, 1, 4096),
    )
    device: str = setting("auto", "auto, cpu or cuda.", check=OneOf(DEVICES))

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.fingerprints and not self.python:
            object.__setattr__(self, "fingerprints", self._fingerprints())

    @property
    def kind(self) -> str:
        """Where the model comes from: factory, torchscript, run, codes or python."""
        if self.python:
            return "python"
        if self.model is not None:
            return "factory"
        if self.runs:
            return "run"
        return "torchscript" if self.torchscript else "codes"

    @property
    def n_seeds(self) -> int:
        """Seeds of the model: one per weights, TorchScript or codes file (at least one)."""
        return max(1, len(self.weights), len(self.torchscript), len(self.codes), len(self.runs))

    def files(self) -> tuple[str, ...]:
        """Every weights, TorchScript and codes file of the source (a run's weights)."""
        run_weights = (str(Path(run) / "model.safetensors") for run in self.runs)
        return (*self.weights, *self.torchscript, *self.codes, *run_weights)

    def loader_options(self) -> dict[str, Any]:
        """The loader options of ``dataset``: ``data_options`` as text for the loader to parse,
        and the named ones."""
        options: dict[str, Any] = dict(_key_value(item) for item in self.data_options)
        if self.digits is not None:
            options["digits"] = tuple(self.digits)
        if self.path is not None:
            options["path"] = self.path
        if self.data_dir is not None:
            options["data_dir"] = self.data_dir
        return options

    def check_relations(self) -> None:
        """Exactly one source; the files exist (that a model has data is checked when the
        data are loaded: the Python API passes them in memory)."""
        given = [
            name
            for name, value in (
                ("--model", self.model),
                ("--torchscript", self.torchscript),
                ("--codes", self.codes),
                ("--run", self.runs),
                ("python", self.python),
            )
            if value
        ]
        if not given:
            raise InputError(
                "give a model: --model (with --weights), --torchscript, --run or --codes"
            )
        if len(given) > 1:
            raise InputError(f"give one kind of model, not {' and '.join(given)}")
        for item in self.data_options:
            _key_value(item)
        if self.weights and self.model is None:
            raise InputError("--weights belongs to --model, the factory that builds the module")
        if not self.fingerprints:  # read back from a study folder, the files may have gone
            for run in self.runs:
                _check_run(run)
            for path in self.files():
                _check_file(path)

    def memory_needs(self) -> tuple[MemoryNeed, ...]:
        """The t-SNE map (on at most ``n`` codes), estimated before anything runs."""
        points = self.tsne_points if self.n is None else min(self.tsne_points, self.n)
        return (tsne_memory(points, self.perplexity, "tsne_points, perplexity"),)

    def _fingerprints(self) -> tuple[str, ...]:
        from latentatlas.models.external import sha256

        return tuple(f"{path}={sha256(path)}" for path in self.files())

    def fingerprint_of(self) -> dict[str, str]:
        """``{path: sha256}`` of the files read when the settings were made."""
        return dict(item.rsplit("=", 1) for item in self.fingerprints)

    def replace(self, **changes: Any) -> InspectConfig:
        """These settings with ``changes`` (fingerprints taken again)."""
        return dataclasses.replace(self, fingerprints=(), **changes)


def _key_value(item: str) -> tuple[str, str]:
    key, sep, value = str(item).partition("=")
    if not sep or not key.strip():
        raise InputError(f"--data-option {item!r} must look like KEY=VALUE")
    return key.strip(), value.strip()


def _check_run(path: str) -> None:
    from latentatlas.runs import is_complete

    if not Path(path).is_dir():
        raise InputError(f"run directory {path} does not exist")
    if not is_complete(path):
        raise InputError(f"{path} is not a complete latentatlas run (train it to the end first)")


def _check_file(path: str) -> None:
    file = Path(path)
    if not file.exists():
        raise InputError(f"{path} does not exist")
    if not file.is_file():
        raise InputError(f"{path} is a folder, not a file")


def absolute_paths(values: Mapping[str, Any]) -> dict[str, Any]:
    """Settings with every file made absolute (the file of a ``file.py:function`` factory
    too), so that the folder records where the model is whatever the working folder."""
    fixed = dict(values)
    for key in ("weights", "torchscript", "codes", "runs"):
        if fixed.get(key):
            fixed[key] = tuple(str(Path(p).resolve()) for p in fixed[key])
    model = fixed.get("model")
    if isinstance(model, str):
        module, sep, attribute = model.rpartition(":")
        if sep and module.endswith(".py"):
            fixed["model"] = f"{Path(module).resolve()}:{attribute}"
    return fixed
