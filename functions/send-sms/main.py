"""Ticket texts (MMS with the QR image) and the sign-in bridge's codes through Plivo (Cloud Tasks
handler)."""

import flask
import functions_framework

from shared.adapters.task_auth import verify_task_request
from shared.adapters.task_queue import function_url
from shared.bootstrap import services
from shared.entrypoint import http_entry, json_response
from shared.errors import invalid
from shared.services.sign_in_bridge import TASK_PATH as SIGN_IN_PATH


@functions_framework.http
@http_entry("send-sms")
def handle(request: flask.Request) -> flask.Response:
    app = services()
    if request.path.rstrip("/") == SIGN_IN_PATH:  # the sign-in bridge's codes by SMS (SPEC 4.4)
        verify_task_request(request, app.settings, function_url(app.settings, "send-sms", SIGN_IN_PATH))
        return json_response({"result": app.sign_in.run_code_task(request.get_json(silent=True) or {})})
    verify_task_request(request, app.settings, function_url(app.settings, "send-sms"))
    body = request.get_json(silent=True) or {}
    order_id, message, key = (str(body.get(name) or "") for name in ("orderId", "message", "key"))
    if not (order_id and message and key):
        raise invalid("orderId, message and key are required.", "orderId", "message", "key")
    return json_response({"result": app.delivery.send_text(order_id, message, key)})
