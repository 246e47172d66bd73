"""Each start of a local service writes a fresh log and keeps the previous run's as `.1`, so
`.stack/logs` never grows across runs. A real (tiny) process is started the way the stack starts
its servers."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from emulator import stack


def _run_once(service: stack.Service, text: str) -> None:
    service.command = lambda: [sys.executable, "-c", f"print({text!r})"]
    stack._start(service)
    deadline = time.monotonic() + 30
    while stack._pid_file_process_alive(service) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_each_start_writes_a_fresh_log_and_keeps_only_the_previous_one(tmp_path, monkeypatch):
    monkeypatch.setattr(stack, "STATE_DIR", tmp_path)
    service = stack.Service("probe", 0, lambda: [], lambda: True)
    log: Path = tmp_path / "logs" / "probe.log"
    for run in ("first run", "second run", "third run"):
        _run_once(service, run)
    assert log.read_text() == "third run\n"
    assert (tmp_path / "logs" / "probe.log.1").read_text() == "second run\n"
    assert sorted(p.name for p in log.parent.iterdir()) == ["probe.log", "probe.log.1"]
