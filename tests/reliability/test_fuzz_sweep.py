"""Sweep specs fuzzed field by field, through ``latentatlas sweep SPEC --out DIR``.

Each spec is written as TOML (every field of :class:`SweepSpec`, training, data and model
options with values of every TOML type, unknown keys) and run by typer's CliRunner up to the
engine's first write: the data are loaded and every model is built on the meta device, then
the case stops ("accepted"). Every case ends there or in exit code 2 with one sentence, and
nothing but the spec is left on disk. The spec as ``study.json`` stores it (``from_dict``) is
fuzzed the same way.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from _fuzz import Accepted, cli_refusal, fuzz_settings, no_leftovers, refused, stopped_at, surface
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from latentatlas.cli import app
from latentatlas.config import TrainConfig
from latentatlas.errors import InputError
from latentatlas.studies.sweep.spec import SweepSpec

RUNNER = CliRunner()
MODELS = ["pca", "ae", "dae", "vae", "linear-ae", "ae-classifier", "conv-ae", "nope"]
TRAIN_KEYS = [f for f in TrainConfig.__dataclass_fields__]
DATA_KEYS = ["n_per_class", "digits", "data_dir", "subsample", "n", "seed"]
MODEL_KEYS = ["hidden", "activation", "beta", "noise", "filters", "decoder", "bottleneck"]


@pytest.fixture(scope="module", autouse=True)
def _stop_at_the_first_write():
    with stopped_at("latentatlas.studies.engine.folder_lock"):
        yield


SCALAR = st.one_of(
    st.booleans(),
    st.integers(-3, 40),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["relu", "tanh", "cpu", "cuda", "auto", "plateau", "gaussian", "16,8", "1,2"]),
)
VALUE = st.one_of(
    SCALAR,
    st.lists(SCALAR, max_size=3),
    st.lists(st.lists(st.integers(-1, 10), max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), SCALAR, max_size=2),
)


def _small(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value or a list of a few values (a scalar is one value, a list is swept)."""
    return st.one_of(values, st.lists(values, max_size=3), VALUE)


SPEC = st.fixed_dictionaries(
    {},
    optional={
        "dataset": st.one_of(st.sampled_from(["digits", "digits", "mnist", "nope"]), SCALAR),
        "models": _small(st.sampled_from(MODELS)),
        "latent_dims": _small(st.integers(-1, 5)),
        "seeds": _small(st.integers(-2, 5)),
        "digit_pairs": st.one_of(st.lists(st.lists(st.integers(-1, 10), max_size=3)), VALUE),
        "max_runs": st.one_of(st.integers(-1, 3), SCALAR),
        **{key: VALUE for key in TRAIN_KEYS + DATA_KEYS + MODEL_KEYS},
        "unknown": VALUE,
    },
)
#: Specs that pass more often: a valid core with one or two fuzzed options beside it.
NEAR_VALID = st.fixed_dictionaries(
    {
        "dataset": st.just("digits"),
        "models": st.lists(st.sampled_from(MODELS[:5]), min_size=1, max_size=2, unique=True),
        "latent_dims": st.just([2]),
        "seeds": st.just([0]),
        "epochs": st.just(1),
    },
    optional={
        key: st.one_of(SCALAR, st.lists(st.integers(-2, 64), max_size=3))
        for key in ["batch_size", "lr", "device", "n_per_class", *MODEL_KEYS]
    },
)


def _toml(value: Any) -> str:
    """``value`` as a TOML value (strings as JSON strings, which TOML's basic strings read)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float | str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    return "[" + ", ".join(_toml(v) for v in value) + "]"


def _document(spec: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(key)} = {_toml(value)}\n" for key, value in spec.items())


@surface("sweep spec (TOML, CLI)")
def _sweep_case(text: str) -> None:
    with tempfile.TemporaryDirectory(prefix="latentatlas-fuzz-sweep-") as root:
        spec, out = Path(root) / "spec.toml", Path(root) / "out"
        spec.write_text(text, encoding="utf-8", errors="surrogatepass")
        result = RUNNER.invoke(app, ["sweep", str(spec), "--out", str(out), "--quiet"])
        if not isinstance(result.exception, Accepted):
            cli_refusal(result)
        no_leftovers(Path(root), ("spec.toml",))


@fuzz_settings(150)
@given(spec=SPEC)
def test_sweep_specs_of_any_fields(spec):
    _sweep_case(_document(spec))


@fuzz_settings(100)
@given(spec=NEAR_VALID)
def test_near_valid_sweep_specs_with_fuzzed_options(spec):
    _sweep_case(_document(spec))


LATIN = st.binary(max_size=60).map(lambda b: b.decode("latin-1"))


@fuzz_settings(40)
@given(text=st.one_of(st.text(max_size=60), LATIN))
def test_sweep_spec_files_of_random_text(text):
    _sweep_case(text)


@fuzz_settings(150)
@given(document=st.one_of(SPEC, NEAR_VALID, VALUE), source=st.one_of(st.none(), SCALAR))
@surface("sweep spec (study.json)")
def test_stored_sweep_settings_read_back_or_are_one_input_error(document, source):
    if source is not None and isinstance(document, dict):
        document = {**document, "source": source}
    try:
        spec = SweepSpec.from_dict(json.loads(json.dumps(document)))
    except InputError as error:
        assert "\n" not in str(error), str(error)
        refused()
        return
    assert SweepSpec.from_dict(spec.to_dict()) == spec  # what it stores reads back the same


# -- regressions the fuzzing found ----------------------------------------------------------------
def test_a_vae_without_hidden_layers_is_one_sentence(tmp_path):
    """``hidden = ""`` gave the VAE no layer to read its mean from: an IndexError (exit 1)."""
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'dataset = "digits"\nmodels = ["vae"]\nlatent_dims = [2]\nseeds = [0]\nhidden = ""\n'
    )
    result = RUNNER.invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "option hidden of model vae needs at least 1 value" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_conv_model_without_filters_is_one_sentence():
    from latentatlas.config import ModelConfig
    from latentatlas.models import check_buildable

    with pytest.raises(InputError, match="option filters of model conv-ae needs at least 1"):
        check_buildable(ModelConfig("conv-ae", 2, {"filters": ""}), (1, 28, 28))


def test_a_stored_source_with_a_newline_stays_one_line():
    """A spec file named with a newline (``source`` in study.json) split the message in two."""
    with pytest.raises(InputError, match=r"^'a\\nb.toml' has no 'dataset' key"):
        SweepSpec.from_dict({"source": "a\nb.toml"})
