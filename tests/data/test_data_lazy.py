"""LazyArray: indexing behaves like the ndarray it stands for."""

from __future__ import annotations

import numpy as np
import pytest

from latentatlas.data.lazy import LazyArray


class Squares(LazyArray):
    def __init__(self, data: np.ndarray) -> None:
        super().__init__(data.shape)
        self.data = data

    def _rows(self, indices: np.ndarray) -> np.ndarray:
        return self.data[indices].astype(np.float32)


@pytest.mark.parametrize(
    "key",
    [3, -1, slice(2, 8, 3), slice(None), np.array([4, 0, 4]), [1, 2], (slice(0, 3), 1), (2, 0, 1)],
)
def test_indexing_matches_numpy(key) -> None:
    data = np.arange(10 * 2 * 3, dtype=np.float32).reshape(10, 2, 3)
    lazy = Squares(data)
    np.testing.assert_array_equal(lazy[key], data[key])


def test_shape_iteration_and_errors() -> None:
    data = np.arange(20, dtype=np.float32).reshape(10, 2)
    lazy = Squares(data)
    assert len(lazy) == 10 and lazy.ndim == 2 and lazy.dtype == np.float32 and lazy.nbytes == 80
    np.testing.assert_array_equal(np.asarray(lazy), data)
    np.testing.assert_array_equal(np.stack(list(lazy)), data)
    np.testing.assert_array_equal(lazy[data[:, 0] > 5], data[data[:, 0] > 5])
    with pytest.raises(IndexError):
        lazy[10]
    with pytest.raises(IndexError):
        lazy[np.array([0, 11])]
