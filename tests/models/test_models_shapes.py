"""Shapes, options, parameter counts and a few training steps for every registered model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentatlas.errors import InputError
from latentatlas.models import build, count_parameters, describe, names

torch.set_num_threads(1)  # tiny models: extra threads only contend with other test processes

DENSE = ["pca", "linear-ae", "ae", "dae", "vae", "ae-classifier"]
CONV = ["conv-ae", "conv-vae"]
SMALL_CONV = {"filters": (4, 4, 8, 8)}


def test_registry_lists_every_model_with_options():
    assert set(names()) == set(DENSE + CONV)
    info = {model.name: model for model in describe()}
    assert info["ae"].options["hidden"] == (128, 32)
    assert info["ae"].options["activation"] == "tanh"
    assert info["dae"].options["noise"] == 0.3
    assert info["conv-vae"].options["bottleneck"] is None
    assert info["ae-classifier"].needs_labels and info["pca"].closed_form


@pytest.mark.parametrize("name", DENSE)
@pytest.mark.parametrize("shape", [(12,), (1, 6, 6)])
def test_dense_models_round_trip_shapes(name, shape):
    model = build(name, shape, 3)
    x = torch.rand(5, *shape)
    assert model.encode(x).shape == (5, 3)
    assert model.decode(torch.zeros(4, 3)).shape == (4, *shape)
    assert model(x).shape == x.shape
    assert model.latent_dim == 3


@pytest.mark.parametrize("name", CONV)
@pytest.mark.parametrize("shape", [(1, 28, 28), (1, 64, 64), (1, 36, 36), (3, 96, 96), (1, 17, 23)])
def test_conv_models_return_exactly_the_input_size(name, shape):
    model = build(name, shape, 4, **SMALL_CONV)
    x = torch.rand(2, *shape)
    assert model.encode(x).shape == (2, 4)
    assert model(x).shape == x.shape


def test_vae_encode_is_the_posterior_mean():
    model = build("vae", (10,), 2)
    x = torch.rand(3, 10)
    mu, logvar = model.encode_distribution(x)
    assert torch.equal(model.encode(x), mu) and logvar.shape == (3, 2)


@pytest.mark.parametrize(
    ("latent_dim", "bottleneck", "expected"),
    [(512, None, 9_826_624), (256, None, 5_107_520), (256, 256, 2_879_552)],
)
def test_conv_vae_encoder_parameters_match_the_filaments_source(latent_dim, bottleneck, expected):
    model = build("conv-vae", (3, 96, 96), latent_dim, bottleneck=bottleneck)
    counts = count_parameters(model)
    assert counts.encoder == expected
    assert counts.total == model.n_parameters


def test_dense_ae_parameters_follow_the_784_128_32_2_layout():
    counts = count_parameters(build("ae", (1, 28, 28), 2))
    assert counts.encoder == 784 * 128 + 128 + 128 * 32 + 32 + 32 * 2 + 2
    assert counts.decoder == 2 * 32 + 32 + 32 * 128 + 128 + 128 * 784 + 784


def test_dae_corrupts_only_in_training_and_stays_in_unit_range():
    model = build("dae", (50,), 2)
    x = torch.full((4, 50), 0.5)
    noisy = model.corrupt(x, torch.Generator().manual_seed(0))
    assert noisy.min() >= 0 and noisy.max() <= 1
    assert 0.2 < (noisy - x).std() < 0.4  # noise factor 0.3
    again = model.corrupt(x, torch.Generator().manual_seed(0))
    assert torch.equal(noisy, again)
    model.eval()
    assert torch.equal(model.loss(x)["total"], torch.nn.functional.mse_loss(model(x), x))


def test_corrupt_array_gives_the_seeded_training_inputs_as_numpy():
    from latentatlas.models import corrupt_array

    x = np.full((4, 50), 0.5, dtype=np.float32)
    noisy = corrupt_array(build("dae", (50,), 2), x, seed=3)
    expected = build("dae", (50,), 2).corrupt(torch.as_tensor(x), torch.Generator().manual_seed(3))
    np.testing.assert_array_equal(noisy, expected.numpy())
    assert noisy.min() >= 0 and noisy.max() <= 1 and not np.array_equal(noisy, x)
    np.testing.assert_array_equal(corrupt_array(build("ae", (50,), 2), x), x)  # no input noise


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("ae", {"activation": "swish"}),
        ("ae", {"hidden": "a,b"}),
        ("ae", {"output": "softmax"}),
        ("vae", {"decoder": "poisson"}),
        ("vae", {"beta": -1}),
        ("conv-vae", {"bottleneck": -3}),
        ("ae", {"colour": "red"}),
    ],
)
def test_bad_options_are_one_sentence_input_errors(name, options):
    with pytest.raises(InputError, match=next(iter(options))):
        build(name, (1, 28, 28), 2, **options)


def test_bad_names_and_shapes_are_input_errors():
    with pytest.raises(InputError, match="unknown model"):
        build("transformer", (4,), 2)
    with pytest.raises(InputError, match="channels, height, width"):
        build("conv-ae", (784,), 2)
    with pytest.raises(InputError, match="at least 16"):
        build("conv-ae", (1, 8, 8), 2)


def test_classifier_needs_labels_and_reports_both_terms():
    model = build("ae-classifier", (8,), 2, n_classes=3)
    x = torch.rand(6, 8)
    terms = model.loss(x, torch.tensor([0, 1, 2, 0, 1, 2]))
    assert set(terms) == {"total", "reconstruction", "classification"}
    assert torch.allclose(terms["total"], terms["reconstruction"] + terms["classification"])
    with pytest.raises(InputError, match="needs labels"):
        model.loss(x)


@pytest.mark.parametrize("name", ["linear-ae", "ae", "dae", "vae", "ae-classifier", *CONV])
def test_a_few_adam_steps_lower_the_loss(name):
    torch.manual_seed(0)
    shape = (1, 16, 16) if name in CONV else (20,)
    options = SMALL_CONV if name in CONV else {}
    model = build(name, shape, 2, **options)
    x = torch.rand(32, *shape)
    labels = torch.arange(32) % 2
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = model.loss(x, labels)["total"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
