"""Venues and artists (SPEC 4.2/4.3, R-VA)."""

from __future__ import annotations

from typing import Any

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.graphql_api.context import ctx
from shared.graphql_api.roots import doc, docs, mutation, query


@query.field("venue")
def resolve_venue(_: None, info: GraphQLResolveInfo, venueId: str | None = None) -> Any:
    return doc(ctx(info).services.catalog.venue(venueId or ""))


@query.field("venues")
def resolve_venues(_: None, info: GraphQLResolveInfo, query: Any = None, pagination: Any = None) -> Any:
    c = ctx(info)
    return docs(c.services.catalog.venues(c.principal, query, pagination))


@query.field("globalVenues")
def resolve_global_venues(
    _: None, info: GraphQLResolveInfo, name: str | None = None, pagination: Any = None
) -> Any:
    c = ctx(info)
    return docs(c.services.catalog.global_venues(c.principal, name, pagination))


@mutation.field("createVenue")
def resolve_create_venue(_: None, info: GraphQLResolveInfo, venue: dict[str, Any]) -> Any:
    c = ctx(info)
    return doc(c.services.catalog.create_venue(c.principal, venue))


@mutation.field("updateVenue")
def resolve_update_venue(_: None, info: GraphQLResolveInfo, venue: dict[str, Any]) -> Any:
    c = ctx(info)
    return doc(c.services.catalog.update_venue(c.principal, venue))


@query.field("artist")
def resolve_artist(_: None, info: GraphQLResolveInfo, artistId: str | None = None) -> Any:
    c = ctx(info)
    return doc(c.services.catalog.artist(c.principal, artistId or ""))


@query.field("artists")
def resolve_artists(_: None, info: GraphQLResolveInfo, query: Any = None, pagination: Any = None) -> Any:
    c = ctx(info)
    return docs(c.services.catalog.artists(c.principal, query, pagination))


@query.field("artistsById")
def resolve_artists_by_id(_: None, info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return docs(c.services.catalog.org_artists(c.principal))


@query.field("globalArtists")
def resolve_global_artists(
    _: None, info: GraphQLResolveInfo, name: str | None = None, pagination: Any = None
) -> Any:
    c = ctx(info)
    return docs(c.services.catalog.global_artists(c.principal, name, pagination))


@mutation.field("createArtist")
def resolve_create_artist(_: None, info: GraphQLResolveInfo, artist: dict[str, Any]) -> Any:
    c = ctx(info)
    return doc(c.services.catalog.create_artist(c.principal, artist))


@mutation.field("updateArtist")
def resolve_update_artist(_: None, info: GraphQLResolveInfo, artist: dict[str, Any]) -> Any:
    c = ctx(info)
    return doc(c.services.catalog.update_artist(c.principal, artist))


BINDABLES: list[SchemaBindable] = []
