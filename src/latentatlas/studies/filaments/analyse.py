"""The analyses of the filaments study on the training codes, and the arrays its report draws."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.analysis.decoding import RandomDecodesResult, random_decodes
from latentatlas.analysis.density import (
    SOURCE_PLANES,
    AxisDensityResult,
    FilamentScoreResult,
    RadiusDensityResult,
    RadiusPeakNull,
    axis_density,
    filament_score,
    radius_density,
    radius_peak_null,
)
from latentatlas.analysis.maps import embed_2d
from latentatlas.analysis.pca import PcaSpectrumResult, pca_spectrum
from latentatlas.analysis.planes import plane_views
from latentatlas.resources import conv_cost_table
from latentatlas.studies.arrays import StoredMap, store_result
from latentatlas.studies.columns import columns_of
from latentatlas.studies.engine import AnalysisContext, Cell, CellOutput
from latentatlas.studies.filaments.config import SOURCE_FILTERS, FilamentsConfig
from latentatlas.studies.filaments.results import (
    AxisSeeds,
    DecodeSeeds,
    FilamentSeeds,
    FilamentsResult,
    ModelFilaments,
    RadiusSeeds,
    SpectrumSeeds,
)

#: Bin width of the radius peak the ``radius_peak`` claim reads (``radius_density``'s first).
RADIUS_BIN_WIDTH = 0.5
#: Zoom windows kept of ``plane_views``' five (e, e/2, ..., e/16): three panels per row.
ZOOMS = (0, 2, 4)
#: Parameters are counted at the source's two latent dimensions.
TABLE_LATENT_DIMS = (256, 512)


def analyse_cell(config: FilamentsConfig, cell: Cell, context: AnalysisContext) -> CellOutput:
    """Run every analysis on each model's training codes, and measure the resource table.

    Returns the :class:`FilamentsResult` and, for the report, the figure seed's full results
    (axis and radius densities, spectrum, t-SNE map, plane views, intrinsic dimension and
    voids, random decodes with their nearest training images) stored with
    :func:`store_result` under ``<model>/...``.
    """
    train = context.split(cell).train
    dataset, images = train.dataset, np.asarray(train.x, dtype=np.float32)
    by_model, failed = context.finished_runs(cell)
    arrays: dict[str, NDArray[Any]] = {}
    if dataset.label_names is not None:
        arrays["label_names"] = np.asarray(dataset.label_names, dtype=str)
    models = {
        model: _analyse_model(config, model, model_runs, images, train.labels, arrays, context)
        for model, model_runs in by_model.items()
    }
    context.step("the resource table (timed fits)")
    result = FilamentsResult(
        dataset=config.dataset,
        image_shape=tuple(int(s) for s in images.shape[1:]),
        latent_dim=config.latent_dim,
        n_train=len(train),
        models=models,
        resources=conv_cost_table(
            "conv-vae",
            (3, config.memory_image_side, config.memory_image_side),
            SOURCE_FILTERS,
            sorted(set(TABLE_LATENT_DIMS) | set(config.memory_latent_dims)),
            config.memory_latent_dims,
            config.memory_batch_sizes,
            config.memory_steps,
            config.device,
        ),
        failed_runs=failed,
        n_factors=None if dataset.factors is None else len(dataset.factor_names),
    )
    maps = _explorer_maps(by_model, train.index, context.folder, arrays)
    return CellOutput(result, arrays, maps=maps)


def _explorer_maps(
    by_model: dict[str, list[Any]],
    train_idx: NDArray[np.int64],
    folder: Path,
    arrays: dict[str, NDArray[Any]],
) -> tuple[StoredMap, ...]:
    """Each model's t-SNE map (of its first seed, whose figures ``arrays`` holds) with the data
    set rows of its points, so ``latentatlas explore`` shows it (docs/explorer.md)."""
    return tuple(
        StoredMap(
            method="tsne",
            run=Path(model_runs[0].path).resolve().relative_to(folder.resolve()).as_posix(),
            embedding=arrays[f"{model}/tsne/embedding"],
            dataset_rows=train_idx[arrays[f"{model}/tsne_rows"]],
        )
        for model, model_runs in by_model.items()
    )


@dataclass(frozen=True)
class _SeedAnalyses:
    """Every per-seed analysis of one run's training codes."""

    axis: AxisDensityResult
    radius: RadiusDensityResult
    radius_null: RadiusPeakNull
    spectrum: PcaSpectrumResult
    score: FilamentScoreResult
    decodes: RandomDecodesResult
    reconstruction_error: float


