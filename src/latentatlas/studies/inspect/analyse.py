"""The analyses of ``inspect``: each group runs when the model and data allow it, else it is
recorded as skipped with the reason. Every number comes from the analysis functions the other
studies call; the first seed's figure results go into the cell's arrays for the report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentatlas.errors import InputError
from latentatlas.studies.arrays import StoredMap, store_result
from latentatlas.studies.engine import CellOutput
from latentatlas.studies.inspect.config import InspectConfig
from latentatlas.studies.inspect.prepare import Prepared
from latentatlas.studies.inspect.results import (
    DecoderSeeds,
    DensitySeeds,
    FactorSeeds,
    InspectResult,
    LabelSeeds,
    SeedSpread,
    Step,
)

#: Inputs and dimensions of the traversal grid drawn in the report, and its steps.
GRID_INPUTS, GRID_DIMS = 3, 8
GRID_VALUES = np.linspace(-3.0, 3.0, 7)

Arrays = dict[str, NDArray[Any]]


def analyse_cell(
    config: InspectConfig, prepared: Prepared, say: Callable[[str], None] = lambda group: None
) -> CellOutput:
    """Every analysis group that the sources and data allow, in a fixed order; ``say`` names
    each group as it begins (progress)."""
    arrays: Arrays = {"rows": prepared.rows}
    codes = [prepared.codes(seed) for seed in range(len(prepared.sources))]
    for seed, z in enumerate(codes):
        arrays[f"codes/seed-{seed}"] = z
    if prepared.labels is not None:
        arrays["labels"] = np.asarray(prepared.labels)
    if prepared.label_names is not None:
        arrays["label_names"] = np.asarray(prepared.label_names, dtype=str)
    if prepared.factors is not None:
        arrays["factors"] = prepared.factors
    steps = _Steps(say)
    maps: list[StoredMap] = []  # the first seed's t-SNE map, for the explorer
    density = _run(
        steps,
        "shape of the cloud and 2-d map",
        None,
        lambda: _density(config, codes, prepared, arrays, maps),
    )
    labels = _run(
        steps, "classes", _label_reason(prepared), lambda: _labels(config, codes, prepared)
    )
    factors = _run(
        steps,
        "disentanglement (DCI, MIG, SAP)",
        None if prepared.factors is not None else "the data have no ground-truth factors",
        lambda: _factors(config, codes, prepared),
    )
    decoder = _run(
        steps,
        "decoder: reconstructions, random decodes, traversals",
        _decoder_reason(prepared),
        lambda: _decoder(config, codes, prepared, arrays),
    )
    if decoder is not None and labels is not None and prepared.labels is not None:
        labels = (
            _run(
                steps,
                "labels of reconstructions",
                None,
                lambda: _label_reconstruction(config, prepared, labels),
            )
            or labels
        )
    spread = _run(
        steps,
        "seed variability (Procrustes, CKA)",
        _seeds_reason(codes),
        lambda: _seed_spread(codes, prepared),
    )
    first = prepared.sources[0]
    result = InspectResult(
        kind=config.kind,
        location=first.location if config.kind != "factory" else str(config.model),
        files=config.fingerprint_of(),
        dataset=config.dataset
        or prepared.dataset_name
        or (None if prepared.x is None else "arrays given in Python"),
        n=prepared.n,
        input_shape=None if prepared.x is None else tuple(int(s) for s in prepared.x.shape[1:]),
        latent_dim=int(codes[0].shape[1]),
        seeds=len(codes),
        steps=tuple(steps),
        density=density,
        labels=labels,
        factors=factors,
        decoder=decoder,
        seed_spread=spread,
    )
    gates = _gates(prepared, decoder is not None)
    return CellOutput(result, arrays, gates=gates, maps=tuple(maps))


def _gates(prepared: Prepared, decoded: bool) -> tuple[Any, Arrays] | None:
    """The learned-model gate of each seed's model, where there is a decoder and data."""
    from latentatlas.studies.gates import CellGates, gate_models

    if not decoded or prepared.x is None:
        return CellGates({}), {}
    models = {f"seed-{seed}": source.model for seed, source in enumerate(prepared.sources)}
    return gate_models(models, prepared.x, prepared.labels)


