"""Fuzzed run configs, study settings, study.json and run folders: one InputError, nothing else."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch
from _fuzz import fuzz_settings, refused, surface
from hypothesis import given
from hypothesis import strategies as st

from latentatlas import runs
from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.data.base import Dataset
from latentatlas.errors import InputError
from latentatlas.studies import engine
from latentatlas.studies.digit_pairs import STUDY as DIGIT_PAIRS
from latentatlas.studies.digit_pairs.config import DigitPairsConfig

FUZZ = fuzz_settings(80)
FEW = fuzz_settings(30)
torch.set_num_threads(1)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["ae", "pca", "cpu", "cuda", "none", "plateau", "digits", "../..", "1-2"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _fields(cls: type, extra: tuple[str, ...] = ("typo",)) -> st.SearchStrategy[dict]:
    names = [f.name for f in cls.__dataclass_fields__.values()] + list(extra)
    return st.dictionaries(st.sampled_from(names), JSON, max_size=len(names))


def _input_error_or(call, *args):
    try:
        return call(*args)
    except InputError as error:
        refused()
        return error


# -- run configs ----------------------------------------------------------------------------------
@FUZZ
@given(document=JSON)
@surface("run configs")
def test_any_json_is_a_run_config_or_an_input_error(document):
    _input_error_or(RunConfig.from_dict, document)


@FUZZ
@given(
    data=st.one_of(_fields(DataConfig), JSON),
    model=st.one_of(_fields(ModelConfig), JSON),
    train=st.one_of(_fields(TrainConfig), JSON),
    seed=JSON,
)
@surface("run configs")
def test_run_config_sections_with_random_values(data, model, train, seed):
    document = {"data": data, "model": model, "train": train, "seed": seed}
    config = _input_error_or(RunConfig.from_dict, document)
    if not isinstance(config, InputError):
        assert RunConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


@FUZZ
@given(train=_fields(TrainConfig, ()))
@surface("run configs")
def test_train_configs_accept_only_finite_checked_numbers(train):
    config = _input_error_or(TrainConfig.from_dict, train)
    if not isinstance(config, InputError):
        for name in ("weight_decay", "min_delta", "validation_fraction"):
            assert math.isfinite(getattr(config, name))
        assert config.epochs >= 1 and config.batch_size >= 1


@pytest.mark.parametrize("options", ["ab", 5, [1, 2], [["a", 1]], {1: 2}])
def test_options_that_are_not_a_mapping_are_an_input_error(options):
    """Found by the fuzzing: dict(options) raised ValueError or TypeError."""
    with pytest.raises(InputError, match="options must be a mapping"):
        DataConfig.from_dict({"name": "digits", "options": options})
    with pytest.raises(InputError, match="options must be a mapping"):
        ModelConfig.from_dict({"name": "ae", "latent_dim": 2, "options": options})


def test_unknown_keys_of_mixed_types_are_named():
    with pytest.raises(InputError, match="unknown field"):
        TrainConfig.from_dict({1: 2, "x": 3})  # sorted() of int and str raised TypeError


# -- study settings and study.json ----------------------------------------------------------------
@FUZZ
@given(settings_=st.one_of(_fields(DigitPairsConfig), JSON))
@surface("study settings and study folders")
def test_digit_pairs_settings_from_any_json(settings_):
    config = _input_error_or(DigitPairsConfig.from_dict, settings_)
    if not isinstance(config, InputError):
        cells = _input_error_or(DIGIT_PAIRS.cells, config)
        assert isinstance(cells, InputError) or len(cells) >= 1


STUDY_FILE = st.one_of(
    JSON,
    st.fixed_dictionaries(  # valid settings, so that the rest of the file is read too
        {"study": st.just("digit-pairs"), "config": st.just({}), "environment": JSON}
    ),
    st.fixed_dictionaries(
        {"study": st.sampled_from(["digit-pairs", "heatmaps", "nope"])},
        optional={"config": st.one_of(_fields(DigitPairsConfig), JSON), "environment": JSON},
    ),
)


@FUZZ
@given(
    study=st.one_of(STUDY_FILE.map(json.dumps), st.binary(max_size=40)),
    metrics=st.one_of(
        st.none(),
        JSON.map(json.dumps),
        st.fixed_dictionaries(
            {}, optional={"cells": JSON, "verdicts": JSON, "failed_runs": JSON}
        ).map(json.dumps),
    ),
)
@surface("study settings and study folders")
def test_a_study_folder_with_random_study_and_metrics_files(study, metrics):
    with tempfile.TemporaryDirectory() as folder:
        payload = study.encode() if isinstance(study, str) else study
        Path(folder, "study.json").write_bytes(payload)
        if metrics is not None:
            Path(folder, "metrics.json").write_text(metrics)
        with pytest.raises(InputError):
            engine.load(folder)
        refused()


# -- run folders ----------------------------------------------------------------------------------
@cache
def _template() -> Path:
    """One tiny complete run, copied for each example (built once per test session)."""
    rng = np.random.default_rng(0)
    dataset = Dataset(
        name="toy", x=rng.random((40, 1, 4, 4), dtype=np.float32), labels=np.arange(40) % 2
    )
    config = RunConfig(
        DataConfig("toy"),
        ModelConfig("ae", 2, {"hidden": [4]}),
        TrainConfig(epochs=2, batch_size=16, device="cpu"),
    )
    folder = Path(tempfile.mkdtemp(prefix="latentatlas-fuzz-run-"))
    return runs.train_run(config, folder / "run", dataset=dataset, progress=False)


FILES = st.sampled_from([*runs.REQUIRED_FILES, runs.MANIFEST])
DAMAGE = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0.0, 1.0)),
    st.tuples(st.just("flip"), st.lists(st.integers(0, 2**20), min_size=1, max_size=4)),
    st.tuples(st.just("replace"), st.binary(max_size=64)),
    st.tuples(st.just("json"), JSON),
    st.tuples(st.just("remove"), st.none()),
)


def _damage(path: Path, how: str, argument: object) -> None:
    payload = path.read_bytes()
    if how == "truncate":
        path.write_bytes(payload[: int(len(payload) * argument)])
    elif how == "flip" and payload:
        data = bytearray(payload)
        for position in argument:
            data[position % len(data)] ^= 0x5A
        path.write_bytes(bytes(data))
    elif how == "replace":
        path.write_bytes(argument)
    elif how == "json":
        path.write_text(json.dumps(argument))
    elif how == "remove":
        path.unlink()


@FUZZ
@given(
    damages=st.lists(st.tuples(FILES, DAMAGE), min_size=1, max_size=3),
    keep_manifest=st.booleans(),
)
@surface("run folders")
def test_a_damaged_run_folder_loads_or_is_one_input_error(damages, keep_manifest):
    with tempfile.TemporaryDirectory() as root:
        run = Path(root) / "runs" / "run"
        shutil.copytree(_template(), run)
        if not keep_manifest:
            (run / runs.MANIFEST).unlink()
        for name, (how, argument) in damages:
            if (run / name).is_file():
                _damage(run / name, how, argument)
        loaded = _input_error_or(runs.load, run)
        summaries = runs.list_runs(Path(root) / "runs")  # never raises: broken runs are rows
        if not isinstance(loaded, InputError) and keep_manifest:
            assert all(s.status == "complete" for s in summaries)  # the manifest vouched for it
        for summary in summaries:
            assert summary.status in ("complete", "broken")


@FUZZ
@given(
    run_config=st.one_of(JSON, st.just(None)),
    checkpoint=st.one_of(
        st.none(),
        st.binary(max_size=64),
        st.fixed_dictionaries({"records": JSON, "best_epoch": JSON}),
    ),
)
@surface("run folders")
def test_an_interrupted_run_with_damaged_files_is_listed_or_refused(run_config, checkpoint):
    with tempfile.TemporaryDirectory() as root:
        partial = Path(root) / "run.partial"
        partial.mkdir()
        document = _template_config() if run_config is None else run_config
        (partial / "run-config.json").write_text(json.dumps(document))
        if isinstance(checkpoint, bytes):
            (partial / "checkpoint.pt").write_bytes(checkpoint)
        else:
            torch.save(checkpoint or {"records": [], "best_epoch": 0}, partial / "checkpoint.pt")
        try:
            summaries = runs.list_runs(root)
        except InputError:
            refused()
            return
        assert len(summaries) == 1 and summaries[0].status in ("incomplete", "broken")


def test_a_checkpoint_with_a_hostile_pickle_is_never_unpickled(tmp_path):
    import pickle

    marker = tmp_path / "unpickled"

    class Boom:
        def __reduce__(self):
            return (Path.touch, (marker,))

    partial = tmp_path / "run.partial"
    partial.mkdir()
    (partial / "run-config.json").write_text(json.dumps(_template_config()))
    (partial / "checkpoint.pt").write_bytes(pickle.dumps({"records": Boom()}))
    try:
        problems = [s.problem for s in runs.list_runs(tmp_path)]
    except InputError as error:
        problems = [str(error)]
    assert len(problems) == 1 and "checkpoint" in str(problems[0])
    assert not marker.exists()


def _template_config() -> dict:
    return {
        k: v
        for k, v in json.loads((_template() / "config.json").read_text()).items()
        if k in ("data", "model", "train", "seed")
    }


@pytest.mark.parametrize(
    ("study", "metrics"),
    [
        ({"environment": [1]}, {}),
        ({"environment": "ab"}, {}),
        ({}, {"failed_runs": "ab"}),
        ({}, {"failed_runs": [1]}),
        ({}, {"verdicts": [{"id": 1}]}),
    ],
)
def test_study_files_with_malformed_sections(tmp_path, study, metrics):
    """Found by the fuzzing: dict() of a list or text escaped engine.load as a raw error."""
    document = {"study": "digit-pairs", "config": {}, **study}
    (tmp_path / "study.json").write_text(json.dumps(document))
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    with pytest.raises(InputError):
        engine.load(tmp_path)
