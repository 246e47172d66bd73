"""Cold-start cost of each function: a fresh interpreter imports its main.py (what Cloud
Functions does on a new instance before the first request). Median of a few runs, and RSS."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_PROBE = """
import importlib.util, json, resource, sys, time
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("main", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(function: str, runs: int = 5) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE, str(REPO / "functions" / function / "main.py")],
            capture_output=True, text=True, check=True, env=env, cwd=REPO,
        )  # fmt: skip
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "import_ms_p50": statistics.median(s["seconds"] for s in samples) * 1000,
        "rss_mb": statistics.median(s["rss_mb"] for s in samples),
    }


def run() -> None:
    print("\n== Import time per function (fresh interpreter, median of 5) ==")
    print(f"{'function':<18}{'import p50 (ms)':>16}{'max RSS (MB)':>14}")
    for main in sorted((REPO / "functions").glob("*/main.py")):
        result = measure(main.parent.name)
        print(f"{main.parent.name:<18}{result['import_ms_p50']:>16.0f}{result['rss_mb']:>14.0f}")
