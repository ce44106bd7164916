"""The digit-pairs study end to end on a small MNIST subset, through the CLI."""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from _reference import reference_differences
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from typer.testing import CliRunner

from latentatlas.cli import app
from latentatlas.data import load
from latentatlas.studies.digit_pairs import DigitPairsConfig, parse_pairs

runner = CliRunner()
TINY = ["--quick", "--n-per-class", "100", "--seeds", "2", "--quiet"]


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("study") / "digit-pairs"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.invoke(
            app, ["study", "digit-pairs", "--digits", "1,2", "--out", str(out), *TINY]
        )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def without_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    """The study's report as a bare page, for a test that checks runs or numbers, not the page:
    drawing the figures is most of a rerun's time, and the report tests draw them in full."""
    from latentatlas.report import Report
    from latentatlas.studies.digit_pairs.study import DigitPairsStudy

    monkeypatch.setattr(DigitPairsStudy, "report", lambda self, results: Report("Digit pairs"))


def _validation(out: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load("mnist", digits=(1, 2), n_per_class=100)
    train, validation = data.split(0, 0.2)
    return (
        data.x[train].reshape(len(train), -1),
        data.x[validation].reshape(len(validation), -1),
        data.labels[validation],
    )


def test_metrics_have_every_documented_key_with_one_value_per_seed(study: Path) -> None:
    metrics = json.loads((study / "metrics.json").read_text())
    for model in ("pca", "linear-ae", "ae", "dae"):
        assert len(metrics["silhouette"][model]) == 2
        assert set(metrics["seed_variability"][model]) == {
            "silhouette_std",
            "silhouette_relative_spread",
            "procrustes_mean",
            "cka_mean",
            "procrustes_pairs",
            "cka_pairs",
        }
        assert len(metrics["seed_variability"][model]["procrustes_pairs"]) == 1  # 2 seeds, 1 pair
        shape = metrics["code_shape"][model]
        assert len(shape["share_near_origin"]) == len(shape["flatness"]) == 2
        assert len(metrics["label_reconstruction"][model]["error_rate"]) == 2
        assert all(0.0 <= e <= 1.0 for e in metrics["label_reconstruction"][model]["error_rate"])
        assert len(metrics["knn"][model]["accuracy"]) == 2
    assert set(metrics["conditions"]) == {"pair-1-2/dim-2/tanh"}


def test_original_space_silhouette_is_that_of_the_validation_pixels(study: Path) -> None:
    metrics = json.loads((study / "metrics.json").read_text())
    _, x_val, y_val = _validation(study)
    assert metrics["silhouette"]["original"] == pytest.approx(
        silhouette_score(x_val.astype(np.float64), y_val), abs=1e-9
    )


def test_pca_row_matches_scikit_learn_and_does_not_depend_on_the_seed(study: Path) -> None:
    metrics = json.loads((study / "metrics.json").read_text())
    x_train, x_val, y_val = _validation(study)
    reference = silhouette_score(PCA(2).fit(x_train).transform(x_val), y_val)
    assert metrics["silhouette"]["pca"] == pytest.approx([reference, reference], abs=1e-5)
    assert metrics["seed_variability"]["pca"]["procrustes_mean"] == pytest.approx(0.0, abs=1e-9)
    assert metrics["seed_variability"]["pca"]["cka_mean"] == pytest.approx(1.0, abs=1e-9)


def test_report_is_one_self_contained_page_with_every_model(study: Path) -> None:
    html = (study / "report.html").read_text()
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert html.count("data:image/png;base64,") >= 4 * 4 + 2
    for title in ("PCA (closed form)", "Linear autoencoder", "Denoising autoencoder", "noisy"):
        assert title.lower() in html.lower()


def test_second_run_reuses_finished_runs(
    study: Path, tmp_path: Path, without_figures: None
) -> None:
    again = tmp_path / "again"
    shutil.copytree(study, again)  # copies keep their times; the module's folder stays as it is
    weights = sorted((again / "runs").rglob("model.safetensors"))
    assert len(weights) == 4 * 2
    before = [p.stat().st_mtime_ns for p in weights]
    result = runner.invoke(
        app, ["study", "digit-pairs", "--digits", "1,2", "--out", str(again), *TINY]
    )
    assert result.exit_code == 0, result.output
    assert [p.stat().st_mtime_ns for p in weights] == before


def test_report_command_redraws_without_recomputing(
    study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import latentatlas.data
    import latentatlas.runs
    import latentatlas.studies.digit_pairs.analyse as recipe

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the report must not recompute metrics, load data or run a model")

    for name in ("silhouette", "seed_variability", "knn_accuracy", "label_reconstruction"):
        monkeypatch.setattr(recipe, name, refuse)
    monkeypatch.setattr(latentatlas.data, "load", refuse)
    monkeypatch.setattr(latentatlas.runs, "load", refuse)
    (study / "report.html").unlink()
    result = runner.invoke(app, ["report", str(study)])
    assert result.exit_code == 0, result.output
    assert (study / "report.html").stat().st_size > 10_000


def test_grid_of_pairs_dimensions_and_activations(tmp_path: Path) -> None:
    # The smallest grid that sweeps all three (2 x 2 x 2 cells); one seed of one epoch each,
    # in this process: what is checked is the grid's shape and its report, not the numbers.
    out = tmp_path / "grid"
    args = ["--pairs", "1-2,4-9", "--latent-dims", "2,3", "--activation", "tanh,relu"]
    args += ["--models", "pca,ae", "--epochs", "1", "--n-per-class", "40", "--seeds", "1"]
    args += ["--jobs", "1", "--quiet"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.invoke(app, ["study", "digit-pairs", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["conditions"]) == 2 * 2 * 2
    relu = metrics["conditions"]["pair-4-9/dim-3/relu"]["silhouette"]
    assert set(relu) == {"original", "ae"}  # pca has no activation: trained once per pair and size
    html = (out / "report.html").read_text()
    for heading in ("All pairs", "Against the latent dimension", "Against the activation"):
        assert heading in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--digits", "1,1"], "--digits lists 1 twice"),
        (["--digits", "1,12"], "0-9"),
        (["--pairs", "1-x"], "--pairs"),
        (["--models", "pca,gan"], "models[1] must be one of pca, linear-ae, ae, dae, got 'gan'"),
        (["--latent-dims", "two"], "--latent-dims"),
        (["--classifier", "svm"], "classifier"),
    ],
)
def test_bad_options_get_one_sentence_and_exit_code_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["study", "digit-pairs", "--out", str(tmp_path / "x"), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x").exists()


def test_report_of_a_folder_that_is_not_a_study_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a study folder" in result.output


def test_other_settings_in_the_same_folder_are_refused(study: Path) -> None:
    result = runner.invoke(
        app, ["study", "digit-pairs", "--out", str(study), "--epochs", "7", *TINY]
    )
    assert result.exit_code == 2
    assert "--force" in result.output


def test_pairs_parsing() -> None:
    assert parse_pairs("all", None)[:2] == ((0, 1), (0, 2))
    assert len(parse_pairs("all", None)) == 45
    assert parse_pairs("", (4, 9)) == ((4, 9),)
    assert (
        DigitPairsConfig.from_dict(DigitPairsConfig.quick().to_dict()) == DigitPairsConfig.quick()
    )


def test_seed_verdict_reads_the_two_spreads() -> None:
    from latentatlas.studies.digit_pairs.report import seed_verdict
    from latentatlas.studies.digit_pairs.results import SeedSpread

    def verdict(relative: float | None, layout: float | None) -> str:
        return seed_verdict("ae", SeedSpread(0.0, relative, layout, None, (), ()))

    assert verdict(0.0, 1e-31) == "The ae gives the same codes for every seed."
    assert "far more than its separation" in verdict(0.05, 0.24)
    assert "vary alike" in verdict(0.04, 0.05)
    assert verdict(None, None) == ""


def test_numbers_are_those_of_the_study_before_the_engine(study: Path) -> None:
    # Written by the pre-engine digit-pairs code (commit 17b64de) with the fixture's command and
    # one torch thread: the port onto the engine must not move a single metric.
    assert reference_differences("digit_pairs", "conditions", study) == []


def test_report_opens_with_a_verdict_per_claim_of_the_source(study: Path) -> None:
    metrics = json.loads((study / "metrics.json").read_text())
    claims = {claim["key"]: claim for claim in metrics["verdicts"]}
    assert list(claims) == [
        "latent_beats_pixels",
        "pca_within_ae_range",
        "dae_no_advantage",
        "tanh_beats_relu",
        "relu_gathers_at_origin",
        "layout_varies",
    ]
    # Two seeds a model: nothing can be supported or contradicted (a test needs 5).
    assert all(
        c["verdict"] in ("indicative", "inconclusive", "not judged") for c in claims.values()
    )
    for key in ("tanh_beats_relu", "relu_gathers_at_origin"):
        assert claims[key]["verdict"] == "not judged"
        assert "--activation tanh,relu" in claims[key]["evidence"]
    # Two seeds make one pair of seeds: too few for the layout claim.
    assert claims["layout_varies"]["verdict"] == "not judged"
    html = (study / "report.html").read_text()
    body = html[html.index("</nav>") :]  # after the table of contents
    assert body.index("claim of the source") < body.index("Procrustes disparity (seeds)")


def test_example_images_are_a_stratified_sample_of_both_digits(study: Path) -> None:
    with np.load(study / "cells" / "pair-1-2" / "dim-2" / "tanh" / "arrays.npz") as arrays:
        labels = arrays["examples/labels"]
        assert len(arrays["examples/original"]) == len(labels) == 10
        assert arrays["examples/ae/seed-0"].shape == arrays["examples/original"].shape
    assert list(labels) == [1] * 5 + [2] * 5  # every digit, five each, grouped by digit


def test_only_the_denoising_model_shows_noisy_inputs(study: Path) -> None:
    with np.load(study / "cells" / "pair-1-2" / "dim-2" / "tanh" / "arrays.npz") as arrays:
        noisy = [key for key in arrays.files if key.startswith("examples/noisy/")]
        assert noisy == ["examples/noisy/dae"]
        assert not np.array_equal(arrays["examples/noisy/dae"], arrays["examples/original"])
    html = (study / "report.html").read_text()
    sections = html.split("<section")[1:]
    noisy_sections = [s for s in sections if "with the noisy training input between" in s]
    assert len(noisy_sections) == 1 and "<h2>Denoising autoencoder</h2>" in noisy_sections[0]


def test_typed_results_load_back_from_the_folder(study: Path) -> None:
    from latentatlas.studies import load
    from latentatlas.studies.digit_pairs import PairResult

    results = load(study)
    result = results.results["pair-1-2/dim-2/tanh"]
    assert isinstance(result, PairResult)
    assert (
        PairResult.from_dict(json.loads(json.dumps(result.to_dict()))).to_dict() == result.to_dict()
    )
    metrics = json.loads((study / "metrics.json").read_text())
    assert result.to_dict() == metrics["conditions"]["pair-1-2/dim-2/tanh"]
    assert results.environment["torch"] and results.environment["cpu_count"] >= 1


def test_a_run_on_another_split_is_refused(study: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(study, copy)
    run = copy / "runs" / "pair-1-2" / "dim-2" / "tanh" / "ae" / "seed-0"
    with np.load(run / "latents.npz") as archive:
        latents = {key: archive[key] for key in archive.files}
    # The embedded MNIST is sorted by label, so another split has the same labels: only the
    # indices tell the two apart.
    latents["validation_indices"] = latents["validation_indices"][::-1].copy()
    np.savez(run / "latents.npz", **latents)
    (run / "manifest.json").unlink()  # as a run written before manifests: only the split differs
    result = runner.invoke(
        app, ["study", "digit-pairs", "--digits", "1,2", "--out", str(copy), *TINY]
    )
    assert result.exit_code == 2
    assert "another train/validation split" in result.output


def test_numbers_do_not_depend_on_the_number_of_jobs(
    study: Path, tmp_path: Path, without_figures: None
) -> None:
    out = tmp_path / "one-job"
    args = ["study", "digit-pairs", "--digits", "1,2", "--out", str(out), "--jobs", "1", *TINY]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    one = json.loads((out / "metrics.json").read_text())["conditions"]
    default = json.loads((study / "metrics.json").read_text())["conditions"]
    assert one == default


def test_manifold_sculpting_joins_as_a_row_with_its_seed_spread(tmp_path: Path) -> None:
    out = tmp_path / "sculpting"
    args = ["study", "digit-pairs", "--out", str(out), "--models", "pca", "--with-sculpting"]
    args += ["--n-per-class", "40", "--seeds", "2", "--epochs", "1", "--quiet"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["silhouette"]["sculpting"]) == 2
    assert len(metrics["knn"]["sculpting"]["accuracy"]) == 2
    assert "sculpting" not in metrics["label_reconstruction"]  # no decoder, no such metric
    assert len(metrics["seed_variability"]["sculpting"]["procrustes_pairs"]) == 1
    html = (out / "report.html").read_text()
    assert "Manifold Sculpting" in html and "fitted on the training and validation" in html
    # Whether each seed's layout settled is kept per cell and reported as a count.
    (cell_arrays,) = (out / "cells").rglob("arrays.npz")
    with np.load(cell_arrays) as arrays:
        settled, steps = arrays["settled/sculpting"], arrays["step/sculpting"]
    assert settled.shape == steps.shape == (2,)
    np.testing.assert_array_equal(settled, steps <= 0.2)
    assert f"Its layout settled in {int(settled.sum())} of 2 seeds" in html


def test_sculpting_on_fewer_images_than_its_default_neighbours_still_analyses(tmp_path):
    # 8 images per digit: 16 in all, fewer than the 21 the default 20 neighbours need.
    from latentatlas.studies import engine

    # PCA alone beside it: the other models' runs do not touch the sculpting row.
    config = DigitPairsConfig.quick(n_per_class=8, seeds=1, models=("pca",), with_sculpting=True)
    engine.run(engine.get("digit-pairs"), config, tmp_path, progress=False, jobs=1)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert len(metrics["silhouette"]["sculpting"]) == 1


def test_a_row_without_a_decoder_gets_no_rings_in_its_scatter() -> None:
    # Manifold Sculpting has no decoder: its scatter must not list "reconstructed as the
    # other digit" in the legend, while a model with a decoder keeps its rings.
    from latentatlas.studies.digit_pairs.report import _marked

    wrong = np.array([True, False, False])
    arrays = {"misreconstructed/ae/seed-0": wrong, "misreconstructed/ae/seed-1": ~wrong}
    arrays["labels"] = np.zeros(3, dtype=int)
    assert _marked(arrays, [("sculpting", 0), ("sculpting", 1)]) is None
    marks = _marked(arrays, [("ae", 0), ("ae", 1), ("sculpting", 0)])
    assert marks is not None and not marks[2].any()  # a row without a decoder beside one with
    np.testing.assert_array_equal(marks[1], ~wrong)


# -- the claims on hand-made results ---------------------------------------------------------------
def _result(silhouettes: dict[str, list[float]], pixels: float = 0.2, **shares: list[float]):
    from latentatlas.results import PerSeed
    from latentatlas.studies.digit_pairs.results import CodeShape, PairResult, SeedSpread

    def spread(values: list[float]) -> SeedSpread:
        relative = float(np.std(values, ddof=1) / np.mean(values))
        n = len(values)
        pairs = tuple(0.2 + 0.01 * i for i in range(n * (n - 1) // 2))
        return SeedSpread(0.0, relative, float(np.mean(pairs)), 0.9, pairs, pairs)

    def shape(model: str, n: int) -> PerSeed:
        share = shares.get(model, [0.01] * n)
        return PerSeed(tuple(range(n)), tuple(CodeShape(s, 0.5, False) for s in share))

    return PairResult(
        original_silhouette=pixels,
        silhouette={m: tuple(v) for m, v in silhouettes.items()},
        seed_variability={m: spread(v) for m, v in silhouettes.items()},
        label_reconstruction={},
        knn={},
        validation_loss={},
        code_shape={m: shape(m, len(v)) for m, v in silhouettes.items()},
        n_train=0,
        n_validation=0,
        failed_runs={},
    )


def _verdicts(config: DigitPairsConfig, results: dict, failing: tuple[str, ...] = ()) -> dict:
    from types import SimpleNamespace

    from latentatlas.results import PerSeed
    from latentatlas.studies import engine
    from latentatlas.studies.digit_pairs import STUDY
    from latentatlas.studies.gates import CellGates

    def gates(result) -> CellGates:
        return CellGates(
            {
                model: PerSeed(
                    tuple(range(len(values))),
                    tuple(
                        SimpleNamespace(
                            passed=not (model in failing and seed == 0),
                            reason="reconstructs no better than the mean image",
                        )
                        for seed in range(len(values))
                    ),
                )
                for model, values in result.silhouette.items()
                if model != "sculpting"  # no decoder, no run folder: no gate
            }
        )

    claims = engine.verdicts(STUDY, config, results, {k: gates(r) for k, r in results.items()})
    return {claim.key: claim for claim in claims}


FIVE = {
    "pca": [0.50] * 5,
    "linear-ae": [0.40, 0.42, 0.44, 0.41, 0.43],
    "ae": [0.50, 0.52, 0.49, 0.51, 0.50],
    "dae": [0.51, 0.49, 0.50, 0.52, 0.50],
}
HEAD = "pair-1-2/dim-2/tanh"


def test_five_seeds_a_model_support_the_claims_they_bear_out() -> None:
    config = DigitPairsConfig(seeds=5)
    claims = _verdicts(config, {HEAD: _result(FIVE)})
    assert claims["latent_beats_pixels"].verdict == "supported"
    assert claims["pca_within_ae_range"].verdict == "supported"
    assert claims["pca_within_ae_range"].p_value < 0.05
    assert "margin ±0.050" in claims["pca_within_ae_range"].evidence
    assert claims["dae_no_advantage"].verdict == "supported"
    assert claims["dae_no_advantage"].margin == pytest.approx(0.05)
    # 5 seeds make 10 pairs, all above the relative spread, yet the pairs share seeds.
    layout = claims["layout_varies"]
    assert (layout.verdict, layout.leaning, layout.seeds) == ("indicative", "supported", 5)
    assert "not independent" in layout.test


def test_pca_outside_the_denoising_range_is_not_as_good_as_both_autoencoders() -> None:
    # The plain autoencoder's seeds straddle PCA, the denoising ones lie well above it.
    seeds = dict(FIVE, dae=[0.70, 0.72, 0.69, 0.71, 0.73])
    claims = _verdicts(DigitPairsConfig(seeds=5), {HEAD: _result(seeds)})
    assert claims["pca_within_ae_range"].verdict == "contradicted"
    assert "denoising autoencoder" in claims["pca_within_ae_range"].evidence
    assert claims["dae_no_advantage"].verdict == "contradicted"


def test_a_model_below_the_pixels_contradicts_the_latent_claim() -> None:
    seeds = dict(FIVE, **{"linear-ae": [0.10, 0.12, 0.11, 0.09, 0.13]})
    claims = _verdicts(DigitPairsConfig(seeds=5), {HEAD: _result(seeds)})
    assert claims["latent_beats_pixels"].verdict == "contradicted"


def test_two_seeds_give_at_most_an_indicative_verdict() -> None:
    two = {model: values[:2] for model, values in FIVE.items()}
    claims = _verdicts(DigitPairsConfig(seeds=2), {HEAD: _result(two)})
    latent = claims["latent_beats_pixels"]
    assert (latent.verdict, latent.leaning, latent.seeds) == ("indicative", "supported", 2)
    assert claims["layout_varies"].verdict == "not judged"  # one pair of seeds


def test_a_model_that_did_not_learn_withholds_every_claim_resting_on_it() -> None:
    claims = _verdicts(DigitPairsConfig(seeds=5), {HEAD: _result(FIVE)}, failing=("dae",))
    for key in ("latent_beats_pixels", "pca_within_ae_range", "dae_no_advantage"):
        assert claims[key].verdict == "not judged"
        assert "dae seed 0" in claims[key].evidence and "did not learn" in claims[key].evidence
    assert claims["layout_varies"].verdict == "indicative"  # rests on the plain AE only


def test_a_missing_model_is_not_judged_with_the_reason() -> None:
    config = DigitPairsConfig(seeds=5, models=("pca", "ae"))
    seeds = {model: FIVE[model] for model in ("pca", "ae")}
    claims = _verdicts(config, {HEAD: _result(seeds)})
    assert claims["latent_beats_pixels"].verdict == "supported"
    for key in ("pca_within_ae_range", "dae_no_advantage"):
        assert claims[key].verdict == "not judged"
        assert "dae model" in claims[key].evidence


def test_the_sculpting_row_joins_the_latent_claim_without_a_gate() -> None:
    config = DigitPairsConfig(seeds=5, models=("pca",), with_sculpting=True)
    seeds = {"pca": FIVE["pca"], "sculpting": [0.30, 0.31, 0.29, 0.32, 0.30]}
    claims = _verdicts(config, {HEAD: _result(seeds)})
    latent = claims["latent_beats_pixels"]
    assert latent.verdict == "supported" and "Manifold Sculpting" in latent.evidence


def test_the_activation_claims_read_the_tanh_and_relu_cells() -> None:
    config = DigitPairsConfig(seeds=5, activations=("tanh", "relu"))
    relu = {"ae": [0.30, 0.32, 0.31, 0.29, 0.33], "dae": [0.3] * 5}
    results = {
        HEAD: _result(FIVE),
        "pair-1-2/dim-2/relu": _result(relu, ae=[0.4, 0.5, 0.45, 0.42, 0.48]),
    }
    claims = _verdicts(config, results)
    assert claims["tanh_beats_relu"].verdict == "supported"
    assert claims["relu_gathers_at_origin"].verdict == "supported"
    failed = _verdicts(config, results, failing=("ae",))
    assert failed["tanh_beats_relu"].verdict == "not judged"
