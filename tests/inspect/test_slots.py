"""A user's model in a study's slot (``latentatlas study NAME --model-file NAME=...``): a
built-in run's weights given back through the slot give the built-in run's numbers, the folder
records the model and its checksum, the explorer decodes with it, the gate withholds claims on
a model that did not learn, and bad input is one sentence, exit code 2, nothing written."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import pytest
from slot_zoo import slot_factory
from typer.testing import CliRunner
from zoo import factory

import latentatlas as la
from latentatlas.cli import app

runner = CliRunner()
#: A tiny digit-pairs study: two seeds of the dense autoencoder on 60 images.
TINY = [
    "--digits", "1,2", "--n-per-class", "30", "--seeds", "2", "--epochs", "2",
    "--batch-size", "32", "--models", "ae", "--quiet",
]  # fmt: skip
AE_RUNS = "runs/pair-1-2/dim-2/tanh/ae"


def _study(*args: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return runner.invoke(app, ["study", "digit-pairs", *map(str, args)])


@pytest.fixture(scope="module")
def builtin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in study the slotted ones are compared with: its runs, numbers and gates.

    In this process (--jobs 1) and with a bare report page: the slotted studies below keep
    the default two workers and draw their reports in full."""
    from latentatlas.report import Report
    from latentatlas.studies.digit_pairs.study import DigitPairsStudy

    out = tmp_path_factory.mktemp("slots") / "builtin"
    with pytest.MonkeyPatch.context() as bare:
        bare.setattr(DigitPairsStudy, "report", lambda self, results: Report("Digit pairs"))
        result = _study(*TINY, "--jobs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def _weights(builtin: Path, copy_to: Path | None = None) -> list[str]:
    """``--weights ae=...`` of each seed of the built-in run (copies in ``copy_to``)."""
    import shutil

    files = [builtin / AE_RUNS / f"seed-{seed}" / "model.safetensors" for seed in (0, 1)]
    if copy_to is not None:
        files = [Path(shutil.copy(f, copy_to / f"ae-{s}.safetensors")) for s, f in enumerate(files)]
    return [arg for file in files for arg in ("--weights", f"ae={file}")]


def _assert_same(a: Any, b: Any, where: str = "") -> None:
    """Every number of ``a`` equals ``b``'s to 1e-6, every other value exactly."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float) and math.isfinite(a):
        assert abs(a - b) <= 1e-6, f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def test_builtin_weights_through_the_slot_give_the_builtin_numbers(
    builtin: Path, tmp_path: Path
) -> None:
    out = tmp_path / "slotted"
    model = factory("build_latentatlas_ae")
    weights = _weights(builtin, copy_to=tmp_path)
    result = _study(*TINY, "--model-file", f"ae={model}", *weights, "--out", out)
    assert result.exit_code == 0, result.output
    ours, theirs = (json.loads((f / "metrics.json").read_text()) for f in (out, builtin))
    for document in (ours, theirs):
        document.pop("config")
    _assert_same(ours, theirs)  # every cell's numbers, the gates and the verdicts
    # The folder records how to load the model and the checksum of the weights it analysed.
    run = json.loads((out / AE_RUNS / "seed-1" / "config.json").read_text())
    weights_file = tmp_path / "ae-1.safetensors"
    assert run["model"]["name"] == "slot"
    assert run["model"]["options"]["source"] == model
    assert run["model"]["options"]["weights"] == str(weights_file)
    assert run["model"]["options"]["sha256"] == la.models.external.sha256(weights_file)
    assert json.loads((out / "study.json").read_text())["config"]["model_files"] == [f"ae={model}"]
    # The explorer decodes with the user's model: the built-in model's images.
    from latentatlas.explorer import images
    from latentatlas.explorer.catalogue import Catalogue

    name = f"{AE_RUNS}/seed-0"
    slotted, original = Catalogue(out).run(name), Catalogue(builtin).run(name)
    assert type(slotted.model).__name__ == "SlotModel"
    row = int(slotted.indices[3])
    assert (
        abs(images.reconstruction(slotted, row) - images.reconstruction(original, row)).max() < 1e-6
    )
    # Weights that changed since are not mixed into the folder: refused, nothing rewritten.
    (tmp_path / "ae-1.safetensors").write_bytes((tmp_path / "ae-0.safetensors").read_bytes())
    before = (out / "metrics.json").read_bytes()
    result = _study(*TINY, "--model-file", f"ae={model}", *weights, "--out", out)
    assert result.exit_code == 2 and "was trained with other settings" in result.output
    assert (out / "metrics.json").read_bytes() == before


@pytest.mark.slow
def test_a_model_that_did_not_learn_is_gated_and_its_claims_not_judged(
    builtin: Path, files: dict[str, Path], tmp_path: Path
) -> None:
    """An untrained TorchScript model (its own random weights) in the ae slot: the gate fails
    it, and every claim resting on the autoencoder is not judged."""
    out = tmp_path / "untrained"
    script = f"ae={files['script']}"
    one_seed = ["--seeds", "1", "--latent-dims", "4"]
    result = _study(*TINY, *one_seed, "--model-file", script, "--out", out)
    assert result.exit_code == 0, result.output
    results = la.studies.load(out)
    (gate,) = (g for _, g in results.gates["pair-1-2/dim-4/tanh"].models["ae"])
    assert not gate.passed
    withheld = [c for c in results.claims if "did not learn (ae seed 0" in c.evidence]
    assert withheld and all(c.verdict == "not judged" for c in withheld)


@pytest.mark.slow
def test_a_factory_without_weights_is_trained_as_the_builtin_model(
    builtin: Path, tmp_path: Path
) -> None:
    """The factory builds the study's own dense autoencoder: trained with the study's settings
    and seeds through the slot, it learns the built-in runs' weights and numbers."""
    out = tmp_path / "trained"
    result = _study(*TINY, "--model-file", f"ae={factory('build_latentatlas_ae')}", "--out", out)
    assert result.exit_code == 0, result.output
    ours, theirs = (json.loads((f / "metrics.json").read_text()) for f in (out, builtin))
    for document in (ours, theirs):
        document.pop("config")
    _assert_same(ours, theirs)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--model-file", "pca=@ae"],
            "study digit-pairs has no model slot 'pca'; its slots are ae",
        ),
        (["--model-file", "vae=@ae"], "has no model slot 'vae'; its slots are ae"),
        (["--weights", "ae=@vae-0"], "names slot ae, which has no --model-file"),
        (["--model-file", "ae"], "--model-file 'ae' must look like NAME=VALUE"),
        (["--model-file", "ae=nosuchpackage.models:build"], "nosuchpackage.models does not import"),
        (["--model-file", f"ae={factory('build_broken')}"], "raised RuntimeError: no GPU found"),
        (["--model-file", f"ae={factory('build_nothing')}"], "without encode/decode methods"),
        (["--model-file", f"ae={slot_factory('build_encoder_only')}"], "has no decode method"),
        (
            ["--model-file", "ae=@ae", "--weights", "ae=@vae-0", "--weights", "ae=@vae-1"],
            "has no tensor 'encoder.0.weight', which the model needs",
        ),
        (
            [
                "--model-file",
                f"ae={factory('build_vae')}",
                "--weights",
                "ae=@pickled",
                "--weights",
                "ae=@pickled",
                "--latent-dims",
                "4",
            ],
            "holds pickled Python objects, which are not loaded",
        ),
        (
            ["--model-file", f"ae={slot_factory('build_for_8x8')}"],
            "data have input shape (1, 28, 28)",
        ),
        (
            ["--model-file", f"ae={factory('build_vae')}"],
            "gives codes of size 4, but slot ae of cell pair-1-2/dim-2/tanh has 2 dimensions",
        ),
        (
            ["--model-file", "ae=@ae", "--weights", "ae=@vae-0"],
            "slot ae has 1 --weights files but the study has 2 seeds",
        ),
        (
            ["--model-file", "ae=@script", "--weights", "ae=@vae-0"],
            "the TorchScript file of slot ae carries its own weights",
        ),
        (
            [
                "--model-file",
                "ae=@ae",
                "--weights",
                "ae=/no/such.pt",
                "--weights",
                "ae=/no/such.pt",
            ],
            "--weights file /no/such.pt does not exist",
        ),
    ],
)
def test_bad_input_is_one_sentence_and_writes_nothing(
    files: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    named = {"ae": factory("build_latentatlas_ae"), **{k: str(v) for k, v in files.items()}}

    def resolved(arg: str) -> str:
        name, sep, value = arg.partition("=@")
        return f"{name}={named[value]}" if sep else arg

    out = tmp_path / "out"
    result = _study(*TINY, *map(resolved, args), "--out", out)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not out.exists()


# -- the model in a slot --------------------------------------------------------------------------
def _in_slot(builtin: str, source: str, **options: Any) -> Any:
    from latentatlas.models import build

    slot = {"slot": builtin, "builtin": builtin, "source": source, **options}
    return build("slot", (1, 28, 28), 4, **slot)


def test_a_vae_slot_takes_the_elbo_with_the_posterior_the_encoder_gives() -> None:
    import torch
    import zoo

    x = torch.rand(5, 1, 28, 28)
    for name in ("build_vae", "build_parts"):  # (mu, logvar), and a Normal distribution
        model = _in_slot("vae", factory(name), builtin_options={"beta": 4.0})
        mu, logvar = model.encode_distribution(x)
        reference = getattr(zoo, name)()
        if name == "build_vae":
            expected_mu, expected_logvar = reference.encode(x)
        else:
            normal = reference.encoder(x)
            expected_mu, expected_logvar = normal.mean, 2 * normal.stddev.log()
        torch.testing.assert_close(mu, expected_mu)
        torch.testing.assert_close(logvar, expected_logvar)
        model.eval()
        terms = model.loss(x)
        assert set(terms) == {"total", "reconstruction", "kl"} and model.variational
        torch.testing.assert_close(terms["total"], terms["reconstruction"] + 4.0 * terms["kl"])
    with pytest.raises(la.errors.InputError, match="gives no posterior, which a VAE slot needs"):
        _in_slot("vae", factory("build_latentatlas_ae")).encode_distribution(x)


def test_a_dae_slot_corrupts_its_training_input_with_the_dae_noise() -> None:
    import torch

    from latentatlas.models import build

    model = _in_slot("dae", factory("build_latentatlas_ae"))
    x = torch.rand(50, 1, 28, 28)
    noisy = model.corrupt(x, torch.Generator().manual_seed(0))
    builtin = build("dae", (1, 28, 28), 4).corrupt(x, torch.Generator().manual_seed(0))
    assert model.denoising and torch.equal(noisy, builtin) and not torch.equal(noisy, x)
    assert torch.equal(_in_slot("ae", factory("build_latentatlas_ae")).corrupt(x), x)


def test_a_slot_runs_weights_load_into_the_users_module(tmp_path: Path) -> None:
    """A slot run's model.safetensors keeps the module under ``inner.``; given back as weights
    (to a slot or to inspect) the prefix is taken off."""
    import torch
    from safetensors.torch import save_file

    model = _in_slot("ae", factory("build_latentatlas_ae"))
    save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()}, tmp_path / "run.safetensors"
    )
    fresh = la.models.external.build_factory(factory("build_latentatlas_ae"))
    la.models.external.load_weights(fresh, tmp_path / "run.safetensors")
    for key, tensor in fresh.state_dict().items():
        assert torch.equal(tensor, model.state_dict()[f"inner.{key}"])
    # encoder/decoder attributes that are modules are the user's module's, saved once
    parts = _in_slot("vae", factory("build_parts"))
    assert sorted(parts.state_dict()) == sorted(f"inner.{k}" for k in parts.inner.state_dict())


@pytest.mark.parametrize(
    ("study", "slots"),
    [
        ("digit-pairs", ["ae", "dae"]),  # not pca or linear-ae: the baselines
        ("filaments", ["conv-ae", "conv-vae"]),
        ("heatmaps", ["conv-vae", "conv-ae"]),
        ("disentanglement", ["ae", "vae-beta1", "vae-beta4"]),  # not MNIST's ae-classifier
    ],
)
def test_each_studys_slots_are_its_autoencoders_and_vaes(study: str, slots: list[str]) -> None:
    from latentatlas.studies import engine
    from latentatlas.studies.slots import valid_slots

    recipe = engine.get(study)
    assert valid_slots(recipe.cells(recipe.config_type())) == slots
