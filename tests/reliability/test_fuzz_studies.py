"""Every study's command-line settings, fuzzed from their declared bounds, through the CLI.

Each case is ``latentatlas study NAME <options> --out DIR`` in typer's CliRunner, stopped where
the engine starts the real work: the plan check, which loads the data and builds the models
(those cases are "accepted"; a few tiny ones go on to the first write, below). Every case ends
there or in exit code 2 with one sentence and no traceback, and nothing is left on disk: DIR is
never created, since nothing may be written before the settings are known to be good.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from _fuzz import Accepted, cli_refusal, fuzz_settings, no_leftovers, stopped_at, surface
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from latentatlas.cli import app
from latentatlas.studies import engine
from latentatlas.studies.config import Each, Interval, OneOf

STUDIES = ("digit-pairs", "heatmaps", "filaments", "disentanglement")
RUNNER = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _stop_at_the_plan_check():
    with stopped_at("latentatlas.executors.check_plan"):
        yield


# -- values from the declared bounds --------------------------------------------------------------
GARBAGE = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", " ", "none", "nan", "inf", "-inf", "1e308", "-0", "0x10", "1_0", "١٢"]),
)


def _number(kind: type, low: float | None, high: float | None) -> st.SearchStrategy[str]:
    """Numbers near and beyond the bounds, huge ones, NaN and infinities, as text."""
    edges = [v for v in (low, high) if v is not None] or [0]
    near = st.one_of(*(st.integers(int(e) - 3, int(e) + 3) for e in edges if math.isfinite(e))).map(
        str
    )
    wide = st.integers(-(2**70), 2**70).map(str)
    inside = st.integers(int(low or 0), int(min(high or 2**20, (low or 0) + 2**20)))
    if kind is int:
        return st.one_of(near, inside.map(str), inside.map(str), wide)
    floats = st.floats(allow_nan=True, allow_infinity=True).map(repr)
    within = st.floats(low or 0, high or 1e6).map(lambda f: f"{f:g}")
    return st.one_of(near, within, within, wide, floats)


def _item(check: Interval | OneOf) -> st.SearchStrategy[str]:
    if isinstance(check, OneOf):
        words = st.sampled_from(check.options)
        return st.one_of(words, words.map(str.upper), st.text("abcxyz-_", max_size=6))
    return _number(check.kind, check.low, check.high)


def _text_for(check: Any, field: str) -> st.SearchStrategy[str]:
    """Command-line text for one setting, valid or not, drawn from its declared bounds."""
    if isinstance(check, Each):
        items = st.lists(_item(check.item), min_size=0, max_size=4)
        doubled = _item(check.item).map(lambda v: f"{v},{v}")
        return st.one_of(items.map(",".join), doubled, st.sampled_from([",", ",,", " , "]))
    if isinstance(check, Interval | OneOf):
        return _item(check)
    if field == "pairs":
        pair = st.tuples(st.integers(-1, 11), st.integers(-1, 11)).map(lambda p: f"{p[0]}-{p[1]}")
        return st.one_of(
            st.lists(pair, min_size=1, max_size=4).map(",".join),
            st.sampled_from(["all", "ALL", "All", "1-2,2-1", "1-2,1-2", "1--2", "a-b", "1-2-3"]),
        )
    if field == "digits":
        return st.lists(st.integers(-1, 11).map(str), max_size=3).map(",".join)
    if field in ("data_dir", "path"):
        return st.sampled_from(["/nonexistent/mnist", "/etc/hostname", "/proc", "."])
    return GARBAGE


def _options(name: str) -> st.SearchStrategy[list[str]]:
    """Up to five of the study's options, each valid or not, plus the engine's own."""
    config_type = engine.get(name).config_type
    fields = config_type.__dataclass_fields__
    choices = []
    for option in config_type.cli_options():
        if option.is_flag:
            choices.append(st.just([option.flag]))
            continue
        check = fields[option.field].metadata.get("check") if option.field in fields else None
        valid_or_near = _text_for(check, option.field)
        text = st.one_of(valid_or_near, valid_or_near, GARBAGE)
        choices.append(text.map(lambda value, flag=option.flag: [flag, value]))
    engine_options = [
        st.just(["--quick"]),
        st.just(["--force"]),
        st.one_of(st.integers(-2, 3).map(str), GARBAGE).map(lambda v: ["--jobs", v]),
        st.sampled_from(["local", "nope", "", "LOCAL"]).map(lambda v: ["--executor", v]),
    ]
    return st.lists(st.one_of(*choices, *engine_options), max_size=5).map(
        lambda groups: [word for group in groups for word in group]
    )


def _invoke(arguments: list[str], out: Path) -> Any:
    return RUNNER.invoke(app, [*arguments, "--out", str(out), "--quiet"])


def _accepted_or_refused(result: Any, out: Path) -> None:
    """The settings reached the plan check, or the case is a clean exit 2; nothing written."""
    if not isinstance(result.exception, Accepted):
        cli_refusal(result)
    no_leftovers(out.parent)


def _study_property(name: str) -> Any:
    @surface(f"study {name}")
    def case(arguments: list[str]) -> None:
        with tempfile.TemporaryDirectory(prefix="latentatlas-fuzz-study-") as root:
            out = Path(root) / "out"
            _accepted_or_refused(_invoke(["study", name, *arguments], out), out)

    return fuzz_settings(120)(given(arguments=_options(name))(case))


test_digit_pairs_options = _study_property("digit-pairs")
test_heatmaps_options = _study_property("heatmaps")
test_filaments_options = _study_property("filaments")
test_disentanglement_options = _study_property("disentanglement")
