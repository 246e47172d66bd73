"""Webflow configuration and the entities published to it (SPEC 4.2/4.3, 4.7, R-WF-1).

`publishEvent` itself is the events module's: it hands the site ids to EventService, which
checks them and queues the pushes (shared.services.webflow).
"""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType, SchemaBindable
from graphql import GraphQLResolveInfo

from shared.domain.models import WebFlow
from shared.domain.permissions import ADMIN, SCANNER
from shared.graphql_api.context import RequestContext, ctx
from shared.graphql_api.loaders import DataLoader
from shared.graphql_api.roots import doc, docs, mutation, query

event_type = ObjectType("Event")
venue_type = ObjectType("Venue")
artist_type = ObjectType("Artist")
organization_type = ObjectType("Organization")
entity_id_type = ObjectType("WebFlowEntityId")
_LOADER = "_webflow_records"


def _records(c: RequestContext) -> DataLoader[str, WebFlow]:
    """One batched read of `webFlows` per request, whatever the number of nested fields asking."""
    loader: DataLoader[str, WebFlow] | None = getattr(c, _LOADER, None)
    if loader is None:
        loader = DataLoader(c.services.webflow.of_orgs)
        setattr(c, _LOADER, loader)
    return loader


def _view(record: WebFlow | None) -> dict[str, Any] | None:
    """The record as GraphQL reads it; each entity's item ids know their org, so that
    WebFlowEntityId.webFlowSite can find the site."""
    view = doc(record)
    if view is not None:
        for entity in view["entities"]:
            for item in entity["webFlowIds"]:
                item["_orgId"] = view["orgId"]
    return view


# --- Query ----------------------------------------------------------------------------------------


@query.field("webFlow")
def resolve_web_flow(_: None, info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return _view(c.services.webflow.web_flow(c.principal))


@query.field("webFlowSites")
def resolve_web_flow_sites(_: None, info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return docs(c.services.webflow.web_flow_sites(c.principal))


# --- Mutation -------------------------------------------------------------------------------------


@mutation.field("createWebFlow")
def resolve_create_web_flow(_: None, info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return _view(c.services.webflow.create_web_flow(c.principal))


@mutation.field("createWebFlowSite")
def resolve_create_web_flow_site(_: None, info: GraphQLResolveInfo, webFlowId: str, orgId: str) -> Any:
    c = ctx(info)
    return _view(c.services.webflow.create_web_flow_site(c.principal, webFlowId, orgId))


@mutation.field("remapWebFlowSite")
def resolve_remap_web_flow_site(_: None, info: GraphQLResolveInfo, webFlowId: str) -> Any:
    c = ctx(info)
    return [_view(r) for r in c.services.webflow.remap_web_flow_site(c.principal, webFlowId)]


@mutation.field("updateVenuePublishing")
def resolve_update_venue_publishing(
    _: None,
    info: GraphQLResolveInfo,
    venueId: str | None = None,
    alwaysPublishTo: list[str | None] | None = None,
) -> Any:
    c = ctx(info)
    return _view(c.services.webflow.update_venue_publishing(c.principal, venueId, alwaysPublishTo))


# --- nested (SPEC 4.7) ----------------------------------------------------------------------------


async def _entity(info: GraphQLResolveInfo, org_id: Any, entity_type: str, sellout_id: Any) -> Any:
    """The entity of this type and Sellout id in the org's WebFlow, for its SCANNER+ staff (the
    portal reads events anonymously and has no use for Webflow item ids)."""
    c = ctx(info)
    principal = c.principal
    if not org_id or not sellout_id or principal is None or principal.level_in(str(org_id)) < SCANNER:
        return None
    record = await _records(c).load(str(org_id))
    entity = record.entity(entity_type, str(sellout_id)) if record else None
    if entity is None:
        return None
    view: dict[str, Any] = entity.doc()
    for item in view["webFlowIds"]:
        item["_orgId"] = str(org_id)  # lets WebFlowEntityId.webFlowSite find its site
    return view


@event_type.field("webFlowEntity")
async def resolve_event_entity(event: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    return await _entity(info, event.get("orgId"), "EVENT", event.get("_id"))


@venue_type.field("webFlowEntity")
async def resolve_venue_entity(venue: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    return await _entity(info, venue.get("orgId"), "VENUE", venue.get("_id"))


@artist_type.field("webFlowEntity")
async def resolve_artist_entity(artist: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    return await _entity(info, artist.get("orgId"), "ARTIST", artist.get("_id"))


@organization_type.field("webFlowEntity")
async def resolve_organization_entity(org: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    return await _entity(info, org.get("_id"), "ORGANIZATION", org.get("_id"))


@organization_type.field("webFlow")
async def resolve_organization_web_flow(org: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    """The org's WebFlow, for its ADMIN+ (the configuration screen)."""
    c = ctx(info)
    org_id = str(org.get("_id") or "")
    if not org_id or c.principal is None or c.principal.level_in(org_id) < ADMIN:
        return None
    return _view(await _records(c).load(org_id))


@entity_id_type.field("webFlowSite")
async def resolve_entity_site(item: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    org_id = item.get("_orgId")
    if not org_id:
        return None
    record = await _records(ctx(info)).load(str(org_id))
    site = record.site(str(item.get("webFlowSiteId") or "")) if record else None
    return doc(site)


BINDABLES: list[SchemaBindable] = [
    event_type, venue_type, artist_type, organization_type, entity_id_type,
]  # fmt: skip
