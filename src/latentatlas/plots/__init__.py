"""Static figures (matplotlib) of analysis results; plots draw results and never compute metrics."""

from latentatlas.plots.clusters import (
    confusion_plot,
    pair_heatmap,
    silhouette_grid,
    silhouette_plot,
)
from latentatlas.plots.images import (
    image_grid,
    image_pairs,
    image_rows,
    reconstructions_by_model,
    to_display,
)
from latentatlas.plots.latent import latent_overlay, latent_scatter_grid
from latentatlas.plots.style import OKABE_ITO, apply_style, class_colors, style_context
from latentatlas.plots.sweeps import history_plot, loss_series, metric_strip, metric_vs_option

__all__ = [
    "OKABE_ITO",
    "apply_style",
    "class_colors",
    "confusion_plot",
    "history_plot",
    "image_grid",
    "image_pairs",
    "image_rows",
    "latent_overlay",
    "latent_scatter_grid",
    "loss_series",
    "metric_strip",
    "metric_vs_option",
    "pair_heatmap",
    "reconstructions_by_model",
    "silhouette_grid",
    "silhouette_plot",
    "style_context",
    "to_display",
]
