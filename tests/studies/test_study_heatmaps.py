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
from _gates import cell_gates
from _reference import reference_differences
from typer.testing import CliRunner

from latentatlas.cli import app
from latentatlas.errors import InputError
from latentatlas.studies import engine
from latentatlas.studies.heatmaps import STUDY, HeatmapsConfig, HeatmapsResult, ModelScores
from latentatlas.studies.heatmaps.results import (
    PATH_NAMES,
    DecodeScores,
    HullScores,
    KnnScores,
    PathScores,
    ReconstructionScores,
)
from latentatlas.studies.heatmaps.study import KNN_MARGIN

runner = CliRunner()
#: The reduced grid: both data sets, both models, two seeds, tiny image count and widths.
TINY = {"seeds": 2, "epochs": 1, "subsample": 300, "filters": (4, 4, 4, 4), "device": "cpu"}
TINY_ARGS = ["--quick", "--seeds", "2", "--epochs", "1", "--subsample", "300"]
TINY_ARGS += ["--filters", "4,4,4,4", "--device", "cpu", "--jobs", "1", "--quiet"]
VERDICTS = {"supported", "contradicted", "indicative", "inconclusive", "not judged"}
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
            assert len(scores["random_monotonicity"]) == 2
            assert all(0.0 <= v <= 1.0 for v in scores["random_monotonicity"])
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
    # Two seeds never give supported or contradicted; each claim names its seeds and its test.
    assert not {c["verdict"] for c in verdicts} & {"supported", "contradicted"}
    judged = [c for c in verdicts if c["verdict"] != "not judged"]
    assert all(c["seeds"] == 2 and "n=2" in c["evidence"] for c in judged)
    assert all("need at least 5" in c["test"] for c in judged)
    # A tiny model that failed the gate withholds exactly the claims resting on it.
    gates = _metrics(study)["gates"]
    for claim in verdicts:
        cell = "heatmaps-t" if claim["key"] in ("dof_kept", "knn_similar") else "heatmaps"
        failed = any(not g for m in gates[cell]["models"].values() for g in m["passed"])
        assert (claim["verdict"] == "not judged") == failed, claim


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
    n: int = 5,
    median: float = 1.0,
    tail: float = 2.0,
    occupied: float = 0.8,
    off_data: float = 1.5,
    monotone: float = 0.95,
    random: float = 0.5,
    accuracy: float = 0.9,
) -> ModelScores:
    """One model's scores over ``n`` seeds, each number spread by 0.001 per seed."""

    def spread(value: float) -> tuple[float, ...]:
        return tuple(value + 0.001 * k for k in range(n))

    nan = (np.nan,) * n
    path = PathScores(nan, nan, (2.0,) * n, nan, ("",) * n)
    return ModelScores(
        seeds=tuple(range(n)),
        factor_r2={"corr": (0.9,) * n},
        factor_linear_r2={"corr": (0.8,) * n},
        reconstruction=ReconstructionScores(
            spread(median), spread(median), spread(median), spread(tail), nan
        ),
        hull=HullScores(spread(occupied), nan, nan, nan, nan),
        decodes=DecodeScores(nan, spread(off_data), nan),
        paths={name: path for name in PATH_NAMES},
        directions_monotonicity=spread(monotone),
        knn=KnnScores(spread(accuracy), spread(accuracy), (1,) * n),
        validation_loss=(1.0,) * n,
        random_monotonicity=spread(random),
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


def _gates(failing: str | None = None) -> dict:
    """Gates of both models over 5 seeds; every seed of ``failing`` reconstructs the mean."""
    gates = cell_gates(("conv-ae", "conv-vae"), failing)
    return {"heatmaps": gates, "heatmaps-t": gates}


def _claims(ae: ModelScores, vae: ModelScores, gates: dict | None = None) -> dict:
    config = HeatmapsConfig(seeds=ae.seeds[-1] + 1)
    results = {"heatmaps": _result(ae, vae), "heatmaps-t": _result(ae, vae, "heatmaps-t")}
    claims = engine.verdicts(STUDY, config, results, _gates() if gates is None else gates)
    return {claim.key: claim for claim in claims}


def _verdicts(ae: ModelScores, vae: ModelScores, gates: dict | None = None) -> dict[str, str]:
    return {key: claim.verdict for key, claim in _claims(ae, vae, gates).items()}


#: The source's findings: the AE better on average but heavy tailed, sparser, worse in empty
#: regions, its directions less monotone; both keep dof, with alike k-NN scores.
SOURCE_AE = {"median": 0.5, "tail": 3.0, "occupied": 0.3, "off_data": 2.5, "monotone": 0.6}
SOURCE_AE |= {"accuracy": 0.9005}


def test_the_sources_findings_over_five_separated_seeds_are_supported() -> None:
    claims = _claims(_scores(**SOURCE_AE), _scores())
    assert {key: c.verdict for key, c in claims.items()} == dict.fromkeys(CLAIM_KEYS, "supported")
    assert all(c.seeds == 5 and c.p_value is not None and c.p_value < 0.05 for c in claims.values())
    margin = f"margin ±{KNN_MARGIN:.3f}"  # calibrated (docs/analyses/calibration.md): 0.030
    assert claims["knn_similar"].evidence.count(margin) == 2  # accuracy and F1
    assert "random directions" in claims["vae_directions_monotone"].evidence


def test_two_seeds_only_indicate_the_way_they_lean() -> None:
    claims = _claims(_scores(n=2, **SOURCE_AE), _scores(n=2))
    assert {c.verdict for c in claims.values()} == {"indicative"}
    assert {c.leaning for c in claims.values()} == {"supported"}
    assert all("n=2" in c.evidence for c in claims.values())


def test_the_sources_comparison_is_contradicted_when_the_models_swap() -> None:
    vae = _scores(monotone=0.4, random=0.9, accuracy=0.45)
    ae = _scores(median=2.0, tail=1.0, occupied=0.9, off_data=0.5, monotone=0.95, accuracy=0.2)
    assert set(_verdicts(ae, vae).values()) == {"contradicted"}


def test_directions_must_beat_random_directions_as_well_as_the_ae() -> None:
    # The reviewer's case: the AE's directions are as monotone as the VAE's (0.967).
    same = _verdicts(_scores(monotone=0.967), _scores(monotone=0.967))
    assert same["vae_directions_monotone"] == "inconclusive"
    # Beating the AE is not enough when random lines through the codes are as monotone.
    random_too = _verdicts(_scores(monotone=0.6), _scores(monotone=0.95, random=0.95))
    assert random_too["vae_directions_monotone"] == "inconclusive"


def test_directions_are_judged_seed_by_seed_against_their_own_random_lines() -> None:
    from dataclasses import replace

    # Seeds differ widely, but every seed's directions beat its own decoder's random lines by
    # 0.02-0.04: paired, that is five of five (p = 1/32); as two groups it would be lost.
    random = (0.60, 0.95, 0.70, 0.85, 0.75)
    lift = (0.02, 0.03, 0.04, 0.02, 0.03)
    directions = tuple(r + d for r, d in zip(random, lift, strict=True))
    vae = replace(_scores(), directions_monotonicity=directions, random_monotonicity=random)
    claim = _claims(_scores(monotone=0.3), vae)["vae_directions_monotone"]
    assert claim.verdict == "supported"
    assert claim.p_value == pytest.approx(1 / 32)  # the larger part's p: the paired one
    assert "mean paired difference 0.028" in claim.evidence
    assert "sign-flip" in claim.test and "drawn afresh for each seed" in claim.evidence
    # One seed whose directions fall below its random lines: no longer five of five.
    worse = replace(vae, directions_monotonicity=(0.5, *directions[1:]))
    assert _verdicts(_scores(monotone=0.3), worse)["vae_directions_monotone"] == "inconclusive"


def test_alike_knn_scores_need_the_difference_inside_the_margin() -> None:
    from latentatlas.studies.heatmaps.study import KNN_MARGIN

    # Means 0.005 apart, the seeds not even overlapping: alike, since 0.005 is inside the margin.
    inside = _verdicts(_scores(accuracy=0.9), _scores(accuracy=0.9 + KNN_MARGIN * 0.25))
    assert inside["knn_similar"] == "supported"
    # Means 0.05 apart: not alike, whatever the overlap rule would have said.
    outside = _verdicts(_scores(accuracy=0.85), _scores(accuracy=0.85 + 0.05))
    assert outside["knn_similar"] == "contradicted"


def test_a_model_below_the_gate_or_missing_leaves_its_claims_not_judged() -> None:
    claims = _claims(_scores(**SOURCE_AE), _scores(), gates=_gates(failing="conv-ae"))
    assert {c.verdict for c in claims.values()} == {"not judged"}
    assert all("conv-ae seed 0" in c.evidence for c in claims.values())
    only_vae = _result(_scores(), _scores())
    only_vae.models.pop("conv-ae")
    config = HeatmapsConfig(datasets=("heatmaps",), seeds=5)
    judged = {c.key: c for c in engine.verdicts(STUDY, config, {"heatmaps": only_vae}, {})}
    assert {c.verdict for c in judged.values()} == {"not judged"}
    assert "conv-ae model" in judged["ae_sparser"].evidence
    assert "heatmaps-t data set" in judged["knn_similar"].evidence


# -- pieces -------------------------------------------------------------------------------------
def test_baseline_heatmaps_cover_every_factor_bin_not_the_first_rows() -> None:
    from latentatlas.data import load
    from latentatlas.studies.heatmaps.analyse import BASELINE_IMAGES, baseline_rows

    dataset = load("heatmaps")
    _, validation = dataset.split(0, 0.2)
    factors = np.asarray(dataset.factors[validation])
    rows = baseline_rows(factors)
    assert len(rows) == BASELINE_IMAGES < len(validation)
    for column in range(factors.shape[1]):  # every quartile of every factor, in like shares
        edges = np.quantile(factors[:, column], [0.25, 0.5, 0.75])
        shares = np.bincount(np.digitize(factors[rows, column], edges), minlength=4) / len(rows)
        assert shares.min() > 0.15, (column, shares)
    first = factors[:BASELINE_IMAGES, 0]  # what the first rows would have been: small var_x
    assert first.max() < np.quantile(factors[:, 0], 0.5) < factors[rows, 0].max()
    assert len(baseline_rows(factors[:60])) == 60


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
