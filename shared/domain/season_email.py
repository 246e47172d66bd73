"""What the `seasonReceipt` e-mail says (SPEC R-MSG-2, R-T3-2): the season-ticket confirmation,
sent when a season order is created and again on `sendSeasonOrderReceiptEmail`.

It is a receipt: it lists the season's items and totals (from the parent order, which holds the
money) and the events the season admits to. The tickets themselves are the child orders' codes,
each delivered like an event order's at that event's own delivery time (shared.services.delivery),
so a code for a show months away is not sitting in an inbox from the day of purchase.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Literal

from shared.domain.delivery_schedule import delivery_time, first_day
from shared.domain.models import Event, Order, Organization, Season, User, Venue
from shared.domain.ticket_email import (
    format_date,
    format_time,
    line_items,
    order_totals,
    show_context,
    venue_timezone,
)

SeasonTemplate = Literal["seasonReceipt"]
TEMPLATE: SeasonTemplate = "seasonReceipt"
HEADING = "Your season tickets are confirmed"


def season_as_event(season: Season) -> Event:
    """The season in the shape the shared show partials read (name, poster, schedule, venue)."""
    return Event.model_validate(season.doc())


def subject(season: Season) -> str:
    return f"[TICKET ARRIVAL] {' '.join(season.name.split())} tickets"


def season_receipt_context(
    *,
    order: Order,
    season: Season,
    shows: Sequence[tuple[Event, Venue | None]],
    venue: Venue | None,
    org: Organization | None,
    buyer: User | None,
) -> dict[str, Any]:
    """Everything `seasonReceipt` shows: the season, what was bought, and each event with its
    date and when its tickets arrive (in that event's venue time zone)."""
    listing = season_as_event(season)
    tz = venue_timezone(venue, listing)
    rsvp = order.type == "RSVP" or season.processAs == "RSVP"
    events = []
    for event, event_venue in shows:
        event_tz = venue_timezone(event_venue, event)
        starts = first_day(event)[1]
        arrives = max(delivery_time(event, order.createdAt), order.createdAt)
        events.append(
            {
                "name": event.name,
                "date": format_date(starts, event_tz) if starts else "",
                "starts": format_time(starts, event_tz) if starts else "",
                "venue": event_venue.name if event_venue else "",
                "tickets_at": f"{format_date(arrives, event_tz)} at {format_time(arrives, event_tz)}",
            }
        )
    return {
        **show_context(event=listing, venue=venue, org=org, buyer=buyer),
        "template": TEMPLATE,
        "subject": subject(season),
        "heading": HEADING,
        "order": {
            "id": order.id,
            "items": [asdict(i) for i in line_items(order, rsvp, tz)],
            "rsvp": rsvp,
            **order_totals(order),
        },
        "events": events,
        "delivery_type": "Digital only",
        "will_call": False,
        "will_call_instructions": "",
    }
