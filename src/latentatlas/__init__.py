"""latentatlas: train autoencoders and map the structure of their latent spaces.

The flow is ``data -> models -> train -> runs -> analysis -> plots / report``, and ``studies``
compose it for each source investigation. Start here:

>>> import latentatlas as la
>>> data = la.data.load("mnist", digits=(1, 2))               # doctest: +SKIP
>>> model = la.models.build("ae", data.input_shape, latent_dim=2)  # doctest: +SKIP
>>> run = la.runs.load("runs/ae12/seed-0")                     # doctest: +SKIP
>>> la.analysis.silhouette(run.latents["validation_codes"],
...                        run.latents["validation_labels"]).mean  # doctest: +SKIP

Subpackages
-----------
data
    ``load(name, **options)``, ``names()``, the :class:`Dataset` container.
models
    ``build(name, input_shape, latent_dim, **options)``, ``names()``, ``encode_array``,
    ``reconstruct_array``: every autoencoder (and PCA) behind one contract.
train
    ``fit``: the one training loop.
runs
    ``train_run``, ``train_many``, ``load``, ``list_runs``: run directories on disk.
analysis
    Pure analyses returning frozen dataclasses: ``silhouette``, ``seed_variability``,
    ``procrustes_disparity``, ``linear_cka``, ``knn_accuracy``, ``label_reconstruction``.
plots, report
    Figures from results, and the self-contained HTML report.
studies
    ``DigitPairsConfig`` and ``run_study``: the digit-pairs investigation in one call.
"""

from __future__ import annotations

from latentatlas import analysis, data, models, runs, studies, train
from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.data import Dataset
from latentatlas.errors import InputError

__all__ = [
    "DataConfig",
    "Dataset",
    "InputError",
    "ModelConfig",
    "RunConfig",
    "TrainConfig",
    "analysis",
    "data",
    "models",
    "runs",
    "studies",
    "train",
]
