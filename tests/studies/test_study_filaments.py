"""The filaments study end to end on a tiny sprite set, its claims on hand-made numbers, the CLI."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from _gates import cell_gates
from _reference import reference_differences
from typer.testing import CliRunner

from latentatlas.analysis.density import FilamentScoreResult, filament_score
from latentatlas.errors import InputError
from latentatlas.resources import parameter_count
from latentatlas.studies import engine
from latentatlas.studies.arrays import restore_result, store_result
from latentatlas.studies.claims import VERDICTS
from latentatlas.studies.filaments import STUDY, FilamentsConfig
from latentatlas.studies.filaments.config import SOURCE_FILTERS
from latentatlas.studies.filaments.results import (
    AxisSeeds,
    DecodeSeeds,
    FilamentSeeds,
    FilamentsResult,
    ModelFilaments,
    RadiusSeeds,
    ResourceTable,
    SpectrumSeeds,
)

#: Overrides of --quick small enough for seconds per run (tiny images, 1 epoch, small z).
TINY = {
    "n": 160,
    "epochs": 1,
    "batch_size": 128,  # the settings the reference numbers were written with
    "lr": None,
    "latent_dim": 8,
    "filters": (4, 8, 8, 8),
    "tsne_points": 60,
    "tsne_iterations": 20,
    "id_neighbours": 5,
    "id_queries": 60,
    "decodes": 16,
    "memory_batch_sizes": (2, 4),
    "memory_image_side": 16,
}
CLI_TINY = [
    "--n", "160", "--epochs", "1", "--batch-size", "128", "--lr", "none",
    "--latent-dim", "8", "--filters", "4,8,8,8",
    "--tsne-points", "60", "--tsne-iterations", "20", "--id-neighbours", "5",
    "--id-queries", "60", "--decodes", "16", "--memory-batch-sizes", "2,4",
    "--memory-image-side", "16",
]  # fmt: skip
SEEDS = 2  # the quick setting


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("filaments") / "study"
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # load() finds studies by name: register it here too, whether or not it is yet.
        patch.setitem(engine.STUDIES, "filaments", "latentatlas.studies.filaments:STUDY")
        engine.run(STUDY, FilamentsConfig.quick(**TINY), out, progress=False, jobs=1)
    return out


def _metrics(out: Path) -> dict:
    return json.loads((out / "metrics.json").read_text())


def test_metrics_hold_every_documented_number_with_one_value_per_seed(study: Path) -> None:
    metrics = _metrics(study)
    assert set(metrics["models"]) == {"conv-ae", "conv-vae"}
    for numbers in metrics["models"].values():
        assert len(numbers["axis_density"]["dominant_axes"]) == SEEDS
        assert all(0 <= a < 8 for axes in numbers["axis_density"]["dominant_axes"] for a in axes)
        radius = numbers["radius_density"]
        assert len(radius["peak"]) == len(radius["expected_peak"]) == SEEDS
        assert radius["unit_gaussian_peak"] == pytest.approx(np.sqrt(8))
        score = numbers["filament_score"]
        assert len(score["local_dimension_median"]) == SEEDS
        assert len(score["local_dimension_median_gaussian"]) == SEEDS
        assert all(d > 0 for d in score["local_dimension_median"])
        for key in ("void_fraction", "void_fraction_gaussian"):
            assert len(score[key]) == SEEDS
            assert all(len(v) == len(score["scales"]) == 4 for v in score[key])
            assert all(0.0 <= f <= 1.0 for v in score[key] for f in v)
        for key in ("smallest_dimension", "low_dimension_ratio", "has_voids", "one_dimensional"):
            assert len(score[key]) == SEEDS
        pairs = zip(score["dimension_by_k"], score["ks"], strict=True)
        assert all(len(d) == len(k) > 0 for d, k in pairs)
        assert all(t == pytest.approx(0.04) for t in score["void_threshold"])  # one plane in 8-d
        assert len(radius["null_tolerance"]) == SEEDS and min(radius["null_tolerance"]) > 0
        fractions = numbers["random_decodes"]["meaningful_fraction"]
        assert len(fractions) == SEEDS and all(0.0 <= f <= 1.0 for f in fractions)
        assert numbers["seeds"] == [0, 1]
    assert metrics["cells"]["sprites-rgb"]["n_train"] == 144  # 160 images, 10 % held out
    assert metrics["cells"]["sprites-rgb"]["n_factors"] == 7


def test_every_claim_has_a_valid_verdict_and_its_numbers(study: Path) -> None:
    verdicts = _metrics(study)["verdicts"]
    assert [v["key"] for v in verdicts] == [
        "filaments",
        "nearly_1d",
        "voids",
        "ae_random_decodes",
        "vae_random_decodes",
        "radius_peak",
    ]
    for verdict in verdicts:
        assert verdict["verdict"] in VERDICTS
        assert verdict["evidence"] and verdict["test"]
    by_key = {v["key"]: v for v in verdicts}
    assert "7 generative factors, so a 1-d cloud is not expected" in by_key["nearly_1d"]["evidence"]
    # One epoch of 144 tiny sprites teaches the models nothing: no verdict rests on them.
    gates = _metrics(study)["gates"]["sprites-rgb"]["models"]
    for key, verdict in by_key.items():
        models = ("conv-ae", "conv-vae") if key == "vae_random_decodes" else ("conv-ae",)
        learned = all(all(gates[m]["passed"]) for m in models)
        if not learned and key != "nearly_1d":
            assert verdict["verdict"] == "not judged" and "did not learn" in verdict["evidence"]


def test_resource_table_counts_exactly_and_measures_every_batch(study: Path) -> None:
    table = ResourceTable.from_dict(_metrics(study)["resources"])
    assert [(r.latent_dim, r.bottleneck) for r in table.rows] == [
        (256, None),
        (256, 256),
        (512, None),
        (512, 512),
    ]
    assert table.image_shape == (3, 16, 16) and table.batch_sizes == (2, 4)
    measured = [r for r in table.rows if r.latent_dim == 256]
    for row in measured:
        assert row.seconds_per_batch is not None and min(row.seconds_per_batch) > 0
        saved = row.saved_activations_mib
        assert saved is not None and saved[1] > saved[0]  # activations grow with the batch
        if row.peak_memory_mib is not None:  # Linux: peak resident memory is readable
            assert min(row.peak_memory_mib) > 0
    assert all(r.peak_memory_mib is None for r in table.rows if r.latent_dim == 512)


def test_parameter_counts_are_the_sources_at_96_pixels() -> None:
    """The source: 9.83 million encoder parameters at z = 512, about 4.9 (5.11) million at
    z = 256, 2.88 million with an extra Dense layer of 256."""

    def encoder(z: int, bottleneck: int | None) -> int:
        options = {"filters": SOURCE_FILTERS, "bottleneck": bottleneck}
        return parameter_count("conv-vae", (3, 96, 96), z, **options).encoder

    assert encoder(512, None) == 9_826_624
    assert encoder(256, None) == 5_107_520
    assert encoder(256, 256) == 2_879_552


def test_report_is_self_contained_with_every_section(study: Path) -> None:
    html = (study / "report.html").read_text()
    assert 'src="http' not in html and "data:image/png;base64," in html
    for heading in (
        "Density along each coordinate axis",
        "Density of radii",
        "PCA spectrum",
        "t-SNE map",
        "Projections onto planes",
        "Local intrinsic dimension and voids",
        "Decodes of random codes",
        "Parameters and training memory",
    ):
        assert heading in html
    assert html.count("<figure") >= 8


def test_load_gives_back_the_typed_results(study: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(engine.STUDIES, "filaments", "latentatlas.studies.filaments:STUDY")
        results = engine.load(study)
    result = results.results["sprites-rgb"]
    assert isinstance(result, FilamentsResult)
    assert result.to_dict() == _metrics(study)["cells"]["sprites-rgb"]
    again = FilamentsResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.to_dict() == result.to_dict()
    assert results.claims[0].key == "filaments"


def test_stored_figure_results_come_back_field_by_field() -> None:
    rng = np.random.default_rng(0)
    score = filament_score(rng.normal(size=(200, 12)).astype(np.float32), k=5, n_queries=50)
    arrays: dict[str, np.ndarray] = {}
    store_result(arrays, "m/score", score)
    back = restore_result(arrays, "m/score", FilamentScoreResult)
    np.testing.assert_array_equal(back.data.local_mle, score.data.local_mle)
    np.testing.assert_array_equal(back.void_fraction, score.void_fraction)
    assert back.planes == score.planes and back.scales == score.scales and back.k == score.k
    assert back.to_dict() == score.to_dict()


# -- claims on hand-made numbers ------------------------------------------------------------------
def _model(
    n: int = 5,
    low: bool = True,
    voids: bool = True,
    one_d: bool | None = None,
    meaningful: float = 0.02,
    radius_near: bool = True,
    lenient: bool = False,
    readings: bool = True,
) -> ModelFilaments:
    """One model's numbers over ``n`` seeds, each seed a little apart, every reading as asked."""
    step = tuple(0.01 * i for i in range(n))
    excess = tuple((0.2 if voids else -0.05) + s for s in step)
    expected = tuple(16.0 + s for s in step)
    peak = tuple(e * (1.02 if radius_near else 1.3) for e in expected)
    same = tuple(0.5 for _ in step)
    per_seed = (lambda v: (v,) * n) if readings else (lambda v: ())
    return ModelFilaments(
        seeds=tuple(range(n)),
        figure_seed=0,
        axis_density=AxisSeeds(((0,),) * n, (1,) * n, (2.0,) * n),
        radius_density=RadiusSeeds(
            peak, peak, expected, 16.0, (0.0,) * n, (30.0,) * n, per_seed(0.1)
        ),
        pca_spectrum=SpectrumSeeds((1,) * n, (2.0,) * n, (0.3,) * n),
        filament_score=FilamentSeeds(
            local_dimension_median=(3.0,) * n,
            local_dimension_median_gaussian=(9.0,) * n,
            twonn=(3.0,) * n,
            twonn_gaussian=(9.0,) * n,
            nn_distance_ratio=same,
            planes=((0, 1), (0, 17), (7, 34)),
            scales=(1.0,),
            void_fraction=tuple((0.35 + e,) for e in excess),
            void_fraction_gaussian=((0.3,),) * n,
            void_excess=excess,
            k=20,
            ks=per_seed((5, 10)),
            dimension_by_k=per_seed((3.0, 2.5)),
            dimension_by_k_gaussian=per_seed((9.0, 8.0)),
            smallest_dimension=tuple(2.5 + s for s in step) if readings else (),
            low_dimension_ratio=per_seed(0.3 if low else 1.0),
            is_low_dimensional=per_seed(low),
            void_threshold=per_seed(0.04 / np.sqrt(3)),
            has_voids=per_seed(voids),
            one_dimensional=per_seed(one_d),
        ),
        random_decodes=DecodeSeeds(
            tuple(meaningful + s for s in step),
            same,
            same,
            same,
            (0.05,) * n,
            mean_image_distance=(0.01 if lenient else 0.2,) * n,
            mean_image_meaningful=(lenient,) * n,
        ),
        reconstruction_error=(0.01,) * n,
        tsne_preservation=0.5,
    )


