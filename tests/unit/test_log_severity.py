"""Log severities an operator can alert on: a refusal the caller caused (sold out, bad input, no
sign-in, no permission, too many calls, nothing there) is logged at INFO or WARNING with its code
and no traceback; only a fault someone must act on is an ERROR, with its stack. The GraphQL layer
is wired as the server wires it (ariadne given GraphQLErrorLog and format_error); the HTTP layer
through http_entry."""

from __future__ import annotations

import asyncio
import json
import logging

import flask
import pytest
from ariadne import QueryType, graphql, make_executable_schema

from shared.entrypoint import http_entry
from shared.errors import DomainError, ErrorCode
from shared.graphql_api.errors import GraphQLErrorLog, format_error

SDL = """
type Query {
  refuse(code: String!): Int
  crash: Int
  count(n: Int!): Int
}
"""

query = QueryType()


@query.field("refuse")
def _refuse(_obj: object, _info: object, code: str) -> int:
    raise DomainError(ErrorCode(code), f"Refused with {code}.")


@query.field("crash")
def _crash(_obj: object, _info: object) -> int:
    raise KeyError("projects/x/databases/(default) sk_test_secret")


SCHEMA = make_executable_schema(SDL, query)

# The severity each kind of refusal must have (written out, not read from shared.errors, so a
# change there that would page someone on a sell-out fails here).
EXPECTED = {
    ErrorCode.SOLD_OUT: logging.INFO,
    ErrorCode.INVALID_INPUT: logging.INFO,
    ErrorCode.UNAUTHENTICATED: logging.INFO,
    ErrorCode.NOT_FOUND: logging.INFO,
    ErrorCode.REFUSED: logging.INFO,
    ErrorCode.LIMIT_EXCEEDED: logging.INFO,
    ErrorCode.PAYMENT_FAILED: logging.INFO,
    ErrorCode.FORBIDDEN: logging.WARNING,
    ErrorCode.RATE_LIMITED: logging.WARNING,
}


def _run(document: dict[str, object]) -> dict[str, object]:
    _ok, result = asyncio.run(
        graphql(SCHEMA, document, logger=GraphQLErrorLog("sellout.graphql"), error_formatter=format_error)
    )
    return result


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name in ("sellout.graphql", "sellout.http")]


@pytest.mark.parametrize(("code", "level"), EXPECTED.items(), ids=[str(c) for c in EXPECTED])
def test_a_graphql_refusal_is_logged_once_below_error_with_its_code_and_no_traceback(caplog, code, level):
    caplog.set_level(logging.DEBUG)
    result = _run({"query": "query($c: String!) { refuse(code: $c) }", "variables": {"c": str(code)}})
    assert result["errors"][0]["extensions"]["errorCode"] == str(code)  # type: ignore[index]
    (record,) = _records(caplog)
    assert (record.levelno, record.code, record.exc_info) == (level, str(code), None)  # type: ignore[attr-defined]
    assert record.path == ["refuse"]  # type: ignore[attr-defined]


def test_a_query_that_does_not_validate_is_an_info_line(caplog):
    caplog.set_level(logging.DEBUG)
    result = _run({"query": "{ noSuchField }"})
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"  # type: ignore[index]
    (record,) = _records(caplog)
    assert (record.levelno, record.code, record.exc_info) == (logging.INFO, "GRAPHQL_VALIDATION_FAILED", None)  # type: ignore[attr-defined]


def test_variables_of_the_wrong_type_are_an_info_line(caplog):
    caplog.set_level(logging.DEBUG)
    _run({"query": "query($n: Int!) { count(n: $n) }", "variables": {"n": "many"}})
    (record,) = _records(caplog)
    assert (record.levelno, record.code, record.exc_info) == (logging.INFO, "INVALID_INPUT", None)  # type: ignore[attr-defined]


def test_an_unexpected_resolver_failure_is_an_error_with_its_stack_and_a_generic_answer(caplog):
    caplog.set_level(logging.DEBUG)
    result = _run({"query": "{ crash }"})
    assert result["errors"][0]["message"] == "Internal error."  # type: ignore[index]
    (record,) = _records(caplog)  # once: not again by format_error
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and isinstance(record.exc_info[1], KeyError)


def test_an_internal_domain_error_is_an_error_with_its_stack(caplog):
    caplog.set_level(logging.DEBUG)
    _run({"query": '{ refuse(code: "INTERNAL") }'})
    (record,) = _records(caplog)
    assert (record.levelno, record.code) == (logging.ERROR, "INTERNAL")  # type: ignore[attr-defined]
    assert record.exc_info is not None


@pytest.fixture(autouse=True)
def _keep_pytest_log_capture(monkeypatch):
    # http_entry routes logging to stdout JSON, which would drop caplog's handler; the JSON
    # formatter has tests of its own (test_observability.py).
    monkeypatch.setattr("shared.entrypoint.configure_logging", lambda *args: None)


def _http(handler):  # type: ignore[no-untyped-def]
    app = flask.Flask("t")
    wrapped = http_entry("test")(handler)
    app.add_url_rule("/", "h", lambda: wrapped(flask.request), methods=["POST"])
    return app.test_client()


@pytest.mark.parametrize(("code", "level"), EXPECTED.items(), ids=[str(c) for c in EXPECTED])
def test_an_http_refusal_is_logged_below_error_with_its_code_and_no_traceback(caplog, code, level):
    caplog.set_level(logging.DEBUG)

    def handler(request: flask.Request) -> str:
        raise DomainError(code, "No.")

    response = _http(handler).post("/", json={})
    assert json.loads(response.data)["error"]["code"] == str(code)
    (record,) = _records(caplog)
    assert (record.levelno, record.code, record.exc_info) == (level, str(code), None)  # type: ignore[attr-defined]


def test_an_unexpected_http_failure_is_an_error_with_its_stack(caplog):
    caplog.set_level(logging.DEBUG)

    def handler(request: flask.Request) -> str:
        raise KeyError("boom")

    assert _http(handler).post("/", json={}).status_code == 500
    (record,) = _records(caplog)
    assert record.levelno == logging.ERROR and record.exc_info is not None
