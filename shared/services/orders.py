"""Order reads and the small order edits (SPEC 4.2/4.3, R-ORD-12, R-SCAN-6/7, D-11).

Who sees an order: its buyer (`order.userId` = caller) or SCANNER+ of the order's own org.
`orders` lists the context org's orders for its staff (or the orgs named in `query.orgId` where
the caller is SCANNER+); everyone else only ever sees their own orders. Firestore applies the
org/buyer scope, the event filter and the date range (indexes: shared.adapters.order_store);
the remaining criteria, including the buyer text search, are applied in memory (SPEC 2.8).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.domain.listing import contains_text, criterion, matches, paginate
from shared.domain.models import (
    Event,
    Order,
    OrderTicket,
    OrderUpgrade,
    Scan,
    User,
    UserProfile,
    newest_first,
)
from shared.domain.permissions import (
    BOX_OFFICE,
    SCANNER,
    Principal,
    require_level,
    require_owner_or_level,
    require_user,
)
from shared.domain.ports import Repository
from shared.domain.scan_rules import scan_counts
from shared.domain.validation import without_nones
from shared.errors import invalid, not_found

IN_QUERY_LIMIT = 30
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Criteria Firestore cannot apply: when any is given, every candidate is read and filtered here.
_MEMORY_CRITERIA = ("orderIds", "seasonIds", "venueIds", "artistIds", "userIds", "states", "types",
                    "userQuery", "hidden")  # fmt: skip


class OrderQueries(Protocol):
    def by_id_or_secret(self, key: str) -> Order | None: ...

    def find_orders(
        self,
        *,
        org_ids: Sequence[str] = (),
        user_id: str = "",
        event_ids: Sequence[str] = (),
        created_from: int | None = None,
        created_to: int | None = None,
        limit: int | None = None,
    ) -> list[Order]: ...

    def order_pages(
        self,
        *,
        org_ids: Sequence[str],
        event_ids: Sequence[str] = (),
        created_from: int | None = None,
        created_to: int | None = None,
        page_size: int = 300,
    ) -> Iterator[list[Order]]: ...

    def active_items(self, event_id: str) -> tuple[list[OrderTicket], list[OrderUpgrade]]: ...

    def modify(self, order_id: str, change: Callable[[Order], tuple[Order, None]]) -> tuple[Order, None]: ...


class OrdersCatalog(Protocol):
    @property
    def events(self) -> Repository[Event]: ...

    @property
    def users(self) -> Repository[User]: ...

    @property
    def user_profiles(self) -> Repository[UserProfile]: ...


def _ids(value: Any) -> list[str]:
    return [str(v) for v in value or [] if v]


def _buyer_text(order: Order, user: User | None, profile: UserProfile | None) -> list[str]:
    # R-T3-5: an order is also found by the member ids its tickets carry.
    texts = [order.id, order.email, *(t.teiMemberId for t in order.tickets if t.teiMemberId)]
    for person in (user, profile):
        if person is not None:
            texts += [f"{person.firstName} {person.lastName}", person.email, person.phoneNumber]
    return texts


def listed(
    order: Order, query: Mapping[str, Any], user: User | None = None, profile: UserProfile | None = None
) -> bool:
    """Whether the order matches the query's criteria (OR when `any`, else AND; SPEC 2.8)."""
    q = query
    text = q.get("userQuery")
    return matches(
        [
            criterion(_ids(q.get("orderIds")), lambda: order.id in q["orderIds"]),
            criterion(_ids(q.get("eventIds")), lambda: order.eventId in q["eventIds"]),
            criterion(_ids(q.get("seasonIds")), lambda: order.seasonId in q["seasonIds"]),
            criterion(_ids(q.get("venueIds")), lambda: bool(set(order.venueIds) & set(q["venueIds"]))),
            criterion(_ids(q.get("artistIds")), lambda: bool(set(order.artistIds) & set(q["artistIds"]))),
            criterion(_ids(q.get("userIds")), lambda: order.userId in q["userIds"]),
            criterion(_ids(q.get("states")), lambda: order.state in q["states"]),
            criterion(_ids(q.get("types")), lambda: order.type in q["types"]),
            criterion(q.get("startDate"), lambda: order.createdAt >= int(q["startDate"])),
            criterion(q.get("endDate"), lambda: order.createdAt <= int(q["endDate"])),
            criterion(q.get("hidden"), lambda: order.hidden == bool(q["hidden"])),
            criterion(
                (text or "").strip(),
                lambda: any(contains_text(t, text) for t in _buyer_text(order, user, profile)),
            ),
        ],
        bool(q.get("any")),
    )


def newest_first_unique(orders: Iterable[Order]) -> list[Order]:
    """Orders found by several queries, each once, newest first."""
    return newest_first({o.id: o for o in orders}.values())


def _check_email(value: Any, field: str, *, required: bool) -> str:
    email = str(value or "").strip()
    if (required or email) and not _EMAIL.match(email):
        raise invalid("Enter a valid e-mail address.", field)
    return email


