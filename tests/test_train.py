"""The training loop: determinism, resume, early stopping, divergence, lazy data, closed form."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentatlas.config import TrainConfig
from latentatlas.errors import InputError
from latentatlas.models import build, encode_array
from latentatlas.train import (
    CHECKPOINT_NAME,
    History,
    TrainingDiverged,
    fit,
    resolve_device,
    seed_everything,
)

torch.set_num_threads(1)

CONFIG = TrainConfig(epochs=4, batch_size=32, device="cpu", lr_schedule="plateau", patience=2)


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return np.random.default_rng(0).random((160, 12), dtype=np.float32)


def _train(name, data, seed=0, config=CONFIG, **kwargs):
    seed_everything(seed)
    model = build(name, (12,), 2, **({} if name == "pca" else {"hidden": (8,)}))
    history = fit(model, data[:128], data[128:], config, seed=seed, progress=False, **kwargs)
    return model, history


def _same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("name", ["dae", "vae"])
def test_same_seed_gives_bit_identical_weights_and_codes(name, data):
    first, history = _train(name, data, seed=3)
    second, _ = _train(name, data, seed=3)
    other, _ = _train(name, data, seed=4)
    assert _same_weights(first, second)
    assert np.array_equal(encode_array(first, data), encode_array(second, data))
    assert not _same_weights(first, other)
    assert len(history.epochs) == 4 and set(history.epochs[0].train) == set(
        history.epochs[0].validation
    )


def test_resume_ends_with_the_same_weights_as_an_uninterrupted_run(data, tmp_path):
    whole, whole_history = _train("dae", data, checkpoint_dir=tmp_path / "a")
    interrupted = TrainConfig(**{**CONFIG.to_dict(), "epochs": 2})
    _train("dae", data, config=interrupted, checkpoint_dir=tmp_path / "b")
    resumed, resumed_history = _train(
        "dae", data, seed=0, checkpoint_dir=tmp_path / "b", resume=True
    )
    assert _same_weights(whole, resumed)
    assert whole_history.validation_loss == resumed_history.validation_loss
    assert [r.lr for r in whole_history.epochs] == [r.lr for r in resumed_history.epochs]


def test_early_stopping_restores_the_best_weights(data):
    config = TrainConfig(epochs=30, batch_size=32, lr=0.5, patience=2, device="cpu")
    model, history = _train("ae", data, config=config)
    assert history.stopped_early and len(history.epochs) < 30
    best = history.best_epoch
    assert history.validation_loss[best - 1] == min(history.validation_loss)
    assert len(history.epochs) - best == 2  # patience epochs without improvement
    model.eval()
    with torch.no_grad():
        restored = model.loss(torch.from_numpy(data[128:]))["total"].item()
    assert restored == pytest.approx(history.validation_loss[best - 1], rel=1e-5)


def test_nan_loss_stops_with_the_term_and_epoch_and_keeps_the_last_checkpoint(data, tmp_path):
    seed_everything(0)
    model = build("vae", (12,), 2, hidden=(8,))
    calls = {"n": 0}
    original = model.loss

    def poisoned(x, labels=None):
        terms = original(x, labels)
        calls["n"] += 1
        if calls["n"] > 6:  # past the first epoch (4 training + 1 validation batches)
            terms["kl"] = terms["kl"] * float("nan")
            terms["total"] = terms["reconstruction"] + terms["kl"]
        return terms

    model.loss = poisoned
    with pytest.raises(
        TrainingDiverged,
        match=r"epoch 2: the training (reconstruction and )?kl loss(es)? became nan",
    ):
        fit(model, data[:128], data[128:], CONFIG, seed=0, checkpoint_dir=tmp_path, progress=False)
    saved = torch.load(tmp_path / CHECKPOINT_NAME, weights_only=True)
    assert len(saved["records"]) == 1
    assert all(torch.isfinite(v).all() for v in saved["model"].values())


def test_an_absurd_learning_rate_diverges(data):
    config = TrainConfig(epochs=3, batch_size=32, lr=1e6, device="cpu")
    with pytest.raises(TrainingDiverged, match="lower learning rate"):
        _train("vae", data, config=config)


class _Lazy:
    """A sliceable array that is not an ndarray: the trainer must read it batch by batch."""

    def __init__(self, array):
        self.array, self.shape = array, array.shape
        self.reads = 0

    def __len__(self):
        return len(self.array)

    def __getitem__(self, key):
        self.reads += 1
        return self.array[key]


def test_lazy_arrays_train_like_in_memory_ones(data):
    config = TrainConfig(epochs=2, batch_size=32, device="cpu")
    _, history = _train("ae", data, config=config)
    seed_everything(0)
    lazy_model = build("ae", (12,), 2, hidden=(8,))
    lazy_train = _Lazy(data[:128])
    lazy_history = fit(lazy_model, lazy_train, _Lazy(data[128:]), config, seed=0, progress=False)
    assert lazy_train.reads == 2 * 4  # one read per batch
    np.testing.assert_allclose(lazy_history.train_loss, history.train_loss, rtol=1e-5)


def test_pca_is_fitted_in_closed_form_with_one_history_entry(data):
    _, history = _train("pca", data)
    assert len(history.epochs) == 1 and history.best_epoch == 1
    assert history.validation_loss[0] > 0


def test_classifier_needs_labels(data):
    with pytest.raises(InputError, match="needs labels"):
        _train("ae-classifier", data)
    labels = np.arange(160) % 3
    _, history = _train(
        "ae-classifier", data, train_labels=labels[:128], validation_labels=labels[128:]
    )
    assert "classification" in history.epochs[-1].validation


def test_history_round_trips_through_a_dict(data):
    _, history = _train("ae", data)
    assert History.from_dict(history.to_dict()) == history


def test_device_names():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="no CUDA"):
            resolve_device("cuda")
