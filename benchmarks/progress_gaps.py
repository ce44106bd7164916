"""The longest silence of a study on the command line: the largest wall-clock gap between lines.

Runs ``latentatlas study NAME --quick`` (or ``atlas --quick``) in a subprocess with its output
piped (so the CLI prints plain lines, as in a log or CI), stamps every line as it arrives, and
prints the largest gap, the lines on either side of it, the start-up silence, and the ratio of
the largest gap to the heartbeat interval (:data:`latentatlas.progress.HEARTBEAT_SECONDS`),
the baseline measured in the same run: about 1 means no silence longer than the heartbeat.
Wall and CPU seconds of the child are printed beside it, with the load average.

Run (a few minutes on 2 busy cores)::

    nice -n 10 env PYTHONPATH=src python benchmarks/progress_gaps.py heatmaps
    nice -n 10 env PYTHONPATH=src python benchmarks/progress_gaps.py filaments --log gaps.txt
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def stamped_lines(command: list[str], log: Path | None) -> list[tuple[float, str]]:
    """Run ``command`` and return each output line with the seconds since the start."""
    started = time.monotonic()
    lines: list[tuple[float, str]] = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            lines.append((time.monotonic() - started, line.rstrip("\n")))
            if log is not None:
                with log.open("a") as handle:
                    handle.write(f"{lines[-1][0]:8.1f} {lines[-1][1]}\n")
    lines.append((time.monotonic() - started, f"(exit {child.returncode})"))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("study", help="a study name, or 'atlas' for every study")
    parser.add_argument("--log", type=Path, help="also write the stamped lines here")
    args = parser.parse_args()
    from latentatlas.progress import HEARTBEAT_SECONDS

    with tempfile.TemporaryDirectory() as folder:
        where = ["--out", str(Path(folder) / "out")]
        command = ["atlas"] if args.study == "atlas" else ["study", args.study]
        command.append("--quick")
        code = "import sys; from latentatlas.cli import app; sys.argv[0] = 'latentatlas'; app()"
        lines = stamped_lines([sys.executable, "-c", code, *command, *where], args.log)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    times = [0.0] + [stamp for stamp, _ in lines]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    worst = max(range(len(gaps)), key=gaps.__getitem__)
    before = lines[worst - 1][1] if worst > 0 else "(start)"
    print(
        f"{' '.join(command)}: {len(lines) - 1} lines in {times[-1]:.1f} s wall, "
        f"{usage.ru_utime + usage.ru_stime:.1f} s CPU, load {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores"
    )
    print(f"silence before the first line: {gaps[0]:.1f} s")
    print(f"largest gap: {gaps[worst]:.1f} s, between {before!r} and {lines[worst][1]!r}")
    ratio = gaps[worst] / HEARTBEAT_SECONDS
    print(f"largest gap / heartbeat ({HEARTBEAT_SECONDS:g} s): {ratio:.2f}")


if __name__ == "__main__":
    main()
