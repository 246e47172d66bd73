"""Structured JSON logs that Cloud Logging understands, with one request id per request.

Cloud Functions forwards stdout lines; a JSON line's `severity`, `message` and the
`logging.googleapis.com/trace` key are lifted into the log entry, which groups every line of a
request under its trace. Secrets are scrubbed from every line before it is written.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_trace: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace", default=None)
_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("function", default=None)

# Credentials that must never reach a log line, whatever logged them.
_SECRET_PATTERNS = [
    re.compile(r"\b(sk|rk)_(test|live)_[A-Za-z0-9_]+"),
    re.compile(r"\bwhsec_[A-Za-z0-9]+"),
    re.compile(r"\bSG\.[A-Za-z0-9_\-.]+"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9_\-.=]+"),
    re.compile(r"\bpi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+"),
    re.compile(
        r"(?i)(?P<keep>\"?(?:password|secret|token|authorization|api_key)\"?\s*[:=]\s*)\"?[^\s\",}]+\"?"
    ),
]

_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def scrub(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.groupdict().get("keep") or "") + "[REDACTED]", text)
    return text


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_value(v) for v in value]
    return value


class CloudLoggingFormatter(logging.Formatter):
    def __init__(self, project_id: str | None = None) -> None:
        super().__init__()
        self.project_id = project_id

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname if record.levelname != "WARN" else "WARNING",
            "message": scrub(record.getMessage()),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "logger": record.name,
        }
        if record.exc_info:
            entry["stack_trace"] = scrub(self.formatException(record.exc_info))
        if request_id := _request_id.get():
            entry["requestId"] = request_id
        if function := _function.get():
            entry["function"] = function
        if trace := _trace.get():
            trace_id, _, span = trace.partition("/")
            entry["logging.googleapis.com/trace"] = (
                f"projects/{self.project_id}/traces/{trace_id}" if self.project_id else trace_id
            )
            if span_id := span.split(";")[0]:
                entry["logging.googleapis.com/spanId"] = span_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = _scrub_value(value)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", project_id: str | None = None) -> None:
    """Route every logger through one JSON handler on stdout (idempotent)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler.formatter, CloudLoggingFormatter):
            handler.formatter.project_id = project_id
            root.setLevel(level)
            return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(CloudLoggingFormatter(project_id))
    root.handlers = [handler]
    root.setLevel(level)


def current_request_id() -> str | None:
    return _request_id.get()


@contextmanager
def request_context(
    function: str, request_id: str | None = None, trace_header: str | None = None
) -> Iterator[str]:
    """Bind a request id (the caller's `X-Request-Id`, else a new one) and the Cloud Trace
    context (`X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1`) to every log line of the request."""
    rid = request_id if request_id and re.fullmatch(r"[A-Za-z0-9_\-]{8,64}", request_id) else None
    rid = rid or uuid.uuid4().hex
    tokens = (
        _request_id.set(rid),
        _trace.set(trace_header or None),
        _function.set(function),
    )
    try:
        yield rid
    finally:
        _request_id.reset(tokens[0])
        _trace.reset(tokens[1])
        _function.reset(tokens[2])
