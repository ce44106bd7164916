"""The explorer's JSON API through FastAPI's TestClient: answers, and 4xx for every bad request."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
import torch

from latentatlas import runs
from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.report import Report
from latentatlas.results import ResultMixin
from latentatlas.studies import engine
from latentatlas.studies.arrays import StoredMap
from latentatlas.studies.config import StudyConfig

pytest.importorskip("fastapi", reason="the explorer needs fastapi (pip install fastapi)")
pytest.importorskip("fastapi.testclient", reason="FastAPI's TestClient needs httpx2 or httpx")

from fastapi.testclient import TestClient
from PIL import Image

from latentatlas.analysis.paths import decode_path, line_path
from latentatlas.explorer import create_app
from latentatlas.explorer.catalogue import Catalogue

torch.set_num_threads(1)

#: The served test folder: a study of tiny runs on scikit-learn's 8x8 digits.
RUNS = {
    "runs/digits/ae/seed-0": ("ae", 2, 0),
    "runs/digits/ae/seed-1": ("ae", 2, 1),
    "runs/digits/vae/seed-0": ("vae", 3, 0),
    "runs/digits/ae5/seed-0": ("ae", 5, 0),
}
TSNE_RUN = "runs/digits/ae5/seed-0"


@dataclass(frozen=True)
class MapConfig(StudyConfig):
    pass


@dataclass(frozen=True, eq=False)
class MapResult(ResultMixin):
    runs: int


class MapStudy(engine.Study):
    """The runs of :data:`RUNS` in one cell that stores a fake t-SNE map of :data:`TSNE_RUN`."""

    name = "explorer-maps"
    title = question = source = citation = "The explorer's test folder"
    config_type = MapConfig
    result_type = MapResult

    def cells(self, config: MapConfig) -> list[engine.Cell]:
        return [engine.Cell("headline", tuple((_run_config(r), r) for r in RUNS))]

    def analyse(self, config, cell, context) -> engine.CellOutput:
        # A "study's stored t-SNE map": any 2-d array with one row per validation code will do.
        codes = context.run(TSNE_RUN).latents["validation_codes"]
        stored = StoredMap("tsne", TSNE_RUN, codes[:, :2] * 3.0)
        return engine.CellOutput(MapResult(len(cell.runs)), maps=(stored,))

    def report(self, results: engine.StudyResults) -> Report:
        return Report("The explorer's test folder")


MAP_STUDY = MapStudy()


def _run_config(relative: str) -> RunConfig:
    model, latent_dim, seed = RUNS[relative]
    return RunConfig(
        data=DataConfig("digits"),
        model=ModelConfig(model, latent_dim, {"hidden": [32]}),
        train=TrainConfig(epochs=2, batch_size=128, device="cpu"),
        seed=seed,
    )


@contextlib.contextmanager
def map_study_registered() -> Iterator[None]:
    """:data:`MAP_STUDY` found by name (``engine.load``) while the block runs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(engine.STUDIES, MAP_STUDY.name, f"{__name__}:MAP_STUDY")
        yield


def build_runs(folder: Path) -> Path:
    """Train the tiny runs of :data:`RUNS` (2 epochs each) and run :data:`MAP_STUDY` on them
    (the runs are reused), so that one of them has a stored 2-d map; call it while the study is
    registered (:func:`map_study_registered`)."""
    from latentatlas import data

    dataset = data.load("digits")
    for relative in RUNS:
        runs.train_run(_run_config(relative), folder / relative, dataset=dataset, progress=False)
    engine.run(MAP_STUDY, MapConfig(), folder, progress=False)
    return folder


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with map_study_registered():
        yield build_runs(tmp_path_factory.mktemp("explorer"))


@pytest.fixture(scope="module")
def client(served):
    return TestClient(create_app(served))


def _png(response) -> np.ndarray:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    return np.asarray(Image.open(io.BytesIO(response.content)))


def _first_index(client, name: str) -> int:
    return client.get(f"/api/runs/{name}/points", params={"max_points": 1}).json()["index"][0]


