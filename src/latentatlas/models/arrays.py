"""NumPy in, NumPy out: encode, decode and reconstruct arrays in batches, in evaluation mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from latentatlas.models.base import Autoencoder


def _model_device(model: Autoencoder, device: str | torch.device | None) -> torch.device:
    if device is not None:
        return torch.device(device)
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def _map_batches(
    model: Autoencoder,
    x: Any,
    fn: Callable[[torch.Tensor], torch.Tensor],
    batch_size: int,
    device: str | torch.device | None,
) -> NDArray[np.float32]:
    """Apply ``fn`` to ``x`` batch by batch in eval mode without gradients; restore the mode."""
    target = _model_device(model, device)
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                batch = np.asarray(x[start : start + batch_size], dtype=np.float32)
                outputs.append(fn(torch.from_numpy(batch).to(target)).cpu().numpy())
    finally:
        model.train(was_training)
    if not outputs:
        probe = fn(torch.zeros((1, *np.shape(x)[1:]), device=target))
        return np.zeros((0, *probe.shape[1:]), dtype=np.float32)
    return np.concatenate(outputs).astype(np.float32, copy=False)


def encode_array(
    model: Autoencoder, x: Any, batch_size: int = 1024, device: str | torch.device | None = None
) -> NDArray[np.float32]:
    """Latent codes (n, latent_dim) of inputs ``x`` (n, *input_shape); a VAE gives its mean.

    ``x`` may be a memory map or any sliceable array; it is read ``batch_size`` rows at a time.
    """
    return _map_batches(model, x, model.encode, batch_size, device)


def decode_array(
    model: Autoencoder, z: Any, batch_size: int = 1024, device: str | torch.device | None = None
) -> NDArray[np.float32]:
    """Decoded images or vectors (n, *input_shape) of codes ``z`` (n, latent_dim)."""
    return _map_batches(model, z, model.decode, batch_size, device)


def reconstruct_array(
    model: Autoencoder, x: Any, batch_size: int = 1024, device: str | torch.device | None = None
) -> NDArray[np.float32]:
    """Reconstructions ``decode(encode(x))`` with the shape of ``x`` (clean inputs, no noise)."""
    return _map_batches(model, x, model.forward, batch_size, device)


def reconstruction_error(
    model: Autoencoder, x: Any, batch_size: int = 1024, device: str | torch.device | None = None
) -> NDArray[np.float32]:
    """Per-sample mean squared error between ``x`` and its reconstruction, shape (n,)."""

    def per_sample(batch: torch.Tensor) -> torch.Tensor:
        return (model.forward(batch) - batch).pow(2).flatten(1).mean(dim=1)

    return _map_batches(model, x, per_sample, batch_size, device)


def corrupt_array(model: Autoencoder, x: Any, seed: int = 0) -> NDArray[np.float32]:
    """The inputs ``model`` sees in training for ``x`` (noisy for a denoising model), seeded.

    ``x`` unchanged for a model without input noise; the noise comes from a generator seeded
    with ``seed``, so a report shows the same noisy examples every time it is drawn.
    """
    generator = torch.Generator().manual_seed(seed)
    return model.corrupt(torch.as_tensor(x), generator).detach().cpu().numpy()
