"""Benchmark: how far each DCI estimator's D, C and I sit from disentanglement_lib's classic one.

Six synthetic sets, 1,000 training and 500 test rows each: four of the tests' (4 discrete factors
with 4 values; codes = factors + noise 0.01, factors rotated by a random orthogonal matrix, pure
noise, every factor twice + noise 0.3) and two of ``benchmarks/dci.py``'s (5 continuous factors
in 20 bins, mixed into 10 codes: partly mixed as there, and fully rotated). Prints D, C, I of
every estimator and its difference from ``gradient-boosting`` (``GradientBoostingClassifier()``).

Usage::

    nice -n 10 .venv/bin/python benchmarks/dci_agreement.py
"""

from __future__ import annotations

import functools
import time

import numpy as np
from scipy.stats import ortho_group

print = functools.partial(print, flush=True)  # progress shows when the output is piped
N = 1500


def synthetic_sets() -> dict[str, tuple[np.ndarray, np.ndarray, tuple[str, ...]]]:
    """Codes, factors and factor kinds of the six sets."""
    rng = np.random.default_rng(0)
    discrete = rng.integers(0, 4, size=(N, 4)).astype(np.float64)
    continuous = rng.uniform(size=(N, 5))
    mixing = 0.15 * rng.normal(size=(5, 10))
    mixing[np.arange(10) % 5, np.arange(10)] += 1.0
    d_kinds, c_kinds = ("discrete",) * 4, ("continuous",) * 5
    return {
        "aligned": (discrete + 0.01 * rng.normal(size=(N, 4)), discrete, d_kinds),
        "rotated": (discrete @ ortho_group.rvs(4, random_state=3), discrete, d_kinds),
        "noise": (rng.normal(size=(N, 4)), discrete, d_kinds),
        "duplicated": (
            np.repeat(discrete, 2, axis=1) + 0.3 * rng.normal(size=(N, 8)),
            discrete,
            d_kinds,
        ),
        "mixed (20 bins)": (
            continuous @ mixing + 0.05 * rng.normal(size=(N, 10)),
            continuous,
            c_kinds,
        ),
        "rotated (20 bins)": (continuous @ ortho_group.rvs(5, random_state=4), continuous, c_kinds),
    }


def main() -> None:
    from latentatlas.analysis.disentanglement import ESTIMATORS, dci

    order = ["gradient-boosting"] + [e for e in ESTIMATORS if e != "gradient-boosting"]
    for name, (codes, factors, kinds) in synthetic_sets().items():
        reference = None
        for estimator in order:
            wall = time.perf_counter()
            result = dci(codes, factors, factor_kinds=kinds, estimator=estimator,
                         n_train=1000, n_test=500)  # fmt: skip
            wall = time.perf_counter() - wall
            scores = np.array([result.disentanglement, result.completeness,
                               result.informativeness])  # fmt: skip
            reference = scores if reference is None else reference
            d, c, i = scores
            dd, dc, di = scores - reference
            print(f"{name:18s} {estimator:24s} D {d:.3f} ({dd:+.3f})  C {c:.3f} ({dc:+.3f})"
                  f"  I {i:.3f} ({di:+.3f})  wall {wall:6.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
