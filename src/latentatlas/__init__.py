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
    ``fit``: the one training loop; ``step_seconds``, ``evaluation_seconds_per_row`` and
    ``checkpoint_seconds`` time its own pieces (the atlas's dry-run estimate).
runs
    ``train_run``, ``load``, ``list_runs``: run directories on disk.
results
    ``ResultMixin`` and ``PerSeed``: every typed result is a frozen dataclass that is its own
    JSON schema (``to_dict``/``from_dict``), per training seed where a study repeats it.
analysis
    Pure analyses returning frozen dataclasses: ``silhouette``, ``seed_variability``,
    ``procrustes_disparity``, ``linear_cka``, ``knn_accuracy``, ``label_reconstruction``.
plots, report
    Figures from results, and the self-contained HTML report.
executors
    ``LocalExecutor``, ``train_many``: run a plan of trainings here or in worker processes.
inspect
    ``inspect(out, encode=..., decode=..., data=...)`` or ``inspect(out, codes=...)``: map a
    model trained elsewhere with every analysis its model and data allow.
studies
    The study engine: ``names()``, ``run(name, config, out)``, ``load(out)`` (typed results and
    the verdicts on each source's claims), ``write_report(out)``.

Every name below is imported on first use (PEP 562), so ``import latentatlas`` and the command
line start without loading torch or scikit-learn.
"""

from latentatlas._lazy import lazy_attributes

_EXPORTS = {
    "DataConfig": "latentatlas.config",
    "ModelConfig": "latentatlas.config",
    "RunConfig": "latentatlas.config",
    "TrainConfig": "latentatlas.config",
    "Dataset": "latentatlas.data.base",
    "InputError": "latentatlas.errors",
    "analysis": "latentatlas.analysis",
    "data": "latentatlas.data",
    "executors": "latentatlas.executors",
    "inspect": "latentatlas.studies.inspect.api",
    "models": "latentatlas.models",
    "plots": "latentatlas.plots",
    "report": "latentatlas.report",
    "results": "latentatlas.results",
    "runs": "latentatlas.runs",
    "studies": "latentatlas.studies",
    "train": "latentatlas.train",
}

__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
