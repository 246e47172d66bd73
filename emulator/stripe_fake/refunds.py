"""Refunds, bounded the way Stripe bounds them.

- `POST /v1/refunds` with `charge` or `payment_intent`, optional partial `amount`, `reason`,
  `metadata`, `refund_application_fee`. The sum of a charge's refunds never exceeds what was
  captured: a fully refunded charge answers 400 `charge_already_refunded`, a larger amount
  400 `amount_too_large` ("... greater than unrefunded amount on charge ..."). A PaymentIntent
  that is only authorised (requires_capture) cannot be refunded: it must be canceled; a legacy
  uncaptured charge can only be refunded in full (that releases it), as on Stripe. Failed and
  disputed charges cannot be refunded.
- `refund_application_fee=true` on a direct charge refunds the platform's fee in proportion
  (refund × fee / captured amount, rounded down), and whatever is left of it when the refund
  completes the charge's refund, creating a `fee_refund` and updating the ApplicationFee.
- Events: `charge.refunded` (the Charge with amount_refunded, refunded and its refunds) and
  `refund.created`; a status change emits `charge.refund.updated` and `refund.updated`
  (+ `refund.failed`). Failed or canceled refunds no longer count as refunded.
- The refundFail test card (4000000000005126) makes a refund fail shortly after it succeeded;
  the test control `POST /_config/refunds/{id}/status` (form status, failure_reason) moves any
  refund to another status.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from localstripe import resources

from . import cards, connect, events
from ._base import (
    StripeObject,
    created_filter,
    embedded_list,
    expand_param,
    format_amount,
    get,
    get_raw,
    json_response,
    list_response,
    merge_metadata,
    metadata_param,
    objects_of,
    random_id,
    read_params,
    route,
    stripe_error,
    to_bool,
    to_int,
    unknown_parameters,
)

COUNTED = ("pending", "succeeded", "requires_action")
STATUSES = ("pending", "succeeded", "failed", "canceled", "requires_action")
REASONS = ("duplicate", "fraudulent", "requested_by_customer")
REFUND_FAIL_DELAY = 1.0  # seconds before a refundFail card's refund fails


class Refund(StripeObject):
    object = "refund"
    _id_prefix = "re_"

    def __init__(self, charge: Any, amount: int, *, reason: str | None, metadata: dict[str, str]) -> None:
        super().__init__(id=random_id("re_", 24))
        self.amount = amount
        self.charge = charge.id
        self.payment_intent = charge.payment_intent
        self.currency = charge.currency
        self.metadata = metadata
        self.reason = reason
        self.status = "succeeded"
        self.balance_transaction = None
        self.receipt_number = None
        self.source_transfer_reversal = None
        self.transfer_reversal = None
        self.destination_details = {
            "type": "card",
            "card": {"type": "refund", "reference_status": "available"},
        }
        charge._refund_ids.append(self.id)


def _refunds_of(charge: Any) -> list[Refund]:
    return [get_raw("refund", rid) for rid in reversed(charge._refund_ids)]


def refunded_amount(charge: Any) -> int:
    return sum(r.amount for r in _refunds_of(charge) if r.status in COUNTED)


def embedded(charge: Any) -> dict[str, Any]:
    return embedded_list(f"/v1/charges/{charge.id}/refunds", _refunds_of(charge))


def release(charge: Any, amount: int, *, emit: bool) -> Refund:
    """The uncaptured part of an authorisation going back to the card (partial capture, cancel
    of an authorised PaymentIntent, refund of an uncaptured legacy charge)."""
    refund = Refund(charge, amount, reason=None, metadata={})
    if emit:
        events.emit("charge.refunded", charge)
    return refund


def _bounded_amount(charge: Any, requested: Any) -> int:
    if charge.status != "succeeded":
        raise stripe_error(
            400, f"Charge {charge.id} has failed and cannot be refunded.", code="charge_not_refundable"
        )
    if charge.disputed:
        raise stripe_error(
            400, f"Charge {charge.id} has been charged back; it cannot be refunded.", code="charge_disputed"
        )
    remaining = charge.amount - refunded_amount(charge)
    if remaining <= 0:
        raise stripe_error(
            400, f"Charge {charge.id} has already been refunded.", code="charge_already_refunded"
        )
    amount = remaining if requested in (None, "") else to_int(requested, "amount", minimum=1)
    if amount > remaining:
        if refunded_amount(charge) == 0:
            message = (
                f"Refund amount ({format_amount(amount, charge.currency)}) is greater than charge "
                f"amount ({format_amount(charge.amount, charge.currency)})"
            )
        else:
            message = (
                f"Refund amount ({format_amount(amount, charge.currency)}) is greater than unrefunded "
                f"amount on charge ({format_amount(remaining, charge.currency)})"
            )
        raise stripe_error(400, message, code="amount_too_large", param="amount")
    if not charge.captured and amount != remaining:
        raise stripe_error(
            400,
            "You cannot partially refund an uncaptured charge. Instead, capture the charge for an "
            "amount less than the original amount",
            code="charge_not_refundable",
            param="amount",
        )
    return amount


def _refund_fee(charge: Any, refund: Refund) -> None:
    fee = get_raw("application_fee", charge.application_fee) if charge.application_fee else None
    if fee is None:
        return
    if charge.refunded:
        share = fee.amount - fee.amount_refunded  # the charge is now fully refunded: all of it
    else:
        # In proportion to what was captured, rounded down.
        share = refund.amount * fee.amount // (charge.amount_captured or charge.amount)
    connect.refund_fee(fee, share)


def create(
    charge: Any,
    requested: Any,
    *,
    reason: Any = None,
    metadata: Any = None,
    refund_application_fee: bool = False,
) -> Refund:
    if reason is not None and reason not in REASONS:
        raise stripe_error(400, f"Invalid reason: must be one of {', '.join(REASONS)}", param="reason")
    amount = _bounded_amount(charge, requested)
    refund = Refund(charge, amount, reason=reason, metadata=metadata_param(metadata))
    if charge.captured:
        txn = resources.BalanceTransaction(
            amount=-amount,
            currency=charge.currency,
            description="REFUND FOR CHARGE",
            exchange_rate=1.0,
            reporting_category="refund",
            source=refund.id,
            type="refund",
        )
        refund.balance_transaction = txn.id
    if refund_application_fee:
        _refund_fee(charge, refund)
    events.emit("refund.created", refund)
    events.emit("charge.refunded", charge)
    if cards.card_number(charge) in cards.REFUND_FAILS:
        events.spawn(_fail_later(refund))
    return refund


async def _fail_later(refund: Refund) -> None:
    await asyncio.sleep(REFUND_FAIL_DELAY)
    set_status(refund, "failed", "expired_or_canceled_card")


def set_status(refund: Refund, status: str, failure_reason: str | None = None) -> None:
    previous: dict[str, Any] = {"status": refund.status}
    refund.status = status
    if status == "failed":
        previous["failure_reason"] = getattr(refund, "failure_reason", None)
        refund.failure_reason = failure_reason or "unknown"
    events.emit("charge.refund.updated", refund, previous_attributes=previous)
    events.emit("refund.updated", refund, previous_attributes=previous)
    if status == "failed":
        events.emit("refund.failed", refund, previous_attributes=previous)


# --- API -----------------------------------------------------------------------------------------

CREATE_PARAMS = {
    "charge",
    "payment_intent",
    "amount",
    "metadata",
    "reason",
    "refund_application_fee",
    "reverse_transfer",
    "instructions_email",
    "origin",
}


def _target_charge(data: dict[str, Any]) -> Any:
    if data.get("charge") and data.get("payment_intent"):
        raise stripe_error(
            400,
            "You may only specify one of these parameters: charge, payment_intent.",
            param="payment_intent",
        )
    if data.get("payment_intent"):
        intent = get("payment_intent", data["payment_intent"], param="payment_intent")
        if intent.status == "requires_capture":
            raise stripe_error(
                400,
                f"This PaymentIntent ({intent.id}) has not been captured, so it cannot be refunded. "
                "Cancel the PaymentIntent instead to release the authorization.",
                code="payment_intent_unexpected_state",
                param="payment_intent",
            )
        if intent.status != "succeeded" or not intent.latest_charge:
            raise stripe_error(
                400,
                f"This PaymentIntent ({intent.id}) does not have a successful charge to refund.",
                code="charge_not_refundable",
                param="payment_intent",
            )
        return get("charge", intent.latest_charge)
    if data.get("charge"):
        return get("charge", data["charge"], param="charge")
    raise stripe_error(
        400,
        "One of the following params should be provided for this request: payment_intent or charge.",
        param="charge",
    )


async def create_refund(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    if "id" in request.match_info:  # the older POST /v1/charges/{id}/refunds form
        data["charge"] = request.match_info["id"]
    unknown_parameters(set(data) - CREATE_PARAMS)
    charge = _target_charge(data)
    refund = create(
        charge,
        data.get("amount"),
        reason=data.get("reason"),
        metadata=data.get("metadata"),
        refund_application_fee=to_bool(data.get("refund_application_fee", False), "refund_application_fee"),
    )
    return json_response(refund._export(expand=expand))


async def retrieve_refund(request: web.Request) -> web.Response:
    data = await read_params(request)
    return json_response(get("refund", request.match_info["id"])._export(expand=expand_param(data)))


async def update_refund(request: web.Request) -> web.Response:
    refund = get("refund", request.match_info["id"])
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - {"metadata"})
    refund.metadata = merge_metadata(refund.metadata, data.get("metadata", {}))
    return json_response(refund._export(expand=expand))


async def list_refunds(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    items = objects_of("refund")
    for name in ("charge", "payment_intent"):
        if name in data:
            value = data.pop(name)
            items = [r for r in items if getattr(r, name) == value]
    items = created_filter(items, data)
    return list_response("/v1/refunds", items, data, expand)


async def control_status(request: web.Request) -> web.Response:
    """Test control: move a refund to another status (e.g. failed), emitting what Stripe emits."""
    refund = get_raw("refund", request.match_info["id"])
    if refund is None:
        raise stripe_error(404, f"No such refund: '{request.match_info['id']}'", code="resource_missing")
    data = await read_params(request)
    status = data.get("status")
    if status not in STATUSES:
        raise stripe_error(400, f"status must be one of {', '.join(STATUSES)}", param="status")
    if status != refund.status:
        set_status(refund, status, data.get("failure_reason"))
    return json_response(refund._export())


def routes() -> None:
    route("POST", "/v1/refunds", create_refund)
    route("GET", "/v1/refunds", list_refunds)
    route("GET", "/v1/refunds/{id}", retrieve_refund)
    route("POST", "/v1/refunds/{id}", update_refund)
    route("POST", "/v1/charges/{id}/refunds", create_refund)
    route("POST", "/v1/charges/{id}/refund", create_refund)
    route("POST", "/_config/refunds/{id}/status", control_status)
