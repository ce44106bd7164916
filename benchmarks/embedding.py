"""Benchmark: seconds, peak memory and 10-NN preservation of ``embed_2d`` against openTSNE's
defaults and scikit-learn's TSNE, and the time of ``filament_score``.

The data are 256-d points bunched in clusters along 40 smooth curves (a random offset plus
four sine modes per curve, noise 0.05): structured like latent codes, not Gaussian blobs.
Each measurement runs in a fresh ``spawn`` child, which reports its own peak resident set
size (``ru_maxrss``) and its resident size just before the call; "extra MiB" is what the
call added. 10-NN preservation is computed after the timed call, for every implementation
with the same 5,000 seeded query points searched exactly against the whole set (see
``latentatlas.analysis.maps.neighbour_preservation``); ``embed_2d`` computes it itself
inside the timed call, so its time includes that scoring.

Usage::

    .venv/bin/python benchmarks/embedding.py                        # 20k, 80k, 165k + filaments
    .venv/bin/python benchmarks/embedding.py --sizes 5000 --threads 2 --no-filaments
    .venv/bin/python benchmarks/embedding.py --variant perplexity=15 --variant n_iter=500
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from typing import Any

DIM = 256
N_CURVES = 40
SEED = 0
SKLEARN_MAX = 20_000


def make_data(n: int, dim: int = DIM, seed: int = SEED) -> tuple[Any, Any]:
    """Points in clusters along smooth curves in ``dim`` dimensions, float32, with curve ids."""
    import numpy as np

    rng = np.random.default_rng(seed)
    which = rng.integers(0, N_CURVES, n)
    spots = rng.uniform(0, 1, (N_CURVES, 3))  # three dense spots along each curve
    t = np.clip(spots[which, rng.integers(0, 3, n)] + 0.08 * rng.standard_normal(n), 0, 1)
    base = rng.standard_normal((N_CURVES, dim)).astype(np.float32)
    modes = 0.8 * rng.standard_normal((N_CURVES, 4, dim)).astype(np.float32)
    frequencies = np.pi * np.array([1.0, 2.0, 3.0, 5.0])
    x = np.empty((n, dim), dtype=np.float32)
    for first in range(0, n, 8192):
        part = slice(first, first + 8192)
        shape = np.sin(frequencies[None, :] * t[part, None]).astype(np.float32)
        x[part] = base[which[part]] + np.einsum("nk,nkd->nd", shape, modes[which[part]])
        x[part] += 0.05 * rng.standard_normal((len(shape), dim), dtype=np.float32)
    return x, which


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _run(implementation: str, x: Any, threads: int, options: dict[str, Any]) -> Any:
    """The timed call; returns the 2-d map (or the filament score)."""
    if implementation == "embed_2d":
        from latentatlas.analysis.maps import embed_2d

        return embed_2d(x, n_jobs=threads, **options)
    if implementation == "opentsne-default":
        import openTSNE

        return openTSNE.TSNE(n_jobs=threads, random_state=SEED).fit(x)
    if implementation == "sklearn":
        from sklearn.manifold import TSNE

        return TSNE(random_state=SEED, n_jobs=threads).fit_transform(x)
    if implementation == "filament_score":
        from latentatlas.analysis.density import filament_score

        return filament_score(x, **options)
    raise ValueError(implementation)


def _measure(
    implementation: str, n: int, threads: int, options: dict[str, Any], results: Any
) -> None:
    """Run one implementation once in this (fresh) process and report time, memory, score."""
    import numpy as np

    from latentatlas.analysis.maps import neighbour_preservation

    x, _ = make_data(n)
    for module in ("openTSNE", "sklearn.manifold", "skdim.id", "latentatlas.analysis.density"):
        __import__(module)  # imports outside the timed call
    before = _rss_mib()
    start = time.perf_counter()
    out = _run(implementation, x, threads, options)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if implementation == "filament_score":
        score = float(out.data.median_local_mle)
    elif implementation == "embed_2d":
        score = out.preservation
    else:
        score = neighbour_preservation(x, np.asarray(out), 10, 5000, SEED)
    results.put((seconds, peak, peak - before, score))


def measure(implementation: str, n: int, threads: int, options: dict[str, Any]) -> tuple:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_measure, args=(implementation, n, threads, options, results))
    child.start()
    out = results.get()
    child.join()
    return out


def _parse_variant(text: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for item in filter(None, text.split(",")):
        key, value = item.split("=")
        options[key] = None if value == "None" else float(value) if "." in value else int(value)
    return options


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 80_000, 165_000])
    parser.add_argument("--threads", type=int, default=-1, help="n_jobs of every t-SNE (-1 all)")
    parser.add_argument("--variant", action="append", default=[], help="embed_2d options a=1,b=2")
    parser.add_argument("--no-reference", action="store_true", help="skip openTSNE default")
    parser.add_argument("--no-filaments", action="store_true", help="skip filament_score")
    parser.add_argument("--no-maps", action="store_true", help="only time filament_score")
    parser.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn's TSNE")
    args = parser.parse_args()
    variants = [_parse_variant(v) for v in args.variant] or [{}]
    print(
        f"{'n':>7}  {'implementation':<40} {'seconds':>8} {'peak MiB':>9} {'extra MiB':>9} "
        f"{'10-NN kept':>10} {'time ratio':>10}"
    )
    for n in [] if args.no_maps else args.sizes:
        runs: list[tuple[str, str, dict[str, Any]]] = []
        if not args.no_reference:
            runs.append(("opentsne-default", "openTSNE defaults", {}))
        runs += [("embed_2d", f"embed_2d {v or 'defaults'}", v) for v in variants]
        if n <= SKLEARN_MAX and not args.no_sklearn:
            runs.append(("sklearn", "scikit-learn TSNE defaults", {}))
        reference = None
        for implementation, name, options in runs:
            seconds, peak, extra, score = measure(implementation, n, args.threads, options)
            reference = seconds if implementation == "opentsne-default" else reference
            ratio = f"{seconds / reference:10.2f}" if reference else f"{'':>10}"
            print(
                f"{n:>7}  {name:<40} {seconds:8.1f} {peak:9.0f} {extra:9.0f} {score:10.3f} {ratio}",
                flush=True,
            )
    if not args.no_filaments:
        n = max(args.sizes)
        seconds, peak, extra, median_id = measure("filament_score", n, args.threads, {})
        print(
            f"{n:>7}  {'filament_score (median local ID)':<40} {seconds:8.1f} {peak:9.0f} "
            f"{extra:9.0f} {median_id:10.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
