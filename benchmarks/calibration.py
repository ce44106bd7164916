"""The one calibration of every claim measure, on synthetic cases whose truth is known.

Each row of the table is a measure (or a test) a study's verdict rests on, run on cases built so
that the right answer is known, at the threshold the study uses:

- **traversal consistency** (disentanglement): six kinds of entangled decoders against
  disentangled controls (the cases of ``calibrate_traversal.py``): power is the share of truly
  entangled dimensions flagged, the false-positive rate the share of truly consistent ones;
- **void excess**, **lower-dimensional than the matched Gaussian** and **nearly 1-d**
  (filaments): noisy curves, filaments and tori against Gaussian clouds (``calibrate_density.py``);
- **direction monotonicity** (heatmaps): a decoder whose latent axes move one factor steadily
  while random lines wiggle, against the same decoder rotated (its axes are then random
  directions); the claim's rule (direction paths above random directions, 5 seeds) is judged
  on each;
- **the claims' statistics**: the permutation test (``Separated``), the sign test
  (``AllSeeds``), TOST (``Equivalent``) and non-superiority (``NoAdvantage``) at 5 seeds a
  group, false-positive rate on draws where the null hypothesis holds (at its boundary) and
  power at a stated effect;
- **the equivalence margins**: how many between-seed standard deviations a margin must be for
  TOST at 5 seeds to show two identical groups equivalent with power 0.8
  (``EQUIVALENCE_SDS`` in ``latentatlas.studies.claims``), and the two margins derived from it.

``main`` writes the table into docs/analyses/calibration.md (between its markers); the tests run
the small profile (``calibrate(SMALL)``) and check each row's power and false-positive rate
against its bounds. The two scripts it draws its cases from keep their detailed tables.

Run (one BLAS thread: a multi-threaded BLAS spins on these small products on a shared machine)::

    PYTHONPATH=src OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/calibration.py

``--only monotonicity_rows`` (a section's name) runs that section alone and replaces only its rows
in the table; ``--repeats N`` sets the five-seed experiments of the direction-monotonicity row.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the two case scripts beside this one

import calibrate_density as density_cases
import calibrate_traversal as traversal_cases
from latentatlas.models import Autoencoder
from latentatlas.studies import _significance as sig

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "analyses" / "calibration.md"
START, END = "<!-- calibration:start -->", "<!-- calibration:end -->"
#: The smallest power a measure's row must reach, and the seeds a group has in the statistics.
POWER_TARGET, SEEDS = 0.8, 5


@dataclass(frozen=True)
class Profile:
    """How much of each calibration to run: the full one for the docs, a small one for tests."""

    name: str
    seeds: int  # seeds of each synthetic decoder or cloud
    null_seeds: int  # Gaussian null clouds
    points: int  # points per cloud
    queries: int  # query points of the local dimension
    dims: tuple[int, ...]  # ambient dimensions of the clouds
    noises: tuple[float, ...]  # relative noise levels of the clouds
    draws: int  # draws of each statistical test under its null and its alternative
    path_repeats: int  # 5-seed experiments of the direction-monotonicity rule per truth


FULL = Profile("full", 5, 40, 3000, 1000, (256, 16), (0.0, 0.01, 0.03, 0.1, 0.3), 1000, 20)
#: What docs/analyses/calibration.md shows when the machine is too busy for the full profile.
DOCS = Profile("docs", 2, 10, 1500, 500, (16,), (0.0, 0.01, 0.03, 0.1, 0.3), 300, 6)
SMALL = Profile("small", 1, 6, 800, 400, (16,), (0.0, 0.03), 60, 2)
PROFILES = {profile.name: profile for profile in (FULL, DOCS, SMALL)}


@dataclass(frozen=True)
class Row:
    """One measure's calibration: its truth cases, power, false-positive rate and threshold.

    ``power`` is the share of ``n_power`` truly positive cases the measure calls positive,
    ``false_positive`` the share of ``n_null`` truly negative ones it calls positive;
    ``min_power`` and ``max_false_positive`` are the bounds the tests hold it to.
    """

    measure: str
    claim: str
    positives: str
    negatives: str
    power: float
    n_power: int
    false_positive: float
    n_null: int
    threshold: str
    source: str
    min_power: float
    max_false_positive: float

    def holds(self) -> bool:
        """True when power and false-positive rate lie within their bounds."""
        return self.power >= self.min_power and self.false_positive <= self.max_false_positive


# -- traversal consistency ------------------------------------------------------------------------
def traversal_rows(profile: Profile) -> list[Row]:
    """Consistency at the study's thresholds on every synthetic decoder, both group splits."""
    from latentatlas.analysis.traversal import (
        AGREEMENT_COSINE,
        CONSISTENCY_THRESHOLD,
        traversal_effects,
    )

    cases = traversal_cases.all_cases(range(profile.seeds))
    flagged = [
        (
            case,
            tuple(c == "entangled" for c in traversal_effects(case.model, case.x).classification),
        )
        for case in cases
    ]
    power, false_rate = traversal_cases._rates(flagged)
    truths = [t for case in cases for t in case.truth]
    return [
        Row(
            "traversal consistency (share of input pairs that change alike, against a "
            "cross-dimension null)",
            "disentanglement: different input, different behaviour",
            f"the two entangled dimensions of {len(traversal_cases.ENTANGLED_KINDS)} kinds of "
            "entangled decoders (50/50 and 69/31 groups)",
            "the free dimensions of those decoders and every dimension of 3 disentangled "
            "controls (linear, separable, saturating)",
            power,
            truths.count("entangled"),
            false_rate,
            truths.count("consistent"),
            f"consistency < {CONSISTENCY_THRESHOLD} with agreement cosine {AGREEMENT_COSINE}",
            "the controls' lowest consistency less 0.05 and the 5th percentile of their pair "
            "cosines (calibrate_traversal.py)",
            0.95,
            0.05,
        )
    ]


