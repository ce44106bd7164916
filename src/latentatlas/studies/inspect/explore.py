"""An inspect folder in the explorer: one entry per seed, the codes from the cell's arrays and
the user's model reloaded through its adapter, refused when a file changed since."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from latentatlas.errors import InputError


def is_inspect_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a finished ``latentatlas inspect`` study."""
    try:
        document = json.loads((folder / "study.json").read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(document, dict)
        and document.get("study") == "inspect"
        and (folder / "metrics.json").is_file()
    )


def check_files(config: Any) -> None:
    """Refuse, in one sentence, a weights, TorchScript or codes file that changed or went."""
    from latentatlas.models.external import sha256

    for path, digest in config.fingerprint_of().items():
        if not Path(path).is_file():
            raise InputError(f"{path}, which this inspect folder analysed, is missing")
        if sha256(path) != digest:
            raise InputError(
                f"{path} changed since it was inspected (its SHA-256 differs); run "
                "latentatlas inspect again to map the new model"
            )


def entries(folder: Path, entry_type: type) -> list[Any]:
    """One explorer entry per seed of the inspect study in ``folder``."""
    from latentatlas.studies.engine import load

    results = load(folder)
    config = results.config
    check_files(config)
    result = results.results[results.cells[0].key]
    data = _data_description(config)
    return [
        entry_type(
            name=f"seed-{seed}",
            path=folder / f"seed-{seed}",
            dataset=str(data["name"]),
            model=f"{result.kind} {result.location}",
            latent_dim=result.latent_dim,
            seed=seed,
            group="inspect",
            data_key=json.dumps(data, sort_keys=True, default=str),
            inspect_seed=seed,
        )
        for seed in range(result.seeds)
    ]


def _data_description(config: Any) -> dict[str, Any]:
    """The data set to show original images from: the settings', else a run's own."""
    if config.dataset is None and config.kind == "run":
        from latentatlas import runs

        data = runs.load(config.runs[0]).config.data
        return {"name": data.name, "options": dict(data.options)}
    return {"name": config.dataset or "codes", "options": config.loader_options()}


def view_fields(entry: Any) -> dict[str, Any]:
    """The fields of the explorer's ``RunView`` of seed ``entry.inspect_seed``."""
    from latentatlas.studies.engine import load

    folder = entry.path.parent
    results = load(folder)
    result = results.results[results.cells[0].key]
    arrays = results.arrays(results.cells[0].key)
    codes = arrays[f"codes/seed-{entry.inspect_seed}"].astype(np.float32)
    error = arrays.get(f"reconstruction_error/seed-{entry.inspect_seed}")
    shape = tuple(result.input_shape) if result.input_shape is not None else (codes.shape[1],)
    return {
        "model": load_model(results.config, entry.inspect_seed, shape),
        "codes": codes,
        "indices": arrays["rows"].astype(np.int64),
        "split": np.zeros(len(codes), np.int8),
        "labels": arrays["labels"].astype(np.int64) if "labels" in arrays else None,
        "label_names": tuple(str(n) for n in arrays["label_names"])
        if "label_names" in arrays
        else None,
        "factors": arrays.get("factors"),
        "factor_names": result.factors.factor_names if result.factors is not None else (),
        "error": np.zeros(len(codes), np.float32) if error is None else error.astype(np.float32),
        "input_shape": shape,
    }


def load_model(config: Any, seed: int, input_shape: tuple[int, ...]) -> Any:
    """The model of seed ``seed`` through its adapter (on the CPU); None when it cannot be
    reloaded (codes only, or Python objects)."""
    from latentatlas.models import external

    probe = np.zeros((1, *input_shape), np.float32)
    if config.kind == "factory":
        weights = config.weights[seed] if config.weights else None
        return external.from_factory(config.model, weights, probe, "cpu").model
    if config.kind == "torchscript":
        return external.from_torchscript(config.torchscript[seed], probe, "cpu").model
    if config.kind == "run":
        return external.from_run(config.runs[seed], probe, "cpu").model
    return None
