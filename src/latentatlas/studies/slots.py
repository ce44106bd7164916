"""A user's model in a study's model slot: ``--model-file NAME=... --weights NAME=...``.

A slot is a model key of a study's cells (``conv-ae``, ``vae-beta4``, ``dae``) whose built-in
model is an autoencoder or a VAE (:data:`SLOTTABLE`); PCA, the linear autoencoder and the
classifier autoencoder are baselines or carry a label loss, and keep their place. The user's
model takes the built-in's place in every cell that has it, with the same latent dimension,
loss and training settings, under the same run folders, so every analysis, the learned-model
gate, the claims and the explorer read it as they read the built-in model. Weights files given
for a slot are its seeds (as ``inspect``'s), and are analysed as they are; a factory without
weights is trained. This module reads the settings as slots (no torch), gives each run its
model configuration, and checks the models on a batch of each cell's data before anything is
written (:func:`check`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from latentatlas.errors import InputError

#: Built-in models whose place a user's model may take.
SLOTTABLE = ("ae", "dae", "vae", "conv-ae", "conv-vae")
#: Rows of a cell's data that each model in a slot encodes and decodes before the study runs.
PROBE_ROWS = 16


@dataclass(frozen=True)
class Slot:
    """One slot's model: a factory (``source``) and its weights per seed, or TorchScript files.

    Attributes
    ----------
    name : str
        The slot (a model key of the study).
    source : str
        The factory, or the first TorchScript file.
    files : tuple of str
        One file per seed: the factory's weights, or the TorchScript files; empty when the
        factory is trained.
    torchscript : bool
    """

    name: str
    source: str
    files: tuple[str, ...]
    torchscript: bool


def slots_of(config: Any) -> dict[str, Slot]:
    """The slots of a study's settings, by name (no files are read)."""
    from latentatlas.models.slot import is_torchscript

    sources: dict[str, list[str]] = {}
    for name, value in (_entry(item, "--model-file") for item in config.model_files):
        sources.setdefault(name, []).append(value)
    weights: dict[str, list[str]] = {}
    for name, value in (_entry(item, "--weights") for item in config.weights):
        weights.setdefault(name, []).append(value)
    return {
        name: Slot(
            name,
            given[0],
            tuple(given) if is_torchscript(given[0]) else tuple(weights.get(name, ())),
            is_torchscript(given[0]),
        )
        for name, given in sources.items()
    }


def _entry(item: str, flag: str) -> tuple[str, str]:
    name, sep, value = str(item).partition("=")
    if not sep or not name.strip() or not value.strip():
        raise InputError(f"{flag} {item!r} must look like NAME=VALUE, e.g. ae=mypkg.vae:build")
    return name.strip(), value.strip()


def settle(config: Any) -> None:
    """Check the slot settings that need no study, make their files absolute and record each
    file's SHA-256 (once: settings read back from a study folder keep theirs)."""
    from latentatlas.models.external import existing_file, sha256

    for name in ("model_files", "weights", "fingerprints"):
        _check_texts(getattr(config, name), name)
    model_files = tuple(_absolute(item, "--model-file") for item in config.model_files)
    weights = tuple(_absolute(item, "--weights") for item in config.weights)
    object.__setattr__(config, "model_files", model_files)
    object.__setattr__(config, "weights", weights)
    slots = slots_of(config)
    _check_entries(config, slots)
    if config.fingerprints:
        return
    files = [file for slot in slots.values() for file in slot.files]
    for slot in slots.values():
        for file in slot.files:
            existing_file(file, f"{'--model-file' if slot.torchscript else '--weights'} file")
    object.__setattr__(config, "fingerprints", tuple(f"{f}={sha256(f)}" for f in files))


def _check_texts(values: Any, name: str) -> None:
    """A list of texts, as settings read back from JSON must be (each entry's form is checked
    with its flag's name by :func:`_entry`; a fingerprint is ``path=sha256``)."""
    if not isinstance(values, tuple | list) or not all(
        isinstance(item, str) and ("=" in item or name != "fingerprints") for item in values
    ):
        raise InputError(f"{name} must be a list of NAME=VALUE texts, got {values!r}")


def _absolute(item: str, flag: str) -> str:
    """``NAME=path`` with the path (or a factory's ``file.py``) made absolute, so the study
    folder records where the model is whatever the working folder."""
    from latentatlas.models.slot import is_torchscript

    name, value = _entry(item, flag)
    module, _, attribute = value.rpartition(":")
    if flag == "--weights" or is_torchscript(value):
        return f"{name}={Path(value).resolve()}"
    if module.endswith(".py"):
        return f"{name}={Path(module).resolve()}:{attribute}"
    return f"{name}={value}"  # package.module:function, imported from the working folder