# -- filaments: voids, lower dimension, nearly 1-d ------------------------------------------------
def density_rows(profile: Profile) -> list[Row]:
    """The filament score's three readings on curves, filaments, tori and Gaussian clouds."""
    from latentatlas.analysis.density import (
        LOW_DIMENSION_RATIO_MAX,
        NEARLY_1D_MAX_DIMENSION,
        VOID_EXCESS_MIN,
    )

    clouds = _clouds(profile)
    null = clouds["gaussian"]
    one_d = [m for kind in ("curve", "filaments") for noise, m in clouds[kind] if noise <= 0.03]
    manifolds = [m for kind in ("curve", "filaments", "2-d") for _, m in clouds[kind]]
    higher = [m for kind in ("2-d", "4-d") for _, m in clouds[kind]] + [m for _, m in null]
    curves = [m for kind in ("curve", "filaments") for _, m in clouds[kind]]
    noises = "/".join(f"{n:g}" for n in profile.noises)
    return [
        _density_row(
            "void excess over the matched Gaussian",
            "filaments: voids",
            f"noisy 1-d curves and five-filament unions (noise {noises})",
            curves,
            [m for _, m in null],
            "has_voids",
            True,
            f"excess > {VOID_EXCESS_MIN} / sqrt(planes)",
            "above the Gaussian null's largest excess (40 seeds, calibrate_density.py)",
            0.95,
        ),
        _density_row(
            "lowest ratio of the median local dimension to the matched Gaussian's, k = 5-160",
            "filaments: lower-dimensional structure",
            f"1-d curves, filaments and 2-d tori (noise {noises})",
            manifolds,
            [m for _, m in null],
            "low",
            True,
            f"ratio < {LOW_DIMENSION_RATIO_MAX}",
            "in the gap between the null (0.96-1.00) and the manifolds (calibrate_density.py)",
            0.8,
        ),
        _density_row(
            "smallest median local dimension over k = 5-160",
            "filaments: nearly 1-d (where the data's factors allow it)",
            "1-d curves and filaments at noise <= 0.03",
            one_d,
            higher,
            "one_d",
            True,
            f"smallest dimension <= {NEARLY_1D_MAX_DIMENSION}, resolved",
            "between noisy curves (1.0-1.3) and a clean 2-d torus (2.0) (calibrate_density.py)",
            0.95,
            negatives="2-d and 4-d tori at every noise and the Gaussian clouds",
        ),
    ]


