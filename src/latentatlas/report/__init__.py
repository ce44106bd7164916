"""Self-contained HTML reports (jinja2 templates + builder) shared by every study."""

from latentatlas.report.builder import Report, Section, markdown_to_html, package_version
from latentatlas.report.format import format_value, mean_std

__all__ = [
    "Report",
    "Section",
    "format_value",
    "markdown_to_html",
    "mean_std",
    "package_version",
]
