"""The explorer's export: the current view as one self-contained HTML page (plotly.js inlined)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.errors import InputError
from latentatlas.explorer.catalogue import SPLIT_NAMES, RunView
from latentatlas.explorer.images import data_url, png, reconstruction
from latentatlas.explorer.payloads import point_payload
from latentatlas.explorer.views import ViewSpec, axis_titles, subsample, view_coordinates


def colour_values(run: RunView, colour: str) -> tuple[str, NDArray[Any], bool]:
    """Title, per-row values and whether they are categories, for colouring by ``colour``.

    ``colour`` is ``label``, ``split``, ``error`` (reconstruction error) or ``factor:<name>``.
    """
    if colour == "label" and run.labels is not None:
        names = run.label_names
        labels = [names[v] if names and 0 <= v < len(names) else str(v) for v in run.labels]
        return "label", np.asarray(labels), True
    if colour == "split":
        return "split", np.asarray(SPLIT_NAMES)[run.split], True
    if colour == "error":
        return "reconstruction error (MSE)", run.error, False
    name = colour.removeprefix("factor:")
    if colour.startswith("factor:") and name in run.factor_names and run.factors is not None:
        return name, run.factors[:, run.factor_names.index(name)], False
    choices = ["label"] * (run.labels is not None) + ["split", "error"]
    choices += [f"factor:{n}" for n in run.factor_names]
    raise InputError(f"cannot colour by {colour!r}; choose one of {choices}")


def export_html(
    run: RunView, spec: ViewSpec, colour: str, max_points: int | None, selected: int | None
) -> str:
    """A self-contained HTML page (plotly.js inlined) of the current view, to embed anywhere.

    The page needs no server and no network: the cloud, its colouring, the selected point and
    its image and decode as inline PNGs.
    """
    import plotly.graph_objects as go

    from latentatlas.plots.style import CONTINUOUS_CMAP, OKABE_ITO, TOL_MUTED

    title, values, categorical = colour_values(run, colour)
    coords, rows = view_coordinates(run, spec)
    kept = subsample(run, np.arange(len(rows)), max_points)
    coords, rows, values = coords[kept], rows[kept], values[rows[kept]]
    three = coords.shape[1] == 3
    size = 2 if three else 4
    trace = go.Scatter3d if three else go.Scattergl
    figure = go.Figure()

    def add(mask: NDArray[np.bool_], name: str, marker: dict[str, Any]) -> None:
        xyz = {"xyz"[k]: coords[mask, k] for k in range(coords.shape[1])}
        text = [f"row {i}" for i in run.indices[rows[mask]]]
        figure.add_trace(trace(**xyz, mode="markers", name=name, marker=marker, text=text))

    if categorical:
        groups = list(dict.fromkeys(values.tolist()))
        palette = OKABE_ITO if len(groups) <= len(OKABE_ITO) else TOL_MUTED
        for k, group in enumerate(sorted(groups, key=_natural)):
            colour_k = palette[k % len(palette)]
            add(values == group, str(group), {"size": size, "color": colour_k})
    else:
        bar = {"title": {"text": title}}
        marker = {"size": size, "color": values, "colorscale": CONTINUOUS_CMAP, "colorbar": bar}
        add(np.ones(len(values), bool), title, marker)
    titles = axis_titles(run, spec)
    caption = _export_caption(run, spec, colour, len(rows))
    layout: dict[str, Any] = {"title": {"text": caption}, "template": "plotly_white"}
    layout.update(legend={"title": {"text": title}}, height=640)
    if three:
        layout["scene"] = {
            f"{a}axis": {"title": {"text": t}} for a, t in zip("xyz", titles, strict=True)
        }
    else:
        layout["xaxis"] = {"title": {"text": titles[0]}}
        layout["yaxis"] = {"title": {"text": titles[1]}, "scaleanchor": "x", "scaleratio": 1}
    figure.update_layout(**layout)
    body = figure.to_html(include_plotlyjs=True, full_html=False)
    return _export_page(caption, body, _selected_block(run, selected))


def _natural(value: Any) -> tuple[int, Any]:
    text = str(value)
    return (0, int(text)) if text.lstrip("-").isdigit() else (1, text)


def _export_caption(run: RunView, spec: ViewSpec, colour: str, n: int) -> str:
    entry = run.entry
    view = f"PCs {', '.join(str(p + 1) for p in spec.pcs)}" if spec.kind == "pca" else spec.kind
    return (
        f"{entry.name}: {entry.model}, latent_dim {entry.latent_dim}, seed {entry.seed}, "
        f"data set {entry.dataset}; {view} view of {n} points coloured by {colour}"
    )


def _selected_block(run: RunView, selected: int | None) -> str:
    import html

    if selected is None:
        return ""
    point = point_payload(run, selected, None)
    decoded = data_url(png(reconstruction(run, selected)))
    facts = ", ".join(f"{k} = {v:.3g}" for k, v in point["factors"].items())
    label = f"label {html.escape(str(point['label_name']))}" if point["label"] is not None else ""
    return (
        f'<figure><img alt="decode of the selected point" src="{decoded}">'
        f"<figcaption>Selected point: data set row {selected} ({point['split']}) {label} "
        f"{html.escape(facts)}; its reconstruction (decode of its code).</figcaption></figure>"
    )


def _export_page(title: str, body: str, extra: str) -> str:
    import html

    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:1rem;color:#222}"
        "figure img{image-rendering:pixelated;border:1px solid #ccc}</style></head><body>"
        f"{body}{extra}<p><small>Exported by latentatlas explore.</small></p></body></html>\n"
    )
