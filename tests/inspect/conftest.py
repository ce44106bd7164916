"""Shared files of the inspect tests: weights, TorchScript and codes files of tiny models."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import zoo  # noqa: E402


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Weights (.safetensors, .pt, nested .pt, pickled .pt), TorchScript and codes files."""
    from safetensors.torch import save_file

    folder = tmp_path_factory.mktemp("inspect-files")
    made: dict[str, Path] = {}
    for seed in (0, 1):
        torch.manual_seed(seed)
        made[f"vae-{seed}"] = folder / f"vae-{seed}.safetensors"
        save_file(zoo.ConvVAE().state_dict(), str(made[f"vae-{seed}"]))
    made["vae-pt"] = folder / "vae.pt"
    torch.save({"state_dict": zoo.build_vae().state_dict(), "epoch": 3}, made["vae-pt"])
    made["pickled"] = folder / "pickled.pt"
    torch.save(zoo.build_vae(), made["pickled"])  # a whole module: weights_only refuses it
    made["parts"] = folder / "parts.safetensors"
    save_file(zoo.build_parts().state_dict(), str(made["parts"]))
    torch.manual_seed(0)
    made["script"] = folder / "model.pt"
    torch.jit.save(torch.jit.script(zoo.Scriptable()), str(made["script"]))
    made["script-encode-only"] = folder / "encode-only.pt"
    torch.jit.save(torch.jit.script(zoo.EncodeOnlyScript()), str(made["script-encode-only"]))
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 40)
    factors = np.stack([labels.astype(float), rng.uniform(size=120)], axis=1)
    codes = np.column_stack(
        [labels + 0.1 * rng.standard_normal(120), factors[:, 1], rng.standard_normal((120, 2))]
    )
    made["codes"] = folder / "codes.npz"
    np.savez(
        made["codes"], codes=codes, labels=labels, factors=factors, factor_names=["shape", "size"]
    )
    made["codes-1"] = folder / "codes-1.npz"
    np.savez(made["codes-1"], z=codes @ np.linalg.qr(rng.standard_normal((4, 4)))[0], labels=labels)
    bad = codes.copy()
    bad[7, 2] = np.nan
    made["codes-nan"] = folder / "codes-nan.npz"
    np.savez(made["codes-nan"], codes=bad)
    made["codes-rows"] = folder / "codes-rows.npz"
    np.savez(made["codes-rows"], codes=codes, labels=labels[:-2])
    return made