def _result(ae: ModelFilaments | None, vae: ModelFilaments | None, factors: int | None = 7):
    table = ResourceTable((3, 96, 96), (32, 64, 128, 256), (64,), 1, "cpu", 1, "none", ())
    models = {k: v for k, v in (("conv-ae", ae), ("conv-vae", vae)) if v is not None}
    return FilamentsResult("sprites-rgb", (3, 64, 64), 256, 100, models, table, {}, factors)


def _gates(failing: str | None = None) -> dict:
    """Gates of both models over 5 seeds; every seed of ``failing`` reconstructs the mean."""
    return {"sprites-rgb": cell_gates(("conv-ae", "conv-vae"), failing)}


def _claims(result: FilamentsResult, gates: dict | None = None) -> dict:
    config = FilamentsConfig(seeds=5)
    claims = engine.verdicts(STUDY, config, {"sprites-rgb": result}, gates or _gates())
    return {claim.key: claim for claim in claims}


def _verdicts(result: FilamentsResult, gates: dict | None = None) -> dict[str, str]:
    return {key: claim.verdict for key, claim in _claims(result, gates).items()}


SOURCE_VAE = {"low": False, "voids": False, "meaningful": 0.8}


def test_the_sources_picture_over_five_seeds_is_supported() -> None:
    claims = _claims(_result(_model(), _model(**SOURCE_VAE)))
    judged = {k: c.verdict for k, c in claims.items() if k != "nearly_1d"}
    assert judged == dict.fromkeys(judged, "supported") and len(judged) == 5
    assert all(claims[k].seeds == 5 and claims[k].p_value < 0.05 for k in judged)
    # sprites-rgb has seven generative factors: a 1-d cloud is not asked of it
    assert claims["nearly_1d"].verdict == "not judged"
    assert "7 generative factors" in claims["nearly_1d"].evidence
    assert "2.50, 2.51" in claims["nearly_1d"].evidence  # smallest dimension per seed
    assert "tolerance 0.100" in claims["radius_peak"].evidence


