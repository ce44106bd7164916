"""Manifests: the size and SHA-256 of each file a folder vouches for, written last, checked on read.

One format for every artefact (run folders, study cells, study folders)::

    manifest.json   {"format_version": N,
                     "files": {"model.safetensors": {"size": 1234, "sha256": "..."}, ...},
                     "derived": {"report.html": {...}}}

``files`` are the folder's results: damage there means the work must be redone. ``derived``
(optional) are files drawn from them (a report): damage there means drawing them again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from latentatlas._io import write_json

MANIFEST = "manifest.json"


def fingerprint(path: Path) -> dict[str, Any]:
    """Size in bytes and SHA-256 of the file ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(2**20), b""):
            digest.update(chunk)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def build(
    folder: Path,
    names: Iterable[str],
    format_version: int,
    derived: Iterable[str] = (),
    **fields: Any,
) -> dict[str, Any]:
    """The manifest of the files ``names`` (and ``derived``) of ``folder``, with ``fields``."""
    manifest: dict[str, Any] = {
        "format_version": format_version,
        **fields,
        "files": {name: fingerprint(folder / name) for name in names},
    }
    derived = list(derived)
    if derived:
        manifest["derived"] = {name: fingerprint(folder / name) for name in derived}
    return manifest


def write(
    folder: Path,
    names: Iterable[str],
    format_version: int,
    derived: Iterable[str] = (),
    **fields: Any,
) -> None:
    """Write ``folder/manifest.json`` atomically; call it after the files it vouches for."""
    write_json(folder / MANIFEST, build(folder, names, format_version, derived, **fields))


def read(folder: Path) -> dict[str, Any] | None:
    """The manifest of ``folder``; None when it has none; ``{}`` when it is not a manifest."""
    path = folder / MANIFEST
    if not path.exists() and not path.is_symlink():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    valid = isinstance(manifest, dict) and all(
        isinstance(manifest.get(key, {}), dict) for key in ("files", "derived")
    )
    return manifest if valid and isinstance(manifest.get("files"), dict) else {}


def problems(
    folder: Path, manifest: dict[str, Any], section: str = "files"
) -> list[tuple[str, str]]:
    """The files of ``manifest[section]`` that are missing, truncated or altered in ``folder``.

    Returns
    -------
    list of (file name, what is wrong)
        Empty when every file matches; what is wrong is a phrase such as ``"is missing"``.
    """
    found = []
    for name, expected in manifest.get(section, {}).items():
        problem = file_problem(folder / name, expected)
        if problem is not None:
            found.append((name, problem))
    return found


def file_problem(path: Path, expected: Any) -> str | None:
    """What is wrong with ``path`` against its manifest entry ``expected``, or None."""
    if path.is_dir():
        return "is a folder, not a file"
    if not path.is_file():
        return "is missing"
    if not isinstance(expected, dict) or path.stat().st_size != expected.get("size"):
        return "has the wrong size (truncated or replaced)"
    if fingerprint(path)["sha256"] != expected.get("sha256"):
        return "was altered since it was written"
    return None
