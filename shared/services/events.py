"""Events (SPEC 5.3): create, update, holds, publish, delete, duplicate, the org's event list, and
the public reads the purchase portal makes (event, ticket and discount codes, fee quote).

Stock lives in shards (shared.domain.inventory): the `remainingQty` values stored on the event
document are a snapshot, so every read that returns an event merges the live stock first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from shared.domain import event_rules, pricing, promotions
from shared.domain.inventory import with_live_stock
from shared.domain.listing import paginate
from shared.domain.models import Event, Fee, Order, Season, TicketedListing, TicketHold, Venue
from shared.domain.order_builder import RequestedTicket, price_cart
from shared.domain.permissions import (
    ADMIN,
    SCANNER,
    Principal,
    permission_denied,
    require_context_org,
    require_level,
    require_user,
)
from shared.domain.ports import Repository
from shared.domain.validation import build, without_nones
from shared.errors import DomainError, ErrorCode, not_found
from shared.services.listings import ListingEditor, ListingWriter, StockStore, edited_fields, strip_nones

IN_QUERY_LIMIT = 30


class EventsStore(Protocol):
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

    @property
    def seasons(self) -> Repository[Season]: ...


class WebflowHooks(Protocol):
    """Webflow reactions (SPEC 5.21, R-WF-6/7; shared.services.webflow): they only enqueue."""

    def publish_targets(
        self, event: Event, publish_site_ids: list[str | None] | None,
        unpublish_site_ids: list[str | None] | None, published: bool,
    ) -> Any: ...  # fmt: skip

    def event_published(self, event: Event, plan: Any, published: bool) -> None: ...

    def event_updated(self, event: Event) -> None: ...

    def event_deleted(self, event: Event) -> None: ...


class SeatingHooks(Protocol):
    """R-SEAT-2 (shared.services.seating): a saved seated event gets its seats.io event."""

    def event_saved(self, event: Event) -> None: ...


class FeeCopier(Protocol):
    def copy_org_fees_to_event(
        self, org_id: str, event_id: str, user_id: str, *, season: bool = False
    ) -> list[Fee]: ...


class EventService:
    def __init__(
        self,
        store: EventsStore,
        writer: ListingWriter[Event],
        fees: FeeCopier,
        clock: Callable[[], float] = time.time,
        webflow: WebflowHooks | None = None,
        *,
        seating: SeatingHooks | None = None,
    ) -> None:
        self.store = store
        self.writer = writer
        self.fees = fees
        self.clock = clock
        self.webflow = webflow
        self.seating = seating
        self.listings = ListingEditor(
            Event, writer, store.inventory, store.venues, prefix="event", clock=clock
        )

    # --- reads ----------------------------------------------------------------------------------

    def live(self, events: list[Event]) -> list[Event]:
        """The events with their live stock (one query per 30 events)."""
        return self.listings.live(events)

    def event(self, event_id: str | None) -> Event | None:
        """Public (the purchase portal): the event with live stock."""
        event = self.store.events.get(event_id or "")
        return self.live([event])[0] if event else None

    def _event_for(self, principal: Principal | None, event_id: str | None, level: int) -> Event:
        """The stored event, once the caller is proven to hold `level` in the event's own org."""
        event = self.store.events.get(event_id or "")
        if event is None:
            require_user(principal)  # anonymous callers learn nothing about which ids exist
            raise not_found("Event")
        require_level(principal, level, event.orgId)
        return event

    def events(
        self,
        principal: Principal | None,
        query: Mapping[str, Any] | None,
        pagination: Mapping[str, Any] | None,
    ) -> list[Event]:
        """R-EV-9: the context org's active events matching `query`, sorted and paginated."""
        _, org_id = require_context_org(principal, SCANNER)
        criteria = without_nones(query)
        now = self.clock()
        found = [
            e
            for e in self.store.events.find(("orgId", "==", org_id), ("active", "==", True))
            if event_rules.listed(e, criteria, now)
        ]
        return self.live(paginate(event_rules.sort_events(found, criteria), pagination))

    def order_count(self, event_id: str | None) -> int:
        return self.store.orders.count(("eventId", "==", event_id or "")) if event_id else 0

    def has_orders(self, event_ids: list[str]) -> dict[str, bool]:
        """Whether each event has at least one order (one small query per event)."""
        return {e: bool(self.store.orders.find(("eventId", "==", e), limit=1)) for e in event_ids}

    def fees_of_events(self, event_ids: list[str]) -> dict[str, list[Fee]]:
        """Non-disabled fees of each event, one query per 30 events (the Event.fees loader)."""
        by_event: dict[str, list[Fee]] = {e: [] for e in event_ids}
        for start in range(0, len(event_ids), IN_QUERY_LIMIT):
            chunk = event_ids[start : start + IN_QUERY_LIMIT]
            for fee in self.store.fees.find(("eventId", "in", chunk)):
                if not fee.disabled and fee.eventId in by_event:
                    by_event[fee.eventId].append(fee)
        return by_event

    # --- create / update ------------------------------------------------------------------------

    def create_event(self, principal: Principal | None, data: Mapping[str, Any]) -> Event:
        """R-EV-1: a new event of the context org with its stock shards, then its org's fees."""
        caller, org_id = require_context_org(principal, ADMIN)
        event = self.writer.create(self.listings.built(org_id, data))
        if self.seating:  # R-SEAT-2, server-side
            self.seating.event_saved(event)
        # EventCreated (SPEC 5.21): idempotent copy-down (ids derived from source and event).
        self.fees.copy_org_fees_to_event(org_id, event.id, caller.user_id)
        for hold in self.listings.holds_in(data):
            event = self.listings.apply_hold(event.id, hold)
        return self.live([event])[0]

    def update_event(self, principal: Principal | None, data: Mapping[str, Any]) -> Event:
        """R-EV-3: replace the editable fields; sold units stay sold (new remaining = new total −
        sold, per ticket type, tier, upgrade and promotion); R-EV-4 new holds when `isHold`."""
        stored = self._event_for(principal, str(data.get("_id") or ""), ADMIN)
        event = self.listings.replaced(stored, data)
        self.store.events.update(event.id, edited_fields(event))
        if self.seating:  # R-SEAT-2, server-side
            self.seating.event_saved(event)
        if self.webflow:  # EventUpdated: debounced Webflow re-sync (R-WF-6)
            self.webflow.event_updated(event)
        if data.get("isHold"):
            stored_ids = {h.id for h in stored.holds}
            for raw in strip_nones(data.get("holds") or []):
                if raw.get("_id") not in stored_ids:
                    self.listings.apply_hold(event.id, build(TicketHold, raw, "event.holds"))
            return self.event(event.id) or event
        return event

    # --- holds ----------------------------------------------------------------------------------

    def hold_ticket(
        self, principal: Principal | None, event_id: str | None, params: Mapping[str, Any] | None
    ) -> Event:
        """R-EV-5: store the hold; released (or re-held) units move between it and the sale."""
        event = self._event_for(principal, event_id, ADMIN)
        raw = strip_nones(without_nones(params))
        stored = next((h for h in event.holds if h.id == raw.get("_id")), None)
        base = stored.doc() if stored else {}
        hold = build(TicketHold, {**base, **raw, "allocation": base.get("allocation", {})}, "params")
        self.listings.apply_hold(event.id, hold)
        return self.event(event.id) or event

    # --- publish / delete / duplicate -----------------------------------------------------------

    def publish_event(
        self,
        principal: Principal | None,
        event_id: str | None,
        published: bool | None,
        publish_site_ids: list[str | None] | None = None,
        unpublish_site_ids: list[str | None] | None = None,
    ) -> Event:
        """R-EV-6: checks, the `published` flag, then the Webflow pushes (queued, step 3)."""
        event = self._event_for(principal, event_id, ADMIN)
        publish = published is not False
        if publish:
            if event.stub:
                taken = [
                    e
                    for e in self.store.events.find(("stub", "==", event.stub), ("published", "==", True))
                    if e.id != event.id and e.active
                ]
                if taken:
                    raise DomainError(ErrorCode.CONFLICT, "URL stub already used.", ["stub"])
            self.listings.check_publishable(event)
        # Sites are checked before the write, so an unknown site id changes nothing.
        plan = (
            self.webflow.publish_targets(event, publish_site_ids, unpublish_site_ids, publish)
            if self.webflow
            else None
        )
        self.store.events.update(event.id, {"published": publish})
        event = event.model_copy(update={"published": publish})
        if self.webflow:  # EventPublished (R-EV-6 step 3, R-WF-2, R-WF-6)
            self.webflow.event_published(event, plan, publish)
        return self.live([event])[0]

    def delete_event(self, principal: Principal | None, org_id: str, event_id: str) -> dict[str, Any]:
        """R-EV-7: soft delete, refused while any order of the event is not Refunded."""
        require_level(principal, ADMIN, org_id)
        event = self._event_for(principal, event_id, ADMIN)
        if event.orgId != org_id:
            raise permission_denied()
        orders = self.store.orders.count(("eventId", "==", event.id))
        refunded = self.store.orders.count(("eventId", "==", event.id), ("state", "==", "Refunded"))
        if orders != refunded:
            return {"ordersCount": orders, "ordersRefundedCount": refunded, "deleted": False}
        self.store.events.update(event.id, {"active": False})
        if self.webflow:  # R-EV-7: off every Webflow site it is on
            self.webflow.event_deleted(event)
        return {"ordersCount": orders, "ordersRefundedCount": refunded, "deleted": True}

    def duplicate_event(self, principal: Principal | None, event_id: str) -> Event:
        """R-EV-8: a fresh unpublished copy with new ids, full stock and today's schedule."""
        event = self._event_for(principal, event_id, ADMIN)
        caller = principal
        assert caller is not None  # _event_for proved a signed-in caller
        venue = self.store.venues.get(event.venueId) if event.venueId else None
        timezone = venue.address.timezone if venue else ""
        now = self.clock()
        copy = self.writer.create(event_rules.duplicate(event, now, timezone, int(now)))
        if self.seating:  # R-SEAT-2: the copy is a new seats.io event on the same chart
            self.seating.event_saved(copy)
        self.fees.copy_org_fees_to_event(copy.orgId, copy.id, caller.user_id)
        return copy

    # --- purchase portal ------------------------------------------------------------------------

    def _portal_event(self, event_id: str | None, season_id: str | None) -> Event:
        """The live, active event a portal read names."""
        event = self.event(event_id) if event_id else None
        if event is None or not event.active:
            raise not_found("Event")
        return event

    def _portal_listing(self, event_id: str | None, season_id: str | None) -> TicketedListing:
        """The live, active event, or (the portal's season pages send only `seasonId`) season,
        whose promotion codes a portal read checks."""
        if event_id or not season_id:
            return self._portal_event(event_id, None)
        season = self.store.seasons.get(season_id)
        if season is None or not season.active:
            raise not_found("Season")
        return with_live_stock(season, self.store.inventory.live_stock([season]).get(season.id, {}))

    def event_tickets(
        self, event_id: str | None, season_id: str | None, promo_code: str | None
    ) -> list[dict[str, Any]]:
        """R-PR-3: what each promotion with this code (case-insensitive) unlocks."""
        listing = self._portal_listing(event_id, season_id)
        return promotions.event_tickets_for_code(listing, promo_code or "")

    def event_discounts(
        self,
        event_id: str | None,
        season_id: str | None,
        discount_code: str | None,
        user_id: str | None,
        selected_ticket: list[str],
    ) -> list[dict[str, Any]]:
        """R-PR-5: check a discount code for the cart (and the user's uses of it)."""
        listing = self._portal_listing(event_id, season_id)
        stored = next(iter(promotions.find_promotions(listing, discount_code, {"Discount"})), None)
        uses = self._discount_uses(listing, user_id, stored.code) if stored and user_id else 0
        promotion = promotions.check_discount_code(
            listing, discount_code or "", int(self.clock()), selected_ticket, uses
        )
        return [promotions.discount_result(promotion, selected_ticket)]

    def _discount_uses(self, listing: TicketedListing, user_id: str, code: str) -> int:
        """The user's live orders of the event (or season) with this discount code (R-PR-5, D-20)."""
        scope = "seasonId" if isinstance(listing, Season) else "eventId"
        orders = self.store.orders.find(
            (scope, "==", listing.id), ("userId", "==", user_id), ("discountCode", "==", code)
        )
        return sum(1 for o in orders if o.state not in ("Refunded", "Canceled"))

    def fee_quote(self, query: Mapping[str, Any]) -> dict[str, Any]:
        """eventFeeCalculation (R-FEE-6/7, D-1): the same pricing path as the order itself —
        prices from the current tier and stored add-ons, the event's own fees, promotion terms
        read from the event. The client's prices and promotion terms only identify items."""
        event = self._portal_event(query.get("eventId"), None)
        now = int(self.clock())
        tickets = [
            RequestedTicket(
                ticket_type_id=str(t.get("ticketTypeId") or ""),
                seat=str(t.get("seat") or ""),
                guest=bool(t.get("guestTicket")),
            )
            for t in query.get("tickets") or []
            if t
        ]
        upgrade_ids = [str(u.get("upgradeId") or "") for u in query.get("upgrades") or [] if u]
        type_ids = [t.ticket_type_id for t in tickets]
        cart = price_cart(
            event,
            self.fees_of_events([event.id])[event.id],
            tickets,
            upgrade_ids,
            discount=self._quoted_discount(event, query.get("promotions") or [], type_ids, now),
            order_type="Paid",
            payment_method=str(query.get("paymentMethodType") or "Card Entry"),
            box_office=False,
            now=now,
        )
        return pricing.quote_to_graphql(cart.quote)

    def _quoted_discount(
        self, event: Event, sent: list[Mapping[str, Any] | None], type_ids: list[str], now: int
    ) -> Any:
        """The stored Discount promotion the client's promotions name by `_id` or code, checked
        like at order time; its terms are the stored ones, never the client's."""
        for item in sent:
            if not item:
                continue
            wanted_id = str(item.get("_id") or "")
            wanted_code = promotions.normalize_code(str(item.get("code") or ""))
            for promotion in event.promotions:
                if promotion.type != "Discount":
                    continue
                if (wanted_id and promotion.id == wanted_id) or (
                    wanted_code and promotions.normalize_code(promotion.code) == wanted_code
                ):
                    return promotions.check_discount_code(event, promotion.code, now, type_ids, 0)
        return None
