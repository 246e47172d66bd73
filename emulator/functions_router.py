"""Serves every function under functions/ from one process, each at /<name>/.

Each function is built with functions_framework.create_app, exactly as Cloud Functions builds
it, and mounted with werkzeug's DispatcherMiddleware. gunicorn serves the result locally
(`gunicorn emulator.functions_router:app`).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import functions_framework
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from emulator.config import REPO_ROOT, STATE_DIR
from shared.adapters.io_stats import PROCESS_TOTALS, reset_document_writes

FUNCTIONS_DIR = REPO_ROOT / "functions"
ENTRY_POINT = "handle"


def function_names(functions_dir: Path = FUNCTIONS_DIR) -> list[str]:
    return sorted(p.parent.name for p in functions_dir.glob("*/main.py"))


def function_app(name: str, functions_dir: Path = FUNCTIONS_DIR) -> Any:
    return functions_framework.create_app(ENTRY_POINT, str(functions_dir / name / "main.py"))


def _index(environ: Any, start_response: Any) -> Any:
    names = function_names()
    if environ.get("PATH_INFO", "/") not in ("", "/"):
        return Response("No such function.", status=404)(environ, start_response)
    body = "Sellout functions: " + ", ".join(f"/{n}/" for n in names) + "\n"
    return Response(body, mimetype="text/plain")(environ, start_response)


def build_app() -> Any:
    return DispatcherMiddleware(_index, {f"/{name}": function_app(name) for name in function_names()})


IO_DIR = STATE_DIR / "io"  # the benchmark asks every worker for its Firestore counts here


def _answer_io_requests() -> None:
    """Local stack only: the benchmark writes `io/request` ("reset <n>" or "dump <n>"); each
    gunicorn worker clears its per-document write counts, or writes them with its read and
    write totals to `io/<n>-<pid>.json`. Workers are separate processes: a file reaches them
    all, an HTTP request would reach one."""
    seen = ""
    while True:
        time.sleep(0.2)
        try:
            request = (IO_DIR / "request").read_text().strip()
        except OSError:
            continue
        if request == seen:
            continue
        seen = request
        command, _, number = request.partition(" ")
        if command == "reset":
            reset_document_writes()
        elif command == "dump":
            stats = {
                "reads": PROCESS_TOTALS.document_reads,
                "writes": PROCESS_TOTALS.document_writes,
                "writes_by_path": dict(PROCESS_TOTALS.writes_by_path),
            }
            target = IO_DIR / f"{number}-{os.getpid()}.json"
            target.with_suffix(".tmp").write_text(json.dumps(stats))
            target.with_suffix(".tmp").replace(target)


app = build_app()
threading.Thread(target=_answer_io_requests, name="io-stats", daemon=True).start()
