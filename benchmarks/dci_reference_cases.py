"""Benchmark: every DCI estimator on disentanglement_lib's own DCI test cases, with seconds.

The cases are those of ``disentanglement_lib/evaluation/metrics/dci_test.py`` (Locatello et al.,
2019): ``dummy_data.IdentityObservationsData`` (10 factors, each uniform on the integers 1..10;
the observations are the factors), 1,000 training and 1,000 test rows, and three codes: the
factors themselves (D and C in [0.9, 1]), each row's values shuffled among the codes (D and C in
[0, 0.2]) and the factors twice side by side (D in [0.9, 1], C within 0.1 of
``1 - log 2 / log 10``). Prints one line per estimator and case: D, C, I, pass or FAIL, and the
wall and CPU seconds of the ``dci`` call.

Usage::

    nice -n 10 .venv/bin/python benchmarks/dci_reference_cases.py               # all estimators
    .venv/bin/python benchmarks/dci_reference_cases.py random-forest lasso      # some of them
"""

from __future__ import annotations

import functools
import sys
import time

import numpy as np

print = functools.partial(print, flush=True)  # progress shows when the output is piped
DUPLICATED_C = 1 - np.log(2) / np.log(10)  # the reference test's target


def cases() -> dict[str, tuple[np.ndarray, np.ndarray, tuple[float, float], tuple[float, float]]]:
    """Codes, factors, D range and C range of each of the reference's three cases."""
    factors = np.random.RandomState(0).randint(1, 11, size=(2000, 10)).astype(np.float64)
    rng = np.random.RandomState(0)
    permuted = np.array([rng.permutation(row) for row in factors])
    return {
        "identity": (factors, factors, (0.9, 1.0), (0.9, 1.0)),
        "permuted": (permuted, factors, (0.0, 0.2), (0.0, 0.2)),
        "duplicated": (
            np.hstack([factors, factors]),
            factors,
            (0.9, 1.0),
            (DUPLICATED_C - 0.1, DUPLICATED_C + 0.1),
        ),
    }


def main() -> None:
    from latentatlas.analysis.disentanglement import ESTIMATORS, dci

    for name, (codes, factors, d_range, c_range) in cases().items():
        for estimator in sys.argv[1:] or ESTIMATORS:
            wall, cpu = time.perf_counter(), time.process_time()
            result = dci(codes, factors, estimator=estimator, n_train=1000, n_test=1000)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            d, c = result.disentanglement, result.completeness
            passed = d_range[0] <= d <= d_range[1] + 1e-9 and c_range[0] <= c <= c_range[1] + 1e-9
            print(
                f"{name:10s} {estimator:24s} D {d:.3f}  C {c:.3f}  I {result.informativeness:.3f}"
                f"  {'pass' if passed else 'FAIL'}  wall {wall:6.1f} s  cpu {cpu:6.1f} s"
            )


if __name__ == "__main__":
    main()