# -- answers --------------------------------------------------------------------------------------
def test_runs_lists_every_run_with_its_model_and_group(client):
    listed = {r["name"]: r for r in client.get("/api/runs").json()}
    assert set(listed) == set(RUNS)
    assert listed["runs/digits/vae/seed-0"]["latent_dim"] == 3
    assert listed["runs/digits/ae/seed-1"]["group"] == "runs/digits/ae"


def test_points_hold_codes_labels_and_views_that_match_the_run(client, served):
    run = runs.load(served / "runs/digits/ae/seed-0")
    answer = client.get("/api/runs/runs/digits/ae/seed-0/points").json()
    codes = np.concatenate([run.latents["validation_codes"], run.latents["train_codes"]])
    assert answer["n_total"] == answer["n_returned"] == len(codes) == 1797
    # Drawn values carry 6 significant digits of the largest value.
    tolerance = 1e-5 * np.abs(codes).max()
    np.testing.assert_allclose(answer["codes"], codes, rtol=0, atol=tolerance)
    np.testing.assert_allclose(np.array(answer["coords"]).T, codes, rtol=0, atol=tolerance)
    labels = np.concatenate([run.latents["validation_labels"], run.latents["train_labels"]])
    assert answer["labels"] == labels.tolist() and answer["view"] == "latent"
    assert client.get("/api/runs/runs/digits/vae/seed-0/points").json()["dims"] == 3


def test_subsampling_keeps_the_same_rows_in_every_seed(client):
    first, second = (
        client.get(f"/api/runs/runs/digits/ae/seed-{k}/points", params={"max_points": 100}).json()
        for k in (0, 1)
    )
    assert first["n_returned"] == 100 and first["n_total"] == 1797
    assert sorted(first["index"]) == sorted(second["index"])


def test_pca_view_is_the_principal_axes_of_the_codes(client, served):
    answer = client.get(
        "/api/runs/runs/digits/ae5/seed-0/points", params={"view": "pca", "pcs": [0, 2]}
    ).json()
    codes = np.array(answer["codes"], dtype=np.float64)
    centred = codes - codes.mean(axis=0)
    _, _, rows = np.linalg.svd(centred, full_matrices=False)
    expected = centred @ rows[[0, 2]].T
    got = np.array(answer["coords"]).T
    np.testing.assert_allclose(np.abs(got), np.abs(expected), rtol=1e-3, atol=1e-4)
    assert answer["axis_titles"][1].startswith("PC3")


def test_decode_gives_the_models_decode_as_png(client, served):
    from latentatlas.models import decode_array

    model = runs.load(served / "runs/digits/ae/seed-0").model
    z = [0.3, -0.2]
    pixels = _png(client.post("/api/decode", json={"run": "runs/digits/ae/seed-0", "z": z}))
    assert pixels.shape == (112, 112)  # 8x8 enlarged 14 times
    expected = decode_array(model, np.array([z], np.float32))[0, 0]
    assert np.abs(pixels[::14, ::14] / 255.0 - expected).max() <= 1 / 255 + 1e-6


def test_point_image_and_reconstruction(client, served):
    name = "runs/digits/ae/seed-0"
    index = _first_index(client, name)
    point = client.get(f"/api/runs/{name}/points/{index}", params={"view": "latent"}).json()
    assert point["index"] == index
    np.testing.assert_allclose(point["coords"], point["code"], atol=1e-4)
    from sklearn.datasets import load_digits

    original = _png(client.get(f"/api/runs/{name}/image/{index}.png"))
    expected = load_digits().images[index] / 16.0
    assert np.abs(original[::14, ::14] / 255.0 - expected).max() <= 1 / 255 + 1e-6
    assert _png(client.get(f"/api/runs/{name}/reconstruction/{index}.png")).shape == (112, 112)


