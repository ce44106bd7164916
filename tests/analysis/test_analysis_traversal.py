"""Tests for latent traversals and traversal effects on hand-made decoders with known effects."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from _benchmarks import load
from latentatlas.analysis.traversal import (
    AGREEMENT_COSINE,
    CONSISTENCY_THRESHOLD,
    EffectAgreementResult,
    TraversalEffectsResult,
    TraversalResult,
    effect_agreement,
    traversal_effects,
    traversal_seeds,
    traverse,
)
from latentatlas.errors import InputError
from latentatlas.models import Autoencoder, decode_array, encode_array


class KnownDecoder(Autoencoder):
    """Code = the first 4 pixels of a 1x3x3 image; decode: dim 0 moves pixel 4 by 1 per unit,
    dim 1 does nothing, dim 2 moves pixel 0 in a direction set by the sign of dim 3."""

    name = "known-decoder"

    def __init__(self) -> None:
        super().__init__((1, 3, 3), 4, {})

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)[:, :4]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        image = torch.full((len(z), 9), 0.5)
        image[:, 4] += z[:, 0]
        image[:, 0] += z[:, 2] * torch.sign(z[:, 3])  # direction depends on the input
        return image.view(-1, 1, 3, 3)


def _inputs(n: int = 40, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).uniform(-1, 1, size=(n, 1, 3, 3)).astype(np.float32)
    x[:, 0, 1, 0] = np.where(np.arange(n) % 2 == 0, 0.5, -0.5)  # dim 3: half +, half -
    return x


@pytest.mark.parametrize("mode", ["absolute", "relative", "std"])
def test_traverse_shapes_and_decoded_codes(mode):
    model, x = KnownDecoder(), _inputs(5)
    result = traverse(model, x, dims=[0, 2], values=[-1.0, 0.0, 2.0], mode=mode)
    assert result.images.shape == (5, 2, 3, 1, 3, 3)
    codes = encode_array(model, x).astype(np.float64)
    np.testing.assert_allclose(result.codes, codes, atol=1e-6)
    for k, dim in enumerate(result.dims):
        expected = np.repeat(codes[:, None, :], 3, axis=1)
        steps = np.array([-1.0, 0.0, 2.0])
        if mode == "relative":
            expected[:, :, dim] += steps
        else:
            scale = codes[:, dim].std(ddof=1) if mode == "std" else 1.0
            expected[:, :, dim] = steps * scale
            assert result.scale[k] == pytest.approx(scale)
        decoded = decode_array(model, expected.reshape(-1, 4)).reshape(5, 3, 1, 3, 3)
        np.testing.assert_allclose(result.images[:, k], decoded, atol=1e-6)


def test_traverse_defaults_all_dims_ten_values_and_code_std():
    result = traverse(KnownDecoder(), _inputs(1), mode="std", code_std=[2.0, 1.0, 0.5, 1.0])
    assert result.dims == (0, 1, 2, 3)
    np.testing.assert_allclose(result.values, np.linspace(-3, 3, 10))
    np.testing.assert_allclose(result.scale, [2.0, 1.0, 0.5, 1.0])
    # pixel 4 is 0.5 + dim 0, which was set to -3 * 2
    assert result.images[0, 0, 0, 0, 1, 1] == pytest.approx(0.5 - 6.0)


@pytest.fixture(scope="module")
def effects():
    return traversal_effects(KnownDecoder(), _inputs(), dims=[0, 1, 2])


def test_effects_classify_consistent_inactive_and_entangled(effects):
    assert effects.effect.shape == (40, 3)
    np.testing.assert_allclose(effects.mean_effect, [1 / 9, 0.0, 1 / 9], atol=1e-6)
    assert effects.consistency[0] == pytest.approx(1.0)
    # opposite directions for half the inputs: only pairs within a half agree (2 * 20 * 19 pairs)
    assert effects.consistency[2] == pytest.approx(2 * 20 * 19 / (40 * 39))
    assert abs(effects.mean_cosine[2]) < 0.1  # the old measure: mean pairwise cosine
    np.testing.assert_allclose(effects.silent_share, [0.0, 1.0, 0.0])
    assert effects.cross_dimension_cosine == pytest.approx(0.0)  # pixel 4 against pixel 0
    assert effects.pair_threshold == AGREEMENT_COSINE
    assert effects.classification == ("consistent", "inactive", "entangled")
    assert effects.consistent_dims == 1
    expected_change = np.zeros((1, 3, 3))
    expected_change[0, 1, 1] = 1.0
    np.testing.assert_allclose(effects.mean_change[0], expected_change, atol=1e-6)


def test_effect_agreement_matches_permuted_dimensions(effects):
    x = _inputs()
    permuted = x.copy()
    permuted[:, 0, 0, [0, 2]] = x[:, 0, 0, [2, 0]]  # swap the codes of dims 0 and 2

    class Swapped(KnownDecoder):
        def decode(self, z: torch.Tensor) -> torch.Tensor:
            return super().decode(z[:, [2, 1, 0, 3]])

    other = traversal_effects(Swapped(), permuted, dims=[0, 1, 2])
    agreement = effect_agreement(effects, other, by="change")
    assert dict(agreement.pairs)[0] == 2
    assert agreement.similarity[0, 2] == pytest.approx(1.0)
    profile = effect_agreement(effects, effects)
    assert profile.matched_similarity[0] == pytest.approx(1.0)


def test_seeds_sum_up_counts_consistency_and_agreement(effects):
    """Two seeds whose dimensions do the same things in another order agree fully."""

    class Swapped(KnownDecoder):
        def decode(self, z: torch.Tensor) -> torch.Tensor:
            return super().decode(z[:, [2, 1, 0, 3]])

    other = traversal_effects(Swapped(), _inputs(), dims=[0, 1, 2])
    seeds = traversal_seeds([effects, other])
    assert (seeds.consistent_dims, seeds.entangled_dims, seeds.inactive_dims) == ((1, 1),) * 3
    pairs = 2 * 20 * 19 / (40 * 39)  # the entangled dimension's share of agreeing pairs
    np.testing.assert_allclose(seeds.mean_consistency, [(1 + pairs) / 2] * 2)  # inactive left out
    assert seeds.entangled_share == (0.5, 0.5)
    # one pair of seeds: both active dimensions matched at correlation 1, the inactive one (a
    # constant profile) correlates with none
    assert seeds.seed_agreement == (pytest.approx(2 / 3),)
    assert seeds.classification[1] == ("entangled", "inactive", "consistent")
    with pytest.raises(InputError, match="empty"):
        traversal_seeds([])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m, x: traverse(m, x[:, 0]), "expected numeric"),
        (lambda m, x: traverse(m, x, dims=[4]), "outside 0..3"),
        (lambda m, x: traverse(m, x, mode="sideways"), "mode 'sideways'"),
        (lambda m, x: traverse(m, x, values=[np.nan]), "finite"),
        (lambda m, x: traverse(m, x[:1], mode="std"), "code_std"),
        (lambda m, x: traverse(m, x, mode="std", code_std=[1.0]), "code_std must be 4"),
        (lambda m, x: traverse(object(), x), "Autoencoder"),
        (lambda m, x: traversal_effects(m, x[:1]), "at least 2"),
        (lambda m, x: traversal_effects(m, x, values=[1.0, 1.0]), "2 different"),
        (lambda m, x: traversal_effects(m, x, inactive_fraction=2.0), "inactive_fraction"),
        (lambda m, x: traversal_effects(m, x, consistency_threshold=-0.5), "consistency_thr"),
        (lambda m, x: traversal_effects(m, x, agreement_cosine=1.5), "agreement_cosine"),
        (lambda m, x: traversal_effects(m, x, agreement_cosine=np.nan), "agreement_cosine"),
    ],
)
def test_bad_inputs_raise_input_error(call, message):
    with pytest.raises(InputError, match=message):
        call(KnownDecoder(), _inputs(4))


def test_effect_agreement_rejects_different_inputs_and_modes(effects):
    fewer = traversal_effects(KnownDecoder(), _inputs(10), dims=[0, 1, 2])
    with pytest.raises(InputError, match="same inputs"):
        effect_agreement(effects, fewer)
    with pytest.raises(InputError, match="by must be"):
        effect_agreement(effects, effects, by="magic")


def test_results_round_trip_through_json(effects):
    results = [
        traverse(KnownDecoder(), _inputs(2), dims=[0], values=[0.0, 1.0]),
        effects,
        effect_agreement(effects, effects),
    ]
    kinds = [TraversalResult, TraversalEffectsResult, EffectAgreementResult]
    for result, kind in zip(results, kinds, strict=True):
        back = kind.from_dict(json.loads(json.dumps(result.to_dict(), allow_nan=False)))
        for name, value in vars(result).items():
            if isinstance(value, np.ndarray):
                np.testing.assert_allclose(getattr(back, name), value)
            else:
                assert getattr(back, name) == value


def test_result_without_the_new_fields_still_builds_and_reads(effects):
    """The disentanglement report rebuilds a result from the study's stored fields only."""
    old = {k: v for k, v in effects.to_dict().items() if k not in _NEW_FIELDS}
    back = TraversalEffectsResult.from_dict(json.loads(json.dumps(old)))
    assert back.classification == effects.classification
    assert back.mean_cosine is None and np.isnan(back.agreement_cosine)


