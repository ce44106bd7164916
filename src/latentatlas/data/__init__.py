"""Data sets: ``load(name, **options) -> Dataset``, ``names()`` and ``describe(name)``."""

from __future__ import annotations

from latentatlas.data.base import Dataset
from latentatlas.data.lazy import LazyArray
from latentatlas.data.registry import describe, load, names

__all__ = ["Dataset", "LazyArray", "describe", "load", "names"]
