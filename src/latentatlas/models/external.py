"""Models from anywhere: a user's factory and weights, a TorchScript file, Python callables or
stored codes, each behind one small adapter that gives ``encode`` / ``decode`` as NumPy.

A :class:`ModelSource` is what ``latentatlas inspect`` analyses. Its ``model`` (an
:class:`ExternalModel`, a ``torch.nn.Module``) has the contract the analyses call on a
latentatlas model (``encode``, ``decode``, ``forward``, ``latent_dim``, ``input_shape``), so
:func:`~latentatlas.models.encode_array`, :func:`~latentatlas.analysis.random_decodes` and
:func:`~latentatlas.analysis.traverse` run on it unchanged. Everything a user gives is checked
here, and every failure is one :class:`~latentatlas.errors.InputError` sentence.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import math
import pickle
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from latentatlas.errors import InputError

#: Rows encoded at once.
BATCH_SIZE = 256
#: Keys of a checkpoint under which a training script often nests the state dict.
NESTED_STATE_KEYS = ("state_dict", "model", "model_state_dict")
#: Prefixes of every key of a state dict that wraps the module: ``DataParallel``'s, and the
#: ``inner.`` of a latentatlas run of a user's model in a study's slot.
WRAPPER_PREFIXES = ("module.", "inner.")
#: Keys of a dict an encoder may return, the first present is the code (a VAE's mean).
MEAN_KEYS = ("mu", "mean", "z_mean", "loc", "z")
WEIGHT_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin", ".ckpt")
CODE_SUFFIXES = (".npz", ".npy", ".parquet")


# -- the module the analyses call -----------------------------------------------------------------
class ExternalModel(nn.Module):
    """A user's encoder and decoder as a latentatlas model: tensors in, tensors out.

    Parameters
    ----------
    module : nn.Module or None
        The user's module (kept as a submodule so ``.to(device)`` and the parameters' device
        work); None for plain Python callables.
    encode, decode : callable
        ``encode(x) -> codes`` and ``decode(z) -> images`` on tensors (or NumPy arrays, see
        :class:`_Callable`); ``decode`` may be None (codes without a decoder).
    input_shape : tuple of int
        Shape of one input.
    latent_dim : int
        Size of one code (after flattening); 0 until the first batch is encoded.
    name : str
        Where the model came from, for error messages.

    Attributes
    ----------
    variational : bool
        False: only the posterior mean of a VAE comes through ``encode`` (its variance is not
        kept), so the learned-model gate judges the codes as a deterministic autoencoder's.
    """

    variational = False

    def __init__(
        self,
        module: nn.Module | None,
        encode: Callable[[Any], Any],
        decode: Callable[[Any], Any] | None,
        input_shape: tuple[int, ...],
        latent_dim: int,
        name: str,
    ):
        super().__init__()
        self.inner = module
        self._encode = _Callable(encode, module is not None)
        self._decode = None if decode is None else _Callable(decode, module is not None)
        self.input_shape = tuple(int(s) for s in input_shape)
        self.latent_dim = int(latent_dim)
        self.name = name
        self.denoising = False

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Codes (n, latent_dim); a VAE gives its mean."""
        with torch.inference_mode():
            output = _call(self._encode, x, f"the encoder of {self.name}")
        return codes_of(output, len(x), self.latent_dim or None, self.name)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Decoded inputs (n, *input_shape)."""
        if self._decode is None:
            raise InputError(f"{self.name} has no decoder")
        with torch.inference_mode():
            output = _call(self._decode, z, f"the decoder of {self.name}")
        return images_of(output, len(z), self.input_shape, self.name)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstructions ``decode(encode(x))``."""
        return self.decode(self.encode(x))

    @property
    def has_decoder(self) -> bool:
        """Whether codes can be decoded."""
        return self._decode is not None


