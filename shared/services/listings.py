"""The steps events and seasons share (SPEC 5.3 R-EV-1..5, R-T3-1 "mirror the event operations"):
turning client input into a stored listing with server-side defaults and validation, replacing
the editable fields while sold units stay sold, holds, the publish check, and live stock.

A season is a TicketedListing like an event, so one ListingEditor per kind runs the same rules
(shared.domain.event_rules) on its own collection; shared.services.events and
shared.services.seasons add what only their kind has (Webflow, seating, stubs; eventIds).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, Protocol

from shared.domain import event_rules, tiers
from shared.domain.event_rules import L
from shared.domain.inventory import (
    InventoryConflictError,
    Shard,
    StockKey,
    capacities,
    remaining,
    with_live_stock,
)
from shared.domain.models import TicketedListing, TicketHold, Venue
from shared.domain.ports import Repository
from shared.domain.validation import build, without_nones
from shared.errors import DomainError, ErrorCode

# Input keys the server owns or handles separately: never copied from the client.
NOT_EDITABLE = (
    "_id", "orgId", "createdAt", "published", "active", "inventoryShards", "inventoryLayout", "fees",
    "isHold", "holds", "waitList", "subscription",
)  # fmt: skip
_STOCK_LISTS = ("ticketTypes", "upgrades", "promotions")


def edited_fields(listing: TicketedListing) -> dict[str, Any]:
    """The fields an edit writes: all but those other writers own (the publish flag, holds, wait
    list, subscriptions, ...). An edit is saved from a read taken a moment before, so writing the
    whole document would undo a sign-up or a publish that landed in between."""
    return {k: v for k, v in listing.doc().items() if k not in NOT_EDITABLE}


class StockStore(Protocol):
    def live_stock(self, listings: Iterable[TicketedListing]) -> dict[str, dict[StockKey, int]]: ...

    def resize(self, event_id: str, shard_count: int, new_caps: Mapping[StockKey, int]) -> None: ...


class ListingWriter(Protocol[L]):
    """shared.adapters.event_store.FirestoreEventWriter on the kind's collection."""

    def create(self, event: L) -> L: ...

    def change_holds(
        self, event_id: str, plan: Callable[[L, list[Shard]], tuple[L, list[Shard]] | None]
    ) -> L: ...


def strip_nones(value: Any) -> Any:
    """GraphQL sends explicit nulls for omitted fields at every depth; treat them as absent."""
    if isinstance(value, Mapping):
        return {k: strip_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nones(v) for v in value if v is not None]
    return value


def editable(data: Mapping[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in strip_nones(without_nones(data)).items() if k not in NOT_EDITABLE}
    # remainingQty is the server's: new items start full; existing ones get live stock after resize.
    for key in _STOCK_LISTS:
        for item in fields.get(key) or []:
            item["remainingQty"] = item.get("totalQty", 0)
            tiers_ = item.get("tiers") if key == "ticketTypes" else None
            for tier in tiers_ or []:
                tier["remainingQty"] = tier.get("totalQty", 0)
    return fields


class ListingEditor(Generic[L]):
    def __init__(
        self,
        model: type[L],
        writer: ListingWriter[L],
        inventory: StockStore,
        venues: Repository[Venue],
        *,
        prefix: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.model = model
        self.writer = writer
        self.inventory = inventory
        self.venues = venues
        self.prefix = prefix  # the input argument's name: "event" or "season"
        self.clock = clock

    def live(self, listings: list[L]) -> list[L]:
        """The listings with their live stock (aggregation queries: exact as of the read, without
        reading every stock shard)."""
        if not listings:
            return []
        stock = self.inventory.live_stock(listings)
        return [with_live_stock(e, stock.get(e.id, {})) for e in listings]

    def check_venue(self, listing: L) -> None:
        if listing.venueId:
            venue = self.venues.get(listing.venueId)
            if venue is None or venue.orgId != listing.orgId:
                raise DomainError(ErrorCode.INVALID_INPUT, "Unknown venue.", [f"{self.prefix}.venueId"])

    def built(self, org_id: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> L:
        """R-EV-1/2: a new listing of `org_id` with the model's defaults, sub-object ids and full
        stock, validated; `extra` are fields the caller's service decided. Not stored yet."""
        fields = {**editable(data), **(extra or {}), "orgId": org_id, "createdAt": int(self.clock())}
        listing = event_rules.validate_event(build(self.model, fields, self.prefix), self.prefix)
        self.check_venue(listing)
        return listing

    def holds_in(self, data: Mapping[str, Any]) -> list[TicketHold]:
        path = f"{self.prefix}.holds"
        return [build(TicketHold, h, path) for h in strip_nones(data.get("holds") or [])]

    def replaced(self, stored: L, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> L:
        """R-EV-3: the editable fields replaced, validated, and the stock resized so that sold
        units stay sold (new remaining = new total − sold). The caller saves the result."""
        server = {k: v for k, v in stored.doc().items() if k in NOT_EDITABLE}
        merged = {**stored.doc(), **editable(data), **(extra or {}), **server}
        listing = event_rules.validate_event(build(self.model, merged, self.prefix), self.prefix)
        if listing.venueId != stored.venueId:
            self.check_venue(listing)
        try:
            self.inventory.resize(listing.id, stored.inventoryShards, capacities(listing))
        except InventoryConflictError as error:
            paths = event_rules.stock_key_paths(listing, self.prefix)
            fields = [paths.get(k, k) for k in error.keys]
            raise DomainError(ErrorCode.INVALID_INPUT, error.message, fields) from None
        return self.live([listing])[0]

    def apply_hold(self, listing_id: str, hold: TicketHold) -> L:
        """R-EV-4/5: store the hold; its units leave (or return to) the sale atomically."""
        now = int(self.clock())

        def plan(listing: L, shards: list[Shard]) -> tuple[L, list[Shard]] | None:
            live_listing = with_live_stock(listing, remaining(shards))
            ticket_type = live_listing.ticket_type(hold.ticketTypeId)
            tier = tiers.current_tier(ticket_type, now) if ticket_type else None
            return event_rules.plan_hold(listing, hold, shards, tier.id if tier else None)

        return self.writer.change_holds(listing_id, plan)

    @staticmethod
    def check_publishable(listing: L) -> None:
        """R-EV-6 step 2: what is still missing, in words a promoter reads."""
        missing = event_rules.publish_problems(listing)
        if missing:
            raise DomainError(ErrorCode.CONFLICT, f"Before publishing, add: {'; '.join(missing)}.", missing)
