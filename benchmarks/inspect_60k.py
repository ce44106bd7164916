"""How long ``latentatlas inspect`` takes on 60,000 MNIST-sized codes with a decoder (issue 29).

The target: every analysis that applies, on 60,000 rows of 1 x 28 x 28 images with a decoder,
in under 5 minutes (300 s) on 2 cores.

The data: the embedded 5,000-image MNIST subset (``latentatlas.data.load("mnist")``) tiled to
``--n`` rows, each copy after the first with seeded Gaussian pixel noise (sd 0.1, clipped to
[0, 1]); labels kept, so the classes group runs. The model: the small convolutional autoencoder
``build`` below (16-d codes), trained for ``--epochs`` epochs on the 5,000 real images before the
clock starts (``--epochs 0``: as initialised). Both are written to a temporary folder and
``latentatlas inspect --model benchmarks/inspect_60k.py:build --weights w.safetensors
--dataset arrays --path x.npz`` runs end to end in a child process (default settings: t-SNE of
2,000 codes, 2,000 intrinsic-dimension queries, 128 random decodes, 16 traversed dimensions).
One seed unless ``--seeds 2`` (then two trainings, and the seed-variability group runs too).

The study does not expose per-stage times, so the child wraps its stage functions (the groups of
``studies/inspect/analyse.py`` and the analysis functions they call) with timers that read the
wall clock and ``time.process_time`` (CPU of all the child's threads); nothing else changes.
Printed: each stage's wall and CPU seconds, the whole command's wall and CPU seconds (user +
system of the child process and its children), the target, and ``uptime``'s load before and
after (the development machine has 2 cores shared with other work: say so beside any figure).

    python benchmarks/inspect_60k.py            # n = 60,000
    python benchmarks/inspect_60k.py --quick    # n = 6,000
    python benchmarks/inspect_60k.py --n 20000 --seeds 2 --epochs 0
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

TARGET_S = 300.0
LATENT_DIM = 16
NOISE_SD = 0.1
HERE = Path(__file__).resolve()


class ConvAE(nn.Module):
    """1x28x28 -> 16x14x14 -> 32x7x7 -> 16 codes, and back (sigmoid output)."""

    def __init__(self, latent_dim: int = LATENT_DIM):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 32 * 7 * 7),
            nn.ReLU(),
            nn.Unflatten(1, (32, 7, 7)),
            nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1),
            nn.Sigmoid(),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


def build() -> ConvAE:
    """The factory ``latentatlas inspect --model benchmarks/inspect_60k.py:build`` calls."""
    return ConvAE()


# -- the data and the model -----------------------------------------------------------------------
def make_data(n: int, seed: int = 0) -> tuple[Any, Any, Any]:
    """The 5,000 real images tiled to ``n`` rows with seeded noise; labels kept; the originals."""
    import numpy as np

    from latentatlas.data import load

    real = load("mnist")
    base, labels = real.x.astype(np.float32), np.asarray(real.labels)
    rng = np.random.default_rng(seed)
    x = np.empty((n, *base.shape[1:]), dtype=np.float32)
    y = np.empty(n, dtype=np.int64)
    for first in range(0, n, len(base)):
        count = min(len(base), n - first)
        block = base[:count].copy()
        if first > 0:  # the first copy is the real images; the others are perturbed
            block += rng.normal(0.0, NOISE_SD, size=block.shape).astype(np.float32)
            np.clip(block, 0.0, 1.0, out=block)
        x[first : first + count] = block
        y[first : first + count] = labels[:count]
    return x, y, base


def train(images: Any, epochs: int, seed: int) -> ConvAE:
    """A few epochs of Adam on binary cross-entropy over the 5,000 real images."""
    torch.manual_seed(seed)
    model = build()
    if epochs == 0:
        return model
    x = torch.from_numpy(images)
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.BCELoss()
    for epoch in range(epochs):
        order = torch.randperm(len(x))
        total = 0.0
        for first in range(0, len(x), 128):
            batch = x[order[first : first + 128]]
            loss = loss_fn(model.decode(model.encode(batch)), batch)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        print(f"  seed {seed} epoch {epoch + 1}: BCE {total / len(x):.4f}", flush=True)
    return model


# -- the child: the CLI with timed stages ---------------------------------------------------------
#: (module, function, stage name); the groups first, then what they call (nested times).
STAGES = [
    ("latentatlas.studies.inspect.prepare", "prepare", "prepare: load data and models, encode"),
    ("latentatlas.studies.inspect.analyse", "_density", "shape of the cloud and 2-d map"),
    ("latentatlas.analysis.density", "filament_score", "  local dimension and voids"),
    ("latentatlas.studies.inspect.analyse", "_map", "  t-SNE map"),
    ("latentatlas.studies.inspect.analyse", "_labels", "classes"),
    ("latentatlas.analysis.clusters", "original_space_silhouette", "  pixel silhouette"),
    ("latentatlas.analysis.clusters", "silhouette", "  code silhouette"),
    ("latentatlas.analysis.classification", "knn_accuracy", "  k-NN"),
    ("latentatlas.studies.inspect.analyse", "_factors", "disentanglement"),
    ("latentatlas.studies.inspect.analyse", "_decoder", "decoder"),
    ("latentatlas.models", "reconstruction_error", "  reconstruction error"),
    ("latentatlas.analysis.decoding", "random_decodes", "  random decodes"),
    ("latentatlas.analysis.traversal", "traversal_effects", "  traversal effects"),
    ("latentatlas.analysis.traversal", "traverse", "  traversal grid"),
    ("latentatlas.studies.inspect.analyse", "_label_reconstruction", "labels of reconstructions"),
    ("latentatlas.analysis.classification", "fit_label_classifier", "  pixel classifier"),
    ("latentatlas.studies.inspect.analyse", "_seed_spread", "seed variability"),
    ("latentatlas.studies.inspect.analyse", "_gates", "learned-model gates"),
    ("latentatlas.studies.inspect.report", "build_report", "report (figures)"),
]


def child(times_file: str, cli_args: list[str]) -> None:
    """Wrap the stage functions with timers, run the CLI in this process, write the times."""
    import functools
    import importlib

    times: dict[str, list[float]] = {}
    missing = []
    inner: list[str] = []  # the nested (indented) stage running now: one is not counted twice
    for module_name, name, stage in STAGES:
        module = importlib.import_module(module_name)
        original = getattr(module, name, None)
        if original is None:
            missing.append(f"{module_name}.{name}")
            continue

        def timed(*args: Any, _f: Any = original, _stage: str = stage, **kwargs: Any) -> Any:
            nested = _stage.startswith(" ")
            if nested and inner:  # e.g. silhouette called by original_space_silhouette
                return _f(*args, **kwargs)
            if nested:
                inner.append(_stage)
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return _f(*args, **kwargs)
            finally:
                entry = times.setdefault(_stage, [0.0, 0.0, 0])
                entry[0] += time.perf_counter() - wall
                entry[1] += time.process_time() - cpu
                entry[2] += 1
                if nested:
                    inner.pop()

        setattr(module, name, functools.wraps(original)(timed))
    from latentatlas.cli import app

    try:
        app(cli_args, standalone_mode=False)
    finally:
        Path(times_file).write_text(json.dumps({"times": times, "missing": missing}))


# -- the parent -----------------------------------------------------------------------------------
def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=60_000, help="rows (default 60,000)")
    parser.add_argument("--quick", action="store_true", help="6,000 rows")
    parser.add_argument("--seeds", type=int, default=1, help="models (seeds) inspected")
    parser.add_argument("--epochs", type=int, default=3, help="training epochs (0: untrained)")
    parser.add_argument("--keep", type=Path, help="keep the data, weights and study here")
    args = parser.parse_args()
    n = 6_000 if args.quick else args.n

    import numpy as np
    from safetensors.torch import save_file

    print(f"torch threads {torch.get_num_threads()}, cores {os.cpu_count()}, load {_load()}")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="inspect60k-"))
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    x, y, real = make_data(n)
    np.savez(folder / "x.npz", x=x, labels=y)
    del x
    weights = []
    for seed in range(args.seeds):
        model = train(real, args.epochs, seed)
        path = folder / f"seed-{seed}.safetensors"
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
        weights.append(path)
    print(f"data ({n:,} rows) and {args.seeds} model(s): {time.perf_counter() - start:.1f} s")

    out = folder / "study"
    cli_args = ["inspect", "--model", f"{HERE}:build", "--dataset", "arrays"]
    cli_args += ["--path", str(folder / "x.npz"), "--device", "cpu", "--out", str(out)]
    for path in weights:
        cli_args += ["--weights", str(path)]
    times_file = folder / "times.json"
    code = f"import sys; sys.path.insert(0, {str(HERE.parent)!r}); import inspect_60k as b; "
    code += f"b.child({str(times_file)!r}, {cli_args!r})"
    load_before = _load()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", code], check=False)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    user, system = after.ru_utime - usage.ru_utime, after.ru_stime - usage.ru_stime
    load_after = _load()
    if completed.returncode != 0:
        sys.exit(f"latentatlas inspect failed with exit code {completed.returncode}")

    recorded = json.loads(times_file.read_text())
    print(f"\nlatentatlas inspect on {n:,} rows, {args.seeds} seed(s), epochs {args.epochs}:")
    print(f"{'stage':<42} {'wall s':>8} {'CPU s':>8} {'calls':>6}")
    for _, _, stage in STAGES:
        if stage in recorded["times"]:
            stage_wall, stage_cpu, calls = recorded["times"][stage]
            print(f"{stage:<42} {stage_wall:8.1f} {stage_cpu:8.1f} {calls:6d}")
    top = [s for s in STAGES if not s[2].startswith(" ") and s[2] in recorded["times"]]
    staged = sum(recorded["times"][s[2]][0] for s in top)
    print(f"{'other (imports, engine, writing, HTML)':<42} {wall - staged:8.1f}")
    if recorded["missing"]:
        print(f"(not timed, not found: {', '.join(recorded['missing'])})")
    cpu = user + system
    print(f"{'total (the whole command)':<42} {wall:8.1f} {cpu:8.1f}")
    print(f"  CPU: {user:.1f} s user + {system:.1f} s system = {cpu / wall:.2f} cores busy")
    print(f"  peak resident memory of the command: {after.ru_maxrss / 1024:.0f} MiB")
    dominant = max(top, key=lambda s: recorded["times"][s[2]][0])[2]
    share = recorded["times"][dominant][0] / wall
    print(f"  dominant stage: {dominant} ({share:.0%} of the wall time)")
    verdict = "met" if wall < TARGET_S else "missed"
    print(f"target: under {TARGET_S:.0f} s wall on 2 cores: {verdict} ({wall:.1f} s)")
    print(f"load average (1, 5, 15 min) before: {load_before}; after: {load_after}")
    if args.keep is None:
        print(f"(files in {folder})")


if __name__ == "__main__":
    main()
