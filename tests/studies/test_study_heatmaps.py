"""The heatmaps study end to end through the CLI on a reduced grid; its claims on hand-made results.

One study run serves every end-to-end test (it is the slow part: training is tiny, but the report
draws some forty figures), so the CLI run is also the engine's end-to-end test.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from _reference import reference_differences
from scipy.stats import spearmanr
from typer.testing import CliRunner

from latentatlas.analysis.paths import PathDecoding
from latentatlas.cli import app
from latentatlas.errors import InputError
from latentatlas.studies import engine
from latentatlas.studies.heatmaps import STUDY, HeatmapsConfig, HeatmapsResult, ModelScores
from latentatlas.studies.heatmaps.study import (
    PATH_NAMES,
    DecodeScores,
    HullScores,
    KnnScores,
    PathScores,
    ReconstructionScores,
    path_arrays,
    path_from_arrays,
)

runner = CliRunner()
#: The reduced grid: both data sets, both models, two seeds, tiny image count and widths.
TINY = {"seeds": 2, "epochs": 1, "subsample": 300, "filters": (4, 4, 4, 4), "device": "cpu"}
TINY_ARGS = ["--quick", "--seeds", "2", "--epochs", "1", "--subsample", "300"]
TINY_ARGS += ["--filters", "4,4,4,4", "--device", "cpu", "--jobs", "1", "--quiet"]
VERDICTS = {"supported", "contradicted", "inconclusive"}
CLAIM_KEYS = [
    "ae_better_on_average",
    "ae_heavier_tail",
    "ae_sparser",
    "ae_decodes_empty_worse",
    "vae_directions_monotone",
    "dof_kept",
    "knn_similar",
]


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("the report must not load data or run a model")


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import latentatlas.data
    import latentatlas.runs
    from latentatlas.studies.heatmaps.study import HeatmapsStudy

    out = tmp_path_factory.mktemp("study") / "heatmaps"
    draw = HeatmapsStudy.report

    def guarded_report(self: HeatmapsStudy, results: object) -> object:
        # The report is drawn from stored results only: loading data or a run here fails.
        with pytest.MonkeyPatch.context() as inside:
            inside.setattr(latentatlas.data, "load", _refuse)
            inside.setattr(latentatlas.runs, "load", _refuse)
            return draw(self, results)

    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        patch.setattr(HeatmapsStudy, "report", guarded_report)
        warnings.simplefilter("ignore")
        result = runner.invoke(app, ["study", "heatmaps", "--out", str(out), *TINY_ARGS])
    assert result.exit_code == 0, result.output
    return out


def _metrics(out: Path) -> dict:
    return json.loads((out / "metrics.json").read_text())


def test_metrics_have_every_documented_key_with_one_value_per_seed(study: Path) -> None:
    metrics = _metrics(study)
    assert set(metrics["datasets"]) == {"heatmaps", "heatmaps-t"}
    for dataset, factors in (
        ("heatmaps", {"var_x", "var_y", "corr", "var_x - var_y"}),
        ("heatmaps-t", {"var_x", "var_y", "corr", "dof", "var_x - var_y"}),
    ):
        cell = metrics["datasets"][dataset]
        assert set(cell["models"]) == {"conv-vae", "conv-ae"}
        for scores in cell["models"].values():
            assert scores["seeds"] == [0, 1]
            assert set(scores["factor_r2"]) == factors
            assert all(len(v) == 2 for v in scores["factor_r2"].values())
            assert len(scores["reconstruction"]["median"]) == 2
            assert len(scores["reconstruction"]["p99"]) == 2
            assert all(
                p >= m
                for p, m in zip(
                    scores["reconstruction"]["p99"], scores["reconstruction"]["median"], strict=True
                )
            )
            assert len(scores["hull"]["occupied_fraction"]) == 2
            assert set(scores["paths"]) == set(PATH_NAMES)
            assert all(len(p["max_offmanifold"]) == 2 for p in scores["paths"].values())
            if dataset == "heatmaps":
                assert scores["knn"] is None  # no labels on the three-factor data
            else:
                assert len(scores["knn"]["accuracy"]) == len(scores["knn"]["f1"]) == 2
                assert all(0.0 <= a <= 1.0 for a in scores["knn"]["accuracy"])
    # The headline cell is also at the top level.
    assert metrics["models"] == metrics["datasets"]["heatmaps"]["models"]


def test_reconstruction_errors_are_those_of_the_stored_model(study: Path) -> None:
    from latentatlas import data, runs
    from latentatlas.models import reconstruct_array

    run = runs.load(study / "runs" / "heatmaps" / "conv-ae" / "seed-0")
    dataset = data.load("heatmaps", subsample=300)
    _, validation = dataset.split(0, 0.2)
    x = dataset.x[validation]
    frobenius = np.sqrt(((reconstruct_array(run.model, x) - x) ** 2).reshape(len(x), -1).sum(1))
    scores = _metrics(study)["datasets"]["heatmaps"]["models"]["conv-ae"]
    assert scores["reconstruction"]["median"][0] == pytest.approx(np.median(frobenius), rel=1e-5)
    with np.load(study / "cells" / "heatmaps" / "arrays.npz") as arrays:
        np.testing.assert_allclose(arrays["conv-ae/errors"], frobenius, rtol=1e-5)


def test_report_is_self_contained_with_the_3d_views_and_every_path(study: Path) -> None:
    html = (study / "report.html").read_text()
    # plotly.js mentions web addresses in its code; the page itself loads nothing.
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    assert not re.search(r"""(src|href)=["']https?://""", markup)
    assert not re.search(r"<script[^>]+src=", html)
    assert html.count("Plotly.newPlot") == 4  # one 3-d view per model and data set
    assert html.count('define("plotly"') + html.count("plotly.js v") <= 2  # inlined once
    notes = _metrics(study)["datasets"]["heatmaps"]["notes"]
    for model, title in (("conv-vae", "VAE"), ("conv-ae", "AE")):
        for name in PATH_NAMES:
            # On 60 validation codes a path may not be makeable; the note then says why.
            drawn = f"Path &#39;{name}&#39; ({title})" in html
            key = "planes" if name.endswith("-plane") else name
            assert drawn != (f"{model}/seed-0/paths/{key}" in notes), (model, name)
    # Only the isovariance strip runs short of codes here (7 of 60 have var_x close to var_y).
    assert all(key.endswith("/paths/isovariance") for key in notes)
    assert "Error histograms, AE and VAE overlaid" in html
    body = html[html.index("</nav>") :]
    assert body.index("claim of the source") < body.index("hull occupied")


