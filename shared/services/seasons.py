"""Seasons, the promoter side and the reads (SPEC 3.7, R-T3-1): a season is sold like an event and
admits to the events it lists, so it goes through the same listing rules (shared.services.listings:
defaults, R-EV-2 validation, stock, holds, publish check) on its own `seasons` collection.

Visibility: staff (SCANNER+) of the season's org see every season of it; everyone else sees only
published, active seasons, and of their events only the published, active ones. A season hidden
from the caller answers exactly like an unknown id.

Season orders (R-T3-2: createSeasonOrder, createSeasonOrderPaymentIntent, the receipt and the
break-apart variants) are not served here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from shared.domain import event_rules, promotions
from shared.domain.listing import criterion, paginate
from shared.domain.models import Event, Fee, Order, Season, Venue
from shared.domain.permissions import (
    ADMIN,
    SCANNER,
    Principal,
    require_context_org,
    require_level,
    require_user,
)
from shared.domain.ports import Repository
from shared.domain.validation import without_nones
from shared.errors import DomainError, ErrorCode, not_found
from shared.services.events import IN_QUERY_LIMIT, FeeCopier
from shared.services.listings import ListingEditor, ListingWriter, StockStore, edited_fields

SEASON_TYPE = "General Event"  # SPEC 3.7: Season.type is String! and always this value


class SeasonsStore(Protocol):
    @property
    def seasons(self) -> Repository[Season]: ...

    @property
    def events(self) -> Repository[Event]: ...

    @property
    def orders(self) -> Repository[Order]: ...

    @property
    def venues(self) -> Repository[Venue]: ...

    @property
    def fees(self) -> Repository[Fee]: ...

    @property
    def inventory(self) -> StockStore: ...


def _staff(principal: Principal | None, org_id: str) -> bool:
    return principal is not None and principal.level_in(org_id) >= SCANNER


def visible_to(principal: Principal | None, listing: Season | Event) -> bool:
    """Active, and published unless the caller is staff of its org."""
    return listing.active and (listing.published or _staff(principal, listing.orgId))


class SeasonService:
    def __init__(
        self,
        store: SeasonsStore,
        writer: ListingWriter[Season],
        fees: FeeCopier,
        *,
        live_events: Callable[[list[Event]], list[Event]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.fees = fees
        self.live_events = live_events
        self.clock = clock
        self.listings = ListingEditor(
            Season, writer, store.inventory, store.venues, prefix="season", clock=clock
        )

    # --- reads ----------------------------------------------------------------------------------

    def live(self, seasons: list[Season]) -> list[Season]:
        return self.listings.live(seasons)

    def season(self, principal: Principal | None, season_id: str | None) -> Season | None:
        """`season(seasonId)`: the season with live stock, or None when the caller may not see it."""
        season = self.store.seasons.get(season_id or "")
        if season is None or not visible_to(principal, season):
            return None
        return self.live([season])[0]

    def _visible_season(self, principal: Principal | None, season_id: str | None) -> Season:
        season = self.season(principal, season_id)
        if season is None:
            raise not_found("Season")
        return season

    def _season_for(self, principal: Principal | None, season_id: str | None, level: int) -> Season:
        """The stored season, once the caller is proven to hold `level` in the season's own org."""
        season = self.store.seasons.get(season_id or "")
        if season is None:
            require_user(principal)  # anonymous callers learn nothing about which ids exist
            raise not_found("Season")
        require_level(principal, level, season.orgId)
        return season

    def seasons(
        self,
        principal: Principal | None,
        query: Mapping[str, Any] | None,
        pagination: Mapping[str, Any] | None,
    ) -> list[Season]:
        """`seasons(query, pagination)`: the context org's active seasons matched like `events`
        (R-EV-9), plus `eventIds` (a season listing any of them), sorted and paginated."""
        _, org_id = require_context_org(principal, SCANNER)
        criteria = without_nones(query)
        wanted = [e for e in criteria.get("eventIds") or [] if e]

        def lists_wanted(season: Season) -> bool | None:
            return criterion(wanted, lambda: bool(set(wanted) & set(season.eventIds)))

        now = self.clock()
        found = [
            s
            for s in self.store.seasons.find(("orgId", "==", org_id), ("active", "==", True))
            if event_rules.listed(s, criteria, now, [lists_wanted(s)])
        ]
        return self.live(paginate(event_rules.sort_events(found, criteria), pagination))

    def events_of(self, principal: Principal | None, season: Season) -> list[Event]:
        """`Season.events` / `seasonEvents`: the events the season lists and those that name it
        (`Event.seasonId`), of its own org, as the caller may see them, soonest first."""
        listed = self.store.events.get_many(season.eventIds)
        naming = self.store.events.find(("orgId", "==", season.orgId), ("seasonId", "==", season.id))
        found = {e.id: e for e in [*listed.values(), *naming]}
        shown = [e for e in found.values() if e.orgId == season.orgId and visible_to(principal, e)]
        shown.sort(key=lambda e: (e.schedule.startsAt, e.id))
        return self.live_events(shown)

    def season_events(self, principal: Principal | None, season_id: str | None) -> list[Event]:
        return self.events_of(principal, self._visible_season(principal, season_id))

    def fees_of_seasons(self, season_ids: list[str]) -> dict[str, list[Fee]]:
        """Non-disabled fees of each season, one query per 30 seasons (the Season.fees loader)."""
        by_season: dict[str, list[Fee]] = {s: [] for s in season_ids}
        for start in range(0, len(season_ids), IN_QUERY_LIMIT):
            chunk = season_ids[start : start + IN_QUERY_LIMIT]
            for fee in self.store.fees.find(("seasonId", "in", chunk)):
                if not fee.disabled and fee.seasonId in by_season:
                    by_season[fee.seasonId].append(fee)
        return by_season

    def season_fees(self, principal: Principal | None, season_id: str | None) -> list[Fee]:
        """`seasonFees(seasonId)`: the season's own non-disabled fees (what its pricing uses)."""
        season = self._visible_season(principal, season_id)
        return self.fees_of_seasons([season.id])[season.id]

    def has_orders(self, season_ids: list[str]) -> dict[str, bool]:
        return {s: bool(self.store.orders.find(("seasonId", "==", s), limit=1)) for s in season_ids}

    def season_tickets(
        self, principal: Principal | None, season_id: str | None, promo_code: str | None
    ) -> list[dict[str, Any]]:
        """R-T3-1 / R-PR-3: what each promotion of the season with this code (case-insensitive)
        unlocks, exactly as `eventTickets` answers for an event, in the SeasonTickets shape."""
        season = self._visible_season(principal, season_id)
        return [
            {
                "promoType": found["promoType"],
                "remainingQty": found["remainingQty"],
                "active": found["active"],
                "startsAt": found["startsAt"],
                "endsAt": found["endsAt"],
                "seasonTickets": found["eventTickets"],
            }
            for found in promotions.event_tickets_for_code(season, promo_code or "")
        ]

    # --- create / update / publish ---------------------------------------------------------------

    def _event_ids(self, org_id: str, data: Mapping[str, Any], stored: Season | None) -> dict[str, Any]:
        """The season's `eventIds` (active events of its own org, each once) and `numberOfEvent`
        (as given, else how many events it lists); the type is always SEASON_TYPE."""
        given = data.get("eventIds")
        ids = [str(e) for e in given if e] if given is not None else list(stored.eventIds if stored else [])
        ids = list(dict.fromkeys(ids))
        found = self.store.events.get_many(ids) if ids else {}
        foreign = [i for i in ids if i not in found or found[i].orgId != org_id or not found[i].active]
        if foreign:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                "A season can only list active events of its own organization.",
                ["season.eventIds"],
            )
        count = data.get("numberOfEvent")
        if count is None:
            count = len(ids) if given is not None or stored is None else stored.numberOfEvent
        return {"eventIds": ids, "numberOfEvent": count, "type": SEASON_TYPE}

    def create_season(self, principal: Principal | None, data: Mapping[str, Any]) -> Season:
        """R-T3-1 as R-EV-1: a new season of the context org with its stock, then its org's fees
        (SeasonCreated, SPEC 5.21) and the holds it was created with."""
        caller, org_id = require_context_org(principal, ADMIN)
        season = self.listings.built(org_id, data, self._event_ids(org_id, data, None))
        season = self.listings.writer.create(season)
        # Idempotent copy-down (ids derived from the source fee and the season).
        self.fees.copy_org_fees_to_event(org_id, season.id, caller.user_id, season=True)
        for hold in self.listings.holds_in(data):
            season = self.listings.apply_hold(season.id, hold)
        return self.live([season])[0]

    def update_season(self, principal: Principal | None, data: Mapping[str, Any]) -> Season:
        """R-T3-1 as R-EV-3: the editable fields replaced; sold and held units stay taken."""
        stored = self._season_for(principal, str(data.get("_id") or ""), ADMIN)
        season = self.listings.replaced(stored, data, self._event_ids(stored.orgId, data, stored))
        self.store.seasons.update(season.id, edited_fields(season))
        return season

    def publish_season(
        self, principal: Principal | None, season_id: str | None, published: bool | None
    ) -> Season:
        """`publishSeason`: the same readiness check as R-EV-6 step 2, then the `published` flag."""
        season = self._season_for(principal, season_id, ADMIN)
        publish = published is not False
        if publish:
            self.listings.check_publishable(season)
        self.store.seasons.update(season.id, {"published": publish})
        return self.live([season.model_copy(update={"published": publish})])[0]
