"""Progress of long work: one stream of lines for the CLI, a callback or the ``latentatlas`` logger.

Everything that can take more than a few seconds (loading data, training each run and its
epochs, each analysis stage, judging, drawing a report) says what it is doing through a
:class:`Progress`. Two kinds of event go through it:

- a *step* (:meth:`Progress.step`) is a line: a stage begins or a run finishes. Steps go to the
  ``on_step`` callback when one is given (the CLI's printer, a notebook's ``print``), else to
  the ``latentatlas`` logger at INFO, which prints them on stderr while logging is not set up
  (``logging.basicConfig`` or any handler takes over; ``progress=False`` silences them);
- an *update* (:meth:`Progress.update`) is fine-grained and frequent (an epoch): it replaces
  the current state, goes to the logger at DEBUG, and is shown by the heartbeat.

While a :class:`Progress` is open, a heartbeat thread repeats the current state with the time
spent on it whenever nothing was said for :data:`HEARTBEAT_SECONDS`, so that no stretch is
silent even inside one long call (a t-SNE, a training in a worker process): the stream has a
line at least every few seconds on any machine, however loaded, without a line per epoch.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

#: The logger every progress line goes to (steps at INFO, updates at DEBUG).
LOGGER = logging.getLogger("latentatlas")

#: Seconds without a line after which the heartbeat repeats the current state.
HEARTBEAT_SECONDS = 4.0

Callback = Callable[[str], None]


class Progress:
    """The progress stream of one piece of work (a study, an atlas, a training plan).

    Parameters
    ----------
    on_step : callable, optional
        Called with each line (steps and heartbeats); by default the ``latentatlas`` logger.
    enabled : bool
        False says nothing at all (``--quiet``, ``progress=False``); updates still reach the
        logger at DEBUG.
    heartbeat : float, optional
        Seconds of silence before the current state is repeated (default
        :data:`HEARTBEAT_SECONDS`; ``math.inf``: no heartbeat).
    clock : callable
        Seconds from an arbitrary origin (``time.monotonic``; tests pass a fake one).

    Examples
    --------
    >>> import math
    >>> lines = []
    >>> with Progress(lines.append, heartbeat=math.inf) as progress:
    ...     progress.step("loading data")
    ...     progress.update("epoch 1 of 3")
    >>> lines
    ['loading data']
    """

    def __init__(
        self,
        on_step: Callback | None = None,
        *,
        enabled: bool = True,
        heartbeat: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.on_step, self.enabled, self.clock = on_step, enabled, clock
        self.interval = HEARTBEAT_SECONDS if heartbeat is None else heartbeat
        self.state = ""
        self._lock = threading.RLock()  # a callback may say something itself
        self._stage_started = self._last_line = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._depth = 0  # a study inside an atlas opens the atlas's stream again

    # -- events ------------------------------------------------------------------------------
    def step(self, message: str) -> None:
        """Say ``message`` now and make it the current state (a stage begins or ends)."""
        with self._lock:
            self.state = message
            self._stage_started = self._last_line = self.clock()
            self._say(message)

    def __call__(self, message: str) -> None:
        """A :class:`Progress` is also an ``on_step`` callback: the same as :meth:`step`."""
        self.step(message)

    def update(self, message: str) -> None:
        """Replace the current state with ``message`` without a line (shown by the heartbeat)."""
        LOGGER.debug(message)
        with self._lock:
            self.state = message

    # -- heartbeat ---------------------------------------------------------------------------
    def beat(self) -> str | None:
        """Repeat the current state when nothing was said for the heartbeat interval.

        Returns the line said, or None. The heartbeat thread calls this; tests call it with a
        fake clock.
        """
        with self._lock:
            now = self.clock()
            if not self.state or now - self._last_line < self.interval:
                return None
            self._last_line = now
            line = f"{self.state} (still working, {now - self._stage_started:.0f} s)"
            self._say(line)
            return line

    def __enter__(self) -> Progress:
        self._depth += 1
        if self._depth == 1 and self.enabled and math.isfinite(self.interval):
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="latentatlas-heartbeat")
            self._thread.daemon = True  # never keeps a finished or interrupted process alive
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        poll = max(min(self.interval, 1.0) / 4, 0.01)
        while not self._stop.wait(poll):
            self.beat()

    def _say(self, line: str) -> None:
        if not self.enabled:
            LOGGER.debug(line)
        elif self.on_step is not None:
            self.on_step(line)
        elif LOGGER.hasHandlers():
            LOGGER.info(line)
        else:  # logging is not set up: Python users see progress on stderr, as the CLI does
            print(line, file=sys.stderr, flush=True)


def progress_of(
    on_step: Callback | Progress | None, enabled: bool = True, **options: Any
) -> Progress:
    """``on_step`` as a :class:`Progress`: itself when it is one (a study inside an atlas shares
    the atlas's stream and heartbeat), else a new one around the callback."""
    if isinstance(on_step, Progress):
        return on_step
    return Progress(on_step, enabled=enabled, **options)
