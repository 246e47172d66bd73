"""Ticket texts through Plivo (Cloud Tasks handler)."""

import flask
import functions_framework

from shared.entrypoint import http_entry
from shared.errors import DomainError, ErrorCode


@functions_framework.http
@http_entry("send-sms")
def handle(request: flask.Request) -> flask.Response:
    # Only the health check is served until this function's issue lands.
    raise DomainError(ErrorCode.NOT_FOUND, "No such operation.")
