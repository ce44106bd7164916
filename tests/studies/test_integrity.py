"""Manifests of study folders: damage named by load, report and check; reruns recompute it."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from _tiny_study import ENTRIES, TINY_INTEGRITY, TinyConfig
from latentatlas.cli import app
from latentatlas.errors import InputError
from latentatlas.studies import engine, integrity

runner = CliRunner()
CALLS = TINY_INTEGRITY.calls  # the keys of the cells the tiny study analysed
RUN = "runs/dim-1/pca/seed-0"


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(engine.STUDIES, TINY_INTEGRITY.name, ENTRIES[TINY_INTEGRITY.name])
    monkeypatch.setenv("COLUMNS", "400")  # table rows on one line each
    CALLS.clear()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("template") / "tiny"
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(engine.STUDIES, TINY_INTEGRITY.name, ENTRIES[TINY_INTEGRITY.name])
        engine.run("tiny", TinyConfig(seeds=1), out, progress=False)
    return out


@pytest.fixture
def study(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the tiny study (file times kept)."""
    return Path(shutil.copytree(template, tmp_path / "tiny"))


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _check(folder: Path) -> Any:
    return runner.invoke(app, ["check", str(folder)])


def _state(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p): (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()
    }


def test_every_artefact_has_a_manifest_and_check_finds_it_intact(study: Path) -> None:
    cell = json.loads((study / "cells/dim-1/manifest.json").read_text())
    assert set(cell["files"]) == set(integrity.CELL_FILES)
    assert {"size", "sha256"} == set(cell["files"]["arrays.npz"])
    top = json.loads((study / "manifest.json").read_text())
    assert set(top["files"]) == {"study.json", "metrics.json"} and top["study"] == "tiny"
    assert set(top["derived"]) == {"report.html"}
    result = _check(study)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


