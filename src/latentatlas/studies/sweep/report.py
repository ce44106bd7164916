"""The sweep's report: a summary over seeds, each metric against each swept option, failures.

It draws from the results table's rows only (no data, no models), so it is redrawn in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from latentatlas.studies.sweep.metrics import METRICS
from latentatlas.studies.sweep.spec import SweepSpec, _display


def build_report(spec: SweepSpec, rows: Sequence[Mapping[str, Any]]) -> Any:
    """The sweep's report: a summary table, each metric against each swept option, failures.

    It draws from the table's rows only (no data, no models), so it is redrawn in seconds.
    """
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
        _summary_rows(finished, [name for name, _ in swept], metrics),
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


def _summary_rows(
    rows: Sequence[Mapping[str, Any]], swept: Sequence[str], metrics: Sequence[str]
) -> list[dict[str, Any]]:
    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(name) for name in swept or ["model"]), []).append(row)
    summary = []
    for key, members in groups.items():
        line: dict[str, Any] = dict(zip(swept or ["model"], key, strict=True))
        for metric in metrics:
            line[metric] = [row[metric] for row in members if _finite(row.get(metric))]
        summary.append(line)
    return summary


def _add_option_section(
    report: Any,
    rows: Sequence[Mapping[str, Any]],
    option: str,
    values: Sequence[Any],
    models: Sequence[str],
    metrics: Sequence[str],
) -> None:
    from latentatlas.plots import metric_vs_option

    section = report.add_section(f"Metrics against {option}")
    seeds = sorted({row["seed"] for row in rows})
    for metric in metrics:
        by_model = {
            model: [_seed_means(rows, model, option, value, metric, seeds) for value in values]
            for model in models
        }
        by_model = {m: v for m, v in by_model.items() if any(len(s) for s in v)}
        if not by_model:
            continue
        figure = metric_vs_option(
            list(values), by_model, option, METRICS[metric], f"{metric} against {option}"
        )
        section.add_figure(
            figure,
            f"{metric} against {option}",
            f"Dots: each seed's {metric}, averaged over the other swept options; line and bars: "
            f"mean ± std over seeds. Look for a trend in {option} larger than the seed spread.",
        )


def _seed_means(
    rows: Sequence[Mapping[str, Any]],
    model: str,
    option: str,
    value: Any,
    metric: str,
    seeds: Sequence[int],
) -> list[float]:
    """Per seed, the metric's mean over the runs of ``model`` with ``option == value``."""
    means = []
    for seed in seeds:
        found = [
            row[metric]
            for row in rows
            if row["model"] == model
            and row.get(option) == value
            and row["seed"] == seed
            and _finite(row.get(metric))
        ]
        if found:
            means.append(float(np.mean(found)))
    return means


def _add_strips(
    report: Any, rows: Sequence[Mapping[str, Any]], models: Sequence[str], metrics: Sequence[str]
) -> None:
    from latentatlas.plots import metric_strip

    section = report.add_section("Metrics by model")
    for metric in metrics:
        by_model = {
            model: [r[metric] for r in rows if r["model"] == model and _finite(r.get(metric))]
            for model in models
        }
        by_model = {m: v for m, v in by_model.items() if v}
        if by_model:
            section.add_figure(
                metric_strip(by_model, METRICS[metric], f"{metric} by model"),
                f"{metric} by model",
                "Dots: seeds; diamond: mean ± std. Compare the gap between models to the spread.",
            )


def _add_failures(report: Any, failed: Sequence[Mapping[str, Any]]) -> None:
    if not failed:
        return
    section = report.add_section("Failed runs", "Each failed run was tried twice.")
    section.add_table(
        [
            {"run": r["folder"], "model": r["model"], "seed": r["seed"], "error": r["error"]}
            for r in failed
        ]
    )


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
