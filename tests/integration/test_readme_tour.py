"""The README's "Try it" commands work as written: both of its shell blocks run here, in bash,
against this session's stack, seeded as `make run` seeds it (the `make run` line itself is what
the session stack stands in for; the README's default ports become this session's)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import fields

from emulator import config
from shared.bootstrap import services

README = config.REPO_ROOT / "README.md"


def try_it_commands() -> str:
    section = README.read_text(encoding="utf-8").split("\n## Try it\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 2, "the Try it section has its two shell blocks"
    script = "\n".join(blocks)
    assert re.search(r"^make run\b", script, flags=re.M)
    script = re.sub(r"^make run\b.*$", "", script, flags=re.M)
    for field in fields(config.Ports):
        script = script.replace(
            f"127.0.0.1:{field.default}", f"127.0.0.1:{getattr(config.PORTS, field.name)}"
        )
    return script


def test_the_readme_tour_and_curl_lines_run_as_written():
    env = {**os.environ, "PYTHONPATH": str(config.REPO_ROOT)}
    subprocess.run(
        [".venv/bin/python", "-m", "emulator.seed"], cwd=config.REPO_ROOT, env=env, check=True, timeout=120
    )

    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", try_it_commands()],
        cwd=config.REPO_ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    order_id = re.search(r"-> order (\w+) Active: General Admission at \$25\.00", out)
    assert order_id, out  # the server's price, not the client's 1 cent
    assert re.search(r"-> subject '\[TICKET ARRIVAL\] The Emulators — Live tickets'", out)
    assert re.search(r"-> admitted \['\w+'\]", out)
    assert "-> 409 CONFLICT: Ticket already scanned." in out
    (ticket,) = services().store.orders.get(order_id.group(1)).tickets  # type: ignore[union-attr]
    assert [slot.scanned for slot in ticket.scan] == [True]
    # The curl lines: the promoter's own account through the token, and the public feed by id.
    assert '{"data": {"user": {"email": "owner@demo.sellout.local", "orgRole": "OWNER"' in out
    feed = json.loads(out.strip().splitlines()[-1])
    assert (feed["status"], feed["event"]["_id"]) == (200, "demoEvent01")
