"""Progress: every stage of a study says that it begins, and the heartbeat fills any silence.

No test here reads the wall clock: the heartbeat is checked with a fake clock, and the live
thread by waiting for the line it must say (a loaded machine only makes the wait longer).
"""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from _tiny_study import ENTRIES, PROGRESS, ProgressConfig
from latentatlas.progress import Progress, progress_of
from latentatlas.studies import engine


class FakeClock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# -- the stream -----------------------------------------------------------------------------------
def test_the_heartbeat_repeats_the_current_state_after_a_silence_and_only_then() -> None:
    clock, lines = FakeClock(), []
    progress = Progress(lines.append, heartbeat=5.0, clock=clock)
    assert progress.beat() is None  # nothing begun: nothing to repeat
    progress.step("training 2 runs")
    clock.now = 4.9
    assert progress.beat() is None
    progress.update("training ae/seed-0: epoch 3 of 10")
    clock.now = 5.0
    assert progress.beat() == "training ae/seed-0: epoch 3 of 10 (still working, 5 s)"
    clock.now = 9.0
    assert progress.beat() is None  # 4 s after the last line
    clock.now = 10.5
    assert progress.beat() is not None
    progress.step("analysing")  # a step is a line: the silence starts again
    clock.now = 15.0
    assert progress.beat() is None
    assert lines[0] == "training 2 runs" and lines[-1] == "analysing" and len(lines) == 4


def test_the_largest_gap_between_lines_is_the_heartbeat_interval_on_a_fake_clock() -> None:
    """A long stage without a line of its own: the heartbeat says something every interval."""
    clock, stamps = FakeClock(), []
    progress = Progress(lambda line: stamps.append(clock.now), heartbeat=5.0, clock=clock)
    progress.step("a t-SNE of 5,000 points")
    for tick in range(1, 601):  # a minute in tenths of a second, as the thread polls
        clock.now = tick / 10
        progress.beat()
    gaps = np.diff([0.0, *stamps, clock.now])
    assert len(stamps) == 1 + 60 // 5 and gaps.max() == pytest.approx(5.0)