def adjusted_slots(
    ticket: OrderTicket, scans: Sequence[Mapping[str, Any] | None], caller_id: str, now: int
) -> list[Scan]:
    """R-ORD-12 "adjust check-in": one entry per existing slot; the slot's day stays the order's."""
    if len(scans) != len(ticket.scan):
        raise invalid(f"This ticket has {len(ticket.scan)} check-in slot(s).", "params.scan")
    slots: list[Scan] = []
    for old, given in zip(ticket.scan, scans, strict=True):
        entry = dict(given or {})
        if not entry.get("scanned"):
            slots.append(Scan(startsAt=old.startsAt))
            continue
        slots.append(
            Scan(
                scanned=True,
                scannedAt=int(entry.get("scannedAt") or (old.scannedAt if old.scanned else 0) or now),
                scannedBy=str(entry.get("scannedBy") or (old.scannedBy if old.scanned else "") or caller_id),
                startsAt=old.startsAt,
            )
        )
    return slots


@dataclass(frozen=True)
class _Pushdown:
    """Which criteria of an order query Firestore applies itself (the rest are filtered here)."""

    created_from: int | None
    created_to: int | None
    event_ids: list[str]
    in_memory_only: bool

    def limit(self, wanted: int | None) -> int | None:
        # A Firestore limit is only safe when no candidate can still be dropped in memory.
        return None if self.in_memory_only else wanted


def _pushdown(q: Mapping[str, Any], org_count: int) -> _Pushdown:
    and_mode = not q.get("any")
    event_ids = _ids(q.get("eventIds"))
    push_events = and_mode and org_count == 1 and 0 < len(event_ids) <= IN_QUERY_LIMIT
    in_memory_only = any(criterion(q.get(k), lambda: True) for k in _MEMORY_CRITERIA)
    in_memory_only |= bool(event_ids) and not push_events
    in_memory_only |= not and_mode
    return _Pushdown(
        created_from=q.get("startDate") if and_mode else None,
        created_to=q.get("endDate") if and_mode else None,
        event_ids=event_ids if push_events else [],
        in_memory_only=in_memory_only,
    )