class _Callable:
    """A user's function on tensors or on NumPy arrays; which one is learnt on the first call.

    A module or a module's method gets a tensor first; any other function an array first
    (a NumPy function often accepts a tensor through ``__array__`` and returns a mix, while a
    torch function refuses an array). The other is tried when the first raises.
    """

    def __init__(self, fn: Callable[[Any], Any], of_module: bool = False):
        self.fn, self.numpy = fn, None
        owner = getattr(fn, "__self__", None)
        self.numpy_first = not (
            of_module or isinstance(fn, nn.Module) or isinstance(owner, nn.Module)
        )

    def __call__(self, tensor: torch.Tensor) -> Any:
        if self.numpy is None:
            first, second = (True, False) if self.numpy_first else (False, True)
            try:
                output, self.numpy = self._apply(tensor, first), first
            except Exception:  # the other kind of function: try it with the other input
                output, self.numpy = self._apply(tensor, second), second
        elif self.numpy:
            output = self.fn(tensor.detach().cpu().numpy())
        else:
            output = self.fn(tensor)
        if isinstance(output, np.ndarray):
            return torch.from_numpy(np.ascontiguousarray(output)).to(tensor.device)
        return output

    def _apply(self, tensor: torch.Tensor, as_numpy: bool) -> Any:
        return self.fn(tensor.detach().cpu().numpy() if as_numpy else tensor)


def _call(fn: Callable[[Any], Any], value: torch.Tensor, what: str) -> Any:
    try:
        return fn(value)
    except InputError:
        raise
    except Exception as error:
        raise InputError(f"{what} raised {type(error).__name__}: {_short(error)}") from None


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else "no message"


def codes_of(output: Any, n: int, latent_dim: int | None, name: str) -> torch.Tensor:
    """The code tensor (n, d) in an encoder's output: a tensor, ``(mu, logvar)`` or any tuple
    (its first item), a dict with ``mu``/``mean``, or a distribution (its mean)."""
    value = _mean_of(output, name)
    if not isinstance(value, torch.Tensor):
        raise InputError(
            f"the encoder of {name} returned {type(value).__name__}; expected a tensor, a "
            "(mu, logvar) tuple, a dict with 'mu' or 'mean', or a torch distribution"
        )
    if value.ndim == 0 or value.shape[0] != n:
        raise InputError(
            f"the encoder of {name} returned shape {tuple(value.shape)} for {n} inputs; "
            f"expected one code per input, ({n}, latent_dim)"
        )
    codes = value.reshape(n, -1).float()
    if latent_dim is not None and codes.shape[1] != latent_dim:
        raise InputError(
            f"the encoder of {name} returned codes of size {codes.shape[1]}, "
            f"not {latent_dim} as on the first batch"
        )
    return codes


def _mean_of(output: Any, name: str) -> Any:
    if isinstance(output, torch.distributions.Distribution):
        return output.mean
    if isinstance(output, Mapping):
        for key in MEAN_KEYS:
            if key in output:
                return _mean_of(output[key], name)
        raise InputError(
            f"the encoder of {name} returned a dict with keys {sorted(map(str, output))}; "
            f"expected one of {', '.join(MEAN_KEYS)}"
        )
    if isinstance(output, tuple | list):
        if not output:
            raise InputError(f"the encoder of {name} returned an empty {type(output).__name__}")
        return _mean_of(output[0], name)
    return output


def images_of(output: Any, n: int, input_shape: tuple[int, ...], name: str) -> torch.Tensor:
    """A decoder's output as (n, *input_shape); a tuple gives its first item, a distribution
    its mean."""
    value = _mean_of(output, name) if not isinstance(output, torch.Tensor) else output
    if not isinstance(value, torch.Tensor):
        raise InputError(f"the decoder of {name} returned {type(value).__name__}, not a tensor")
    if value.ndim == 0 or value.shape[0] != n or value[0].numel() != math.prod(input_shape):
        raise InputError(
            f"the decoder of {name} returned shape {tuple(value.shape)} for {n} codes; expected "
            f"({n}, {', '.join(map(str, input_shape))}) like the data"
        )
    return value.reshape(n, *input_shape).float()


