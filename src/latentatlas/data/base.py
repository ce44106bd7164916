"""The Dataset container every stage reads: images or vectors, labels, ground-truth factors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from latentatlas.errors import InputError

FactorKind = Literal["discrete", "continuous"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """A data set: inputs in [0, 1], with optional labels and ground-truth factors.

    Parameters
    ----------
    name : str
        Registry name (``"mnist"``, ``"heatmaps"``, ...).
    x : ndarray of shape (n, c, h, w) or (n, d)
        Inputs, float32 in [0, 1]. May be a read-only memory map for large image folders.
    labels : ndarray of shape (n,), optional
        Integer class labels.
    label_names : tuple of str, optional
        Name of each label value; ``label_names[k]`` names label ``k``.
    factors : ndarray of shape (n, k), optional
        Ground-truth generating factors, float64.
    factor_names : tuple of str
        One name per factor column.
    factor_kinds : tuple of {"discrete", "continuous"}
        One kind per factor column.
    source : str
        Where the data came from, for reports (a path, a package, a generator).
    """

    name: str
    x: NDArray[np.float32]
    labels: NDArray[np.int64] | None = None
    label_names: tuple[str, ...] | None = None
    factors: NDArray[np.float64] | None = None
    factor_names: tuple[str, ...] = ()
    factor_kinds: tuple[FactorKind, ...] = ()
    source: str = ""
    options: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.x)
        if self.labels is not None and len(self.labels) != n:
            raise InputError(f"labels has {len(self.labels)} entries but x has {n} rows")
        if self.factors is not None:
            if self.factors.ndim != 2 or len(self.factors) != n:
                raise InputError(
                    f"factors must have shape ({n}, k) to match x, got {self.factors.shape}"
                )
            k = self.factors.shape[1]
            if len(self.factor_names) != k or len(self.factor_kinds) != k:
                raise InputError(
                    f"factors has {k} columns but {len(self.factor_names)} factor_names "
                    f"and {len(self.factor_kinds)} factor_kinds were given"
                )

    def __len__(self) -> int:
        return len(self.x)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input, e.g. ``(1, 28, 28)`` or ``(784,)``."""
        return tuple(int(s) for s in self.x.shape[1:])

    def subset(self, indices: NDArray[np.integer]) -> Dataset:
        """Return the rows ``indices`` as a new Dataset (data copied into memory)."""
        idx = np.asarray(indices)
        return Dataset(
            name=self.name,
            x=np.ascontiguousarray(self.x[idx]),
            labels=None if self.labels is None else self.labels[idx],
            label_names=self.label_names,
            factors=None if self.factors is None else self.factors[idx],
            factor_names=self.factor_names,
            factor_kinds=self.factor_kinds,
            source=self.source,
            options=dict(self.options),
        )

    def split(
        self, seed: int = 0, validation_fraction: float = 0.2
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Deterministic train/validation indices, stratified by label where there are labels.

        Parameters
        ----------
        seed : int
            The same seed always gives the same split.
        validation_fraction : float
            Share of rows held out, in (0, 1).

        Returns
        -------
        train, validation : ndarray of int64
            Sorted, disjoint row indices that together cover every row.
        """
        if not 0.0 < validation_fraction < 1.0:
            raise InputError(
                f"validation_fraction must be between 0 and 1, got {validation_fraction}"
            )
        if len(self) == 0:
            raise InputError(f"data set {self.name} has no rows to split ({self.source})")
        rng = np.random.default_rng(seed)
        groups = [np.arange(len(self))] if self.labels is None else _groups(self.labels)
        validation: list[NDArray[np.int64]] = []
        for members in groups:
            shuffled = rng.permutation(members)
            n_val = round(len(members) * validation_fraction)
            validation.append(shuffled[:n_val])
        val = np.sort(np.concatenate(validation)).astype(np.int64)
        train = np.setdiff1d(np.arange(len(self), dtype=np.int64), val)
        for part, indices in (("training", train), ("validation", val)):
            if len(indices) == 0:
                raise InputError(
                    f"validation_fraction {validation_fraction} leaves the {part} split of "
                    f"data set {self.name} ({len(self)} rows) empty; choose a fraction that "
                    "keeps rows on both sides"
                )
        return train, val


def _groups(labels: NDArray[np.integer]) -> list[NDArray[np.int64]]:
    return [np.flatnonzero(labels == value) for value in np.unique(labels)]
