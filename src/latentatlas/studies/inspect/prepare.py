"""Load what ``inspect`` analyses, checked before anything is written: the data (subsampled)
and every seed's model source, each encoding one batch of the data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.errors import InputError
from latentatlas.studies.inspect.config import InspectConfig


@dataclass(eq=False)
class Prepared:
    """The data rows and the model sources of one inspect study.

    Attributes
    ----------
    config : InspectConfig
    sources : tuple of ModelSource
        One per seed.
    x : ndarray or None
        The inputs (n, *input_shape), None for codes without data.
    rows : ndarray of int64
        Row of each input in the data set (or codes file).
    labels, factors : ndarray or None
    label_names, factor_names, factor_kinds : tuples
    """

    config: InspectConfig
    sources: tuple[Any, ...]
    x: NDArray[np.float32] | None
    rows: NDArray[np.int64]
    labels: NDArray[Any] | None
    label_names: tuple[str, ...] | None
    factors: NDArray[np.float64] | None
    factor_names: tuple[str, ...]
    factor_kinds: tuple[str, ...] | None
    dataset_name: str | None = None

    @property
    def n(self) -> int:
        """Rows analysed."""
        return len(self.rows)

    def codes(self, seed: int) -> NDArray[np.float32]:
        """The codes of seed ``seed``: stored, or encoded from ``x``."""
        source = self.sources[seed]
        if source.codes is not None:
            return source.codes[self.rows]
        return source.encode(self.x)


def prepare(
    config: InspectConfig,
    dataset: Any = None,
    make_sources: Callable[[Any], Sequence[Any]] | None = None,
    codes_only: bool = False,
) -> Prepared:
    """Load the data and the sources of ``config``.

    Parameters
    ----------
    config : InspectConfig
    dataset : Dataset, optional
        In-memory data (the Python API); by default ``config.dataset`` is loaded.
    make_sources : callable, optional
        ``make_sources(x) -> sources`` for sources given as Python objects (``x`` is None
        for ``codes_only``: stored codes, no model).
    """
    from latentatlas import data

    if dataset is None and config.dataset is not None:
        dataset = data.load(config.dataset, **config.loader_options())
    if dataset is None and config.kind == "run":
        dataset = _run_dataset(config.runs[0])
    if codes_only or config.kind == "codes":
        return _with_codes(config, dataset, make_sources)
    if dataset is None:
        raise InputError("the model needs data to encode: give --dataset (or data= in Python)")
    rows = _subsample(config, len(dataset), dataset.labels)
    x = np.ascontiguousarray(dataset.x[rows], dtype=np.float32)
    sources = tuple(make_sources(x) if make_sources is not None else _model_sources(config, x))
    for source in sources:
        _check_dimension(source.model.latent_dim, source.location)
    prepared = _prepared(config, sources, x, rows, dataset)
    if config.kind == "run" and config.dataset is None:
        prepared.dataset_name = dataset.name  # the run's own data set
    return prepared


def _check_dimension(latent_dim: int, where: str) -> None:
    """A latent space of one dimension has no shape to map (no plane, no principal axes)."""
    if latent_dim < 2:
        name = "the codes given in Python" if where == "python" else f"the codes of {where}"
        raise InputError(
            f"{name} have {latent_dim} dimension; inspect maps latent spaces of 2 or more "
            "dimensions"
        )


def _model_sources(config: InspectConfig, x: NDArray[np.float32]) -> list[Any]:
    from latentatlas.models import external

    if config.kind == "torchscript":
        return [external.from_torchscript(p, x, config.device) for p in config.torchscript]
    if config.kind == "run":
        return [external.from_run(p, x, config.device) for p in config.runs]
    weights = config.weights or (None,)
    return [external.from_factory(config.model, w, x, config.device) for w in weights]  # type: ignore[arg-type]


def _run_dataset(path: str) -> Any:
    """The data set a run was trained on (every row: training and validation)."""
    from latentatlas import data, runs

    config = runs.load(path).config
    return data.load(config.data.name, **config.data.options)


def _with_codes(
    config: InspectConfig,
    dataset: Any,
    make_sources: Callable[[Any], Sequence[Any]] | None,
) -> Prepared:
    """Stored codes: every file has the same rows, which match the data's when there is data."""
    from latentatlas.models import external

    if make_sources is not None:
        sources = tuple(make_sources(None))
    else:
        sources = tuple(external.from_codes(path) for path in config.codes)
    first = sources[0]
    n = len(first.codes)
    for source in sources:
        _check_dimension(source.codes.shape[1], source.location)
    for source in sources[1:]:
        if len(source.codes) != n:
            raise InputError(
                f"{source.location} has {len(source.codes)} rows but {first.location} has {n}; "
                "every seed's codes must be of the same rows"
            )
    if dataset is not None and len(dataset) != n:
        raise InputError(
            f"{first.location} has {n} rows of codes but data set {dataset.name} has "
            f"{len(dataset)} rows; give the codes of every row, in order"
        )
    labels = first.labels if first.labels is not None else getattr(dataset, "labels", None)
    rows = _subsample(config, n, labels)
    x = None if dataset is None else np.ascontiguousarray(dataset.x[rows], dtype=np.float32)
    prepared = _prepared(config, sources, x, rows, dataset)
    if first.labels is not None:
        prepared.labels = np.asarray(first.labels)[rows]
    if first.factors is not None:
        prepared.factors = first.factors[rows]
        prepared.factor_names, prepared.factor_kinds = first.factor_names, None
    return prepared


def _prepared(
    config: InspectConfig, sources: tuple[Any, ...], x: Any, rows: NDArray[np.int64], dataset: Any
) -> Prepared:
    def take(values: Any) -> Any:
        return None if values is None else np.asarray(values)[rows]

    return Prepared(
        config=config,
        sources=sources,
        x=x,
        rows=rows,
        labels=take(getattr(dataset, "labels", None)),
        label_names=getattr(dataset, "label_names", None),
        factors=take(getattr(dataset, "factors", None)),
        factor_names=tuple(getattr(dataset, "factor_names", ())),
        factor_kinds=tuple(getattr(dataset, "factor_kinds", ())) or None,
    )


def _subsample(config: InspectConfig, n: int, labels: Any) -> NDArray[np.int64]:
    """Every row, or ``config.n`` of them: stratified by label where there are labels."""
    if config.n is None or config.n >= n:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(config.seed)
    if labels is None:
        return np.sort(rng.choice(n, size=config.n, replace=False)).astype(np.int64)
    labels = np.asarray(labels)
    chosen = [
        rng.permutation(np.flatnonzero(labels == value))[
            : round(np.mean(labels == value) * config.n)
        ]
        for value in np.unique(labels)
    ]
    return np.sort(np.concatenate(chosen)).astype(np.int64)