@pytest.mark.parametrize(
    "file",
    [
        "study.json",
        "metrics.json",
        "cells/dim-1/result.json",
        "cells/dim-1/arrays.npz",
        "cells/dim-1/gates.json",
        "cells/dim-1/settings.json",
        f"{RUN}/model.safetensors",
        "report.html",
    ],
)
def test_check_names_a_one_byte_change_in_any_artefact(study: Path, file: str) -> None:
    _flip_one_byte(study / file)
    result = _check(study)
    assert result.exit_code == 1, result.output
    name = Path(file).name
    assert f"{name} was altered since it was written" in result.output
    assert ("latentatlas report" if name == "report.html" else "latentatlas study tiny") in (
        result.output
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_report_of_a_damaged_cell_says_what_to_rerun_in_one_sentence(
    study: Path, damage: str
) -> None:
    arrays = study / "cells/dim-1/arrays.npz"
    if damage == "truncate":
        arrays.write_bytes(arrays.read_bytes()[:50])
    else:
        arrays.unlink()
    result = runner.invoke(app, ["report", str(study)])
    assert result.exit_code == 2
    assert "cell dim-1: arrays.npz" in result.output
    assert f"latentatlas study tiny --quick --out {study}" in result.output.replace("\n", "")
    assert "Traceback" not in result.output
    with pytest.raises(InputError, match="cell dim-1"):
        engine.load(study)


@pytest.mark.parametrize("file", ["study.json", "metrics.json"])
def test_report_of_damaged_study_files_names_the_file_and_the_command(
    study: Path, file: str
) -> None:
    _flip_one_byte(study / file)
    result = runner.invoke(app, ["report", str(study)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert f"({file} was altered since it was written); rerun `latentatlas study tiny" in text


@pytest.mark.parametrize("damage", ["truncate", "delete", "flip"])
def test_a_rerun_recomputes_exactly_the_damaged_cell(study: Path, damage: str) -> None:
    arrays = study / "cells/dim-1/arrays.npz"
    if damage == "truncate":
        arrays.write_bytes(arrays.read_bytes()[:50])
    elif damage == "delete":
        arrays.unlink()
    else:
        _flip_one_byte(study / "cells/dim-1/result.json")
    untouched = {**_state(study / "cells/dim-2"), **_state(study / "runs")}
    engine.run("tiny", TinyConfig(seeds=1), study, progress=False)
    assert CALLS == ["dim-1"]
    assert {**_state(study / "cells/dim-2"), **_state(study / "runs")} == untouched
    assert _check(study).exit_code == 0
    assert engine.load(study).results["dim-1"].code_norm["pca"]


@pytest.mark.parametrize(
    "damaged", [("study.json",), ("metrics.json",), ("study.json", "metrics.json")]
)
def test_a_rerun_rewrites_damaged_study_files_without_analysing(
    study: Path, damaged: tuple[str, ...]
) -> None:
    if "study.json" in damaged:
        (study / "study.json").write_text('{"study": "tox", "config": {}}')
    if "metrics.json" in damaged:
        _flip_one_byte(study / "metrics.json")
    assert integrity.check(study)[1][0].path == study / damaged[0]
    engine.run("tiny", TinyConfig(seeds=1), study, progress=False)
    assert CALLS == []
    assert _check(study).exit_code == 0


def test_a_damaged_run_is_named_with_its_remedy_which_works(study: Path) -> None:
    weights = study / RUN / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:40])
    findings = integrity.check(study)[1]
    assert [f.path for f in findings] == [weights]
    assert findings[0].remedy.startswith(f"remove {study / RUN} and rerun `latentatlas study")
    shutil.rmtree(study / RUN)
    engine.run("tiny", TinyConfig(seeds=1), study, progress=False)
    assert CALLS == ["dim-1"]  # the retrained run's cell only
    assert _check(study).exit_code == 0


def test_a_report_that_is_a_folder_is_one_sentence_for_report_and_rerun(study: Path) -> None:
    (study / "report.html").unlink()
    (study / "report.html").mkdir()
    result = runner.invoke(app, ["report", str(study)])
    assert result.exit_code == 2
    assert "report.html is a folder, not a file; remove it" in result.output
    with pytest.raises(InputError, match="is a folder, not a file"):
        engine.run("tiny", TinyConfig(seeds=1), study, progress=False)
    assert CALLS == []
    assert "report.html is a folder, not a file" in _check(study).output


@pytest.mark.parametrize(
    ("path", "kind"),
    [("metrics.json", "folder"), ("cells/dim-1/arrays.npz", "folder"), ("cells/dim-2", "file")],
)
def test_a_study_file_that_is_a_folder_is_refused_before_any_write(
    study: Path, path: str, kind: str
) -> None:
    target = study / path
    if target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink()
    if kind == "folder":
        target.mkdir()
    else:
        target.write_text("x")
    before = _state(study)
    with pytest.raises(InputError, match=f"is a {kind}, not a "):
        engine.run("tiny", TinyConfig(seeds=1), study, progress=False)
    assert _state(study) == before and CALLS == []


def test_an_unfinished_cell_is_analysed_again_and_check_says_so(study: Path) -> None:
    (study / "cells/dim-2/manifest.json").unlink()  # killed before its manifest was written
    result = _check(study)
    assert result.exit_code == 1 and "dim-2 did not finish" in result.output
    engine.run("tiny", TinyConfig(seeds=1), study, progress=False)
    assert CALLS == ["dim-2"]


def test_a_redrawn_report_is_vouched_for(study: Path) -> None:
    _flip_one_byte(study / "report.html")
    assert runner.invoke(app, ["report", str(study)]).exit_code == 0
    assert _check(study).exit_code == 0


def test_a_folder_written_before_manifests_is_unverified_then_re_analysed(study: Path) -> None:
    for manifest in [study / "manifest.json", *(study / "cells").rglob("manifest.json")]:
        manifest.unlink()
    result = _check(study)
    assert result.exit_code == 0, result.output
    assert "written before manifests" in result.output
    assert engine.load(study).results["dim-1"].code_norm["pca"]  # still readable, unverified
    (study / "cells/dim-1/arrays.npz").write_bytes(b"PK")
    report = runner.invoke(app, ["report", str(study)])
    assert report.exit_code == 2 and "cannot be read" in report.output
    engine.run("tiny", TinyConfig(seeds=1), study, progress=False)
    assert CALLS == ["dim-1", "dim-2"]  # unverifiable cells are analysed again
    result = _check(study)
    assert result.exit_code == 0 and "intact" in result.output


def test_check_a_run_and_an_atlas_folder(study: Path, tmp_path: Path) -> None:
    result = _check(study / RUN)
    assert result.exit_code == 0 and "run" in result.output
    atlas = tmp_path / "atlas"
    atlas.mkdir()
    shutil.move(study, atlas / "tiny")
    assert _check(atlas).exit_code == 1  # no index.html
    (atlas / "index.html").write_text("<html></html>")
    assert _check(atlas).exit_code == 0
    _flip_one_byte(atlas / "tiny/cells/dim-2/gates.json")
    result = _check(atlas)
    assert result.exit_code == 1 and "gates.json was altered" in result.output


def test_the_rerun_command_gives_the_stored_settings(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    for config, options in [
        (TinyConfig(seeds=1), "--quick"),
        (TinyConfig(), ""),
        (TinyConfig(seeds=3, label="other"), "--seeds 3 --label other"),
        (TinyConfig(label="two words"), "--label 'two words'"),
    ]:
        (folder / "study.json").write_text(
            json.dumps({"study": "tiny", "config": config.to_dict()})
        )
        expected = " ".join(filter(None, ["latentatlas study tiny", options, "--out", str(folder)]))
        assert integrity.rerun_command(folder) == expected


def test_without_intact_study_files_the_rerun_command_reads_a_cells_settings(study: Path) -> None:
    (study / "study.json").write_text('{"study": "tox", "config": {}}')
    _flip_one_byte(study / "metrics.json")
    expected = f"latentatlas study tiny --quick --out {study}"
    assert integrity.rerun_command(study) == expected  # settings.json: settings and code version
    cell = study / "cells" / "dim-1"
    record = json.loads((cell / "settings.json").read_text())
    assert set(record) == {"settings", "code_version"}
    (cell / "settings.json").write_text(json.dumps(record["settings"]))  # as before versions
    integrity.write_cell_manifest(cell)
    assert integrity.rerun_command(study) == expected


def test_a_study_killed_before_its_metrics_says_it_did_not_finish(study: Path) -> None:
    integrity.write_study_manifest(study, "tiny", ["study.json"])  # as a rerun leaves it at first
    with pytest.raises(InputError, match=r"did not finish \(metrics\.json is not vouched for"):
        engine.load(study)
    engine.run("tiny", TinyConfig(seeds=1), study, progress=False)
    assert CALLS == []  # every cell is intact: nothing analysed again
    assert _check(study).exit_code == 0


ARTEFACTS = [
    "study.json",
    "metrics.json",
    "report.html",
    *(f"cells/dim-{d}/{name}" for d in (1, 2) for name in integrity.CELL_FILES),
    *(f"runs/dim-{d}/pca/seed-0/{name}" for d in (1, 2) for name in integrity.RUN_FILES),
]
DAMAGE = st.tuples(
    st.sampled_from(ARTEFACTS),
    st.sampled_from(["flip", "truncate", "delete"]),
    st.floats(0.0, 0.999),
)


@given(damages=st.lists(DAMAGE, min_size=1, max_size=4, unique_by=lambda d: d[0]))
@example(  # every copy of the settings damaged (found by this test on 2026-12-03)
    damages=[
        ("study.json", "flip", 0.0),
        ("metrics.json", "flip", 0.0),
        ("cells/dim-1/settings.json", "flip", 0.0),
        ("cells/dim-2/settings.json", "flip", 0.0),
    ]
)
@settings(
    max_examples=20, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
def test_any_damage_is_named_refused_by_load_and_mended_by_the_remedy(
    template: Path, damages: list
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        study = Path(shutil.copytree(template, Path(scratch) / "tiny"))
        for file, damage, where in damages:
            path = study / file
            data = bytearray(path.read_bytes())
            if damage == "flip":
                data[int(where * len(data))] ^= 0xFF
                path.write_bytes(bytes(data))
            elif damage == "truncate":
                path.write_bytes(bytes(data[: int(where * len(data))]))
            else:
                path.unlink()
        kind, findings = integrity.check(study)
        assert kind == "study"
        for file, _, _ in damages:
            name, path = Path(file).name, study / file
            assert any(name in f.problem and f.path in (path, path.parent) for f in findings), (
                file,
                findings,
            )
        damaged = {file for file, _, _ in damages}
        results_damaged = any(not f.startswith(("runs/", "report.html")) for f in damaged)
        # The settings are read back from study.json, metrics.json or an intact cell; with
        # every copy damaged the command names the study and says the settings are unknown.
        settings_lost = {"study.json", "metrics.json"} <= damaged and all(
            any(f.startswith(f"cells/dim-{d}/") for f in damaged) for d in (1, 2)
        )
        command = (
            f"rerun `latentatlas study tiny --out {study} (with the settings it was run with)`"
            if settings_lost
            else "rerun `latentatlas study tiny --quick"
        )
        try:
            engine.load(study)
        except InputError as error:
            assert results_damaged and command in str(error)
        else:
            assert not results_damaged
        for finding in findings:  # follow the remedies: they mend the folder
            if finding.remedy.startswith("remove "):
                run = finding.remedy.removeprefix("remove ").split(" and rerun ")[0]
                shutil.rmtree(run, ignore_errors=True)  # named once per damaged file
        engine.run("tiny", TinyConfig.quick(), study, progress=False)
        assert integrity.check(study)[1] == []


def test_a_deleted_run_is_named_as_missing(study: Path) -> None:
    shutil.rmtree(study / RUN)
    findings = integrity.check(study)[1]
    assert [(f.path, f.problem) for f in findings] == [(study / RUN, "the run is missing")]
    assert findings[0].remedy == f"rerun `latentatlas study tiny --quick --out {study}`"
