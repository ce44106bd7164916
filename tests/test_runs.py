"""Run directories: contents, loading, listing, atomic writes, kills and resume."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from latentatlas import executors, runs
from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.data.base import Dataset
from latentatlas.errors import InputError
from latentatlas.models import encode_array, reconstruction_error
from latentatlas.train import TrainingDiverged

torch.set_num_threads(1)


def _dataset(n: int = 120) -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset(
        name="toy",
        x=rng.random((n, 1, 4, 4), dtype=np.float32),
        labels=np.arange(n) % 2,
        label_names=("even", "odd"),
        factors=rng.random((n, 2)),
        factor_names=("a", "b"),
        factor_kinds=("continuous", "continuous"),
    )


def _config(seed: int = 0, model: str = "dae", epochs: int = 3, **train) -> RunConfig:
    options = {} if model == "pca" else {"hidden": [8]}
    return RunConfig(
        data=DataConfig("toy"),
        model=ModelConfig(model, 2, options),
        train=TrainConfig(epochs=epochs, batch_size=32, device="cpu", **train),
        seed=seed,
    )


def test_a_run_directory_holds_everything_and_loads_back(tmp_path):
    dataset = _dataset()
    out = runs.train_run(_config(), tmp_path / "run", dataset=dataset, progress=False)
    assert runs.is_complete(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temp or checkpoint left
    run = runs.load(out)
    assert run.config == _config() and run.input_shape == (1, 4, 4)
    assert not run.model.training and next(run.model.parameters()).device.type == "cpu"
    assert len(run.history.epochs) == 3 and run.info["package_version"]
    latents = run.latents
    assert set(latents) == {
        f"{split}_{key}"
        for split in ("train", "validation")
        for key in ("codes", "indices", "labels", "factors", "reconstruction_error")
    }
    validation = dataset.x[latents["validation_indices"]]
    np.testing.assert_array_equal(latents["validation_codes"], encode_array(run.model, validation))
    np.testing.assert_allclose(
        latents["validation_reconstruction_error"], reconstruction_error(run.model, validation)
    )
    np.testing.assert_array_equal(latents["train_labels"], dataset.labels[latents["train_indices"]])
    train_idx, validation_idx = dataset.split(0, 0.2)
    np.testing.assert_array_equal(latents["train_indices"], train_idx)
    np.testing.assert_array_equal(latents["validation_indices"], validation_idx)


def test_seeds_share_the_split_but_not_the_weights(tmp_path):
    dataset = _dataset()
    first = runs.load(runs.train_run(_config(0), tmp_path / "a", dataset=dataset, progress=False))
    second = runs.load(runs.train_run(_config(1), tmp_path / "b", dataset=dataset, progress=False))
    assert np.array_equal(first.latents["train_indices"], second.latents["train_indices"])
    assert not np.array_equal(first.latents["train_codes"], second.latents["train_codes"])
    summaries = runs.list_runs(tmp_path)
    assert [s.seed for s in summaries] == [0, 1]
    assert summaries[0].validation_loss == first.history.best.validation["total"]


def test_pca_runs_too(tmp_path):
    run = runs.load(runs.train_run(_config(model="pca"), tmp_path / "pca", dataset=_dataset()))
    assert run.latents["train_codes"].shape == (96, 2)
    assert run.model.components.abs().sum() > 0  # fitted components were saved


def test_a_failure_while_writing_leaves_no_run(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        runs.train_run(_config(), tmp_path / "run", dataset=_dataset(), progress=False)
    assert not (tmp_path / "run").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["run.partial"]  # checkpoints, for --resume


def test_divergence_keeps_the_checkpoint_and_writes_no_run(tmp_path):
    config = _config(model="vae", lr=1e6)
    with pytest.raises(TrainingDiverged):
        runs.train_run(config, tmp_path / "run", dataset=_dataset(), progress=False)
    assert not (tmp_path / "run").exists()


def test_resume_after_an_interruption_equals_an_uninterrupted_run(tmp_path):
    dataset = _dataset()
    whole = runs.load(runs.train_run(_config(epochs=4), tmp_path / "whole", dataset=dataset))
    partial = runs.partial_dir(tmp_path / "cut")
    with pytest.raises(OSError):  # interrupted after two epochs, while writing the run
        _interrupted(_config(epochs=2), tmp_path / "cut", dataset)
    assert (partial / "checkpoint.pt").exists() and not (tmp_path / "cut").exists()
    with pytest.raises(InputError, match="different configuration"):
        runs.train_run(_config(epochs=4, patience=3), tmp_path / "cut", dataset, resume=True)
    resumed = runs.load(runs.train_run(_config(epochs=4), tmp_path / "cut", dataset, resume=True))
    for key, value in whole.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key])
    assert resumed.history.validation_loss == whole.history.validation_loss


def _interrupted(config, out, dataset):
    original = np.savez
    np.savez = lambda *a, **k: (_ for _ in ()).throw(OSError("killed"))
    try:
        runs.train_run(config, out, dataset=dataset, progress=False)
    finally:
        np.savez = original


def test_a_killed_training_process_leaves_no_run_and_resumes_to_the_same_weights(tmp_path):
    out = tmp_path / "run"
    script = textwrap.dedent(
        f"""
        import sys, time, torch
        torch.set_num_threads(1)
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from test_runs import _config, _dataset
        from latentatlas import runs, train
        original = train._save_checkpoint
        def slow(*args):
            original(*args)
            time.sleep(0.5)
        train._save_checkpoint = slow
        runs.train_run(_config(epochs=8), {str(out)!r}, dataset=_dataset(), progress=False)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script])
    checkpoint = runs.partial_dir(out) / "checkpoint.pt"
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    time.sleep(0.6)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert checkpoint.exists()
    assert not runs.is_complete(out) and not out.exists()
    assert [s.status for s in runs.list_runs(tmp_path)] == ["incomplete"]  # shown, not complete

    resumed = runs.load(runs.train_run(_config(epochs=8), out, _dataset(), resume=True))
    whole = runs.load(runs.train_run(_config(epochs=8), tmp_path / "whole", _dataset()))
    for key, value in whole.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key])
    assert not runs.partial_dir(out).exists()


