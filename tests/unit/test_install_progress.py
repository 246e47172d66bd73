"""The install steps' progress lines (emulator/progress.py): a sign of life while a step works,
its time when done, and on failure the tool's own last lines and its exit status."""

from __future__ import annotations

import sys

from emulator import progress


def test_a_long_step_shows_its_latest_line_while_it_works_and_its_time_when_done(capsys, monkeypatch):
    monkeypatch.setattr(progress, "HEARTBEAT_S", 0.2)
    script = "import time; print('Collecting grpcio', flush=True); time.sleep(1.5)"

    assert progress.run("packages", [sys.executable, "-c", script]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "    packages ..."
    assert any(line.startswith("    packages: ") and line.endswith(" s (Collecting grpcio)") for line in out)
    assert out[-1].startswith("    packages: done in ")


def test_a_failed_step_shows_the_tools_output_and_passes_on_its_status(capsys):
    script = "import sys; print('ERROR: No matching distribution found for nope'); sys.exit(3)"

    assert progress.run("packages", [sys.executable, "-c", script]) == 3

    err = capsys.readouterr().err
    assert "ERROR: No matching distribution found for nope" in err
    assert "packages: FAILED after" in err
