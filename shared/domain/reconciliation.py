# ruff: noqa: N815 - stored shapes keep camelCase field names (SPEC 2.1)
"""Daily reconciliation with Stripe: the rules that compare one UTC day of Stripe's charges and
refunds with our orders and refund records (the flow is in shared.services.reconciliation).

Stripe is the truth for money; our records are the truth for what was sold. Each disagreement
is one Mismatch, named by day, kind and the object at stake, so a rerun finds the same names:

- MISSING_ORDER: a captured charge that no order records (money taken, nothing sold).
- AMOUNT_DIFFERS: a charge captured or refunded another amount than its order says, or a
  refund of another amount than our record of it.
- UNKNOWN_REFUND: a refund Stripe made that we never recorded (e.g. made in the dashboard).
- ORDER_NOT_IN_STRIPE: a card order whose charge Stripe does not have, or never captured.
- REFUND_NOT_IN_STRIPE: a refund we recorded as done that Stripe does not have, or that failed.
- ACCOUNT_UNREADABLE: Stripe refuses us the account (access revoked): its day cannot be
  checked at all, which retrying will not change.

Only settled states are compared: an order with a refund in flight (`refundPending`) and a
refund record still `pending` are left to the refund flow, which settles them within minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from shared.domain.models import Identified, Order
from shared.domain.refund_rules import NO_CHARGE_METHODS, RefundRecord, paid_total
from shared.errors import invalid

MismatchKind = Literal[
    "MISSING_ORDER",
    "AMOUNT_DIFFERS",
    "UNKNOWN_REFUND",
    "ORDER_NOT_IN_STRIPE",
    "REFUND_NOT_IN_STRIPE",
    "ACCOUNT_UNREADABLE",
]
PLATFORM = "platform"  # the account label of the platform's own charges (no Stripe-Account)
DAY_SECONDS = 86_400
COUNTED_REFUND_STATUSES = ("pending", "succeeded", "requires_action")  # money is going back
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class AccountUnreadableError(Exception):
    """Stripe refuses to show this account to the platform (access revoked, account gone)."""


@dataclass(frozen=True)
class StripeCharge:
    id: str
    account: str  # "" = the platform
    amount: int
    amount_captured: int
    amount_refunded: int
    captured: bool
    status: str
    payment_intent: str
    created: int

    @property
    def took_money(self) -> bool:
        return self.captured and self.status == "succeeded"

    @property
    def refunded_after_capture(self) -> int:
        """Refunded out of what was captured: Stripe counts an authorisation's released rest
        (a partial capture) as refunded too, which no order of ours ever refunded."""
        return self.amount_refunded - (self.amount - self.amount_captured)


@dataclass(frozen=True)
class StripeRefund:
    id: str
    account: str
    amount: int
    status: str
    charge: str
    created: int
    our_refund_id: str  # metadata `refundId`: our record that asked for it

    @property
    def counts(self) -> bool:
        return self.status in COUNTED_REFUND_STATUSES


class Mismatch(Identified):
    """`reconciliationMismatches/{day}~{kind}~{object}`: one disagreement found on one day."""

    date: str
    kind: MismatchKind
    stripeAccount: str
    orgId: str = ""
    objectId: str
    orderId: str = ""
    refundId: str = ""
    ourAmount: int | None = None
    stripeAmount: int | None = None
    message: str
    foundAt: int = 0


def mismatch_id(day: str, kind: str, object_id: str) -> str:
    return f"{day}~{kind}~{object_id}"


def day_bounds(day: str) -> tuple[int, int]:
    """[start, end) of a UTC day "YYYY-MM-DD" in Unix seconds; INVALID_INPUT otherwise."""
    if not isinstance(day, str) or not _DAY.match(day):
        raise invalid("The date must be a day written YYYY-MM-DD.", "date")
    try:
        start = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        raise invalid("The date must be a day written YYYY-MM-DD.", "date") from None
    first = int(start.timestamp())
    return first, first + DAY_SECONDS


def previous_day(now: float) -> str:
    """The UTC day before `now`: the day a run just after midnight reconciles."""
    return (datetime.fromtimestamp(now, UTC) - timedelta(days=1)).date().isoformat()


def expects_charge(order: Order) -> bool:
    """The order was paid by card through Stripe, so a captured charge must back it. A season
    order's hidden children are paid through their parent's charge."""
    if order.parentSeasonOrderId or paid_total(order) <= 0:
        return False
    method = order.payments[0].paymentMethodType if order.payments else "None"
    has_stripe_id = bool(order.stripeChargeId or any(p.paymentIntentId for p in order.payments))
    return method not in NO_CHARGE_METHODS and has_stripe_id


def account_label(account: str) -> str:
    return account or PLATFORM


def _mismatch(day: str, kind: MismatchKind, account: str, object_id: str, message: str,
              **fields: object) -> Mismatch:  # fmt: skip
    return Mismatch.model_validate({
        "_id": mismatch_id(day, kind, object_id), "date": day, "kind": kind,
        "stripeAccount": account_label(account), "objectId": object_id, "message": message, **fields,
    })  # fmt: skip


def account_unreadable(day: str, account: str, orgs: list[str]) -> Mismatch:
    return _mismatch(
        day,
        "ACCOUNT_UNREADABLE",
        account,
        account_label(account),
        f"Stripe refused to show account {account_label(account)} (access revoked?); its day was "
        "not reconciled.",
        orgId=",".join(orgs),
    )


def check_charge(day: str, charge: StripeCharge, order: Order | None) -> list[Mismatch]:
    """A charge Stripe captured against the order that records it (None: no order does)."""
    if not charge.took_money:
        return []  # an authorisation released or never captured moved no money
    if order is None:
        return [
            _mismatch(
                day,
                "MISSING_ORDER",
                charge.account,
                charge.id,
                f"Stripe captured {charge.amount_captured} cents in charge {charge.id}; no order records it.",
                stripeAmount=charge.amount_captured,
            )
        ]
    return _compare_amounts(day, charge, order)


def check_order(day: str, account: str, order: Order, charge: StripeCharge | None) -> list[Mismatch]:
    """A card order against the charge Stripe has for it (None: Stripe has none)."""
    if charge is None or not charge.took_money:
        what = "has no charge" if charge is None else f"never captured charge {charge.id}"
        return [
            _mismatch(
                day,
                "ORDER_NOT_IN_STRIPE",
                account,
                order.id,
                f"Order {order.id} was paid {paid_total(order)} cents by card but Stripe {what}.",
                orgId=order.orgId,
                orderId=order.id,
                ourAmount=paid_total(order),
                stripeAmount=None if charge is None else charge.amount_captured,
            )
        ]
    return _compare_amounts(day, charge, order)


def _compare_amounts(day: str, charge: StripeCharge, order: Order) -> list[Mismatch]:
    paid = paid_total(order)
    if charge.amount_captured != paid:
        return [
            _mismatch(
                day,
                "AMOUNT_DIFFERS",
                charge.account,
                charge.id,
                f"Charge {charge.id} captured {charge.amount_captured} cents; order {order.id} paid {paid}.",
                orgId=order.orgId,
                orderId=order.id,
                ourAmount=paid,
                stripeAmount=charge.amount_captured,
            )
        ]
    if not order.refundPending and charge.refunded_after_capture != order.refundedAmount:
        return [
            _mismatch(
                day,
                "AMOUNT_DIFFERS",
                charge.account,
                charge.id,
                f"Charge {charge.id} has {charge.refunded_after_capture} cents refunded; order "
                f"{order.id} records {order.refundedAmount}.",
                orgId=order.orgId,
                orderId=order.id,
                ourAmount=order.refundedAmount,
                stripeAmount=charge.refunded_after_capture,
            )
        ]
    return []


def check_refund(day: str, refund: StripeRefund, record: RefundRecord | None) -> list[Mismatch]:
    """A refund Stripe made (of a captured charge) against our record of it (None: no record)."""
    if not refund.counts:
        return []  # failed or canceled: no money went back
    if record is None:
        return [
            _mismatch(
                day,
                "UNKNOWN_REFUND",
                refund.account,
                refund.id,
                f"Stripe refunded {refund.amount} cents of charge {refund.charge} in refund "
                f"{refund.id} and we have no record of it.",
                stripeAmount=refund.amount,
            )
        ]
    return _compare_refund(day, refund, record)


def check_record(day: str, record: RefundRecord, refund: StripeRefund | None) -> list[Mismatch]:
    """A refund we settled as done against what Stripe has for it (None: nothing)."""
    if record.state != "succeeded":
        return []
    if refund is None or not refund.counts:
        what = "has no such refund" if refund is None else f"shows refund {refund.id} {refund.status}"
        return [
            _mismatch(
                day,
                "REFUND_NOT_IN_STRIPE",
                record.stripeAccount,
                record.id,
                f"We refunded {record.amount} cents of order {record.orderId} (refund {record.id}) "
                f"but Stripe {what}.",
                orgId=record.orgId,
                orderId=record.orderId,
                refundId=record.id,
                ourAmount=record.amount,
                stripeAmount=None if refund is None else 0,
            )
        ]
    return _compare_refund(day, refund, record)


def _compare_refund(day: str, refund: StripeRefund, record: RefundRecord) -> list[Mismatch]:
    if record.state != "succeeded" or refund.amount == record.amount:
        return []  # a pending record is still being settled by the refund flow
    return [
        _mismatch(
            day,
            "AMOUNT_DIFFERS",
            refund.account,
            refund.id,
            f"Stripe refund {refund.id} is {refund.amount} cents; our refund {record.id} of order "
            f"{record.orderId} is {record.amount}.",
            orgId=record.orgId,
            orderId=record.orderId,
            refundId=record.id,
            ourAmount=record.amount,
            stripeAmount=refund.amount,
        )
    ]
