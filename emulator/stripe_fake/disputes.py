"""Disputes, as Stripe's test cards produce them.

- Paying with a createDispute card (pm_card_createDispute / tok_createDispute, 4000000000000259)
  succeeds, then the charge is disputed: a Dispute (`needs_response`, reason `fraudulent`, the
  whole amount) is created on the charge's account, the charge gets `disputed: true`, and
  `charge.dispute.created` then `charge.dispute.funds_withdrawn` are emitted.
- `GET /v1/disputes[/{id}]`, `POST /v1/disputes/{id}` (evidence, metadata, submit) and
  `POST /v1/disputes/{id}/close` (accept: the dispute is lost). As in Stripe's test mode,
  submitting evidence `uncategorized_text=winning_evidence` wins the dispute and
  `losing_evidence` loses it (`charge.dispute.closed`, and `charge.dispute.funds_reinstated` on a
  win); other evidence moves it to `under_review` (`charge.dispute.updated`).
- The dispute is created synchronously after the capture (Stripe does it moments later); its
  events are delivered asynchronously like all others.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import cards, events
from ._base import (
    StripeObject,
    expand_param,
    get,
    json_response,
    list_response,
    merge_metadata,
    now,
    objects_of,
    random_id,
    read_params,
    route,
    stripe_error,
    to_bool,
    unknown_parameters,
)

EVIDENCE_DUE_SECONDS = 7 * 24 * 3600


class Dispute(StripeObject):
    object = "dispute"
    _id_prefix = "du_"

    def __init__(self, charge: Any, reason: str) -> None:
        super().__init__(id=random_id("du_", 24))
        self.amount = charge.amount_captured or charge.amount
        self.currency = charge.currency
        self.charge = charge.id
        self.payment_intent = charge.payment_intent
        self.reason = reason
        self.status = "needs_response"
        self.is_charge_refundable = False
        self.metadata: dict[str, str] = {}
        self.balance_transactions: list[Any] = []
        self.evidence: dict[str, Any] = {"uncategorized_text": None}
        self.evidence_details = {
            "due_by": now() + EVIDENCE_DUE_SECONDS,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        }


def maybe_open(charge: Any) -> Dispute | None:
    reason = cards.DISPUTES.get(cards.card_number(charge))
    if reason is None:
        return None
    dispute = Dispute(charge, reason)
    charge.disputed = True
    events.emit("charge.dispute.created", dispute)
    events.emit("charge.dispute.funds_withdrawn", dispute)
    return dispute


def _dispute(request: web.Request) -> Dispute:
    return get("dispute", request.match_info["id"], param="dispute")  # type: ignore[no-any-return]


def _close(dispute: Dispute, status: str) -> None:
    previous = {"status": dispute.status}
    dispute.status = status
    events.emit("charge.dispute.closed", dispute, previous_attributes=previous)
    if status == "won":
        events.emit("charge.dispute.funds_reinstated", dispute)


async def retrieve_dispute(request: web.Request) -> web.Response:
    data = await read_params(request)
    return json_response(_dispute(request)._export(expand=expand_param(data)))


async def list_disputes(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    items = objects_of("dispute")
    for name in ("charge", "payment_intent"):
        if name in data:
            value = data.pop(name)
            items = [d for d in items if getattr(d, name) == value]
    data.pop("created", None)
    return list_response("/v1/disputes", items, data, expand)


async def update_dispute(request: web.Request) -> web.Response:
    dispute = _dispute(request)
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - {"evidence", "metadata", "submit"})
    if dispute.status in ("won", "lost", "warning_closed"):
        raise stripe_error(400, f"This dispute is already closed ({dispute.status}).", code="charge_disputed")
    if "metadata" in data:
        dispute.metadata = merge_metadata(dispute.metadata, data["metadata"])
    evidence = data.get("evidence") or {}
    if evidence and not isinstance(evidence, dict):
        raise stripe_error(400, "Invalid hash", param="evidence")
    if evidence:
        dispute.evidence.update(evidence)
        dispute.evidence_details["has_evidence"] = True
    if evidence and to_bool(data.get("submit", True), "submit"):
        dispute.evidence_details["submission_count"] += 1
        text = dispute.evidence.get("uncategorized_text")
        if text == "winning_evidence":
            _close(dispute, "won")
        elif text == "losing_evidence":
            _close(dispute, "lost")
        else:
            previous = {"status": dispute.status}
            dispute.status = "under_review"
            events.emit("charge.dispute.updated", dispute, previous_attributes=previous)
    elif "metadata" in data or evidence:
        events.emit("charge.dispute.updated", dispute)
    return json_response(dispute._export(expand=expand))


async def close_dispute(request: web.Request) -> web.Response:
    dispute = _dispute(request)
    if dispute.status in ("won", "lost"):
        raise stripe_error(400, f"This dispute is already closed ({dispute.status}).")
    _close(dispute, "lost")
    return json_response(dispute._export())


def routes() -> None:
    route("GET", "/v1/disputes", list_disputes)
    route("GET", "/v1/disputes/{id}", retrieve_dispute)
    route("POST", "/v1/disputes/{id}", update_dispute)
    route("POST", "/v1/disputes/{id}/close", close_dispute)