# -- what inspect analyses ------------------------------------------------------------------------
@dataclass(eq=False)
class ModelSource:
    """One seed of the model ``inspect`` maps: a model to run, or codes without a model.

    Attributes
    ----------
    kind : {"factory", "torchscript", "run", "python", "codes"}
    location : str
        The import path (``pkg.mod:build`` or ``file.py:build``), the file, or ``"python"``.
    model : ExternalModel or None
        The model (None for codes only).
    codes, labels, factors : ndarray or None
        Stored codes and what came with them (codes only).
    factor_names : tuple of str
    files : dict of str to str
        SHA-256 of every file read (weights, TorchScript, codes), by path.
    """

    kind: str
    location: str
    model: ExternalModel | None = None
    codes: NDArray[np.float32] | None = None
    labels: NDArray[Any] | None = None
    factors: NDArray[np.float64] | None = None
    factor_names: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)

    @property
    def has_decoder(self) -> bool:
        """Whether the source can decode codes."""
        return self.model is not None and self.model.has_decoder

    def encode(self, x: Any, batch_size: int = BATCH_SIZE) -> NDArray[np.float32]:
        """Codes (n, latent_dim) of inputs ``x``, in batches, in eval mode, without gradients."""
        from latentatlas.models.arrays import encode_array

        if self.model is None:
            raise InputError(f"{self.location} holds codes only; it cannot encode images")
        return encode_array(self.model, x, batch_size=batch_size)

    def decode(self, z: Any, batch_size: int = BATCH_SIZE) -> NDArray[np.float32]:
        """Decoded inputs (n, *input_shape) of codes ``z``."""
        from latentatlas.models.arrays import decode_array

        if not self.has_decoder:
            raise InputError(f"{self.location} has no decoder")
        return decode_array(self.model, z, batch_size=batch_size)  # type: ignore[arg-type]


def sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def existing_file(path: str | Path, what: str, suffixes: tuple[str, ...] = ()) -> Path:
    """``path`` as a Path when it is a readable file (of one of ``suffixes``), else InputError."""
    file = Path(path)
    if not file.exists():
        raise InputError(f"{what} {file} does not exist")
    if not file.is_file():
        raise InputError(f"{what} {file} is a folder, not a file")
    if suffixes and file.suffix.lower() not in suffixes:
        raise InputError(f"{what} {file} must end in {', '.join(suffixes)}")
    return file


# -- factory + weights ----------------------------------------------------------------------------
def import_factory(spec: str, flag: str = "--model") -> Callable[[], Any]:
    """The callable named by ``pkg.mod:build`` or ``path/to/file.py:build``; ``flag`` is the
    option that named it, for the error messages (``--model``, ``--model-file ae=``)."""
    module_name, sep, attribute = spec.rpartition(":")
    what = _named(flag, spec)
    if not sep or not module_name or not attribute.isidentifier():
        raise InputError(
            f"{_named(flag, repr(spec))} must look like package.module:function or file.py:function"
        )
    try:
        if module_name.endswith(".py"):
            module = _import_file(Path(module_name), flag)
        else:
            _on_path(Path.cwd())  # as `python -m` does: a package in the working folder imports
            module = importlib.import_module(module_name)
    except InputError:
        raise
    except Exception as error:
        raise InputError(
            f"{what}: {module_name} does not import ({type(error).__name__}: {_short(error)})"
        ) from None
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise InputError(f"{what}: {module_name} has no function {attribute}")
    return factory  # type: ignore[no-any-return]


def _named(flag: str, spec: str) -> str:
    """``--model spec`` or, for a flag ending in ``=`` (``--model-file ae=``), ``--model-file
    ae=spec``: how a message names what the user typed."""
    return f"{flag}{spec}" if flag.endswith("=") else f"{flag} {spec}"


def _on_path(folder: Path) -> None:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def _import_file(path: Path, flag: str = "--model") -> Any:
    existing_file(path, f"{flag.rstrip('=')} file")
    _on_path(path.resolve().parent)  # as running the script would: its neighbours import
    name = f"_latentatlas_user_{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InputError(f"--model file {path} cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def build_factory(spec: str, flag: str = "--model") -> Any:
    """Call the factory ``spec`` with no arguments; the object must encode and decode."""
    factory = import_factory(spec, flag)
    what = _named(flag, spec)
    try:
        module = factory()
    except Exception as error:
        raise InputError(f"{what} raised {type(error).__name__}: {_short(error)}") from None
    encoder, _ = _methods(module)
    if encoder is None:
        raise InputError(
            f"{what} returned a {type(module).__name__} without encode/decode methods "
            "or encoder/decoder attributes"
        )
    return module


