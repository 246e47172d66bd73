"""What the refund and cancellation e-mails say (SPEC R-REF-8, R-CAN-1, R-MSG-1/2 `orderRefund`,
`orderCanceled`): subjects, which items one notice is about, and the template context. Pure.

One notice is about one `RefundPlan` — the items and fee groups of one refund with what each
gave back:
- a refund (`refunds/{rf_…}` record): its stored plan, exactly;
- a refund whose record cannot be read, or an explicit resend: the order's latest refund,
  rebuilt from the order (`latest_refund`): every item and fee group of one refund carries the
  same `refundedAt` (the refund's creation time, R-REF-3), so the newest `refundedAt` names it;
- a cancellation (`cn_…`, no money, R-CAN-1): the key is a hash of the items it cancelled, which
  cannot be turned back into ids, so the e-mail lists every item of the order that is cancelled
  and was not paid back (`cancellation`). For the buyer that is the useful list anyway: all of
  their order that no longer admits and returned nothing. A first cancellation lists exactly its
  items; a later one also repeats the earlier cancelled items.

Money is integer cents shown as `$x.xx`; the context holds plain values only (the template
engine escapes them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from shared.domain.models import Event, Order, Organization, Refund, User, Venue
from shared.domain.refund_rules import RefundPlan
from shared.domain.ticket_email import (
    format_date,
    line_items,
    money,
    order_totals,
    show_context,
    venue_timezone,
)

RefundTemplate = Literal["orderRefund", "orderCanceled"]
REFUND_TEMPLATES: tuple[RefundTemplate, ...] = ("orderRefund", "orderCanceled")

_HEADINGS: dict[RefundTemplate, str] = {
    "orderRefund": "Your refund is confirmed",
    "orderCanceled": "Your cancellation is confirmed",
}


def refund_template(refunded_amount: int) -> RefundTemplate:
    """R-REF-8: `orderCanceled` instead of `orderRefund` when nothing was paid back."""
    return "orderRefund" if refunded_amount > 0 else "orderCanceled"


def refund_subject(template: RefundTemplate, event: Event) -> str:
    name = " ".join(event.name.split())  # a line break in a header would end the header
    return f"[ORDER REFUNDED] {name}" if template == "orderRefund" else f"[ORDER CANCELED] {name}"


# --- which items one notice is about ---------------------------------------------------------------


def latest_refund(order: Order) -> RefundPlan | None:
    """The order's most recent refund, rebuilt from the refund markers on its items and fee
    groups (they share the refund's `refundedAt`); None when nothing was ever refunded."""
    marks: list[Refund] = [t.refund for t in order.tickets] + [u.refund for u in order.upgrades]
    marks += [order.processingFee.refund, order.promoterFee.refund]
    times = [m.refundedAt for m in marks if m.refunded and m.refundedAt is not None]
    if not times:
        return None
    at = max(times)

    def of(mark: Refund) -> bool:
        return mark.refunded and mark.refundedAt == at

    plan = RefundPlan(
        orderId=order.id,
        ticketAmounts={t.id: t.refund.refundedAmount for t in order.tickets if of(t.refund)},
        upgradeAmounts={u.id: u.refund.refundedAmount for u in order.upgrades if of(u.refund)},
        processingFeeAmount=(
            order.processingFee.refund.refundedAmount if of(order.processingFee.refund) else None
        ),
        promoterFeeAmount=order.promoterFee.refund.refundedAmount if of(order.promoterFee.refund) else None,
    )
    plan.refundReason = next((m.refundReason for m in marks if of(m) and m.refundReason), "")
    return plan


def cancellation(order: Order) -> RefundPlan:
    """Every cancelled item that gave no money back (cancelled, or refunded for $0), at $0."""
    return RefundPlan(
        orderId=order.id,
        ticketAmounts={
            t.id: 0 for t in order.tickets if t.state == "Canceled" and t.refund.refundedAmount == 0
        },
        upgradeAmounts={
            u.id: 0 for u in order.upgrades if u.state == "Canceled" and u.refund.refundedAmount == 0
        },
        refundReason=order.cancelReason,
    )


# --- content ---------------------------------------------------------------------------------------


@dataclass
class RefundLine:
    """`N x <name>` with what each gave back (a refund) or cost (a cancellation)."""

    quantity: int
    name: str
    amount: str
    details: list[str] = field(default_factory=list)


def refund_lines(
    order: Order, plan: RefundPlan, *, rsvp: bool, tz: str, show_price: bool
) -> list[RefundLine]:
    grouped: dict[tuple[str, str], RefundLine] = {}

    def add(name: str, cents: int, detail: list[str]) -> None:
        line = grouped.setdefault((name, money(cents)), RefundLine(0, name, money(cents)))
        line.quantity += 1
        line.details += [d for d in detail if d not in line.details]

    for ticket in order.tickets:
        if ticket.id in plan.ticketAmounts:
            if show_price:
                cents = int(ticket.values or "0") if rsvp and ticket.values.isdigit() else ticket.price
            else:
                cents = plan.ticketAmounts[ticket.id]
            days = [format_date(int(d), tz) if d.isdigit() else d for d in ticket.dayIds]
            add(ticket.name, cents, ([f"Seat {ticket.seat}"] if ticket.seat else []) + days)
    for upgrade in order.upgrades:
        if upgrade.id in plan.upgradeAmounts:
            add(upgrade.name, upgrade.price if show_price else plan.upgradeAmounts[upgrade.id], [])
    return list(grouped.values())


def refund_email_context(
    template: RefundTemplate,
    *,
    order: Order,
    plan: RefundPlan,
    event: Event,
    venue: Venue | None,
    org: Organization | None,
    buyer: User | None,
) -> dict[str, Any]:
    """Everything `orderRefund` / `orderCanceled` show: the show and brand (shared with the ticket
    e-mails), what this refund or cancellation covered, and the order's refund standing."""
    tz = venue_timezone(venue, event)
    rsvp = order.type == "RSVP" or event.processAs == "RSVP"
    canceled = template == "orderCanceled"
    lines = refund_lines(order, plan, rsvp=rsvp, tz=tz, show_price=canceled)
    still_valid = sum(t.state == "Active" for t in order.tickets) + sum(
        u.state == "Active" for u in order.upgrades
    )
    return {
        **show_context(event=event, venue=venue, org=org, buyer=buyer),
        "template": template,
        "subject": refund_subject(template, event),
        "heading": _HEADINGS[template],
        "refund": {
            "items": [asdict(line) for line in lines],
            "processing_fee": money(plan.processingFeeAmount) if plan.processingFeeAmount else "",
            "promoter_fee": money(plan.promoterFeeAmount) if plan.promoterFeeAmount else "",
            "amount": money(plan.total),
            "total_refunded": money(order.refundedAmount),
            "reason": plan.refundReason or (order.cancelReason if canceled else order.refundReason),
            "still_valid": still_valid,
        },
        "order": {
            "id": order.id,
            "items": [asdict(i) for i in line_items(order, rsvp, tz)],
            "rsvp": rsvp,
            **order_totals(order),
        },
        # Where the tickets are collected does not matter any more for what was refunded.
        "will_call": False,
        "delivery_type": event.ticketDeliveryType,
        "will_call_instructions": "",
    }