def test_path_is_decode_path_of_the_line(client, served):
    name = "runs/digits/ae/seed-0"
    body = {"run": name, "codes": [[-0.5, 0.1], [0.4, 0.6]], "n_points": 7, "view": "latent"}
    answer = client.post("/api/path", json=body).json()
    run = runs.load(served / name)
    codes = np.concatenate([run.latents["validation_codes"], run.latents["train_codes"]])
    expected = decode_path(run.model, line_path([-0.5, 0.1], [0.4, 0.6], 7), codes)
    np.testing.assert_allclose(answer["points"], expected.points, atol=1e-6)
    np.testing.assert_allclose(answer["offmanifold"], expected.offmanifold, rtol=1e-5)
    assert len(answer["images"]) == 7 and answer["strip"].startswith("data:image/png;base64,")
    np.testing.assert_allclose(np.array(answer["coords"]).T, expected.points, atol=1e-5)


def test_spline_path_follows_the_data_closer_than_the_line(client):
    name = "runs/digits/ae/seed-0"
    points = client.get(f"/api/runs/{name}/points").json()
    codes = np.array(points["codes"])
    ends = codes[np.argsort(codes[:, 0])[[20, -20]]].tolist()
    answers = {
        kind: client.post(
            "/api/path", json={"run": name, "codes": ends, "kind": kind, "n_points": 12}
        ).json()
        for kind in ("line", "spline")
    }
    assert len(answers["spline"]["points"]) == 12
    assert answers["spline"]["mean_offmanifold"] <= answers["line"]["mean_offmanifold"] + 1e-9


def test_lift_inverts_the_pca_and_maps_take_the_nearest_code(client):
    name = "runs/digits/ae5/seed-0"
    answer = client.post(
        "/api/lift", json={"run": name, "view": "pca", "pcs": [1, 0], "position": [0.2, -0.1]}
    ).json()
    back = client.post(
        "/api/path",
        json={"run": name, "codes": [answer["z"], answer["z"]], "view": "pca", "pcs": [1, 0]},
    )
    assert back.status_code == 422  # a path of two equal points is refused, with a sentence
    assert "coincide" in back.json()["detail"]
    mapped = client.get(f"/api/runs/{name}/points", params={"view": "map:tsne"}).json()
    xy = np.array(mapped["coords"]).T
    target = xy[5] + 1e-4
    lifted = client.post(
        "/api/lift", json={"run": name, "view": "map:tsne", "position": target.tolist()}
    ).json()
    assert lifted["method"] == "nearest-code" and lifted["index"] == mapped["index"][5]
    assert "no inverse" in lifted["note"]
    np.testing.assert_allclose(lifted["z"], mapped["codes"][5], atol=1e-4)


def test_pca_lift_projects_back_onto_the_clicked_position(client):
    name = "runs/digits/ae5/seed-0"
    lifted = client.post(
        "/api/lift", json={"run": name, "view": "pca", "pcs": [1, 0], "position": [0.2, -0.1]}
    ).json()
    path = client.post(
        "/api/path",
        json={"run": name, "codes": [lifted["z"], [0, 0, 0, 0, 0]], "view": "pca", "pcs": [1, 0]},
    ).json()
    np.testing.assert_allclose([c[0] for c in path["coords"]], [0.2, -0.1], atol=1e-4)


def test_export_is_a_self_contained_page(client):
    name = "runs/digits/ae/seed-0"
    index = _first_index(client, name)
    page = client.get(
        f"/api/runs/{name}/export.html", params={"colour": "label", "selected": index}
    )
    assert page.status_code == 200
    text = page.text
    # Nothing is fetched: no script, style or image comes from anywhere but the page itself.
    assert re.search(r"<(script|link|img)\b[^>]*\b(src|href)=[\"'](?!data:)", text) is None
    assert "Plotly.newPlot" in text and 'src="data:image/png;base64,' in text


def test_the_page_and_plotly_are_served_locally(client):
    assert "explorer.js" in client.get("/").text
    assert client.get("/vendor/plotly.min.js").status_code == 200
    assert client.get("/static/explorer.js").status_code == 200
    assert "/api/decode" in client.get("/openapi.json").json()["paths"]


