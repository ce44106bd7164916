"""Integrity of study folders: their manifests written and checked, and what to do on damage.

A study folder vouches for its files with manifests (:mod:`latentatlas._manifest`): each cell
folder's ``manifest.json`` covers its ``settings.json``, ``arrays.npz``, ``gates.json`` and
``result.json``; the study folder's covers ``study.json`` and ``metrics.json``, and
``report.html`` as a derived file (damage there is redrawn, not recomputed); each run has its
own. :func:`check` lists every damaged file of a run, a study or an atlas folder with what to do;
:func:`verify_study_files` and :func:`verify_cells` are the checks that
:func:`~latentatlas.studies.engine.load` makes before reading.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from latentatlas import _manifest
from latentatlas.errors import InputError
from latentatlas.studies import registry
from latentatlas.studies.provenance import recorded_settings

if TYPE_CHECKING:
    from latentatlas.studies.engine import Cell

#: 2 adds manifests: each cell's and the study's.
FORMAT_VERSION = 2

CELL_FILES = ("settings.json", "arrays.npz", "gates.json", "result.json")
STUDY_FILES = ("study.json", "metrics.json")
REPORT = "report.html"
#: Files of a run folder (``latentatlas.runs.REQUIRED_FILES``, kept here so checking a study
#: does not import torch).
RUN_FILES = ("config.json", "model.safetensors", "history.json", "latents.npz")
RUN_REMEDY = "train it again with `latentatlas train ... --force` (its settings are in config.json)"
BEFORE_MANIFESTS = "written before manifests, so its files cannot be verified"


@dataclass(frozen=True)
class Finding:
    """One damaged (or unverifiable) file or folder and what to do about it.

    Attributes
    ----------
    path : Path
    problem : str
        What is wrong, e.g. ``"arrays.npz has the wrong size (truncated or replaced)"``.
    remedy : str
        What to do, e.g. the study command to rerun.
    kind : str
        ``"rerun"`` (results are damaged), ``"redraw"`` (a report is damaged) or
        ``"unverified"`` (written before manifests: nothing is known to be wrong).
    """

    path: Path
    problem: str
    remedy: str
    kind: str = "rerun"

    @property
    def damaged(self) -> bool:
        """True unless the folder is merely unverifiable."""
        return self.kind != "unverified"


# -- writing --------------------------------------------------------------------------------------
def write_cell_manifest(cell_folder: Path) -> None:
    """Vouch for a cell's files; call it after they are all written."""
    _manifest.write(cell_folder, CELL_FILES, FORMAT_VERSION)


def write_study_manifest(folder: Path, study: str, names: Sequence[str]) -> None:
    """Vouch for the study files ``names`` of the study ``study`` in ``folder`` (the report
    joins when it is drawn); the study's name is kept for a folder whose files are all damaged."""
    _manifest.write(folder, names, FORMAT_VERSION, study=study)


def vouch_for_report(folder: Path) -> None:
    """Add a redrawn ``report.html`` to the study manifest, keeping what it vouches for.

    A folder written before manifests gets none: its other files cannot be vouched for.
    """
    manifest = _manifest.read(folder)
    if manifest:
        manifest["derived"] = {REPORT: _manifest.fingerprint(folder / REPORT)}
        from latentatlas._io import write_json

        write_json(folder / _manifest.MANIFEST, manifest)


def cell_is_intact(cell_folder: Path) -> bool:
    """True when the cell has a manifest covering its four files and every one matches it."""
    manifest = _manifest.read(cell_folder)
    return manifest is not None and not _cell_problems(cell_folder, manifest)


# -- reading --------------------------------------------------------------------------------------
def verify_study_files(folder: Path) -> None:
    """Refuse a study folder whose ``study.json`` or ``metrics.json`` does not match its manifest.

    A folder written before manifests (no ``manifest.json``) is read unverified.

    Raises
    ------
    InputError
        One sentence naming the first damaged file and the command that recomputes it.
    """
    manifest = _manifest.read(folder)
    if manifest is not None:
        _refuse(folder, next(iter(_study_problems(folder, manifest)), None))


def verify_cells(folder: Path, cells: Sequence[Cell]) -> None:
    """Refuse a study folder (that has a manifest) where a cell's files do not match its own.

    Raises
    ------
    InputError
        One sentence naming the first damaged or unfinished cell and the command to rerun.
    """
    if _manifest.read(folder) is None:
        return
    for cell in cells:
        for problem in _cell_problem_sentences(folder, cell.key, vouched=True):
            _refuse(folder, f"cell {problem}")


def _refuse(folder: Path, problem: str | None) -> None:
    if problem is None:
        return
    if "did not finish" in problem:
        state, remedy = "did not finish", "to finish it"
    else:
        state, remedy = "is damaged", "to recompute what is damaged"
    command = rerun_command(folder)
    raise InputError(f"study {folder} {state} ({problem}); rerun `{command}` {remedy}")


