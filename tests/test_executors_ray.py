"""The Ray executor on a local Ray of 2 CPUs: same results as the local one, failures recorded;
a cluster address where nothing listens is refused by the reachability check, before Ray would
retry it for minutes, and writes nothing."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.errors import InputError
from latentatlas.executors import LocalExecutor, RayExecutor, RunOutcome, _check_reachable
from latentatlas.studies.sweep import read_table, run_sweep

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
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level="error",
        _node_ip_address="127.0.0.1",
    )
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


def _closed_port() -> int:
    """A loopback port where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "command",
    [
        ("study", "digit-pairs", "--quick", "--seeds", "2"),
        ("sweep", "{spec}"),
    ],
)
def test_a_cluster_address_where_nothing_listens_fails_fast_and_writes_nothing(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    spec, out = tmp_path / "spec.toml", tmp_path / "out"
    spec.write_text(SPEC)
    address = f"127.0.0.1:{_closed_port()}"
    cli = [sys.executable, "-c", "from latentatlas.cli import app; app()"]
    arguments = [part.format(spec=spec) for part in command]
    ray_options = ["--out", str(out), "--executor", "ray", "--address", address, "--quiet"]
    # A process of its own: this one may already be joined to a Ray. No clock: the message
    # below is the reachability check's, raised before ray.init (which alone retries such an
    # address for minutes); a hang is pytest's timeout, and subprocess.run kills the child then.
    result = subprocess.run(
        [*cli, *arguments, *ray_options],
        capture_output=True,
        text=True,
        env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
    )
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2, result.stderr
    assert errors == [
        f"error: cannot reach a Ray cluster at {address} (Connection refused); start it with "
        "ray start --head or check --address"
    ], result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() and os.listdir(tmp_path) == ["spec.toml"]


@pytest.mark.parametrize(
    ("address", "reason"),
    [("ray://127.0.0.1:{port}", "Connection refused"), ("no-such-host.invalid:6379", "")],
)
def test_an_unreachable_address_is_one_sentence_naming_it(address: str, reason: str) -> None:
    address = address.format(port=_closed_port())
    with pytest.raises(InputError, match="cannot reach a Ray cluster at") as caught:
        _check_reachable(address)
    message = str(caught.value)
    assert address in message and reason in message and message.count(". ") == 0


def test_an_address_that_is_no_host_and_port_is_refused() -> None:
    with pytest.raises(InputError, match="is not host:port"):
        _check_reachable("127.0.0.1:notaport")
