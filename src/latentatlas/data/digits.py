"""scikit-learn's 8x8 handwritten digits (1,797 images), embedded in scikit-learn."""

from __future__ import annotations

import numpy as np

from latentatlas.data.base import Dataset

SOURCE = "scikit-learn's load_digits (UCI optical digits)"


def load() -> Dataset:
    """Load the 8x8 digits as images of shape (1797, 1, 8, 8) in [0, 1], labelled by digit.

    Returns
    -------
    Dataset
        ``x`` float32 (1797, 1, 8, 8): the 0..16 grey levels divided by 16; ``labels`` the digits.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images.astype(np.float32) / np.float32(16.0))[:, None]
    return Dataset(
        name="digits",
        x=x,
        labels=bunch.target.astype(np.int64),
        label_names=tuple(str(d) for d in range(10)),
        source=SOURCE,
    )


def describe() -> dict[str, object]:
    """Size, shape and source of :func:`load`."""
    return {
        "size": 1797,
        "shape": (1, 8, 8),
        "labels": "10 digits",
        "factors": [],
        "source": SOURCE,
    }