def test_a_writer_removes_the_temporary_folders_killed_writers_of_its_run_left(tmp_path):
    stale = tmp_path / ".run.k1ll3d.tmp" / "run"  # a writer killed while writing the run
    stale.mkdir(parents=True)
    (stale / "config.json").write_text("{")
    other = tmp_path / ".runs.x1.tmp"  # another target's: not this run's to remove
    other.mkdir()
    runs.train_run(_config(epochs=1), tmp_path / "run", _dataset(), progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".runs.x1.tmp", "run"]


def _train_and_die_when_the_run_is_renamed(out: str) -> None:
    from latentatlas import _io

    fsync = _io._fsync_dir

    def die_after_the_rename(path):  # what a SIGKILL right after the rename leaves
        if path == Path(out).parent:
            os._exit(9)
        fsync(path)

    _io._fsync_dir = die_after_the_rename
    runs.train_run(_config(epochs=2), out, _dataset(), progress=False)


def test_a_process_killed_as_its_run_is_renamed_leaves_no_checkpoints_beside_it(tmp_path):
    # The checkpoints used to be removed after the rename: a kill in between (the first thing a
    # kill test timed on a finished run hits) left the run both complete and "incomplete".
    process = multiprocessing.get_context("fork").Process(
        target=_train_and_die_when_the_run_is_renamed, args=(str(tmp_path / "run"),)
    )
    process.start()
    process.join(60)
    assert process.exitcode == 9
    assert [s.status for s in runs.list_runs(tmp_path)] == ["complete"]
    assert not runs.partial_dir(tmp_path / "run").exists()


def _train_pausing_after_epoch_one(out: str, paused: Any, go: Any) -> None:
    def pause(record: Any) -> None:
        if record.epoch == 1:  # its checkpoint is on disk: what a second writer would resume
            paused.set()
            go.wait(60)

    runs.train_run(_config(epochs=4), out, _dataset(), progress=False, resume=True, on_epoch=pause)


