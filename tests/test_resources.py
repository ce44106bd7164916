"""The measured training cost of a model: exact counts, activations that grow with the batch."""

from __future__ import annotations

import torch

from latentatlas.models import build, count_parameters
from latentatlas.resources import (
    ResourceTable,
    conv_cost_table,
    memory_method,
    parameter_count,
    step_cost,
)

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


def test_the_conv_table_counts_every_variant_and_measures_only_the_dimensions_asked() -> None:
    table = conv_cost_table("conv-vae", SHAPE, (4, 8, 8, 8), [8, 16], {8}, [2, 4], 1, "cpu")
    assert [(r.latent_dim, r.bottleneck) for r in table.rows] == [
        (8, None),
        (8, 8),
        (16, None),
        (16, 16),
    ]
    for row in table.rows:
        options = {**OPTIONS, "bottleneck": row.bottleneck}
        count = parameter_count("conv-vae", SHAPE, row.latent_dim, **options)
        assert (row.encoder_parameters, row.total_parameters) == (count.encoder, count.total)
        measured = row.latent_dim == 8
        assert (row.seconds_per_batch is not None) == measured
        assert (row.saved_activations_mib is not None) == measured
        if measured:
            assert len(row.seconds_per_batch) == 2  # one per batch size
    assert ResourceTable.from_dict(table.to_dict()).to_dict() == table.to_dict()
    shown = table.shown()
    assert [(r["z"], r["extra Dense layer"]) for r in shown] == [
        (8, "none"),
        (8, "8"),
        (16, "none"),
        (16, "16"),
    ]
    assert shown[0]["encoder parameters"] == f"{table.rows[0].encoder_parameters:,}"
    assert shown[0]["s / batch 4"] == f"{table.rows[0].seconds_per_batch[1]:.3f}"
    assert shown[2]["s / batch 4"] == shown[2]["peak MiB, batch 2"] == "—"  # not measured
    activations = table.activations_shown()  # the measured dimension only
    assert [(r["z"], r["batch 2"]) for r in activations] == [
        (8, f"{row.saved_activations_mib[0]:.0f}") for row in table.rows[:2]
    ]
