"""The public website's event feeds (SPEC 4.8): no sign-in, all orgs or one.

Both reads are bounded, index-backed queries (never a scan of the events collection):
    events: published ==, publishable ==, active ==, cancel ==, schedule.endsAt >=,
            order by schedule.endsAt, limit          -> composite index (firestore.indexes.json)
    events: orgId == + the same                      -> composite index with orgId first
    events: stub ==, published ==, limit             -> single-field indexes, merged
What a caller sees of each event is the GraphQL Event type's business (shared.graphql_api).
Seasons (seasonsList / seasonsDetails, GET /getSeasonList, /getSeasonDetail) are a second
instance over the `seasons` collection: same rules, same queries, same composite indexes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic

from shared.domain.ports import Repository, Where
from shared.domain.public_feed import FEED_SCAN_LIMIT, L, on_public_page, public_list
from shared.errors import invalid, not_found

STUB_MATCH_LIMIT = 10  # stubs are unique among published events; a few duplicates are tolerated


class PublicEventService(Generic[L]):
    def __init__(
        self,
        events: Repository[L],
        *,
        live: Callable[[list[L]], list[L]],
        clock: Callable[[], float] = time.time,
        noun: str = "Event",
    ) -> None:
        self.events = events
        self.live = live
        self.clock = clock
        self.noun = noun  # what a NOT_FOUND names: Event or Season

    def event_list(self, org_id: str | None = None) -> list[L]:
        """eventsList / GET /getEventList?orgId=: the listed events with live stock."""
        now = self.clock()
        where: list[Where] = [
            ("published", "==", True),
            ("publishable", "==", True),
            ("active", "==", True),
            ("cancel", "==", False),
            ("schedule.endsAt", ">=", int(now)),
        ]
        if org_id and org_id.strip():
            where.insert(0, ("orgId", "==", org_id.strip()))
        found = self.events.find(*where, order_by=[("schedule.endsAt", "asc")], limit=FEED_SCAN_LIMIT)
        return self.live(public_list(found, now))

    def event_detail(self, event_id: str | None = None, stub: str | None = None) -> L:
        """eventsDetails / GET /getEventDetail?id= or ?name=<stub>: one public event, or
        NOT_FOUND for unknown ids and for events the website does not show (the same answer,
        so drafts cannot be discovered)."""
        event_id, stub = (event_id or "").strip(), (stub or "").strip()
        now = self.clock()
        if event_id:
            event = self.events.get(event_id)
            candidates = [event] if event is not None else []
        elif stub:
            candidates = self.events.find(
                ("stub", "==", stub), ("published", "==", True), limit=STUB_MATCH_LIMIT
            )
        else:
            raise invalid("Give an event id or name.", "id", "name")
        shown = sorted((e for e in candidates if on_public_page(e, now)), key=lambda e: e.createdAt)
        if not shown:
            raise not_found(self.noun)
        return self.live([shown[-1]])[0]
