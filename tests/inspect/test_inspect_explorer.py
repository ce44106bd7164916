"""``latentatlas explore`` on an inspect folder: decodes with the user's model through its
adapter, shows codes without a decoder, and refuses a weights file that changed since."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from zoo import TINY, factory

import latentatlas as la
from latentatlas.errors import InputError

pytest.importorskip("fastapi.testclient", reason="the explorer needs fastapi and httpx")

from fastapi.testclient import TestClient

from latentatlas.explorer import create_app
from latentatlas.explorer.catalogue import Catalogue


@pytest.fixture(scope="module")
def inspected(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("explore")
    weights = folder / "vae.safetensors"
    shutil.copy(files["vae-0"], weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        la.inspect(
            folder / "out",
            model=factory("build_vae"),
            weights=(str(weights),),
            dataset="mnist",
            digits=(1, 2),
            **TINY,
        )
    return folder


@pytest.mark.slow
def test_explorer_decodes_with_the_users_model(inspected: Path) -> None:
    client = TestClient(create_app(inspected / "out"))
    listed = client.get("/api/runs").json()
    assert [run["name"] for run in listed] == ["seed-0"]
    detail = client.get("/api/runs/seed-0").json()
    assert "map:tsne" in detail["views"]
    answer = client.post("/api/decode", json={"run": "seed-0", "z": [0.0, 0.1, 0.2, 0.3]})
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    points = client.get("/api/runs/seed-0/points", params={"view": "map:tsne"})
    assert points.status_code == 200
    row = int(Catalogue(inspected / "out").run("seed-0").indices[0])
    for kind in ("image", "reconstruction"):
        answer = client.get(f"/api/runs/seed-0/{kind}/{row}.png")
        assert answer.status_code == 200, (kind, answer.text)


def test_codes_without_a_decoder_are_shown_not_decoded(
    files: dict[str, Path], tmp_path: Path
) -> None:
    la.inspect(tmp_path / "codes", codes=str(files["codes"]), tsne_points=60, id_queries=60)
    client = TestClient(create_app(tmp_path / "codes"))
    assert client.get("/api/runs/seed-0/points", params={"view": "pca"}).status_code == 200
    answer = client.post("/api/decode", json={"run": "seed-0", "z": [0.0] * 4})
    assert answer.status_code == 404 and "no decoder" in answer.text


@pytest.mark.slow
def test_a_changed_weights_file_is_refused(inspected: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(inspected, copy)
    weights = next(iter(la.studies.load(inspected / "out").config.fingerprint_of()))
    original = Path(weights).read_bytes()
    try:
        Path(weights).write_bytes(original[:-4] + np.float32(1.5).tobytes())
        with pytest.raises(InputError, match="changed since it was inspected"):
            Catalogue(inspected / "out")
    finally:
        Path(weights).write_bytes(original)
    assert Catalogue(inspected / "out").entries["seed-0"].latent_dim == 4
