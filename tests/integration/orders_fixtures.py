"""Orders and events for the order-read and scanning tests, written straight to Firestore (the
checkout that creates real orders is tested on its own)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.bootstrap import services
from shared.domain import ticket_codes
from shared.domain.models import Event, Order, Venue, new_id

DAY = 86_400


def now() -> int:
    return int(time.time())


def local_noon(days_from_today: int, tz: str) -> int:
    """Noon of today ± n days in `tz` (a slot whose date is unambiguous in that zone)."""
    today = datetime.now(ZoneInfo(tz)).date() + timedelta(days=days_from_today)
    return int(datetime(today.year, today.month, today.day, 12, tzinfo=ZoneInfo(tz)).timestamp())


def make_event(org_id: str, *, name: str = "Show", timezone: str = "America/Denver") -> Event:
    store = services().store
    venue = store.venues.create(
        Venue.model_validate(
            {
                "orgId": org_id,
                "name": f"{name} Hall",
                "createdAt": now(),
                "createdBy": "t",
                "address": {"city": "X", "timezone": timezone},
            }
        )
    )
    event = Event.model_validate(
        {
            "orgId": org_id,
            "createdAt": now(),
            "name": name,
            "venueId": venue.id,
            "schedule": {"startsAt": local_noon(0, timezone)},
        }
    )
    return store.events.create(event)


def ticket(name: str = "GA", *, slots: list[int] | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "_id": new_id(),
        "name": name,
        "ticketTypeId": "tt",
        "ticketTierId": "tier",
        "price": 2500,
        "origionalPrice": 2500,
        "scan": [{"startsAt": s} for s in (slots or [0])],
        "dayIds": [str(s) for s in slots or []],
        **fields,
    }


def upgrade(name: str = "Parking", **fields: Any) -> dict[str, Any]:
    return {"_id": new_id(), "name": name, "upgradeId": "up", "price": 500, **fields}


def make_order(event: Event, *, user_id: str = "", created_at: int | None = None, **fields: Any) -> Order:
    data: dict[str, Any] = {
        "orgId": event.orgId,
        "eventId": event.id,
        "eventName": event.name,
        "userId": user_id,
        "createdAt": created_at if created_at is not None else now(),
        "createdBy": user_id or "clerk",
        "secretId": ticket_codes.new_secret_id(),
        "venueIds": [event.venueId],
        "tickets": [ticket()],
        "upgrades": [],
        **fields,
    }
    return services().store.orders.create(Order.model_validate(data))


def signer() -> ticket_codes.TicketSigner:
    secret = services().settings.ticket_signing_key.get_secret_value()
    return ticket_codes.TicketSigner(ticket_codes.private_key_from_setting(secret))


def code_for(order: Order, kind: ticket_codes.ItemKind = "order", item_id: str = "") -> str:
    return signer().payload(ticket_codes.TicketIdentity(order.eventId, order.secretId, kind, item_id))


def stored_order(order_id: str) -> Order:
    """The order as Firestore holds it now (it must exist)."""
    order = services().store.orders.get(order_id)
    assert order is not None
    return order