_NEW_FIELDS = ("mean_cosine", "silent_share", "agreement_cosine", "cross_dimension_cosine")


# -- calibration on synthetic decoders with a known answer (benchmarks/calibrate_traversal.py) -----
calibration = load("calibrate_traversal")


@pytest.mark.parametrize("split", list(calibration.SPLITS))
@pytest.mark.parametrize("kind", calibration.ENTANGLED_KINDS)
def test_every_entangled_kind_is_flagged(kind, split):
    case = calibration.make_case(kind, split, seed=0)
    result = traversal_effects(case.model, case.x)
    assert result.classification == case.truth, (kind, split, result.consistency)


@pytest.mark.parametrize("split", list(calibration.SPLITS))
@pytest.mark.parametrize("kind", calibration.CONTROL_KINDS)
def test_disentangled_controls_are_consistent(kind, split):
    case = calibration.make_case(kind, split, seed=0)
    result = traversal_effects(case.model, case.x)
    assert result.classification == ("consistent",) * calibration.LATENT_DIM
    assert result.consistency.min() >= CONSISTENCY_THRESHOLD


@pytest.mark.parametrize("kind", ["rotate", "shared+switched", "class"])
def test_the_old_mean_cosine_missed_what_the_share_of_pairs_flags(kind):
    """The issue's finding, kept as a known answer: a mean over pairs hides the disagreement."""
    case = calibration.make_case(kind, "unbalanced", seed=0)
    result = traversal_effects(case.model, case.x)
    assert result.mean_cosine[0] >= 0.5  # the old rule called it consistent
    assert result.classification[0] == "entangled"