class _Steps(list[Step]):
    """The groups' records, and who to tell as each group begins."""

    def __init__(self, say: Callable[[str], None]):
        super().__init__()
        self.say = say


def _run(steps: _Steps, name: str, reason: str | None, analyse: Callable[[], Any]) -> Any:
    """Run one group, or record why not; an analysis refusing these codes is recorded too."""
    if reason is not None:
        steps.append(Step(name, False, reason))
        return None
    steps.say(name)
    try:
        value = analyse()
    except InputError as error:
        steps.append(Step(name, False, f"refused: {error}"))
        return None
    steps.append(Step(name, True, "ran"))
    return value


# -- reasons to skip ------------------------------------------------------------------------------
def _label_reason(prepared: Prepared) -> str | None:
    if prepared.labels is None:
        return "the data have no labels"
    if len(np.unique(prepared.labels)) < 2:
        return "the data have one class only"
    return None


def _decoder_reason(prepared: Prepared) -> str | None:
    if not prepared.sources[0].has_decoder:
        return "the model has no decoder (codes only)"
    if prepared.x is None:
        return "there are no images to reconstruct"
    return None


def _seeds_reason(codes: list[NDArray[np.float32]]) -> str | None:
    if len(codes) < 2:
        return "one seed only: give --weights, --torchscript or --codes once per seed"
    if len({z.shape for z in codes}) > 1:
        return "the seeds' codes differ in size"
    return None


# -- the groups -----------------------------------------------------------------------------------
def _density(
    config: InspectConfig,
    codes: list[NDArray[np.float32]],
    prepared: Prepared,
    arrays: Arrays,
    maps: list[StoredMap],
) -> DensitySeeds:
    """Axis and radius densities, PCA spectrum, local dimension and voids, t-SNE map (the first
    seed's figures go into ``arrays``, its map into ``maps``)."""
    from latentatlas.analysis.density import axis_density, filament_score, radius_density
    from latentatlas.analysis.pca import pca_spectrum

    per_seed = []
    for seed, z in enumerate(codes):
        n = len(z)
        numbers = {
            "axis": axis_density(z),
            "radius": radius_density(z),
            "spectrum": pca_spectrum(z),
            "score": filament_score(
                z,
                k=min(config.id_neighbours, n - 2),
                n_queries=min(config.id_queries, n),
                random_state=config.seed + seed,
            ),
            "tsne": _map(config, z, prepared, (arrays, maps) if seed == 0 else None),
        }
        if seed == 0:
            for name in ("axis", "radius", "spectrum", "score"):
                store_result(arrays, f"density/{name}", numbers[name])
        per_seed.append(numbers)
    return DensitySeeds(
        n_dominant_axes=tuple(len(s["axis"].dominant_axes) for s in per_seed),
        radius_peak=tuple(s["radius"].histograms[0].peak for s in per_seed),
        expected_radius=tuple(s["radius"].expected_peak for s in per_seed),
        n_leading_components=tuple(s["spectrum"].n_leading for s in per_seed),
        first_component_ratio=tuple(
            float(s["spectrum"].explained_variance_ratio[0]) for s in per_seed
        ),
        local_dimension=tuple(s["score"].data.median_local_mle for s in per_seed),
        local_dimension_gaussian=tuple(s["score"].gaussian.median_local_mle for s in per_seed),
        void_excess=tuple(s["score"].void_excess for s in per_seed),
        tsne_preservation=tuple(s["tsne"] for s in per_seed),
    )


def _map(
    config: InspectConfig,
    codes: NDArray[np.float32],
    prepared: Prepared,
    stored: tuple[Arrays, list[StoredMap]] | None,
) -> float:
    """t-SNE of a seeded subsample of the codes; its neighbour preservation. With ``stored``,
    the map's figure goes into its arrays and the map itself, for the explorer, into its list."""
    from latentatlas.analysis.maps import embed_2d

    rng = np.random.default_rng(config.seed)
    rows = np.sort(rng.choice(len(codes), size=min(config.tsne_points, len(codes)), replace=False))
    embedding = embed_2d(
        codes[rows],
        perplexity=min(config.perplexity, (len(rows) - 1) / 3),
        random_state=config.seed,
        n_jobs=1,
    )
    if stored is not None:
        arrays, maps = stored
        store_result(arrays, "tsne", embedding)
        arrays["tsne_rows"] = rows
        maps.append(StoredMap("tsne", "seed-0", embedding.embedding, prepared.rows[rows]))
    return embedding.preservation


