"""Checkout for the purchase portal: reservations, PaymentIntents and orders."""

import flask
import functions_framework

from shared.entrypoint import http_entry
from shared.errors import DomainError, ErrorCode


@functions_framework.http
@http_entry("checkout")
def handle(request: flask.Request) -> flask.Response:
    # Only the health check is served until this function's issue lands.
    raise DomainError(ErrorCode.NOT_FOUND, "No such operation.")
