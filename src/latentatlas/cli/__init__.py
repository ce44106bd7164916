"""Command-line interface: ``latentatlas datasets | models | train | runs | study | report``."""

from __future__ import annotations

from latentatlas.cli import datasets, study, training  # noqa: F401  (each registers its commands)
from latentatlas.cli._app import app

__all__ = ["app"]
