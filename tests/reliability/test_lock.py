"""The folder lock: one writer per output folder, a clear message, stale locks taken over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from latentatlas._lock import LOCK_NAME, folder_lock
from latentatlas.errors import InputError

HOLD = textwrap.dedent(
    """
    import sys
    from latentatlas._lock import folder_lock
    with folder_lock(sys.argv[1]):
        print("locked", flush=True)
        sys.stdin.read()
    """
)


def _holder(folder: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "locked"
    return process


def test_a_held_lock_refuses_a_second_process_with_its_pid(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    holder = _holder(folder)
    try:
        with pytest.raises(InputError) as caught, folder_lock(folder):
            pass
        assert str(caught.value) == (
            f"another latentatlas process (pid {holder.pid}) is writing to {folder}; "
            "wait for it or choose another --out"
        )
    finally:
        holder.communicate("")  # closes stdin: the holder leaves its block
    assert holder.returncode == 0
    assert not (folder / LOCK_NAME).exists()  # removed by its holder
    with folder_lock(folder):  # and free again
        assert (folder / LOCK_NAME).read_text().strip() == str(os.getpid())


def test_the_lock_of_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    (folder / "keep").parent.mkdir()
    (folder / "keep").write_text("x")
    holder = _holder(folder)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert (folder / LOCK_NAME).read_text().strip() == str(holder.pid)  # left behind, stale
    with folder_lock(folder) as lock:
        assert lock.read_text().strip() == str(os.getpid())
    assert not (folder / LOCK_NAME).exists() and (folder / "keep").exists()


def test_the_lock_is_reentrant_and_leaves_no_trace(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "study"
    with folder_lock(folder):
        with folder_lock(folder):  # an atlas or sweep around a study in one process
            assert (folder / LOCK_NAME).is_file()
        assert (folder / LOCK_NAME).is_file()  # still held by the outer block
    assert not folder.exists()  # created by the lock, left empty: removed
    with folder_lock(folder):
        (folder / "study.json").write_text("{}")
    assert sorted(p.name for p in folder.iterdir()) == ["study.json"]


def test_an_error_inside_the_block_releases_the_lock(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), folder_lock(tmp_path):
        raise RuntimeError("boom")
    with folder_lock(tmp_path):
        pass


RACE = textwrap.dedent(
    """
    import os, sys, time
    from latentatlas._lock import folder_lock
    from latentatlas.errors import InputError
    folder, start = sys.argv[1], float(sys.argv[2])
    time.sleep(max(0.0, start - time.time()))
    try:
        with folder_lock(folder):
            owner = os.path.join(folder, "owner")
            for _ in range(5):
                with open(owner, "w") as handle:
                    handle.write(str(os.getpid()))
                time.sleep(0.02)
                with open(owner) as handle:
                    if handle.read() != str(os.getpid()):
                        sys.exit(1)  # another process wrote while we held the lock
    except InputError as error:
        assert "is writing to" in str(error), error
        sys.exit(3)
    """
)


def test_processes_racing_for_one_folder_never_write_at_once(tmp_path: Path) -> None:
    start = time.time() + 3.0  # every process past its imports before the race starts
    processes = [
        subprocess.Popen([sys.executable, "-c", RACE, str(tmp_path), str(start)]) for _ in range(4)
    ]
    codes = [process.wait(timeout=60) for process in processes]
    assert 1 not in codes, codes
    assert set(codes) <= {0, 3} and 0 in codes, codes
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_second_study_into_the_same_folder_is_refused(tmp_path: Path) -> None:
    from test_kill import TINY, register  # the tiny study of the kill tests

    from latentatlas.studies import engine

    register()
    folder = tmp_path / "study"
    holder = _holder(folder)
    try:
        with pytest.raises(InputError, match=rf"pid {holder.pid}\) is writing to"):
            engine.run(TINY, TINY.config_type(), folder, progress=False)
    finally:
        holder.communicate("")
    assert not (folder / "runs").exists()  # refused before writing anything
