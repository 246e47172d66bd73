"""The iCalendar attachment of ticket e-mails (SPEC R-MSG-1): one VCALENDAR with one VEVENT
per event day, in the venue's time zone (with its VTIMEZONE), at the venue's address."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from shared.domain.models import Address, Event, Venue
from shared.domain.ticket_email import venue_timezone

ICS_FILENAME = "iCalendar.ics"
DEFAULT_LENGTH = 3 * 3600  # a day with no end time is shown as three hours


def event_day_windows(event: Event) -> list[tuple[int, int]]:
    """(start, end) of each event day: the first performance's days, else the event schedule."""
    for performance in event.performances:
        days = [(d.startsAt, d.endsAt) for d in performance.schedule if d.startsAt]
        if days:
            return [(start, end if end > start else start + DEFAULT_LENGTH) for start, end in days]
    start, end = event.schedule.startsAt, event.schedule.endsAt
    if event.isMultipleDays and end - start > 24 * 3600:
        # Multi-day events without per-day times: one entry per calendar day, same hours.
        return [
            (start + i * 86400, start + i * 86400 + DEFAULT_LENGTH) for i in range((end - start) // 86400 + 1)
        ]
    return [(start, end if end > start else start + DEFAULT_LENGTH)]


def format_address(venue: Venue | None, fallback: Address | None) -> str:
    address = venue.address if venue and venue.address.address1 else fallback
    parts = [venue.name if venue else ""]
    if address:
        parts += [address.address1, address.address2, address.city, f"{address.state} {address.zip}".strip()]
    return ", ".join(p for p in parts if p)


def calendar_invite(event: Event, venue: Venue | None, order_id: str, now: int) -> bytes:
    return events_calendar_invite([(event, venue)], order_id, now)


def events_calendar_invite(shows: Sequence[tuple[Event, Venue | None]], order_id: str, now: int) -> bytes:
    """One VCALENDAR with a VEVENT per day of each show (a season receipt lists every event)."""
    # Imported here: icalendar costs ~60 ms of import, which only the e-mail sender should pay.
    from icalendar import Calendar
    from icalendar import Event as CalendarEvent

    calendar = Calendar()
    calendar.add("prodid", "-//Sellout//Tickets//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    for event, venue in shows:
        tz = ZoneInfo(venue_timezone(venue, event))
        location = format_address(venue, event.location)
        for index, (start, end) in enumerate(event_day_windows(event)):
            entry = CalendarEvent()
            entry.add("uid", f"{order_id}-{event.id}-{index}@sellout")
            entry.add("dtstamp", datetime.fromtimestamp(now, UTC))
            entry.add("dtstart", datetime.fromtimestamp(start, tz))
            entry.add("dtend", datetime.fromtimestamp(end, tz))
            entry.add("summary", event.name)
            if location:
                entry.add("location", location)
            entry.add("description", f"Confirmation code: {order_id}")
            calendar.add_component(entry)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