class OrderService:
    def __init__(
        self,
        catalog: OrdersCatalog,
        orders: OrderQueries,
        live_events: Callable[[list[Event]], list[Event]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        self.orders = orders
        self.live_events = live_events
        self.clock = clock

    # --- reads -----------------------------------------------------------------------------

    def _find(self, principal: Principal | None, order_id: str | None) -> tuple[Principal, Order]:
        caller = require_user(principal)
        order = self.orders.by_id_or_secret(order_id or "")
        if order is None:
            raise not_found("Order")
        return caller, order

    def order(self, principal: Principal | None, order_id: str | None) -> Order:
        """By `_id` or `secretId`; the buyer or SCANNER+ of the order's org (D-11)."""
        caller, order = self._find(principal, order_id)
        require_owner_or_level(caller, order.userId, SCANNER, order.orgId)
        return order

    def orders_list(
        self,
        principal: Principal | None,
        query: Mapping[str, Any] | None,
        pagination: Mapping[str, Any] | None,
    ) -> list[Order]:
        caller = require_user(principal)
        q = without_nones(query)
        requested = list(dict.fromkeys(_ids(q.get("orgId"))))
        if requested:
            staff_orgs = [o for o in requested if caller.level_in(o) >= SCANNER]
            own_orgs: list[str] | None = [o for o in requested if o not in staff_orgs]
        else:
            context = caller.org_context_id
            staff_orgs = [context] if context and caller.level_in(context) >= SCANNER else []
            own_orgs = None if not staff_orgs else []
        if staff_orgs:
            caller.ensure_not_revoked()

        limit = None
        if pagination and pagination.get("pageSize"):
            limit = int(pagination["pageSize"]) * max(1, int(pagination.get("pageNumber") or 1))
        candidates = self._org_candidates(q, staff_orgs, limit)
        if own_orgs is None or own_orgs:
            plan = _pushdown(q, len(staff_orgs))
            mine = self.orders.find_orders(
                user_id=caller.user_id,
                created_from=plan.created_from,
                created_to=plan.created_to,
                limit=plan.limit(limit) if own_orgs is None else None,
            )
            candidates += [o for o in mine if own_orgs is None or o.orgId in own_orgs]
        found = self._matching(candidates, q)
        return paginate(newest_first_unique(found), pagination)

    def matching_org_orders(
        self, org_id: str, query: Mapping[str, Any] | None, limit: int | None = None
    ) -> list[Order]:
        """The org's orders matching `query` with the `orders` criteria, newest first (reports).
        `query.orgId` is not read and nothing is authorized here: the caller has checked its
        level in `org_id`. `limit` caps what Firestore returns when it applies every criterion
        itself; with in-memory criteria every candidate is read, as for `orders`."""
        q = without_nones(query)
        return newest_first_unique(self._matching(self._org_candidates(q, [org_id], limit), q))

    def matching_org_order_pages(
        self, org_id: str, query: Mapping[str, Any] | None, page_size: int = 300
    ) -> Iterator[list[Order]]:
        """matching_org_orders a Firestore page at a time, newest first (background reports: the
        whole org's orders are never held at once). Criteria Firestore cannot apply are applied
        to each page."""
        q = without_nones(query)
        plan = _pushdown(q, 1)
        pages = self.orders.order_pages(
            org_ids=[org_id], event_ids=plan.event_ids, created_from=plan.created_from,
            created_to=plan.created_to, page_size=page_size,
        )  # fmt: skip
        for page in pages:
            matching = self._matching(page, q)
            if matching:
                yield matching

    def _org_candidates(self, q: Mapping[str, Any], org_ids: list[str], limit: int | None) -> list[Order]:
        """Orders of `org_ids` with the criteria Firestore applies itself (30 orgs per query)."""
        plan = _pushdown(q, len(org_ids))
        candidates: list[Order] = []
        for start in range(0, len(org_ids), IN_QUERY_LIMIT):
            candidates += self.orders.find_orders(
                org_ids=org_ids[start : start + IN_QUERY_LIMIT],
                event_ids=plan.event_ids,
                created_from=plan.created_from,
                created_to=plan.created_to,
                limit=plan.limit(limit),
            )
        return candidates

    def _matching(self, candidates: list[Order], q: Mapping[str, Any]) -> list[Order]:
        """The candidates that pass every criterion; buyers are read (batched) only for a text search."""
        users: dict[str, User] = {}
        profiles: dict[str, UserProfile] = {}
        if (q.get("userQuery") or "").strip():
            buyer_ids = list(dict.fromkeys(o.userId for o in candidates if o.userId))
            users = self.catalog.users.get_many(buyer_ids)  # one batched read each
            profiles = self.catalog.user_profiles.get_many(buyer_ids)
        return [o for o in candidates if listed(o, q, users.get(o.userId), profiles.get(o.userId))]

    def order_details(self, principal: Principal | None, event_id: str | None) -> dict[str, Any]:
        """R-SCAN-6 for SCANNER+ of the event's org: items of Active orders sold / scanned."""
        caller = require_user(principal)
        event = self.catalog.events.get(event_id or "")
        if event is None:
            raise not_found("Event")
        require_level(caller, SCANNER, event.orgId)
        tickets, upgrades = self.orders.active_items(event.id)
        sold, scanned = scan_counts(tickets, upgrades)
        return {
            "eventId": event.id,
            "ticketSold": sold,
            "ticketScanned": scanned,
            "ticketUnscanned": sold - scanned,
        }

    def events_by_id(self, event_ids: list[str]) -> dict[str, Event]:
        """The Order.event loader: live events, one batched read."""
        found = list(self.catalog.events.get_many(event_ids).values())
        return {e.id: e for e in self.live_events(found)}

    # --- edits -----------------------------------------------------------------------------

    def update_order(self, principal: Principal | None, params: Mapping[str, Any] | None) -> Order:
        """R-ORD-12: BOX_OFFICE+ of the order's org replaces one ticket's scan slots and/or the
        delivery e-mail. Written as a compare-and-set, so it never clobbers a concurrent scan."""
        p = dict(params or {})
        caller, order = self._find(principal, p.get("orderId"))
        require_level(caller, BOX_OFFICE, order.orgId)
        ticket_id = str(p.get("ticketId") or "")
        scans = p.get("scan")
        if scans is not None and not ticket_id:
            raise invalid("Choose the ticket to adjust.", "params.ticketId")
        email = (
            _check_email(p["email"], "params.email", required=False) if p.get("email") is not None else None
        )
        now = int(self.clock())

        def change(current: Order) -> tuple[Order, None]:
            update: dict[str, Any] = {}
            if ticket_id:
                ticket = next((t for t in current.tickets if t.id == ticket_id), None)
                if ticket is None:
                    raise invalid("That ticket is not part of this order.", "params.ticketId")
                if scans is not None:
                    slots = adjusted_slots(ticket, scans, caller.user_id, now)
                    adjusted = ticket.model_copy(update={"scan": slots})
                    update["tickets"] = [adjusted if t.id == ticket_id else t for t in current.tickets]
            if email is not None:
                update["email"] = email
            return current.model_copy(update=update), None

        return self.orders.modify(order.id, change)[0]

    def update_guest_order(self, principal: Principal | None, params: Mapping[str, Any] | None) -> Order:
        """R-ORD-12: the delivery e-mail of an order; its buyer or BOX_OFFICE+ of its org."""
        p = dict(params or {})
        caller, order = self._find(principal, p.get("orderId"))
        require_owner_or_level(caller, order.userId, BOX_OFFICE, order.orgId)
        email = _check_email(p.get("email"), "params.email", required=True)
        return self.orders.modify(
            order.id, lambda current: (current.model_copy(update={"email": email}), None)
        )[0]