def test_a_gated_effect_leaves_inputs_silent():
    case = calibration.make_case("gate", "unbalanced", seed=0)
    result = traversal_effects(case.model, case.x, dims=[0, 2])
    assert 0.1 < result.silent_share[0] < 0.5  # switched off for part of the 31% group
    assert result.silent_share[1] == 0.0


def test_cases_and_measure_are_deterministic_per_seed():
    first, again = (calibration.make_case("rotate", "unbalanced", seed=3) for _ in range(2))
    np.testing.assert_array_equal(first.x, again.x)
    a, b = (traversal_effects(c.model, c.x) for c in (first, again))
    np.testing.assert_array_equal(a.consistency, b.consistency)
    other = calibration.make_case("rotate", "unbalanced", seed=4)
    assert not np.array_equal(other.x, first.x)


class TwoAlikeDimensions(KnownDecoder):
    """Dims 0 and 2 move the same two pixels with patterns whose cosine is 0.6."""

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        image = torch.zeros((len(z), 9))
        image[:, 0] = z[:, 0] + 0.6 * z[:, 2]
        image[:, 1] = 0.8 * z[:, 2]
        return image.view(-1, 1, 3, 3)


def test_cross_dimension_null_raises_the_pair_threshold():
    result = traversal_effects(TwoAlikeDimensions(), _inputs(), agreement_cosine=0.2)
    assert result.cross_dimension_cosine == pytest.approx(0.6, abs=1e-5)
    assert result.pair_threshold == pytest.approx(0.6, abs=1e-5)
    assert result.classification == ("consistent", "inactive", "consistent", "inactive")


@pytest.mark.parametrize("mode", ["relative", "std"])
@pytest.mark.parametrize("kind", ["flip", "rotate", "class", *calibration.CONTROL_KINDS])
def test_calibration_holds_in_the_other_modes(kind, mode):
    """Relative steps compare total changes: a dimension's own tanh is no entanglement."""
    case = calibration.make_case(kind, "unbalanced", seed=1)
    assert traversal_effects(case.model, case.x, mode=mode).classification == case.truth


def test_few_inputs_still_classify_the_calibration_cases():
    """32 inputs, the study's quick setting."""
    for kind in ("gate", "shared+switched", "saturating"):
        case = calibration.make_case(kind, "unbalanced", seed=2, n=32)
        assert traversal_effects(case.model, case.x).classification == case.truth, kind