def test_two_seeds_only_indicate_the_way_they_lean() -> None:
    claims = _claims(_result(_model(n=2), _model(n=2, **SOURCE_VAE)))
    judged = [c for k, c in claims.items() if k != "nearly_1d"]
    assert {c.verdict for c in judged} == {"indicative"}
    assert {c.leaning for c in judged} == {"supported"}


def test_a_gaussian_like_autoencoder_is_contradicted() -> None:
    gaussian_like = _model(low=False, voids=False, meaningful=0.9, radius_near=False)
    verdicts = _verdicts(_result(gaussian_like, _model(**{**SOURCE_VAE, "meaningful": 0.3})))
    assert {k: v for k, v in verdicts.items() if k != "nearly_1d"} == {
        "filaments": "contradicted",
        "voids": "contradicted",
        "ae_random_decodes": "contradicted",
        "vae_random_decodes": "contradicted",
        "radius_peak": "contradicted",
    }


def test_structure_needs_both_low_dimension_and_voids_on_every_seed() -> None:
    # a smooth 4-d manifold: low-dimensional, no voids -> the conjunction fails
    assert _verdicts(_result(_model(voids=False), None))["filaments"] == "contradicted"
    # blobs: voids without low dimension
    assert _verdicts(_result(_model(low=False), None))["filaments"] == "contradicted"
    assert _verdicts(_result(_model(low=False), None))["voids"] == "supported"


