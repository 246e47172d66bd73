import io
import json
import logging

import pytest

from shared.observability import CloudLoggingFormatter, request_context, scrub


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(CloudLoggingFormatter(project_id="demo-sellout"))
    logger = logging.getLogger("test.observability")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    return logger, read


def test_a_line_carries_severity_message_request_id_and_trace(log_lines):
    logger, read = log_lines
    with request_context("graphql", "req-12345678", "0af7651916cd43dd8448eb211c80319c/42;o=1"):
        logger.warning("seats released", extra={"orderId": "o1"})
    (line,) = read()
    assert line["severity"] == "WARNING"
    assert line["message"] == "seats released"
    assert line["requestId"] == "req-12345678"
    assert line["function"] == "graphql"
    assert (
        line["logging.googleapis.com/trace"]
        == "projects/demo-sellout/traces/0af7651916cd43dd8448eb211c80319c"
    )
    assert line["logging.googleapis.com/spanId"] == "42"
    assert line["orderId"] == "o1"


def test_each_request_gets_its_own_id_when_the_caller_sends_none_or_junk(log_lines):
    logger, read = log_lines
    with request_context("scan", None, None):
        logger.info("one")
    with request_context("scan", "bad id with spaces", None):
        logger.info("two")
    first, second = read()
    assert len(first["requestId"]) == 32
    assert first["requestId"] != second["requestId"]
    assert "spaces" not in second["requestId"]
    assert "logging.googleapis.com/trace" not in first


def test_outside_a_request_no_request_id_is_invented(log_lines):
    logger, read = log_lines
    logger.info("boot")
    assert "requestId" not in read()[0]


@pytest.mark.parametrize(
    "leak",
    [
        "sk_test_51Habc123DEF",
        "sk_live_abcdef",
        "whsec_0123456789abcdef",
        "SG.abc-def.ghi_jkl",
        "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
        "pi_3Abc_secret_XyZ",
    ],
)
def test_secrets_never_reach_a_log_line(log_lines, leak):
    logger, read = log_lines
    logger.error("stripe said %s", leak, extra={"detail": {"header": leak}, "items": [leak]})
    (line,) = read()
    assert leak not in json.dumps(line)
    assert "[REDACTED]" in line["message"]


def test_key_value_secrets_keep_their_key_and_lose_their_value():
    assert scrub('password="hunter2" user=ann') == "password=[REDACTED] user=ann"
    assert scrub("api_key: abc123") == "api_key: [REDACTED]"


def test_exception_stack_traces_are_kept_but_scrubbed(log_lines):
    logger, read = log_lines
    try:
        raise RuntimeError("failed with key sk_test_123")
    except RuntimeError:
        logger.exception("boom")
    (line,) = read()
    assert line["severity"] == "ERROR"
    assert "RuntimeError" in line["stack_trace"]
    assert "sk_test_123" not in line["stack_trace"]
