"""Venues and artists of an organization (SPEC 5.2)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from shared.domain.listing import contains_text, criterion, matches, paginate, search_prefix, words_start_with
from shared.domain.models import Artist, Venue
from shared.domain.permissions import ADMIN, BOX_OFFICE, Principal, require_context_org, require_level
from shared.domain.ports import Repository
from shared.domain.validation import build, without_nones
from shared.errors import not_found

# Server-owned fields: never taken from the client.
_SERVER_FIELDS = ("orgId", "createdAt", "createdBy", "searchPrefixes")
GLOBAL_LIMIT = 1000  # candidates read per global search; a name that common wants a longer query


class CatalogStore(Protocol):
    @property
    def venues(self) -> Repository[Venue]: ...

    @property
    def artists(self) -> Repository[Artist]: ...


def _listed(item: Venue | Artist, query: Mapping[str, Any], ids_key: str) -> bool:
    """The org-list filter of venues and artists: name substring and/or id list (SPEC 2.8)."""
    return matches(
        [
            criterion(query.get("name"), lambda: contains_text(item.name, query["name"])),
            criterion(query.get(ids_key), lambda: item.id in query[ids_key]),
        ],
        bool(query.get("any")),
    )


def _sorted(items: list[Any]) -> list[Any]:
    return sorted(items, key=lambda i: (i.createdAt, i.id), reverse=True)


class CatalogService:
    def __init__(
        self,
        store: CatalogStore,
        clock: Callable[[], float] = time.time,
        *,
        on_updated: Callable[[str, str, str], object] = lambda org_id, kind, item_id: None,
    ) -> None:
        self.store = store
        self.clock = clock
        # VenueUpdated / ArtistUpdated (SPEC 5.21): (org id, "VENUE" | "ARTIST", id), after the
        # write; the Webflow re-push of the item's existing copies.
        self.on_updated = on_updated

    # --- venues --------------------------------------------------------------------------------

    def create_venue(self, principal: Principal | None, data: Mapping[str, Any]) -> Venue:
        caller, org_id = require_context_org(principal, ADMIN)
        fields = {k: v for k, v in without_nones(data).items() if k not in (*_SERVER_FIELDS, "_id")}
        venue = build(Venue, {**fields, "orgId": org_id, "createdAt": int(self.clock()),
                              "createdBy": caller.user_id}, "venue")  # fmt: skip
        return self.store.venues.create(venue)

    def update_venue(self, principal: Principal | None, data: Mapping[str, Any]) -> Venue:
        venue = self._venue_for_admin(principal, str(data.get("_id") or ""))
        fields = {k: v for k, v in without_nones(data).items() if k not in _SERVER_FIELDS}
        if "address" in fields:  # the time zone is not client-settable (absent from AddressInput)
            fields["address"] = {**fields["address"], "timezone": venue.address.timezone}
        updated = self.store.venues.save(build(Venue, {**venue.doc(), **fields}, "venue"))
        self.on_updated(updated.orgId, "VENUE", updated.id)
        return updated

    def venue(self, venue_id: str) -> Venue | None:
        """Public: the purchase portal shows the venue of an event."""
        return self.store.venues.get(venue_id)

    def venues(
        self,
        principal: Principal | None,
        query: Mapping[str, Any] | None,
        pagination: Mapping[str, Any] | None,
    ) -> list[Venue]:
        _, org_id = require_context_org(principal, ADMIN)
        found = [
            v for v in self.store.venues.find(("orgId", "==", org_id)) if _listed(v, query or {}, "venueIds")
        ]
        return paginate(_sorted(found), pagination)

    def global_venues(
        self, principal: Principal | None, name: str | None, pagination: Mapping[str, Any] | None
    ) -> list[Venue]:
        """Venues of every org with a word starting with each word of `name`, for import
        (R-VA-2): one indexed query on the longest word, not a scan of every org."""
        require_context_org(principal, ADMIN)
        key = search_prefix(name or "")
        if not key:
            return []
        candidates = self.store.venues.find(("searchPrefixes", "array_contains", key), limit=GLOBAL_LIMIT)
        found = [v for v in candidates if words_start_with(v.name, name or "")]
        return paginate(_sorted(found), pagination)

    def _venue_for_admin(self, principal: Principal | None, venue_id: str) -> Venue:
        venue = self.store.venues.get(venue_id)
        if venue is None:
            raise not_found("Venue")
        require_level(principal, ADMIN, venue.orgId)
        return venue

    # --- artists -------------------------------------------------------------------------------

    def create_artist(self, principal: Principal | None, data: Mapping[str, Any]) -> Artist:
        caller, org_id = require_context_org(principal, ADMIN)
        fields = {k: v for k, v in without_nones(data).items() if k not in (*_SERVER_FIELDS, "_id")}
        artist = build(Artist, {**fields, "orgId": org_id, "createdAt": int(self.clock()),
                                "createdBy": caller.user_id}, "artist")  # fmt: skip
        return self.store.artists.create(artist)

    def update_artist(self, principal: Principal | None, data: Mapping[str, Any]) -> Artist:
        artist = self.artist(principal, str(data.get("_id") or ""))
        fields = {k: v for k, v in without_nones(data).items() if k not in _SERVER_FIELDS}
        updated = self.store.artists.save(build(Artist, {**artist.doc(), **fields}, "artist"))
        self.on_updated(updated.orgId, "ARTIST", updated.id)
        return updated

    def artist(self, principal: Principal | None, artist_id: str) -> Artist:
        artist = self.store.artists.get(artist_id)
        if artist is None:
            raise not_found("Artist")
        require_level(principal, ADMIN, artist.orgId)
        return artist

    def artists(
        self,
        principal: Principal | None,
        query: Mapping[str, Any] | None,
        pagination: Mapping[str, Any] | None,
    ) -> list[Artist]:
        _, org_id = require_context_org(principal, ADMIN)
        found = [
            a
            for a in self.store.artists.find(("orgId", "==", org_id))
            if _listed(a, query or {}, "artistIds")
        ]
        return paginate(_sorted(found), pagination)

    def org_artists(self, principal: Principal | None) -> list[Artist]:
        """`artistsById`: every artist of the context org, for box-office screens."""
        _, org_id = require_context_org(principal, BOX_OFFICE)
        return _sorted(self.store.artists.find(("orgId", "==", org_id)))

    def global_artists(
        self, principal: Principal | None, name: str | None, pagination: Mapping[str, Any] | None
    ) -> list[Artist]:
        """Artists of every org found like `global_venues` finds venues (R-VA-2)."""
        require_context_org(principal, ADMIN)
        key = search_prefix(name or "")
        if not key:
            return []
        candidates = self.store.artists.find(("searchPrefixes", "array_contains", key), limit=GLOBAL_LIMIT)
        found = [a for a in candidates if words_start_with(a.name, name or "")]
        return paginate(_sorted(found), pagination)