def _split(prepared: Prepared, seed: int, fraction: float) -> tuple[NDArray[Any], NDArray[Any]]:
    """Stratified train / held-out positions among the analysed rows."""
    from sklearn.model_selection import train_test_split

    positions = np.arange(prepared.n)
    try:
        train, held = train_test_split(
            positions, test_size=fraction, stratify=prepared.labels, random_state=seed
        )
    except ValueError as error:
        raise InputError(f"the labelled rows cannot be split for k-NN ({error})") from None
    return np.sort(train), np.sort(held)


def _labels(
    config: InspectConfig, codes: list[NDArray[np.float32]], prepared: Prepared
) -> LabelSeeds:
    """Silhouette of pixels (where there are images) and codes; k-NN on held-out codes."""
    from latentatlas.analysis.classification import knn_accuracy
    from latentatlas.analysis.clusters import original_space_silhouette, silhouette

    y = np.asarray(prepared.labels)
    train, held = _split(prepared, config.seed, config.validation_fraction)
    knn = [knn_accuracy(z[train], y[train], z[held], y[held]) for z in codes]
    pixels = None if prepared.x is None else original_space_silhouette(prepared.x, y).mean
    return LabelSeeds(
        pixel_silhouette=pixels,
        silhouette=tuple(float(silhouette(z, y).mean) for z in codes),
        knn_accuracy=tuple(float(k.accuracy) for k in knn),
        knn_macro_f1=tuple(float(k.macro_f1) for k in knn),
        label_error_rate=None,
        classifier_accuracy=None,
    )


def _label_reconstruction(
    config: InspectConfig, prepared: Prepared, labels: LabelSeeds
) -> LabelSeeds:
    """Share of held-out reconstructions a classifier of the original images labels wrongly."""
    import dataclasses

    from latentatlas.analysis.classification import fit_label_classifier, label_reconstruction
    from latentatlas.models import reconstruct_array

    x, y = prepared.x, np.asarray(prepared.labels)
    train, held = _split(prepared, config.seed, config.validation_fraction)
    classifier = fit_label_classifier(x[train], y[train], random_state=config.seed)  # type: ignore[index]
    rates = tuple(
        float(
            label_reconstruction(
                reconstruct_array(s.model, x[held]), y[held], classifier
            ).error_rate
        )  # type: ignore[index]
        for s in prepared.sources
    )
    return dataclasses.replace(
        labels, label_error_rate=rates, classifier_accuracy=float(classifier.test_accuracy)
    )


def _factors(
    config: InspectConfig, codes: list[NDArray[np.float32]], prepared: Prepared
) -> FactorSeeds:
    """DCI, MIG and SAP of every seed's codes against the factors."""
    from latentatlas.analysis.disentanglement import dci, mig, sap

    factors = prepared.factors
    kinds = prepared.factor_kinds
    n_test = max(1, round(prepared.n * config.validation_fraction))
    n_train = prepared.n - n_test
    dcis = [
        dci(
            z, factors, factor_kinds=kinds, n_train=n_train, n_test=n_test, random_state=config.seed
        )
        for z in codes
    ]
    return FactorSeeds(
        factor_names=tuple(prepared.factor_names),
        dci_disentanglement=tuple(float(d.disentanglement) for d in dcis),
        dci_completeness=tuple(float(d.completeness) for d in dcis),
        dci_informativeness=tuple(float(d.informativeness) for d in dcis),
        mig=tuple(float(mig(z, factors, factor_kinds=kinds).mig) for z in codes),
        sap=tuple(
            float(sap(z, factors, factor_kinds=kinds, random_state=config.seed).sap) for z in codes
        ),
    )