def _study_problems(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """What is wrong with the study files: altered, missing, or not yet vouched for."""
    if not manifest:
        return [f"{_manifest.MANIFEST} is not a manifest"]
    found = [f"{name} {problem}" for name, problem in _manifest.problems(folder, manifest)]
    found += [
        f"{name} is not vouched for: the study did not finish"
        for name in STUDY_FILES
        if name not in manifest["files"]
    ]
    return found


def _cell_problems(cell_folder: Path, manifest: dict[str, Any]) -> list[str]:
    if not manifest:
        return [f"{_manifest.MANIFEST} is not a manifest"]
    if set(manifest["files"]) != set(CELL_FILES):
        return [f"{_manifest.MANIFEST} does not list the cell's files"]
    return [f"{name} {problem}" for name, problem in _manifest.problems(cell_folder, manifest)]


def _cell_problem_sentences(folder: Path, key: str, vouched: bool) -> list[str]:
    """What is wrong with cell ``key``, each starting with its key; a cell without a manifest
    is unfinished where the study has one (``vouched``) and unverifiable where it has none."""
    cell_folder = folder / "cells" / key
    manifest = _manifest.read(cell_folder)
    if manifest is None:
        if not vouched:
            return []
        problem = "is missing" if not cell_folder.exists() else "did not finish: it has no manifest"
        return [f"{key} {problem}"]
    return [f"{key}: {problem}" for problem in _cell_problems(cell_folder, manifest)]


# -- the command that recomputes a study ----------------------------------------------------------
def rerun_command(folder: Path) -> str:
    """The ``latentatlas study NAME ... --out DIR`` command that wrote ``folder``.

    The settings are read from the first of ``study.json``, ``metrics.json`` and the cells'
    ``settings.json`` that is intact (or unverifiable); non-default settings become options.
    """
    name, settings = _stored_settings(folder)
    if name is None or name not in registry.STUDIES:
        return f"latentatlas study NAME --out {shlex.quote(str(folder))}"
    try:
        config_type = registry.get(name).config_type
        config = config_type.from_dict(settings)
        options = _options(config_type, config)
    except InputError:
        options = None
    if options is None:
        out = shlex.quote(str(folder))
        return f"latentatlas study {name} --out {out} (with the settings it was run with)"
    return shlex.join(["latentatlas", "study", name, *options, "--out", str(folder)])


def stored_study_name(folder: Path) -> str | None:
    """The study named by the first of ``study.json`` and ``metrics.json`` that is intact (or
    unverifiable: written before manifests); None when neither is."""
    intact = _intact_study_document(folder)
    if intact is not None:
        return intact[0]
    name = (_manifest.read(folder) or {}).get("study")
    return name if isinstance(name, str) else None


def _intact_study_document(folder: Path) -> tuple[str, Any] | None:
    manifest = _manifest.read(folder) or {}
    for name in STUDY_FILES:
        entry = manifest.get("files", {}).get(name)
        if manifest and (entry is None or _manifest.file_problem(folder / name, entry)):
            continue
        document = _json(folder / name)
        if isinstance(document.get("study"), str) and "config" in document:
            return document["study"], document["config"]
    return None


def _stored_settings(folder: Path) -> tuple[str | None, Any]:
    intact = _intact_study_document(folder)
    if intact is not None:
        return intact
    study = stored_study_name(folder) or _json(folder / "study.json").get("study")
    study = study if isinstance(study, str) else None
    for cell_manifest in sorted((folder / "cells").rglob(_manifest.MANIFEST)):
        if cell_is_intact(cell_manifest.parent):
            return study, recorded_settings(_json(cell_manifest.parent / "settings.json"))
    return study, None


def _json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return document if isinstance(document, dict) else {}


def _options(config_type: Any, config: Any) -> list[str] | None:
    """Command-line options that give ``config``: the shorter of from the defaults and from
    ``--quick``; None when a setting cannot be written as an option."""
    candidates = []
    for quick in (False, True):
        base = config_type.quick() if quick else config_type()
        options: list[str] = ["--quick"] if quick else []
        texts: dict[str, str | bool] = {}
        for option in config_type.cli_options():
            if not hasattr(config, option.field):
                continue  # a shorthand of another setting (--digits for --pairs)
            value = getattr(config, option.field)
            if value == getattr(base, option.field):
                continue
            text = _option_text(value)
            if option.is_flag and value is True:
                options.append(option.flag)
                texts[option.field] = True
            elif not option.is_flag and _parses(option, text, value):
                options += [option.flag, text]
                texts[option.field] = text
        try:
            if config_type.from_cli(texts, quick=quick) == config:
                candidates.append(options)
        except InputError:
            pass  # a setting the options cannot give
    return min(candidates, key=len) if candidates else None


def _option_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return ",".join("-".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in value)
    return str(value)


def _parses(option: Any, text: str, value: Any) -> bool:
    try:
        return bool(option.parse(text) == value)
    except InputError:
        return False


# -- check ----------------------------------------------------------------------------------------
def check(folder: str | Path) -> tuple[str, list[Finding]]:
    """What kind of folder ``folder`` is (``run``, ``study`` or ``atlas``) and its damage.

    Raises
    ------
    InputError
        When ``folder`` is none of these.
    """
    folder = Path(folder)
    if not folder.is_dir():
        state = "is a file" if folder.exists() else "does not exist"
        raise InputError(f"{folder} {state}; give a run, study or atlas folder")
    if any((folder / name).exists() for name in (*STUDY_FILES, "cells")):
        return "study", check_study(folder)
    if any((folder / name).exists() for name in RUN_FILES):
        return "run", check_run(folder, RUN_REMEDY)
    studies = sorted(p.parent for p in folder.glob("*/study.json"))
    if studies or (folder / "index.html").exists():
        return "atlas", check_atlas(folder, studies)
    raise InputError(
        f"{folder} is not a run, study or atlas folder: it holds no config.json, study.json "
        "or index.html"
    )


def check_run(run: Path, remedy: str) -> list[Finding]:
    """The damage of one run folder against its manifest."""
    manifest = _manifest.read(run)
    if manifest is None:
        return [Finding(run, f"the run was {BEFORE_MANIFESTS}", remedy, "unverified")]
    if not manifest or set(manifest.get("files", {})) != set(RUN_FILES):
        return [Finding(run, f"{_manifest.MANIFEST} does not list the run's files", remedy)]
    return [
        Finding(run / name, f"{name} {problem}", remedy)
        for name, problem in _manifest.problems(run, manifest)
    ]


def check_study(folder: Path) -> list[Finding]:
    """The damage of a study folder: its study files, report, cells and runs."""
    command = f"rerun `{rerun_command(folder)}`"
    manifest = _manifest.read(folder)
    findings: list[Finding] = []
    if manifest is None:
        findings.append(Finding(folder, f"the study was {BEFORE_MANIFESTS}", command, "unverified"))
    else:
        for problem in _study_problems(folder, manifest):
            findings.append(Finding(folder / problem.split()[0], problem, command))
        findings += _report_findings(folder, manifest)
    planned = _planned_cells(folder)
    for key in _cell_keys(folder, planned):
        for problem in _cell_problem_sentences(folder, key, manifest is not None):
            findings.append(Finding(folder / "cells" / key, f"cell {problem}", command))
    return findings + _run_findings(folder, planned, command)


def _report_findings(folder: Path, manifest: dict[str, Any]) -> list[Finding]:
    remedy = f"redraw it: `latentatlas report {shlex.quote(str(folder))}`"
    entry = manifest.get("derived", {}).get(REPORT)
    if entry is None:
        if not (folder / "metrics.json").is_file():
            return []  # an unfinished study has no report yet; its other findings say so
        return [Finding(folder / REPORT, f"{REPORT} was not drawn", remedy, "redraw")]
    problem = _manifest.file_problem(folder / REPORT, entry)
    if problem is None:
        return []
    return [Finding(folder / REPORT, f"{REPORT} {problem}", remedy, "redraw")]


def _planned_cells(folder: Path) -> list[Cell]:
    """The cells the study plans, where its settings can be read (else none)."""
    name, settings = _stored_settings(folder)
    if name not in registry.STUDIES:
        return []
    try:
        study = registry.get(name)
        return list(study.cells(study.config_type.from_dict(settings)))
    except InputError:
        return []  # the settings are damaged: their own finding says so


def _cell_keys(folder: Path, planned: Sequence[Cell]) -> list[str]:
    """The cells the study plans and those found on disk."""
    keys = {cell.key for cell in planned}
    cells = folder / "cells"
    if cells.is_dir():
        for path in cells.rglob("*"):
            if path.name in (*CELL_FILES, _manifest.MANIFEST):
                keys.add(path.parent.relative_to(cells).as_posix())
    return sorted(keys)


def _run_findings(folder: Path, planned: Sequence[Cell], command: str) -> list[Finding]:
    """The damage of every run found on disk, and the planned runs that are missing without
    having failed (a failed run is listed in metrics.json and has no folder)."""
    runs = folder / "runs"
    found = set()
    if runs.is_dir():
        for path in runs.rglob("*"):
            relative = path.parent.relative_to(folder)
            hidden = any(p.startswith(".") or p.endswith(".partial") for p in relative.parts)
            if path.name in (*RUN_FILES, _manifest.MANIFEST) and not hidden:
                found.add(relative.as_posix())
    failed = _json(folder / "metrics.json").get("failed_runs", {})
    findings = []
    for relative in sorted(found | {r for cell in planned for _, r in cell.runs}):
        run = folder / relative
        if relative in found:
            findings += check_run(run, f"remove {shlex.quote(str(run))} and {command}")
        elif not isinstance(failed, dict) or relative not in failed:
            findings.append(Finding(run, "the run is missing", command))
    return findings


def check_atlas(folder: Path, studies: Sequence[Path]) -> list[Finding]:
    """The damage of every study of an atlas folder, and of its index page."""
    findings = [finding for study in studies for finding in check_study(study)]
    index = folder / "index.html"
    if not index.is_file():
        state = "is a folder, not a file" if index.is_dir() else "is missing"
        findings.append(
            Finding(
                index,
                f"index.html {state}",
                f"rerun `latentatlas atlas --out {shlex.quote(str(folder))}`",
            )
        )
    return findings
