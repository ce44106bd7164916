#!/usr/bin/env bash
# GPU check (issue 30): the --device cuda path end to end, in under 5 minutes on a GPU machine.
#
#   1. `latentatlas train` of a conv VAE on 1,000 sprites (64x64) with --device cuda, and the
#      device the run recorded;
#   2. one training step of that model (batch 128) on the GPU against the CPU, measured in the
#      same process: ms per step on each, wall and CPU seconds, and their ratio;
#   3. the explorer on that run: ms per /api/decode (the explorer decodes on the CPU today), and
#      the same model's decode on the GPU for comparison.
#
# Without CUDA it says so and runs every step on the CPU (the fallback, checked in CI by hand).
# Run: bash benchmarks/gpu_check.sh [OUT]   (PYTHON=... picks the interpreter; OUT is kept)
set -euo pipefail

PY=${PYTHON:-python}
OUT=${1:-$(mktemp -d -t la-gpu-check-XXXXXX)}
mkdir -p "$OUT"
la() { "$PY" -c "from latentatlas.cli import app; app(prog_name='latentatlas')" "$@"; }

DEVICE=$("$PY" -c "import torch; print('cuda' if torch.cuda.is_available() else 'cpu')")
echo "== device: $DEVICE (torch $("$PY" -c 'import torch; print(torch.__version__)'))"
if [ "$DEVICE" = cuda ]; then
    nvidia-smi -L || true
else
    echo "no CUDA device here: the CPU fallback runs every step on the CPU"
fi

echo "== 1. train a conv-vae on 1,000 sprites for 2 epochs with --device $DEVICE"
start=$(date +%s)
la train --dataset sprites -o n=1000 --model conv-vae --latent-dim 8 --epochs 2 \
    --batch-size 128 --device "$DEVICE" --quiet --out "$OUT/runs"
"$PY" - "$OUT/runs/seed-0" "$DEVICE" <<'PYTHON'
import json, sys
config = json.load(open(f"{sys.argv[1]}/config.json"))
recorded = json.dumps(config).count('"cuda"') > 0
print(f"run written: {sys.argv[1]} (config names cuda: {recorded})")
if sys.argv[2] == "cuda" and not recorded:
    sys.exit("the run trained with --device cuda does not record cuda in its config.json")
PYTHON
echo "   ($(($(date +%s) - start)) s wall)"

echo "== 2. one training step, $DEVICE against cpu (conv-vae, 1x64x64, batch 128)"
"$PY" - "$DEVICE" <<'PYTHON'
import sys, time
import torch
from latentatlas.models import build

def ms_per_step(device: str, steps: int) -> tuple[float, float]:
    torch.manual_seed(0)
    model = build("conv-vae", (1, 64, 64), 8).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch = torch.rand(128, 1, 64, 64, device=device)
    def step() -> None:
        optimiser.zero_grad(set_to_none=True)
        loss = model.loss(batch)["total"]
        loss.backward()
        optimiser.step()
    for _ in range(3):  # warm-up: kernels chosen, memory allocated
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    return 1e3 * (time.perf_counter() - wall) / steps, 1e3 * (time.process_time() - cpu) / steps

cpu_ms, cpu_cpu = ms_per_step("cpu", 5)
print(f"cpu : {cpu_ms:8.2f} ms/step wall, {cpu_cpu:8.2f} ms/step CPU ({torch.get_num_threads()} threads)")
if sys.argv[1] == "cuda":
    gpu_ms, gpu_cpu = ms_per_step("cuda", 50)
    print(f"cuda: {gpu_ms:8.2f} ms/step wall, {gpu_cpu:8.2f} ms/step CPU")
    print(f"speed-up of a step on the GPU: {cpu_ms / gpu_ms:.1f}x")
else:
    print("cuda: none here (no ratio)")
PYTHON

echo "== 3. explorer decodes of that run"
"$PY" - "$OUT/runs" "$DEVICE" <<'PYTHON'
import sys, time
import numpy as np
import torch
from fastapi.testclient import TestClient
from latentatlas import runs
from latentatlas.explorer import create_app

folder, device = sys.argv[1], sys.argv[2]
client = TestClient(create_app(folder))
name = client.get("/api/runs").json()[0]["name"]
rng = np.random.default_rng(0)
client.post("/api/decode", json={"run": name, "z": [0.0] * 8})  # loads the run
times = []
for _ in range(50):
    start = time.perf_counter()
    answer = client.post("/api/decode", json={"run": name, "z": rng.normal(size=8).tolist()})
    times.append(time.perf_counter() - start)
    assert answer.status_code == 200, answer.text
print(f"explorer /api/decode: median {1e3 * np.median(times):.1f} ms over 50 (decodes on the CPU)")
model = runs.load(f"{folder}/seed-0").model.to(device)
z = torch.from_numpy(rng.normal(size=(1, 8)).astype(np.float32)).to(device)
with torch.no_grad():
    model.decode(z)
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(50):
        model.decode(z)
    if device == "cuda":
        torch.cuda.synchronize()
print(f"the same decode on {device}: {1e3 * (time.perf_counter() - start) / 50:.2f} ms")
PYTHON
echo "== done; files in $OUT"
