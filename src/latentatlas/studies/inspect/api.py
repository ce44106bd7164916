"""``latentatlas.inspect(...)``: map a model trained elsewhere from Python."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from latentatlas.errors import InputError


def inspect(
    out: str | os.PathLike[str],
    *,
    encode: Callable[[Any], Any] | Any = None,
    decode: Callable[[Any], Any] | None = None,
    codes: Any = None,
    data: Any = None,
    labels: Any = None,
    factors: Any = None,
    factor_names: Sequence[str] | None = None,
    progress: bool = True,
    **settings: Any,
) -> Path:
    """Map one model with every analysis its model and data allow; return the report's path.

    Give the model one way:

    * ``encode`` (and ``decode``): functions on torch tensors or NumPy arrays, or an
      ``nn.Module`` with ``encode``/``decode`` methods (or ``encoder``/``decoder``);
    * ``codes``: an array (n, d) of codes, or a list of them (one per seed), without a decoder;
    * file settings as on the command line: ``model="pkg.vae:build", weights=("w.pt",)``,
      ``runs=("runs/ae12/seed-0",)``,
      ``torchscript=("f.pt",)`` or ``codes=("c.npz",)`` (a tuple of paths).

    Parameters
    ----------
    out : path
        The study folder (created; written again each time).
    data : Dataset or array, optional
        The inputs: a :class:`~latentatlas.data.Dataset` or an array (n, ...) in [0, 1]; or
        pass ``dataset="mnist", digits=(1, 2)`` as settings.
    labels, factors, factor_names : optional
        Labels (n,) and ground-truth factors (n, k) of ``data`` or ``codes``.
    progress : bool
        Progress lines on the ``latentatlas`` logger, printed on stderr while logging is not
        set up (:mod:`latentatlas.progress`); False is silent.
    **settings
        Any setting of :class:`~latentatlas.studies.inspect.config.InspectConfig`
        (``n``, ``device``, ``tsne_points``, ...).

    Examples
    --------
    >>> la.inspect("out/", encode=vae.encode, decode=vae.decode, data=x, labels=y)  # doctest: +SKIP
    >>> la.inspect("out/", codes=z, labels=y)  # doctest: +SKIP
    """
    from latentatlas.studies.inspect.config import InspectConfig, absolute_paths
    from latentatlas.studies.inspect.study import InspectStudy

    file_codes = isinstance(codes, str | os.PathLike) or (
        isinstance(codes, tuple | list) and codes and isinstance(codes[0], str | os.PathLike)
    )
    if file_codes:
        settings["codes"] = (
            (str(codes),) if isinstance(codes, str | os.PathLike) else tuple(map(str, codes))
        )
        codes = None
    in_memory = encode is not None or codes is not None
    if encode is not None and codes is not None:
        raise InputError("give encode (and decode) or codes, not both")
    dataset = _dataset(
        data, labels if codes is None else None, factors if codes is None else None, factor_names
    )
    if dataset is not None and settings.get("dataset") is not None:
        raise InputError("give data or dataset=, not both")
    config = InspectConfig(python=in_memory, **absolute_paths(_tuples(settings)))
    study = InspectStudy()
    if in_memory or dataset is not None:
        study._prepared = _prepare(
            config, dataset, encode, decode, codes, labels, factors, factor_names
        )
    return run(study, config, out, progress=progress)


def run(
    study: Any,
    config: Any,
    out: str | os.PathLike[str],
    progress: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> Path:
    """Analyse afresh into ``out`` (a model in memory may have changed under the same
    settings), refusing a folder that holds another study."""
    from latentatlas.studies import engine

    study_file = Path(out) / "study.json"
    if study_file.is_file():
        try:
            stored = json.loads(study_file.read_text()).get("study")
        except (OSError, ValueError, AttributeError):
            stored = None
        if stored != "inspect":
            raise InputError(
                f"{out} holds a {stored!r} study, not an inspect one; choose another --out"
            )
    return engine.run(study, config, out, force=True, progress=progress, on_step=on_step)


def _tuples(settings: dict[str, Any]) -> dict[str, Any]:
    """Lists become tuples and a single path a one-item tuple, as the settings take them."""
    fixed = dict(settings)
    options = fixed.get("data_options")
    if isinstance(options, dict):  # data_options={"size": 64} in Python
        fixed["data_options"] = tuple(f"{k}={v}" for k, v in options.items())
    for key in ("weights", "torchscript", "codes", "runs", "digits", "data_options"):
        value = fixed.get(key)
        if isinstance(value, str | os.PathLike):
            fixed[key] = (str(value),)
        elif isinstance(value, list | tuple):
            fixed[key] = tuple(str(v) if isinstance(v, os.PathLike) else v for v in value)
    return fixed


def _dataset(data: Any, labels: Any, factors: Any, factor_names: Any) -> Any:
    """``data`` as a Dataset (arrays wrapped, their labels and factors checked)."""
    from latentatlas.data.base import Dataset

    if data is None or isinstance(data, Dataset):
        if data is not None and (labels is not None or factors is not None):
            raise InputError("labels and factors belong to array data; a Dataset has its own")
        return data
    x = np.asarray(data)
    if x.dtype.kind not in "fiub" or x.ndim < 2 or len(x) < 2:
        raise InputError(
            f"data must be an array (n, ...) of numbers with n >= 2, got shape {x.shape}"
        )
    bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    if bad.any():
        raise InputError(f"data has a NaN or infinite value in row {int(np.argmax(bad))}")
    f = None if factors is None else np.asarray(factors, dtype=np.float64).reshape(len(factors), -1)
    k = 0 if f is None else f.shape[1]
    names = (
        tuple(factor_names) if factor_names is not None else tuple(f"factor_{i}" for i in range(k))
    )
    return Dataset(
        name="arrays",
        x=x.astype(np.float32),
        labels=None if labels is None else np.asarray(labels),
        factors=f,
        factor_names=names,
        factor_kinds=("continuous",) * k,
        source="python",
    )


def _prepare(
    config: Any,
    dataset: Any,
    encode: Any,
    decode: Any,
    codes: Any,
    labels: Any,
    factors: Any,
    factor_names: Any,
) -> Any:
    from latentatlas.models import external
    from latentatlas.studies.inspect.prepare import prepare

    if codes is not None:
        seeds = codes if isinstance(codes, list | tuple) else [codes]

        def code_sources(_: Any) -> list[Any]:
            return [
                external.from_codes(
                    codes=z, labels=labels, factors=factors, factor_names=factor_names
                )
                for z in seeds
            ]

        return prepare(config, dataset, code_sources, codes_only=True)
    if encode is None:
        return prepare(config, dataset)
    if dataset is None:
        raise InputError("encode needs data: pass data=images (n, ...) or dataset=NAME")
    modules = encode if isinstance(encode, list | tuple) else [encode]

    def model_sources(x: Any) -> list[Any]:
        return [external.from_callables(m, decode, x, config.device) for m in modules]

    return prepare(config, dataset, model_sources)
