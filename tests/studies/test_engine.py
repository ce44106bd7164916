"""The study engine on a toy study: plan, train, analyse, judge, report, resume, refuse."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import _tiny_study
from _tiny_study import ENTRIES, TOY, TinyConfig, TinyResult
from latentatlas.cli import app
from latentatlas.errors import InputError
from latentatlas.studies import engine

runner = CliRunner()
CALLS = TOY.calls  # the keys of the cells the toy study analysed


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(engine.STUDIES, TOY.name, ENTRIES[TOY.name])
    CALLS.clear()


def test_a_study_runs_end_to_end_and_reads_back_typed(tmp_path: Path) -> None:
    report = engine.run("toy", TinyConfig(), tmp_path / "toy", progress=False)
    assert report == tmp_path / "toy" / "report.html" and report.is_file()
    assert CALLS == ["dim-1", "dim-2"]
    results = engine.load(tmp_path / "toy")
    assert isinstance(results.results["dim-2"], TinyResult)
    assert len(results.results["dim-2"].code_norm["pca"]) == 2
    # Two seeds that do not overlap: indicative, leaning supported (a test needs five).
    assert [(c.verdict, c.leaning) for c in results.claims] == [("indicative", "supported")]
    metrics = json.loads((tmp_path / "toy" / "metrics.json").read_text())
    assert set(metrics["cells"]) == {"dim-1", "dim-2"}
    assert metrics["verdicts"][0]["key"] == "more_dims"
    study_file = json.loads((tmp_path / "toy" / "study.json").read_text())
    assert {"torch", "numpy", "torch_threads", "cpu", "device"} <= set(study_file["environment"])


def test_a_second_run_trains_and_analyses_nothing(tmp_path: Path) -> None:
    engine.run("toy", TinyConfig(), tmp_path / "toy", progress=False)
    weights = sorted((tmp_path / "toy" / "runs").rglob("model.safetensors"))
    before = [p.stat().st_mtime_ns for p in weights]
    CALLS.clear()
    engine.run("toy", TinyConfig(), tmp_path / "toy", progress=False)
    assert CALLS == []
    assert [p.stat().st_mtime_ns for p in weights] == before


def test_a_grown_grid_trains_only_the_new_runs_and_cells_they_touch(tmp_path: Path) -> None:
    engine.run("toy", TinyConfig(seeds=1), tmp_path / "toy", progress=False)
    CALLS.clear()
    engine.run("toy", TinyConfig(seeds=2), tmp_path / "toy", progress=False)
    assert CALLS == ["dim-1", "dim-2"]  # each cell gained a run
    assert len(engine.load(tmp_path / "toy").results["dim-1"].code_norm["pca"]) == 2


def test_other_training_settings_are_refused_unless_forced(tmp_path: Path) -> None:
    engine.run("toy", TinyConfig(models=("ae",), seeds=1), tmp_path / "toy", progress=False)
    with pytest.raises(InputError, match="other settings"):
        engine.run("toy", TinyConfig(models=("ae",), seeds=1, lr=2e-3), tmp_path / "toy")
    engine.run("toy", TinyConfig(models=("ae",), seeds=1, lr=2e-3), tmp_path / "toy", force=True)


def test_a_diverged_run_is_reported_and_the_study_carries_on(tmp_path: Path) -> None:
    config = TinyConfig(models=("pca", "vae"), seeds=1, lr=1e6)
    engine.run("toy", config, tmp_path / "toy", progress=False)
    metrics = json.loads((tmp_path / "toy" / "metrics.json").read_text())
    assert set(metrics["failed_runs"]) == {"runs/dim-1/vae/seed-0", "runs/dim-2/vae/seed-0"}
    assert all("diverged" in reason for reason in metrics["failed_runs"].values())
    assert metrics["cells"]["dim-1"]["failed"] == ["runs/dim-1/vae/seed-0"]
    assert len(metrics["cells"]["dim-1"]["code_norm"]["pca"]) == 1
    assert not list((tmp_path / "toy" / "runs").rglob("*.partial"))  # nothing half-written


def test_bad_settings_leave_nothing_on_disk(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="device"):
        engine.run("toy", TinyConfig(device="gpu"), tmp_path / "toy", progress=False)
    assert not (tmp_path / "toy").exists()


@pytest.mark.parametrize("below", [False, True])
def test_an_output_that_is_a_file_is_refused(tmp_path: Path, below: bool) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    out = file / "study" if below else file
    with pytest.raises(InputError, match="is a file"):
        engine.run("toy", TinyConfig(), out, progress=False)


def test_unknown_settings_in_study_json_name_the_key(tmp_path: Path) -> None:
    engine.run("toy", TinyConfig(seeds=1), tmp_path / "toy", progress=False)
    study_file = tmp_path / "toy" / "study.json"
    document = json.loads(study_file.read_text())
    document["config"]["sedes"] = 3
    study_file.write_text(json.dumps(document))
    with pytest.raises(InputError, match=r"study\.json has the wrong size"):  # the manifest
        engine.load(tmp_path / "toy")
    (tmp_path / "toy" / "manifest.json").unlink()  # a folder written before manifests
    with pytest.raises(InputError, match="'sedes'"):
        engine.load(tmp_path / "toy")


@pytest.mark.parametrize("content", ["{not json", "[]", '{"cells": 3}', ""])
def test_report_of_a_corrupt_or_foreign_metrics_file_is_one_sentence(
    tmp_path: Path, content: str
) -> None:
    engine.run("toy", TinyConfig(seeds=1), tmp_path / "toy", progress=False)
    (tmp_path / "toy" / "metrics.json").write_text(content)
    result = runner.invoke(app, ["report", str(tmp_path / "toy")])
    assert result.exit_code == 2
    assert "metrics.json" in result.output and "Traceback" not in result.output


def test_study_list_shows_the_registered_studies() -> None:
    result = runner.invoke(app, ["study", "--list"])
    assert result.exit_code == 0
    assert "digit-pairs" in result.output and "Lancione" in result.output  # cited by author
    assert "000_2b4a74d5463f301c.txt" not in result.output  # a file name not in the repository


def test_config_from_cli_text_quick_and_round_trip() -> None:
    config = TinyConfig.from_cli({"seeds": "3", "models": "pca, ae"}, quick=True)
    assert config == TinyConfig(seeds=3, models=("pca", "ae"))
    assert TinyConfig.from_cli({}, quick=True).seeds == 1
    assert TinyConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(InputError, match="--seeds takes an integer"):
        TinyConfig.from_cli({"seeds": "many"})
    flags = [option.flag for option in TinyConfig.cli_options()]
    assert flags == ["--seeds", "--models", "--epochs", "--lr", "--device", "--label"]
    assert "(default: 2; quick: 1)" in TinyConfig.cli_options()[0].help


def _module_name(path: Path, root: Path) -> str:
    return ".".join(path.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__")


def _module_imports(tree: ast.Module, module: str, modules: set[str]) -> set[str]:
    """Modules of latentatlas that ``module`` imports at module level.

    ``from package import submodule`` counts as importing the submodule; a module's own parent
    packages are left out (Python runs them first in any case, and they may import it).
    """
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("latentatlas"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("latentatlas")}
    parents = {module.rsplit(".", i)[0] for i in range(1, module.count(".") + 1)}
    return found - parents - {module}


def test_no_import_cycles_among_module_level_imports() -> None:
    import graphlib

    import latentatlas

    root = Path(latentatlas.__file__).parent
    files = {_module_name(path, root): path for path in root.rglob("*.py")}
    graph = {
        name: _module_imports(ast.parse(path.read_text()), name, set(files))
        for name, path in files.items()
    }
    assert graph["latentatlas.studies.engine"] & set(files) <= {
        "latentatlas._io",
        "latentatlas._lock",
        "latentatlas.config",
        "latentatlas.errors",
        "latentatlas.studies.claims",
        "latentatlas.studies.registry",
    }  # the engine imports no study
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError on a cycle


def _all_imports(tree: ast.Module, module: str, modules: set[str]) -> set[str]:
    """Modules of latentatlas that ``module`` imports anywhere, inside functions too (imports
    under ``if TYPE_CHECKING:`` are for type checkers only and are left out)."""
    hidden = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    imports = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in hidden
    ]
    return _module_imports(ast.Module(body=imports, type_ignores=[]), module, modules)


def test_no_import_cycle_inside_a_package_even_through_imports_in_functions() -> None:
    import graphlib

    import latentatlas

    root = Path(latentatlas.__file__).parent
    files = {_module_name(path, root): path for path in root.rglob("*.py")}
    for package in {name.rsplit(".", 1)[0] for name in files}:
        members = {name for name in files if name.rsplit(".", 1)[0] == package}
        graph = {
            name: _all_imports(ast.parse(files[name].read_text()), name, set(files)) & members
            for name in members
        }
        graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle


def _private_owner(target: str, modules: set[str]) -> tuple[str, bool] | None:
    """Who may import ``target`` (a module, or ``module.name``) when a part of it is private:
    the package holding a ``_module`` (all of it), or the package of a module with a ``_name``
    (its modules only, not its subpackages). None when nothing in it is private."""
    parts = target.split(".")
    for i, part in enumerate(parts[1:], start=1):
        if part.startswith("_") and not part.startswith("__"):
            if ".".join(parts[: i + 1]) in modules:
                return ".".join(parts[:i]), True
            return ".".join(parts[: i - 1]), False
    return None


def test_no_module_imports_the_private_names_of_another_package() -> None:
    """A ``_module`` is its package's own, a ``_name`` its module's and its siblings': the
    public API is what a package shows, so no layer reaches into another's internals."""
    import latentatlas

    root = Path(latentatlas.__file__).parent
    files = {_module_name(path, root): path for path in root.rglob("*.py")}
    crossings = []
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("latentatlas"):
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("latentatlas")]
            else:
                continue
            for target in targets:
                owner = _private_owner(target, set(files))
                if owner is None:
                    continue
                inside, whole_package = owner
                if package == inside or (whole_package and package.startswith(inside + ".")):
                    continue
                crossings.append(f"{name} imports {target}")
    assert not crossings, crossings


