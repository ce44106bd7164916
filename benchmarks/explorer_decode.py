"""How fast the explorer answers: one decode over HTTP, and the points of a 200,000-point run.

Serves runs of the dense models (MNIST-shaped, 784 inputs; weights as initialised, which decode
as fast as trained ones) with uvicorn on 127.0.0.1 and times ``POST /api/decode`` for one code
(the round trip a slider makes) and ``GET /api/runs/{name}/points`` for 200,000 codes, with
torch on ``--threads`` threads (2: the target machine). The issue's target: one decode under
50 ms for the dense models on 2 cores. With ``--browser`` it also times headless Chromium
(software WebGL) from opening the page to the 200,000-point cloud drawn, and the frames it
paints while a mouse drag pans that cloud (software WebGL renders on the CPU, so this is an
upper bound for a machine with a GPU).

It also serves the filaments study's 256-d conv autoencoder (3 x 64 x 64 sprites, filters
16-32-64-128, as ``study filaments --quick``) and times the first decode after a run is chosen
(the page's ``GET /api/runs/{name}``) against the warm ones, in a fresh process per setting:
without the warm-up on choosing (the explorer before) and with it (now). Each line prints
the first decode and its ratio to the warm median of the same process.

    python benchmarks/explorer_decode.py [--threads 2] [--repeats 200] [--browser]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from latentatlas import runs
from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from latentatlas.data.base import Dataset

MODELS = [("ae", 2), ("ae", 16), ("dae", 2), ("vae", 16), ("linear-ae", 16), ("pca", 16)]
#: The filaments study's conv model (``--quick``): 256-d codes of 3 x 64 x 64 sprites.
CONV_MODEL, CONV_DIM, CONV_FILTERS, CONV_SHAPE = "conv-ae", 256, (16, 32, 64, 128), (3, 64, 64)
#: Conv runs (seeds) whose first decode is timed: each gives one cold sample.
CONV_SEEDS = 3
BIG_RUN = "ae-200k"
N_BIG = 200_000


def _write_runs(folder: Path, first_only: bool = False) -> None:
    rng = np.random.default_rng(0)
    dataset = Dataset(name="random", x=rng.random((256, 1, 28, 28), dtype=np.float32))
    for model, latent_dim in MODELS:
        config = RunConfig(
            data=DataConfig("random"),
            model=ModelConfig(model, latent_dim),
            train=TrainConfig(epochs=1, batch_size=256, device="cpu"),
        )
        runs.train_run(config, folder / f"{model}-{latent_dim}", dataset=dataset, progress=False)
    images = Dataset(name="random", x=rng.random((64, *CONV_SHAPE), dtype=np.float32))
    for seed in range(CONV_SEEDS):
        config = RunConfig(
            data=DataConfig("random"),
            model=ModelConfig(CONV_MODEL, CONV_DIM, {"filters": list(CONV_FILTERS)}),
            train=TrainConfig(epochs=1, batch_size=64, device="cpu"),
            seed=seed,
        )
        runs.train_run(config, folder / _conv_name(seed), dataset=images, progress=False)
    if first_only:
        return
    # A run with 200,000 codes: the small run's weights with a large cloud of codes beside them.
    big = folder / BIG_RUN
    runs.train_run(config_for_big(), big, dataset=dataset, progress=False)
    latents = dict(np.load(big / "latents.npz"))
    n_validation = N_BIG // 5
    for split, n, start in (
        ("validation", n_validation, 0),
        ("train", N_BIG - n_validation, n_validation),
    ):
        latents[f"{split}_codes"] = rng.normal(size=(n, 2)).astype(np.float32)
        latents[f"{split}_indices"] = np.arange(start, start + n)
        latents[f"{split}_reconstruction_error"] = rng.random(n).astype(np.float32)
        latents.pop(f"{split}_labels", None)
        latents[f"{split}_labels"] = rng.integers(0, 10, n)
    np.savez(big / "latents.npz", **latents)
    # The run's manifest vouches for its files; re-issue it for the enlarged latents, as a
    # run that had these codes would have it (the explorer refuses a replaced file).
    from latentatlas import _manifest

    _manifest.write(big, runs.REQUIRED_FILES, runs.FORMAT_VERSION)


def _conv_name(seed: int) -> str:
    return f"{CONV_MODEL}-{CONV_DIM}-seed-{seed}"


def _first_decodes(folder: str, warm_up: bool, threads: int, repeats: int) -> dict[str, Any]:
    """In a fresh process: for each conv run, the seconds of choosing it (the page's GET of
    the run), of the first decode after that, and the warm decodes that follow."""
    try:
        import httpx2 as httpx
    except ImportError:
        import httpx

    torch.set_num_threads(threads)
    cpu_start = time.process_time()
    base, server = _serve(Path(folder), warm_up=warm_up)
    rng = np.random.default_rng(2)
    timings: dict[str, Any] = {k: [] for k in ("choose", "first", "warm", "first_cpu", "warm_cpu")}
    with httpx.Client(timeout=60) as client:
        for seed in range(CONV_SEEDS):
            name = _conv_name(seed)
            start = time.perf_counter()
            assert client.get(f"{base}/api/runs/{name}").status_code == 200
            timings["choose"].append(time.perf_counter() - start)
            for key, count in (("first", 1), ("warm", repeats)):
                for _ in range(count):
                    z = rng.normal(size=CONV_DIM).tolist()
                    start, cpu = time.perf_counter(), time.process_time()
                    answer = client.post(f"{base}/api/decode", json={"run": name, "z": z})
                    timings[key].append(time.perf_counter() - start)
                    # the server runs in this process: its CPU time and the client's together
                    timings[f"{key}_cpu"].append(time.process_time() - cpu)
                    assert answer.status_code == 200, answer.text
    server.should_exit = True
    timings["cpu_seconds"] = time.process_time() - cpu_start
    return timings


def _print_first_decodes(folder: Path, threads: int, repeats: int) -> None:
    """The conv runs' first decode without and with the warm-up, each in its own process."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # a fresh torch: nothing warm yet
    print(
        f"\n{CONV_MODEL} {CONV_DIM}-d on {'x'.join(map(str, CONV_SHAPE))}, filters "
        f"{'-'.join(map(str, CONV_FILTERS))}: first decode after choosing each of "
        f"{CONV_SEEDS} runs, {repeats} warm decodes per run, a fresh process per setting"
    )
    print("wall ms, and in brackets the CPU ms of the process (server and client) meanwhile")
    print(
        f"{'setting':<26} {'choose ms':>10} {'first decode':>16} {'warm median':>16} "
        f"{'first/warm':>11} {'(CPU)':>6}"
    )
    for warm_up in (False, True):
        with context.Pool(1) as pool:
            t = pool.apply(_first_decodes, (str(folder), warm_up, threads, repeats))
        warm = 1000 * float(np.median(t["warm"]))
        warm_cpu = 1000 * float(np.median(t["warm_cpu"]))
        for seed in range(CONV_SEEDS):
            first, choose = 1000 * t["first"][seed], 1000 * t["choose"][seed]
            first_cpu = 1000 * t["first_cpu"][seed]
            label = f"{'warm-up on choosing' if warm_up else 'no warm-up (before)'}, run {seed}"
            print(
                f"{label:<26} {choose:>10.1f} {first:>8.1f} ({first_cpu:>5.1f}) "
                f"{warm:>8.1f} ({warm_cpu:>5.1f}) {first / warm:>11.2f} "
                f"{first_cpu / max(warm_cpu, 1e-9):>6.2f}"
            )
        print(f"  (process CPU {t['cpu_seconds']:.1f} s)")


