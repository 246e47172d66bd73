"""Which QR codes an order gets issued (SPEC R-QR-1/2 delivery, R-QR-8 break-apart).

Codes are derived, not stored: an item's code is the signature over (event, order secretId,
kind, item id), so "issuing" means making sure the secretId exists and storing the item's image
and URL (`qrCodeUrl`). Only Active tickets and upgrades get codes; refunded and cancelled items
keep whatever they had and are never touched.

Delivery re-issues every live code (its URLs are re-signed for each send). Break-apart printing
issues only what is missing, so asking twice writes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.domain.models import Order
from shared.errors import invalid

MAX_BATCH = 50  # orders per multipleBreakApartOrder / batchPrintBreakApartOrder call


@dataclass(frozen=True)
class CodePlan:
    order_code: bool  # (re)issue the whole-order code and `order.qrCodeUrl`
    ticket_ids: tuple[str, ...] = ()
    upgrade_ids: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.order_code or self.ticket_ids or self.upgrade_ids)


def all_codes(order: Order) -> CodePlan:
    """Delivery: the order's code and one per Active ticket and upgrade."""
    return CodePlan(
        order_code=True,
        ticket_ids=tuple(t.id for t in order.tickets if t.state == "Active"),
        upgrade_ids=tuple(u.id for u in order.upgrades if u.state == "Active"),
    )


def missing_codes(order: Order) -> CodePlan:
    """Break-apart: the codes of Active items that have no image URL yet, and the order's own
    code if it has none. An order without a secretId has no valid code anywhere: everything
    live is missing. An order with nothing live gets nothing."""
    if not order.has_live_items():
        return CodePlan(order_code=False)
    if not order.secretId:
        return all_codes(order)
    return CodePlan(
        order_code=not order.qrCodeUrl,
        ticket_ids=tuple(t.id for t in order.tickets if t.state == "Active" and not t.qrCodeUrl),
        upgrade_ids=tuple(u.id for u in order.upgrades if u.state == "Active" and not u.qrCodeUrl),
    )


def batch_keys(order_ids: Sequence[str | None] | None) -> list[str]:
    """The order ids (or secretIds) of a batch call, each once, in the order given."""
    keys = list(dict.fromkeys(k.strip() for k in order_ids or [] if k and k.strip()))
    if not keys:
        raise invalid("Choose at least one order.", "orderId")
    if len(keys) > MAX_BATCH:
        raise invalid(f"Choose at most {MAX_BATCH} orders at a time.", "orderId")
    return keys
