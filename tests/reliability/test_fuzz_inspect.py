"""``latentatlas inspect`` options fuzzed through the CLI, up to the engine's first write.

Each case combines sources (a factory from ``tests/inspect/zoo.py`` with good, damaged or
missing weights, TorchScript, codes files good and bad, a tiny run, missing paths), data sets
and their options, and the analysis sizes, then runs in typer's CliRunner. Inspect loads the
data and every seed's model and encodes a batch before anything is written, so a case that
reaches the first write (where it stops: "accepted") has been validated through. Every case ends
there or in exit code 2 with one sentence, and nothing is left on disk.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from _fuzz import Accepted, cli_refusal, fuzz_settings, no_leftovers, stopped_at, surface
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from latentatlas import runs
from latentatlas.cli import app
from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig

RUNNER = CliRunner()
ZOO = Path(__file__).resolve().parents[1] / "inspect" / "zoo.py"
torch.set_num_threads(1)


@pytest.fixture(scope="module", autouse=True)
def _stop_at_the_first_write():
    with stopped_at("latentatlas.studies.engine.folder_lock"):
        yield


@cache
def _files() -> dict[str, str]:
    """Weights, codes and a run, made once per session."""
    import sys

    from safetensors.torch import save_file

    sys.path.insert(0, str(ZOO.parent))
    import zoo

    folder = Path(tempfile.mkdtemp(prefix="latentatlas-fuzz-inspect-"))
    made = {"missing": str(folder / "missing.npz"), "folder": str(folder), "etc": "/etc/hostname"}
    torch.manual_seed(0)
    save_file(zoo.ConvVAE().state_dict(), str(folder / "vae.safetensors"))
    made["weights"] = str(folder / "vae.safetensors")
    (folder / "short.safetensors").write_bytes((folder / "vae.safetensors").read_bytes()[:100])
    made["short"] = str(folder / "short.safetensors")
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((120, 4))
    np.savez(folder / "codes.npz", codes=codes, labels=np.repeat([0, 1, 2], 40))
    made["codes"] = str(folder / "codes.npz")
    codes[3, 1] = np.nan
    np.savez(folder / "nan.npz", codes=codes)
    made["nan"] = str(folder / "nan.npz")
    np.save(folder / "flat.npy", np.zeros(5))
    made["flat"] = str(folder / "flat.npy")
    config = RunConfig(
        DataConfig("digits"),
        ModelConfig("ae", 2, {"hidden": [8]}),
        TrainConfig(epochs=1, batch_size=256, device="cpu"),
    )
    made["run"] = str(runs.train_run(config, folder / "run", progress=False))
    return made


FILE = st.sampled_from(["weights", "short", "codes", "nan", "flat", "missing", "folder", "etc"])
SOURCE = st.one_of(
    st.tuples(
        st.just("--model"),
        st.sampled_from(
            [f"{ZOO}:build_vae", f"{ZOO}:build_broken", f"{ZOO}:nothing", "os:getcwd", "x", ":"]
        ),
    ),
    st.tuples(st.just("--weights"), FILE),
    st.tuples(st.just("--torchscript"), FILE),
    st.tuples(st.just("--codes"), FILE),
    st.tuples(st.just("--run"), st.sampled_from(["run", "folder", "missing"])),
)
OPTION = st.one_of(
    st.tuples(st.just("--dataset"), st.sampled_from(["mnist", "digits", "arrays", "nope", ""])),
    st.tuples(st.just("--digits"), st.sampled_from(["1,2", "1,1", "3", "0,1,2", "a", ""])),
    st.tuples(st.just("--path"), FILE),
    st.tuples(st.just("--data-dir"), st.sampled_from(["folder", "missing", "etc"])),
    st.tuples(
        st.just("--data-option"),
        st.sampled_from(["n_per_class=20", "size=64", "x", "=1", "digits=1,2", "n_per_class=-1"]),
    ),
    st.tuples(st.just("--n"), st.one_of(st.integers(-5, 300), st.integers(-(2**65), 2**65))),
    st.tuples(st.just("--device"), st.sampled_from(["cpu", "auto", "cuda", "tpu", ""])),
    st.tuples(st.just("--tsne-points"), st.one_of(st.integers(-5, 200), st.just(10**7))),
    st.tuples(st.just("--quick"), st.none()),
)


#: One good source (with the data it needs), so that the options beside it are reached.
GOOD_SOURCE = st.sampled_from(
    [
        [("--codes", "codes")],
        [("--run", "run"), ("--n", 200)],
        [
            ("--model", f"{ZOO}:build_vae"),
            ("--weights", "weights"),
            *[("--dataset", "mnist"), ("--digits", "1,2"), ("--n", 100)],
        ],
    ]
)


def _arguments(groups: list[tuple[str, Any]]) -> list[str]:
    files = _files()
    words: list[str] = []
    for flag, value in groups:
        words += [flag] if value is None else [flag, files.get(str(value), str(value))]
    return words


@fuzz_settings(60)
@given(
    sources=st.one_of(st.lists(SOURCE, min_size=0, max_size=3), GOOD_SOURCE),
    options=st.lists(OPTION, max_size=3),
)
@surface("inspect")
def test_inspect_options(sources, options):
    arguments = _arguments([*sources, *options])
    with tempfile.TemporaryDirectory(prefix="latentatlas-fuzz-inspect-out-") as root:
        out = Path(root) / "out"
        result = RUNNER.invoke(app, ["inspect", *arguments, "--out", str(out), "--quiet"])
        if not isinstance(result.exception, Accepted):
            cli_refusal(result)
        no_leftovers(Path(root))
