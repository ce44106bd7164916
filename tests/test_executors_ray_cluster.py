"""A study on a Ray cluster of several nodes started on this machine by the test: a head without
CPUs and two worker nodes (raylets of their own) of one CPU each, driven by the command line
(`latentatlas study ... --executor ray --address HOST:PORT`). The runs train on the workers, and
the study finishes with the same metrics as in one local process; nothing of the cluster
outlives the test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from _ray_cluster import local_cluster, ray_environment, session_processes, wait_for_nodes
from _tiny_study import TINY, KillConfig, register, tiny_metrics
from latentatlas import runs
from latentatlas.studies import engine

#: What a Ray worker writes to its log as a task starts (the log monitor reads it).
TASK_MARK = ":task_name:_train_in_worker"


def _tasks_on(temp_dir: Path) -> int:
    """How often the workers of the node whose temporary folder is ``temp_dir`` marked the start
    of a training task in their logs (0: none ran there)."""
    logs = temp_dir.glob("session_*/logs/worker-*")
    return sum(path.read_text(errors="replace").count(TASK_MARK) for path in logs)


@pytest.mark.slow  # three Ray nodes to boot and two tiny studies: over 60 s on 2 cores
def test_a_study_on_a_two_worker_ray_cluster_gives_the_local_metrics(tmp_path: Path) -> None:
    env = ray_environment()
    register()
    engine.run(TINY, KillConfig(), tmp_path / "local", progress=False)
    cli = "from _tiny_study import register; register(); from latentatlas.cli import app; app()"
    out = tmp_path / "on-ray"
    with local_cluster(env, head_cpus=0, worker_cpus=(1, 1)) as cluster:
        wait_for_nodes(cluster, env)  # both workers up: two runs at once, one on each
        study = ("study", TINY.name, "--out", str(out), "--quiet")
        ray = ("--executor", "ray", "--address", cluster.address)
        driver = subprocess.run(
            [sys.executable, "-c", cli, *study, *ray],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert driver.returncode == 0, driver.stdout + driver.stderr
        tasks = [_tasks_on(temp) for temp in cluster.temp_dirs]
    assert tasks[0] == 0 and all(tasks[1:]), tasks  # none on the head (no CPU), some on each worker
    assert tiny_metrics(out) == tiny_metrics(tmp_path / "local")
    assert [s.status for s in runs.list_runs(out / "runs")] == ["complete"] * 3
    assert (out / "report.html").is_file()
    assert not any(session_processes(session) for session in cluster.sessions)
