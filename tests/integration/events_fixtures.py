"""Shared builders for the event tests: an org with a venue, fees and artists written straight to
Firestore, and a full EventInput (2 ticket types × 2 tiers, an upgrade, a promotion)."""

from __future__ import annotations

import time
from typing import Any

from shared.bootstrap import services
from shared.domain.models import Artist, Event, Fee, Order, Venue

DAY = 86_400

EVENT_FIELDS = """
  _id orgId name published active createdAt stub
  schedule { announceAt ticketsAt ticketsEndAt startsAt endsAt }
  performances { _id name headliningArtistIds openingArtistIds schedule { doorsAt startsAt endsAt } }
  ticketTypes { _id name totalQty remainingQty purchaseLimit performanceIds
                tiers { _id name price startsAt endsAt totalQty remainingQty } }
  upgrades { _id name price totalQty remainingQty ticketTypeIds }
  promotions { _id code type totalQty remainingQty ticketTypeIds discountType discountValue
               appliesTo active startsAt endsAt useLimit }
  holds { _id name ticketType ticketTypeId qty totalReleased }
  fees { _id name eventId value }
"""
CREATE_EVENT = f"mutation($e: EventInput!) {{ createEvent(event: $e) {{ {EVENT_FIELDS} }} }}"
UPDATE_EVENT = f"mutation($e: EventInput!) {{ updateEvent(event: $e) {{ {EVENT_FIELDS} }} }}"
GET_EVENT = f"query($id: String) {{ event(eventId: $id) {{ {EVENT_FIELDS} }} }}"


def now() -> int:
    return int(time.time())


def make_venue(org_id: str, timezone: str = "America/Denver") -> Venue:
    venue = Venue.model_validate(
        {
            "orgId": org_id,
            "name": "The Fillmore",
            "createdAt": now(),
            "createdBy": "t",
            "address": {"city": "Denver", "timezone": timezone},
        }
    )
    return services().store.venues.create(venue)


def make_artist(org_id: str, name: str = "Band") -> Artist:
    return services().store.artists.create(Artist(orgId=org_id, name=name, createdAt=now(), createdBy="t"))


def make_fee(org_id: str, name: str, *, disabled: bool = False, **fields: Any) -> Fee:
    fee = Fee.model_validate(
        {
            "name": name,
            "orgId": org_id,
            "type": "Flat",
            "value": 100,
            "appliedTo": "Ticket",
            "appliedBy": "Organization",
            "createdBy": "t",
            "createdAt": now(),
            "updatedBy": "t",
            "updatedAt": now(),
            "disabled": disabled,
            **fields,
        }
    )
    return services().store.fees.save(fee)


def make_order(event_id: str, org_id: str, state: str = "Active", **fields: Any) -> Order:
    order = Order.model_validate(
        {
            "orgId": org_id,
            "eventId": event_id,
            "eventName": "x",
            "createdAt": now(),
            "createdBy": "t",
            "state": state,
            **fields,
        }
    )
    return services().store.orders.create(order)


def event_input(venue_id: str = "", artist_ids: list[str] | None = None, **over: Any) -> dict[str, Any]:
    t = now()
    show = t + 10 * DAY
    data: dict[str, Any] = {
        "name": "Spring Show",
        "description": "<p>Live</p>",
        "posterImageUrl": "https://example.com/p.png",
        "venueId": venue_id,
        "type": "Concert",
        "schedule": {
            "announceAt": t - DAY,
            "ticketsAt": t - DAY,
            "ticketsEndAt": show,
            "startsAt": show,
            "endsAt": show + 3 * 3600,
        },
        "performances": [
            {
                "name": "Main",
                "headliningArtistIds": (artist_ids or [])[:1],
                "openingArtistIds": (artist_ids or [])[1:],
                "schedule": [{"doorsAt": show - 3600, "startsAt": show, "endsAt": show + 3 * 3600}],
            }
        ],
        "ticketTypes": [
            {
                "name": "GA",
                "totalQty": 100,
                "purchaseLimit": 8,
                "remainingQty": 3,
                "tiers": [
                    {"name": "Early", "price": 2000, "startsAt": t - DAY, "endsAt": show, "totalQty": 40},
                    {"name": "Regular", "price": 2500, "startsAt": t - DAY, "endsAt": show, "totalQty": 60},
                ],
            },
            {
                "name": "VIP",
                "totalQty": 20,
                "purchaseLimit": 2,
                "tiers": [
                    {"name": "VIP 1", "price": 9000, "startsAt": t - DAY, "endsAt": show, "totalQty": 10},
                    {"name": "VIP 2", "price": 9900, "startsAt": t - DAY, "endsAt": show, "totalQty": 10},
                ],
            },
        ],
        "upgrades": [
            {
                "name": "Parking",
                "price": 1500,
                "totalQty": 50,
                "purchaseLimit": 2,
                "complimentary": False,
                "complimentaryWith": "Order",
                "complimentaryQty": 1,
                "visible": True,
                "rollFees": False,
            }
        ],
        "promotions": [
            {
                "code": "Spring10",
                "type": "Discount",
                "totalQty": 10,
                "active": True,
                "startsAt": t - DAY,
                "endsAt": t + DAY,
                "useLimit": 1,
                "discountType": "Percent",
                "discountValue": 10,
                "appliesTo": "Per Order",
            }
        ],
    }
    data.update(over)
    return data


def stored_event(event_id: str) -> Event:
    event = services().store.events.get(event_id)
    assert event is not None
    return event
