"""Tests for number formatting in reports."""

from __future__ import annotations

import math

import numpy as np
import pytest

from latentatlas.report import format_value, mean_std


def test_mean_std_uses_sample_standard_deviation():
    values = [0.4, 0.5, 0.6]
    expected = f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f} (n=3)"
    assert mean_std(values) == expected == "0.500 ± 0.100 (n=3)"


def test_mean_std_single_value_digits_and_nothing_finite():
    assert mean_std([0.4721]) == "0.472 (n=1)"
    assert mean_std([1.0, 2.0], digits=1) == "1.5 ± 0.7 (n=2)"
    assert mean_std([math.nan, 0.5]) == "0.500 (n=1)"
    assert mean_std([]) == "—"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        ("0.47 ± 0.05", "0.47 ± 0.05"),
        (True, "yes"),
        (60000, "60,000"),
        (np.int64(5), "5"),
        (0.12345, "0.123"),
        (np.float32(0.5), "0.500"),
        (1e-6, "1e-06"),
        (0.0, "0.000"),
        (2.5e7, "2.5e+07"),
        (math.nan, "—"),
        ([0.4, 0.6], "0.500 ± 0.141 (n=2)"),
        (np.array([1.0]), "1.000 (n=1)"),
        (["a", "b"], "['a', 'b']"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text
