"""The explorer API under fuzzed requests: always an answer, 4xx for bad ones, never a 500."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path
from urllib.parse import quote

import pytest
import torch
from _fuzz import fuzz_settings, refused, surface
from hypothesis import given
from hypothesis import strategies as st

from latentatlas import runs
from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig

pytest.importorskip("fastapi", reason="the explorer needs fastapi")
pytest.importorskip("fastapi.testclient", reason="FastAPI's TestClient needs httpx2 or httpx")

from fastapi.testclient import TestClient

from latentatlas.explorer import create_app

FUZZ = fuzz_settings(80)
torch.set_num_threads(1)
RUN = "runs/ae/seed-0"


@cache
def _client() -> TestClient:
    """One tiny run on the 8x8 digits behind the app (built once per session)."""
    folder = Path(tempfile.mkdtemp(prefix="latentatlas-fuzz-explorer-"))
    config = RunConfig(
        DataConfig("digits"),
        ModelConfig("ae", 2, {"hidden": [8]}),
        TrainConfig(epochs=1, batch_size=256, device="cpu"),
    )
    runs.train_run(config, folder / RUN, progress=False)
    return TestClient(create_app(folder), raise_server_exceptions=False)


NUMBER = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-5, max_value=5),
    st.floats(),  # NaN, inf and huge ones
    st.integers(-(2**70), 2**70),
    st.text(max_size=3),
    st.none(),
    st.booleans(),
)
CODE = st.lists(NUMBER, min_size=0, max_size=5)
NAME = st.one_of(
    st.just(RUN),
    st.sampled_from(
        ["../../etc/passwd", "runs/ae/../ae/seed-0", "/etc", "", "..", "%00", "x" * 2000]
    ),
    st.text(max_size=20),
)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
BODIES = {
    "/api/decode": st.fixed_dictionaries(
        {"run": NAME, "z": CODE}, optional={"side": st.one_of(st.integers(-5, 10**6), JSON)}
    ),
    "/api/lift": st.fixed_dictionaries(
        {"run": NAME, "position": CODE},
        optional={
            "view": st.sampled_from(["auto", "latent", "pca", "map:tsne", "map:../x", "?"]),
            "pcs": st.lists(st.integers(-2, 5000), max_size=4),
        },
    ),
    "/api/path": st.fixed_dictionaries(
        {"run": NAME, "codes": st.lists(CODE, max_size=4)},
        optional={
            "kind": st.sampled_from(["line", "spline", "curve"]),
            "n_points": st.integers(-3, 10**5),
            "view": st.one_of(st.none(), st.sampled_from(["latent", "pca", "nope"])),
        },
    ),
}


def _answered(response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert "detail" in response.json() and "Traceback" not in response.text
        refused()


@FUZZ
@given(endpoint=st.sampled_from(sorted(BODIES)), data=st.data())
@surface("explorer API")
def test_fuzzed_post_bodies_get_an_answer_or_a_4xx(endpoint, data):
    body = data.draw(st.one_of(BODIES[endpoint], JSON), label="body")
    response = _client().post(endpoint, content=json.dumps(body, allow_nan=True))
    _answered(response)


@FUZZ
@given(
    name=NAME,
    route=st.sampled_from(
        ["", "/points", "/points/{i}", "/image/{i}.png", "/reconstruction/{i}.png", "/export.html"]
    ),
    index=st.one_of(st.integers(-5, 2**64), st.text(max_size=4)),
    query=st.dictionaries(
        st.sampled_from(["view", "pcs", "max_points", "codes", "colour", "selected"]),
        st.one_of(st.integers(-(2**64), 2**64), st.text(max_size=6), st.floats().map(str)),
        max_size=3,
    ),
)
@surface("explorer API")
def test_fuzzed_run_routes_get_an_answer_or_a_4xx(name, route, index, query):
    url = f"/api/runs/{quote(name, safe='/')}{route.replace('{i}', quote(str(index)))}"
    response = _client().get(url, params={k: str(v) for k, v in query.items()})
    _answered(response)


@pytest.mark.parametrize(
    "payload", [b"{", b"\xff\xfe", b"[]", b"null", b'{"run": "' + b"a" * 100 + b'"']
)
def test_malformed_json_bodies_are_a_4xx(payload):
    for endpoint in BODIES:
        _answered(_client().post(endpoint, content=payload))


def test_a_body_larger_than_the_limit_is_refused_unread():
    response = _client().post(
        "/api/decode", content=b"0" * 10, headers={"content-length": str(10**12)}
    )
    assert response.status_code == 413
