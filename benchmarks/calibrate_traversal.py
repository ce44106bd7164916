"""Calibration of the traversal consistency measure on synthetic decoders with a known answer.

Each case is a decoder of 8 latent dimensions onto a 16 x 16 image whose truth is known per
dimension: ``"entangled"`` when what the dimension does to the image depends on another
dimension's value, ``"consistent"`` when it does not. Six entangled kinds (dimension 0's effect
flipped by the sign of dimension 1, rotated by it, a shared plus a switched part, switched on
and off by it, scaled by it through zero, or set by the input's cluster along dimension 2), each
with balanced (50/50) and unbalanced (69/31) groups of inputs; the other dimensions move fixed
random patterns (consistent). Three disentangled controls: a linear decoder, a separable one
(each dimension drives its own pixel block through tanh) and a saturating one (sigmoid of a
dense linear map: every dimension always pushes each pixel the same way, by an amount that the
other dimensions set). 100 inputs, absolute traversal values -3 to 3 in 10 steps (the study's).

The script prints, over several seeds, each case's verdicts, the power (share of truly
entangled dimensions flagged) and the false-positive rate (share of truly consistent
dimensions flagged), for the new measure and for the old mean cosine >= 0.5, then derives the
thresholds from the control dimensions: the agreement cosine is the 5th percentile of their pair
cosines (rounded down to 0.05) and the consistency threshold their lowest consistency less 0.05
(rounded down to 0.05). The tests import the generators from here (``make_case``).

Usage (one BLAS thread: on a shared machine a multi-threaded BLAS spins on these small products)::

    PYTHONPATH=src OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python \
        benchmarks/calibrate_traversal.py --seeds 5
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

from latentatlas.models import Autoencoder

LATENT_DIM = 8
SIDE = 16
PIXELS = SIDE * SIDE
N_INPUTS = 100
ENTANGLED_KINDS: tuple[str, ...] = ("flip", "rotate", "shared+switched", "gate", "scale", "class")
CONTROL_KINDS: tuple[str, ...] = ("linear", "separable", "saturating")
SPLITS: dict[str, float] = {"balanced": 0.5, "unbalanced": 0.69}
print = functools.partial(print, flush=True)  # progress shows when the output is piped


class SyntheticDecoder(Autoencoder):
    """A decoder given as a NumPy function of the codes; the code is an input's first pixels."""

    name = "synthetic-decoder"

    def __init__(self, decode_codes: Callable[[NDArray[np.float64]], NDArray[np.float64]]):
        super().__init__((1, SIDE, SIDE), LATENT_DIM, {})
        self.decode_codes = decode_codes

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)[:, :LATENT_DIM]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        image = self.decode_codes(z.double().numpy())
        return torch.from_numpy(image.astype(np.float32)).view(-1, 1, SIDE, SIDE)


@dataclass(frozen=True)
class Case:
    """One synthetic decoder, its inputs and the truth per latent dimension."""

    kind: str
    split: str
    seed: int
    model: SyntheticDecoder
    x: NDArray[np.float32]
    truth: tuple[str, ...]


def _patterns(rng: np.random.Generator, count: int) -> NDArray[np.float64]:
    """``count`` random pixel patterns, 0.1 root-mean-square each (pixel units per unit step)."""
    patterns = rng.normal(size=(count, PIXELS))
    return 0.1 * patterns / np.sqrt(np.mean(patterns**2, axis=1, keepdims=True))


def _split_signs(rng: np.random.Generator, n: int, share: float) -> NDArray[np.float64]:
    """+1 for exactly ``round(share * n)`` inputs, -1 for the rest, in random order."""
    signs = np.where(np.arange(n) < round(share * n), 1.0, -1.0)
    return rng.permutation(signs)


def _codes(rng: np.random.Generator, n: int, share: float, controller: int) -> NDArray[np.float64]:
    """Standard normal codes; the controller's sign splits the inputs ``share`` / ``1 - share``.

    The controller is bimodal (clusters at +-1.5) for the class kind, else half-normal with the
    chosen signs.
    """
    codes = rng.normal(size=(n, LATENT_DIM))
    signs = _split_signs(rng, n, share)
    if controller == 2:  # clusters ("classes") along dimension 2
        codes[:, 2] = signs * 1.5 + 0.5 * rng.normal(size=n)
    else:
        codes[:, controller] = signs * np.abs(rng.normal(size=n))
    return codes


