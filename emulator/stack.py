"""Starts, checks, resets and stops the whole local stack.

    python -m emulator.stack run      # start everything, seed demo data, print URLs, Ctrl-C stops
    python -m emulator.stack start    # start what is not running yet and wait until it is ready
    python -m emulator.stack stop     # stop what this checkout started (by recorded PID)
    python -m emulator.stack status
    python -m emulator.stack reset    # wipe every emulator's data through its reset endpoint

Every server binds 127.0.0.1. Each process runs in its own session (process group) so that
stopping it also stops its children (the Firebase CLI's, for instance); only processes whose PID
this checkout recorded are ever signalled, and only while they still run the recorded command.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from emulator import config
from emulator.config import HOST, PORTS, PROJECT_ID, REPO_ROOT, STATE_DIR

APP_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
EMULATOR_PYTHON = REPO_ROOT / ".venv-emulators" / "bin" / "python"
FIREBASE_CLI = REPO_ROOT / "emulator" / "node_modules" / ".bin" / "firebase"
FIRESTORE_MAIN_CLASS = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"
STRIPE_WEBHOOK_ID = "sellout-stripe-webhook"


class StackError(RuntimeError):
    """A service cannot start; the message says what to do."""


class StopRequested(Exception):  # noqa: N818 - not an error: the person asked to stop
    """Ctrl-C, SIGTERM or SIGHUP arrived while the stack was starting."""


def _never() -> bool:
    return False


# --- output that never stops a stop ------------------------------------------------------------


def say(text: str = "", *, error: bool = False) -> None:
    """Print a line for the person at the terminal. The terminal may be gone: `make run | tee
    run.log` loses tee first at Ctrl-C, a closed window takes the tty. A failed write must never
    abort stopping the services, so from then on output goes nowhere."""
    stream = sys.stderr if error else sys.stdout
    try:
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError):  # BrokenPipeError, EIO, or a stream already closed
        _silence_output()


def _silence_output() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        # The file descriptors too: whatever is still buffered (here, or in a child process)
        # is flushed into /dev/null at exit instead of raising BrokenPipeError again.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(devnull, stream.fileno())
    os.close(devnull)


class StopSignals:
    """While a `run`, `start` or `stop` is under way, Ctrl-C (SIGINT), SIGTERM and a closed
    terminal (SIGHUP) only ask to stop: nothing is raised in the middle of a step, so a start is
    wound back cleanly and a stop (even after a second Ctrl-C) always finishes."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.received: int | None = None

    def __call__(self, signum: int, frame: object) -> None:
        # No output here: the handler can interrupt a write, and a reentrant write raises.
        self.received = signum

    def requested(self) -> bool:
        return self.received is not None

    def install(self) -> None:
        for signum in self.SIGNALS:
            signal.signal(signum, self)


