"""What every benchmark script shares: naming the CPU and writing its report (.json for machines, .md for people)."""

from __future__ import annotations

import json
import platform
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write_report(out: Path, report: dict, table: str) -> None:
    """``out`` (the .json path) gets the report, its .md sibling the table, which is also printed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    out.with_suffix(".md").write_text(table)
    print(table)
