"""Start the third-party Cloud Tasks emulator bound to 127.0.0.1 with the app's queues.

gcloud-tasks-emulator listens on every interface and has no host flag; this launcher replaces
the one line that picks the interface. It runs in the emulators' own virtualenv (protobuf<5).
"""

from __future__ import annotations

import argparse
import logging
import time

import grpc
from gcloud_tasks_emulator import server as tasks_server


def _serve_on(host: str):
    def run(self: tasks_server.APIThread) -> None:
        self._httpd = grpc.server(tasks_server.futures.ThreadPoolExecutor(max_workers=4))
        tasks_server.add_CloudTasksServicer_to_server(tasks_server.Greeter(self._state), self._httpd)
        self._httpd.add_insecure_port(f"{host}:{self._port}")
        self._httpd.start()
        self._is_running.set()
        while self._is_running.is_set():
            time.sleep(0.1)

    return run


def _tolerate_purged_tasks() -> None:
    """The emulator dispatches from a snapshot of each queue; a task purged (every test's data
    reset) or deleted between the snapshot and its dispatch raises NotFound, which kills that
    queue's dispatch thread for good. A vanished task has simply nothing left to run."""
    submit = tasks_server.QueueState.submit_task

    def submit_task(self: tasks_server.QueueState, task_name: str, *args: object, **kwargs: object) -> object:
        try:
            return submit(self, task_name, *args, **kwargs)
        except tasks_server.NotFound:
            return None

    tasks_server.QueueState.submit_task = submit_task  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--queue", action="append", default=[], help="full queue name")
    parser.add_argument("--max-retries", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    tasks_server.APIThread.run = _serve_on(args.host)  # type: ignore[method-assign]
    _tolerate_purged_tasks()
    server = tasks_server.create_server(
        args.host, args.port, default_queue_names=args.queue, max_retries=args.max_retries
    )
    print(f"Cloud Tasks emulator on {args.host}:{args.port}", flush=True)
    server.run()


if __name__ == "__main__":
    main()
