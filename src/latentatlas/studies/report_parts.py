"""Parts a study's report body is built from: tables read column by column from per-seed results,
strips of seeds, metrics against a swept setting, how the layout moves between seeds, and rows of
reconstructions.

Each part draws what it is given and computes nothing: a study hands over its stored numbers
(results, ``arrays.npz`` entries or a sweep's table rows) and the part writes the table or figure
with the sentence every study shares for it. ``sections`` holds the report's frame (verdicts,
gates, failures, settings); these are the pieces in between.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from latentatlas.report import Report, Section, mean_std


class Column(NamedTuple):
    """One column of a table read from a result: its header, its value, the decimals shown.

    ``values(result)`` returns the numbers over seeds (shown as mean ± std), one number, a text
    shown as given, or None where the result has no such value (the cell is left out, and the
    table shows a dash if another row has the column).
    """

    header: str
    values: Callable[[Any], Any]
    digits: int = 3


def cell(value: Any, digits: int = 3) -> str | None:
    """One table cell: numbers over seeds as ``mean ± std (n=...)``, one number with ``digits``
    decimals, a text as given, None for no value.

    Parameters
    ----------
    value : sequence of float, float, str or None
        What a :class:`Column` read.
    digits : int
        Decimals of the numbers.

    Returns
    -------
    str or None
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"{value:.{digits}f}"
    return mean_std(list(value), digits=digits)


def column_row(columns: Sequence[Column], result: Any, /, **first: str) -> dict[str, str]:
    """One table row: the ``first`` cells as given, then each column read from ``result``.

    Parameters
    ----------
    columns : sequence of Column
        The columns after the ``first`` ones, in order.
    result : object
        What every column reads (a model's scores, a seed spread, one path's numbers).
    **first : str
        Cells that name the row (``model="PCA"``, ``**{"data set": "heatmaps"}``).

    Returns
    -------
    dict of str to str
        Header to cell; a column whose value is None is left out.
    """
    row = dict(first)
    for header, values, digits in columns:  # a plain (header, values, digits) tuple serves too
        text = cell(values(result), digits)
        if text is not None:
            row[header] = text
    return row


def model_rows(
    results: Mapping[str, Any],
    columns: Sequence[Column],
    title: Callable[[str], str] = str,
    name: str = "model",
) -> list[dict[str, str]]:
    """One :func:`column_row` per entry of ``results``, named by ``title(key)`` in column ``name``.

    Parameters
    ----------
    results : mapping of str to object
        Per model (or path, or pair), what the columns read.
    columns : sequence of Column
        The table's columns after the name.
    title : callable, optional
        How the report names a key (``"pca"`` -> ``"PCA (closed form)"``).
    name : str
        The header of the naming column.

    Returns
    -------
    list of dict
        The rows, in the order of ``results``.
    """
    return [column_row(columns, result, **{name: title(key)}) for key, result in results.items()]


#: The three numbers of how a model's results move between seeds (``analysis.seed_variability``),
#: read from anything with ``silhouette_std``, ``procrustes_pairs`` and ``cka_pairs``.
SEED_SPREAD_COLUMNS = (
    Column("silhouette std", lambda spread: spread.silhouette_std),
    Column("Procrustes disparity (seed pairs)", lambda spread: spread.procrustes_pairs),
    Column("linear CKA (seed pairs)", lambda spread: spread.cka_pairs),
)
#: What the seed-spread columns measure, in the words every report uses.
SEED_SPREAD_EXPLAINED = (
    "Procrustes disparity: how much the layout moves between two seeds once rotation, "
    "reflection and scale are removed (0 is the same layout); linear CKA: how alike their "
    "similarity structure is (1 is the same); both as mean ± std over pairs of seeds."
)

#: What a strip of seeds asks the reader to compare.
STRIP_CAPTION = (
    "Each dot is one training seed, the diamond their mean ± std: look at how far the seeds of "
    "one model spread against the gaps between the models"
)