@dataclass
class Service:
    name: str
    port: int
    command: Callable[[], list[str]]
    ready: Callable[[], bool]
    after_start: Callable[[], None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    ready_timeout: float = 60.0

    @property
    def pid_file(self) -> Path:
        return STATE_DIR / "pids" / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return STATE_DIR / "logs" / f"{self.name}.log"


# --- readiness probes --------------------------------------------------------------------------


def _http_ok(url: str, **kwargs: object) -> bool:
    try:
        return requests.get(url, timeout=2, **kwargs).status_code < 500  # type: ignore[arg-type]
    except requests.RequestException:
        return False


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((HOST, port)) == 0


def _free_port() -> int:
    """A port nothing listens on now (the kernel's pick), for servers nobody else addresses."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# --- commands ----------------------------------------------------------------------------------


def firestore_jar() -> Path:
    """The official Cloud Firestore emulator jar, shipped with the Google Cloud CLI."""
    candidates: list[Path] = []
    if explicit := os.environ.get("FIRESTORE_EMULATOR_JAR"):
        candidates.append(Path(explicit))
    roots = ["/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk", "/opt/google-cloud-sdk"]
    if shutil.which("gcloud"):
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            out = subprocess.run(
                ["gcloud", "info", "--format=value(installation.sdk_root)"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            ).stdout.strip()
            if out:
                roots.insert(0, out)
    candidates += [Path(r) / "platform/cloud-firestore-emulator/cloud-firestore-emulator.jar" for r in roots]
    for jar in candidates:
        if jar.is_file():
            return jar
    raise StackError(
        "The official Cloud Firestore emulator was not found (looked for "
        "platform/cloud-firestore-emulator/cloud-firestore-emulator.jar under the Google Cloud CLI).\n"
        "Install it with `gcloud components install cloud-firestore-emulator` (or, for an apt-installed "
        "CLI, `apt-get install google-cloud-cli-firestore-emulator`), or point FIRESTORE_EMULATOR_JAR "
        "at the jar. It cannot be installed from PyPI or npm."
    )


def _firestore_command() -> list[str]:
    if not shutil.which("java"):
        raise StackError(
            "Java 17+ is needed for the Firestore emulator: apt-get install openjdk-17-jre-headless"
        )
    return [
        "java",
        "-Duser.language=en",
        "-Xmx1g",
        "-cp",
        str(firestore_jar()),
        FIRESTORE_MAIN_CLASS,
        "start",
        f"--host={HOST}",
        f"--port={PORTS.firestore}",
        f"--project_id={PROJECT_ID}",
    ]


def _auth_command() -> list[str]:
    if not FIREBASE_CLI.exists():
        raise StackError("firebase-tools is not installed: run `make install`.")
    firebase_json = STATE_DIR / "firebase.json"
    firebase_json.write_text(
        json.dumps(
            {
                # The hub and logging servers firebase-tools always starts get free ports of
                # their own: their defaults (4400, 4500) would make two stacks on one machine
                # (two developers, or a test session beside `make run`) collide, and fixed
                # neighbours of the Auth port collide with a port block numbered in a row.
                "emulators": {
                    "auth": {"host": HOST, "port": PORTS.auth},
                    "hub": {"host": HOST, "port": _free_port()},
                    "logging": {"host": HOST, "port": _free_port()},
                    "ui": {"enabled": False},
                },
            }
        )
    )
    return [
        str(FIREBASE_CLI),
        "emulators:start",
        "--only",
        "auth",
        "--project",
        PROJECT_ID,
        "--config",
        str(firebase_json),
    ]


def _queue_names() -> list[str]:
    return [f"projects/{PROJECT_ID}/locations/{config.TASKS_LOCATION}/queues/{q}" for q in config.TASK_QUEUES]


def _tasks_command() -> list[str]:
    command = [
        str(EMULATOR_PYTHON),
        str(REPO_ROOT / "emulator" / "launch_tasks.py"),
        "--port",
        str(PORTS.tasks),
    ]
    for queue in _queue_names():
        command += ["--queue", queue]
    return command


def _storage_command() -> list[str]:
    return [
        str(EMULATOR_PYTHON),
        "-m",
        "gcp_storage_emulator",
        "start",
        f"--host={HOST}",
        f"--port={PORTS.storage}",
        "--in-memory",
        f"--default-bucket={config.TICKETS_BUCKET}",
    ]


def _create_buckets() -> None:
    for bucket in (config.TICKETS_BUCKET, config.UPLOADS_BUCKET, config.REPORTS_BUCKET):
        response = requests.post(
            f"{config.STORAGE_URL}/storage/v1/b",
            params={"project": PROJECT_ID},
            json={"name": bucket},
            timeout=5,
        )
        if response.status_code not in (200, 409):
            raise StackError(
                f"could not create bucket {bucket}: {response.status_code} {response.text[:200]}"
            )


def _register_stripe_webhook() -> None:
    """Like Stripe's dashboard: an account endpoint (platform events) and a Connect endpoint
    (connected accounts' events), each with its own secret, both at the same function URL."""
    env = config.local_environment()
    url = f"{config.FUNCTIONS_URL}/stripe-webhook/"
    for endpoint_id, secret_name, connect in (
        (STRIPE_WEBHOOK_ID, "STRIPE_WEBHOOK_SECRET", "false"),
        (f"{STRIPE_WEBHOOK_ID}-connect", "STRIPE_CONNECT_WEBHOOK_SECRET", "true"),
    ):
        response = requests.post(
            f"{config.STRIPE_URL}/_config/webhooks/{endpoint_id}",
            data={"url": url, "secret": env[secret_name], "connect": connect},
            timeout=5,
        )
        response.raise_for_status()


def _moto_command() -> list[str]:
    moto_server = REPO_ROOT / ".venv" / "bin" / "moto_server"
    if not moto_server.exists():
        raise StackError("moto[server] is not installed in .venv: run `make install`.")
    return [str(moto_server), "-H", HOST, "-p", str(PORTS.ses)]


def _verify_ses_sender() -> None:
    """SES refuses mail from an unverified sender, like the real one: verify ours (after every
    start and reset, since moto keeps its state in memory)."""
    import boto3

    client = boto3.client(
        "sesv2",
        region_name=config.SES_REGION,
        endpoint_url=config.SES_URL,
        aws_access_key_id=config.AWS_ACCESS_KEY_ID,
        aws_secret_access_key=config.AWS_SECRET_ACCESS_KEY,
    )
    client.create_email_identity(EmailIdentity=config.local_environment()["EMAIL_FROM"])


def services() -> list[Service]:
    local_env = config.local_environment()
    app_env = {**local_env, "PYTHONPATH": str(REPO_ROOT)}
    return [
        Service(
            "firestore",
            PORTS.firestore,
            _firestore_command,
            lambda: _http_ok(f"http://{config.FIRESTORE_HOST}/"),
        ),
        Service(
            "auth",
            PORTS.auth,
            _auth_command,
            lambda: _http_ok(f"http://{config.AUTH_HOST}/emulator/v1/projects/{PROJECT_ID}/config"),
            ready_timeout=120,
        ),
        Service("tasks", PORTS.tasks, _tasks_command, lambda: _port_open(PORTS.tasks)),
        Service(
            "storage",
            PORTS.storage,
            _storage_command,
            lambda: _http_ok(f"{config.STORAGE_URL}/storage/v1/b"),
            after_start=_create_buckets,
        ),
        Service(
            "stripe",
            PORTS.stripe,
            lambda: [
                str(EMULATOR_PYTHON),
                str(REPO_ROOT / "emulator" / "launch_stripe.py"),
                "--port",
                str(PORTS.stripe),
            ],
            lambda: _http_ok(f"{config.STRIPE_URL}/v1/customers", auth=(config.STRIPE_SECRET_KEY, "")),
            after_start=_register_stripe_webhook,
        ),
        Service(
            "ses",
            PORTS.ses,
            _moto_command,
            lambda: _http_ok(f"{config.SES_URL}/moto-api/"),
            after_start=_verify_ses_sender,
        ),
        Service(
            "saas",
            PORTS.saas,
            lambda: [str(APP_PYTHON), "-m", "emulator.saas_standin", "--port", str(PORTS.saas)],
            lambda: _http_ok(f"{config.SAAS_URL}/health"),
            env=app_env,
        ),
        Service(
            "functions",
            PORTS.functions,
            lambda: [
                str(APP_PYTHON),
                "-m",
                "gunicorn",
                "--bind",
                f"{HOST}:{PORTS.functions}",
                "--workers",
                "2",
                "--threads",
                "8",
                "--timeout",
                "120",
                "--access-logfile",
                "-",
                "emulator.functions_router:app",
            ],
            lambda: _http_ok(f"{config.FUNCTIONS_URL}/graphql/"),
            env=app_env,
            ready_timeout=60,
        ),
    ]


# --- process bookkeeping -----------------------------------------------------------------------


def _recorded_pid(service: Service) -> int | None:
    """The PID this checkout recorded, if that process still runs the command it started."""
    try:
        record = json.loads(service.pid_file.read_text())
        pid, marker = int(record["pid"]), str(record["marker"])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, ValueError, KeyError):
        return None
    return pid if marker in cmdline else None


def _rotate(log_file: Path) -> None:
    """Each start of a service writes a fresh log; the previous one is kept as `<name>.log.1`
    (and the one before is dropped), so logs never grow across runs."""
    if log_file.exists():
        log_file.replace(log_file.with_name(log_file.name + ".1"))


def _start(service: Service) -> None:
    command = service.command()
    service.log_file.parent.mkdir(parents=True, exist_ok=True)
    service.pid_file.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **service.env}
    _rotate(service.log_file)
    with service.log_file.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO_ROOT,
            env=env,
            start_new_session=True,
        )
    # The arguments after the program name identify the process even if its PID is reused later.
    service.pid_file.write_text(json.dumps({"pid": process.pid, "marker": " ".join(command[1:])}))


