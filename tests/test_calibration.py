"""The calibration table (benchmarks/calibration.py) holds: each measure's power and false-positive
rate stay within their bounds on the small profile, on synthetic cases whose truth is known."""

from __future__ import annotations

from pathlib import Path

import pytest

from _benchmarks import load

calibration = load("calibration")


@pytest.mark.parametrize("section", calibration.SECTIONS, ids=lambda s: s.__name__)
def test_every_measure_keeps_its_power_and_false_positive_rate(section):
    rows = section(calibration.SMALL)
    assert rows
    for row in rows:
        assert row.n_power > 0, row.measure
        assert row.power >= row.min_power, (row.measure, row.power, row.min_power)
        assert row.false_positive <= row.max_false_positive, (
            row.measure,
            row.false_positive,
            row.max_false_positive,
        )


def test_the_margins_are_the_calibrated_factor_times_the_seed_spread():
    from latentatlas.studies.claims import EQUIVALENCE_SDS, equivalence_margin
    from latentatlas.studies.digit_pairs.study import SILHOUETTE_MARGIN, SILHOUETTE_SEED_SD
    from latentatlas.studies.heatmaps.study import KNN_MARGIN, KNN_SEED_SD, KNN_SPLIT_FLOOR

    assert SILHOUETTE_MARGIN == equivalence_margin(SILHOUETTE_SEED_SD)
    assert SILHOUETTE_MARGIN >= EQUIVALENCE_SDS * SILHOUETTE_SEED_SD
    assert KNN_MARGIN == max(equivalence_margin(KNN_SEED_SD), KNN_SPLIT_FLOOR)
    # that EQUIVALENCE_SDS sds give TOST its power at 5 seeds is the margin rows' check above


def test_the_resolvable_margin_is_where_tost_starts_to_reject():
    import numpy as np

    from latentatlas.studies import _significance as sig

    a, b = np.array([0.1, 0.3, -0.2, 0.0, 0.4]), np.array([-0.1, 0.2, 0.1, -0.3, 0.0])
    margin = calibration.resolvable_margin(a, b)
    assert sig.tost_p(a, b, margin) < sig.ALPHA <= sig.tost_p(a, b, margin - 0.01)


def test_equivalence_margin_rounds_up_and_keeps_its_floor():
    from latentatlas.studies.claims import equivalence_margin

    assert equivalence_margin(0.0234) == pytest.approx(0.05)
    assert equivalence_margin(0.0013, floor=0.02) == pytest.approx(0.02)
    assert equivalence_margin(0.02) == pytest.approx(0.04)


def test_the_table_writes_one_line_per_row():
    rows = calibration.statistics_rows(
        calibration.Profile("tiny", 1, 1, 100, 50, (16,), (0.0,), 3, 1)
    )
    text = calibration.table(rows)
    assert text.count("\n") == len(rows) + 1
    assert all(row.measure.split(":")[0] in text for row in rows)


def test_every_claim_has_its_row_in_the_claims_doc():
    from latentatlas.studies import engine

    text = (Path(__file__).parents[1] / "docs" / "analyses" / "claims.md").read_text()
    for name in engine.names():
        study = engine.get(name)
        for spec in study.claim_specs(study.config_type()):
            assert f"| `{spec.key}` |" in text, (name, spec.key)


def test_one_section_replaces_only_its_own_rows(tmp_path, monkeypatch):
    from dataclasses import replace

    rows = calibration.statistics_rows(
        calibration.Profile("tiny", 1, 1, 100, 50, (16,), (0.0,), 3, 1)
    )
    doc = tmp_path / "calibration.md"
    doc.write_text(f"intro\n\n{calibration.table(rows)}\n\nafter\n")
    monkeypatch.setattr(calibration, "DOC", doc)
    changed = replace(rows[1], power=0.123, n_power=7)
    calibration.replace_rows([changed])
    lines = doc.read_text().splitlines()
    assert lines[0] == "intro" and lines[-1] == "after"
    assert sum("0.123 (n = 7)" in line for line in lines) == 1
    assert lines[5].startswith(f"| {changed.measure} |") and "0.123 (n = 7)" in lines[5]
    assert lines[4] == calibration.table(rows).splitlines()[2]  # the other rows as they were
    with pytest.raises(SystemExit, match="no row for"):
        calibration.replace_rows([replace(changed, measure="a measure the table lacks")])
