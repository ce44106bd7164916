"""Code shape: the share of codes at the origin and the flatness of the cloud, on known clouds."""

from __future__ import annotations

import json

import numpy as np
import pytest

from latentatlas.analysis import CodeShapeResult, code_shape
from latentatlas.errors import InputError


def _disc(n: int, rng: np.random.Generator) -> np.ndarray:
    radius, angle = np.sqrt(rng.uniform(size=n)), rng.uniform(0, 2 * np.pi, size=n)
    return np.c_[radius * np.cos(angle), radius * np.sin(angle)]


def test_a_uniform_disc_has_about_radius_squared_near_the_origin_and_is_round():
    result = code_shape(_disc(20_000, np.random.default_rng(0)), radius_fraction=0.1)
    # 95th-percentile norm of a uniform disc is sqrt(0.95); the ball of 0.1 of it holds 0.0095.
    assert result.share_near_origin == pytest.approx(0.0095, abs=0.003)
    assert result.flatness == pytest.approx(1.0, abs=0.05) and not result.collapsed


def test_codes_gathered_at_the_origin_score_far_higher():
    rng = np.random.default_rng(1)
    gathered = np.r_[_disc(2_000, rng) * 0.03, _disc(2_000, rng)]
    assert code_shape(gathered).share_near_origin > 0.45


def test_codes_on_a_curve_are_flagged_as_collapsed():
    t = np.random.default_rng(2).uniform(-1, 1, size=500)
    curve = np.c_[t, 0.05 * t**2 - 0.02]
    result = code_shape(curve)
    assert result.collapsed and result.flatness < 0.1
    assert CodeShapeResult.from_dict(json.loads(json.dumps(result.to_dict()))).to_dict() == (
        result.to_dict()
    )


@pytest.mark.parametrize(
    ("codes", "options", "message"),
    [
        (np.zeros((5, 2)), {}, "all at the origin"),
        (np.ones((5, 2)), {"radius_fraction": 1.5}, "radius_fraction"),
        (np.array([[np.nan, 1.0], [1.0, 2.0]]), {}, "NaN"),
    ],
)
def test_bad_input_is_one_sentence(codes, options, message):
    with pytest.raises(InputError, match=message):
        code_shape(codes, **options)
