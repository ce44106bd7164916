"""The adapters of models/external.py: every way a user gives a model, and every bad input."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from zoo import ConvVAE, factory

from latentatlas.errors import InputError
from latentatlas.models import external

X = np.random.default_rng(0).uniform(size=(20, 1, 28, 28)).astype(np.float32)


def test_factory_with_weights_encodes_the_mean_of_mu_logvar(files: dict[str, Path]) -> None:
    source = external.from_factory(factory("build_vae"), files["vae-0"], X, "cpu")
    reference = ConvVAE()
    from safetensors.torch import load_file

    reference.load_state_dict(load_file(str(files["vae-0"])))
    with torch.no_grad():
        expected = reference.encode(torch.from_numpy(X))[0].numpy()
    np.testing.assert_allclose(source.encode(X), expected, atol=1e-6)
    assert source.decode(expected).shape == (20, 1, 28, 28)
    assert source.files[str(files["vae-0"])] == external.sha256(files["vae-0"])
    assert source.model.latent_dim == 4 and not source.model.training


def test_nested_pt_state_dict_is_read_without_unpickling(files: dict[str, Path]) -> None:
    source = external.from_factory(factory("build_vae"), files["vae-pt"], X, "cpu")
    assert source.encode(X).shape == (20, 4)


def test_encoder_decoder_attributes_and_a_distribution(files: dict[str, Path]) -> None:
    source = external.from_factory(factory("build_parts"), files["parts"], X, "cpu")
    assert source.encode(X).shape == (20, 4)
    assert source.decode(source.encode(X)).shape == X.shape


def test_a_dict_with_mean() -> None:
    assert external.from_factory(factory("build_dict"), None, X, "cpu").encode(X).shape == (20, 4)


def test_torchscript(files: dict[str, Path]) -> None:
    source = external.from_torchscript(files["script"], X, "cpu")
    assert source.encode(X).shape == (20, 4)
    assert source.decode(np.zeros((2, 4), np.float32)).shape == (2, 1, 28, 28)


def test_numpy_and_torch_callables() -> None:
    weights = np.random.default_rng(1).standard_normal((784, 3)).astype(np.float32)
    numpy_source = external.from_callables(
        lambda x: np.asarray(x).reshape(len(x), -1) @ weights,
        lambda z: np.zeros((len(z), 1, 28, 28), np.float32),
        X,
    )
    np.testing.assert_allclose(numpy_source.encode(X), X.reshape(20, -1) @ weights, rtol=1e-5)
    torch_source = external.from_callables(lambda x: x.flatten(1)[:, :2], None, X)
    assert torch_source.encode(X).shape == (20, 2) and not torch_source.has_decoder


def test_codes_file(files: dict[str, Path]) -> None:
    source = external.from_codes(files["codes"])
    assert source.codes.shape == (120, 4) and source.factor_names == ("shape", "size")
    assert source.labels is not None and source.factors.shape == (120, 2)


def test_parquet_codes(tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame({"z0": [0.0, 1.0, 2.0], "z1": [1.0, 0.0, 1.0], "label": [0, 1, 0]})
    frame["factor_size"] = [0.1, 0.2, 0.3]
    frame.to_parquet(tmp_path / "c.parquet")
    source = external.from_codes(tmp_path / "c.parquet")
    assert source.codes.shape == (3, 2) and source.factor_names == ("size",)
    assert list(source.labels) == [0, 1, 0]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nowhere_pkg.vae:build", "nowhere_pkg.vae does not import"),
        ("no-colon", "must look like package.module:function"),
        (factory("build_missing"), "has no function build_missing"),
        (factory("build_broken"), "raised RuntimeError: no GPU found"),
        (factory("build_nothing"), "without encode/decode methods"),
        (factory("build_wrong_rows"), "returned shape (3, 4) for 16 inputs"),
        (factory("build_scalar_codes"), "returned shape () for 16 inputs"),
        ("/no/such/file.py:build", "does not exist"),
    ],
)
def test_bad_factories(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        external.from_factory(spec, None, X, "cpu")


def test_weights_that_do_not_fit_name_the_key(files: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"'features.1.weight'|has no tensor|has shape"):
        external.from_factory(factory("build_vae"), files["parts"], X, "cpu")
    from safetensors.torch import save_file

    state = ConvVAE().state_dict()
    state["mu.weight"] = torch.zeros(5, 784)
    save_file(state, str(tmp_path / "shape.safetensors"))
    with pytest.raises(InputError, match=r"'mu.weight' has shape \(5, 784\)"):
        external.from_factory(factory("build_vae"), tmp_path / "shape.safetensors", X, "cpu")
    del state["mu.weight"]
    save_file(state, str(tmp_path / "missing.safetensors"))
    with pytest.raises(InputError, match=r"has no tensor 'mu\.weight'"):
        external.from_factory(factory("build_vae"), tmp_path / "missing.safetensors", X, "cpu")


def test_a_pickle_is_refused_not_run(files: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(InputError, match="pickled Python objects, which are not loaded"):
        external.read_state_dict(files["pickled"])
    (tmp_path / "evil.pt").write_bytes(pickle.dumps(object()))
    with pytest.raises(InputError, match=r"evil\.pt"):
        external.read_state_dict(tmp_path / "evil.pt")


def test_missing_and_odd_files(files: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        external.read_state_dict(tmp_path / "gone.safetensors")
    with pytest.raises(InputError, match="must end in"):
        external.read_state_dict(files["codes"])
    (tmp_path / "cut.safetensors").write_bytes(b"\x00\x01")
    with pytest.raises(InputError, match="not a readable safetensors file"):
        external.read_state_dict(tmp_path / "cut.safetensors")
    with pytest.raises(InputError, match="does not exist"):
        external.from_torchscript(tmp_path / "gone.pt", X)
    with pytest.raises(InputError, match="cannot be loaded"):
        external.from_torchscript(files["codes"], X)


def test_torchscript_without_the_methods(files: dict[str, Path]) -> None:
    with pytest.raises(InputError, match="exports no encode method"):
        external.from_torchscript(files["script-encode-only"], X)


def test_bad_codes(files: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(InputError, match="NaN or infinite value in row 7"):
        external.from_codes(files["codes-nan"])
    with pytest.raises(
        InputError, match=r"labels of codes file .* has 118 entries but the codes have 120"
    ):
        external.from_codes(files["codes-rows"])
    np.savez(tmp_path / "keys.npz", x=np.zeros((3, 2)))
    with pytest.raises(InputError, match="has no 'codes' or 'z' array"):
        external.from_codes(tmp_path / "keys.npz")
    with pytest.raises(InputError, match="2-d numeric array"):
        external.from_codes(codes=np.zeros(5))


def test_a_package_in_the_working_folder_and_a_files_neighbours_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "inspect_test_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "vae.py").write_text(
        "from torch import nn\n"
        "class M(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 3))\n"
        "def build():\n"
        "    return M()\n"
    )
    (tmp_path / "script_with_neighbour.py").write_text("from inspect_test_neighbour import build\n")
    (tmp_path / "inspect_test_neighbour.py").write_text("from inspect_test_pkg.vae import build\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.path", [p for p in __import__("sys").path if p not in ("", ".")])
    source = external.from_factory("inspect_test_pkg.vae:build", None, X, "cpu")
    assert source.encode(X).shape == (20, 3) and not source.has_decoder
    other = external.from_factory(f"{tmp_path / 'script_with_neighbour.py'}:build", None, X, "cpu")
    assert other.encode(X).shape == (20, 3)


def test_a_bound_method_brings_its_module() -> None:
    model = ConvVAE().train()
    source = external.from_callables(model.encode, model.decode, X, "cpu")
    assert not model.training and source.model.inner is model
    assert source.encode(X).shape == (20, 4)