def _methods(module: Any) -> tuple[Callable[[Any], Any] | None, Callable[[Any], Any] | None]:
    """``(encode, decode)`` of a module: its methods, else its ``encoder``/``decoder``."""
    encode = getattr(module, "encode", None)
    decode = getattr(module, "decode", None)
    if not callable(encode):
        encode = getattr(module, "encoder", None)
    if not callable(decode):
        decode = getattr(module, "decoder", None)
    return (encode if callable(encode) else None, decode if callable(decode) else None)


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a ``.safetensors`` or ``.pt`` file; a ``.pt`` is read with
    ``torch.load(weights_only=True)`` (never unpickled), nested under ``state_dict`` or
    ``model`` or not."""
    file = existing_file(path, "weights file", WEIGHT_SUFFIXES)
    if file.suffix.lower() == ".safetensors":
        import safetensors.torch

        try:
            return dict(safetensors.torch.load_file(str(file)))
        except Exception as error:
            raise InputError(
                f"weights file {file} is not a readable safetensors file ({_short(error)})"
            ) from None
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise InputError(
            f"weights file {file} holds pickled Python objects, which are not loaded (they "
            "could run code); save model.state_dict() with torch.save or as .safetensors"
        ) from None
    except Exception as error:
        raise InputError(f"weights file {file} cannot be read ({_short(error)})") from None
    return _tensors_of(state, file)


def _tensors_of(state: Any, file: Path) -> dict[str, torch.Tensor]:
    if isinstance(state, Mapping):
        for key in NESTED_STATE_KEYS:
            if isinstance(state.get(key), Mapping):
                return _tensors_of(state[key], file)
        tensors = {str(k): v for k, v in state.items() if isinstance(v, torch.Tensor)}
        if tensors:
            return tensors
    raise InputError(
        f"weights file {file} holds no state dict (a mapping of names to tensors, possibly "
        f"under {' or '.join(NESTED_STATE_KEYS)})"
    )


def load_weights(module: Any, path: str | Path) -> None:
    """Load a state dict into ``module``; a missing, unexpected or ill-shaped key is named."""
    state = read_state_dict(path)
    if not isinstance(module, nn.Module):
        raise InputError(f"--weights {path} needs a torch.nn.Module, got {type(module).__name__}")
    expected = module.state_dict()
    for prefix in WRAPPER_PREFIXES:
        if set(state) != set(expected) and all(k.startswith(prefix) for k in state):
            state = {k[len(prefix) :]: v for k, v in state.items()}
    for key, tensor in expected.items():
        if key not in state:
            raise InputError(f"weights file {path} has no tensor {key!r}, which the model needs")
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise InputError(
                f"weights file {path}: {key!r} has shape {tuple(state[key].shape)} but the "
                f"model's is {tuple(tensor.shape)}"
            )
    unexpected = sorted(set(state) - set(expected))
    if unexpected:
        raise InputError(f"weights file {path} has tensor {unexpected[0]!r}, which the model lacks")
    module.load_state_dict(state)


def from_factory(
    spec: str, weights: str | Path | None, x: Any, device: str = "auto"
) -> ModelSource:
    """A factory's model with ``weights`` loaded, checked by encoding the first rows of ``x``."""
    module = build_factory(spec)
    files = {}
    if weights is not None:
        load_weights(module, weights)
        files[str(weights)] = sha256(weights)
    encode, decode = _methods(module)
    name = f"--model {spec}"
    return _checked("factory", spec, module, encode, decode, x, device, name, files)


