"""What a cell's ``settings.json`` records: the settings its analysis read and the code version.

The engine reuses a finished cell while this record is unchanged. The code version is a short
SHA-256 over the source files that turn a cell's runs into its result: the study's own package
(its report modules aside: a report draws stored results and computes none),
``latentatlas/analysis``, ``latentatlas/_stats.py``, ``latentatlas/resources.py`` (the cost of a
training step, measured in the filaments study's analysis) and the engine's learned-model gate,
figure-array and per-seed column modules. A change to any of them analyses every cell again;
the runs, which none of them trains, are kept.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["analysis_sources", "cell_record", "code_version", "recorded_settings"]

#: Source files and folders (relative to the ``latentatlas`` package) every study's cells depend on.
SHARED_SOURCES = (
    "analysis",
    "_stats.py",
    "resources.py",
    "studies/gates.py",
    "studies/arrays.py",
    "studies/columns.py",
)
#: The ``latentatlas`` package folder.
_PACKAGE = Path(__file__).resolve().parents[1]
#: Hex digits of the SHA-256 kept: enough to tell versions apart, short enough to read.
DIGITS = 16


def cell_record(settings: Any, study: Any) -> dict[str, Any]:
    """The ``settings.json`` of a cell analysed now: ``study.cell_settings(...)`` and
    :func:`code_version`."""
    return {"settings": settings, "code_version": code_version(study)}


def recorded_settings(record: Mapping[str, Any]) -> Any:
    """The settings a ``settings.json`` recorded (a folder written before code versions held
    the settings alone)."""
    return record["settings"] if "code_version" in record else record


def code_version(study: Any) -> str:
    """Short SHA-256 of the sources behind ``study``'s cell results (computed once per process
    for each study module)."""
    return _code_version(type(study).__module__)


def analysis_sources(study: Any) -> list[Path]:
    """The Python files :func:`code_version` hashes."""
    return _sources(type(study).__module__)


@functools.cache
def _code_version(module: str) -> str:
    sha = hashlib.sha256()
    for path in _sources(module):
        sha.update(_name(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()[:DIGITS]


def _sources(module: str) -> list[Path]:
    """The shared sources and the study's own (its report modules aside), in a fixed order."""
    roots = [_PACKAGE / name for name in SHARED_SOURCES] + [_study_source(module)]
    files = {p for root in roots for p in ([root] if root.is_file() else root.rglob("*.py"))}
    return sorted((p for p in files if p.name != "report.py"), key=_name)


def _study_source(module: str) -> Path:
    """The study's package folder (``studies/filaments``), or its module alone where it is not in
    a package of its own (a study written in one file)."""
    path = Path(sys.modules[module].__file__ or "").resolve()
    folder = path.parent
    shared = folder in (_PACKAGE, _PACKAGE / "studies")
    return folder if (folder / "__init__.py").is_file() and not shared else path


def _name(path: Path) -> str:
    """The file's name in the hash: relative to the package, so that the same code gives the same
    version wherever it is installed."""
    return path.relative_to(_PACKAGE).as_posix() if path.is_relative_to(_PACKAGE) else path.name
