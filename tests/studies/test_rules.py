"""The claim parts of studies/rules.py on cases whose verdict is known."""

from __future__ import annotations

from types import SimpleNamespace

from _gates import cell_gates

from latentatlas.studies.claims import AllSeeds, NotJudged
from latentatlas.studies.rules import AtMostIndicative, has_models, rests_on


def test_a_decided_verdict_is_capped_at_indicative_with_its_leaning_and_seeds() -> None:
    supported = AllSeeds([0.5, 0.6, 0.7, 0.8, 0.9, 1.0], above=0.1).judge()
    assert supported.verdict == "supported"
    capped = AtMostIndicative(AllSeeds([0.5, 0.6, 0.7, 0.8, 0.9, 1.0], above=0.1), "why", 4)
    judged = capped.judge()
    assert (judged.verdict, judged.leaning, judged.seeds) == ("indicative", "supported", 4)
    assert judged.test == f"{supported.test}; why"
    assert judged.p_value == supported.p_value and judged.effect == supported.effect
    contradicted = AtMostIndicative(AllSeeds([0.0] * 6, above=0.1), "why").judge()
    assert (contradicted.verdict, contradicted.leaning, contradicted.seeds) == (
        "indicative",
        "contradicted",
        6,
    )


def test_undecided_and_unjudged_verdicts_pass_through() -> None:
    mixed = AtMostIndicative(AllSeeds([0.0, 0.2, 0.0, 0.2, 0.0, 0.2], above=0.1), "why").judge()
    assert mixed.verdict == "inconclusive" and mixed.leaning is None
    assert AtMostIndicative(NotJudged("no seeds"), "why").judge() == NotJudged("no seeds").judge()


def test_has_models_names_the_missing_cell_or_model() -> None:
    evidence = SimpleNamespace(results={"a": SimpleNamespace(models=["ae", "pca"])})
    assert has_models("ae", "pca", cells=["a"])(evidence) is None
    assert has_models("dae", cells=["a"])(evidence) == (
        "needs the dae model, which this run does not have"
    )
    assert has_models("ae", cells=["a", "b"])(evidence) == (
        "needs the b cell, which this run does not have"
    )
    assert has_models("ae", cells=["b", "a", "c"], what="data set")(evidence) == (
        "needs the b, c data sets, which this run does not have"
    )


def test_has_models_reads_the_headline_cell_by_default() -> None:
    headline = [SimpleNamespace(key="a"), SimpleNamespace(key="b")]
    evidence = SimpleNamespace(results={"a": SimpleNamespace(models=["ae"])}, cells=headline)
    assert has_models("ae")(evidence) is None
    assert has_models("vae")(evidence) == "needs the vae model, which this run does not have"
    evidence.cells = headline[::-1]
    assert has_models("ae")(evidence) == "needs the b cell, which this run does not have"


def test_rests_on_asks_for_the_models_then_that_they_learned() -> None:
    results = {"a": SimpleNamespace(models=["ae", "pca"])}
    ran, learned = rests_on("ae", "pca", cells=["a"], what="data set")
    passing = SimpleNamespace(results=results, gates={"a": cell_gates(["ae", "pca"], seeds=2)})
    assert ran(passing) is None and learned(passing) is None
    absent_model, _ = rests_on("dae", cells=["a"])
    assert absent_model(passing) == "needs the dae model, which this run does not have"
    failing = SimpleNamespace(results=results, gates={"a": cell_gates(["ae", "pca"], "ae")})
    assert ran(failing) is None
    assert learned(failing).startswith("a model it rests on did not learn (ae seed 0")
    absent = SimpleNamespace(results={}, gates={})
    assert ran(absent) == "needs the a data set, which this run does not have"


def test_rests_on_reads_the_headline_cell_by_default() -> None:
    headline = [SimpleNamespace(key="a"), SimpleNamespace(key="b")]
    results = {"a": SimpleNamespace(models=["ae"]), "b": SimpleNamespace(models=["ae"])}
    gates = {"a": cell_gates(["ae"], seeds=2), "b": cell_gates(["ae"], "ae", seeds=2)}
    evidence = SimpleNamespace(results=results, gates=gates, cells=headline)
    assert [need(evidence) for need in rests_on("ae")] == [None, None]  # b is not the headline
    evidence.cells = headline[::-1]
    ran, learned = rests_on("ae")
    assert ran(evidence) is None
    assert learned(evidence).startswith("a model it rests on did not learn (ae seed 0")
