"""``latentatlas check DIR``: verify a run, study or atlas folder against its manifests.

Exit codes: 0 when nothing is damaged (folders written before manifests are listed as
unverified and do not fail), 1 when something is damaged, 2 when DIR is not such a folder.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from latentatlas.cli._app import app, console, user_errors


@app.command("check")
@user_errors
def check(
    folder: Path = typer.Argument(..., help="A run, study or atlas folder."),
) -> None:
    """Verify every file of a run, study or atlas folder; list what is damaged and what to do.

    Exit code 0 when nothing is damaged, 1 when something is, 2 when FOLDER is not a run, study
    or atlas folder.
    """
    from latentatlas.studies.integrity import check as check_folder

    kind, findings = check_folder(folder)
    if findings:
        table = Table(title=f"{kind} {folder}")
        for column in ("path", "what is wrong", "what to do"):
            table.add_column(column, overflow="fold")
        for finding in findings:
            table.add_row(_shown(finding.path, folder), finding.problem, finding.remedy)
        console.print(table)
    damaged = [finding for finding in findings if finding.damaged]
    if damaged:
        console.print(f"{kind} {folder}: {len(damaged)} damaged", soft_wrap=True, highlight=False)
        raise typer.Exit(1)
    state = "unverified (written before manifests)" if findings else "intact"
    console.print(f"{kind} {folder}: {state}", soft_wrap=True, highlight=False)


def _shown(path: Path, folder: Path) -> str:
    """``path`` relative to the folder checked (named in the table's title) where it lies in it."""
    try:
        return str(path.relative_to(folder)) if path != folder else "."
    except ValueError:
        return str(path)
