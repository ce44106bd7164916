"""Array-like inputs that produce their rows on demand, for data sets too large to hold in RAM."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


class LazyArray:
    """A read-only, float32, array-like view whose rows are produced only when indexed.

    ``Dataset.x`` may be a LazyArray instead of an ndarray: ``len(x)``, ``x.shape``, ``x.dtype``,
    ``x.ndim``, ``x[i]``, ``x[a:b]``, ``x[index_array]`` and ``x[boolean_mask]`` all work and
    return plain float32 ndarrays; ``np.asarray(x)`` materialises every row (only do that when
    the data fits in memory). Subclasses implement :meth:`_rows`.

    Parameters
    ----------
    shape : tuple of int
        Shape of the whole array, ``(n, ...)``.
    """

    dtype = np.dtype(np.float32)

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = tuple(int(s) for s in shape)

    def _rows(self, indices: NDArray[np.int64]) -> NDArray[np.float32]:
        """Return rows ``indices`` (int64, in range) as float32 of shape (len(indices), ...)."""
        raise NotImplementedError

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def nbytes(self) -> int:
        """Bytes the materialised float32 array would take."""
        return self.size * self.dtype.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: Any) -> NDArray[np.float32]:
        rest: tuple[Any, ...] = ()
        if isinstance(key, tuple):
            key, rest = key[0], key[1:]
        n = self.shape[0]
        if isinstance(key, (int, np.integer)):
            index = int(key) + n if key < 0 else int(key)
            if not 0 <= index < n:
                raise IndexError(f"index {key} is out of bounds for {n} rows")
            row = self._rows(np.array([index], dtype=np.int64))[0]
            return row[rest] if rest else row
        rows = self._rows(self._indices(key))
        return rows[(slice(None), *rest)] if rest else rows

    def _indices(self, key: Any) -> NDArray[np.int64]:
        n = self.shape[0]
        if isinstance(key, slice):
            return np.arange(n, dtype=np.int64)[key]
        idx = np.asarray(key)
        if idx.dtype == bool:
            if idx.shape != (n,):
                raise IndexError(f"boolean index has shape {idx.shape}, expected ({n},)")
            return np.flatnonzero(idx).astype(np.int64)
        idx = idx.astype(np.int64).reshape(-1)
        if len(idx) and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"index out of bounds for {n} rows")
        return np.where(idx < 0, idx + n, idx)

    def __iter__(self) -> Any:
        for start in range(0, len(self), 256):
            yield from self[start : start + 256]

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[Any]:
        out = self[:]
        return out if dtype is None else out.astype(dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(shape={self.shape}, dtype=float32)"
