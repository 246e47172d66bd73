"""HTTP handling of GraphQL requests: CORS, one operation per POST (JSON, or multipart with
file uploads), async execution (so sibling fields batch their reads), abuse limits (body size,
depth, cost), and the clients' error shape."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import flask
from ariadne import graphql

from shared.bootstrap import services
from shared.entrypoint import json_response
from shared.graphql_api.context import RequestContext
from shared.graphql_api.errors import GraphQLErrorLog, format_error
from shared.graphql_api.limits import validation_rules
from shared.graphql_api.multipart import BodyRefusedError, read_operation
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
    settings = get_settings()
    try:
        data: Any = read_operation(request, settings)  # JSON, or multipart with uploaded files
    except BodyRefusedError as refused:
        return refused.response
    if not isinstance(data, dict):
        # One operation per request: JSON-array batches would multiply work past the cost limit.
        return json_response({"errors": [{"message": "Send one GraphQL operation as a JSON object."}]}, 400)
    variables = data.get("variables") if isinstance(data.get("variables"), dict) else None
    success, result = asyncio.run(
        graphql(
            executable_schema(),
            data,
            context_value=RequestContext(request, services()),
            introspection=settings.graphql_introspection,
            debug=False,
            logger=GraphQLErrorLog("sellout.graphql"),
            error_formatter=format_error,
            validation_rules=validation_rules(
                settings.graphql_max_depth, settings.graphql_max_cost, variables
            ),
        )
    )
    return json_response(result, 200 if success else 400)
