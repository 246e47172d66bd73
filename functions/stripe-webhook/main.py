"""Stripe webhook: verifies signatures and reconciles payments, disputes and accounts."""

import flask
import functions_framework

from shared.bootstrap import services
from shared.entrypoint import http_entry, json_response
from shared.errors import DomainError, ErrorCode


@functions_framework.http
@http_entry("stripe-webhook")
def handle(request: flask.Request) -> flask.Response:
    if request.method != "POST":
        raise DomainError(ErrorCode.NOT_FOUND, "No such operation.")
    status, outcome = services().stripe_webhooks.receive(
        request.get_data(), request.headers.get("Stripe-Signature")
    )
    return json_response({"received": True, "outcome": outcome}, status)
