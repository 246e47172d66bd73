"""Season orders (SPEC R-T3-2): the hidden child orders a season order admits with, and how a
refund or cancellation of the season order reaches them. Pure.

A season order (the parent) is priced and paid like an event order, on the season's own ticket
types, fees and stock. It admits to every event of `season.eventIds` through one child order per
event: `type=Complimentary`, hidden, every price 0, no fees, `parentSeasonOrderId` = the parent.
Door staff scan the children; the buyer receives their codes.

Decisions:
- Every ticket and add-on of the parent is mapped to the event's ticket type (add-on) with the
  same name (compared without case and surrounding blanks). An event lacking one refuses the
  checkout before any stock is held or money moves: a season sold without a way into one of its
  events would be taken money for nothing. A deleted, cancelled or foreign event of the season
  refuses it likewise, until the promoter fixes the season.
- Children take no stock of their events: the season's own stock is what season holders buy,
  and a child that could sell out after the parent was paid would strand a paid buyer. The
  promoter sizes each event's single-ticket stock beside the season.
- Ids derive from the parent (child `c…` from parent + event, each item from the parent item +
  event), so the children built at reservation time, at a retry or in a test are the same
  records, and a parent item always finds its copies in every child.
- A child mirrors its parent: a parent item refunded or cancelled refunds (0 cents) or cancels
  its copies, and the child's state follows the parent's. Children carry no `seasonId`, so the
  season's sales are counted once, on the parent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TypeVar

from shared.domain.models import (
    Event,
    EventUpgrade,
    Order,
    OrderTicket,
    OrderUpgrade,
    Payment,
    Refund,
    Scan,
    Season,
    TicketType,
)
from shared.errors import DomainError, ErrorCode

N = TypeVar("N", TicketType, EventUpgrade)

CHILD_TYPE = "Complimentary"
# The children are written in their parent's batch, with its stock shards and code uses; a
# Firestore batch holds at most 500 writes.
MAX_EVENTS = 400
# A card checkout keeps the children in its reservation document until the payment completes;
# Firestore refuses a document over 1 MiB. Refused before any stock is held or money moves.
MAX_CHILDREN_BYTES = 800_000
TOO_LARGE = "This season order holds too many tickets for one purchase. Please buy fewer at a time."


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:22]


def child_order_id(parent_id: str, event_id: str) -> str:
    return "c" + _digest(parent_id, event_id)


def child_item_id(parent_item_id: str, event_id: str) -> str:
    return "i" + _digest(parent_item_id, event_id)


def _same_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def is_season_parent(order: Order) -> bool:
    return bool(order.seasonId) and not order.eventId and not order.parentSeasonOrderId


def season_events(season: Season, events: Mapping[str, Event]) -> list[Event]:
    """The season's events in its order, refused when one cannot admit anybody any more."""
    found = []
    for event_id in season.eventIds:
        event = events.get(event_id)
        if event is None or not event.active or event.orgId != season.orgId:
            raise DomainError(
                ErrorCode.CONFLICT,
                "One of this season's events is no longer available. Please contact the organizer.",
            )
        if event.cancel:
            raise DomainError(
                ErrorCode.CONFLICT, f"{event.name} has been cancelled. Please contact the organizer."
            )
        found.append(event)
    if not found:
        raise DomainError(ErrorCode.CONFLICT, "This season has no events yet.")
    if len(found) > MAX_EVENTS:
        raise DomainError(ErrorCode.CONFLICT, "This season lists too many events to be sold as one order.")
    return found


def _same_named(items: Sequence[N], name: str, refusal: str) -> N:
    """The event's item named like the season's (case and surrounding spaces aside), or a refusal
    before any money moves."""
    wanted = _same_name(name)
    found = next((item for item in items if _same_name(item.name) == wanted), None)
    if found is None:
        raise DomainError(ErrorCode.CONFLICT, refusal)
    return found


def _ticket_type(event: Event, name: str) -> TicketType:
    refusal = f'"{name}" season tickets cannot be sold: {event.name} has no "{name}" ticket. '
    return _same_named(event.ticketTypes, name, refusal + "Please contact the organizer.")


def _upgrade(event: Event, name: str) -> EventUpgrade:
    refusal = f'The "{name}" add-on cannot be sold with this season: {event.name} has no "{name}" add-on. '
    return _same_named(event.upgrades, name, refusal + "Please contact the organizer.")