def test_a_disabled_stream_says_nothing_and_the_logger_hears_updates(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, lines = FakeClock(), []
    progress = Progress(lines.append, enabled=False, heartbeat=1.0, clock=clock)
    with caplog.at_level(logging.DEBUG, logger="latentatlas"):
        progress.step("loading")
        progress.update("epoch 1 of 2")
        clock.now = 2.0
        progress.beat()
    assert lines == []
    assert [r.getMessage() for r in caplog.records][:2] == ["loading", "epoch 1 of 2"]


def test_without_a_callback_lines_go_to_the_logger_or_to_stderr(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    with caplog.at_level(logging.INFO, logger="latentatlas"):
        Progress(heartbeat=math.inf).step("drawing the report")
    assert [r.getMessage() for r in caplog.records] == ["drawing the report"]
    logger, root = logging.getLogger("latentatlas"), logging.getLogger()
    saved = (logger.handlers[:], root.handlers[:], logger.propagate)
    logger.handlers.clear()
    root.handlers.clear()
    try:
        Progress(heartbeat=math.inf).step("training 2 run(s)")  # logging not set up: stderr
    finally:
        logger.handlers[:], root.handlers[:] = saved[0], saved[1]
    assert capsys.readouterr().err == "training 2 run(s)\n"


def test_a_nested_stream_is_the_same_stream_and_keeps_its_heartbeat() -> None:
    outer = Progress(lambda line: None, heartbeat=60.0)
    with outer:
        assert progress_of(outer) is outer
        with progress_of(outer):
            pass
        assert outer._thread is not None and outer._thread.is_alive()  # the atlas's still beats
    assert outer._thread is None


# -- a study -------------------------------------------------------------------------------------
#: Set by a test: stages that block until the heartbeat has named them.
WAIT_FOR_HEARTBEAT = PROGRESS.wait_for_heartbeat


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(engine.STUDIES, PROGRESS.name, ENTRIES[PROGRESS.name])
    WAIT_FOR_HEARTBEAT.clear()


def _recorded(folder: Path, config: ProgressConfig, **options: Any) -> tuple[list[str], list[str]]:
    """The lines and the logger's records (updates included) of one run of the tiny study."""
    lines: list[str] = []
    records: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("latentatlas")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        engine.run(PROGRESS, config, folder, progress=False, on_step=lines.append, **options)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return lines, records


def _index(lines: list[str], fragment: str) -> int:
    return next(i for i, line in enumerate(lines) if fragment in line)


def test_every_stage_of_a_study_says_that_it_begins_in_order(tmp_path: Path) -> None:
    """The structure that keeps a study from going silent: training, each run, each epoch,
    each analysis step, judging and the report each emit an event, in the order they run."""
    lines, records = _recorded(tmp_path / "study", ProgressConfig(), jobs=1)
    lines = [line for line in lines if "still working" not in line]
    order = [
        "progress-tiny: 2 runs planned, 0 already finished",
        "training 2 run(s): 1 process(es), 1 torch thread(s) each",
        "run 1 of 2 trained",
        "run 2 of 2 trained",
        "analysing only",
        "only: runs/ae/seed-0",
        "only: runs/ae/seed-1",
        "progress-tiny: judging the claims",
        "progress-tiny: drawing the report",
    ]
    positions = [_index(lines, fragment) for fragment in order]
    assert positions == sorted(positions)
    epochs = [r for r in records if r.startswith("training ae/seed-")]
    assert [e.split(":")[1].split(",")[0] for e in epochs] == [" epoch 1 of 2", " epoch 2 of 2"] * 2
    for update in ("loading its data", "runs/ae/seed-1: the norm", "the learned-model gate"):
        assert any(record.startswith(f"only: {update}") for record in records)


@pytest.mark.slow  # two spawned workers import torch: 96 s on 2 loaded cores
def test_epochs_trained_in_worker_processes_reach_the_stream(tmp_path: Path) -> None:
    _, records = _recorded(tmp_path / "study", ProgressConfig(epochs=3), jobs=2)
    epochs = sorted(r.split(",")[0] for r in records if r.startswith("training ae/seed-"))
    assert epochs == [f"training ae/seed-{s}: epoch {e} of 3" for s in (0, 1) for e in (1, 2, 3)]


@pytest.mark.parametrize("stage", ["analysis", "report"])
def test_the_heartbeat_speaks_while_a_stage_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    """A stage with no line of its own blocks until the live heartbeat names it: a study that
    went silent during it would fail here (by timing out), however loaded the machine."""
    monkeypatch.setattr("latentatlas.progress.HEARTBEAT_SECONDS", 0.05)
    heard = WAIT_FOR_HEARTBEAT[stage] = threading.Event()
    expected = "runs/ae/seed-0: the norm" if stage == "analysis" else "drawing the report"

    def listen(line: str) -> None:
        if "still working" in line and expected in line:
            heard.set()

    engine.run(
        PROGRESS, ProgressConfig(seeds=1, epochs=1), tmp_path / "s", progress=False, on_step=listen
    )
    assert heard.is_set()


def test_study_json_and_each_run_record_the_threads_they_trained_with(tmp_path: Path) -> None:
    import json

    import torch

    folder = tmp_path / "study"
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # the process's setting is not what the runs train with
    try:
        engine.run(PROGRESS, ProgressConfig(seeds=1, epochs=1), folder, progress=False, jobs=1)
    finally:
        torch.set_num_threads(before)
    study = json.loads((folder / "study.json").read_text())
    history = json.loads((folder / "runs/ae/seed-0/history.json").read_text())
    assert study["environment"]["torch_threads"] == 1
    assert history["threads"] == 1


def test_a_run_trained_from_python_off_a_terminal_says_it_began_and_ended(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from latentatlas.runs import train_run

    config = PROGRESS.cells(ProgressConfig(seeds=1))[0].runs[0][0]
    with caplog.at_level(logging.DEBUG, logger="latentatlas"):
        train_run(config, tmp_path / "run", progress=True)  # pytest's stdout is no terminal
    said = [r.getMessage() for r in caplog.records if r.name == "latentatlas"]
    assert said[0] == "training for 2 epochs"
    epochs = [s.split(":")[0] for s in said[1:3]]
    assert epochs == ["training epoch 1 of 2", "training epoch 2 of 2"]
    assert said[-1].startswith("trained: epoch 2 of 2: train ")
