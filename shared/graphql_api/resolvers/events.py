"""Events and the purchase portal's event reads (SPEC 4.2/4.3, 4.7, R-EV, R-PR-3/5, R-FEE-7)."""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType, SchemaBindable
from graphql import GraphQLResolveInfo

from shared.domain.permissions import ADMIN
from shared.graphql_api.context import ctx
from shared.graphql_api.roots import doc, docs, mutation, query
from shared.services.waitlist import SEARCH_RESULT_KEY

event_type = ObjectType("Event")
performance_type = ObjectType("Performance")


# --- Query ----------------------------------------------------------------------------------------


@query.field("event")
def resolve_event(_: None, info: GraphQLResolveInfo, eventId: str | None = None) -> Any:
    return doc(ctx(info).services.events.event(eventId))


@query.field("events")
def resolve_events(_: None, info: GraphQLResolveInfo, query: Any = None, pagination: Any = None) -> Any:
    c = ctx(info)
    return docs(c.services.events.events(c.principal, query, pagination))


@query.field("eventOrderCount")
def resolve_event_order_count(_: None, info: GraphQLResolveInfo, eventId: str | None = None) -> int:
    return ctx(info).services.events.order_count(eventId)


@query.field("eventTickets")
def resolve_event_tickets(
    _: None,
    info: GraphQLResolveInfo,
    *,
    eventId: str | None = None,
    seasonId: str | None = None,
    promoCode: str | None = None,
) -> Any:
    return ctx(info).services.events.event_tickets(eventId, seasonId, promoCode)


@query.field("eventDiscounts")
def resolve_event_discounts(
    _: None,
    info: GraphQLResolveInfo,
    *,
    eventId: str | None = None,
    seasonId: str | None = None,
    discountCode: str | None = None,
    userId: str | None = None,
    selectedTicket: list[str | None] | None = None,
) -> Any:
    return ctx(info).services.events.event_discounts(
        eventId, seasonId, discountCode, userId, [t for t in selectedTicket or [] if t]
    )


@query.field("eventFeeCalculation")
def resolve_event_fee_calculation(_: None, info: GraphQLResolveInfo, query: Any = None) -> Any:
    return ctx(info).services.events.fee_quote(query or {})


# --- Mutation -------------------------------------------------------------------------------------


@mutation.field("createEvent")
def resolve_create_event(_: None, info: GraphQLResolveInfo, event: dict[str, Any]) -> Any:
    c = ctx(info)
    return doc(c.services.events.create_event(c.principal, event))


@mutation.field("updateEvent")
def resolve_update_event(_: None, info: GraphQLResolveInfo, event: dict[str, Any]) -> Any:
    c = ctx(info)
    return doc(c.services.events.update_event(c.principal, event))


@mutation.field("holdTicket")
def resolve_hold_ticket(
    _: None, info: GraphQLResolveInfo, eventId: str | None = None, params: Any = None
) -> Any:
    c = ctx(info)
    return doc(c.services.events.hold_ticket(c.principal, eventId, params))


@mutation.field("publishEvent")
def resolve_publish_event(
    _: None,
    info: GraphQLResolveInfo,
    *,
    eventId: str,
    publishSiteIds: list[str | None] | None = None,
    unpublishSiteIds: list[str | None] | None = None,
    published: bool | None = None,
) -> Any:
    c = ctx(info)
    return doc(
        c.services.events.publish_event(c.principal, eventId, published, publishSiteIds, unpublishSiteIds)
    )


@mutation.field("deleteEvent")
def resolve_delete_event(_: None, info: GraphQLResolveInfo, orgId: str, eventId: str) -> Any:
    c = ctx(info)
    return c.services.events.delete_event(c.principal, orgId, eventId)


@mutation.field("duplicateEvent")
def resolve_duplicate_event(_: None, info: GraphQLResolveInfo, eventId: str) -> Any:
    c = ctx(info)
    return doc(c.services.events.duplicate_event(c.principal, eventId))


# --- nested (SPEC 4.7) ----------------------------------------------------------------------------


@event_type.field("organization")
async def resolve_event_organization(event: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    org = await c.loaders.organizations.load(str(event["orgId"]))
    if org is None:
        return None
    view = org.doc()
    principal = c.principal
    if principal is None or principal.level_in(org.id) < ADMIN:
        view["tegSecret"] = None  # D-5: the member-API secret never leaves the server otherwise
    return view


@event_type.field("venue")
async def resolve_event_venue(event: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    venue_id = event.get("venueId")
    return doc(await ctx(info).loaders.venues.load(str(venue_id))) if venue_id else None


@event_type.field("fees")
async def resolve_event_fees(event: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    return docs(await ctx(info).loaders.event_fees.load(str(event["_id"])) or [])


def _artist_ids(performances: list[dict[str, Any]], keys: tuple[str, ...]) -> list[str]:
    ids = [str(a) for p in performances for k in keys for a in p.get(k) or [] if a]
    return list(dict.fromkeys(ids))


@event_type.field("artists")
async def resolve_event_artists(event: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    ids = _artist_ids(event.get("performances") or [], ("headliningArtistIds", "openingArtistIds"))
    return docs(await ctx(info).loaders.artists.load_many(ids))


@performance_type.field("headliningArtists")
async def resolve_headliners(performance: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    ids = _artist_ids([performance], ("headliningArtistIds",))
    return docs(await ctx(info).loaders.artists.load_many(ids))


@performance_type.field("openingArtists")
async def resolve_openers(performance: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    ids = _artist_ids([performance], ("openingArtistIds",))
    return docs(await ctx(info).loaders.artists.load_many(ids))


@event_type.field("hasOrders")
async def resolve_has_orders(event: dict[str, Any], info: GraphQLResolveInfo) -> bool:
    return bool(await ctx(info).loaders.event_has_orders.load(str(event["_id"])))


@event_type.field("waitList")
def resolve_wait_list(event: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    if event.get(SEARCH_RESULT_KEY):
        return event.get("waitList") or []  # searchEvents/eventQuery: filtered and authorized (SCANNER+)
    principal = ctx(info).principal
    if principal is None or principal.level_in(str(event["orgId"])) < ADMIN:
        return []  # R-T3-3: the wait list is visible to ADMIN+ of the event's org only
    return event.get("waitList") or []


BINDABLES: list[SchemaBindable] = [event_type, performance_type]