# -- TorchScript ----------------------------------------------------------------------------------
def from_torchscript(path: str | Path, x: Any, device: str = "auto") -> ModelSource:
    """A TorchScript file exporting ``encode`` and ``decode`` (``@torch.jit.export``)."""
    module = load_torchscript(path)
    files = {str(path): sha256(path)}
    name = f"TorchScript file {path}"
    encode, decode = module.encode, module.decode
    return _checked("torchscript", str(path), module, encode, decode, x, device, name, files)


def load_torchscript(path: str | Path) -> Any:
    """The scripted module in ``path``, on the CPU, refused unless it exports ``encode`` and
    ``decode``."""
    file = existing_file(path, "TorchScript file")
    try:
        module = torch.jit.load(str(file), map_location="cpu")
    except Exception as error:
        raise InputError(
            f"TorchScript file {file} cannot be loaded ({_short(error)}); save it with "
            "torch.jit.save(torch.jit.script(model), path)"
        ) from None
    missing = [m for m in ("encode", "decode") if not hasattr(module, m)]
    if missing:
        raise InputError(
            f"TorchScript file {file} exports no {missing[0]} method; mark encode and decode "
            "with @torch.jit.export before scripting"
        )
    return module


# -- a latentatlas run ----------------------------------------------------------------------------
def from_run(path: str | Path, x: Any, device: str = "auto") -> ModelSource:
    """The model of a latentatlas run directory (its weights' SHA-256 recorded)."""
    from latentatlas import runs

    run = runs.load(path)
    weights = Path(path) / "model.safetensors"
    files = {str(weights): sha256(weights)}
    model, name = run.model, f"run {path}"
    return _checked("run", str(path), model, model.encode, model.decode, x, device, name, files)


# -- Python callables -----------------------------------------------------------------------------
def from_callables(
    encode: Callable[[Any], Any],
    decode: Callable[[Any], Any] | None,
    x: Any,
    device: str = "auto",
) -> ModelSource:
    """``encode`` / ``decode`` functions on tensors or NumPy arrays, or an ``nn.Module``."""
    owner = getattr(encode, "__self__", None)  # model.encode: the module is model
    if isinstance(encode, nn.Module) and decode is None:
        found_encode, decode = _methods(encode)
        module: nn.Module | None = encode
        encode = found_encode or encode
    else:
        module = encode if isinstance(encode, nn.Module) else None
        module = owner if module is None and isinstance(owner, nn.Module) else module
    if not callable(encode):
        raise InputError(f"encode must be callable, got {type(encode).__name__}")
    if decode is not None and not callable(decode):
        raise InputError(f"decode must be callable, got {type(decode).__name__}")
    return _checked("python", "python", module, encode, decode, x, device, "encode", {})


def _checked(
    kind: str,
    location: str,
    module: Any,
    encode: Callable[[Any], Any],
    decode: Callable[[Any], Any] | None,
    x: Any,
    device: str,
    name: str,
    files: dict[str, str],
) -> ModelSource:
    """Move the model to ``device`` in eval mode and encode (and decode) one batch of ``x``."""
    from latentatlas.train import resolve_device

    target = resolve_device(device) if isinstance(module, nn.Module) else torch.device("cpu")
    if isinstance(module, nn.Module):
        module.to(target).eval()
    shape = tuple(int(s) for s in np.shape(x)[1:])
    probe = torch.from_numpy(np.asarray(x[: min(len(x), 16)], dtype=np.float32)).to(target)
    wrapped = ExternalModel(
        module if isinstance(module, nn.Module) else None, encode, decode, shape, 0, name
    )
    wrapped.eval()
    with torch.no_grad():
        try:
            codes = wrapped.encode(probe)
        except InputError as error:
            raise InputError(f"{error} (the data's input shape is {shape})") from None
        wrapped.latent_dim = int(codes.shape[1])
        if decode is not None:
            wrapped.decode(codes)
    return ModelSource(kind, location, model=wrapped, files=files)