def test_the_api_reference_is_served_offline(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "/api/decode" in page.text and "max_points" in page.text
    # Nothing is loaded from elsewhere: no script at all, links only to this app.
    assert "<script" not in page.text and "cdn" not in page.text.lower()
    assert re.search(r"(src|href)=[\"'](?!/)", page.text) is None
    assert client.get("/redoc").status_code == 404


def test_runs_of_one_data_set_share_a_data_id(client, served):
    listed = client.get("/api/runs").json()
    assert len({run["data_id"] for run in listed}) == 1  # every test run is on digits
    entry = Catalogue(served).entries["runs/digits/ae/seed-0"]
    other = replace(entry, data_key=json.dumps({"name": "digits", "options": {"n_class": 5}}))
    assert other.to_dict()["data_id"] != entry.to_dict()["data_id"]
    assert str(served) not in json.dumps(listed)


def test_the_stored_map_comes_typed_through_the_study(served):
    (stored,) = engine.load(served).maps()
    assert (stored.method, stored.run, stored.dataset_rows) == ("tsne", TSNE_RUN, None)
    codes = runs.load(served / TSNE_RUN).latents["validation_codes"]
    np.testing.assert_array_equal(stored.embedding, codes[:, :2] * 3.0)
    assert set(Catalogue(served).maps) == {TSNE_RUN}
    inner = Catalogue(served / "runs")  # below the study: its runs, without the study's maps
    assert len(inner.entries) == len(RUNS) and inner.maps == {}


def test_a_single_run_folder_is_served_under_its_name(served):
    client = TestClient(create_app(served / "runs/digits/ae/seed-0"))
    assert [r["name"] for r in client.get("/api/runs").json()] == ["seed-0"]
    assert client.get("/api/runs/seed-0/points").status_code == 200


# -- bad requests ---------------------------------------------------------------------------------
def _raw_post(client, url: str, text: str):
    return client.post(url, content=text, headers={"content-type": "application/json"})


BAD_DECODES = [
    '{"run": "runs/digits/ae/seed-0", "z": [NaN, 0]}',
    '{"run": "runs/digits/ae/seed-0", "z": [Infinity, 0]}',
    '{"run": "runs/digits/ae/seed-0", "z": ["nan", 0]}',
    '{"run": "runs/digits/ae/seed-0", "z": [1, 2, 3]}',
    '{"run": "runs/digits/ae/seed-0", "z": []}',
    '{"run": "runs/digits/ae/seed-0", "z": "0,1"}',
    '{"run": "runs/digits/ae/seed-0", "z": [[0, 1]]}',
    '{"run": "runs/digits/ae/seed-0", "z": [1e300, 0]}',
    '{"run": "runs/digits/ae/seed-0", "z": [0, 1], "extra": 1}',
    '{"run": "runs/digits/ae/seed-0", "z": [0, 1], "side": 100000}',
    '{"run": "../../etc/passwd", "z": [0, 1]}',
    '{"run": "runs/digits/ae", "z": [0, 1]}',
    '{"run": 3, "z": [0, 1]}',
    '{"z": [0, 1]}',
    "[1, 2]",
    "not json",
    "",
]


@pytest.mark.parametrize("body", BAD_DECODES)
def test_bad_decode_requests_get_a_4xx_with_a_message(client, body):
    answer = _raw_post(client, "/api/decode", body)
    assert 400 <= answer.status_code < 500, answer.text
    assert isinstance(answer.json()["detail"], str) and "Traceback" not in answer.text


@pytest.mark.parametrize(
    "body",
    [
        {"run": "runs/digits/ae/seed-0", "codes": [[0, 0]]},
        {"run": "runs/digits/ae/seed-0", "codes": [[0, 0], [1, 1]], "n_points": 10**6},
        {"run": "runs/digits/ae/seed-0", "codes": [[0, 0]] * 10_000},
        {"run": "runs/digits/ae/seed-0", "codes": [[0, 0], [1, 1, 1]]},
        {"run": "runs/digits/ae/seed-0", "codes": [[0, 0], [1, 1]], "kind": "zigzag"},
        {"run": "runs/digits/ae/seed-0", "codes": [[0, 0], [1, 1], [2, 0]], "kind": "spline"},
        {"run": "runs/digits/ae/seed-0", "codes": [[0, 0], [1, 1]], "view": "map:umap"},
        {"run": "runs/digits/ae/seed-0", "codes": [[0, 0], [1, 1]], "n_points": "many"},
        {"run": "runs/digits/ae/seed-0", "codes": [[0, 0], [1e6, 1e6]], "kind": "spline"},
        {"run": "runs/digits/ae/seed-0", "codes": [[-1e6, 0], [0, 0]]},
    ],
)
def test_bad_path_requests_get_a_4xx(client, body):
    answer = client.post("/api/path", json=body)
    assert 400 <= answer.status_code < 500, answer.text
    assert isinstance(answer.json()["detail"], str)


def test_a_huge_body_is_refused_before_it_is_parsed(client):
    answer = _raw_post(client, "/api/path", '{"run": "x", "codes": [' + "[0,0]," * 500_000 + "]}")
    assert answer.status_code == 413


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/runs/../../etc/points", {}),
        ("/api/runs/%2e%2e/%2e%2e/points", {}),
        ("/api/runs/runs/digits/nope/points", {}),
        ("/api/runs/runs/digits/ae/seed-0/points", {"view": "map:umap"}),
        ("/api/runs/runs/digits/ae/seed-0/points", {"view": "pca", "pcs": [0, 7]}),
        ("/api/runs/runs/digits/ae/seed-0/points", {"view": "pca", "pcs": [0, 0]}),
        ("/api/runs/runs/digits/ae/seed-0/points", {"max_points": 0}),
        ("/api/runs/runs/digits/ae/seed-0/points", {"max_points": "lots"}),
        ("/api/runs/runs/digits/ae/seed-0/points/999999", {}),
        ("/api/runs/runs/digits/ae/seed-0/points/-1", {}),
        ("/api/runs/runs/digits/ae/seed-0/image/abc.png", {}),
        ("/api/runs/runs/digits/ae/seed-0/reconstruction/99999999999999999999.png", {}),
        ("/api/runs/runs/digits/ae/seed-0/export.html", {"colour": "factor:nope"}),
        ("/api/runs/" + "a/" * 600 + "points", {}),
    ],
)
def test_bad_gets_get_a_4xx(client, url, params):
    answer = client.get(url, params=params)
    assert 400 <= answer.status_code < 500, answer.text
    assert isinstance(answer.json()["detail"], str)