def _slots(event: Event, day_ids: Sequence[str]) -> list[Scan]:
    """R-ORD-9 at the child's own event."""
    if day_ids:
        return [Scan(startsAt=int(d)) for d in day_ids if str(d).lstrip("-").isdigit()]
    return [Scan(startsAt=event.schedule.startsAt)]


def build_child(parent: Order, event: Event) -> Order:
    """The hidden, free order of `parent` at `event` (R-T3-2, R-ORD-9)."""
    payment = Payment(
        _id=child_item_id(parent.id + "~payment", event.id), amount=0, paymentMethodType="None",
        createdAt=parent.createdAt, createdBy=parent.createdBy,
    )  # fmt: skip
    tickets = []
    for ticket in parent.tickets:
        ticket_type = _ticket_type(event, ticket.name)
        tickets.append(
            OrderTicket(
                _id=child_item_id(ticket.id, event.id),
                name=ticket_type.name,
                ticketTypeId=ticket_type.id,
                ticketTierId=ticket_type.tiers[0].id,
                price=0,
                origionalPrice=0,
                paymentId=payment.id,
                seat=ticket.seat if event.seatingChartKey else "",
                scan=_slots(event, ticket_type.dayIds),
                values=ticket_type.values,
                description=ticket_type.description,
                dayIds=list(ticket_type.dayIds),
                teiMemberId=ticket.teiMemberId,
                guestTicket=ticket.guestTicket,
            )
        )
    upgrades = [
        OrderUpgrade(
            _id=child_item_id(item.id, event.id),
            name=(upgrade := _upgrade(event, item.name)).name,
            upgradeId=upgrade.id,
            price=0,
            paymentId=payment.id,
            description=upgrade.description,
        )
        for item in parent.upgrades
    ]
    return Order(
        _id=child_order_id(parent.id, event.id), orgId=parent.orgId, eventId=event.id, eventName=event.name,
        userId=parent.userId, email=parent.email, createdAt=parent.createdAt, createdBy=parent.createdBy,
        type=CHILD_TYPE, channel=parent.channel, tickets=tickets, upgrades=upgrades, payments=[payment],
        venueIds=[event.venueId] if event.venueId else [], artistIds=event.artist_ids(),
        ipAddress=parent.ipAddress, hidden=True, parentSeasonOrderId=parent.id,
    )  # fmt: skip


def build_children(parent: Order, season: Season, events: Mapping[str, Event]) -> list[Order]:
    """One child per event of the season, or a refusal naming what is missing (before money)."""
    children = [build_child(parent, event) for event in season_events(season, events)]
    if sum(len(json.dumps(child.doc())) for child in children) > MAX_CHILDREN_BYTES:
        raise DomainError(ErrorCode.LIMIT_EXCEEDED, TOO_LARGE, ["tickets"])
    return children


def mirror_parent(parent: Order, child: Order) -> tuple[list[str], list[str]]:
    """Bring `child` (in place) in line with its parent after a refund or cancellation of the
    parent: each parent item no longer Active cancels its copy (refunded for 0 cents when the
    parent item was refunded), and the child's state follows. Returns the child's newly
    cancelled ticket and upgrade ids. Idempotent: a second call changes nothing."""
    tickets: list[str] = []
    upgrades: list[str] = []
    copies: dict[str, tuple[str, Refund]] = {}
    parent_items: list[OrderTicket | OrderUpgrade] = [*parent.tickets, *parent.upgrades]
    for item in parent_items:
        if item.state != "Active":
            copies[child_item_id(item.id, child.eventId)] = (item.state, item.refund)
    for ticket in child.tickets:
        if ticket.id in copies and ticket.state == "Active":
            ticket.state = "Canceled"
            ticket.refund = _zero(copies[ticket.id][1])
            tickets.append(ticket.id)
    for upgrade in child.upgrades:
        if upgrade.id in copies and upgrade.state == "Active":
            upgrade.state = "Canceled"
            upgrade.refund = _zero(copies[upgrade.id][1])
            upgrades.append(upgrade.id)
    if tickets or upgrades:
        if parent.state in ("Refunded", "Canceled", "Partial Refund"):
            child.state = parent.state
        child.refundReason = parent.refundReason
        child.cancelReason = parent.cancelReason
    return tickets, upgrades


def _zero(refund: Refund) -> Refund:
    """The parent item's refund record, for 0 cents (the child was never paid for)."""
    return refund.model_copy(update={"refundedAmount": 0}) if refund.refunded else Refund()
