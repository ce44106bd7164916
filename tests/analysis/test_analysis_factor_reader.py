"""Tests for the factor reader: it reads the generating factors off held-out heatmaps.

The ``reader`` fixture comes from conftest.py.
"""

from __future__ import annotations

import json

import numpy as np

from latentatlas.data.heatmaps import render_heatmaps


def test_factor_reader_recovers_factors_of_held_out_heatmaps(reader):
    assert min(reader.test_r2.values()) > 0.95
    assert reader.factor_names == ("var_x", "var_y", "corr")
    json.dumps(reader.to_dict(), allow_nan=False)
    # fresh heatmaps at factor values off the training grid
    rng = np.random.default_rng(6)
    truth = np.column_stack([rng.uniform(0.3, 4.7, 200), rng.uniform(0.3, 4.7, 200),
                             rng.uniform(-0.85, 0.75, 200)])  # fmt: skip
    read = reader.predict(render_heatmaps(*truth.T))
    residual = ((read - truth) ** 2).sum(axis=0)
    r2 = 1 - residual / ((truth - truth.mean(axis=0)) ** 2).sum(axis=0)
    assert np.all(r2 > 0.95)
