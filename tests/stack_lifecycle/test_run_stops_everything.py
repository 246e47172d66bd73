"""`make run` stops every service it runs, however it is told to: Ctrl-C with its output through
a pipe (`make run 2>&1 | tee run.log`: tee dies first, and writing to the broken pipe must not
abort the stop), SIGTERM, or a closed terminal (SIGHUP). Each test runs the real `make run` (its
install step skipped) as a shell pipeline in its own process group, on free ports and a
throwaway stack directory, signals it as a terminal would, and checks that every process the
stack recorded is gone.

They start real emulators (about a minute each on a busy 2-core machine), so they live apart
from tests/integration and its shared session stack."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator import stack
from emulator.config import REPO_ROOT, Ports, local_environment

READY_TIMEOUT = 420  # cold start of every emulator on a shared 2-core machine, with margin


def _free_ports() -> dict[str, str]:
    sockets = [socket.socket() for _ in Ports.__dataclass_fields__]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return {
            f"SELLOUT_PORT_{name.upper()}": str(sock.getsockname()[1])
            for name, sock in zip(Ports.__dataclass_fields__, sockets, strict=True)
        }
    finally:
        for sock in sockets:
            sock.close()


def _running(pid: int) -> bool:
    """A live process (a zombie waiting to be reaped has stopped running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # it ended meanwhile
        return b""


@dataclass
class Run:
    stack_dir: Path
    log: Path
    pipeline: subprocess.Popen[bytes]
    env: dict[str, str]

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for_output(self, pattern: str, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.output()):
            assert self.pipeline.poll() is None, f"make run ended early:\n{self.output()[-3000:]}"
            assert time.monotonic() < deadline, f"no {pattern!r} after {timeout} s:\n{self.output()[-3000:]}"
            time.sleep(0.5)

    def recorded_pids(self) -> dict[str, int]:
        return {
            path.stem: int(json.loads(path.read_text())["pid"])
            for path in (self.stack_dir / "pids").glob("*.pid")
        }

    def stack_process(self) -> int:
        """The `python -m emulator.stack run` that make started."""
        (pid,) = [pid for pid in _group_members(self.pipeline.pid) if b"emulator.stack\0run" in _cmdline(pid)]
        return pid

    def signal_like_a_terminal(self, signum: int) -> None:
        """A terminal signals its whole foreground job: make, python and tee alike."""
        os.killpg(self.pipeline.pid, signum)


@pytest.fixture
def run_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a person's shell (this test session's own stack settings left out),
    on free ports and a throwaway stack directory."""
    env = {k: v for k, v in os.environ.items() if k not in local_environment()}
    return env | _free_ports() | {"SELLOUT_STACK_DIR": str(tmp_path / "stack")}


@pytest.fixture
def saas_left_running(run_env: dict[str, str]) -> None:
    """A service an earlier start left running (the SaaS stand-in), started and ready before
    `make run` is launched, so the run has to reuse it (a start racing the run's own could win
    or lose the stack's lock)."""
    subprocess.run(
        [str(stack.APP_PYTHON), "-c", "from emulator import stack; stack.start(['saas'], quiet=True)"],
        cwd=REPO_ROOT,
        env={**run_env, "PYTHONPATH": str(REPO_ROOT)},
        check=True,
        timeout=120,
    )


@pytest.fixture
def make_run(tmp_path: Path, run_env: dict[str, str]) -> Iterator[Run]:
    env = run_env
    log = tmp_path / "run.log"
    pipeline = subprocess.Popen(
        # `-o install`: the installation is the test session's, never redone from here.
        ["bash", "-c", f"make -o install run 2>&1 | tee {log}"],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    run = Run(tmp_path / "stack", log, pipeline, env)
    try:
        yield run
    finally:  # whatever the outcome, leave nothing of this throwaway stack running
        for pid in run.recorded_pids().values():
            for member in _group_members(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(member, signal.SIGKILL)
        if pipeline.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pipeline.pid, signal.SIGKILL)
            pipeline.wait()


def _assert_all_gone(run: Run, stack_process: int, recorded: dict[str, int]) -> None:
    run.pipeline.wait(timeout=180)
    # make may leave before its child has finished stopping (it does on SIGTERM): wait for it.
    deadline = time.monotonic() + 180
    while _running(stack_process) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _running(stack_process)
    survivors = {name: _group_members(pid) for name, pid in recorded.items() if _group_members(pid)}
    assert survivors == {}, f"still running after the stop:\n{run.output()[-3000:]}"
    assert not any(_running(pid) for pid in recorded.values())
    assert run.recorded_pids() == {}


def test_ctrl_c_through_a_pipe_stops_everything_even_services_it_reused(
    saas_left_running: None, make_run: Run
):
    # The service an earlier start left running is reused and said so.
    make_run.wait_for_output(r"Everything is ready")
    assert re.search(r"reusing saas: already running", make_run.output())
    recorded = make_run.recorded_pids()
    stack_process = make_run.stack_process()
    assert sorted(recorded) == sorted(s.name for s in stack.services())

    make_run.signal_like_a_terminal(signal.SIGINT)  # tee dies at once: the pipe is broken

    _assert_all_gone(make_run, stack_process, recorded)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_or_a_closed_terminal_while_starting_stops_what_was_started(make_run: Run, signum: int):
    make_run.wait_for_output(r"ready +firestore")  # every service is launched, not all ready
    recorded = make_run.recorded_pids()
    stack_process = make_run.stack_process()
    assert recorded

    make_run.signal_like_a_terminal(signum)

    _assert_all_gone(make_run, stack_process, recorded)