def _clouds(profile: Profile) -> dict[str, list[tuple[float, dict]]]:
    """Each kind's measured clouds as ``(noise, measurement)``: every dim, noise and seed."""
    by_kind: dict[str, list[tuple[float, dict]]] = {kind: [] for kind in density_cases.KINDS}
    n, q = profile.points, profile.queries
    for dim in profile.dims:
        for seed in range(profile.null_seeds):
            by_kind["gaussian"].append((0.0, density_cases.measure("gaussian", n, dim, 0, seed, q)))
        for kind in ("curve", "filaments", "2-d", "4-d"):
            for noise in profile.noises:
                for seed in range(profile.seeds):
                    measured = density_cases.measure(kind, n, dim, noise, seed, q)
                    by_kind[kind].append((noise, measured))
    return by_kind


def _density_row(
    measure: str,
    claim: str,
    positives: str,
    positive: list[dict],
    null: list[dict],
    key: str,
    value: object,
    threshold: str,
    source: str,
    min_power: float,
    negatives: str = "Gaussian clouds with a code-like 1/i spectrum",
) -> Row:
    power = float(np.mean([m[key] is value or m[key] == value for m in positive]))
    false_rate = float(np.mean([m[key] is value or m[key] == value for m in null]))
    return Row(
        measure,
        claim,
        positives,
        negatives,
        power,
        len(positive),
        false_rate,
        len(null),
        threshold,
        source,
        min_power,
        0.05,
    )


# -- direction monotonicity against random directions ---------------------------------------------
PATH_DIM, PATH_SIDE = 4, 4


class FactorDecoder(Autoencoder):
    """A decoder whose image is its factors through a fixed random map; ``rotation`` turns z.

    Factor ``k`` is ``z_k + 1.5 sin(3 sum_{j != k} z_j)`` of the rotated code: steady along each
    latent axis when the rotation is the identity, wiggling along most other lines.
    """

    name = "factor-decoder"

    def __init__(self, rotation: NDArray[np.float64], mixing: NDArray[np.float64]):
        super().__init__((1, PATH_SIDE, PATH_SIDE), PATH_DIM, {})
        self.rotation, self.mixing = rotation, mixing

    def factors(self, codes: NDArray[np.float64]) -> NDArray[np.float64]:
        z = codes @ self.rotation.T
        others = z.sum(axis=1, keepdims=True) - z
        return z + 1.5 * np.sin(3.0 * others)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)[:, :PATH_DIM]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        image = self.factors(z.double().numpy()) @ self.mixing
        return torch.from_numpy(image.astype(np.float32)).view(-1, 1, PATH_SIDE, PATH_SIDE)


def monotonicity_seed(meaningful: bool, seed: int) -> tuple[float, float]:
    """Direction (latent axes) and random-direction monotonicity of one synthetic seed.

    The axes are the source's "directions"; with ``meaningful`` False the decoder is rotated at
    random, so that its axes are random directions themselves (the null of the claim).
    """
    from latentatlas.analysis.factor_reader import fit_factor_reader
    from latentatlas.analysis.paths import (
        decode_path,
        direction_path,
        monotonicity_of,
        random_direction_monotonicity,
    )
    from latentatlas.studies.heatmaps.analyse import PATH_POINTS
    from latentatlas.studies.heatmaps.results import N_RANDOM_DIRECTIONS

    rng = np.random.default_rng([seed, int(meaningful)])
    rotation = np.eye(PATH_DIM)
    if not meaningful:
        rotation = np.linalg.qr(rng.normal(size=(PATH_DIM, PATH_DIM)))[0]
    model = FactorDecoder(rotation, rng.normal(size=(PATH_DIM, PATH_SIDE * PATH_SIDE)))
    codes = rng.normal(size=(800, PATH_DIM))
    images = model.decode(torch.from_numpy(codes)).numpy()
    names = tuple(f"f{k}" for k in range(PATH_DIM))
    reader = fit_factor_reader(images, model.factors(codes), names, random_state=seed)
    axes = [
        monotonicity_of(
            decode_path(model, direction_path(codes, axis, PATH_POINTS), codes, reader)
        )[0]
        for axis in np.eye(PATH_DIM)
    ]
    # the study's own null statistic, on this decoder and reader
    null = random_direction_monotonicity(
        model, codes, reader, None, N_RANDOM_DIRECTIONS, PATH_POINTS, random_state=seed
    )
    return float(np.mean(axes)), null


