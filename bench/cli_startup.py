"""How long each `atelier` command takes from a fresh process: the price of its imports and start-up, run to the end.

    python bench/cli_startup.py [--runs 5] [--out bench/results/cli_startup.json]

Each command runs ``--runs`` times as ``python -m atelier_cli`` from this checkout, against a
temporary SQLite store (``--db``) so nothing of the user's is touched, after one untimed warm-up run that fills the
OS file cache and the ONNX export cache. Reports the median and max wall seconds, the median CPU seconds (user +
system; less swayed than wall time by other work on a shared machine) and the exit status; a command that fails is
reported, not hidden. The quick commands (``--help``, ``keys``, ``parse``, ``models``) should start
within about a second; ``search`` loads the encoder and embeds the demo catalog, so it is slow by nature.
Writes the JSON and a markdown table beside it (same name, .md), and prints the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import cpu_model, write_report

REPO = Path(__file__).resolve().parents[1]
BUSY_LOAD = 0.5  # 1-min load average above which other work is likely to skew the timings
DB = "{db}"  # replaced by the temporary store's path
COMMANDS: list[tuple[str, ...]] = [
    ("--help",),
    ("keys", "create", "--name", "bench", "--db", DB),
    ("keys", "list", "--db", DB),
    ("parse", "a red dress under 50"),
    ("models",),
    ("restyle", "--help"),
    ("tryon", "--help"),
    ("search", "red floral dress", "-k", "3"),
]


def timed_run(argv: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and exit status of one fresh ``atelier`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # The working directory leads sys.path, so this checkout's code runs whatever the venv has installed.
    done = subprocess.run([sys.executable, "-m", "atelier_cli", *argv], cwd=REPO, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, done.returncode


def measure(command: tuple[str, ...], db: str, runs: int) -> dict:
    argv = [db if word == DB else word for word in command]
    timed_run(argv)  # warm-up: file cache, ONNX export cache, a first store
    seconds, cpu, codes = zip(*(timed_run(argv) for _ in range(runs)), strict=True)
    shown = ("TMP.db" if word == DB else f'"{word}"' if " " in word else word for word in command)
    row = {"command": "atelier " + " ".join(shown),
           "runs": runs, "median_s": round(statistics.median(seconds), 3), "max_s": round(max(seconds), 3),
           "median_cpu_s": round(statistics.median(cpu), 3), "exit_codes": sorted(set(codes))}
    print(f"{row['command']}: median {row['median_s']} s, max {row['max_s']} s, CPU {row['median_cpu_s']} s",
          file=sys.stderr)
    return row


def markdown(report: dict) -> str:
    machine = report["machine"]
    lines = [
        "# CLI start-up",
        "",
        f"{report['date']} · {machine['cpu']} · {machine['cpu_count']} cores · Python {machine['python']} · "
        f"load average at start {machine['loadavg_start']}, at end {machine['loadavg_end']}",
        "",
        f"Seconds of a fresh `python -m atelier_cli` process, run to the end, {report['runs']} runs after one "
        "warm-up, against a temporary SQLite store. CPU is user + system time, less swayed by other work.",
        "",
        "| command | median s | max s | median CPU s | exit |",
        "|---|---:|---:|---:|---|",
    ]
    if report["warning"]:
        lines[2:2] = [f"**Warning: {report['warning']}.**", ""]
    for row in report["results"]:
        exits = ", ".join(map(str, row["exit_codes"]))
        lines.append(f"| `{row['command']}` | {row['median_s']:.2f} | {row['max_s']:.2f} | {row['median_cpu_s']:.2f} "
                     f"| {exits} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("bench/results/cli_startup.json"))
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    loadavg_start = [round(x, 2) for x in os.getloadavg()]
    # The machine is shared: an import-bound start-up slows in proportion to whatever else holds the cores.
    busy = (f"machine busy at start (1-min load average {loadavg_start[0]}): numbers are not representative"
            if loadavg_start[0] >= BUSY_LOAD else None)
    if busy:
        print(f"warning: {busy}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="atelier-bench-") as tmp:
        db = str(Path(tmp) / "shop.db")
        results = [measure(command, db, args.runs) for command in COMMANDS]

    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpu": cpu_model(), "cpu_count": os.cpu_count(),
                    "python": platform.python_version(), "loadavg_start": loadavg_start,
                    "loadavg_end": [round(x, 2) for x in os.getloadavg()]},
        "warning": busy, "runs": args.runs, "results": results,
    }
    write_report(args.out, report, markdown(report))


if __name__ == "__main__":
    main()