def test_a_second_writer_of_a_run_waits_for_the_first_and_keeps_its_run(tmp_path):
    # A Ray task that outlived its killed driver (a cluster, Ray client's 30 s grace) and the
    # rerun's task of the same run. Without a lock the second resumed the first's checkpoint and
    # trained alongside it, and the first's late rename then replaced the finished run, taking
    # the metrics.json a sweep had stored in it.
    context = multiprocessing.get_context("fork")
    paused, go = context.Event(), context.Event()
    out = tmp_path / "run"
    first = context.Process(
        target=_train_pausing_after_epoch_one, args=(str(out), paused, go), daemon=True
    )
    first.start()
    assert paused.wait(60), "the first writer did not start"
    second_epochs: list[Any] = []
    errors: list[BaseException] = []

    said: list[str] = []

    def second() -> None:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                runs.train_run(
                    _config(epochs=4),
                    out,
                    _dataset(),
                    progress=False,
                    resume=True,
                    on_epoch=second_epochs.append,
                )
            said.extend(str(warning.message) for warning in caught)
            (out / "metrics.json").write_text("{}")  # what a sweep stores in a finished run
        except BaseException as error:  # shown by the assertion below
            errors.append(error)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(1.0)  # the second writer reaches the run while the first holds it
    go.set()
    first.join(60)
    thread.join(60)
    assert first.exitcode == 0 and not errors, errors
    assert second_epochs == []  # it waited, then found the first writer's run complete
    waiting = [m for m in said if "being written by another process" in m]
    assert waiting == [f"{out} is being written by another process (pid {first.pid}); "
                       "waiting for it to finish"]  # fmt: skip
    assert (out / "metrics.json").is_file()  # not replaced by a late rename
    assert [s.status for s in runs.list_runs(tmp_path)] == ["complete"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no lock, temp or checkpoint


def test_an_existing_run_is_not_overwritten_by_accident(tmp_path):
    dataset = _dataset()
    out = runs.train_run(_config(epochs=1), tmp_path / "run", dataset=dataset)
    # From Python the message names the keywords; the CLI names its flags (tests/cli).
    with pytest.raises(InputError, match=r"already exists.*resume=True.*overwrite=True") as info:
        runs.train_run(_config(epochs=1), out, dataset=dataset)
    assert "--" not in str(info.value)  # was "pass --resume ... or --force"
    assert runs.train_run(_config(epochs=1), out, dataset=dataset, resume=True) == out


@pytest.mark.parametrize("broken", ["config.json", "model.safetensors", "history.json"])
def test_a_broken_run_names_the_file(tmp_path, broken):
    out = runs.train_run(_config(epochs=1), tmp_path / "run", dataset=_dataset())
    (out / broken).write_text("{not json")
    with pytest.raises(InputError, match=broken):
        runs.load(out)


def test_missing_runs(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        runs.load(tmp_path / "nowhere")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "history.json").write_text(json.dumps({}))
    with pytest.raises(InputError, match=r"config\.json"):
        runs.load(tmp_path / "half")


def test_parallel_processes_train_the_same_weights_as_one_process(tmp_path):
    data = _dataset(80)
    file = tmp_path / "toy.npz"
    np.savez(file, x=data.x, labels=data.labels)
    configs = [
        RunConfig(
            data=DataConfig("arrays", {"path": str(file)}),
            model=ModelConfig("ae", 2, {"hidden": [8]}),
            train=TrainConfig(epochs=2, batch_size=32, device="cpu"),
            seed=seed,
        )
        for seed in (0, 1)
    ]
    serial = executors.train_many([(c, tmp_path / "serial" / f"seed-{c.seed}") for c in configs])
    parallel = executors.train_many(
        [(c, tmp_path / "parallel" / f"seed-{c.seed}") for c in configs], jobs=2
    )
    assert [p.name for p in parallel] == ["seed-0", "seed-1"]
    for one, other in zip(serial, parallel, strict=True):
        expected, got = runs.load(one).model.state_dict(), runs.load(other).model.state_dict()
        assert all(torch.equal(value, got[key]) for key, value in expected.items())


@pytest.fixture
def written_run(tmp_path):
    return runs.train_run(_config(epochs=1), tmp_path / "runs" / "seed-0", dataset=_dataset())


def test_a_run_carries_a_manifest_and_verifies(written_run):
    manifest = json.loads((written_run / "manifest.json").read_text())
    assert set(manifest["files"]) == set(runs.REQUIRED_FILES)
    runs.verify(written_run)  # no error


@pytest.mark.parametrize(
    ("file", "damage", "message"),
    [
        ("model.safetensors", "truncate", "model.safetensors has the wrong size"),
        ("latents.npz", "truncate", "latents.npz has the wrong size"),
        ("history.json", "alter", "history.json was altered"),
        ("config.json", "remove", "config.json is missing"),
    ],
)
def test_a_damaged_run_is_named_with_its_file_and_listed_as_broken(
    written_run, tmp_path, file, damage, message
):
    other = runs.train_run(_config(epochs=1), tmp_path / "runs" / "seed-1", dataset=_dataset())
    target = written_run / file
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:40])
    elif damage == "alter":
        data = bytearray(target.read_bytes())
        data[5] = (data[5] + 1) % 256
        target.write_bytes(bytes(data))
    else:
        target.unlink()
    with pytest.raises(InputError, match=message):
        runs.load(written_run)
    listed = {s.path.name: s for s in runs.list_runs(tmp_path / "runs")}
    if damage != "remove":  # a run without config.json is not a run folder at all
        assert listed["seed-0"].status == "broken" and message in listed["seed-0"].problem
    assert listed["seed-1"].status == "complete" and other.name == "seed-1"


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("config.json", "[]", "JSON object"),
        ("config.json", "{}", "no 'data' entry"),
        ("history.json", "[]", "JSON object"),
        ("history.json", '{"epochs": 3}', "not a training history"),
    ],
)
def test_a_malformed_run_file_is_one_sentence(written_run, file, content, message):
    (written_run / "manifest.json").unlink()  # as a run written before manifests
    (written_run / file).write_text(content)
    with pytest.raises(InputError, match=message):
        runs.load(written_run)


@pytest.mark.parametrize("shape", [[-1, 28, 28], [10**6, 10**6], "28", [], [1, 2, 3, 4, 5]])
def test_an_absurd_input_shape_is_refused_before_allocating(written_run, shape):
    (written_run / "manifest.json").unlink()
    info = json.loads((written_run / "config.json").read_text())
    info["input_shape"] = shape
    (written_run / "config.json").write_text(json.dumps(info))
    with pytest.raises(InputError, match="input_shape"):
        runs.load(written_run)
