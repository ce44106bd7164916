"""Bad option values of `study` and `train`: one sentence, exit code 2, nothing written."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from latentatlas.cli import app
from latentatlas.studies.digit_pairs import parse_pairs

runner = CliRunner()


def _refused(tmp_path, args: list[str], expected: str) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output and not out.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--pairs", "1-2,1-2"], "--pairs lists 1-2 twice; give each value once"),
        (["--pairs", "1-2,4-9,2-1"], "--pairs lists 1-2 twice (as 1-2 and 2-1)"),
        (["--latent-dims", "2,3,2"], "--latent-dims lists 2 twice"),
        (["--activation", "tanh,tanh"], "--activation lists tanh twice"),
        (["--models", "pca,pca"], "--models lists pca twice"),
        (["--digits", "1,1"], "--digits lists 1 twice"),
        (["--pairs", ""], "--pairs is empty; give 'all' or pairs such as 1-2,4-9"),
        (["--pairs", " "], "--pairs is empty"),
        (["--seeds", "1000000000"], "seeds must be an integer from 1 to 1,000, got 1000000000"),
    ],
)
def test_digit_pairs_list_options(tmp_path, args, expected):
    _refused(tmp_path, ["study", "digit-pairs", *args], expected)  # duplicates were accepted


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--perplexity", "inf"], "perplexity must be a finite number above 0, got inf"),
        (["--perplexity", "nan"], "perplexity must be a finite number above 0, got nan"),
        (["--perplexity", "1e9"], "perplexity must be below a third of tsne_points (1,667"),
        (["--perplexity", "400", "--quick"], "(333.3 for 1,000 points), got 400"),
        (["--seeds", "1000000000"], "seeds must be an integer from 1 to 1,000"),
        (["--image-size", "100000"], "image_size must be an integer from 16 to 1,024, got 100000"),
        (["--memory-image-side", "100000"], "memory_image_side must be an integer from 16"),
        (["--memory-batch-sizes", "64,1000000000"], "memory_batch_sizes[1] must be an integer"),
        (["--memory-batch-sizes", "64,64"], "--memory-batch-sizes lists 64 twice"),
    ],
)
def test_filaments_bounds(tmp_path, args, expected):
    _refused(tmp_path, ["study", "filaments", *args], expected)  # ran, hung or crashed before


def test_other_studies_bound_seeds_and_refuse_duplicates(tmp_path):
    seeds = "seeds must be an integer from 1 to 1,000"
    _refused(tmp_path, ["study", "heatmaps", "--seeds", "1001"], seeds)
    args = ["study", "disentanglement"]
    _refused(tmp_path, [*args, "--seeds", "10**9".replace("**", "0")], seeds)
    _refused(tmp_path, [*args, "--betas", "1,4,1"], "--betas lists 1.0 twice")


def test_train_bounds_seeds_and_says_how_to_go_beyond(tmp_path):
    _refused(
        tmp_path,
        ["train", "--seeds", "1000000000", "--first-seed", "5"],
        "run train again into the same --out with --first-seed 1005",
    )


def test_pairs_all_is_read_in_any_case_and_documented():
    assert parse_pairs("ALL", None) == parse_pairs("all", None) == parse_pairs(" All ", None)
    assert len(parse_pairs("ALL", None)) == 45
    help_text = runner.invoke(app, ["study", "digit-pairs", "--help"], env={"COLUMNS": "200"})
    assert "'all' (any case)" in " ".join(help_text.output.split())


def test_version_prints_the_package_version():
    from latentatlas._env import package_version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output  # was "No such option: --version"
    assert result.output.strip() == f"latentatlas {package_version()}"


@pytest.mark.parametrize("columns", ["80", "120"])
@pytest.mark.parametrize(
    "command", [["train"], ["study", "filaments"], ["runs", "list"], ["datasets", "preview"]]
)
def test_help_shows_no_python_type_names_and_every_help_text_whole(command, columns):
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    for noise in ("<bool>", "<int>", "<str>", "<float>", "<path>", "<list[str]>"):
        assert noise not in result.output  # every option showed its Python type
    if command == ["train"]:
        flat = " ".join(result.output.replace("│", " ").split())
        assert "Learning rate (default: the model's)." in flat  # "[default: ...]" was eaten
        assert "Keep finished runs, continue interrupted ones, train the rest." in flat
