"""Fixtures shared by the analysis tests: a heatmaps sample and a factor reader fitted on it."""

from __future__ import annotations

import pytest

from latentatlas.analysis.factor_reader import FactorReader, fit_factor_reader
from latentatlas.data import load


@pytest.fixture(scope="session")
def heatmaps():
    return load("heatmaps", subsample=1500)


@pytest.fixture(scope="session")
def reader(heatmaps) -> FactorReader:
    return fit_factor_reader(heatmaps.x, heatmaps.factors, heatmaps.factor_names, random_state=0)
