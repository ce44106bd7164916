"""``latentatlas inspect`` end to end: each kind of model through the CLI and the Python API,
what runs when, bad input (exit 2, nothing written), and the same numbers as a built-in run."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner
from zoo import TINY, factory

import latentatlas as la
from latentatlas.cli import app
from latentatlas.errors import InputError

runner = CliRunner()
MNIST = ["--dataset", "mnist", "--digits", "1,2", "--n", "120", "--tsne-points", "100", "--quiet"]


def _cli(*args: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return runner.invoke(app, ["inspect", *map(str, args)])


def _metrics(out: Path) -> dict[str, Any]:
    return json.loads((out / "metrics.json").read_text())


def _ran(metrics: dict[str, Any]) -> dict[str, bool]:
    return {step["name"].split(" ")[0]: step["ran"] for step in metrics["steps"]}


@pytest.mark.slow
def test_cli_conv_vae_two_seeds(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "vae"
    result = _cli(
        "--model", factory("build_vae"), "--weights", files["vae-0"], "--weights", files["vae-pt"],
        *MNIST, "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metrics = _metrics(out)
    assert metrics["seeds"] == 2 and metrics["latent_dim"] == 4 and metrics["kind"] == "factory"
    ran = _ran(metrics)
    assert ran["shape"] and ran["classes"] and ran["decoder:"] and ran["seed"]
    assert not ran["disentanglement"]
    assert metrics["files"][str(files["vae-0"])] == la.models.external.sha256(files["vae-0"])
    assert len(metrics["labels"]["knn_accuracy"]) == 2
    html = (out / "report.html").read_text()
    assert "What ran" not in html or "skipped" in html
    assert "the data have no ground-truth factors" in html
    gates = la.studies.load(out).gates["model"].models["model"]  # each seed's model is gated
    assert gates.seeds == (0, 1) and all(g.mean_image_ratio > 0 for _, g in gates)
    assert "Did every model learn?" in html


@pytest.mark.slow
def test_cli_encoder_decoder_attributes(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "parts"
    model = factory("build_parts")
    result = _cli("--model", model, "--weights", files["parts"], *MNIST, "--out", out)
    assert result.exit_code == 0, result.output
    assert _metrics(out)["decoder"]["reconstruction_error"][0] > 0


@pytest.mark.slow
def test_cli_torchscript(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "script"
    result = _cli("--torchscript", files["script"], *MNIST, "--out", out)
    assert result.exit_code == 0, result.output
    metrics = _metrics(out)
    assert metrics["kind"] == "torchscript" and _ran(metrics)["decoder:"]


@pytest.mark.slow
def test_cli_codes_with_factors_two_seeds(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "codes"
    result = _cli(
        "--codes", files["codes"], "--codes", files["codes-1"], "--tsne-points", "100",
        "--quiet", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metrics = _metrics(out)
    ran = _ran(metrics)
    assert ran["disentanglement"] and ran["classes"] and ran["seed"] and not ran["decoder:"]
    assert metrics["factors"]["factor_names"] == ["shape", "size"]
    assert metrics["labels"]["pixel_silhouette"] is None
    why = {s["name"]: s["why"] for s in metrics["steps"]}
    assert "no decoder" in why["decoder: reconstructions, random decodes, traversals"]
    assert metrics["seed_spread"]["cka_mean"] > 0.99  # seed 1 is a rotation of seed 0


@pytest.mark.slow
def test_python_api_numpy_callables(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(120, 64)).astype(np.float32)
    labels = (x[:, 0] > 0.5).astype(int)
    w = rng.standard_normal((64, 3)).astype(np.float32)
    report = la.inspect(
        tmp_path / "np",
        encode=lambda a: a @ w,
        decode=lambda z: np.clip(z @ np.linalg.pinv(w), 0, 1),
        data=x,
        labels=labels,
        **TINY,
    )
    assert report.is_file()
    metrics = _metrics(tmp_path / "np")
    assert metrics["kind"] == "python" and _ran(metrics)["decoder:"]
    assert metrics["decoder"]["mean_image_error"] > 0


@pytest.mark.slow
def test_python_api_factory_file_with_data_in_memory(
    files: dict[str, Path], tmp_path: Path
) -> None:
    x = np.random.default_rng(0).uniform(size=(60, 1, 28, 28)).astype(np.float32)
    la.inspect(
        tmp_path / "f",
        model=factory("build_vae"),
        weights=files["vae-0"],
        data=x,
        labels=np.repeat([0, 1], 30),
        tsne_points=40,
        id_queries=40,
    )
    metrics = _metrics(tmp_path / "f")
    assert metrics["kind"] == "factory" and metrics["dataset"] == "arrays given in Python"
    assert str(files["vae-0"]) in metrics["files"]


def test_python_api_codes_without_labels(tmp_path: Path) -> None:
    z = np.random.default_rng(0).standard_normal((150, 3))
    la.inspect(tmp_path / "z", codes=z, tsne_points=60, id_queries=60)
    metrics = _metrics(tmp_path / "z")
    ran = _ran(metrics)
    assert ran["shape"] and not ran["classes"] and not ran["decoder:"] and not ran["seed"]
    why = {s["name"].split(" ")[0]: s["why"] for s in metrics["steps"]}
    assert why["classes"] == "the data have no labels"
    assert why["seed"].startswith("one seed only")
    assert la.studies.load(tmp_path / "z").results["model"].density.local_dimension[0] > 0


def test_codes_an_analysis_refuses_are_recorded_not_fatal(tmp_path: Path) -> None:
    """Collapsed codes: the shape analyses refuse them; the refusal is what the report says."""
    la.inspect(tmp_path / "flat", codes=np.ones((50, 3)), tsne_points=40, id_queries=40)
    steps = _metrics(tmp_path / "flat")["steps"]
    assert steps[0] == {
        "name": "shape of the cloud and 2-d map",
        "ran": False,
        "why": "refused: codes have zero variance: every point is the same",
    }
    assert "refused: codes have zero variance" in (tmp_path / "flat" / "report.html").read_text()


# -- bad input: one sentence, exit 2, nothing written ---------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "nowhere_pkg.vae:build", *MNIST], "does not import"),
        (["--model", factory("build_broken"), *MNIST], "raised RuntimeError"),
        (["--model", factory("build_nothing"), *MNIST], "without encode/decode"),
        (["--model", factory("build_wrong_rows"), *MNIST], "for 16 inputs"),
        (["--model", factory("build_bad_decoder"), *MNIST], "expected (16, 1, 28, 28)"),
        (["--model", factory("build_vae"), "--dataset", "digits"], "input shape is (1, 8, 8)"),
        (["--model", factory("build_vae"), "--weights", "@parts", *MNIST], "has no tensor"),
        (["--model", factory("build_vae"), "--weights", "@pickled", *MNIST], "pickled Python"),
        (["--model", factory("build_vae"), "--weights", "/no/such.pt", *MNIST], "does not exist"),
        (["--torchscript", "@script-encode-only", *MNIST], "exports no encode method"),
        (["--codes", "@codes-nan"], "in row 7"),
        (["--codes", "@codes-rows"], "118 entries but the codes have 120"),
        (["--codes", "@codes", *MNIST[:4]], "rows of codes but data set mnist has"),
        (["--model", factory("build_vae")], "needs data to encode"),
        (["--model", factory("build_vae"), "--codes", "@codes"], "one kind of model"),
        ([], "give a model"),
        (["--run", "/no/such/run"], "run directory /no/such/run does not exist"),
        (["--codes", "@codes", "--data-option", "size"], "'size' must look like KEY=VALUE"),
        (["--torchscript", "@script", *MNIST, "-o", "colour=red"], "unknown option 'colour'"),
    ],
)
def test_bad_input_is_one_sentence_and_writes_nothing(
    files: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "out"
    resolved = [str(files[a[1:]]) if a.startswith("@") else a for a in args]
    result = _cli(*resolved, "--out", out)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_folder_of_another_study_is_refused(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "filaments"
    out.mkdir()
    (out / "study.json").write_text('{"study": "filaments"}')
    result = _cli("--codes", files["codes"], "--out", out)
    assert result.exit_code == 2 and "holds a 'filaments' study" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["study.json"]


def test_python_api_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="encode needs data"):
        la.inspect(tmp_path / "a", encode=lambda x: x)
    with pytest.raises(InputError, match="NaN or infinite value in row 2"):
        bad = np.zeros((5, 3))
        bad[2, 1] = np.inf
        la.inspect(tmp_path / "a", codes=bad)
    with pytest.raises(InputError, match="labels of codes has 4 entries"):
        la.inspect(tmp_path / "a", codes=np.zeros((5, 3)), labels=[0, 1, 0, 1])
    with pytest.raises(InputError, match="codes given in Python have 1 dimension"):
        la.inspect(tmp_path / "a", codes=np.zeros((5, 1)))
    with pytest.raises(InputError, match=r"give encode \(and decode\) or codes, not both"):
        la.inspect(tmp_path / "a", codes=np.zeros((5, 2)), encode=lambda x: x)
    assert not (tmp_path / "a").exists()


# -- the same numbers as a built-in run -----------------------------------------------------------
def test_a_builtin_run_inspected_through_a_factory_gives_the_same_numbers(tmp_path: Path) -> None:
    """A tiny latentatlas run, its weights read back through the factory path: the silhouette of
    the codes and the reconstruction error equal what the run stored, to 1e-6."""
    from latentatlas import runs
    from latentatlas.analysis import silhouette
    from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = la.data.load("mnist", digits=(1, 2), n_per_class=60)
    np.savez(tmp_path / "x.npz", x=dataset.x, labels=dataset.labels)
    config = RunConfig(
        data=DataConfig("mnist", {"digits": [1, 2], "n_per_class": 60}),
        model=ModelConfig("ae", 2, {}),
        train=TrainConfig(epochs=2, batch_size=32, device="cpu"),
        seed=0,
    )
    run = runs.load(runs.train_run(config, tmp_path / "run", dataset=dataset, progress=False))
    splits = ("train", "validation")
    order = np.argsort(np.concatenate([run.latents[f"{s}_indices"] for s in splits]))

    def stored(key: str) -> np.ndarray:
        return np.concatenate([run.latents[f"{s}_{key}"] for s in splits])[order]

    builtin_silhouette = silhouette(stored("codes"), dataset.labels).mean
    builtin_error = float(np.median(stored("reconstruction_error")))
    out = tmp_path / "inspect"
    result = _cli(
        "--model", factory("build_latentatlas_ae"), "--weights", run.path / "model.safetensors",
        "--dataset", "arrays", "--path", tmp_path / "x.npz", "--tsne-points", "100", "--quiet",
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    inspected = la.studies.load(out).results["model"]
    assert inspected.n == len(dataset)
    assert abs(inspected.labels.silhouette[0] - builtin_silhouette) < 1e-6
    assert abs(inspected.decoder.reconstruction_error[0] - builtin_error) < 1e-6
    # The run itself as the source, on its own data set: the same numbers again.
    result = _cli("--run", run.path, "--tsne-points", "100", "--quiet", "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    direct = la.studies.load(tmp_path / "r").results["model"]
    assert direct.kind == "run" and direct.dataset == "mnist"
    assert abs(direct.labels.silhouette[0] - builtin_silhouette) < 1e-6
    assert abs(direct.decoder.reconstruction_error[0] - builtin_error) < 1e-6
    # ... and explored: the run's model decodes, the run's data set gives the originals.
    from latentatlas.explorer import images as explorer
    from latentatlas.explorer.catalogue import Catalogue

    catalogue = Catalogue(tmp_path / "r")
    view = catalogue.run("seed-0")
    row = int(view.indices[5])
    np.testing.assert_array_equal(explorer.original_image(catalogue, "seed-0", row), dataset.x[row])
    assert explorer.reconstruction(view, row).shape == (1, 28, 28)


@pytest.mark.slow
def test_report_redraws_without_the_model_files(files: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    codes = tmp_path / "codes.npz"
    shutil.copy(files["codes"], codes)
    out = tmp_path / "out"
    la.inspect(out, codes=str(codes), tsne_points=60, id_queries=60)
    codes.unlink()
    (out / "report.html").unlink()
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    assert la.studies.load(out).results["model"].files == {
        str(codes): la.models.external.sha256(files["codes"])
    }


def test_the_subsample_is_seeded_and_keeps_the_class_shares() -> None:
    from latentatlas.studies.inspect.config import InspectConfig
    from latentatlas.studies.inspect.prepare import _subsample

    labels = np.repeat([0, 1, 2], [300, 100, 100])
    config = InspectConfig(codes=(), python=True, n=100, seed=3)
    rows = _subsample(config, len(labels), labels)
    assert np.array_equal(rows, _subsample(config, len(labels), labels))
    assert np.bincount(labels[rows]).tolist() == [60, 20, 20]
    assert np.all(np.diff(rows) > 0)
    other = _subsample(InspectConfig(codes=(), python=True, n=100, seed=4), len(labels), labels)
    assert not np.array_equal(rows, other)
    assert len(_subsample(config, 50, None)) == 50


def test_data_options_reach_the_loader() -> None:
    from latentatlas.models import external
    from latentatlas.studies.inspect.config import InspectConfig
    from latentatlas.studies.inspect.prepare import prepare

    config = InspectConfig(python=True, dataset="heatmaps", data_options=("subsample=100",))
    assert config.loader_options() == {"subsample": "100"}

    def sources(x: np.ndarray) -> list[external.ModelSource]:
        return [external.from_callables(lambda a: a.reshape(len(a), -1)[:, :3], None, x)]

    prepared = prepare(config, make_sources=sources)
    assert prepared.n == 100 and prepared.x.shape[1:] == (1, 36, 36)
    assert prepared.codes(0).shape == (100, 3)