# -- codes without a model ------------------------------------------------------------------------
def from_codes(
    path: str | Path | None = None,
    *,
    codes: Any = None,
    labels: Any = None,
    factors: Any = None,
    factor_names: Any = None,
) -> ModelSource:
    """Stored codes (``.npz`` with ``codes``/``z`` and optional ``labels``, ``factors``,
    ``factor_names``; ``.npy``; ``.parquet``) or arrays, checked row by row."""
    files: dict[str, str] = {}
    location = "python"
    if path is not None:
        file = existing_file(path, "codes file", CODE_SUFFIXES)
        codes, labels, factors, factor_names = _read_codes(file)
        files[str(path)] = sha256(file)
        location = str(path)
    where = "codes" if path is None else f"codes file {path}"
    z = _finite_rows(codes, where)
    labels = _rows_match(labels, len(z), "labels", where)
    factors = _rows_match(factors, len(z), "factors", where)
    if factors is not None:
        factors = _finite_rows(factors.reshape(len(z), -1), f"the factors of {where}")
        factors = factors.astype(np.float64)
    names = _factor_names(factor_names, factors, where)
    return ModelSource(
        "codes", location, codes=z, labels=labels, factors=factors, factor_names=names, files=files
    )


def _read_codes(file: Path) -> tuple[Any, Any, Any, Any]:
    suffix = file.suffix.lower()
    try:
        if suffix == ".parquet":
            return _read_parquet(file)
        with np.load(file, allow_pickle=False) as archive:
            if suffix == ".npy":
                return archive, None, None, None
            arrays = {key: archive[key] for key in archive.files}
    except InputError:
        raise
    except Exception as error:
        raise InputError(f"codes file {file} cannot be read ({_short(error)})") from None
    key = next((k for k in ("codes", "z") if k in arrays), None)
    if key is None:
        raise InputError(f"codes file {file} has no 'codes' or 'z' array; it has {sorted(arrays)}")
    return arrays[key], arrays.get("labels"), arrays.get("factors"), arrays.get("factor_names")


def _read_parquet(file: Path) -> tuple[Any, Any, Any, Any]:
    """Columns ``label``/``labels`` are labels, ``factor_*`` factors, the other numbers codes."""
    import pandas as pd

    frame = pd.read_parquet(file)
    label_column = next((c for c in ("label", "labels") if c in frame.columns), None)
    factor_columns = [c for c in frame.columns if str(c).startswith("factor_")]
    code_columns = [
        c
        for c in frame.columns
        if c != label_column and c not in factor_columns and pd.api.types.is_numeric_dtype(frame[c])
    ]
    if not code_columns:
        raise InputError(f"codes file {file} has no numeric columns of codes")
    labels = None if label_column is None else frame[label_column].to_numpy()
    factors = frame[factor_columns].to_numpy(np.float64) if factor_columns else None
    names = [str(c)[len("factor_") :] for c in factor_columns]
    return frame[code_columns].to_numpy(np.float32), labels, factors, names or None


def _finite_rows(values: Any, where: str) -> NDArray[Any]:
    array = np.asarray(values)
    if array.dtype.kind not in "fiub" or array.ndim != 2 or len(array) < 2:
        raise InputError(
            f"{where} must be a 2-d numeric array (n, d) with n >= 2, got shape {array.shape} "
            f"and dtype {array.dtype}"
        )
    bad = ~np.isfinite(array).all(axis=1)
    if bad.any():
        raise InputError(f"{where} has a NaN or infinite value in row {int(np.argmax(bad))}")
    return array.astype(np.float32)


def _rows_match(values: Any, n: int, name: str, where: str) -> NDArray[Any] | None:
    if values is None:
        return None
    array = np.asarray(values)
    if array.ndim == 0 or len(array) != n:
        size = "a scalar" if array.ndim == 0 else f"{len(array)} entries"
        raise InputError(f"{name} of {where} has {size} but the codes have {n} rows")
    return array


def _factor_names(names: Any, factors: NDArray[Any] | None, where: str) -> tuple[str, ...]:
    if factors is None:
        return ()
    k = factors.shape[1]
    if names is None:
        return tuple(f"factor_{i}" for i in range(k))
    listed = tuple(str(n) for n in np.asarray(names).reshape(-1))
    if len(listed) != k:
        raise InputError(f"factor_names of {where} has {len(listed)} names for {k} factors")
    return listed