def test_nearly_1d_is_judged_only_for_data_with_one_factor() -> None:
    def nearly(one_d, factors=1):
        return _claims(_result(_model(one_d=one_d), None, factors))["nearly_1d"]

    assert nearly(True).verdict == "supported"
    assert nearly(False).verdict == "contradicted"
    assert nearly(None).verdict == "inconclusive"  # undecided seeds count for neither side
    unknown = nearly(True, factors=None)
    assert unknown.verdict == "not judged" and "declares no generative factors" in unknown.evidence


def test_decode_claims_are_not_judged_where_the_mean_image_would_count_as_meaningful() -> None:
    lenient_vae = _claims(_result(_model(), _model(**SOURCE_VAE, lenient=True)))
    assert lenient_vae["vae_random_decodes"].verdict == "not judged"
    assert "the VAE's in 5 of 5 seeds" in lenient_vae["vae_random_decodes"].evidence
    # Few meaningful decodes stay "nonsense" under a lenient criterion: it only makes them rarer.
    assert _verdicts(_result(_model(lenient=True), None))["ae_random_decodes"] == "supported"
    many = _verdicts(_result(_model(meaningful=0.9, lenient=True), None))
    assert many["ae_random_decodes"] == "not judged"
    assert _verdicts(_result(_model(meaningful=0.9), None))["ae_random_decodes"] == "contradicted"


def test_a_model_below_the_gate_or_missing_leaves_its_claims_not_judged() -> None:
    result = _result(_model(), _model(**SOURCE_VAE))
    failed_ae = _claims(result, _gates(failing="conv-ae"))
    assert {c.verdict for c in failed_ae.values()} == {"not judged"}
    assert all("conv-ae seed 0" in c.evidence for k, c in failed_ae.items() if k != "nearly_1d")
    failed_vae = _verdicts(result, _gates(failing="conv-vae"))
    assert failed_vae["vae_random_decodes"] == "not judged"
    assert failed_vae["filaments"] == "supported"  # rests on the autoencoder alone
    only_vae = _claims(_result(None, _model(**SOURCE_VAE)))
    assert {c.verdict for c in only_vae.values()} == {"not judged"}
    assert "conv-ae model" in only_vae["filaments"].evidence


