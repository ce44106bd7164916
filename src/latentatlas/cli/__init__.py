"""Command-line interface: ``latentatlas datasets | models | train | runs | study | inspect |
report | atlas | sweep | check | explore``."""

from __future__ import annotations

# Each module registers its commands on import; the order of these lines is the order of --help.
# isort: off
from latentatlas.cli import datasets  # noqa: F401
from latentatlas.cli import training  # noqa: F401
from latentatlas.cli import study  # noqa: F401
from latentatlas.cli import inspect  # noqa: F401
from latentatlas.cli import sweep  # noqa: F401
from latentatlas.cli import check  # noqa: F401
from latentatlas.cli import explore  # noqa: F401
from latentatlas.cli._app import app

# isort: on

__all__ = ["app"]