def _interaction(kind: str, a: NDArray[np.float64], b: NDArray[np.float64]) -> Callable:
    """Dimension 0's effect as a function of the codes: the entangled part of the decoder."""
    z0 = lambda z: z[:, :1]  # noqa: E731 - short formulas read best inline
    z1 = lambda z: z[:, 1:2]  # noqa: E731
    sigmoid = lambda t: 1.0 / (1.0 + np.exp(-t))  # noqa: E731
    formulas = {
        "flip": lambda z: z0(z) * np.tanh(5 * z1(z)) * a,
        "rotate": lambda z: z0(z) * (np.cos(np.pi / 4 * z1(z)) * a + np.sin(np.pi / 4 * z1(z)) * b),
        "shared+switched": lambda z: z0(z) * (a + 0.8 * np.tanh(5 * z1(z)) * b),
        "gate": lambda z: z0(z) * sigmoid(6 * z1(z)) * a,
        "scale": lambda z: z0(z) * z1(z) * a,
        "class": lambda z: z0(z) * (sigmoid(4 * z[:, 2:3]) * a + sigmoid(-4 * z[:, 2:3]) * b),
    }
    return formulas[kind]


def _entangled_decoder(kind: str, rng: np.random.Generator) -> tuple[Callable, tuple[str, ...]]:
    controller = 2 if kind == "class" else 1
    a, b = _patterns(rng, 2)
    background = _patterns(rng, LATENT_DIM)
    free = [d for d in range(LATENT_DIM) if d not in (0, controller)]
    interaction = _interaction(kind, a, b)

    def decode(z: NDArray[np.float64]) -> NDArray[np.float64]:
        return 0.5 + z[:, free] @ background[free] + interaction(z)

    truth = tuple("entangled" if d in (0, controller) else "consistent" for d in range(LATENT_DIM))
    return decode, truth


