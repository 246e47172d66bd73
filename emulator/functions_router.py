"""Serves every function under functions/ from one process, each at /<name>/.

Each function is built with functions_framework.create_app, exactly as Cloud Functions builds
it, and mounted with werkzeug's DispatcherMiddleware. gunicorn serves the result locally
(`gunicorn emulator.functions_router:app`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import functions_framework
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from emulator.config import REPO_ROOT

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


app = build_app()
