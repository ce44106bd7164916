"""The Ray executor on a local Ray of 2 CPUs: same results as the local one, failures recorded."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.executors import LocalExecutor, RayExecutor, RunOutcome
from latentatlas.sweep import read_table, run_sweep

ray = pytest.importorskip(
    "ray", reason="ray is an optional extra (pip install 'latentatlas[ray]'); make test installs it"
)
pytestmark = pytest.mark.filterwarnings("ignore:no MNIST files given")

SPEC = """
dataset = "mnist"
models = ["pca", "vae"]
latent_dims = [2]
seeds = [0]
digit_pairs = [[1, 2]]
n_per_class = 20
epochs = 1
device = "cpu"
lr = [1e-3, 1e6]  # the VAE diverges at 1e6 (PCA ignores lr)
"""


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray of 2 CPUs for the module (starting one takes seconds)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="error")
    yield
    ray.shutdown()


def test_ray_and_local_give_the_same_results_table(local_ray: None, tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    by_ray = run_sweep(spec, tmp_path / "ray", executor=RayExecutor())
    by_local = run_sweep(spec, tmp_path / "local", executor=LocalExecutor(1, threads=1))
    assert by_ray.trained == by_local.trained == 4
    assert set(by_ray.failures) == set(by_local.failures) == {by_ray.rows[3]["folder"]}
    assert "diverged" in by_ray.failures[by_ray.rows[3]["folder"]]
    ray_rows, local_rows = read_table(tmp_path / "ray"), read_table(tmp_path / "local")
    assert len(ray_rows) == 4
    for ray_row, local_row in zip(ray_rows, local_rows, strict=True):
        assert ray_row.keys() == local_row.keys()
        for column, value in ray_row.items():
            other = local_row[column]
            both_nan = isinstance(value, float) and math.isnan(value) and math.isnan(other)
            assert value == other or both_nan, (column, value, other)  # one thread: equal


def test_outcomes_come_in_plan_order_and_on_done_sees_each(local_ray: None, tmp_path: Path) -> None:
    data = DataConfig("mnist", {"digits": [1, 2], "n_per_class": 20})
    plan = [
        (RunConfig(data, ModelConfig(model, 2), TrainConfig(epochs=1, device="cpu")), path)
        for model, path in (("ae", tmp_path / "a"), ("pca", tmp_path / "b"))
    ]
    seen: list[Any] = []
    outcomes = RayExecutor().run(plan, on_done=seen.append)
    assert [o.path for o in outcomes] == [tmp_path / "a", tmp_path / "b"]
    assert all(isinstance(o, RunOutcome) and o.ok for o in outcomes)
    assert sorted(str(o.path) for o in seen) == sorted(str(o.path) for o in outcomes)
    assert RayExecutor().run([]) == []
