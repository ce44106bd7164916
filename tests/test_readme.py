"""The README's Python example runs as written."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no Python example"
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(blocks[0], "README.md", "exec"), {})
    silhouette, accuracy = (float(line) for line in capsys.readouterr().out.split())
    assert -1.0 <= silhouette <= 1.0
    assert accuracy > 0.9  # digits 1 and 2 are easy to tell apart in any trained 2-d code
    assert (tmp_path / "runs" / "ae12-seed0" / "model.safetensors").is_file()
