"""The disentanglement study on the engine: the grid, the typed results and the claims judged.

Redoes 003_685b0f5ef59928c2.txt over seeds, with numbers where the source had pictures: the
source's 16-d autoencoder with a classifier on MNIST, traversed dimension by dimension (does a
dimension do the same thing for every input?) and scored with the source's single-label DCI;
and, where ground-truth factors exist (``sprites``, ``heatmaps``), an autoencoder and VAEs with
several betas scored with Eastwood & Williams' DCI, MIG and SAP, to test the field's expectation
that a larger beta gives more disentangled codes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from latentatlas.config import DataConfig, ModelConfig
from latentatlas.studies.claims import Claim, Comparison, compare, seeds_note
from latentatlas.studies.disentanglement.config import (
    N_HEATMAPS,
    DisentanglementConfig,
    beta_key,
)
from latentatlas.studies.engine import (
    AnalysisContext,
    Cell,
    CellOutput,
    Study,
    seed_runs,
)

if TYPE_CHECKING:
    from latentatlas.studies.disentanglement.results import DisentanglementResult, ModelResult

#: Key of the MNIST cell (always the first, headline cell) and of its one model.
MNIST_CELL = "mnist"
MNIST_MODEL = "ae-classifier"
#: The source's D for "not disentangled": below 0.5 the label's importance is spread over more
#: than two codes (1 / D is the effective number of codes, the inverse Simpson index).
SINGLE_FACTOR_D_THRESHOLD = 0.5


class DisentanglementStudy(Study):
    """Does a latent dimension do one thing, for every input, and does beta help?"""

    name = "disentanglement"
    title = "Disentanglement"
    question = (
        "Does each latent dimension of an autoencoder do one thing for every input, and do "
        "VAEs with a larger beta give more disentangled codes?"
    )
    source = "003_685b0f5ef59928c2.txt"
    citation = '"Understanding AutoEncoder (Part 2): Navigating the Tesseract"'
    report_module = "latentatlas.studies.disentanglement.report"
    config_type = DisentanglementConfig

    @property
    def result_type(self) -> type:  # type: ignore[override]
        """:class:`DisentanglementResult`, imported on first use (it imports scikit-learn)."""
        from latentatlas.studies.disentanglement.results import DisentanglementResult

        return DisentanglementResult

    def cells(self, config: DisentanglementConfig) -> list[Cell]:
        """MNIST first (the source's model), then one cell per factor data set."""
        mnist_models = {MNIST_MODEL: model_config(config, MNIST_CELL, MNIST_MODEL)}
        runs = seed_runs(config, data_config(config, MNIST_CELL), mnist_models, "runs/mnist")
        cells = [Cell(MNIST_CELL, runs, {"dataset": "mnist", "models": (MNIST_MODEL,)})]
        for dataset in config.factor_datasets:
            keys = factor_models(config)
            models = {key: model_config(config, dataset, key) for key in keys}
            runs = seed_runs(config, data_config(config, dataset), models, f"runs/{dataset}")
            cells.append(Cell(dataset, runs, {"dataset": dataset, "models": keys}))
        return cells

    def analyse(
        self, config: DisentanglementConfig, cell: Cell, context: AnalysisContext
    ) -> CellOutput:
        """Every analysis of one cell; see :func:`analyse_cell`."""
        from latentatlas.studies.disentanglement.analyse import analyse_cell

        return analyse_cell(config, cell, context)

    def claims(
        self, config: DisentanglementConfig, results: Mapping[str, DisentanglementResult]
    ) -> list[Claim]:
        """The source's two claims on MNIST and the field's beta claim on the factor data."""
        mnist = results[MNIST_CELL].models.get(MNIST_MODEL)
        factor_cells = {d: results[d] for d in config.factor_datasets if d in results}
        return [
            dimensions_entangled(mnist),
            mnist_not_disentangled(mnist, config.mnist_latent_dim),
            higher_beta_more_disentangled(config, factor_cells),
        ]


def factor_models(config: DisentanglementConfig) -> tuple[str, ...]:
    """The model keys of a factor cell: ``ae`` then one VAE per beta."""
    return ("ae", *(beta_key(beta) for beta in config.betas))


def data_config(config: DisentanglementConfig, dataset: str) -> DataConfig:
    """The loader options of one cell's data set: one home for the runs and the analyses."""
    options: dict[str, Any] = {}
    if dataset == MNIST_CELL:
        if config.data_dir is not None:
            options["data_dir"] = config.data_dir
        if config.n_per_class is not None:
            options["n_per_class"] = config.n_per_class
    elif dataset == "sprites":
        options["n"] = config.n
    elif dataset == "heatmaps" and config.n < N_HEATMAPS:
        options["subsample"] = config.n
    return DataConfig(name=dataset, options=options)


def model_config(config: DisentanglementConfig, dataset: str, model: str) -> ModelConfig:
    """The model of one key: ``ae-classifier`` (MNIST), ``ae`` or ``vae-beta<B>``."""
    if dataset == MNIST_CELL:
        return ModelConfig(name=MNIST_MODEL, latent_dim=config.mnist_latent_dim)
    if model == "ae":
        return ModelConfig(name="ae", latent_dim=config.factor_latent_dim)
    beta = next(b for b in config.betas if beta_key(b) == model)
    return ModelConfig(
        name="vae",
        latent_dim=config.factor_latent_dim,
        options={"beta": float(beta), "decoder": config.vae_decoder},
    )


# -- claims ---------------------------------------------------------------------------------------
def dimensions_entangled(model: ModelResult | None) -> Claim:
    """The source: "the dimensions now behave differently for different data input"."""
    statement = (
        "A latent dimension does different things for different inputs: the MNIST autoencoder's "
        "dimensions are entangled."
    )
    if model is None:
        return _not_measured("dimensions_entangled", statement, "the MNIST model has no seed")
    traversal = model.traversal
    comparison = compare(traversal.entangled_dims, traversal.consistent_dims)
    verdict = {"greater": "supported", "less": "contradicted"}.get(
        comparison.direction, "inconclusive"
    )
    return Claim(
        "dimensions_entangled",
        statement,
        verdict,
        "Dimensions per seed (of "
        f"{len(traversal.classification[0])}), entangled against consistent: "
        + comparison.describe("entangled", "consistent", digits=1)
        + f"; inactive {_values(traversal.inactive_dims)}; mean consistency of the active "
        f"dimensions {_values(traversal.mean_consistency)} (1 = every input changes alike).",
        f"traversals of {traversal.n_inputs} validation images ({traversal.mode} values -3 to 3); "
        f"a dimension is consistent when the mean pairwise cosine similarity of its change "
        f"images reaches {traversal.consistency_threshold}, inactive below "
        f"{traversal.inactive_fraction:.0%} of the strongest; more entangled than consistent "
        "dimensions in every seed (supported) or fewer in every seed (contradicted); "
        + seeds_note(comparison),
    )


def mnist_not_disentangled(model: ModelResult | None, latent_dim: int) -> Claim:
    """The source: "our disentanglement and completeness are very-very low"."""
    statement = "The MNIST autoencoder is not disentangled: the source's single-label D is low."
    if model is None or model.dci_single_factor is None:
        return _not_measured("mnist_not_disentangled", statement, "the MNIST model has no seed")
    scores = model.dci_single_factor
    low = [d < SINGLE_FACTOR_D_THRESHOLD for d in scores.disentanglement]
    verdict = "supported" if all(low) else "contradicted" if not any(low) else "inconclusive"
    return Claim(
        "mnist_not_disentangled",
        statement,
        verdict,
        f"Single-label D (sum of squared normalised importances) per seed "
        f"{_values(scores.disentanglement)}, i.e. the digit spread over "
        f"{_values(scores.effective_codes, 1)} codes effectively; C (largest importance) "
        f"{_values(scores.completeness)}; I (held-out accuracy) "
        f"{_values(scores.informativeness)}. D would be {1 / latent_dim:.3f} for importance "
        f"spread evenly over all {latent_dim} codes and 1 for one code.",
        f"D below {SINGLE_FACTOR_D_THRESHOLD} (more than two effective codes) in every seed: "
        f"supported; in none: contradicted; else inconclusive ({len(low)} seeds). The source "
        "prints no number, only 'very-very low'.",
    )


def higher_beta_more_disentangled(
    config: DisentanglementConfig, cells: Mapping[str, DisentanglementResult]
) -> Claim:
    """The field's expectation (Higgins et al. 2017): beta > 1 disentangles more."""
    statement = "A VAE with a higher beta gives more disentangled codes (DCI D and MIG)."
    low, high = beta_key(min(config.betas)), beta_key(max(config.betas))
    if low == high or not cells:
        return _not_measured(
            "higher_beta_more_disentangled",
            statement,
            "needs two betas and a factor data set (--betas 1,4 --factor-datasets sprites)",
        )
    judged: list[str] = []
    parts: list[str] = []
    notes: list[str] = []
    for dataset, result in cells.items():
        a, b = result.models.get(high), result.models.get(low)
        if a is None or b is None or a.dci is None or b.dci is None or a.mig is None:
            parts.append(f"{dataset}: a model has no finished seed")
            judged.append("inconclusive")
            continue
        by_metric = {
            "DCI D": compare(a.dci.disentanglement, b.dci.disentanglement),
            "MIG": compare(a.mig, b.mig or ()),
        }
        judged.append(_both(by_metric.values()))
        notes.append(seeds_note(by_metric["MIG"]))
        names = (f"beta {max(config.betas):g}", f"beta {min(config.betas):g}")
        parts.extend(f"{dataset}, {m}: " + c.describe(*names) for m, c in by_metric.items())
    verdict = judged[0] if len(set(judged)) == 1 else "inconclusive"
    return Claim(
        "higher_beta_more_disentangled",
        statement,
        verdict,
        "; ".join(parts) + ".",
        "beta's largest against smallest VAE on every factor data set: DCI D and MIG both above "
        "with no overlap between seeds (supported), both below (contradicted), else "
        "inconclusive; the data sets must agree; " + (notes[0] if notes else "no seeds"),
    )


def _both(comparisons: Iterable[Comparison]) -> str:
    directions = {c.direction for c in comparisons}
    if directions == {"greater"}:
        return "supported"
    if directions == {"less"}:
        return "contradicted"
    return "inconclusive"


def _values(values: Sequence[float], digits: int = 3) -> str:
    return ", ".join(f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in values)


def _not_measured(key: str, statement: str, why: str) -> Claim:
    return Claim(key, statement, "inconclusive", f"Not measured: {why}.", "none")


def seed_pairs(n: int) -> list[tuple[int, int]]:
    """Index pairs of ``n`` seeds in a fixed order (the order of ``seed_agreement``)."""
    return list(itertools.combinations(range(n), 2))


STUDY = DisentanglementStudy()