def test_claims_come_with_valid_verdicts_and_their_numbers(study: Path) -> None:
    verdicts = _metrics(study)["verdicts"]
    assert [c["key"] for c in verdicts] == CLAIM_KEYS
    assert all(c["verdict"] in VERDICTS for c in verdicts)
    assert all("n=2" in c["evidence"] for c in verdicts if c["key"].startswith("ae_"))
    assert all("2 seed(s) per group: indicative only" in c["test"] for c in verdicts[:4])


def test_typed_results_load_back_from_the_folder(study: Path) -> None:
    results = engine.load(study)
    result = results.results["heatmaps-t"]
    assert isinstance(result, HeatmapsResult)
    assert isinstance(result.models["conv-vae"], ModelScores)
    document = json.loads(json.dumps(result.to_dict()))
    assert HeatmapsResult.from_dict(document).to_dict() == result.to_dict()
    assert result.to_dict() == _metrics(study)["datasets"]["heatmaps-t"]
    assert results.config == HeatmapsConfig.quick(**TINY)


# -- claims on hand-made results ------------------------------------------------------------------
def _scores(
    median: tuple[float, ...] = (1.0, 1.1, 1.2),
    tail: tuple[float, ...] = (2.0, 2.1, 2.2),
    occupied: tuple[float, ...] = (0.8, 0.82, 0.84),
    off_data: tuple[float, ...] = (1.5, 1.6, 1.7),
    monotone: tuple[float, ...] = (0.95, 0.97, 0.99),
    accuracy: tuple[float, ...] | None = None,
) -> ModelScores:
    nan3 = (np.nan,) * 3
    path = PathScores(nan3, nan3, (2.0, 2.0, 2.0), nan3, ("", "", ""))
    return ModelScores(
        seeds=(0, 1, 2),
        factor_r2={"corr": (0.9, 0.9, 0.9)},
        factor_linear_r2={"corr": (0.8, 0.8, 0.8)},
        reconstruction=ReconstructionScores(median, median, median, tail, nan3),
        hull=HullScores(occupied, nan3, nan3, nan3, nan3),
        decodes=DecodeScores(nan3, off_data, nan3),
        paths={name: path for name in PATH_NAMES},
        directions_monotonicity=monotone,
        knn=None if accuracy is None else KnnScores(accuracy, accuracy, (1, 1, 1)),
        validation_loss=(1.0, 1.0, 1.0),
    )


