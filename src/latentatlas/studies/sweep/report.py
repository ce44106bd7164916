"""The sweep's report: a summary over seeds, each metric against each swept option, failures.

It draws from the results table's rows only (no data, no models), so it is redrawn in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from latentatlas.studies.report_parts import add_against_setting, add_strip
from latentatlas.studies.sweep.metrics import METRICS
from latentatlas.studies.sweep.spec import SweepSpec, _display

Rows = Sequence[Mapping[str, Any]]


def build_report(spec: SweepSpec, rows: Rows) -> Any:
    """The sweep's report: a summary table, each metric against each swept option, failures."""
    from latentatlas.report import Report

    finished = [row for row in rows if row["status"] == "finished"]
    swept = spec.swept()
    report = Report(
        f"Sweep: {spec.dataset}",
        subtitle=f"latentatlas sweep {spec.source}",
        intro=(
            f"{len(rows)} runs of {', '.join(spec.models)} on {spec.dataset} over "
            f"{len(spec.seeds)} seed(s); {len(finished)} finished, "
            f"{len(rows) - len(finished)} failed. Swept: "
            f"{', '.join(name for name, _ in swept) or 'nothing but seeds'}."
        ),
    )
    metrics = [m for m in METRICS if any(_finite(row.get(m)) for row in finished)]
    report.add_summary_table(
        _summary_rows(finished, [name for name, _ in swept] or ["model"], metrics),
        caption="Each configuration's metrics over seeds (mean ± std, n = seeds).",
    )
    for name, values in swept:
        if name != "model":
            _add_option_section(report, finished, name, values, spec.models, metrics)
    if len(swept) <= 1:  # only models (or nothing) swept: one strip of seeds per metric
        _add_strips(report, finished, spec.models, metrics)
    _add_failures(report, [row for row in rows if row["status"] == "failed"])
    spec_keys = {k: _display(v) for k, v in spec.to_dict().items() if k != "source"}
    report.add_section("Spec").add_key_values(spec_keys, caption=spec.source)
    return report


def _grouped(rows: Rows, columns: Sequence[str], metric: str) -> dict[tuple[Any, ...], list[Any]]:
    """The finite values of ``metric``, grouped by the rows' values of ``columns`` (in order)."""
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        if _finite(row.get(metric)):
            groups.setdefault(tuple(row.get(name) for name in columns), []).append(row[metric])
    return groups


def _summary_rows(rows: Rows, columns: Sequence[str], metrics: Sequence[str]) -> list[Any]:
    """A row per combination of ``columns``' values, with each metric's values over seeds."""
    groups = {metric: _grouped(rows, columns, metric) for metric in metrics}
    keys = dict.fromkeys(tuple(row.get(name) for name in columns) for row in rows)
    return [
        {**dict(zip(columns, key, strict=True)), **{m: groups[m].get(key, []) for m in metrics}}
        for key in keys
    ]


def _add_option_section(
    report: Any,
    rows: Rows,
    option: str,
    values: Sequence[Any],
    models: Sequence[str],
    metrics: Sequence[str],
) -> None:
    """Each metric against ``option``: per model and value, each seed's mean over the other
    swept options."""
    seeds = sorted({row["seed"] for row in rows})
    by_metric: dict[str, dict[str, list[list[float]]]] = {}
    for metric in metrics:
        groups = _grouped(rows, ("model", option, "seed"), metric)
        by_metric[metric] = {
            model: [
                [
                    float(np.mean(groups[model, value, s]))
                    for s in seeds
                    if (model, value, s) in groups
                ]
                for value in values
            ]
            for model in models
        }
    add_against_setting(
        report, option, values, by_metric, "averaged over the other swept options", METRICS
    )


def _add_strips(report: Any, rows: Rows, models: Sequence[str], metrics: Sequence[str]) -> None:
    section = report.add_section("Metrics by model")
    for metric in metrics:
        groups = _grouped(rows, ("model",), metric)
        by_model = {model: groups.get((model,), []) for model in models}
        add_strip(section, by_model, METRICS[metric], f"{metric} by model")


def _add_failures(report: Any, failed: Rows) -> None:
    if failed:
        section = report.add_section("Failed runs", "Each failed run was tried twice.")
        section.add_table(
            [{"run": r["folder"], **{c: r[c] for c in ("model", "seed", "error")}} for r in failed]
        )


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
