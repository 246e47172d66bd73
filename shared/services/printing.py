"""Break-apart printing for the box office (SPEC R-QR-8): every Active ticket and upgrade of an
order gets its own QR code, so each can be printed and scanned on its own.

The codes are the delivery's (shared.services.delivery `issue_codes`: signed payloads, PNGs in
the private tickets bucket, signed URLs); this service only decides who may ask and which codes
are missing (shared.domain.qr_plans). Asking again issues nothing new: existing codes, URLs and
the secretId stay as they are. Refunded and cancelled items are never touched.

A batch is checked whole before anything is issued: one unknown order, one order of another org
or one order without its event refuses the call and leaves every order as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from shared.domain import season_orders
from shared.domain.models import Event, Order
from shared.domain.permissions import BOX_OFFICE, Principal, require_level, require_user
from shared.domain.ports import Repository
from shared.domain.qr_plans import CodePlan, batch_keys, missing_codes
from shared.errors import not_found


class PrintOrders(Protocol):
    def by_id_or_secret(self, key: str) -> Order | None: ...

    def season_children(self, parent_id: str) -> list[Order]: ...


class PrintRecords(Protocol):
    def mark_printed(self, order_id: str) -> None: ...


IssueCodes = Callable[[Order, Event, CodePlan], Order]


@dataclass
class BreakApartService:
    orders: PrintOrders
    events: Repository[Event]
    issue_codes: IssueCodes
    records: PrintRecords

    def break_apart(self, principal: Principal | None, order_id: str) -> Order:
        """breakApartOrder: the order, with a code for each Active ticket and upgrade."""
        return self.break_apart_many(principal, [order_id])[0]

    def break_apart_many(
        self, principal: Principal | None, order_ids: Sequence[str | None] | None, *, printed: bool = False
    ) -> list[Order]:
        """multipleBreakApartOrder, and batchPrintBreakApartOrder with `printed=True` (which also
        marks every order that has something live as printed). BOX_OFFICE of each order's org.
        Returns one order per distinct order, in the order asked."""
        caller = require_user(principal)  # anonymous callers learn nothing about which ids exist
        batch = self._checked_batch(caller, batch_keys(order_ids))
        result = []
        for stored, event in batch:
            order = self.issue_codes(stored, event, missing_codes(stored))
            if printed and not order.printed and order.has_live_items():
                self.records.mark_printed(order.id)
                order = order.model_copy(update={"printed": True})
            result.append(order)
        return result

    def break_apart_seasons(
        self, principal: Principal | None, order_ids: Sequence[str | None] | None
    ) -> list[Order]:
        """breakApartSeasonOrder / multipleBreakApartSeasonOrder (R-QR-8, R-T3-2): the hidden child
        orders of each season order (what door staff scan), each with its per-item codes, parent
        by parent in the order asked. BOX_OFFICE of each season order's org; the whole batch is
        checked before any code is issued."""
        caller = require_user(principal)
        children: list[str] = []
        for key in batch_keys(order_ids):
            parent = self.orders.by_id_or_secret(key)
            if parent is None or not season_orders.is_season_parent(parent):
                raise not_found("Season order")
            require_level(caller, BOX_OFFICE, parent.orgId)
            children += [c.id for c in self.orders.season_children(parent.id)]
        return self.break_apart_many(caller, children) if children else []

    def _checked_batch(self, caller: Principal, keys: list[str]) -> list[tuple[Order, Event]]:
        """Every order of the batch (each once, whether named by `_id` or `secretId`) with its
        event, once the caller is proven BOX_OFFICE in each order's org. Changes nothing."""
        orders: dict[str, Order] = {}
        for key in keys:
            order = self.orders.by_id_or_secret(key)
            if order is None:
                raise not_found("Order")
            require_level(caller, BOX_OFFICE, order.orgId)
            orders.setdefault(order.id, order)
        events = self.events.get_many(o.eventId for o in orders.values() if o.eventId)
        batch = []
        for order in orders.values():
            event = events.get(order.eventId)
            if event is None:
                raise not_found("Event")
            batch.append((order, event))
        return batch