def monotonicity_rows(profile: Profile) -> list[Row]:
    """The claim's rule (axes above random directions, 5 paired seeds) on meaningful and null
    decoders."""
    from latentatlas.studies.claims import Paired

    def supported(meaningful: bool, repeat: int) -> bool:
        seeds = range(repeat * SEEDS, (repeat + 1) * SEEDS)
        pairs = [monotonicity_seed(meaningful, seed) for seed in seeds]
        rule = Paired([p[0] for p in pairs], [p[1] for p in pairs], expect="greater")
        return rule.judge().verdict == "supported"

    power = [supported(True, r) for r in range(profile.path_repeats)]
    null = [supported(False, r) for r in range(profile.path_repeats)]
    return [
        Row(
            "direction monotonicity (largest |Spearman rho| of a factor read along the line) "
            "against random directions through the median code",
            "heatmaps: the VAE's directions are meaningful",
            "a decoder whose latent axes each move one factor steadily (5 seeds per verdict)",
            "the same decoder turned by a random rotation: its axes are random directions",
            float(np.mean(power)),
            len(power),
            float(np.mean(null)),
            len(null),
            "supported: one-sided exact sign-flip test of the paired differences, p < 0.05, "
            "5 seeds (smallest p 1/32)",
            "alpha; the null is the same statistic on 6 random lines drawn afresh each seed",
            0.8,
            0.1,
        )
    ]


# -- the claims' statistics -----------------------------------------------------------------------
def statistics_rows(profile: Profile) -> list[Row]:
    """False positives at the null's boundary and power at a stated effect, 5 seeds a group."""
    from latentatlas.studies.claims import (
        EQUIVALENCE_SDS,
        AllSeeds,
        Equivalent,
        NoAdvantage,
        Separated,
    )

    margin = EQUIVALENCE_SDS  # in between-seed standard deviations (sd = 1 below)
    rules: list[tuple[str, str, Callable, float, float, str, str]] = [
        (
            "Separated: one-sided exact permutation test of the difference of means",
            "every comparison (a above b)",
            lambda a, b: Separated(a, b, expect="greater"),
            2.0,
            0.0,
            "true difference 2 sd",
            "no difference",
        ),
        (
            "AllSeeds: exact sign test, every seed beyond a threshold",
            "every threshold claim (all seeds above t)",
            lambda a, b: AllSeeds(a, above=0.0),
            2.0,
            0.0,
            "seeds 2 sd above t",
            "seeds centred on t",
        ),
        (
            f"Equivalent: TOST against +-{margin} sd",
            "alike / as well as",
            lambda a, b: Equivalent(a, b, margin=margin),
            0.0,
            margin,
            "no difference",
            f"true difference on the margin ({margin} sd)",
        ),
        (
            f"NoAdvantage: non-superiority against {margin} sd",
            "no advantage",
            lambda a, b: NoAdvantage(a, b, margin=margin),
            0.0,
            margin,
            "no advantage",
            f"true advantage on the margin ({margin} sd)",
        ),
    ]
    rng = np.random.default_rng(2026)
    rows = []
    for measure, claim, make, effect, boundary, positives, negatives in rules:

        def rate(shift: float, make: Callable = make) -> float:
            draws = [rng.normal(size=(2, SEEDS)) for _ in range(profile.draws)]
            verdicts = [make(a + shift, b).judge().verdict for a, b in draws]
            return float(np.mean([v == "supported" for v in verdicts]))

        rows.append(
            Row(
                measure,
                claim,
                f"{SEEDS} vs {SEEDS} normal seeds, {positives}",
                f"{SEEDS} vs {SEEDS} normal seeds, {negatives}",
                rate(effect),
                profile.draws,
                rate(boundary),
                profile.draws,
                f"supported when p < {sig.ALPHA}",
                "alpha; the margin from the row below",
                _power_floor(profile.draws),
                sig.ALPHA + _slack(profile.draws),
            )
        )
    return rows


