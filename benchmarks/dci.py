"""Benchmark: seconds of DCI with the fast default estimator against the classic one, MIG and SAP.

Synthetic data as the issue asks: 5 continuous factors, uniform on [0, 1], mixed into 10 codes by
a fixed random matrix (each code mostly one factor plus a little of the others) with Gaussian
noise; 15,000 rows so that ``dci`` runs with its defaults (10,000 training, 5,000 test rows).
Everything runs in this one process, one after the other, so the ratios compare like with like.
Both the wall-clock seconds and the process CPU seconds (all threads) are printed: on a shared
machine the wall clock also counts other people's work.

``--estimators`` chooses which DCI estimators run (default: the histogram and the classic
boosted trees). ``--threads-check`` first times one ``HistGradientBoostingClassifier`` fit (the
first factor, the same trees as the estimator) with 1 and with 2 OpenMP threads: ``dci`` runs
the histogram trees on one thread, because the extra threads only spin on a loaded machine.

Usage::

    nice -n 10 .venv/bin/python benchmarks/dci.py               # the full size (minutes)
    .venv/bin/python benchmarks/dci.py --rows 3000 --train 2000 --test 1000   # a quick smoke run
    .venv/bin/python benchmarks/dci.py --rows 8000 --train 6000 --test 2000 \
        --estimators hist-gradient-boosting,random-forest --threads-check    # the study's size
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from typing import Any

import numpy as np

N_FACTORS = 5
N_CODES = 10
SEED = 0
print = functools.partial(print, flush=True)  # progress shows when the output is piped


def make_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Factors (n, 5) uniform on [0, 1]; codes (n, 10) = factors @ mixing + noise."""
    rng = np.random.default_rng(SEED)
    factors = rng.uniform(size=(n, N_FACTORS))
    mixing = 0.15 * rng.normal(size=(N_FACTORS, N_CODES))
    mixing[np.arange(N_CODES) % N_FACTORS, np.arange(N_CODES)] += 1.0  # code i mostly factor i % 5
    codes = factors @ mixing + 0.05 * rng.normal(size=(n, N_CODES))
    return codes, factors


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Result, wall seconds and CPU seconds (all threads of this process) of ``fn()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def threads_check(codes: np.ndarray, factor: np.ndarray) -> None:
    """Seconds of one histogram-tree fit of a 20-bin factor with 1 and with 2 OpenMP threads."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    labels = np.digitize(factor, np.histogram(factor, 20)[1][:-1])
    for threads in (1, 2, 1, 2):
        model = HistGradientBoostingClassifier(
            max_iter=100, max_depth=3, max_leaf_nodes=None, min_samples_leaf=1,
            early_stopping=False, random_state=0,
        )  # fmt: skip
        with threadpool_limits(limits=threads, user_api="openmp"):
            _, wall, cpu = timed(lambda model=model: model.fit(codes, labels))
        print(f"one fit, {threads} OpenMP thread(s): wall {wall:7.2f} s  cpu {cpu:7.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=15_000)
    parser.add_argument("--train", type=int, default=10_000)
    parser.add_argument("--test", type=int, default=5_000)
    parser.add_argument("--estimators", default="hist-gradient-boosting,gradient-boosting")
    parser.add_argument("--threads-check", action="store_true")
    args = parser.parse_args()

    from latentatlas.analysis.disentanglement import dci, mig, sap

    codes, factors = make_data(args.rows)
    kinds = ("continuous",) * N_FACTORS
    print(f"codes {codes.shape}, factors {factors.shape}, n_train {args.train}, n_test {args.test}")

    if args.threads_check:
        threads_check(codes[: args.train], factors[: args.train, 0])

    def run_dci(estimator: str) -> Any:
        return dci(codes, factors, factor_kinds=kinds, estimator=estimator,
                   n_train=args.train, n_test=args.test)  # fmt: skip

    results = {}
    for name in args.estimators.split(","):
        result, wall, cpu = timed(lambda name=name: run_dci(name))
        results[name] = (result, wall, cpu)
        print(
            f"dci {name:24s} wall {wall:8.2f} s  cpu {cpu:8.2f} s  D {result.disentanglement:.4f}"
            f"  C {result.completeness:.4f}  I {result.informativeness:.4f}"
        )
    if {"hist-gradient-boosting", "gradient-boosting"} <= set(results):
        fast, fast_wall, fast_cpu = results["hist-gradient-boosting"]
        slow, slow_wall, slow_cpu = results["gradient-boosting"]
        print(f"speed-up gradient-boosting / hist-gradient-boosting: wall "
              f"{slow_wall / fast_wall:.1f}x  cpu {slow_cpu / fast_cpu:.1f}x")  # fmt: skip
        for score in ("disentanglement", "completeness", "informativeness"):
            difference = getattr(fast, score) - getattr(slow, score)
            print(f"difference {score:16s} {difference:+.4f}")
    mig_result, mig_wall, mig_cpu = timed(lambda: mig(codes, factors, factor_kinds=kinds))
    print(f"mig  wall {mig_wall:8.2f} s  cpu {mig_cpu:8.2f} s  MIG {mig_result.mig:.4f}")
    sap_result, sap_wall, sap_cpu = timed(lambda: sap(codes, factors, factor_kinds=kinds))
    print(f"sap  wall {sap_wall:8.2f} s  cpu {sap_cpu:8.2f} s  SAP {sap_result.sap:.4f}")


if __name__ == "__main__":
    main()
