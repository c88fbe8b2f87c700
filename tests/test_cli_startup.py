"""The quick commands stay quick: a fresh `atelier` process running one never imports the heavy stack.

What is asserted is the modules a command loads, not its seconds (those vary with the machine and its load; they
are bench/cli_startup.py's). Each command runs in a fresh process, twice: the first run may fill a cache (a cold
ONNX cache exports the parser, which rightly needs torch); the second, checked, is the one users meet every day.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Runs `atelier ARGS...` as the console script does, then writes the top-level packages it imported to OUT.
PROBE = """
import json, sys
import atelier_cli
out, argv = sys.argv[1], sys.argv[2:]
try:
    code = atelier_cli.main(argv)
except SystemExit as done:  # --help exits through argparse
    code = done.code
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted({name.split(".")[0] for name in sys.modules})}, f)
"""
# Model and web stacks: seconds each to import, and no quick command needs one.
HEAVY = {"torch", "transformers", "sklearn", "scipy", "open_clip", "cv2", "mediapipe", "skimage", "diffusers",
         "gradio", "fastapi", "ray"}
# What a command that only reads its arguments and the registry has no use for either.
NUMERIC = {"numpy", "pandas", "PIL", "onnxruntime", "sqlalchemy"}
DB = "{db}"


def imported(argv: list[str], tmp_path: Path) -> set[str]:
    out = tmp_path / "modules.json"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", PROBE, str(out), *argv], cwd=ROOT, check=True, capture_output=True,
                       timeout=300)
    result = json.loads(out.read_text())
    assert result["code"] == 0, f"atelier {' '.join(argv)} exited with {result['code']}"
    return set(result["modules"])


@pytest.mark.parametrize(
    ("argv", "forbidden"),
    [
        pytest.param(["--help"], HEAVY | NUMERIC, id="help"),
        pytest.param(["restyle", "--help"], HEAVY | NUMERIC, id="restyle-help"),
        pytest.param(["models"], HEAVY | NUMERIC, id="models"),
        pytest.param(["keys", "create", "--name", "test", "--db", DB], HEAVY, id="keys-create"),
        pytest.param(["keys", "list", "--db", DB], HEAVY, id="keys-list"),
        # the parser needs only onnxruntime and the tokenizers package (torch only to export its graph, once)
        pytest.param(["parse", "a red dress under 50"], HEAVY, id="parse"),
    ],
)
def test_quick_commands_leave_the_heavy_stack_alone(argv, forbidden, tmp_path):
    argv = [str(tmp_path / "shop.db") if word == DB else word for word in argv]
    assert not imported(argv, tmp_path) & forbidden
