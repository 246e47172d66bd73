"""Door-scan rules (SPEC R-SCAN-2..4, D-3): which slot of an item today's scan marks, and whether a
scan of an order may go ahead. Pure functions over the stored order; the service re-runs
`plan_scan` on a fresh copy after losing a race, so the loser sees "already scanned".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.domain.models import DEFAULT_TIMEZONE, Event, Order, OrderTicket, OrderUpgrade, Scan, Venue
from shared.errors import DomainError, ErrorCode

ALREADY_SCANNED = "Ticket already scanned."
NOT_VALID_TODAY = "This ticket is not valid today."
ORDER_REFUNDED = "This order has been refunded."
ORDER_CANCELED = "This order has been canceled."
ITEM_REFUNDED = "Ticket refunded."
ITEM_CANCELED = "Ticket canceled."
UNKNOWN_ITEM = "That ticket is not part of this order."
NOTHING_TO_ADMIT = "Nothing on this order can be admitted today."


def refused(message: str) -> DomainError:
    return DomainError(ErrorCode.CONFLICT, message)


def zone(name: str | None) -> ZoneInfo:
    """An IANA zone, falling back to America/Denver when it is missing or unknown (SPEC 2.3)."""
    try:
        return ZoneInfo((name or "").strip() or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def venue_zone(event: Event | None, venue: Venue | None) -> ZoneInfo:
    """The event's own location time zone, else its venue's address time zone, else Denver."""
    if event is not None and event.location is not None and event.location.timezone:
        return zone(event.location.timezone)
    if venue is not None and venue.address is not None and venue.address.timezone:
        return zone(venue.address.timezone)
    return zone(None)


def local_date(timestamp: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(timestamp, UTC).astimezone(tz).date().isoformat()


def today_slot(slots: Sequence[Scan], now: float, tz: ZoneInfo) -> int | None:
    """R-SCAN-3: a single slot is always the one (whatever the date); of several, the slot whose
    `startsAt` falls on today's date in the venue's zone; None when no slot is for today."""
    if len(slots) == 1:
        return 0
    today = local_date(now, tz)
    return next((i for i, s in enumerate(slots) if local_date(s.startsAt, tz) == today), None)


def _usable(item: OrderTicket | OrderUpgrade) -> None:
    if item.refund.refunded:
        raise refused(ITEM_REFUNDED)
    if item.state != "Active":
        raise refused(ITEM_CANCELED)


def check_order_state(order: Order) -> None:
    if order.state == "Refunded":
        raise refused(ORDER_REFUNDED)
    if order.state == "Canceled":
        raise refused(ORDER_CANCELED)


@dataclass(frozen=True)
class ScanPlan:
    order: Order  # the order with the new marks, to be written if unchanged since it was read
    admitted: list[str]  # ids of the tickets and upgrades marked


def _mark(scan: Scan, now: int, caller_id: str) -> Scan:
    return scan.model_copy(update={"scanned": True, "scannedAt": now, "scannedBy": caller_id})


def _marked(slots: list[Scan], *, now: float, tz: ZoneInfo, caller_id: str) -> list[Scan]:
    index = today_slot(slots, now, tz)
    if index is None:
        raise refused(NOT_VALID_TODAY)
    if slots[index].scanned:
        raise refused(ALREADY_SCANNED)
    marked = list(slots)
    marked[index] = _mark(slots[index], int(now), caller_id)
    return marked


def plan_scan(
    order: Order,
    ticket_ids: Sequence[str],
    upgrade_ids: Sequence[str],
    *,
    now: float,
    tz: ZoneInfo,
    caller_id: str,
    default_starts_at: int = 0,
) -> ScanPlan:
    """Mark the named items (R-SCAN-2..4), all or nothing. With no ids at all ("scan whole order")
    every Active item that has an unscanned slot today is marked, the others are skipped; if
    none is left, the call is refused (already scanned, or nothing valid today)."""
    check_order_state(order)
    whole_order = not ticket_ids and not upgrade_ids
    known = {("ticket", t.id) for t in order.tickets} | {("upgrade", u.id) for u in order.upgrades}
    wanted = {("ticket", i) for i in ticket_ids} | {("upgrade", i) for i in upgrade_ids}
    if wanted - known:
        raise DomainError(ErrorCode.NOT_FOUND, UNKNOWN_ITEM)
    items: list[tuple[tuple[str, str], OrderTicket | OrderUpgrade, list[Scan]]] = [
        (("ticket", t.id), t, list(t.scan) or [Scan(startsAt=default_starts_at)])  # legacy: no slot
        for t in order.tickets
    ]
    items += [(("upgrade", u.id), u, [u.scan]) for u in order.upgrades]

    marked: dict[tuple[str, str], list[Scan]] = {}
    skipped: list[str] = []
    for key, item, slots in items:
        if not whole_order and key not in wanted:
            continue
        try:
            _usable(item)
            marked[key] = _marked(slots, now=now, tz=tz, caller_id=caller_id)
        except DomainError as error:
            if not whole_order:
                raise
            skipped.append(error.message)
    if not marked:
        raise refused(ALREADY_SCANNED if ALREADY_SCANNED in skipped else NOTHING_TO_ADMIT)
    tickets = [
        t.model_copy(update={"scan": marked[("ticket", t.id)]}) if ("ticket", t.id) in marked else t
        for t in order.tickets
    ]
    upgrades = [
        u.model_copy(update={"scan": marked[("upgrade", u.id)][0]}) if ("upgrade", u.id) in marked else u
        for u in order.upgrades
    ]
    updated = order.model_copy(update={"tickets": tickets, "upgrades": upgrades})
    return ScanPlan(updated, [item_id for _, item_id in marked])


def scan_counts(tickets: Sequence[OrderTicket], upgrades: Sequence[OrderUpgrade]) -> tuple[int, int]:
    """R-SCAN-6 over the items of the event's Active orders: (items sold, items scanned). Only
    Active items count; a multi-day ticket counts as scanned once any of its days was scanned."""
    live_tickets = [t for t in tickets if t.state == "Active"]
    live_upgrades = [u for u in upgrades if u.state == "Active"]
    scanned = sum(1 for t in live_tickets if any(s.scanned for s in t.scan))
    scanned += sum(1 for u in live_upgrades if u.scan.scanned)
    return len(live_tickets) + len(live_upgrades), scanned
