"""HTTP handling of GraphQL requests: CORS, one operation per POST (JSON, or multipart with
file uploads), async execution (so sibling fields batch their reads), abuse limits (body size,
depth, cost), and the clients' error shape."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import flask
from ariadne import graphql
from graphql import DocumentNode

from shared.bootstrap import services
from shared.entrypoint import json_response
from shared.graphql_api.context import RequestContext
from shared.graphql_api.documents import parse_bounded, validate_cached
from shared.graphql_api.errors import GraphQLErrorLog, format_error
from shared.graphql_api.input_rules import RequestBudgetExceededError, edge_middleware
from shared.graphql_api.limits import REQUEST_TIME_BUDGET_SECONDS, limit_errors
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
    deadline = time.monotonic() + REQUEST_TIME_BUDGET_SECONDS
    success, result = asyncio.run(
        graphql(
            executable_schema(),
            data,
            context_value=RequestContext(request, services()),
            query_parser=_parse_within_limits,
            query_validator=validate_cached,
            introspection=settings.graphql_introspection,
            debug=False,
            logger=GraphQLErrorLog("sellout.graphql"),
            error_formatter=format_error,
            middleware=[edge_middleware(deadline)],
        )
    )
    return json_response(_one_budget_error(result), 200 if success else 400)


def _parse_within_limits(_: Any, data: dict[str, Any]) -> DocumentNode:
    """The request's document, refused before graphql-core's own validation when it is too deep
    or costs too much: that validation's overlapping-fields rule is quadratic in the number of
    same-named fields, so a document past the limits must not pay for it."""
    settings = get_settings()
    document = parse_bounded(data["query"])
    variables = data.get("variables") if isinstance(data.get("variables"), dict) else None
    errors = limit_errors(
        executable_schema(), document, settings.graphql_max_depth, settings.graphql_max_cost, variables
    )
    if errors:
        raise errors[0]
    return document


def _one_budget_error(result: dict[str, Any]) -> dict[str, Any]:
    """Once the time budget is spent every later field fails the same way: say it once."""
    errors = result.get("errors")
    if not errors:
        return result
    kept: list[Any] = []
    budget_reported = False
    for error in errors:
        if error.get("message") == RequestBudgetExceededError.MESSAGE:
            if budget_reported:
                continue
            budget_reported = True
        kept.append(error)
    return {**result, "errors": kept}
