"""The measured training cost of a model: exact counts, activations that grow with the batch."""

from __future__ import annotations

import torch

from latentatlas.models import build, count_parameters
from latentatlas.resources import memory_method, parameter_count, step_cost

SHAPE = (3, 16, 16)
OPTIONS = {"filters": (4, 8, 8, 8)}


def test_parameter_count_on_meta_is_the_built_models_own() -> None:
    for bottleneck in (None, 8):
        counted = parameter_count("conv-vae", SHAPE, 8, bottleneck=bottleneck, **OPTIONS)
        built = count_parameters(build("conv-vae", SHAPE, 8, bottleneck=bottleneck, **OPTIONS))
        assert counted == built


def test_a_larger_batch_saves_more_activations_and_every_step_is_timed() -> None:
    cpu = torch.device("cpu")
    costs = [step_cost("conv-vae", SHAPE, 8, batch, 2, cpu, **OPTIONS) for batch in (2, 8)]
    assert costs[1].saved_activations_mib > 2 * costs[0].saved_activations_mib
    assert all(cost.seconds > 0 for cost in costs)
    if memory_method(cpu) is not None:  # Linux: the peak resident memory is readable
        assert all(cost.peak_mib > 0 for cost in costs)
    # the same seeded batch and model: the activations are exact, not measured
    again = step_cost("conv-vae", SHAPE, 8, 2, 1, cpu, **OPTIONS)
    assert again.saved_activations_mib == costs[0].saved_activations_mib