def _control_decoder(kind: str, rng: np.random.Generator) -> Callable:
    weights = _patterns(rng, LATENT_DIM)
    if kind == "linear":
        return lambda z: 0.5 + z @ weights
    if kind == "separable":  # each dimension owns a block of 32 pixels, tanh of its code
        block = np.repeat(np.eye(LATENT_DIM), PIXELS // LATENT_DIM, axis=1) * np.abs(weights) * 3
        return lambda z: 0.5 + np.tanh(z) @ block
    bias = rng.normal(size=PIXELS)  # "saturating": a dense map through a sigmoid
    return lambda z: 1.0 / (1.0 + np.exp(-(bias + 4.0 * z @ weights)))


def make_case(kind: str, split: str | float = "balanced", seed: int = 0, n: int = N_INPUTS) -> Case:
    """The decoder of ``kind`` with ``n`` inputs whose groups follow ``split``, seeded.

    ``kind`` is one of :data:`ENTANGLED_KINDS` or :data:`CONTROL_KINDS`; ``split`` one of
    :data:`SPLITS` or a number: the share of inputs with a positive controller dimension.
    """
    rng = np.random.default_rng([seed, (ENTANGLED_KINDS + CONTROL_KINDS).index(kind)])
    controller = 2 if kind == "class" else 1
    if kind in ENTANGLED_KINDS:
        decode, truth = _entangled_decoder(kind, rng)
    else:
        decode, truth = _control_decoder(kind, rng), ("consistent",) * LATENT_DIM
    share = SPLITS[split] if isinstance(split, str) else float(split)
    codes = _codes(rng, n, share, controller)
    x = np.zeros((n, 1, SIDE, SIDE), dtype=np.float32)
    x.reshape(n, -1)[:, :LATENT_DIM] = codes
    return Case(kind, str(split), seed, SyntheticDecoder(decode), x, truth)


def all_cases(seeds: range) -> list[Case]:
    """Every kind and control, both splits, each seed."""
    kinds = ENTANGLED_KINDS + CONTROL_KINDS
    return [make_case(k, s, seed) for seed in seeds for k in kinds for s in SPLITS]


# -- the calibration ------------------------------------------------------------------------------
def _rates(rows: list[tuple[Case, tuple[bool, ...]]]) -> tuple[float, float]:
    """Power (entangled dims flagged) and false-positive rate (consistent dims flagged)."""
    pairs = [(f, t) for case, flags in rows for f, t in zip(flags, case.truth, strict=True)]
    hits = [f for f, t in pairs if t == "entangled"]
    false = [f for f, t in pairs if t == "consistent"]
    return float(np.mean(hits)), float(np.mean(false))


def _control_pair_cosines(cases: list[Case], mode: str) -> NDArray[np.float64]:
    """Pair cosines of the change images of every control dimension."""
    from latentatlas.analysis.traversal import DEFAULT_VALUES, _decode_sweep, _sweep_effects

    cosines = []
    for case in cases:
        if case.kind in CONTROL_KINDS:
            codes = case.x.reshape(len(case.x), -1)[:, :LATENT_DIM].astype(np.float64)
            for dim in range(LATENT_DIM):
                scale = codes[:, dim].std(ddof=1) if mode == "std" else 1.0
                images = _decode_sweep(case.model, codes, dim, DEFAULT_VALUES, mode, scale, 1024)
                steps = DEFAULT_VALUES * scale
                gram = _sweep_effects(images, steps, 0.1, mode == "relative").gram
                cosines.append(gram[~np.eye(len(gram), dtype=bool)])
    return np.concatenate(cosines)


def main() -> None:
    from latentatlas.analysis.traversal import (
        AGREEMENT_COSINE,
        CONSISTENCY_THRESHOLD,
        traversal_effects,
    )

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds per case (default 5)")
    parser.add_argument("--mode", default="absolute", help="traversal mode (default absolute)")
    parser.add_argument(
        "--defaults", action="store_true", help="judge with traversal.py's defaults, not derived"
    )
    args = parser.parse_args()
    cases = all_cases(range(args.seeds))
    floor = np.floor(np.percentile(_control_pair_cosines(cases, args.mode), 5) / 0.05) * 0.05
    print(f"derived agreement_cosine (5th percentile of control pair cosines): {floor:.2f}")
    if args.defaults:
        floor = AGREEMENT_COSINE
    start, results = time.perf_counter(), []
    for case in cases:
        results.append(
            (case, traversal_effects(case.model, case.x, mode=args.mode, agreement_cosine=floor))
        )
    print(f"{len(cases)} cases in {time.perf_counter() - start:.1f} s")
    controls = [
        r.consistency[i] for c, r in results if c.kind in CONTROL_KINDS for i in range(LATENT_DIM)
    ]
    derived = np.floor((min(controls) - 0.05) / 0.05) * 0.05
    print(
        f"lowest control consistency {min(controls):.3f}; derived consistency_threshold "
        f"{derived:.2f}"
    )
    print(
        f"defaults in traversal.py: agreement_cosine {AGREEMENT_COSINE}, consistency_threshold "
        f"{CONSISTENCY_THRESHOLD} (the table uses {'these' if args.defaults else 'the derived'})\n"
    )
    if args.defaults:
        derived = CONSISTENCY_THRESHOLD
    new = [(c, tuple(r.consistency < derived)) for c, r in results]
    old = [(c, tuple(r.mean_cosine < 0.5)) for c, r in results]
    _print_table(results, derived, args.seeds)
    _print_minority(range(args.seeds), args.mode, floor, derived)
    _print_timing()
    print()
    for name, rows in (("new (share of agreeing pairs)", new), ("old (mean cosine >= 0.5)", old)):
        for split in SPLITS:
            chosen = [(c, f) for c, f in rows if c.split == split]
            power, false_rate = _rates(chosen)
            kinds = sum(all(f[0] for c, f in chosen if c.kind == kind) for kind in ENTANGLED_KINDS)
            print(
                f"{name:32s} {split:10s}: power {power:.3f}, false-positive rate "
                f"{false_rate:.3f}, kinds flagged in every seed (dim 0) {kinds}/6"
            )


def _print_timing() -> None:
    """Seconds of ``traversal_effects`` at the study's size against the decoding alone."""
    from latentatlas.analysis.traversal import DEFAULT_VALUES, _decode_sweep, traversal_effects

    class Mnist16(Autoencoder):
        name = "timing-decoder"

        def __init__(self) -> None:
            super().__init__((1, 28, 28), 16, {})
            self.weights = 0.1 * torch.randn(16, 784, generator=torch.Generator().manual_seed(0))

        def encode(self, x: torch.Tensor) -> torch.Tensor:
            return x.flatten(1)[:, :16]

        def decode(self, z: torch.Tensor) -> torch.Tensor:
            return torch.sigmoid(z @ self.weights).view(-1, 1, 28, 28)

    model = Mnist16()
    x = np.random.default_rng(0).normal(size=(100, 1, 28, 28)).astype(np.float32)
    codes = x.reshape(100, -1)[:, :16].astype(np.float64)

    def best(call: Callable[[], object]) -> tuple[float, float]:
        """Best of 3 wall-clock and process CPU seconds (CPU counts less of others' load)."""
        times = []
        for _ in range(3):
            start, cpu = time.perf_counter(), time.process_time()
            call()
            times.append((time.perf_counter() - start, time.process_time() - cpu))
        return min(t[0] for t in times), min(t[1] for t in times)

    total = best(lambda: traversal_effects(model, x))
    decoding = best(
        lambda: [
            _decode_sweep(model, codes, d, DEFAULT_VALUES, "absolute", 1.0, 1024) for d in range(16)
        ]
    )
    print(
        f"\ntiming, 100 inputs x 16 dims x 10 values of 28 x 28 (best of 3, wall / CPU s): "
        f"traversal_effects {total[0]:.3f} / {total[1]:.3f}, of which decoding "
        f"{decoding[0]:.3f} / {decoding[1]:.3f}"
    )


def _print_minority(seeds: range, mode: str, cosine: float, threshold: float) -> None:
    """Detection limit: the flip kind with a smaller and smaller minority group."""
    from latentatlas.analysis.traversal import traversal_effects

    print("\nflip kind, dimension 0, by size of the minority that moves the other way:")
    for minority in (0.31, 0.2, 0.1, 0.05):
        values = [
            traversal_effects(c.model, c.x, mode=mode, agreement_cosine=cosine).consistency[0]
            for c in (make_case("flip", 1 - minority, seed) for seed in seeds)
        ]
        flagged = sum(v < threshold for v in values)
        print(
            f"  minority {minority:.0%}: consistency {min(values):.2f}-{max(values):.2f} "
            f"(1 - 2p(1 - p) = {1 - 2 * minority * (1 - minority):.2f}), flagged in "
            f"{flagged} of {len(values)} seeds"
        )


def _print_table(results: list, threshold: float, seeds: int) -> None:
    """One row per case and split: verdicts of dims 0-2 in each seed, consistency, mean cosine."""
    print(
        f"{'case':16s} {'split':10s} {'truth 0,1,2':24s} {'flagged 0/1/2 of seeds':24s} "
        f"{'consistency d0 (min-max)':26s} mean cosine d0"
    )
    for kind in ENTANGLED_KINDS + CONTROL_KINDS:
        for split in SPLITS:
            chosen = [(c, r) for c, r in results if c.kind == kind and c.split == split]
            truth = ",".join(t[:4] for t in chosen[0][0].truth[:3])
            flagged = "/".join(
                str(sum(r.consistency[d] < threshold for _, r in chosen)) for d in range(3)
            )
            cons = [r.consistency[0] for _, r in chosen]
            cos = [r.mean_cosine[0] for _, r in chosen]
            print(
                f"{kind:16s} {split:10s} {truth:24s} {flagged + f' of {seeds}':24s} "
                f"{min(cons):.2f}-{max(cons):.2f}{'':17s} {np.mean(cos):.2f}"
            )


if __name__ == "__main__":
    main()
