"""What every HTTP function does around its own work: request id and trace in the logs, a health
answer, and one mapping of errors to HTTP responses.

    @functions_framework.http
    @http_entry("send-email")
    def handle(request): ...

A DomainError becomes `{"error": {"code", "message", "fields"}}` with its HTTP status. Anything
else is logged with its stack trace and answered 500 with a generic message: internals never
reach the client, and the 5xx tells Cloud Tasks and Stripe to retry.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

import flask

from shared.errors import DomainError
from shared.observability import configure_logging, request_context
from shared.settings import get_settings

log = logging.getLogger("sellout.http")

Handler = Callable[[flask.Request], Any]


def json_response(body: Any, status: int = 200) -> flask.Response:
    return flask.Response(json.dumps(body), status=status, mimetype="application/json")


def error_response(error: DomainError) -> flask.Response:
    return json_response({"error": error.to_dict()}, error.http_status)


def is_health_check(request: flask.Request) -> bool:
    return request.method == "GET" and request.path.rstrip("/") in ("", "/health")


def http_entry(function_name: str, *, health: bool = True) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapped(request: flask.Request) -> Any:
            settings = get_settings()
            configure_logging(settings.log_level, settings.gcp_project)
            with request_context(
                function_name,
                request.headers.get("X-Request-Id"),
                request.headers.get("X-Cloud-Trace-Context"),
            ) as request_id:
                response = _respond(handler, request, health)
                response.headers["X-Request-Id"] = request_id
                return response

        return wrapped

    return decorate


def _respond(handler: Handler, request: flask.Request, health: bool) -> flask.Response:
    if health and is_health_check(request):
        return flask.Response("OK", mimetype="text/plain")
    try:
        return flask.make_response(handler(request))
    except DomainError as error:
        # A refusal is logged at its code's level (shared.errors.LOG_LEVEL): the caller's mistake
        # or a sold-out event is INFO, never the ERROR that pages someone.
        log.log(
            error.log_level,
            "request refused",
            exc_info=error if error.log_level >= logging.ERROR else None,
            extra={"code": str(error.code), "status": error.http_status},
        )
        return error_response(error)
    except Exception:
        log.exception("unhandled error")
        return json_response({"error": {"code": "INTERNAL", "message": "Internal error."}}, 500)
