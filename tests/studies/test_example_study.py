"""The worked example of docs/architecture.md, built from the page itself and run on the engine."""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path

import pytest
from _gates import passing_and_failing

from latentatlas.results import PerSeed
from latentatlas.studies import engine
from latentatlas.studies.gates import CellGates

DOC = Path(__file__).parents[2] / "docs" / "architecture.md"
MODULES = ("config", "results", "analyse", "report", "study")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> object:
    """The five code blocks of the page's worked example as the package ``pca_vs_ae``."""
    section = DOC.read_text().split("### Adding a study", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == len(MODULES)
    package = tmp_path_factory.mktemp("example") / "pca_vs_ae"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, code in zip(MODULES, blocks, strict=True):
        (package / f"{name}.py").write_text(code)
    sys.path.insert(0, str(package.parent))
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(engine.STUDIES, "pca-vs-ae", "pca_vs_ae.study:STUDY")
        yield engine.get("pca-vs-ae")
    sys.path.remove(str(package.parent))


def test_the_example_study_runs_end_to_end(example: object, tmp_path: Path) -> None:
    config = example.config_type.quick(seeds=2, epochs=2, n_per_class=30, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = engine.run(example, config, tmp_path / "study", progress=False)
    results = engine.load(tmp_path / "study")
    result = results.results["digits"]
    assert set(result.models) == {"pca", "ae"} and result.models["ae"].seeds == (0, 1)
    assert 0 < result.pixels < 1
    assert set(results.gates["digits"].models) == {"pca", "ae"}
    assert [c.key for c in results.claims] == ["ae_beats_pca", "codes_beat_pixels"]
    html = report.read_text()
    assert "Silhouette by seed" in html and "Did every model learn?" in html
    metrics = json.loads((tmp_path / "study" / "metrics.json").read_text())
    assert metrics["verdicts"][0]["key"] == "ae_beats_pca"


def _results(ae: list[float], pca: list[float], pixels: float) -> dict[str, object]:
    from pca_vs_ae.results import PcaVsAeResult, Separation

    def table(values: list[float]) -> PerSeed:
        return PerSeed(tuple(range(len(values))), tuple(Separation(v) for v in values))

    return {"digits": PcaVsAeResult(pixels, {"ae": table(ae), "pca": table(pca)})}


def test_the_example_claims_follow_the_seeds_and_the_gate(example: object) -> None:
    config = example.config_type(seeds=5)
    apart = _results([0.6, 0.62, 0.61, 0.63, 0.64], [0.4] * 5, pixels=0.1)
    verdicts = engine.verdicts(example, config, apart)
    assert [c.verdict for c in verdicts] == ["supported", "supported"]
    few = _results([0.6, 0.62], [0.4, 0.41], pixels=0.1)
    assert engine.verdicts(example, config, few)[0].verdict == "indicative"
    gate = passing_and_failing()[1]
    gates = {"digits": CellGates({"ae": PerSeed((0,), (gate,))})}
    withheld = engine.verdicts(example, config, apart, gates)[0]
    assert withheld.verdict == "not judged" and "ae seed 0" in withheld.evidence
