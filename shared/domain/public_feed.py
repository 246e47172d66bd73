"""Which events the public website shows (SPEC 4.8, `eventsList` / `eventsDetails`; seasons'
`seasonsList` / `seasonsDetails` follow the same rules).

The list: events that are published and publishable, active (not deleted), not cancelled,
already announced (`announceAt <= now`) and not over (`endsAt >= now`), soonest first.
A detail page shows any published, publishable, active, announced event: a cancelled or past
event keeps its page (the site says so), but a draft or an unannounced event is not there at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from shared.domain.models import TicketedListing

L = TypeVar("L", bound=TicketedListing)  # events and seasons are shown by the same rules

FEED_LIMIT = 100  # events one list answers with
# Events read per list query. The query already applies every rule but "announced" (Firestore
# takes one range per query), so the extra room only absorbs events not announced yet.
FEED_SCAN_LIMIT = 300


def on_public_page(event: TicketedListing, now: float) -> bool:
    """Detail: published, publishable, active and announced."""
    return event.published and event.publishable and event.active and event.schedule.announceAt <= now


def on_public_list(event: TicketedListing, now: float) -> bool:
    """List: on a public page, not cancelled and not ended."""
    return on_public_page(event, now) and not event.cancel and event.schedule.endsAt >= now


def public_list(events: Iterable[L], now: float) -> list[L]:
    """The listed events, soonest start first (ties by name, then id), at most FEED_LIMIT."""
    listed = [e for e in events if on_public_list(e, now)]
    listed.sort(key=lambda e: (e.schedule.startsAt, e.name.lower(), e.id))
    return listed[:FEED_LIMIT]
