# ruff: noqa: N815 - stored shapes keep camelCase field names (SPEC 2.1)
"""Refund and cancellation amounts and states (SPEC 5.11 R-REF-2..7, R-CAN-1, R-RALL-1). Pure.

A refund is planned here as a `RefundPlan` (which items, how much each, which fee groups), stored
as the refund record *before* Stripe is called, and applied to the order (`apply_plan`) when the
refund is settled — by Stripe's answer or, if that answer was lost, by the webhook. Applying a
plan is idempotent per item: an item already refunded is never counted twice (D-19).

Amounts (integer cents):
- Item: its `price`; when the order used a `Per Order` discount, `price − ⌈price × discountAmount /
  Σ item prices⌉` (its pro-rated share of the discount, rounded in the buyer-neutral direction so
  the items of an order never add up to more than was paid for them).
- Fees come from the order's snapshot (R-FEE-9), never recomputed: `processingFee` = Σ amounts of
  fees applied by Sellout or Stripe, `promoterFee` = Σ amounts of Organization fees (incl. Sales
  tax). They are refundable only in the refund that leaves no item unrefunded (R-REF-4); a fee
  flag sent earlier is ignored, and a fee group already marked refunded is never refunded again.
- Never more than was paid: a plan whose total exceeds `Σ payments.amount − refundedAmount` is
  refused before anything is written or sent to Stripe.

Partial-refund policy for the platform's application fee (R-REF-7, D-4):
- Items refunded WITHOUT `processingFee`: the platform keeps its whole application fee; the Stripe
  refund is sent with `refund_application_fee=false` and the promoter's balance funds it.
- A refund WITH `processingFee` (possible only as the refund that completes the order): the whole
  application fee goes back — Stripe is asked with `refund_application_fee=true`, and whatever of
  the fee Stripe's proportional return left over is refunded explicitly on the application fee.
- No finer pro-rating (e.g. returning the fee share of each refunded ticket) until product decides.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import Field

from shared.domain.models import Identified, Model, Order, OrderState, Refund
from shared.errors import DomainError, ErrorCode

RefundState = Literal["pending", "succeeded", "failed"]
PROCESSING_APPLIED_BY = ("Sellout", "Stripe")
DEFAULT_REFUND_ALL_REASON = "Event Cancelled"
NO_CHARGE_METHODS = ("Cash", "Check", "None")


class RefundPlan(Model):
    """What one refund does: amounts per item id, and the fee groups it refunds."""

    orderId: str
    ticketAmounts: dict[str, int] = Field(default_factory=dict)
    upgradeAmounts: dict[str, int] = Field(default_factory=dict)
    processingFeeAmount: int | None = None  # None = not refunded by this plan
    promoterFeeAmount: int | None = None
    refundReason: str = ""

    @property
    def items_total(self) -> int:
        return sum(self.ticketAmounts.values()) + sum(self.upgradeAmounts.values())

    @property
    def total(self) -> int:
        return self.items_total + (self.processingFeeAmount or 0) + (self.promoterFeeAmount or 0)

    @property
    def refunds_processing_fee(self) -> bool:
        return self.processingFeeAmount is not None


class RefundRecord(Identified):
    """`refunds/{id}`: written before Stripe is called; settled once."""

    orderId: str
    orgId: str
    eventId: str = ""
    state: RefundState = "pending"
    plan: RefundPlan
    amount: int
    refundApplicationFee: bool = False
    stripeAccount: str = ""
    chargeId: str = ""
    paymentIntentId: str = ""
    stripeRefundId: str = ""
    # What was asked (refund_request): a client key reused for another request is refused.
    request: str = ""
    attempt: int = 0
    createdAt: int
    createdBy: str
    settledAt: int = 0
    settledBy: str = ""  # "api" or "webhook"
    failureReason: str = ""
    # A refund made outside Sellout (the Stripe dashboard), recorded from the webhook: money
    # tied to no item (README, Refunds).
    external: bool = False

    @property
    def idempotency_key(self) -> str:
        return f"{self.id}~{self.attempt}"


def refund_request(ticket_ids: Iterable[str], upgrade_ids: Iterable[str], pf: bool, mf: bool) -> str:
    """What a refund request asks for, spelled one way (sorted items and the two fee flags)."""
    return "|".join([",".join(sorted(ticket_ids)), ",".join(sorted(upgrade_ids)), f"{int(pf)}{int(mf)}"])


def refund_id(
    order_id: str,
    ticket_ids: Iterable[str],
    upgrade_ids: Iterable[str],
    pf: bool,
    mf: bool,
    *,
    client_key: str = "",
) -> str:
    """The same refund requested twice maps to the same record (and Stripe idempotency key): the
    same client key (Idempotency-Key) when one is sent, else the same items and fee flags."""
    if client_key:
        return "rf_" + hashlib.sha256(f"{order_id}|key|{client_key}".encode()).hexdigest()[:32]
    parts = [order_id, refund_request(ticket_ids, upgrade_ids, pf, mf)]
    return "rf_" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


class NothingToRefundError(DomainError):
    """The request names nothing that is not refunded yet (and no fee it may refund)."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.CONFLICT, "Nothing left to refund on this order.")


