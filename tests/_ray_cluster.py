"""Ray clusters of one or more nodes on this machine, for tests, and the means to leave nothing
of them behind.

Each node is a ``ray start --block`` process in a session of its own: stopping it (SIGTERM)
stops every process it started, and whatever outlives it is found by its session id and killed
by pid. Never ``ray stop``: it stops every Ray on the machine, other people's included.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The `ray` command of this Python.
RAY = (sys.executable, "-m", "ray.scripts.scripts")


def ray_environment() -> dict[str, str]:
    """The environment of a cluster and its drivers: a token of their own (no ~/.ray), no usage
    statistics, and tests/ on the path (for the tiny study); skips where Ray or /proc is not."""
    pytest.importorskip("ray", reason="ray is an optional extra (pip install 'latentatlas[ray]')")
    if not Path("/proc/self/stat").is_file():
        pytest.skip("finding a cluster's processes reads /proc")
    tests = str(Path(__file__).parent)
    path = os.pathsep.join(p for p in (tests, os.environ.get("PYTHONPATH", "")) if p)
    return {
        **os.environ,
        "PYTHONPATH": path,
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "RAY_USAGE_STATS_ENABLED": "0",
        "PYTHONWARNINGS": "ignore",
    }


def live_processes() -> Iterator[tuple[int, str, list[str]]]:
    """(pid, name, the /proc stat fields after the name) of each live process (not a zombie)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited while we looked
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] not in ("Z", "X"):
            yield int(entry.name), stat[stat.index("(") + 1 : stat.rindex(")")], fields


def session_processes(session: int) -> dict[int, str]:
    """pid -> title of the live processes of ``session``, from /proc (psutil is no dependency)."""
    found = {}
    for pid, _, fields in live_processes():
        if int(fields[3]) != session:
            continue
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:  # exited while we looked
            continue
        found[pid] = title.decode(errors="replace").strip()
    return found


def reap(session: int, seconds: float = 10.0) -> None:
    """SIGKILL, by pid, whatever is left of ``session``, and wait until it is gone."""
    deadline = time.monotonic() + seconds
    while (left := session_processes(session)) and time.monotonic() < deadline:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    assert not session_processes(session), f"processes of session {session} outlived the test"


@dataclass(frozen=True)
class Cluster:
    """A running Ray cluster: its address, the session of each node (the head's first) and the
    temporary folder of each node (its logs)."""

    address: str
    sessions: tuple[int, ...]
    temp_dirs: tuple[Path, ...]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _node(arguments: Sequence[str], temp: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    options = ("--node-ip-address=127.0.0.1", f"--temp-dir={temp}", "--block")
    return subprocess.Popen(
        [*RAY, "start", *arguments, *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@contextlib.contextmanager
def local_cluster(
    env: dict[str, str], head_cpus: int, worker_cpus: Sequence[int] = ()
) -> Iterator[Cluster]:
    """A head with ``head_cpus`` CPUs and one worker node (a raylet of its own) per entry of
    ``worker_cpus``, as ``ray start --head`` and ``ray start --address`` make them.

    It boots while the caller does other work: a driver's ``ray.init`` waits for the head, and
    tasks wait for the CPUs of the workers. Every node is stopped and reaped on leaving.
    """
    port = _free_port()
    temps = [tempfile.mkdtemp(prefix="la-ray-") for _ in range(1 + len(worker_cpus))]  # short
    head = ("--head", f"--port={port}", f"--num-cpus={head_cpus}", "--include-dashboard=false")
    nodes = [_node(head, temps[0], env)]
    try:
        for cpus, temp in zip(worker_cpus, temps[1:], strict=True):
            nodes.append(_node((f"--address=127.0.0.1:{port}", f"--num-cpus={cpus}"), temp, env))
        yield Cluster(f"127.0.0.1:{port}", tuple(n.pid for n in nodes), tuple(map(Path, temps)))
    finally:
        for node in reversed(nodes):  # workers first, then the head
            node.terminate()  # ray start --block then stops every process it started
            try:
                node.wait(30)
            finally:
                reap(node.pid)
        for temp in temps:
            shutil.rmtree(temp, ignore_errors=True)


#: A driver that waits until the cluster at argv[1] has argv[2] live nodes (up to 180 s).
_WAIT_FOR_NODES = """
import sys, time, ray
ray.init(address=sys.argv[1], logging_level="error", log_to_driver=False)
deadline = time.monotonic() + 180
while sum(node["Alive"] for node in ray.nodes()) < int(sys.argv[2]):
    assert time.monotonic() < deadline, f"{len(ray.nodes())} nodes joined"
    time.sleep(0.5)
"""


def wait_for_nodes(cluster: Cluster, env: dict[str, str]) -> None:
    """Return once every node of ``cluster`` has joined it (they boot in the background)."""
    answer = subprocess.run(
        [sys.executable, "-c", _WAIT_FOR_NODES, cluster.address, str(len(cluster.sessions))],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert answer.returncode == 0, answer.stderr[-3000:]
