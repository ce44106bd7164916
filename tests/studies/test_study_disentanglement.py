"""The disentanglement study end to end on tiny data: metrics, claims, report, round trips."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from _gates import passing_and_failing
from _reference import reference_differences

from latentatlas.analysis import disentanglement as analysis
from latentatlas.analysis.traversal import TraversalSeedsResult
from latentatlas.data.sprites import ORIENTATION_PERIODS
from latentatlas.errors import InputError
from latentatlas.studies import engine
from latentatlas.studies.config import parse_numbers
from latentatlas.studies.disentanglement.config import (
    ESTIMATORS,
    DisentanglementConfig,
    beta_key,
    data_config,
)
from latentatlas.studies.disentanglement.results import (
    DCISeeds,
    DisentanglementResult,
    ModelResult,
    SingleFactorSeeds,
)
from latentatlas.studies.disentanglement.study import STUDY

#: Tiny settings: a few hundred images, one epoch, two seeds, small DCI splits.
TINY = {
    "seeds": 2,
    "epochs": 1,
    "patience": 1,
    "n": 300,
    "n_per_class": 30,
    "estimator": "random-forest",
    "dci_n_train": 240,  # more than the 300 images hold: both cells shrink it to 200 / 100
    "dci_n_test": 120,
    "traversal_inputs": 10,  # one image per digit
    "mnist_latent_dim": 4,  # few dimensions keep the traversal figures (one panel each) quick
    "factor_latent_dim": 3,
    "device": "cpu",
    "lr": None,  # each model's default, as when the reference numbers were written
}
FACTOR_KEYS = {"disentanglement", "completeness", "informativeness"}


@pytest.fixture(scope="module", autouse=True)
def _registered() -> object:
    """The engine reads studies back by name; make sure this one is known (no-op once it is)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(
            engine.STUDIES, "disentanglement", "latentatlas.studies.disentanglement:STUDY"
        )
        yield


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("study") / "disentanglement"
    config = DisentanglementConfig.quick(**TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine.run(STUDY, config, out, progress=False)
    return out


def _metrics(out: Path) -> dict:
    return json.loads((out / "metrics.json").read_text())


def test_every_model_has_its_metrics_with_one_value_per_seed(study: Path) -> None:
    cells = _metrics(study)["cells"]
    assert list(cells) == ["mnist", "sprites"]
    mnist = cells["mnist"]["models"]["ae-classifier"]
    assert mnist["dci"] is None and mnist["mig"] is None
    single = mnist["dci_single_factor"]
    for key in (*FACTOR_KEYS, "effective_codes"):
        assert len(single[key]) == 2
    assert len(mnist["traversal"]["consistent_dims"]) == 2
    assert len(mnist["traversal"]["classification"][0]) == 4
    assert set(cells["sprites"]["models"]) == {"ae", "vae-beta1", "vae-beta4"}
    for model in cells["sprites"]["models"].values():
        for key in FACTOR_KEYS:
            assert len(model["dci"][key]) == 2
            assert all(0.0 <= v <= 1.0 for v in model["dci"][key])
        assert len(model["mig"]) == len(model["sap"]) == 2
        assert len(model["traversal"]["consistent_dims"]) == 2
        assert len(model["traversal"]["seed_agreement"]) == 1  # one pair of seeds
        assert np.asarray(model["dci"]["by_seed"][0]["importance"]).shape == (3, 5)
        assert model["dci_single_factor"] is None


def test_traversal_counts_add_up_to_the_latent_dimension(study: Path) -> None:
    cells = _metrics(study)["cells"]
    for cell, dim in (("mnist", 4), ("sprites", 3)):
        for model in cells[cell]["models"].values():
            t = model["traversal"]
            totals = np.add(np.add(t["consistent_dims"], t["entangled_dims"]), t["inactive_dims"])
            assert totals.tolist() == [dim, dim]
            assert t["consistent_dims"][0] == t["classification"][0].count("consistent")


def test_dci_numbers_are_those_of_the_analysis_on_the_stored_codes(study: Path) -> None:
    from latentatlas import runs
    from latentatlas.data.sprites import FACTOR_KINDS

    run = runs.load(study / "runs/sprites/vae-beta4/seed-1")
    codes = np.concatenate([run.latents["train_codes"], run.latents["validation_codes"]])
    factors = np.concatenate([run.latents["train_factors"], run.latents["validation_factors"]])
    # orientation as the image shows it: modulo 90 degrees (square), 180 (ellipse), 360 (heart)
    factors[:, 2] = np.mod(factors[:, 2], np.take(ORIENTATION_PERIODS, factors[:, 0].astype(int)))
    expected = analysis.dci(
        codes, factors, factor_kinds=FACTOR_KINDS, estimator="random-forest",
        n_train=200, n_test=100, random_state=0,
    )  # fmt: skip
    stored = _metrics(study)["cells"]["sprites"]["models"]["vae-beta4"]
    assert stored["dci"]["disentanglement"][1] == pytest.approx(expected.disentanglement)
    assert stored["mig"][1] == pytest.approx(
        analysis.mig(codes, factors, factor_kinds=FACTOR_KINDS).mig
    )


def test_orientation_is_scored_modulo_each_shapes_symmetry(study: Path) -> None:
    cells = _metrics(study)["cells"]
    assert cells["sprites"]["folded_factors"] == ["orientation"]
    assert cells["mnist"]["folded_factors"] == []
    chance = cells["sprites"]["models"]["ae"]["dci"]["chance"]
    assert 0.0 < chance < 0.5  # five factors of 3 to 20 classes, guessed by the majority class
    html = (study / "report.html").read_text()
    assert "Scored modulo the image&#x27;s symmetry: orientation" in html or (
        "Scored modulo the image's symmetry: orientation" in html
    )


def test_traversal_inputs_cover_every_digit_and_every_shape() -> None:
    from latentatlas import data, runs
    from latentatlas.analysis.sampling import stratified_rows

    config = DisentanglementConfig.quick(**TINY)
    for name, column, expected in (("mnist", None, 10), ("sprites", 0, 3)):
        dataset = data.load(data_config(config, name).name, **data_config(config, name).options)
        run_config = STUDY.cells(config)[0 if name == "mnist" else 1].runs[0][0]
        _, val_idx = runs.split_indices(run_config, dataset)
        rows = stratified_rows(dataset, val_idx, config.traversal_inputs)
        assert set(rows) <= set(val_idx) and len(set(rows)) == len(rows) == 10
        classes = dataset.labels[rows] if column is None else dataset.factors[rows, column]
        assert len(set(classes.tolist())) == expected  # every digit, every shape
        first = val_idx[: config.traversal_inputs]
        first_classes = dataset.labels[first] if column is None else dataset.factors[first, 0]
        assert len(set(first_classes.tolist())) < expected  # what the first rows would give


def test_the_grids_show_different_digits(study: Path) -> None:
    arrays = engine.load(study).arrays("mnist")
    assert len(set(arrays["grid/labels"].tolist())) == len(arrays["grid/labels"]) == 2
    assert arrays["traversal/inputs"][:2].tolist() == arrays["grid/rows"].tolist()


def test_dci_split_shrinks_in_proportion_to_the_images_there_are(study: Path) -> None:
    for cell in _metrics(study)["cells"].values():
        assert cell["n_images"] == 300
        assert (cell["dci_n_train"], cell["dci_n_test"]) == (200, 100)
        assert cell["n_validation"] == 60


def test_factor_data_sets_load_n_images() -> None:
    cells = {c.key: c for c in STUDY.cells(DisentanglementConfig(n=500))}
    assert list(cells) == ["mnist", "sprites", "heatmaps"]
    assert cells["sprites"].runs[0][0].data.options == {"n": 500}
    assert cells["heatmaps"].runs[0][0].data.options == {"subsample": 500}
    whole = STUDY.cells(DisentanglementConfig(n=20_000, factor_datasets=("heatmaps",)))[1]
    assert whole.runs[0][0].data.options == {}
    vae = cells["sprites"].runs[-1][0].model
    assert (vae.name, vae.latent_dim, vae.options) == (
        "vae",
        10,
        {"beta": 4.0, "decoder": "bernoulli"},
    )
    assert cells["mnist"].runs[0][0].model.latent_dim == 16


def test_claims_on_models_below_the_gate_are_not_judged(study: Path) -> None:
    metrics = _metrics(study)
    verdicts = {v["key"]: v for v in metrics["verdicts"]}
    assert set(verdicts) == {
        "dimensions_entangled",
        "mnist_not_disentangled",
        "higher_beta_more_disentangled",
    }
    # one epoch on 240 images: no model reconstructs better than the mean image, so every
    # claim is withheld, naming the model and seed
    assert not any(any(g["passed"]) for g in metrics["gates"]["mnist"]["models"].values())
    for claim in verdicts.values():
        assert claim["verdict"] == "not judged"
        assert "did not learn" in claim["evidence"]
    assert "ae-classifier seed 0" in verdicts["dimensions_entangled"]["evidence"]
    assert "vae-beta" in verdicts["higher_beta_more_disentangled"]["evidence"]


def test_report_is_self_contained_with_grids_heat_maps_and_matrices(study: Path) -> None:
    html = (study / "report.html").read_text()
    assert not re.search(r"""(src|href)=["']https?://""", html)
    # The gate's reconstructions per cell; MNIST: grids side by side + heat map; sprites:
    # matrix, heat map and grid per model.
    assert html.count("data:image/png;base64,") == 2 + 2 + 3 * 3
    for text in (
        "Did every model learn?",
        "Different input, different behaviour",
        "Importance matrix",
        "Effect heat map",
    ):
        assert text in html
    assert "±" in html


def test_typed_results_load_back_from_the_folder(study: Path) -> None:
    loaded = engine.load(study)
    result = loaded.results["sprites"]
    assert isinstance(result, DisentanglementResult)
    assert isinstance(result.models["vae-beta4"], ModelResult)
    again = DisentanglementResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.to_dict() == result.to_dict()
    assert [c.key for c in loaded.claims] == [c["key"] for c in _metrics(study)["verdicts"]]


def test_the_report_redraws_without_data_or_models(
    study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import latentatlas.data
    import latentatlas.runs

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the report must not load data or run a model")

    monkeypatch.setattr(latentatlas.data, "load", refuse)
    monkeypatch.setattr(latentatlas.runs, "load", refuse)
    (study / "report.html").unlink()
    assert engine.write_report(study).is_file()


def test_cells_analysed_before_typed_figure_arrays_still_redraw(study: Path) -> None:
    """Before 2026-12-02 a cell stored only the first seed's effect and mean change; the report
    rebuilds the same effects from them and the results."""
    from latentatlas.studies.disentanglement.report import _effects

    loaded = engine.load(study)
    for cell, name in (("mnist", "ae-classifier"), ("sprites", "vae-beta4")):
        arrays, model = loaded.arrays(cell), loaded.results[cell].models[name]
        old = {key: value for key, value in arrays.items() if not key.startswith("effects/")}
        old[f"mean_change/{name}"] = arrays[f"effects/{name}/mean_change"]
        new, rebuilt = _effects(arrays, name, model), _effects(old, name, model)
        for field, value in vars(new).items():
            np.testing.assert_array_equal(getattr(rebuilt, field), value, err_msg=field)


# -- settings -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"factor_datasets": ("dsprites",)}, "dsprites"),
        ({"betas": (1.0, 1.0)}, "twice"),
        ({"betas": (-1.0,)}, "betas"),
        ({"estimator": "svm"}, "estimator"),
        ({"grid_inputs": 4}, "grid_inputs"),
        ({"factor_latent_dim": 1}, "factor_latent_dim"),
        ({"traversal_mode": "sideways"}, "traversal_mode"),
        ({"seeds": 0}, "seeds"),
    ],
)
def test_bad_settings_are_refused_with_one_sentence(overrides: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        DisentanglementConfig(**overrides)


def test_settings_round_trip_and_quick_overrides() -> None:
    config = DisentanglementConfig.quick(betas=(1.0, 4.0, 8.0))
    assert DisentanglementConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert config.factor_datasets == ("sprites",)
    assert [c.key for c in STUDY.cells(config)] == ["mnist", "sprites"]
    assert STUDY.cells(config)[1].params["models"] == ("ae", "vae-beta1", "vae-beta4", "vae-beta8")
    assert parse_numbers("1, 4", "--betas") == (1.0, 4.0)
    assert beta_key(0.5) == "vae-beta0.5"
    with pytest.raises(InputError, match="--betas"):
        parse_numbers("one", "--betas")


def test_estimators_match_the_analysis() -> None:
    assert ESTIMATORS == analysis.ESTIMATORS


# -- claims on hand-made results ------------------------------------------------------------------
def _traversal(consistent: tuple[int, ...], entangled: tuple[int, ...]) -> TraversalSeedsResult:
    n = len(consistent)
    return TraversalSeedsResult(
        consistent_dims=consistent,
        entangled_dims=entangled,
        inactive_dims=(0,) * n,
        mean_consistency=(0.5,) * n,
        classification=(("consistent",) * 16,) * n,
        consistency=(np.zeros(16),) * n,
        mean_effect=(np.zeros(16),) * n,
        seed_agreement=(),
        n_inputs=100,
        mode="absolute",
        inactive_fraction=0.1,
        consistency_threshold=0.8,
        min_effect=1e-6,
        agreement_cosine=0.5,
        cross_dimension_cosine=(0.3,) * n,
    )


def _single(d: tuple[float, ...]) -> SingleFactorSeeds:
    return SingleFactorSeeds(d, d, d, tuple(1 / v for v in d), ())


def _mnist(
    consistent: tuple[int, ...], entangled: tuple[int, ...], d: tuple[float, ...]
) -> DisentanglementResult:
    seeds = tuple(range(len(d)))
    model = ModelResult(
        seeds, (1.0,) * len(d), _traversal(consistent, entangled), dci_single_factor=_single(d)
    )
    return DisentanglementResult("mnist", (), {"ae-classifier": model}, 1, 1, 1, 1, 1, {})


def _vae(d: tuple[float, ...], m: tuple[float, ...], informativeness: float = 0.6) -> ModelResult:
    n = len(d)
    dci = DCISeeds(d, d, (informativeness,) * n, d, (), chance=0.2)
    return ModelResult(tuple(range(n)), (1.0,) * n, _traversal((1,) * n, (1,) * n), dci=dci, mig=m)


def _results(mnist: DisentanglementResult, low: ModelResult, high: ModelResult) -> dict:
    models = {"ae": low, "vae-beta1": low, "vae-beta4": high}
    sprites = DisentanglementResult("sprites", (), models, 1, 1, 1, 1, 1, {}, ("orientation",))
    return {"mnist": mnist, "sprites": sprites}


BETA_CONFIG = DisentanglementConfig(factor_datasets=("sprites",), betas=(1.0, 4.0), seeds=5)
FIVE = (0, 0, 0, 0, 0)


def _verdicts(results: dict, gates: dict | None = None) -> dict[str, object]:
    return {c.key: c for c in engine.verdicts(STUDY, BETA_CONFIG, results, gates)}


def test_five_separated_seeds_support_every_claim_and_the_opposite_contradicts() -> None:
    low = _vae((0.1, 0.12, 0.11, 0.13, 0.1), (0.01, 0.02, 0.015, 0.01, 0.02))
    high = _vae((0.3, 0.32, 0.31, 0.35, 0.3), (0.05, 0.06, 0.055, 0.05, 0.07))
    entangled = _mnist((2, 3, 1, 2, 2), (12, 11, 14, 13, 12), (0.08, 0.1, 0.09, 0.11, 0.1))
    verdicts = _verdicts(_results(entangled, low, high))
    assert {k: c.verdict for k, c in verdicts.items()} == {
        "dimensions_entangled": "supported",
        "mnist_not_disentangled": "supported",
        "higher_beta_more_disentangled": "supported",
    }
    assert (
        "at least 80% of pairs of inputs change alike" in verdicts["dimensions_entangled"].evidence
    )
    assert "orientation" in verdicts["higher_beta_more_disentangled"].evidence
    consistent = _mnist((14, 13, 15, 14, 14), (1, 2, 0, 1, 1), (0.8, 0.9, 0.85, 0.9, 0.95))
    verdicts = _verdicts(_results(consistent, high, low))
    assert {c.verdict for c in verdicts.values()} == {"contradicted"}


def test_two_seeds_give_indicative_verdicts_with_their_leaning() -> None:
    low, high = _vae((0.1, 0.2), (0.01, 0.02)), _vae((0.3, 0.4), (0.05, 0.06))
    verdicts = _verdicts(_results(_mnist((2, 3), (12, 11), (0.08, 0.1)), low, high))
    for claim in verdicts.values():
        assert (claim.verdict, claim.leaning) == ("indicative", "supported")
    mixed = _vae((0.3, 0.4), (0.0, 0.005))  # D above, MIG below: the beta claim needs both
    verdicts = _verdicts(_results(_mnist((2, 3), (12, 11), (0.1, 0.9)), low, mixed))
    beta = verdicts["higher_beta_more_disentangled"]
    assert (beta.verdict, beta.leaning) == ("indicative", "contradicted")
    assert verdicts["mnist_not_disentangled"].verdict == "inconclusive"  # seeds on both sides


def test_a_failed_gate_or_codes_near_chance_withhold_the_claims() -> None:
    from latentatlas.results import PerSeed
    from latentatlas.studies.gates import CellGates

    low, high = _vae((0.1, 0.2), (0.01, 0.02)), _vae((0.3, 0.4), (0.05, 0.06))
    results = _results(_mnist((2, 3), (12, 11), (0.08, 0.1)), low, high)
    gate = passing_and_failing()[1]
    gates = {"mnist": CellGates({"ae-classifier": PerSeed((0,), (gate,))})}
    verdicts = _verdicts(results, gates)
    assert verdicts["dimensions_entangled"].verdict == "not judged"
    assert "ae-classifier seed 0" in verdicts["mnist_not_disentangled"].evidence
    assert verdicts["higher_beta_more_disentangled"].verdict == "indicative"
    gates = {"sprites": CellGates({"vae-beta4": PerSeed((1,), (gate,))})}
    assert _verdicts(results, gates)["higher_beta_more_disentangled"].verdict == "not judged"
    guessing = _vae((0.3, 0.4), (0.05, 0.06), informativeness=0.25)  # skill 0.06 over chance 0.2
    claim = _verdicts(_results(results["mnist"], low, guessing))["higher_beta_more_disentangled"]
    assert claim.verdict == "not judged" and "barely better than chance" in claim.evidence


def test_the_beta_claim_needs_two_betas() -> None:
    low, high = _vae((0.1, 0.2), (0.01, 0.02)), _vae((0.3, 0.4), (0.05, 0.06))
    results = _results(_mnist((2, 3), (12, 11), (0.08, 0.1)), low, high)
    config = DisentanglementConfig(factor_datasets=("sprites",), betas=(4.0,))
    claim = engine.verdicts(STUDY, config, results)[2]
    assert claim.verdict == "not judged" and "two betas" in claim.evidence


# -- command line ---------------------------------------------------------------------------------
def _cli_args(out: Path) -> list[str]:
    from latentatlas.studies.disentanglement.config import DisentanglementConfig as Config

    flags = {option.field: option.flag for option in Config.cli_options()}
    tiny = [
        item
        for key, value in TINY.items()
        if value is not None
        for item in (flags[key], str(value))
    ]
    return [
        "study",
        "disentanglement",
        "--quick",
        "--quiet",
        "--jobs",
        "1",
        "--out",
        str(out),
        *tiny,
    ]


def test_the_command_line_runs_the_study(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from latentatlas.cli import app

    out = tmp_path / "dis"
    args = _cli_args(out)
    args[args.index("--factor-latent-dim") + 1] = "2"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = CliRunner().invoke(app, [*args, "--betas", "1,4", "--seeds", "1"])
    assert result.exit_code == 0, result.output
    metrics = _metrics(out)
    assert metrics["config"]["seeds"] == 1 and metrics["config"]["factor_latent_dim"] == 2
    assert len(metrics["cells"]["sprites"]["models"]["vae-beta4"]["mig"]) == 1
    assert (out / "report.html").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--factor-datasets", "dsprites"], "dsprites"),
        (["--betas", "one"], "--betas"),
        (["--grid-inputs", "5"], "grid_inputs"),
    ],
)
def test_bad_options_get_one_sentence_and_exit_code_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    from typer.testing import CliRunner

    from latentatlas.cli import app

    out = tmp_path / "x"
    result = CliRunner().invoke(app, ["study", "disentanglement", "--out", str(out), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_numbers_are_those_of_the_study_before_the_engine_redesign(study: Path) -> None:
    # data/disentanglement_tiny_reference.json was written at commit 59ed5a4 with this module's TINY
    # settings: moving the study onto shared engine stages must not move a single metric.
    assert reference_differences("disentanglement", "cells", study) == []
