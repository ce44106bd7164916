"""SIGKILL ``latentatlas report`` and ``latentatlas inspect`` at points the test controls:
running again completes, and nothing half-written is left (no temporary file or folder, and
``latentatlas check`` finds the folder intact).

As in ``test_kill.py``, the child is forked from the test process and blocks at the chosen
point after writing a marker; the test waits for the marker, never for a delay, then kills.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_kill import _kill, _start, _wait_until_paused

from latentatlas.errors import InputError
from latentatlas.studies import engine, integrity


def _block(marker: Path) -> None:
    marker.write_text(str(os.getpid()))
    threading.Event().wait()  # until the test's SIGKILL


def _pause_in_figures(marker: Path) -> None:
    """Block once the first figure is written into the figures' staging folder."""
    write_bytes = Path.write_bytes

    def paused(self: Path, data: bytes) -> int:
        written = write_bytes(self, data)
        if self.parent.name.startswith(".figures-"):
            _block(marker)
        return written

    Path.write_bytes = paused  # type: ignore[method-assign]


def _pause_before_vouching(marker: Path) -> None:
    """Block after report.html is in place, before the manifest vouches for it."""
    integrity.vouch_for_report = lambda folder: _block(marker)


def _pause_before_metrics(marker: Path) -> None:
    """Block after every cell is analysed and stored, before metrics.json is written."""
    engine._write_metrics = lambda *args, **kwargs: _block(marker)


def _pause_in_analysis(marker: Path) -> None:
    """Block inside the analysis of the one cell, after study.json is written."""
    from latentatlas.studies.inspect.study import InspectStudy

    def paused(self: Any, *args: Any) -> Any:
        _block(marker)

    InspectStudy.analyse = paused  # type: ignore[method-assign]


PAUSES = {
    "figures": _pause_in_figures,
    "vouching": _pause_before_vouching,
    "metrics": _pause_before_metrics,
    "analysis": _pause_in_analysis,
}


def _leftovers(folder: Path) -> list[str]:
    """Temporary files and folders (atomic writes, figure staging) under ``folder``."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if (p.name.startswith(".") and p.name != ".latentatlas.lock")
        or p.name.endswith((".tmp", ".partial"))
    )


def _intact(folder: Path) -> None:
    kind, findings = integrity.check(folder)
    assert kind == "study" and not findings, findings
    assert not _leftovers(folder), _leftovers(folder)


# -- inspect --------------------------------------------------------------------------------------
def _codes(folder: Path) -> Path:
    """Codes of three separated groups with their labels (no decoder)."""
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 40)
    codes = folder / "codes.npz"
    np.savez(codes, codes=labels[:, None] + 0.2 * rng.standard_normal((120, 3)), labels=labels)
    return codes


def _inspect_config(codes: Path) -> Any:
    from latentatlas.studies.inspect.config import InspectConfig

    return InspectConfig(
        codes=(str(codes),), tsne_points=60, id_queries=60, decodes=8, traversal_inputs=3
    )


def _inspect_child(folder: str, codes: str, marker: str, pause: str, ready: Any) -> None:
    from latentatlas.studies.inspect.api import run
    from latentatlas.studies.inspect.study import InspectStudy

    PAUSES[pause](Path(marker))
    ready.set()
    run(InspectStudy(), _inspect_config(Path(codes)), folder)


@pytest.mark.parametrize("pause", ["analysis", "metrics"])
def test_an_inspect_killed_midway_completes_when_run_again(tmp_path, pause):
    from latentatlas.studies.inspect.api import run
    from latentatlas.studies.inspect.study import InspectStudy

    codes = _codes(tmp_path)
    folder, marker = tmp_path / "inspect", tmp_path / "paused"
    process = _start(_inspect_child, str(folder), str(codes), str(marker), pause)
    _wait_until_paused(process, marker)
    _kill(process)
    assert not (folder / "report.html").exists()
    with pytest.raises(InputError, match="did not finish"):
        engine.load(folder)  # refused in one sentence, never read as finished
    run(InspectStudy(), _inspect_config(codes), folder)
    results = engine.load(folder)
    assert (folder / "report.html").is_file() and results.results
    _intact(folder)


# -- report ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def inspected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished inspect folder of tiny codes (its report has figures)."""
    from latentatlas.studies.inspect.api import run
    from latentatlas.studies.inspect.study import InspectStudy

    root = tmp_path_factory.mktemp("report-kill")
    folder = root / "inspect"
    run(InspectStudy(), _inspect_config(_codes(root)), folder)
    return folder


def _report_child(folder: str, marker: str, pause: str, ready: Any) -> None:
    PAUSES[pause](Path(marker))
    ready.set()
    engine.write_report(folder)


@pytest.mark.parametrize("pause", ["figures", "vouching"])
def test_a_report_killed_midway_is_redrawn_whole(inspected, tmp_path, pause):
    import shutil

    folder = tmp_path / "inspect"
    shutil.copytree(inspected, folder)
    figures = sorted(p.name for p in (folder / "figures").iterdir())
    marker = tmp_path / "paused"
    process = _start(_report_child, str(folder), str(marker), pause)
    _wait_until_paused(process, marker)
    _kill(process)
    engine.load(folder)  # the results are untouched: a report is derived
    engine.write_report(folder)
    assert sorted(p.name for p in (folder / "figures").iterdir()) == figures
    _intact(folder)
