"""Seasons over GraphQL (SPEC 4.2/4.3 Tier 3, 4.7, R-T3-1; rules in shared.services.seasons).

The Season type shares its nested fields with Event (organization without the member-API secret,
venue, artists, seating public key): the same resolver functions are bound to both types.
Season orders (R-T3-2) stay in resolvers.unavailable.
"""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType, SchemaBindable
from graphql import GraphQLResolveInfo

from shared.domain.models import Season
from shared.graphql_api.context import ctx
from shared.graphql_api.resolvers.events import (
    resolve_event_artists,
    resolve_event_organization,
    resolve_event_venue,
)
from shared.graphql_api.resolvers.public_feeds import ChosenEvents
from shared.graphql_api.resolvers.seating import resolve_event_seating_public_key
from shared.graphql_api.roots import doc, docs, mutation, query

season_type = ObjectType("Season")
order_type = ObjectType("Order")


# --- Query ----------------------------------------------------------------------------------------


@query.field("season")
def resolve_season(_: None, info: GraphQLResolveInfo, seasonId: str | None = None) -> Any:
    c = ctx(info)
    return doc(c.services.seasons.season(c.principal, seasonId))


@query.field("seasons")
def resolve_seasons(_: None, info: GraphQLResolveInfo, query: Any = None, pagination: Any = None) -> Any:
    c = ctx(info)
    return docs(c.services.seasons.seasons(c.principal, query, pagination))


@query.field("seasonEvents")
def resolve_season_events(_: None, info: GraphQLResolveInfo, seasonId: str | None = None) -> Any:
    c = ctx(info)
    return docs(c.services.seasons.season_events(c.principal, seasonId))


@query.field("seasonFees")
def resolve_season_fees(_: None, info: GraphQLResolveInfo, seasonId: str) -> Any:
    c = ctx(info)
    return docs(c.services.seasons.season_fees(c.principal, seasonId))


@query.field("seasonTickets")
def resolve_season_tickets(
    _: None, info: GraphQLResolveInfo, seasonId: str | None = None, promoCode: str | None = None
) -> Any:
    c = ctx(info)
    return c.services.seasons.season_tickets(c.principal, seasonId, promoCode)


# The public website feeds (SPEC 4.8): the REST handler passes the seasons it chose as the root.


@query.field("seasonsList")
def resolve_seasons_list(root: Any, info: GraphQLResolveInfo) -> Any:
    if isinstance(root, ChosenEvents):
        return docs(root.events)
    return docs(ctx(info).services.public_seasons.event_list())


@query.field("seasonsDetails")
def resolve_seasons_details(root: Any, info: GraphQLResolveInfo, seasonId: str | None = None) -> Any:
    if isinstance(root, ChosenEvents):
        return doc(root.events[0]) if root.events else None
    return doc(ctx(info).services.public_seasons.event_detail(event_id=seasonId))


# --- Mutation -------------------------------------------------------------------------------------


@mutation.field("createSeason")
def resolve_create_season(_: None, info: GraphQLResolveInfo, season: dict[str, Any]) -> Any:
    c = ctx(info)
    return doc(c.services.seasons.create_season(c.principal, season))


@mutation.field("updateSeason")
def resolve_update_season(_: None, info: GraphQLResolveInfo, season: dict[str, Any]) -> Any:
    c = ctx(info)
    return doc(c.services.seasons.update_season(c.principal, season))


@mutation.field("publishSeason")
def resolve_publish_season(
    _: None, info: GraphQLResolveInfo, seasonId: str, published: bool | None = None
) -> Any:
    c = ctx(info)
    return doc(c.services.seasons.publish_season(c.principal, seasonId, published))


# --- nested (SPEC 4.7) ----------------------------------------------------------------------------

season_type.set_field("organization", resolve_event_organization)
season_type.set_field("venue", resolve_event_venue)
season_type.set_field("artists", resolve_event_artists)
season_type.set_field("seatingPublicKey", resolve_event_seating_public_key)


@season_type.field("fees")
async def resolve_season_fee_list(season: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    return docs(await ctx(info).loaders.season_fees.load(str(season["_id"])) or [])


@season_type.field("hasOrders")
async def resolve_season_has_orders(season: dict[str, Any], info: GraphQLResolveInfo) -> bool:
    return bool(await ctx(info).loaders.season_has_orders.load(str(season["_id"])))


@season_type.field("events")
def resolve_season_event_list(season: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return docs(c.services.seasons.events_of(c.principal, Season.model_validate(season)))


@order_type.field("season")
async def resolve_order_season(order: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    """The order's season; whoever may read the order may read what it bought."""
    season_id = order.get("seasonId")
    return doc(await ctx(info).loaders.seasons.load(str(season_id))) if season_id else None


BINDABLES: list[SchemaBindable] = [season_type, order_type]
