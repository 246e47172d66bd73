"""Door scanning for the mobile scanner app (SPEC R-SCAN; SECURITY 20-22).

POST /      {"code": "<QR payload, secretId or order id>", "ticketIds": [...], "upgradeIds": [...]}
            Authorization: Bearer <Firebase ID token of a SCANNER+ of the order's org>
            -> {"admitted": [ids], "order": {"_id", "eventName", "state"}}
            With no ids: a per-item code admits its item; an order code admits every Active
            item that has an unscanned slot today ("scan whole order").
            Refusals are the JSON errors of http_entry, e.g. 409 CONFLICT "Ticket already scanned."
GET /keys   {keyId: base64url Ed25519 public key}: lets offline scanners verify codes.
"""

from typing import Any

import flask
import functions_framework

from shared.bootstrap import services
from shared.caller import principal_for
from shared.domain.permissions import require_user
from shared.entrypoint import http_entry, json_response
from shared.errors import DomainError, ErrorCode, invalid


def _ids(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid("Ids must be a list of strings.", key)
    return value


@functions_framework.http
@http_entry("scan")
def handle(request: flask.Request) -> flask.Response:
    path = request.path.rstrip("/")
    if request.method == "GET" and path == "/keys":
        return json_response(services().scanning.public_key_texts())
    if request.method != "POST" or path not in ("", "/scan"):
        raise DomainError(ErrorCode.NOT_FOUND, "No such operation.")
    principal = require_user(principal_for(request, services()))
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        raise invalid("Scan a ticket code.", "code")
    result = services().scanning.scan(
        principal, body["code"], _ids(body, "ticketIds"), _ids(body, "upgradeIds")
    )
    order = result.order
    return json_response(
        {
            "admitted": result.admitted,
            "order": {"_id": order.id, "eventName": order.eventName, "state": order.state},
        }
    )
