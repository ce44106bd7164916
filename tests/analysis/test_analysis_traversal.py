"""Tests for latent traversals and traversal effects on hand-made decoders with known effects."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from latentatlas.analysis.traversal import (
    EffectAgreementResult,
    TraversalEffectsResult,
    TraversalResult,
    effect_agreement,
    traversal_effects,
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
    assert abs(effects.consistency[2]) < 0.1  # opposite directions for half the inputs
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
