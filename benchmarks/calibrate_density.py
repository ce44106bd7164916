"""Calibrate the filaments measures on synthetic clouds whose structure is known.

Clouds of ``--points`` points in 256-d (and 16-d): a smooth closed 1-d curve, a union of
five 1-d filaments, smooth 2-d and 4-d manifolds (tori), a Gaussian (the null) and a mixture
of Gaussian blobs (voids but no filaments), each with isotropic noise whose per-coordinate
standard deviation is a share (``--noise``) of the clean cloud's RMS per-coordinate standard
deviation. For every cloud and seed, :func:`latentatlas.analysis.density.filament_score`
gives the median local MLE at several k, the same for the matched Gaussian, and the void
excess; thresholds are taken from the Gaussian null's calibration seeds and their false
positive rate checked on held-out null seeds. Also: the spread of the radius peak of
Gaussian clouds, for the radius claim's tolerance.

Run (on 2 busy cores: about 16 minutes for 256-d, 6 for 16-d)::

    PYTHONPATH=src python benchmarks/calibrate_density.py --dims 256 --seeds 3 --null-seeds 20
    PYTHONPATH=src python benchmarks/calibrate_density.py --dims 16 --seeds 3 --null-seeds 20 \\
        --noise 0 0.03 0.1 0.3

The figures are written into docs/analyses/density.md and the constants of
``latentatlas.analysis.density``.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from latentatlas.analysis.density import (
    LOW_DIMENSION_RATIO_MAX,
    VOID_EXCESS_MIN,
    filament_score,
    radius_density,
    radius_peak_null,
)

KINDS = ("curve", "filaments", "2-d", "4-d", "gaussian", "blobs")
TRUE_DIMENSION = {"curve": 1, "filaments": 1, "2-d": 2, "4-d": 4, "gaussian": None, "blobs": None}


def _fourier_curve(t: np.ndarray, dim: int, rng: np.random.Generator, modes: int = 4):
    """A smooth closed curve: random Fourier coefficients falling like 1/m."""
    curve = np.zeros((len(t), dim))
    for m in range(1, modes + 1):
        a, b = rng.normal(size=(2, dim)) / m
        curve += np.cos(m * t)[:, None] * a + np.sin(m * t)[:, None] * b
    return curve


def _torus(n: int, dim: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """A flat m-torus embedded smoothly: cos/sin of each angle and of pairwise sums, mapped
    to ``dim`` coordinates by a random linear map."""
    angles = rng.uniform(0, 2 * np.pi, (n, m))
    sums = [angles[:, i] + angles[:, j] for i, j in itertools.combinations(range(m), 2)]
    phases = np.column_stack([angles, *sums]) if sums else angles
    features = np.hstack([np.cos(phases), np.sin(phases)])
    return features @ rng.normal(size=(features.shape[1], dim))


def make_cloud(kind: str, n: int, dim: int, noise: float, seed: int) -> np.ndarray:
    """``n`` points of the named cloud in ``dim`` dimensions, with relative noise ``noise``."""
    rng = np.random.default_rng(seed)
    if kind == "curve":
        clean = _fourier_curve(rng.uniform(0, 2 * np.pi, n), dim, rng)
    elif kind == "filaments":
        parts = np.array_split(np.arange(n), 5)
        clean = np.vstack(
            [
                _fourier_curve(rng.uniform(0, 2 * np.pi, len(p)), dim, rng) * 0.5
                + rng.normal(size=dim)
                for p in parts
            ]
        )
    elif kind in ("2-d", "4-d"):
        clean = _torus(n, dim, int(kind[0]), rng)
    elif kind == "gaussian":  # a code-like spectrum: variances falling like 1/i
        clean = rng.normal(size=(n, dim)) / np.sqrt(np.arange(1, dim + 1))
    else:  # ten tight blobs
        centres = rng.normal(size=(10, dim))
        clean = centres[rng.integers(0, 10, n)] + 0.15 * rng.normal(size=(n, dim))
    scale = np.sqrt(clean.var(axis=0).mean())
    return (clean + noise * scale * rng.normal(size=clean.shape)).astype(np.float32)


def measure(kind: str, n: int, dim: int, noise: float, seed: int, queries: int) -> dict:
    """The filament score of one cloud and seed, and its calibrated verdicts."""
    cloud = make_cloud(kind, n, dim, noise, seed)
    score = filament_score(cloud, n_queries=queries, random_state=seed)
    return {
        "void": score.void_excess,
        "by_k": np.array(score.dimension_by_k),
        "by_k_null": np.array(score.dimension_by_k_gaussian),
        "smallest": score.smallest_dimension,
        "ratio": score.low_dimension_ratio,
        "has_voids": score.has_voids,
        "low": score.is_low_dimensional,
        "one_d": score.one_dimensional,
    }


def radius_check(n: int, dim: int, seeds: int, isotropic: bool) -> str:
    """The radius claim on Gaussian clouds (where it holds): how often a fixed 10 % tolerance
    and the matched-Gaussian tolerance of :func:`radius_peak_null` call its peak far."""
    own, tolerance = [], []
    spectrum = np.ones(dim) if isotropic else 1 / np.arange(1, dim + 1)
    for seed in range(seeds):
        rng = np.random.default_rng(1000 + seed)
        cloud = rng.normal(size=(n, dim)) * np.sqrt(spectrum * dim / spectrum.sum())
        r = radius_density(cloud.astype(np.float32))
        own.append(abs(r.histograms[0].peak - r.expected_peak) / r.expected_peak)
        tolerance.append(radius_peak_null(cloud, random_state=seed).tolerance)
    own_a, tol = np.array(own), np.array(tolerance)
    return (
        f"radius peak, {'isotropic' if isotropic else '1/i-spectrum'} Gaussian, d={dim}, "
        f"n={n}, {seeds} seeds: relative distance median {np.median(own_a):.3f} "
        f"(max {own_a.max():.3f}); called far by 10 %: {np.mean(own_a > 0.1):.2f}; "
        f"null tolerance median {np.median(tol):.3f} (range {tol.min():.3f}-{tol.max():.3f}), "
        f"called far by it: {np.mean(own_a > tol):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=3000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--null-seeds", type=int, default=40)
    parser.add_argument("--dims", type=int, nargs="+", default=[256, 16])
    parser.add_argument("--noise", type=float, nargs="+", default=[0.0, 0.01, 0.03, 0.1, 0.3])
    parser.add_argument("--radius-only", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    for dim in args.dims if not args.radius_only else ():
        _calibrate(dim, args)
        print(f"[{time.perf_counter() - start:.0f} s]", flush=True)
    for dim, isotropic in itertools.product(args.dims, (True, False)):
        print(radius_check(args.points, dim, args.null_seeds, isotropic), flush=True)


def _calibrate(dim: int, args: argparse.Namespace) -> None:
    n, q = args.points, args.queries
    half = args.null_seeds // 2
    null = [measure("gaussian", n, dim, 0.0, s, q) for s in range(args.null_seeds)]
    voids = np.array([m["void"] for m in null])
    ratios = np.array([m["ratio"] for m in null])
    void_t = float(np.quantile(voids[:half], 0.99))
    ratio_t = float(np.quantile(ratios[:half], 0.01))
    print(f"\n== d = {dim}, n = {n}, {q} queries; null: {args.null_seeds} Gaussian seeds ==")
    print(
        f"void excess of the null: mean {voids.mean():+.4f}, sd {voids.std():.4f}, max "
        f"{voids.max():+.4f}; 99th pct of seeds 0-{half - 1} {void_t:+.4f}, held-out FPR "
        f"{np.mean(voids[half:] > void_t):.2f}; FPR of has_voids (VOID_EXCESS_MIN "
        f"{VOID_EXCESS_MIN} / sqrt(planes)): {np.mean([m['has_voids'] for m in null]):.2f}"
    )
    print(
        f"low_dimension_ratio of the null: mean {ratios.mean():.3f}, min {ratios.min():.3f}; "
        f"1st pct of seeds 0-{half - 1} {ratio_t:.3f}, held-out FPR "
        f"{np.mean(ratios[half:] < ratio_t):.2f}; FPR at LOW_DIMENSION_RATIO_MAX "
        f"{LOW_DIMENSION_RATIO_MAX}: {np.mean(ratios < LOW_DIMENSION_RATIO_MAX):.2f}"
    )
    ks = "/".join(str(k) for k in (5, 10, 20, 40, 80, 160))
    print(
        f"{'cloud':10} {'noise':>5} {'void excess':>14} {'voids':>5} "
        f"{'median MLE at k=' + ks:>34} {'Gaussian at same k':>28} {'min_k':>5} "
        f"{'ratio':>5} {'low':>4} {'1-d':>4} {'not':>4}"
    )
    for kind, noise in itertools.product(KINDS, args.noise):
        if kind == "gaussian" and noise > 0:
            continue
        runs = (
            null
            if kind == "gaussian"
            else [measure(kind, n, dim, noise, s, q) for s in range(args.seeds)]
        )
        void = np.array([m["void"] for m in runs])
        by_k = np.mean([m["by_k"] for m in runs], axis=0)
        by_k_null = np.mean([m["by_k_null"] for m in runs], axis=0)

        def share(key: str, value: object = True, runs: list = runs) -> float:
            return float(np.mean([m[key] is value for m in runs]))

        print(
            f"{kind:10} {noise:5.2f} {void.mean():+.3f}+-{void.std():.3f} "
            f"{share('has_voids'):5.2f} {'/'.join(f'{v:.1f}' for v in by_k):>34} "
            f"{'/'.join(f'{v:.1f}' for v in by_k_null):>28} "
            f"{np.mean([m['smallest'] for m in runs]):5.2f} "
            f"{np.mean([m['ratio'] for m in runs]):5.2f} {share('low'):4.2f} "
            f"{share('one_d', True):4.2f} {share('one_d', False):4.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