def test_results_written_before_the_calibrated_readings_are_not_judged_on_them() -> None:
    claims = _claims(_result(_model(readings=False), _model(**SOURCE_VAE, readings=False)))
    for key in ("filaments", "nearly_1d", "voids", "radius_peak"):
        assert claims[key].verdict == "not judged"
        assert "run the study again" in claims[key].evidence
    assert claims["ae_random_decodes"].verdict == "supported"


# -- settings -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"dataset": "celeba"}, "dataset must be one of"),
        ({"dataset": "images"}, "needs --path"),
        ({"path": "/tmp"}, "only for --dataset images"),
        ({"models": ("conv-ae", "ae")}, r"models\[1\] must be one of conv-ae, conv-vae"),
        ({"filters": (8, 16)}, "filters takes exactly 4 values, got 2"),
        ({"seeds": 0}, "seeds must be an integer from 1 to 1,000"),
        ({"memory_batch_sizes": ()}, "memory_batch_sizes is empty"),
        ({"perplexity": -1.0}, "perplexity must be a number above 0"),
    ],
)
def test_bad_settings_are_refused_with_a_sentence(settings: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        FilamentsConfig(**settings)


# -- the command line -----------------------------------------------------------------------------
def test_cli_runs_the_quick_study_with_overrides(
    study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command with --quick and the tiny overrides plans exactly the fixture's runs: it
    reuses them (a run trained with other settings would be refused) and writes the report,
    a bare page here: drawing the figures is most of the time, and the fixture drew them."""
    if "filaments" not in engine.STUDIES:
        pytest.skip("the study is not registered yet")
    from latentatlas.cli import app
    from latentatlas.report import Report
    from latentatlas.studies.filaments.study import FilamentsStudy

    monkeypatch.setattr(FilamentsStudy, "report", lambda self, results: Report("Filaments"))

    out = tmp_path / "again"
    shutil.copytree(study, out)
    (out / "report.html").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = CliRunner().invoke(
            app, ["study", "filaments", "--quick", *CLI_TINY, "--out", str(out), "--quiet"]
        )
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    assert _metrics(out)["models"] == _metrics(study)["models"]


def test_cli_refuses_a_bad_option_before_writing(tmp_path: Path) -> None:
    if "filaments" not in engine.STUDIES:
        pytest.skip("the study is not registered yet")
    from latentatlas.cli import app

    out = tmp_path / "never"
    result = CliRunner().invoke(
        app, ["study", "filaments", "--quick", "--dataset", "celeba", "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "dataset must be one of" in result.output
    assert not out.exists()


def test_the_explorer_shows_each_models_stored_tsne_map(study: Path) -> None:
    from latentatlas.explorer.catalogue import Catalogue

    catalogue = Catalogue(study)
    with_maps = [name for name in catalogue.entries if "tsne" in catalogue.maps.get(name, {})]
    models = {catalogue.entry(name).model for name in with_maps}
    assert models == set(_metrics(study)["cells"]["sprites-rgb"]["models"])  # first seeds
    assert len(with_maps) == len(models)
    cell = np.load(study / "cells" / "sprites-rgb" / "arrays.npz")
    for name in with_maps:
        run = catalogue.run(name)
        embedding, rows = run.stored_map("tsne")
        model = run.entry.model
        np.testing.assert_array_equal(embedding, cell[f"{model}/tsne/embedding"])
        # the map's points are the run's own training rows, named by their data set index
        assert np.isin(run.indices[rows], run.indices[run.split == 1]).all()
        assert len(np.unique(run.indices[rows])) == len(rows)


def test_numbers_are_those_of_the_study_before_the_engine_redesign(study: Path) -> None:
    # data/filaments_tiny_reference.json was written at commit 59ed5a4 with this module's TINY
    # settings: moving the study onto shared engine stages must not move a single metric.
    assert reference_differences("filaments", "cells", study) == []