def _result(ae: ModelScores, vae: ModelScores, dataset: str = "heatmaps") -> HeatmapsResult:
    return HeatmapsResult(
        dataset=dataset,
        factor_names=("var_x", "var_y", "corr"),
        models={"conv-vae": vae, "conv-ae": ae},
        reader_r2={"corr": 0.99},
        baseline_image_distance=0.6,
        knn_chance=0.5 if dataset == "heatmaps-t" else None,
        n_train=80,
        n_validation=20,
        notes={},
        failed_runs={},
    )


def _verdicts(ae: ModelScores, vae: ModelScores) -> dict[str, str]:
    config = HeatmapsConfig(seeds=3)
    results = {"heatmaps": _result(ae, vae), "heatmaps-t": _result(ae, vae, "heatmaps-t")}
    return {claim.key: claim.verdict for claim in STUDY.claims(config, results)}


def test_the_sources_comparison_is_supported_when_the_numbers_say_so() -> None:
    vae = _scores(accuracy=(0.90, 0.91, 0.92))
    ae = _scores(
        median=(0.5, 0.6, 0.7),
        tail=(3.0, 3.1, 3.2),
        occupied=(0.3, 0.35, 0.4),
        off_data=(2.5, 2.6, 2.7),
        monotone=(0.5, 0.6, 0.7),
        accuracy=(0.905, 0.91, 0.915),
    )
    assert set(_verdicts(ae, vae).values()) == {"supported"}


def test_the_sources_comparison_is_contradicted_when_the_models_swap() -> None:
    vae = _scores(monotone=(0.4, 0.5, 0.6), accuracy=(0.4, 0.45, 0.49))
    ae = _scores(
        median=(2.0, 2.1, 2.2),
        tail=(1.0, 1.1, 1.2),
        occupied=(0.9, 0.92, 0.94),
        off_data=(0.5, 0.6, 0.7),
        accuracy=(0.2, 0.25, 0.3),
    )
    assert set(_verdicts(ae, vae).values()) == {"contradicted"}


def test_overlapping_seeds_are_inconclusive_and_missing_models_not_measured() -> None:
    same = _scores(monotone=(0.8, 0.9, 0.95), accuracy=(0.5, 0.6, 0.7))
    verdicts = _verdicts(same, same)
    assert verdicts["ae_better_on_average"] == "inconclusive"
    assert verdicts["vae_directions_monotone"] == "inconclusive"
    assert verdicts["dof_kept"] == "inconclusive"
    only_vae = _result(same, same)
    only_vae.models.pop("conv-ae")
    claims = STUDY.claims(HeatmapsConfig(datasets=("heatmaps",)), {"heatmaps": only_vae})
    measured = {c.key: c for c in claims}
    assert measured["ae_sparser"].evidence.startswith("Not measured")
    assert "heatmaps-t" in measured["knn_similar"].evidence


# -- pieces -------------------------------------------------------------------------------------
def _decoding(readings: np.ndarray, span: dict[str, float]) -> PathDecoding:
    points = np.column_stack([np.linspace(0.0, 1.0, len(readings)), np.zeros((len(readings), 2))])
    return PathDecoding(
        points=points,
        images=np.zeros((len(readings), 1, 4, 4), np.float32),
        offmanifold=np.zeros(len(readings)),
        max_offmanifold=0.0,
        mean_offmanifold=0.0,
        length=1.0,
        factor_names=("var_x", "corr", "dof"),
        factors=readings,
        factor_span=span,
    )


def test_monotonicity_is_spearman_of_a_factor_the_path_changes() -> None:
    from latentatlas.studies.heatmaps.analyse import monotonicity_of

    steps = np.linspace(0.0, 1.0, 9)
    wobble = np.array([0.0, 0.3, -0.2, 0.1, 0.4, -0.1, 0.2, 0.0, 0.3]) * 1e-3
    readings = np.column_stack([np.sin(np.pi * steps), steps**3, steps])
    continuous = frozenset({"var_x", "corr"})
    span = {"var_x": 1.0, "corr": 1.0, "dof": 1.0}
    assert monotonicity_of(_decoding(readings, span), continuous) == (1.0, "corr")
    # A factor read as a tiny wobble is not "changed", however monotone its ranks.
    flat = np.column_stack([1.0 + steps * 1e-4, wobble, steps])
    assert monotonicity_of(
        _decoding(flat, {"var_x": 1e-4, "corr": 1e-3, "dof": 1.0}), continuous
    ) == (0.0, "none")
    # Readings clipped at a factor's floor tie; float noise must not break the ties.
    falling = np.r_[np.linspace(3.0, 0.2, 11), np.full(5, 0.1)]
    noise = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 53, 9, 9]) * 1e-17
    tied = np.column_stack([falling, falling, np.linspace(0, 1, 16)])
    noisy = tied + np.column_stack([noise, -noise, np.zeros(16)])
    span16 = {"var_x": 1.0, "corr": 1.0, "dof": 1.0}
    exact = monotonicity_of(_decoding(tied, span16), continuous)
    assert exact[0] == pytest.approx(abs(spearmanr(np.arange(16), falling).statistic))
    assert monotonicity_of(_decoding(noisy, span16), continuous) == exact
    # (without the tie rule the noise would have decided: |rho| of the noisy readings differs)
    assert abs(spearmanr(np.arange(16), noisy[:, 0]).statistic) != pytest.approx(exact[0])
    # Up then down symmetrically: no rank correlation with the position.
    hump = np.column_stack([np.abs(steps - 0.5), np.abs(steps - 0.5), steps])
    rho, name = monotonicity_of(_decoding(hump, span), continuous)
    assert rho == pytest.approx(0.0, abs=1e-12) and name == "none"


