"""Runs one install step quietly, with a sign of life every 10 s and its time at the end.

    python3 -m emulator.progress "app packages (pip)" -- .venv/bin/python -m pip install ...

The Makefile's install steps take from seconds to minutes on a busy machine; a silent minute
looks like a hang, and pip's or npm's full output buries what matters. So each step prints one
line when it starts, a line every 10 s with the elapsed time and the tool's latest line (what it
is collecting or building), and its duration when done; on failure, the tail of the tool's
output. Standard library only: it runs before any virtualenv exists.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import deque

HEARTBEAT_S = 10.0


def run(label: str, command: list[str]) -> int:
    began = time.monotonic()
    print(f"    {label} ...", flush=True)
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True
    )
    tail: deque[str] = deque(maxlen=40)
    latest = [""]

    def read() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip()
            # pip's index warnings about absent local mirrors say nothing about progress.
            if line and not line.startswith("WARNING: Location"):
                tail.append(line)
                latest[0] = line
        process.stdout.close()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while process.poll() is None:
        reader.join(timeout=HEARTBEAT_S)
        if process.poll() is None:
            now = latest[0][:90]
            print(f"    {label}: {time.monotonic() - began:.0f} s{f' ({now})' if now else ''}", flush=True)
    reader.join()
    took = time.monotonic() - began
    if process.returncode != 0:
        print("\n".join(tail), file=sys.stderr)
        print(f"    {label}: FAILED after {took:.0f} s (exit {process.returncode})", file=sys.stderr)
        return process.returncode
    print(f"    {label}: done in {took:.0f} s", flush=True)
    return 0


def main() -> None:
    args = sys.argv[1:]
    if len(args) < 3 or args[1] != "--":
        sys.exit('usage: python3 -m emulator.progress "label" -- command [args...]')
    sys.exit(run(args[0], args[2:]))


if __name__ == "__main__":
    main()
