"""Checkout for the purchase portal and box office: PaymentIntents, orders, reservation expiry.

    POST /payment-intent            OrderPaymentIntentInput → {paymentIntentId, clientSecret}
    POST /orders                    OrderInput → Order
    POST /tasks/expire-reservation  {reservationId} (Cloud Tasks, OIDC)
    POST /tasks/release-seats       {orgId, eventId, orderId, seats} (Cloud Tasks, OIDC)
    POST /tasks/geocode-order       {orderId, ip} (Cloud Tasks, OIDC): the buyer's city (R-GEO-1)
    POST /tasks/organization-seating {orgId} (Cloud Tasks, OIDC): a new org's seats.io workspace
The same operations are the GraphQL mutations createOrderPaymentIntent and createOrder.
"""

import flask
import functions_framework

from shared.adapters.task_auth import verify_task_request
from shared.adapters.task_queue import function_url
from shared.bootstrap import services
from shared.caller import client_ip, principal_for
from shared.entrypoint import http_entry, json_response
from shared.errors import DomainError, ErrorCode

MAX_BODY_BYTES = 1024 * 1024  # an order is a few kilobytes
ORDER_INPUTS = {("POST", "/payment-intent"): "OrderPaymentIntentInput", ("POST", "/orders"): "OrderInput"}


@functions_framework.http
@http_entry("checkout")
def handle(request: flask.Request) -> flask.Response:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        # Streamed, so functions_framework does not read the refused body after we answer.
        refusal = '{"code": "PAYLOAD_TOO_LARGE", "message": "The request is too large (at most 1 MB)."}'
        return flask.Response(iter([refusal]), status=413, mimetype="application/json")
    request.max_content_length = MAX_BODY_BYTES
    app = services()
    sent = request.get_json(silent=True)
    body = sent if isinstance(sent, dict) else {}
    route = (request.method, request.path.rstrip("/"))
    if route == ("POST", "/tasks/expire-reservation"):
        verify_task_request(
            request, app.settings, function_url(app.settings, "checkout", "/tasks/expire-reservation")
        )
        return json_response({"outcome": app.checkout.expire(str(body.get("reservationId") or ""))})
    if route == ("POST", "/tasks/release-seats"):
        # A seat release deferred while seats.io was unavailable (shared.services.seating).
        verify_task_request(
            request, app.settings, function_url(app.settings, "checkout", "/tasks/release-seats")
        )
        return json_response({"outcome": app.seating.run_release_task(body)})
    if route == ("POST", "/tasks/organization-seating"):
        # A new organization's seats.io workspace (OrganizationCreated, R-SEAT-1).
        verify_task_request(
            request, app.settings, function_url(app.settings, "checkout", "/tasks/organization-seating")
        )
        return json_response({"outcome": app.seating.run_workspace_task(body)})
    if route == ("POST", "/tasks/geocode-order"):
        verify_task_request(
            request, app.settings, function_url(app.settings, "checkout", "/tasks/geocode-order")
        )
        return json_response({"outcome": app.geolocation.run_task(body)})
    caller = principal_for(request, app)
    key = request.headers.get("Idempotency-Key", "")
    if route in ORDER_INPUTS:
        from shared.graphql_api.input_rules import check_input_object  # the GraphQL edge's bounds

        check_input_object(ORDER_INPUTS[route], sent, "params")
    if route == ("POST", "/payment-intent"):
        return json_response(
            app.checkout.start_card_payment(caller, body, ip=client_ip(request), client_key=key)
        )
    if route == ("POST", "/orders"):
        order = app.checkout.create_order(caller, body, ip=client_ip(request), client_key=key)
        return json_response(order.doc())
    raise DomainError(ErrorCode.NOT_FOUND, "No such operation.")