def test_stored_paths_round_trip() -> None:
    decoding = _decoding(np.ones((5, 3)), {"var_x": 0.0, "corr": 0.5, "dof": 0.25})
    arrays = path_arrays("m/paths/p", decoding)
    back = path_from_arrays(arrays, "m/paths/p")
    assert back.to_dict() == decoding.to_dict()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"datasets": ("heatmaps", "mnist")}, r"datasets\[1\] must be one of"),
        ({"datasets": ("heatmaps", "heatmaps")}, "twice"),
        ({"models": ("conv-vae", "ae")}, r"models\[1\] must be one of"),
        ({"subsample": 50}, "subsample"),
        ({"subsample": 20_000}, "11,875"),
        ({"filters": (32, 0)}, "filters"),
        ({"lr": -1.0}, "lr"),
        ({"reader": "svm"}, "reader"),
        ({"seeds": 0}, "seeds"),
    ],
)
def test_bad_settings_raise_one_sentence(settings: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        HeatmapsConfig(**settings)


def test_settings_round_trip_and_quick() -> None:
    quick = HeatmapsConfig.quick()
    assert HeatmapsConfig.from_dict(json.loads(json.dumps(quick.to_dict()))) == quick
    assert quick.subsample == 2000 and quick.seeds == 2
    cells = STUDY.cells(quick)
    assert [cell.key for cell in cells] == ["heatmaps", "heatmaps-t"]
    assert len(cells[0].runs) == 2 * 2
    config, folder = cells[1].runs[-1]
    assert folder == "runs/heatmaps-t/conv-ae/seed-1"
    assert config.model.latent_dim == 3 and config.train.validation_fraction == 0.2
    assert config.model.options == {"filters": [16, 32, 64, 128]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--datasets", "heatmaps,mnist"], "must be one of heatmaps, heatmaps-t, got 'mnist'"),
        (["--models", "conv-vae,gan"], "must be one of conv-vae, conv-ae, got 'gan'"),
        (["--filters", "16,x"], "--filters"),
        (["--subsample", "10"], "subsample"),
        (["--reader", "svm"], "reader"),
    ],
)
def test_bad_options_get_one_sentence_and_exit_code_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["study", "heatmaps", "--out", str(tmp_path / "x"), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x").exists()


def test_the_study_is_listed_with_its_question() -> None:
    result = runner.invoke(app, ["study", "heatmaps", "--help"])
    assert result.exit_code == 0
    for flag in ("--datasets", "--filters", "--subsample", "--reader", "--quick"):
        assert flag in result.output


def test_worst_images_figure_titles_each_column_and_checks_lengths() -> None:
    from latentatlas.plots.geometry import worst_images_figure

    originals = np.zeros((3, 1, 4, 4), dtype=np.float32)
    fig = worst_images_figure(
        originals, originals + 0.5, np.array([7, 2, 5]), np.array([3, 2, 1.5])
    )
    assert [ax.get_title() for ax in fig.axes[:3]] == ["#7: 3", "#2: 2", "#5: 1.5"]
    with pytest.raises(InputError, match="one entry per image"):
        worst_images_figure(originals, originals[:2], np.arange(3), np.ones(3))


def test_numbers_are_those_of_the_study_before_the_engine_redesign(study: Path) -> None:
    # data/heatmaps_tiny_reference.json was written at commit 59ed5a4 with this module's TINY
    # settings: moving the study onto shared engine stages must not move a single metric.
    assert reference_differences("heatmaps", "datasets", study) == []
