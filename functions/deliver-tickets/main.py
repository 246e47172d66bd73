"""QR ticket delivery on the promoter's schedule (Cloud Tasks handler)."""

import flask
import functions_framework

from shared.entrypoint import http_entry
from shared.errors import DomainError, ErrorCode


@functions_framework.http
@http_entry("deliver-tickets")
def handle(request: flask.Request) -> flask.Response:
    # Only the health check is served until this function's issue lands.
    raise DomainError(ErrorCode.NOT_FOUND, "No such operation.")
