"""Order analytics (SPEC 5.17 R-AN, 4.2 `orderAnalytics`, 4.7 `Event.analytics`,
`UserProfile.analytics`); the maths is in shared.domain.analytics.

Who sees what:
- `orderAnalytics`: ADMIN+ of the context org (SPEC 4.2 "ADMIN‡"), over that org's orders only.
  An `eventId` of another org answers "Event not found." (its existence is not revealed).
- `Event.analytics`: SCANNER+ of the event's org (SPEC 4.7), else null.
- `UserProfile.analytics` / `UserProfileAdmin.analytics`: the buyer's orders in the caller's
  context org, for BOX_OFFICE+ of that org (the level that lists the org's customers,
  `userProfiles`); null without an org context or below that level. A buyer never sees them.

Reads: one Firestore query per analytics request, scoped `orgId ==` plus the most selective
filter Firestore can apply (event > season > buyer > venue > artist; the others and the states
are applied in memory), plus one event read when `eventId` is given. `Event.analytics` and the
profile fields are batched per request: one query per 30 events / buyers (an `in` filter).
Composite indexes: (orgId, eventId | seasonId | userId, createdAt DESC) and
(orgId, venueIds | artistIds CONTAINS, createdAt DESC) in firestore.indexes.json.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from shared.domain import analytics
from shared.domain.models import CREATED_SHARDS, Event, Order, newest_first
from shared.domain.permissions import ADMIN, BOX_OFFICE, SCANNER, Principal, require_context_org
from shared.domain.ports import Repository, Where
from shared.domain.validation import without_nones
from shared.errors import invalid, not_found

IN_QUERY_LIMIT = 30  # Firestore's limit on the values of one `in` filter


class AnalyticsCatalog(Protocol):
    @property
    def events(self) -> Repository[Event]: ...

    @property
    def orders(self) -> Repository[Order]: ...


def _text(value: Any) -> str:
    return str(value or "").strip()


def _chunks(items: Sequence[str]) -> list[list[str]]:
    return [list(items[i : i + IN_QUERY_LIMIT]) for i in range(0, len(items), IN_QUERY_LIMIT)]


def _cutoff(event: Event) -> int | None:
    """R-AN-2: refunds after the event start still count; an event without a start has no
    "after", so every refund is dropped."""
    return event.schedule.startsAt or None


class AnalyticsService:
    def __init__(self, catalog: AnalyticsCatalog, clock: Callable[[], float] = time.time) -> None:
        self.catalog = catalog
        self.clock = clock

    # --- loading -------------------------------------------------------------------------

    def _orders(
        self,
        org_id: str,
        *,
        event_ids: Sequence[str] = (),
        season_id: str = "",
        user_ids: Sequence[str] = (),
        venue_id: str = "",
        artist_id: str = "",
        created_from: int | None = None,
        created_to: int | None = None,
    ) -> list[Order]:
        """The org's orders matching every given filter (one query; R-AN-1). States are left to
        the domain. At most one of the list filters may hold more than one value."""
        where: list[Where] = [("orgId", "==", org_id)]
        in_memory: list[Callable[[Order], bool]] = []

        def narrow(condition: Where, keep: Callable[[Order], bool]) -> None:
            # Firestore gets the first (most selective) filter: one composite index per filter,
            # and no query with two array or `in` filters. The rest are checked here.
            if len(where) == 1:
                where.append(condition)
            else:
                in_memory.append(keep)

        if event_ids:
            wanted_events = set(event_ids)
            narrow(("eventId", "in", list(event_ids)), lambda o: o.eventId in wanted_events)
        if season_id:
            narrow(("seasonId", "==", season_id), lambda o: o.seasonId == season_id)
        if user_ids:
            wanted_users = set(user_ids)
            narrow(("userId", "in", list(user_ids)), lambda o: o.userId in wanted_users)
        if venue_id:
            narrow(("venueIds", "array_contains", venue_id), lambda o: venue_id in o.venueIds)
        if artist_id:
            narrow(("artistIds", "array_contains", artist_id), lambda o: artist_id in o.artistIds)
        if created_from is not None and created_to is not None:
            where += [("createdAt", ">=", created_from), ("createdAt", "<=", created_to)]
        # One query per createdShard lane (the order indexes, shared.domain.models), newest first.
        found = newest_first(
            order
            for lane in range(CREATED_SHARDS)
            for order in self.catalog.orders.find(
                *where, ("createdShard", "==", lane), order_by=[("createdAt", "desc")]
            )
        )
        # The org filter is in the query; checking it again costs nothing and keeps another
        # org's records out even if a filter above were ever dropped.
        return [o for o in found if o.orgId == org_id and all(keep(o) for keep in in_memory)]

    # --- orderAnalytics ------------------------------------------------------------------

    def order_analytics(
        self, principal: Principal | None, query: Mapping[str, Any] | None
    ) -> list[dict[str, Any]]:
        """R-AN for ADMIN+ of the context org."""
        _, org_id = require_context_org(principal, ADMIN)
        q = without_nones(query)
        types = [_text(t) for t in q.get("types") or [] if _text(t)] or list(analytics.DEFAULT_TYPES)
        if unknown := analytics.unknown_types(types):
            raise invalid(f"Unknown analytics type: {unknown[0]}.", "query.types")
        start_date = int(q["startDate"]) if q.get("startDate") is not None else None
        end_date = int(q["endDate"]) if q.get("endDate") is not None else None
        if start_date is not None and end_date is not None and end_date < start_date:
            raise invalid("The end date is before the start date.", "query.endDate")
        event_id, season_id = _text(q.get("eventId")), _text(q.get("seasonId"))

        event: Event | None = None
        if event_id:
            event = self.catalog.events.get(event_id)
            if event is None or event.orgId != org_id:
                raise not_found("Event")
        both_dates = start_date is not None and end_date is not None
        orders = self._orders(
            org_id,
            event_ids=[event_id] if event_id else (),
            season_id=season_id,
            venue_id=_text(q.get("venueId")),
            artist_id=_text(q.get("artistId")),
            created_from=start_date if both_dates else None,
            created_to=end_date if both_dates else None,
        )
        # Seasons are not stored by this backend yet, so a season query has no start to compare
        # refunds with: it drops every refund (the conservative reading of R-AN-2).
        return analytics.build(
            types,
            orders,
            cutoff=_cutoff(event) if event is not None else None,
            per_item_segments=bool(event_id or season_id),
            start_date=start_date,
            end_date=end_date,
            interval=_text(q.get("interval")) or None,
            now=int(self.clock()),
            event=event,
        )

    def event_orders(self, event: Event) -> list[Order]:
        """Every order of `event` (any state), read as `Event.analytics` reads them: the sales
        report (R-RP-5) counts them with the same rules. The caller has authorized it."""
        return self._orders(event.orgId, event_ids=[event.id])

    # --- nested fields (SPEC 4.7) ----------------------------------------------------------

    def event_analytics(
        self, principal: Principal | None, events: Sequence[Event]
    ) -> dict[str, dict[str, Any]]:
        """`Event.analytics` of each event the caller may see (SCANNER+ of its org); the others
        are absent. One query per org and 30 events."""
        if principal is None:
            return {}
        visible = [e for e in events if principal.level_in(e.orgId) >= SCANNER]
        if not visible:
            return {}
        principal.ensure_not_revoked()
        by_org: dict[str, list[Event]] = {}
        for event in visible:
            by_org.setdefault(event.orgId, []).append(event)
        results: dict[str, dict[str, Any]] = {}
        now = int(self.clock())
        for org_id, org_events in by_org.items():
            ids = list(dict.fromkeys(e.id for e in org_events))
            orders: list[Order] = []
            for chunk in _chunks(ids):
                orders += self._orders(org_id, event_ids=chunk)
            for event in org_events:
                own = [o for o in orders if o.eventId == event.id]
                results[event.id] = analytics.build(
                    ["Event Analytics"], own, cutoff=_cutoff(event), per_item_segments=True,
                    start_date=None, end_date=None, interval=None, now=now, event=event,
                )[0]  # fmt: skip
        return results

    def user_analytics(
        self, principal: Principal | None, user_ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """`UserProfile.analytics` per buyer, over the context org's orders, for BOX_OFFICE+ of
        that org; empty otherwise. One query per 30 buyers."""
        if principal is None:
            return {}
        org_id = principal.org_context_id
        if not org_id or principal.level_in(org_id) < BOX_OFFICE:
            return {}
        principal.ensure_not_revoked()
        ids = list(dict.fromkeys(u for u in user_ids if u))
        orders: list[Order] = []
        for chunk in _chunks(ids):
            orders += self._orders(org_id, user_ids=chunk)
        now = int(self.clock())
        return {
            user_id: analytics.build(
                ["User Analytics"], [o for o in orders if o.userId == user_id], cutoff=None,
                per_item_segments=False, start_date=None, end_date=None, interval=None, now=now,
            )[0]
            for user_id in ids
        }  # fmt: skip
