"""Refunds and cancellations: staff requests (Firebase ID token of ADMIN/BOX_OFFICE of the
order's org) and the refund-all fan-out task (Cloud Tasks, OIDC-verified).

POST /refund-order   {"orderId", "ticketIds", "upgradeIds", "processingFee", "promoterFee",
                      "refundReason", "refundAmount"} (+ Idempotency-Key) -> {"order": {...}}
POST /cancel-order   {"orderId", "ticketIds", "upgradeIds", "cancelReason"} -> {"order": {...}}
POST /tasks/refund-order  {"eventId", "orderId", "refundReason", "eventType", "by"} (Cloud Tasks)
POST /tasks/reconcile     {} daily from Cloud Scheduler: plans one task per Stripe account;
                          {"date": "YYYY-MM-DD", "account"} (Cloud Tasks): reconciles one account
"""

from typing import Any

import flask
import functions_framework

from shared.adapters.task_auth import verify_task_request
from shared.adapters.task_queue import function_url
from shared.bootstrap import services
from shared.caller import principal_for
from shared.entrypoint import http_entry, json_response
from shared.errors import DomainError, ErrorCode, invalid
from shared.services.reconciliation import TASK_PATH as RECONCILE_PATH


def _ids(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid("Ids must be a list of strings.", key)
    return value


def _amount(body: dict[str, Any]) -> int | None:
    value = body.get("refundAmount")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid("refundAmount must be a whole number of cents.", "refundAmount")
    return value


@functions_framework.http
@http_entry("refund")
def handle(request: flask.Request) -> flask.Response:
    app = services()
    path = request.path.rstrip("/")
    if request.method != "POST":
        raise DomainError(ErrorCode.NOT_FOUND, "No such operation.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise invalid("A JSON object is required.", "body")
    if path == "/tasks/refund-order":
        verify_task_request(
            request, app.settings, function_url(app.settings, "refund", "/tasks/refund-order")
        )
        return json_response({"result": app.refunds.run_refund_task(body)})
    if path == RECONCILE_PATH:  # Cloud Scheduler and the per-account tasks: same invoker, same URL
        verify_task_request(request, app.settings, function_url(app.settings, "refund", RECONCILE_PATH))
        return json_response({"result": app.reconciliation.run_task(body)})
    if not isinstance(body.get("orderId"), str):
        raise invalid("orderId is required.", "orderId")
    principal = principal_for(request, app)
    if path == "/refund-order":
        order = app.refunds.refund_order(
            principal, body["orderId"], _ids(body, "ticketIds"), _ids(body, "upgradeIds"),
            processing_fee=bool(body.get("processingFee")), promoter_fee=bool(body.get("promoterFee")),
            reason=str(body.get("refundReason") or ""), refund_amount=_amount(body),
            client_key=request.headers.get("Idempotency-Key", ""),
        )  # fmt: skip
        return json_response({"order": order.doc()})
    if path == "/cancel-order":
        order = app.refunds.cancel_order(
            principal, body["orderId"], _ids(body, "ticketIds"), _ids(body, "upgradeIds"),
            str(body.get("cancelReason") or ""),
        )  # fmt: skip
        return json_response({"order": order.doc()})
    raise DomainError(ErrorCode.NOT_FOUND, "No such operation.")
