"""Event availability for the portal and Webflow (SPEC R-EV-10). Pure.

A schedule time of 0 means "not set" (the stored default), as in the order-time sale-window
check (R-ORD-2): no announce date ⇒ announced, no sales start ⇒ started, no sales end ⇒ never
ends. Read literally, an unset `ticketsEndAt` would make an event "sale ended" forever.
A deleted (`active=false`) or cancelled event is unavailable too; R-EV-10 lists the schedule
reasons, R-ORD-1 refuses orders for such events anyway.
"""

from __future__ import annotations

from typing import TypedDict

from shared.domain.models import Event
from shared.domain.promotions import event_locked


class Availability(TypedDict):
    announced: bool
    on_sale: bool
    sale_ended: bool
    locked: bool
    available: bool


def event_availability(event: Event, now: int) -> Availability:
    """R-EV-10: announced = announceAt < now; on sale = ticketsAt < now < ticketsEndAt; sale ended
    = ticketsEndAt < now; locked = every ticket type behind an active Unlock code (R-PR-2);
    available = published, live, announced, on sale and not locked."""
    schedule = event.schedule
    announced = not schedule.announceAt or schedule.announceAt < now
    sale_ended = bool(schedule.ticketsEndAt) and schedule.ticketsEndAt < now
    started = not schedule.ticketsAt or schedule.ticketsAt < now
    on_sale = started and (not schedule.ticketsEndAt or now < schedule.ticketsEndAt)
    locked = event_locked(event, now)
    live = event.active and not event.cancel
    return {
        "announced": announced,
        "on_sale": on_sale,
        "sale_ended": sale_ended,
        "locked": locked,
        "available": event.published and live and announced and on_sale and not locked,
    }
