"""Compare a study's metrics.json with its stored reference: the numbers a refactor must keep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def differences(expected: object, got: object, where: str = "") -> list[str]:
    """Every place where ``got`` differs from ``expected`` (floats to 1e-9).

    Keys absent from ``expected`` are not compared: a result may gain fields, never change one.
    """
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"{where}: {got!r} is not a mapping"]
        return [d for k, v in expected.items() for d in differences(v, got.get(k), f"{where}/{k}")]
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return [f"{where}: {got!r} is not a list of {len(expected)}"]
        return [
            d
            for i, (e, g) in enumerate(zip(expected, got, strict=True))
            for d in differences(e, g, f"{where}[{i}]")
        ]
    if isinstance(expected, float):
        close = got == pytest.approx(expected, rel=0, abs=1e-9, nan_ok=True)
        return [] if close else [f"{where}: {got} != {expected}"]
    return [] if got == expected else [f"{where}: {got!r} != {expected!r}"]


def reference_differences(name: str, key: str, study: Path) -> list[str]:
    """Where ``study``'s ``metrics.json[key]`` departs from ``data/<name>_tiny_reference.json``."""
    expected = json.loads((DATA / f"{name}_tiny_reference.json").read_text())
    metrics = json.loads((study / "metrics.json").read_text())
    return differences(expected[key], metrics[key])