def _slack(draws: int) -> float:
    """Two binomial standard errors of a rate of alpha over ``draws`` draws."""
    return 2 * float(np.sqrt(sig.ALPHA * (1 - sig.ALPHA) / draws))


def _power_floor(draws: int) -> float:
    """:data:`POWER_TARGET` less two binomial standard errors of that rate over ``draws``."""
    return POWER_TARGET - 2 * float(np.sqrt(POWER_TARGET * (1 - POWER_TARGET) / draws))


# -- the equivalence margins ----------------------------------------------------------------------
def resolvable_margin(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """The smallest margin at which TOST shows ``a`` and ``b`` equivalent (bisection, 0.01)."""
    low, high = 0.0, 1.0
    while sig.tost_p(a, b, high) >= sig.ALPHA:
        low, high = high, 2 * high
    while high - low > 0.01:
        middle = (low + high) / 2
        low, high = (low, middle) if sig.tost_p(a, b, middle) < sig.ALPHA else (middle, high)
    return high


def margin_factor(draws: int, power: float = POWER_TARGET, random_state: int = 0) -> float:
    """Margin, in between-seed sds, at which TOST at 5 seeds a group has ``power`` (no difference).

    Each draw is two groups of :data:`SEEDS` standard normal seeds; its smallest resolvable
    margin is found by bisection, and the margin reached by a share ``power`` of the draws is
    the answer: with that margin TOST shows two identical groups equivalent with that power.
    """
    rng = np.random.default_rng(random_state)
    margins = [resolvable_margin(*rng.normal(size=(2, SEEDS))) for _ in range(draws)]
    return float(np.quantile(margins, power))


def margin_rows(profile: Profile) -> list[Row]:
    """The margin factor and the two margins derived from the measured between-seed spreads."""
    from latentatlas.studies.claims import EQUIVALENCE_SDS
    from latentatlas.studies.digit_pairs.study import SILHOUETTE_MARGIN, SILHOUETTE_SEED_SD
    from latentatlas.studies.heatmaps.study import KNN_MARGIN, KNN_SEED_SD

    factor = margin_factor(profile.draws)
    rows = [
        Row(
            "equivalence margin factor: between-seed sds a TOST margin spans",
            "every alike / as well as / no advantage claim",
            f"{SEEDS} vs {SEEDS} normal seeds, no difference: power at {EQUIVALENCE_SDS} sd",
            "(the false-positive rate at the margin is the TOST row above)",
            _tost_power(EQUIVALENCE_SDS, 1.0, profile.draws),
            profile.draws,
            0.0,
            0,
            f"EQUIVALENCE_SDS = {EQUIVALENCE_SDS} (this run: {factor:.2f})",
            f"the margin {POWER_TARGET:.0%} of no-difference draws resolve (resolvable_margin)",
            _power_floor(profile.draws),
            0.0,
        )
    ]
    for name, margin, sd, claim in (
        ("silhouette", SILHOUETTE_MARGIN, SILHOUETTE_SEED_SD, "digit-pairs: PCA as well as AE/DAE"),
        ("k-NN accuracy", KNN_MARGIN, KNN_SEED_SD, "heatmaps: k-NN scores alike"),
    ):
        rows.append(
            Row(
                f"{name} margin +-{margin}",
                claim,
                f"{SEEDS} vs {SEEDS} seeds of sd {sd} (the measured between-seed spread), "
                "no difference",
                f"{SEEDS} vs {SEEDS} seeds of sd {sd}, true difference on the margin",
                _tost_power(margin, sd, profile.draws),
                profile.draws,
                _tost_false_positive(margin, sd, profile.draws),
                profile.draws,
                f"margin {margin}",
                f"{EQUIVALENCE_SDS} x between-seed sd {sd}, rounded up to 0.01"
                + (" (at least the binomial floor 0.02)" if name == "k-NN accuracy" else ""),
                _power_floor(profile.draws),
                sig.ALPHA + _slack(profile.draws),
            )
        )
    return rows


def _tost_power(margin: float, sd: float, draws: int) -> float:
    rng = np.random.default_rng(11)
    groups = [rng.normal(0.0, sd, size=(2, SEEDS)) for _ in range(draws)]
    return float(np.mean([sig.tost_p(a, b, margin) < sig.ALPHA for a, b in groups]))


def _tost_false_positive(margin: float, sd: float, draws: int) -> float:
    rng = np.random.default_rng(12)
    groups = [rng.normal(0.0, sd, size=(2, SEEDS)) for _ in range(draws)]
    return float(np.mean([sig.tost_p(a + margin, b, margin) < sig.ALPHA for a, b in groups]))


# -- the table ------------------------------------------------------------------------------------
SECTIONS: tuple[Callable[[Profile], list[Row]], ...] = (
    traversal_rows,
    density_rows,
    monotonicity_rows,
    statistics_rows,
    margin_rows,
)


def calibrate(profile: Profile, sections: Sequence[Callable] = SECTIONS) -> list[Row]:
    """Every row of the calibration table at ``profile``."""
    return [row for section in sections for row in section(profile)]


def table(rows: Sequence[Row]) -> str:
    """The calibration table in Markdown, one row per measure."""
    lines = [
        "| measure | claim | truth: positives | truth: negatives | power | false-positive "
        "rate | threshold | where the threshold comes from |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        fpr = "—" if row.n_null == 0 else f"{row.false_positive:.3f} (n = {row.n_null})"
        lines.append(
            f"| {row.measure} | {row.claim} | {row.positives} | {row.negatives} | "
            f"{row.power:.3f} (n = {row.n_power}) | {fpr} | {row.threshold} | {row.source} |"
        )
    return "\n".join(lines)


def write_doc(rows: Sequence[Row], profile: Profile, seconds: tuple[float, float]) -> None:
    """Replace the table between the markers of docs/analyses/calibration.md."""
    import re

    text = DOC.read_text()
    body = (
        f"Profile `{profile.name}`: {profile.seeds} seeds per synthetic case, "
        f"{profile.null_seeds} Gaussian null clouds of {profile.points} points in "
        f"{'/'.join(map(str, profile.dims))} dimensions, {profile.draws} draws per test, "
        f"{profile.path_repeats} five-seed experiments per truth; {seconds[0]:.0f} s wall, "
        f"{seconds[1]:.0f} s CPU.\n\n{table(rows)}"
    )
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), flags=re.S)
    DOC.write_text(pattern.sub(lambda _: f"{START}\n{body}\n{END}", text))