def add_strip(
    section: Section,
    by_model: Mapping[str, Sequence[float]],
    metric: str,
    title: str,
    heading: str | None = None,
    reference: tuple[float, str] | None = None,
    colors: Mapping[str, str] | None = None,
) -> bool:
    """Add one figure of each model's seeds of one number, beside their mean ± std.

    Parameters
    ----------
    section : Section
        Where the figure goes (``report.summary`` for a headline strip).
    by_model : mapping of str to sequence of float
        Per model (as the report names it), the number of each seed; models without a value
        are left out.
    metric : str
        The number's axis label.
    title : str
        The figure's own title.
    heading : str, optional
        The title above the figure in the report; defaults to ``title``.
    reference : (float, str), optional
        A value drawn as a dashed line, and its legend text (the pixel space, a real image).
    colors : mapping of str to colour, optional
        One colour per model, as in the report's other figures.

    Returns
    -------
    bool
        Whether a figure was added (False when no model has a value).
    """
    from latentatlas.plots import metric_strip

    shown = {model: values for model, values in by_model.items() if len(values)}
    if not shown:
        return False
    value, label = reference if reference is not None else (None, None)
    section.add_figure(
        metric_strip(shown, metric, title, value, label, colors),
        title=heading or title,
        caption=STRIP_CAPTION + (f" and the {label} line." if label else "."),
    )
    return True


def add_against_setting(
    report: Report,
    setting: str,
    values: Sequence[Any],
    metrics: Mapping[str, Mapping[str, Sequence[Sequence[float]]]],
    others: str,
    axis_labels: Mapping[str, str] | None = None,
    colors: Mapping[str, str] | None = None,
) -> Section:
    """A section "Against the SETTING": one figure per metric, each model's seeds at each value.

    Parameters
    ----------
    report : Report
        The report the section is added to.
    setting : str
        The swept setting as the report names it (``"latent dimension"``, ``"lr"``).
    values : sequence
        Its values, in display order (numbers on a numeric axis, texts on a categorical one).
    metrics : mapping of str to mapping of str to sequence of sequence of float
        Per metric name, per model, per value of the setting, the metric of each seed. A model
        without any value is left out of that metric's figure, a metric without any model is
        not drawn.
    others : str
        How each seed's value treats the other settings, completing "dots: each seed's value,
        ..." (``"averaged over the other swept options"``).
    axis_labels : mapping of str to str, optional
        A metric's axis label where it is not its name.
    colors : mapping of str to colour, optional
        One colour per model, as in the report's other figures.

    Returns
    -------
    Section
        The section, for anything the study adds below.
    """
    from latentatlas.plots import metric_vs_option

    section = report.add_section(f"Against the {setting}")
    for metric, by_model in metrics.items():
        drawn = {model: seeds for model, seeds in by_model.items() if any(map(len, seeds))}
        if not drawn:
            continue
        title = f"{metric} against the {setting}"
        label = (axis_labels or {}).get(metric, metric)
        section.add_figure(
            metric_vs_option(list(values), drawn, setting, label, title, colors),
            title=title,
            caption=f"Line and bars: mean ± std over seeds; dots: each seed's {metric}, {others}. "
            f"Look for a trend in the {setting} larger than the spread of the seeds.",
        )
    return section


def add_reconstructions(
    section: Section,
    originals: NDArray[np.floating],
    reconstructions: NDArray[np.floating],
    title: str,
    look_for: str,
    noisy: NDArray[np.floating] | None = None,
    figure_title: str | None = None,
) -> None:
    """Add a figure of originals above their reconstructions (and a denoiser's noisy inputs).

    Parameters
    ----------
    section : Section
        Where the figure goes.
    originals, reconstructions : ndarray
        The same inputs and one model's reconstructions of them, one column each.
    title : str
        The title above the figure in the report (name the seed drawn).
    look_for : str
        What to look for, completing the caption's "Look for ...".
    noisy : ndarray, optional
        The corrupted inputs a denoising model saw, drawn between the two rows.
    figure_title : str, optional
        The figure's own title.
    """
    from latentatlas.plots import image_pairs

    between = ", with the noisy training input between." if noisy is not None else "."
    section.add_figure(
        image_pairs(originals, reconstructions, noisy, len(originals), figure_title),
        title=title,
        caption=f"Originals above their reconstructions{between} Look for {look_for}.",
    )