def already_refunded(order: Order, ticket_ids: Sequence[str], upgrade_ids: Sequence[str]) -> bool:
    """Every item the request names is refunded already (and it names at least one): asked
    again, it answers with the result that is there and moves nothing."""
    named = set(ticket_ids) | set(upgrade_ids)
    refunded = {t.id for t in order.tickets if t.refund.refunded} | {
        u.id for u in order.upgrades if u.refund.refunded
    }
    return bool(named) and named <= refunded


def check_requested_amount(order: Order, requested: int | None) -> None:
    """`refundAmount` (R-REF-1): the amount refunded is always derived from the items, but a
    client asking for more than is left is told so, not silently given less."""
    if requested is None:
        return
    if requested < 0:
        raise DomainError(ErrorCode.INVALID_INPUT, "refundAmount cannot be negative.", ["refundAmount"])
    if requested > remaining_refundable(order):
        raise DomainError(
            ErrorCode.REFUSED,
            f"refundAmount ({requested} cents) is more than what is left to refund on this order "
            f"({remaining_refundable(order)} cents).",
        )


def cancel_id(order_id: str, item_ids: Iterable[str]) -> str:
    """Names one cancellation (the items it newly cancelled): its notice is sent once."""
    return "cn_" + hashlib.sha256("|".join([order_id, *sorted(item_ids)]).encode()).hexdigest()[:32]


def processing_fee_amount(order: Order) -> int:
    return sum(_amount(f.amount) for f in order.fees if f.appliedBy in PROCESSING_APPLIED_BY)


def promoter_fee_amount(order: Order) -> int:
    return sum(_amount(f.amount) for f in order.fees if f.appliedBy == "Organization")


def _amount(value: str | None) -> int:
    try:
        return round(float(value or 0))
    except ValueError:
        return 0


def paid_total(order: Order) -> int:
    return sum(p.amount for p in order.payments)


def remaining_refundable(order: Order) -> int:
    return max(0, paid_total(order) - order.refundedAmount)


def item_amounts(order: Order, per_order_discount: bool) -> dict[str, int]:
    """R-REF-2: what refunding each item (ticket or upgrade id) gives back."""
    items = [(t.id, t.price) for t in order.tickets] + [(u.id, u.price) for u in order.upgrades]
    prices_total = sum(price for _, price in items)
    amounts: dict[str, int] = {}
    for item_id, price in items:
        if per_order_discount and order.discountAmount and prices_total:
            share = math.ceil(price * order.discountAmount / prices_total)
            amounts[item_id] = max(0, price - share)
        else:
            amounts[item_id] = price
    return amounts


def _unknown(ids: Sequence[str], known: set[str], kind: str) -> None:
    missing = [i for i in ids if i not in known]
    if missing:
        raise DomainError(ErrorCode.NOT_FOUND, f"No such {kind} on this order: {', '.join(missing)}.")


def plan_refund(
    order: Order,
    ticket_ids: Sequence[str],
    upgrade_ids: Sequence[str],
    *,
    processing_fee: bool,
    promoter_fee: bool,
    reason: str,
    per_order_discount: bool,
) -> RefundPlan:
    """R-REF-1..4: refused for Refunded orders; skips refunded items; fees only when complete;
    refused (nothing changed) above what remains paid or when there is nothing to refund."""
    if order.state == "Refunded":
        raise DomainError(ErrorCode.CONFLICT, "This order has already been refunded.")
    _unknown(ticket_ids, {t.id for t in order.tickets}, "ticket")
    _unknown(upgrade_ids, {u.id for u in order.upgrades}, "upgrade")
    amounts = item_amounts(order, per_order_discount)
    tickets = {t.id: amounts[t.id] for t in order.tickets if t.id in ticket_ids and not t.refund.refunded}
    upgrades = {u.id: amounts[u.id] for u in order.upgrades if u.id in upgrade_ids and not u.refund.refunded}
    complete = all(t.refund.refunded or t.id in tickets for t in order.tickets) and all(
        u.refund.refunded or u.id in upgrades for u in order.upgrades
    )
    plan = RefundPlan(orderId=order.id, ticketAmounts=tickets, upgradeAmounts=upgrades, refundReason=reason)
    if complete and processing_fee and not order.processingFee.refund.refunded:
        plan.processingFeeAmount = processing_fee_amount(order)
    if complete and promoter_fee and not order.promoterFee.refund.refunded:
        plan.promoterFeeAmount = promoter_fee_amount(order)
    if not tickets and not upgrades and plan.processingFeeAmount is None and plan.promoterFeeAmount is None:
        raise NothingToRefundError
    if plan.total > remaining_refundable(order):
        raise DomainError(
            ErrorCode.REFUSED,
            f"The refund ({plan.total} cents) is more than what remains paid on this order "
            f"({remaining_refundable(order)} cents).",
        )
    return plan


