"""Benchmark: Manifold Sculpting's speed and quality beside scikit-learn's Isomap and LLE.

Swiss rolls of 2,000 and 10,000 points and a "swiss hole" (scikit-learn's ``make_swiss_roll``,
3-d to 2-d), and 2,000 MNIST images of digits 1 and 2 (784-d to 2-d), all in the same run.
Quality: the largest |Spearman correlation| between an embedding coordinate and the roll's
intrinsic angle (rolls only) and scikit-learn's trustworthiness (10 neighbours; on 10,000
points it is computed on a random 2,000-point subset, as the full one needs an n x n matrix).
"step": the sculpting's last hill-climbing step in mean neighbour distances; at most 0.2 means
its layout settled (``ManifoldSculpting.settled_``).

Usage::

    nice -n 10 .venv/bin/python benchmarks/sculpting.py
    .venv/bin/python benchmarks/sculpting.py --cases roll-2000 --no-lle     # a quick run
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

SEED = 0
TRUST_NEIGHBORS = 10
TRUST_SUBSET = 2000
CASES = ("roll-2000", "hole-2000", "roll-10000", "mnist-2000")


def _roll(n: int, hole: bool) -> tuple[np.ndarray, np.ndarray | None]:
    from sklearn.datasets import make_swiss_roll

    x, t = make_swiss_roll(n, random_state=SEED, hole=hole)
    return x, t


def _mnist(n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """``n`` MNIST images of digits 1 and 2, flattened; one-pixel shifted copies fill up.

    Without the full MNIST files (``LATENTATLAS_DATA``) the embedded subset holds only 500
    images per digit; the remaining rows are the same images shifted by one pixel, so the
    timing is for ``n`` genuine 784-d digit images all the same (the run says so).
    """
    from latentatlas.data import load

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        images = load("mnist", digits=[1, 2]).x[:, 0]
    shifted = [images]
    for axis, shift in ((2, 1), (1, 1), (2, -1), (1, -1)):
        if sum(len(part) for part in shifted) >= n:
            break
        shifted.append(np.roll(images, shift, axis=axis))
    stacked = np.concatenate(shifted)[:n]
    if len(images) < n:
        print(f"  (MNIST: {len(images)} images of 1 and 2 available; filled up to {n} with")
        print("   one-pixel shifted copies; set LATENTATLAS_DATA for the full MNIST files)")
    return stacked.reshape(len(stacked), -1).astype(np.float64), None


def _spearman(embedding: np.ndarray, t: np.ndarray | None) -> float:
    from scipy.stats import spearmanr

    if t is None:
        return float("nan")
    return max(abs(spearmanr(embedding[:, c], t)[0]) for c in range(embedding.shape[1]))


def _trust(x: np.ndarray, embedding: np.ndarray) -> float:
    from sklearn.manifold import trustworthiness

    if len(x) > TRUST_SUBSET:
        rows = np.random.default_rng(SEED).choice(len(x), TRUST_SUBSET, replace=False)
        x, embedding = x[rows], embedding[rows]
    return float(trustworthiness(x, embedding, n_neighbors=TRUST_NEIGHBORS))


def _methods(
    include_lle: bool,
) -> dict[str, Callable[[np.ndarray], tuple[np.ndarray, int, float]]]:
    from sklearn.manifold import Isomap, LocallyLinearEmbedding

    from latentatlas.analysis.sculpting import ManifoldSculpting

    def sculpting(x: np.ndarray) -> tuple[np.ndarray, int, float]:
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():  # the "step" column says whether it settled
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator = ManifoldSculpting(n_components=2, random_state=SEED).fit(x)
        return estimator.embedding_, estimator.n_iter_, float(estimator.step_history_[-1])

    def isomap(x: np.ndarray) -> tuple[np.ndarray, int, float]:
        return Isomap(n_neighbors=12, n_components=2).fit_transform(x), 0, float("nan")

    def lle(x: np.ndarray) -> tuple[np.ndarray, int, float]:
        model = LocallyLinearEmbedding(n_neighbors=12, n_components=2, random_state=SEED)
        return model.fit_transform(x), 0, float("nan")

    methods = {"sculpting": sculpting, "isomap": isomap}
    if include_lle:
        methods["lle"] = lle
    return methods


def _data(case: str) -> tuple[np.ndarray, np.ndarray | None]:
    kind, size = case.split("-")
    if kind == "mnist":
        return _mnist(int(size))
    return _roll(int(size), hole=kind == "hole")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated of {CASES}")
    parser.add_argument("--no-lle", action="store_true", help="skip scikit-learn's LLE")
    options = parser.parse_args()
    methods = _methods(include_lle=not options.no_lle)
    print(
        f"{'case':<11} {'method':<10} {'seconds':>8} {'iters':>6} {'s/iter':>7} "
        f"{'|spearman|':>10} {'trust':>6} {'step':>6}"
    )
    for case in options.cases.split(","):
        x, t = _data(case)
        for name, method in methods.items():
            start = time.perf_counter()
            embedding, n_iter, step = method(x)
            seconds = time.perf_counter() - start
            per_iter = f"{seconds / n_iter:7.3f}" if n_iter else f"{'-':>7}"
            row: dict[str, Any] = {
                "spearman": _spearman(embedding, t),
                "trust": _trust(x, embedding),
            }
            print(
                f"{case:<11} {name:<10} {seconds:8.2f} {n_iter or '-':>6} {per_iter} "
                f"{row['spearman']:10.3f} {row['trust']:6.3f} {step:6.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