def _pid_file_process_alive(service: Service) -> bool:
    """Whether the process we just started still runs. (Its command line can still be the
    parent's for a moment after the fork, so the marker check of _recorded_pid would be wrong.)"""
    try:
        pid = int(json.loads(service.pid_file.read_text())["pid"])
        reaped, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child (started by another process): ask the kernel
        return Path(f"/proc/{pid}").exists()
    except (OSError, ValueError, KeyError):
        return False
    return reaped == 0


def _wait_ready(service: Service, should_stop: Callable[[], bool] = _never) -> None:
    deadline = time.monotonic() + service.ready_timeout
    while time.monotonic() < deadline:
        if should_stop():
            raise StopRequested
        if service.ready():
            if service.after_start:
                service.after_start()
            return
        if not _pid_file_process_alive(service):
            break
        time.sleep(0.3)
    tail = service.log_file.read_text(errors="replace")[-2000:] if service.log_file.exists() else ""
    raise StackError(f"{service.name} did not become ready on port {service.port}. Log tail:\n{tail}")


def code_fingerprint() -> str:
    """Identifies the code the functions process serves, so a reused stack never runs stale code."""
    digest = hashlib.sha256()
    for folder in ("shared", "functions", "graphql_schema"):
        for path in sorted((REPO_ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                stat = path.stat()
                digest.update(f"{path.relative_to(REPO_ROOT)}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.hexdigest()


def _restart_if_stale(service: Service, quiet: bool) -> None:
    fingerprint_file = STATE_DIR / "functions.fingerprint"
    current = code_fingerprint()
    if fingerprint_file.exists() and fingerprint_file.read_text() == current:
        return
    if not quiet:
        say("  code changed: restarting functions")
    _stop_all([service.name], quiet=True)


@contextlib.contextmanager
def _exclusive() -> Iterator[None]:
    """One start or stop at a time per checkout: test sessions, `make run` and developers share
    the PID files, and two starters racing would each think the other's server is a stranger."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with (STATE_DIR / "stack.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def start(
    names: list[str] | None = None, quiet: bool = False, should_stop: Callable[[], bool] = _never
) -> list[str]:
    """Start every service that is not already running; returns the names it started. When
    `should_stop` turns true before all are ready, what was started is stopped again and
    StopRequested raised."""
    with _exclusive():
        return _start_all(names, quiet, should_stop)


def running_services(names: list[str] | None = None) -> list[str]:
    """The services this checkout recorded that still run."""
    return [s.name for s in services() if (names is None or s.name in names) and _recorded_pid(s)]


def _start_all(names: list[str] | None, quiet: bool, should_stop: Callable[[], bool] = _never) -> list[str]:
    chosen = [s for s in services() if names is None or s.name in names]
    started: list[str] = []
    try:
        for service in chosen:
            if should_stop():
                raise StopRequested
            already_running = _recorded_pid(service) is not None
            if service.name == "functions" and already_running:
                _restart_if_stale(service, quiet)
            if _recorded_pid(service) is not None:
                continue
            if _port_open(service.port):
                raise StackError(
                    f"port {service.port} ({service.name}) is taken by a program this checkout did not "
                    f"start; stop it or set SELLOUT_PORT_{service.name.upper()}."
                )
            if not quiet:
                say(f"  starting {service.name} on {HOST}:{service.port}")
            if service.name == "functions":
                (STATE_DIR / "functions.fingerprint").write_text(code_fingerprint())
            if not already_running:  # a stale server restarted for its owner stays its owner's
                started.append(service.name)  # before the start: an interrupt cannot orphan it
            _start(service)
        for service in chosen:
            _wait_ready(service, should_stop)
            if not quiet and service.name in started:
                say(f"  ready    {service.name}")
    except BaseException:
        _stop_all(started, quiet=True)
        raise
    return started


def stop(names: list[str] | None = None, quiet: bool = False) -> None:
    with _exclusive():
        _stop_all(names, quiet)


def _stop_all(names: list[str] | None, quiet: bool) -> None:
    for service in reversed(services()):
        if names is not None and service.name not in names:
            continue
        pid = _recorded_pid(service)
        service.pid_file.unlink(missing_ok=True)
        if pid is None:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _process_group_alive(pid):
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        if not quiet:
            say(f"  stopped  {service.name}")


def _process_group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie leader still counts as a member; reap it if it is our child.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pgid, os.WNOHANG)
    return True


def status() -> dict[str, bool]:
    return {s.name: _recorded_pid(s) is not None and s.ready() for s in services()}


# --- data reset --------------------------------------------------------------------------------


def reset_data() -> None:
    """Wipe every emulator's data through its own reset endpoint (between tests). The queues go
    first: a task still queued by the previous test must not run against the fresh data (or
    into the fresh inbox) of the next one."""
    purge_task_queues()
    base = f"http://{config.FIRESTORE_HOST}/emulator/v1/projects/{PROJECT_ID}/databases/(default)/documents"
    requests.delete(base, timeout=10).raise_for_status()
    requests.delete(
        f"http://{config.AUTH_HOST}/emulator/v1/projects/{PROJECT_ID}/accounts", timeout=10
    ).raise_for_status()
    requests.get(f"{config.STORAGE_URL}/wipe", params={"keep-buckets": "true"}, timeout=10).raise_for_status()
    requests.delete(f"{config.STRIPE_URL}/_config/data", timeout=10).raise_for_status()
    requests.delete(f"{config.SAAS_URL}/_inbox", timeout=10).raise_for_status()
    requests.post(f"{config.SES_URL}/moto-api/reset", timeout=10).raise_for_status()
    _verify_ses_sender()


def purge_task_queues() -> None:
    import grpc
    from google.cloud import tasks_v2
    from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

    channel = grpc.insecure_channel(config.TASKS_HOST)
    try:
        client = tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
        for queue in _queue_names():
            client.purge_queue(name=queue)
    finally:
        channel.close()


# --- commands ----------------------------------------------------------------------------------


def urls() -> dict[str, str]:
    return {
        "GraphQL endpoint": f"{config.FUNCTIONS_URL}/graphql/graphql",
        "Website feed (on-sale events)": f"{config.FUNCTIONS_URL}/graphql/getEventList",
        "Functions (index)": f"{config.FUNCTIONS_URL}/",
        **{f"  /{name}/": f"{config.FUNCTIONS_URL}/{name}/" for name in _function_names()},
        "Inbox (e-mail and SMS)": f"{config.SAAS_URL}/",
        "Firestore emulator": f"http://{config.FIRESTORE_HOST}",
        "Auth emulator": f"http://{config.AUTH_HOST}",
        "Cloud Tasks emulator (gRPC)": config.TASKS_HOST,
        "Storage emulator": config.STORAGE_URL,
        "SES (moto; sent mail at /moto-api/data.json)": config.SES_URL,
        "Stripe (localstripe)": config.STRIPE_URL,
    }


def _function_names() -> list[str]:
    return sorted(p.parent.name for p in (REPO_ROOT / "functions").glob("*/main.py"))


def run(signals: StopSignals) -> None:
    """Start everything (reusing what already runs), seed, print the URLs, and on Ctrl-C,
    SIGTERM or SIGHUP stop every service of this checkout, the reused ones too: after `make run`
    ends, nothing of it is left running."""
    say("Starting the local stack (Ctrl-C stops everything)...")
    began = time.monotonic()
    if reused := running_services():
        say(
            f"  reusing {', '.join(reused)}: already running from an earlier start, with the data "
            "they hold (`make stop` first for an empty stack); Ctrl-C stops them too"
        )
    try:
        start(should_stop=signals.requested)
        _seed(signals)
        say(f"\nEverything is ready ({time.monotonic() - began:.0f} s). Open:")
        for label, url in urls().items():
            say(f"  {label:<30} {url}")
        say(f"\nLogs: {STATE_DIR / 'logs'}/ (the previous run's as *.log.1). Press Ctrl-C to stop.")
        while not signals.requested():
            time.sleep(0.2)
    finally:
        say("\nStopping...")
        stop()  # everything this checkout recorded, started by this run or reused by it
        say("Stopped.")


def _seed(signals: StopSignals) -> None:
    """The demo data, in its own session so that Ctrl-C reaches only us and we end it."""
    seeder = subprocess.Popen(
        [str(APP_PYTHON), "-m", "emulator.seed"],
        cwd=REPO_ROOT,
        env={**os.environ, **config.local_environment(), "PYTHONPATH": str(REPO_ROOT)},
        start_new_session=True,
    )
    while seeder.poll() is None:
        if signals.requested():
            seeder.terminate()
            seeder.wait()
            raise StopRequested
        time.sleep(0.2)
    if seeder.returncode != 0:
        raise StackError(f"seeding the demo data failed (exit {seeder.returncode}); see the output above")


def _listing(command: str) -> list[str]:
    if command == "status":
        return [f"  {name:<10} {'running' if up else 'stopped'}" for name, up in status().items()]
    if command == "env":
        return [f"export {key}='{value}'" for key, value in config.local_environment().items()]
    return [f"  {label:<30} {url}" for label, url in urls().items()]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["run", "start", "stop", "status", "reset", "env", "urls"])
    args = parser.parse_args()
    signals = StopSignals()
    if args.command in ("run", "start", "stop"):
        signals.install()
    try:
        if args.command == "run":
            run(signals)
        elif args.command == "start":
            start(should_stop=signals.requested)
            say("Local stack is ready.")
        elif args.command == "stop":
            stop()
        elif args.command == "reset":
            reset_data()
        else:
            for line in _listing(args.command):
                say(line)
    except StopRequested:
        say("Stopped before the stack was ready.", error=True)
        sys.exit(130)
    except StackError as error:
        say(f"error: {error}", error=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