def config_for_big() -> RunConfig:
    return RunConfig(
        data=DataConfig("random"),
        model=ModelConfig("ae", 2),
        train=TrainConfig(epochs=1, batch_size=256, device="cpu"),
    )


def _serve(folder: Path, warm_up: bool = True) -> tuple[str, object]:
    import uvicorn

    from latentatlas.cli.explore import loopback_listener
    from latentatlas.explorer import create_app

    listener = loopback_listener(
        None
    )  # the socket `latentatlas explore` serves on (TCP_NODELAY set)
    server = uvicorn.Server(uvicorn.Config(create_app(folder, warm_up), log_level="warning"))
    threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{listener.getsockname()[1]}", server


def _time_decodes(client: object, base: str, name: str, dim: int, repeats: int) -> list[float]:
    rng = np.random.default_rng(1)
    client.post(f"{base}/api/decode", json={"run": name, "z": [0.0] * dim})  # loads the model
    times = []
    for _ in range(repeats):
        z = rng.normal(size=dim).tolist()
        start = time.perf_counter()
        answer = client.post(f"{base}/api/decode", json={"run": name, "z": z})
        times.append(time.perf_counter() - start)
        assert answer.status_code == 200, answer.text
    return times


#: A mouse drag across the plot: this many steps of ``PAN_STEP_PX`` pixels each.
PAN_STEPS, PAN_STEP_PX = 40, 8

#: Stamps every frame the browser paints (a requestAnimationFrame loop) until stopped.
_FRAME_RECORDER = """() => {
    window.__frames = [];
    window.__recording = true;
    const stamp = (t) => {
        window.__frames.push(t);
        if (window.__recording) requestAnimationFrame(stamp);
    };
    requestAnimationFrame(stamp);
}"""


def _pan_frames(page: Any) -> tuple[float, list[float]]:
    """Seconds of a mouse drag over the 200,000-point cloud (Plotly's pan) and the intervals
    (ms) between the frames painted meanwhile."""
    box = page.locator("#cloud").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.evaluate(_FRAME_RECORDER)
    start = time.perf_counter()
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, PAN_STEPS + 1):
        page.mouse.move(x + step * PAN_STEP_PX, y + step * PAN_STEP_PX / 2)
    page.mouse.up()
    page.evaluate("new Promise(requestAnimationFrame)")  # the frame after the last move
    seconds = time.perf_counter() - start
    frames = page.evaluate("() => { window.__recording = false; return window.__frames; }")
    return seconds, [b - a for a, b in itertools.pairwise(frames)]