def _check_entries(config: Any, slots: Mapping[str, Slot]) -> None:
    """Weights belong to a factory slot; a factory is given once; one file per seed."""
    counts: dict[str, int] = {}
    for item in config.model_files:
        name, _ = _entry(item, "--model-file")
        counts[name] = counts.get(name, 0) + 1
    for item in config.weights:
        name, value = _entry(item, "--weights")
        if name not in slots:
            raise InputError(
                f"--weights {name}={value} names slot {name}, which has no --model-file; give "
                f"--model-file {name}=package.module:function too"
            )
        if slots[name].torchscript:
            raise InputError(
                f"--weights {name}=... belongs to a factory; the TorchScript file of slot "
                f"{name} carries its own weights"
            )
    for name, slot in slots.items():
        if not slot.torchscript and counts[name] > 1:
            raise InputError(
                f"--model-file names slot {name} {counts[name]} times; give its factory once "
                "and one --weights per seed"
            )
        if slot.files and len(slot.files) != config.seeds:
            kind = "TorchScript files" if slot.torchscript else "--weights files"
            raise InputError(
                f"slot {name} has {len(slot.files)} {kind} but the study has {config.seeds} "
                f"seeds; give one file per seed or --seeds {len(slot.files)}"
            )


def model_in_slot(config: Any, key: str, model: Any, seed: int) -> Any:
    """The model configuration of seed ``seed`` of model ``key``: the user's model where
    ``key`` is a slot of ``config``, else ``model`` unchanged."""
    from latentatlas.config import ModelConfig
    from latentatlas.models.slot import SLOT_MODEL

    slot = slots_of(config).get(key) if getattr(config, "model_files", ()) else None
    if slot is None or model.name not in SLOTTABLE:
        return model
    file = slot.files[seed] if slot.files else None
    digests = dict(item.rsplit("=", 1) for item in config.fingerprints)
    options = {
        "slot": key,
        "builtin": model.name,
        "builtin_options": dict(model.options),
        "source": file if slot.torchscript else slot.source,
        "weights": None if slot.torchscript else file,
        "sha256": digests.get(file) if file is not None else None,
    }
    return ModelConfig(SLOT_MODEL, model.latent_dim, options)


def valid_slots(cells: Sequence[Any]) -> list[str]:
    """The model keys of ``cells`` that a user's model may take, in plan order."""
    found: dict[str, None] = {}
    for cell in cells:
        for run, relative in cell.runs:
            builtin = run.model.options.get("builtin") if run.model.name == "slot" else None
            if (builtin or run.model.name) in SLOTTABLE:
                found[Path(relative).parent.name] = None
    return list(found)


def check(study: Any, config: Any, cells: Sequence[Any], datasets: Mapping[str, Any]) -> None:
    """Refuse, before anything is written, a slot the study does not have and a model that
    does not fit a cell's data (input shape, code size, decoder output, weights)."""
    if not getattr(config, "model_files", ()):
        return
    valid = valid_slots(cells)
    for name in slots_of(config):
        if name not in valid:
            have = f"its slots are {', '.join(valid)}" if valid else "it has no model slots"
            raise InputError(f"study {study.name} has no model slot {name!r}; {have}")
    from latentatlas.executors import data_key

    probed: set[str] = set()
    for cell in cells:
        for run, _ in cell.runs:
            marker = repr((data_key(run), run.model.to_dict()))
            if run.model.name == "slot" and marker not in probed:
                probed.add(marker)
                _probe(run, datasets[data_key(run)], cell.key)


def _probe(run: Any, dataset: Any, cell: str) -> None:
    """Build the slot's model on the CPU (weights loaded) and run it on a few rows."""
    import numpy as np
    import torch

    from latentatlas.models import build

    model = build(run.model.name, dataset.input_shape, run.model.latent_dim, **run.model.options)
    if model.closed_form:
        model.fit_closed_form(None)
    model.eval()
    x = torch.from_numpy(np.asarray(dataset.x[:PROBE_ROWS], dtype=np.float32))
    shape = tuple(dataset.input_shape)
    try:
        with torch.no_grad():
            codes = model.encode(x)
            model.decode(codes)
            if model.variational:
                model.encode_distribution(x)
    except InputError as error:
        raise InputError(f"{error} (cell {cell}'s data have input shape {shape})") from None
    if codes.shape[1] != run.model.latent_dim:
        raise InputError(
            f"the encoder of {model.where} gives codes of size {codes.shape[1]}, but slot "
            f"{run.model.options['slot']} of cell {cell} has {run.model.latent_dim} "
            f"dimensions; set the study's latent dimension to {codes.shape[1]}"
        )
