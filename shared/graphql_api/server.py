"""HTTP handling of GraphQL requests: CORS, JSON POST at /graphql, error shape."""

from __future__ import annotations

import logging
from typing import Any

import flask
from ariadne import graphql_sync

from shared.entrypoint import json_response
from shared.graphql_api.schema import executable_schema
from shared.settings import get_settings

log = logging.getLogger("sellout.graphql")

ALLOWED_HEADERS = "Authorization, Content-Type, X-Org-Id, X-Request-Id"


def _cors_headers(request: flask.Request) -> dict[str, str]:
    origin = request.headers.get("Origin")
    if not origin or origin not in get_settings().cors_allowed_origins:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": "3600",
        "Vary": "Origin",
    }


def handle_graphql_request(request: flask.Request) -> flask.Response:
    cors = _cors_headers(request)
    if request.method == "OPTIONS":
        return flask.Response(status=204, headers=cors)
    if request.method != "POST":
        response = json_response({"errors": [{"message": "Use POST for GraphQL requests."}]}, 405)
    else:
        response = _execute(request)
    response.headers.extend(cors)
    return response


def _execute(request: flask.Request) -> flask.Response:
    data: Any = request.get_json(silent=True)
    if not isinstance(data, dict):
        # ariadne rejects JSON-array batches too; one operation per request.
        return json_response({"errors": [{"message": "Send one GraphQL operation as a JSON object."}]}, 400)
    settings = get_settings()
    success, result = graphql_sync(
        executable_schema(),
        data,
        context_value={"request": request},
        introspection=settings.graphql_introspection,
        debug=False,
        logger="sellout.graphql",
    )
    return json_response(result, 200 if success else 400)