def test_lift_refuses_positions_of_the_wrong_size(client):
    body = {"run": "runs/digits/ae5/seed-0", "view": "pca", "position": [0, 1, 2]}
    assert client.post("/api/lift", json=body).status_code == 422


def test_a_foreign_host_header_is_refused(client):
    assert client.get("/api/runs", headers={"host": "evil.example"}).status_code == 400


def test_an_empty_folder_is_one_sentence(tmp_path):
    from latentatlas.errors import InputError

    with pytest.raises(InputError, match="holds no complete run"):
        Catalogue(tmp_path)
    with pytest.raises(InputError, match="is not a folder"):
        Catalogue(tmp_path / "missing")


# -- the command ----------------------------------------------------------------------------------
def test_explore_command_refuses_a_bad_folder_with_exit_2(tmp_path):
    from typer.testing import CliRunner

    from latentatlas.cli import app
    from latentatlas.cli import explore as _  # noqa: F401  (registers the command)

    result = CliRunner().invoke(app, ["explore", str(tmp_path)])
    assert result.exit_code == 2 and "holds no complete run" in result.output
    result = CliRunner().invoke(app, ["explore", str(tmp_path), "--port", "70000"])
    assert result.exit_code == 2 and "--port" in result.output


def test_help_does_not_import_fastapi_or_torch():
    code = (
        "import sys; from latentatlas.cli import app; from latentatlas.cli import explore; "
        "print(json.dumps(sorted(m for m in ('fastapi', 'torch', 'uvicorn') if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == []


def test_a_path_may_reach_past_the_cloud_but_not_far_beyond_it(client):
    from latentatlas.explorer.images import MAX_REACH

    name = "runs/digits/ae/seed-0"
    codes = client.app.state.catalogue.run(name).reference_codes()
    centre = np.median(codes, axis=0)
    radius = float(np.linalg.norm(codes - centre, axis=1).max())
    direction = np.array([1.0, 0.0])
    near = (centre + 2.0 * radius * direction).tolist()
    far = (centre + (MAX_REACH + 0.5) * radius * direction).tolist()
    body = {"run": name, "codes": [centre.tolist(), near], "n_points": 6}
    assert client.post("/api/path", json=body).status_code == 200  # empty space near the data
    refused = client.post("/api/path", json={**body, "codes": [centre.tolist(), far]})
    assert refused.status_code == 422 and "beyond 3 times the cloud's radius" in refused.text


# -- vector inputs and the warm-up ----------------------------------------------------------------
def _profile_heights(pixels: np.ndarray, n: int) -> np.ndarray:
    """Each bar's height in pixels (its centre column's bar-coloured pixels) of a profile."""
    from latentatlas.explorer.images import PROFILE_BAR

    bar = np.all(pixels[..., :3] == PROFILE_BAR, axis=-1)
    step = (pixels.shape[1] - 4) / n
    centres = (2 + step * (np.arange(n) + 0.5)).astype(int)
    return bar[:, centres].sum(axis=0)


def test_vector_inputs_are_drawn_as_profiles_of_their_values(tmp_path):
    """A 50-d vector drew as a 112 x 2 pixel hairline; now one bar per entry, its height the
    value, the original marked on the reconstruction."""
    rng = np.random.default_rng(0)
    x = rng.random((120, 50)).astype(np.float32)
    x[:, :10] = 0.9  # a plateau: the first ten bars stand high
    np.savez(tmp_path / "vectors.npz", x=x)
    config = RunConfig(
        data=DataConfig("arrays", {"path": str(tmp_path / "vectors.npz")}),
        model=ModelConfig("ae", 2, {"hidden": [16]}),
        train=TrainConfig(epochs=1, batch_size=64, device="cpu"),
    )
    runs.train_run(config, tmp_path / "served" / "run", progress=False)
    client = TestClient(create_app(tmp_path / "served"))
    index = _first_index(client, "run")
    original = _png(client.get(f"/api/runs/run/image/{index}.png"))
    assert original.shape[:2] == (112, 224)  # not a hairline
    heights = _profile_heights(original, 50)
    span = 112 - 1 - 2 * 3  # the profile's pixels from value 0 to value 1
    np.testing.assert_allclose(heights / span, x[index], atol=2.5 / span)
    recon = _png(client.get(f"/api/runs/run/reconstruction/{index}.png?with_original=true"))
    from latentatlas.explorer.images import PROFILE_REFERENCE

    marks = np.all(recon[..., :3] == PROFILE_REFERENCE, axis=-1)
    assert marks.any(axis=0).sum() >= 50  # a mark over every bar
    plain = _png(client.get(f"/api/runs/run/reconstruction/{index}.png"))
    assert not np.all(plain[..., :3] == PROFILE_REFERENCE, axis=-1).any()
    decoded = _png(client.post("/api/decode", json={"run": "run", "z": [0.0, 0.0]}))
    assert decoded.shape[:2] == (112, 224)


def test_choosing_a_run_warms_its_decoder(served):
    """The page's GET of a run decodes one code then, not on the first slider move."""
    name = "runs/digits/ae/seed-0"
    for warm_up in (True, False):
        app = create_app(served, warm_up=warm_up)
        client = TestClient(app)
        calls: list[int] = []
        run = app.state.catalogue.run(name)

        def counted(z, decode=run.model.decode, calls=calls):
            calls.append(len(z))
            return decode(z)

        run.model.decode = counted
        assert client.get(f"/api/runs/{name}").status_code == 200
        assert calls == ([1] if warm_up else [])
        client.get(f"/api/runs/{name}")
        assert len(calls) == (1 if warm_up else 0)  # once per loaded run
