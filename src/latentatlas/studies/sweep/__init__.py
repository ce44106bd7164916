"""Sweeps: the product of a TOML spec's option lists, trained and measured as a study on the engine.

A spec names a data set and lists what to sweep::

    dataset = "mnist"
    models = ["pca", "ae", "dae"]
    latent_dims = [2, 3]
    seeds = [0, 1, 2]
    digit_pairs = [[1, 2], [4, 9]]
    epochs = 20            # any training, data or model option: a scalar is fixed,
    n_per_class = 100      # a list is swept (a list of lists for list-valued options)

Each run is one cell of the study (:mod:`.study`), its folder keyed by a short hash of its whole
configuration (``runs/<model>/<key>``), so the engine's resumption skips finished runs and adding
a seed trains only the new runs. :func:`run_sweep` also writes ``results.parquet`` and
``results.csv``, a row per run (:mod:`.table`). See docs/sweeps.md.
"""

from latentatlas.studies.sweep.metrics import METRICS, RunMetrics, run_metrics
from latentatlas.studies.sweep.spec import MAX_RUNS, SweepSpec, SweptOption, parse_spec, read_spec
from latentatlas.studies.sweep.study import STUDY, SweepOutcome, SweepRun, run_key, run_sweep
from latentatlas.studies.sweep.table import read_table, rows, write_table

__all__ = [
    "MAX_RUNS",
    "METRICS",
    "STUDY",
    "RunMetrics",
    "SweepOutcome",
    "SweepRun",
    "SweepSpec",
    "SweptOption",
    "parse_spec",
    "read_spec",
    "read_table",
    "rows",
    "run_key",
    "run_metrics",
    "run_sweep",
    "write_table",
]
