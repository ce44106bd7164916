"""Locks, so that two latentatlas processes never write into the same output folder or run.

A folder's lock is ``<folder>/.latentatlas.lock``, a run's is ``.<run>.lock`` beside the run
folder; each is held with ``fcntl.flock`` on an open descriptor and holds the owner's pid for the
message. The kernel drops a flock when its process dies, so a lock left behind by a killed
process (its pid dead) is simply taken over; nothing has to guess whether a pid was reused. A
folder lock is re-entrant within one process (an atlas that runs studies, a study inside a
sweep), and removed when the outermost holder leaves; a run lock is waited for (see
:func:`run_lock`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

from latentatlas.errors import InputError

LOCK_NAME = ".latentatlas.lock"

#: Locks this process holds: resolved folder -> (descriptor, depth).
_held: dict[Path, tuple[int, int]] = {}
_guard = threading.Lock()


@contextlib.contextmanager
def folder_lock(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the exclusive write lock of the folder ``path`` for the block.

    The folder is created if needed, and removed again on leaving if this lock created it and
    nothing else was written there (so that refused settings leave nothing on disk).

    Parameters
    ----------
    path : path-like
        The output folder (a study, an atlas, a sweep).

    Yields
    ------
    Path
        The lock file.

    Raises
    ------
    InputError
        When another process holds the lock:
        ``another latentatlas process (pid N) is writing to FOLDER; wait for it or choose
        another --out``.
    """
    folder = Path(path)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    key = folder.resolve()
    lock_file = key / LOCK_NAME
    with _guard:
        if key in _held:  # re-entered by this process: share the lock it holds
            descriptor, depth = _held[key]
            _held[key] = (descriptor, depth + 1)
        else:
            _held[key] = (_acquire(lock_file, folder), 1)
    try:
        yield lock_file
    finally:
        with _guard:
            descriptor, depth = _held[key]
            if depth > 1:
                _held[key] = (descriptor, depth - 1)
            else:
                del _held[key]
                _release(descriptor, lock_file)
                if created:
                    with contextlib.suppress(OSError):
                        folder.rmdir()  # only succeeds when the folder stayed empty


@contextlib.contextmanager
def run_lock(run: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the write lock of the run folder ``run`` for the block, waiting while another has it.

    The lock is ``.<name>.lock`` beside the run, not inside the run or its ``<name>.partial/``
    checkpoint folder, which are replaced and removed while it is held. Two writers of one run,
    such as a Ray task that outlived its killed driver on a cluster and the task of the same
    run started by the rerun, then train one after the other: the second finds the run the
    first finished, or resumes the checkpoint it left when it died, instead of training from
    the same checkpoint alongside it and renaming a second run over the first.

    Parameters
    ----------
    run : path-like
        The run folder (it need not exist; its parent is created).

    Yields
    ------
    Path
        The lock file.
    """
    run = Path(run)
    run.parent.mkdir(parents=True, exist_ok=True)
    lock_file = run.with_name(f".{run.name}.lock")
    descriptor = _acquire(lock_file, run, wait=True)
    try:
        yield lock_file
    finally:
        _release(descriptor, lock_file)


def _acquire(lock_file: Path, folder: Path, wait: bool = False) -> int:
    """Open and flock ``lock_file``; retry when it was replaced between open and flock.

    With ``wait`` block until the holder leaves, after a warning that names the holder's pid;
    without, refuse with an :class:`InputError`.
    """
    warned = False
    while True:
        descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            owner = _read_pid(descriptor)
            if error.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                os.close(descriptor)
                raise
            who = f"pid {owner}" if owner else "pid unknown"
            if not wait:
                os.close(descriptor)
                raise InputError(
                    f"another latentatlas process ({who}) is writing to {folder}; "
                    "wait for it or choose another --out"
                ) from None
            if not warned:  # say once why nothing happens, then wait for the holder
                warnings.warn(
                    f"{folder} is being written by another process ({who}); waiting for it "
                    "to finish",
                    stacklevel=4,
                )
                warned = True
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
            except BaseException:
                os.close(descriptor)
                raise
        # The previous holder may have removed the file after we opened it: then our lock is
        # on a deleted inode that a third process cannot see; start again on the new file.
        try:
            same = os.fstat(descriptor).st_ino == os.stat(lock_file).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
            return descriptor
        os.close(descriptor)


def _release(descriptor: int, lock_file: Path) -> None:
    # Unlink while still holding the flock, so nobody locks the old inode in between.
    with contextlib.suppress(OSError):
        lock_file.unlink()
    os.close(descriptor)


def _read_pid(descriptor: int) -> int | None:
    try:
        text = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
