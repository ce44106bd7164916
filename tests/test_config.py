"""Run configurations: defaults, round trips and one-sentence errors naming the field."""

from __future__ import annotations

import pytest

from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.errors import InputError


def test_round_trip_through_a_dict():
    config = RunConfig(
        DataConfig("mnist", {"digits": "1,2"}),
        ModelConfig("dae", 2, {"activation": "relu"}),
        TrainConfig(epochs=5, lr_schedule="plateau", grad_clip=1.0),
        seed=3,
    )
    assert RunConfig.from_dict(config.to_dict()) == config
    assert TrainConfig().lr is None and TrainConfig().weight_decay == 1e-6


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("epochs", 0),
        ("batch_size", 2.5),
        ("lr", -1.0),
        ("weight_decay", float("nan")),
        ("patience", 0),
        ("lr_schedule", "cosine"),
        ("grad_clip", 0),
        ("device", "tpu"),
        ("validation_fraction", 1.0),
        ("split_seed", "zero"),
    ],
)
def test_invalid_training_values_name_the_field(field, value):
    with pytest.raises(InputError, match=rf"train\.{field}"):
        TrainConfig(**{field: value})


def test_invalid_model_and_unknown_fields():
    with pytest.raises(InputError, match=r"model\.name"):
        ModelConfig("gan", 2)
    with pytest.raises(InputError, match=r"model\.latent_dim"):
        ModelConfig("ae", 0)
    with pytest.raises(InputError, match="unknown field"):
        TrainConfig.from_dict({"epochs": 3, "learning_rate": 0.1})
    with pytest.raises(InputError, match="seed"):
        RunConfig(DataConfig("mnist"), ModelConfig("ae", 2), seed=-1)