def _analyse_model(
    config: FilamentsConfig,
    model: str,
    model_runs: list[Any],
    images: NDArray[np.float32],
    labels: NDArray[np.int64] | None,
    arrays: dict[str, NDArray[Any]],
    context: AnalysisContext,
) -> ModelFilaments:
    """One model's numbers over its seeds; the first seed's figures go into ``arrays``."""
    per_seed = context.per_seed(
        model,
        model_runs,
        lambda run: _analyse_seed(config, run, images),
        "densities, local dimension, random decodes",
    )
    first = per_seed.results[0]
    for name in ("axis", "radius", "spectrum", "score", "decodes"):
        store_result(arrays, f"{model}/{name}", getattr(first, name))
    _store_nearest(arrays, model, first.decodes, images)
    codes = model_runs[0].latents["train_codes"]
    context.step(f"{model}: t-SNE map and plane views")
    preservation = _store_map(config, model, codes, labels, arrays)
    _store_planes(model, codes, first.axis, arrays)
    axes, radii, spectra, scores, decodes = (
        per_seed.column(name) for name in ("axis", "radius", "spectrum", "score", "decodes")
    )
    return ModelFilaments(
        seeds=per_seed.seeds,
        figure_seed=per_seed.seeds[0],
        axis_density=columns_of(
            AxisSeeds, axes, n_dominant=tuple(len(a.dominant_axes) for a in axes)
        ),
        radius_density=columns_of(
            RadiusSeeds,
            radii,
            peak=tuple(r.histograms[0].peak for r in radii),
            peak_fine=tuple(r.histograms[-1].peak for r in radii),
            unit_gaussian_peak=radii[0].unit_gaussian_peak,
            null_tolerance=tuple(n.tolerance for n in per_seed.column("radius_null")),
        ),
        pca_spectrum=columns_of(
            SpectrumSeeds,
            spectra,
            first_ratio=tuple(float(s.explained_variance_ratio[0]) for s in spectra),
        ),
        filament_score=columns_of(
            FilamentSeeds,
            scores,
            local_dimension_median=tuple(s.data.median_local_mle for s in scores),
            local_dimension_median_gaussian=tuple(s.gaussian.median_local_mle for s in scores),
            twonn=tuple(s.data.twonn for s in scores),
            twonn_gaussian=tuple(s.gaussian.twonn for s in scores),
            planes=scores[0].planes,
            scales=scores[0].scales,
            k=scores[0].k,
            # averaged over the planes: one share per scale
            void_fraction=tuple(tuple(s.void_fraction.mean(axis=0).tolist()) for s in scores),
            void_fraction_gaussian=tuple(
                tuple(s.void_fraction_gaussian.mean(axis=0).tolist()) for s in scores
            ),
        ),
        random_decodes=columns_of(
            DecodeSeeds,
            decodes,
            meaningful_fraction=tuple(d.fraction("prior") for d in decodes),
            meaningful_fraction_fitted=tuple(d.fraction("fitted") for d in decodes),
            near_codes_fraction=tuple(d.samples[0].near_codes_fraction for d in decodes),
            near_codes_fraction_fitted=tuple(d.samples[1].near_codes_fraction for d in decodes),
            mean_image_meaningful=tuple(d.mean_image_counts_as_meaningful for d in decodes),
        ),
        reconstruction_error=per_seed.column("reconstruction_error"),
        tsne_preservation=preservation,
    )


def _analyse_seed(config: FilamentsConfig, run: Any, images: NDArray[np.float32]) -> _SeedAnalyses:
    """Every per-seed analysis of one run's training codes."""
    seed = int(run.config.seed)
    codes = run.latents["train_codes"]
    errors = run.latents["train_reconstruction_error"]
    return _SeedAnalyses(
        axis=axis_density(codes),
        radius=radius_density(codes),
        radius_null=radius_peak_null(codes, RADIUS_BIN_WIDTH, random_state=seed),
        spectrum=pca_spectrum(codes),
        score=filament_score(
            codes, k=config.id_neighbours, n_queries=config.id_queries, random_state=seed
        ),
        decodes=random_decodes(
            run.model, codes, images, errors, n=config.decodes, random_state=seed
        ),
        reconstruction_error=float(np.median(errors)),
    )


def _store_nearest(
    arrays: dict[str, NDArray[Any]],
    model: str,
    decodes: RandomDecodesResult,
    images: NDArray[np.float32],
) -> None:
    """The training image nearest to each shown decode, as 0-255 like the decodes."""
    for sample in decodes.samples:
        rows = sample.nearest_image[: len(sample.shown)]
        nearest = np.rint(np.clip(images[rows], 0.0, 1.0) * 255).astype(np.uint8)
        arrays[f"{model}/nearest/{sample.source}"] = nearest


def _store_map(
    config: FilamentsConfig,
    model: str,
    codes: NDArray[np.float32],
    labels: NDArray[np.int64] | None,
    arrays: dict[str, NDArray[Any]],
) -> float:
    """t-SNE of a seeded subsample of the codes (the source's perplexity and exaggeration)."""
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(len(codes), size=min(config.tsne_points, len(codes)), replace=False))
    perplexity = min(config.perplexity, (len(rows) - 1) / 3)
    embedding = embed_2d(
        codes[rows],
        perplexity=perplexity,
        early_exaggeration=config.early_exaggeration,
        n_iter=config.tsne_iterations,
        random_state=0,
    )
    store_result(arrays, f"{model}/tsne", embedding)
    arrays[f"{model}/tsne_rows"] = rows
    if labels is not None:
        arrays[f"{model}/tsne_labels"] = labels[rows]
    return embedding.preservation


def _store_planes(
    model: str,
    codes: NDArray[np.float32],
    axes: AxisDensityResult,
    arrays: dict[str, NDArray[Any]],
) -> None:
    """The source's planes of principal axes, and the plane of the two most dominant axes."""
    dim = codes.shape[1]
    planes: list[tuple[tuple[int, int], str]] = [
        (plane, "pca") for plane in SOURCE_PLANES if max(plane) < dim
    ]
    dominant = list(axes.dominant_axes[:2])
    dominant += [a for a in range(dim) if a not in dominant][: 2 - len(dominant)]
    planes.append(((dominant[0], dominant[1]), "original"))
    arrays[f"{model}/planes/#"] = np.asarray(len(planes))
    for index, (plane, basis) in enumerate(planes):
        views = plane_views(codes, plane, basis, bins=96)  # type: ignore[arg-type]
        kept = tuple(views.views[i] for i in ZOOMS)
        store_result(arrays, f"{model}/planes/{index}", dataclasses.replace(views, views=kept))