def replace_rows(rows: Sequence[Row]) -> None:
    """Replace the lines of ``rows``' measures in the table of docs/analyses/calibration.md."""
    text = DOC.read_text()
    new = {row.measure: line for row, line in zip(rows, table(rows).splitlines()[2:], strict=True)}
    lines = []
    for line in text.splitlines(keepends=True):
        measure = next((m for m in new if line.startswith(f"| {m} |")), None)
        lines.append(line if measure is None else new.pop(measure) + "\n")
    if new:
        raise SystemExit(f"no row for {', '.join(new)} in {DOC}; run every section to add it")
    DOC.write_text("".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=tuple(PROFILES), default="full")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument(
        "--only",
        choices=tuple(section.__name__ for section in SECTIONS),
        help="run this section alone and replace only its rows",
    )
    parser.add_argument(
        "--repeats", type=int, help="five-seed experiments per truth of the monotonicity row"
    )
    args = parser.parse_args()
    profile = PROFILES[args.profile]
    if args.repeats is not None:
        if args.repeats < 1:
            parser.error(f"--repeats must be at least 1, got {args.repeats}")
        profile = replace(profile, path_repeats=args.repeats)
    sections = [s for s in SECTIONS if args.only in (None, s.__name__)]
    start, cpu = time.perf_counter(), time.process_time()
    rows = []
    for section in sections:
        rows += section(profile)
        print(f"{section.__name__}: {time.perf_counter() - start:.0f} s", flush=True)
    seconds = (time.perf_counter() - start, time.process_time() - cpu)
    print(table(rows))
    for row in rows:
        if not row.holds():
            print(f"OUT OF BOUNDS: {row.measure}")
    print(f"{seconds[0]:.0f} s wall, {seconds[1]:.0f} s CPU", flush=True)
    if args.no_write:
        return
    if args.only:
        replace_rows(rows)
    else:
        write_doc(rows, profile, seconds)


if __name__ == "__main__":
    main()