#: The page's "Points" choices timed for panning ("" = all 200,000).
PAN_POINTS = ("", "50000", "10000")


def _browser_timings(
    base: str,
) -> tuple[float, float, dict[str, tuple[float, list[float]]]]:
    """Seconds to draw the big run, one decode from the page (ms), and a pan over it at each
    of :data:`PAN_POINTS`."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(base + "/")
        page.wait_for_function("window.explorer && window.explorer.ready", timeout=120_000)
        start = time.perf_counter()
        page.select_option("#run-select", BIG_RUN)
        page.wait_for_function(
            f"window.explorer.points.run === '{BIG_RUN}' && window.explorer.busy === 0",
            timeout=300_000,
        )
        page.evaluate("new Promise(requestAnimationFrame)")  # the frame after the draw
        seconds = time.perf_counter() - start
        decode_ms = page.evaluate(
            """async () => {
                const times = [];
                for (let i = 0; i < 50; i += 1) {
                    const start = performance.now();
                    const answer = await fetch('/api/decode', {method: 'POST',
                        headers: {'Content-Type': 'application/json'},
                        body: JSON.stringify({run: 'ae-16', z: Array(16).fill(i / 50)})});
                    await answer.blob();
                    times.push(performance.now() - start);
                }
                times.sort((a, b) => a - b);
                return times[25];
            }"""
        )
        pans = {}
        for choice in PAN_POINTS:
            if choice:
                page.select_option("#max-select", choice)
                page.wait_for_function(
                    f"window.explorer.points.n_returned === {int(choice)} "
                    "&& window.explorer.busy === 0",
                    timeout=300_000,
                )
            page.evaluate("new Promise(requestAnimationFrame)")
            pans[choice or str(N_BIG)] = _pan_frames(page)
        browser.close()
    return seconds, decode_ms, pans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--browser", action="store_true", help="also time headless Chromium")
    parser.add_argument(
        "--first-only", action="store_true", help="only the conv runs' first decodes"
    )
    options = parser.parse_args()
    try:  # the dev extra installs httpx2 (what FastAPI's TestClient uses); httpx has its API
        import httpx2 as httpx
    except ImportError:
        import httpx

    torch.set_num_threads(options.threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write_runs(folder, options.first_only)
        if options.first_only:
            _print_first_decodes(folder, options.threads, options.repeats)
            return
        base, server = _serve(folder)
        print(f"torch threads: {torch.get_num_threads()}; {options.repeats} decodes per model")
        print(f"{'run':<14} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
        with httpx.Client(timeout=60) as client:
            for model, dim in MODELS:
                times = np.array(
                    _time_decodes(client, base, f"{model}-{dim}", dim, options.repeats)
                )
                median, p95, worst = (1000 * np.quantile(times, q) for q in (0.5, 0.95, 1.0))
                print(f"{model + '-' + str(dim):<14} {median:>10.1f} {p95:>8.1f} {worst:>8.1f}")
            times = np.array(_time_decodes(client, base, _conv_name(0), CONV_DIM, options.repeats))
            median, p95, worst = (1000 * np.quantile(times, q) for q in (0.5, 0.95, 1.0))
            print(
                f"{CONV_MODEL + '-' + str(CONV_DIM):<14} {median:>10.1f} {p95:>8.1f} {worst:>8.1f}"
            )
            for params in ({}, {"codes": "false"}, {"codes": "false", "max_points": 50_000}):
                client.get(f"{base}/api/runs/{BIG_RUN}/points", params={"max_points": 1})
                seconds = []
                for _ in range(3):
                    start = time.perf_counter()
                    answer = client.get(f"{base}/api/runs/{BIG_RUN}/points", params=params)
                    seconds.append(time.perf_counter() - start)
                assert answer.status_code == 200, answer.text
                size = len(answer.content) / 1e6
                print(
                    f"points of {N_BIG:,} codes {params}: {statistics.median(seconds):.2f} s, "
                    f"{size:.1f} MB"
                )
        if options.browser:
            seconds, decode_ms, pans = _browser_timings(base)
            print(
                f"Chromium (software WebGL): the {N_BIG:,}-point run drawn {seconds:.1f} s after "
                f"choosing it; one decode from the page (ae-16): {decode_ms:.1f} ms median"
            )
            for drawn, (pan_seconds, intervals) in pans.items():
                print(
                    f"pan by mouse drag over {int(drawn):,} points ({PAN_STEPS} moves of "
                    f"{PAN_STEP_PX} px): {pan_seconds:.2f} s, {len(intervals) + 1} frames, frame "
                    f"interval median {statistics.median(intervals or [0]):.0f} ms, max "
                    f"{max(intervals or [0]):.0f} ms"
                )
        server.should_exit = True
        _print_first_decodes(folder, options.threads, options.repeats)


if __name__ == "__main__":
    main()