def _decoder(
    config: InspectConfig, codes: list[NDArray[np.float32]], prepared: Prepared, arrays: Arrays
) -> DecoderSeeds:
    """Reconstruction error against the mean image, random decodes and traversal effects."""
    from latentatlas.analysis.decoding import random_decodes
    from latentatlas.analysis.traversal import traversal_effects
    from latentatlas.models import reconstruction_error

    x = prepared.x
    flat = x.reshape(len(x), -1)  # type: ignore[union-attr]
    baseline = np.mean((flat - flat.mean(axis=0)) ** 2, axis=1)
    errors, meaningful, fitted, consistent, traversed = [], [], [], [], []
    for seed, (source, z) in enumerate(zip(prepared.sources, codes, strict=True)):
        error = reconstruction_error(source.model, x)
        decodes = random_decodes(
            source.model, z, x, error, n=config.decodes, random_state=config.seed + seed
        )
        dims = _top_dims(z, config.traversal_dims)
        effects = traversal_effects(
            source.model,
            x[: config.traversal_inputs],  # type: ignore[index]
            dims=dims,
            mode="std",
            code_std=z.std(axis=0),
        )
        errors.append(float(np.median(error)))
        meaningful.append(decodes.fraction("prior"))
        fitted.append(decodes.fraction("fitted"))
        consistent.append(int(effects.consistent_dims))
        traversed.append(len(dims))
        arrays[f"reconstruction_error/seed-{seed}"] = error
        if seed == 0:
            _store_decoder_figures(arrays, source.model, z, x, dims, decodes, effects)  # type: ignore[arg-type]
    return DecoderSeeds(
        reconstruction_error=tuple(errors),
        mean_image_error=float(np.median(baseline)),
        meaningful_fraction=tuple(meaningful),
        meaningful_fraction_fitted=tuple(fitted),
        consistent_dims=tuple(consistent),
        traversed_dims=tuple(traversed),
    )


def _store_decoder_figures(
    arrays: Arrays,
    model: Any,
    codes: NDArray[np.float32],
    x: NDArray[np.float32],
    dims: tuple[int, ...],
    decodes: Any,
    effects: Any,
) -> None:
    """The first seed's decodes, traversal grid and effects, and example reconstructions."""
    from latentatlas.analysis.traversal import traverse
    from latentatlas.models import reconstruct_array

    store_result(arrays, "decodes", decodes)
    grid = traverse(
        model,
        x[:GRID_INPUTS],
        dims=dims[:GRID_DIMS],
        values=GRID_VALUES,
        mode="std",
        code_std=codes.std(axis=0),
    )
    arrays["traversal/images"] = grid.images
    arrays["traversal/dims"] = np.asarray(grid.dims)
    arrays["traversal/classification"] = np.asarray(effects.classification, dtype=str)
    arrays["traversal/mean_effect"] = effects.mean_effect
    arrays["traversal/effect_dims"] = np.asarray(effects.dims)
    arrays["examples/original"] = x[:8]
    arrays["examples/reconstruction"] = reconstruct_array(model, x[:8])


def _top_dims(codes: NDArray[np.float32], count: int) -> tuple[int, ...]:
    """The ``count`` dimensions of largest variance, largest first."""
    order = np.argsort(-codes.var(axis=0), kind="stable")
    return tuple(int(d) for d in order[:count])


def _seed_spread(codes: list[NDArray[np.float32]], prepared: Prepared) -> SeedSpread:
    """Procrustes disparity and linear CKA between seeds; the silhouette's spread with labels."""
    from itertools import combinations

    from latentatlas.analysis.seeds import linear_cka, procrustes_disparity, seed_variability

    if prepared.labels is not None and len(np.unique(prepared.labels)) >= 2:
        v = seed_variability(codes, prepared.labels)
        return SeedSpread(
            v.silhouette_std, float(v.procrustes_mean), float(v.cka_mean),
            v.procrustes_pairs, v.cka_pairs,
        )  # fmt: skip
    pairs = list(combinations(range(len(codes)), 2))
    procrustes = tuple(procrustes_disparity(codes[a], codes[b]) for a, b in pairs)
    cka = tuple(linear_cka(codes[a], codes[b]) for a, b in pairs)
    return SeedSpread(None, float(np.mean(procrustes)), float(np.mean(cka)), procrustes, cka)