def test_a_model_configuration_imports_no_torch() -> None:
    code = (
        "import sys; from latentatlas.config import ModelConfig; ModelConfig('conv-vae', 8);"
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_the_command_line_starts_without_torch_or_scikit_learn() -> None:
    code = (
        "import sys, latentatlas, latentatlas.cli;"
        "heavy = [m for m in ('torch', 'sklearn', 'scipy', 'matplotlib') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == ""


def test_a_changed_analysis_setting_analyses_again_without_training(tmp_path: Path) -> None:
    engine.run("toy", TinyConfig(seeds=1), tmp_path / "toy", progress=False)
    weights = sorted((tmp_path / "toy" / "runs").rglob("model.safetensors"))
    before = [p.stat().st_mtime_ns for p in weights]
    CALLS.clear()
    engine.run("toy", TinyConfig(seeds=1, label="other"), tmp_path / "toy", progress=False)
    assert CALLS == ["dim-1", "dim-2"]  # the analysis option changed: every cell again
    assert [p.stat().st_mtime_ns for p in weights] == before  # no run changed


def test_changed_analysis_code_analyses_again_without_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from latentatlas.studies import provenance

    engine.run("toy", TinyConfig(seeds=1), tmp_path / "toy", progress=False)
    record = json.loads((tmp_path / "toy" / "cells" / "dim-1" / "settings.json").read_text())
    assert record == {
        "settings": TinyConfig(seeds=1).to_dict(),
        "code_version": provenance.code_version(TOY),
    }
    weights = sorted((tmp_path / "toy" / "runs").rglob("model.safetensors"))
    before = [p.stat().st_mtime_ns for p in weights]
    CALLS.clear()
    monkeypatch.setattr(provenance, "code_version", lambda study: "a-fixed-analysis")
    engine.run("toy", TinyConfig(seeds=1), tmp_path / "toy", progress=False)
    assert CALLS == ["dim-1", "dim-2"]  # the analysis code changed: every cell again
    assert [p.stat().st_mtime_ns for p in weights] == before  # no run trained again
    record = json.loads((tmp_path / "toy" / "cells" / "dim-2" / "settings.json").read_text())
    assert record["code_version"] == "a-fixed-analysis"
    CALLS.clear()
    engine.run("toy", TinyConfig(seeds=1), tmp_path / "toy", progress=False)
    assert CALLS == []  # the same code again: every cell reused


def test_the_code_version_covers_the_analysis_sources_and_not_the_report() -> None:
    from latentatlas.studies import provenance

    filaments = engine.get("filaments")
    sources = {
        p.relative_to(provenance._PACKAGE).as_posix()
        for p in provenance.analysis_sources(filaments)
    }
    assert {"analysis/density.py", "studies/gates.py", "studies/arrays.py"} <= sources
    assert {"studies/filaments/analyse.py", "studies/filaments/study.py"} <= sources
    assert "studies/filaments/report.py" not in sources  # a report draws, it computes nothing
    assert not any(s.startswith(("studies/heatmaps/", "train", "models/")) for s in sources)
    toy = [p for p in provenance.analysis_sources(TOY) if not p.is_relative_to(provenance._PACKAGE)]
    assert toy == [Path(_tiny_study.__file__).resolve()]  # a study in one file: that file alone
    version = provenance.code_version(filaments)
    assert len(version) == provenance.DIGITS and version != provenance.code_version(TOY)


def test_a_study_analyses_through_its_analyse_module_and_picks_its_headline_fields() -> None:
    from types import SimpleNamespace

    class Bare(engine.Study):
        name = "bare"

        def cells(self, config: object) -> list[engine.Cell]:
            return [engine.Cell("only", [])]

    bare = Bare()
    with pytest.raises(NotImplementedError, match="bare has no analyse_module"):
        bare.analyse(None, bare.cells(None)[0], None)  # type: ignore[arg-type]
    result = SimpleNamespace(to_dict=lambda: {"models": 1, "other": 2})
    assert bare.headline(None, {"only": result}) == {"models": 1, "other": 2}
    Bare.headline_fields = ("models",)
    assert bare.headline(None, {"only": result}) == {"models": 1}
    assert bare.headline(None, {}) == {}


def test_the_context_analyses_each_seed_of_a_model_in_order_and_says_so() -> None:
    from types import SimpleNamespace

    steps: list[str] = []
    progress = SimpleNamespace(step=steps.append, update=lambda text: None)
    context = engine.AnalysisContext(Path("."), {}, progress=progress, label="cell")
    runs = [SimpleNamespace(config=SimpleNamespace(seed=seed)) for seed in (2, 0)]
    per_seed = context.per_seed("ae", runs, lambda run: run.config.seed * 10, "codes")
    assert (per_seed.seeds, per_seed.results) == ((2, 0), (20, 0))
    assert steps == ["cell: ae/seed-2: codes", "cell: ae/seed-0: codes"]
    assert context.per_seed("ae", runs[:1], lambda run: 1).seeds == (2,)
    assert steps[-1] == "cell: ae/seed-2"


def test_the_context_splits_a_cell_as_its_runs_do(tmp_path: Path) -> None:
    import numpy as np

    from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
    from latentatlas.runs import split_indices

    context = engine.AnalysisContext(tmp_path, {})
    run = RunConfig(
        data=DataConfig("heatmaps-t", {"subsample": 300}),
        model=ModelConfig("pca", 2),
        train=TrainConfig(validation_fraction=0.25, split_seed=3),
    )
    split = context.split(engine.Cell("c", ((run, "runs/c/pca/seed-0"),)))
    dataset = context.dataset(run.data)
    for rows, index in zip(split, split_indices(run, dataset), strict=True):
        assert rows.dataset is dataset and np.array_equal(rows.index, index)
        assert len(rows) == len(index) and np.array_equal(rows.x, dataset.x[index])
        assert np.array_equal(rows.labels, dataset.labels[index])
        assert np.array_equal(rows.factors, dataset.factors[index])
        assert rows.x is rows.x  # read once
    assert len(split.validation) == 75
    unlabelled = RunConfig(data=DataConfig("heatmaps", {"subsample": 300}), model=run.model)
    split = context.split(engine.Cell("d", ((unlabelled, "runs/d/pca/seed-0"),)))
    assert split.train.labels is None and split.validation.labels is None
    assert split.validation.factors is not None