def order_state_after(order: Order) -> OrderState:
    """R-REF-5: Refunded once every item and both fee groups are refunded, else Partial Refund."""
    items_done = all(t.refund.refunded for t in order.tickets) and all(
        u.refund.refunded for u in order.upgrades
    )
    if items_done and order.processingFee.refund.refunded and order.promoterFee.refund.refunded:
        return "Refunded"
    return "Partial Refund"


def apply_plan(order: Order, plan: RefundPlan, *, by: str, at: int) -> tuple[list[str], list[str]]:
    """Mark the plan's items and fees refunded on `order` (in place) and add the money; returns the
    ids of the tickets and upgrades that this application newly refunded (their stock goes back)."""
    new_tickets: list[str] = []
    new_upgrades: list[str] = []
    added = 0
    for ticket in order.tickets:
        amount = plan.ticketAmounts.get(ticket.id)
        if amount is not None and not ticket.refund.refunded:
            was_active = ticket.state == "Active"
            ticket.refund = _refund(amount, by, at, plan.refundReason)
            ticket.state = "Canceled"
            added += amount
            if was_active:
                new_tickets.append(ticket.id)
    for upgrade in order.upgrades:
        amount = plan.upgradeAmounts.get(upgrade.id)
        if amount is not None and not upgrade.refund.refunded:
            was_active = upgrade.state == "Active"
            upgrade.refund = _refund(amount, by, at, plan.refundReason)
            upgrade.state = "Canceled"
            added += amount
            if was_active:
                new_upgrades.append(upgrade.id)
    if plan.processingFeeAmount is not None and not order.processingFee.refund.refunded:
        order.processingFee.refund = _refund(plan.processingFeeAmount, by, at, plan.refundReason)
        added += plan.processingFeeAmount
    if plan.promoterFeeAmount is not None and not order.promoterFee.refund.refunded:
        order.promoterFee.refund = _refund(plan.promoterFeeAmount, by, at, plan.refundReason)
        added += plan.promoterFeeAmount
    order.refundedAmount += added
    if plan.refundReason:
        order.refundReason = plan.refundReason
    order.state = order_state_after(order)
    return new_tickets, new_upgrades


def apply_external_refund(order: Order, amount: int) -> tuple[list[str], list[str]]:
    """A refund made in the Stripe dashboard (`amount` cents, none of it tied to an item): it
    counts in `refundedAmount`, so no later refund can return more than was paid. Once nothing
    is left paid, the order's live items are cancelled (the buyer has every cent back) and their
    ids returned; before that the items stay as they are: staff decide what was returned."""
    order.refundedAmount += amount
    order.externalRefundedAmount += amount
    if remaining_refundable(order) > 0 or not order.has_live_items():
        return [], []
    return apply_cancel(order, [], [], reason="Refunded in the Stripe dashboard")


def apply_cancel(
    order: Order,
    ticket_ids: Sequence[str],
    upgrade_ids: Sequence[str],
    *,
    reason: str,
    keep_state: bool = False,
) -> tuple[list[str], list[str]]:
    """R-CAN-1 (and R-REF-9 with keep_state): cancel the given Active items, or every Active item
    when both lists are empty; no money. Returns the newly cancelled ticket and upgrade ids."""
    if order.state == "Canceled" and not keep_state:
        raise DomainError(ErrorCode.CONFLICT, "This order has already been canceled.")
    _unknown(ticket_ids, {t.id for t in order.tickets}, "ticket")
    _unknown(upgrade_ids, {u.id for u in order.upgrades}, "upgrade")
    everything = not ticket_ids and not upgrade_ids
    tickets = [t.id for t in order.tickets if t.state == "Active" and (everything or t.id in ticket_ids)]
    upgrades = [u.id for u in order.upgrades if u.state == "Active" and (everything or u.id in upgrade_ids)]
    for ticket in order.tickets:
        if ticket.id in tickets:
            ticket.state = "Canceled"
    for upgrade in order.upgrades:
        if upgrade.id in upgrades:
            upgrade.state = "Canceled"
    if not keep_state:
        order.cancelReason = reason
        if not order.has_live_items():
            order.state = "Canceled"
    return tickets, upgrades


def is_dead(order: Order) -> bool:
    """Fully Refunded or Canceled: the order's promotion uses go back (R-INV-5, D-20)."""
    return order.state in ("Refunded", "Canceled")


def _refund(amount: int, by: str, at: int, reason: str) -> Refund:
    return Refund(refunded=True, refundedAt=at, refundedBy=by, refundedAmount=amount, refundReason=reason)


def quote(orders: Iterable[Order]) -> tuple[int, int, int]:
    """R-RALL-1 quote: (refundCount, refundAmount, feeAmount) over the event's orders."""
    count = amount = fees = 0
    for order in orders:
        if order.state == "Active":
            count += 1
            amount += paid_total(order)
            fees += processing_fee_amount(order)
        elif order.state == "Partial Refund":
            rest = remaining_refundable(order)
            amount += rest
            if not order.processingFee.refund.refunded:
                fees += min(processing_fee_amount(order), rest)
    return count, amount, fees
