"""Reserved seating (SPEC 4.2/4.3/4.7, R-SEAT-1/5, D-5): the org's seats.io keys, sub-account
creation, hold-token extension, and the nested `Organization.seating` / `Event.seatingPublicKey`.
Secret and designer keys reach ADMIN+ of the org only (shared.domain.seating.view)."""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType, SchemaBindable
from graphql import GraphQLResolveInfo

from shared.domain.seating import Seating
from shared.graphql_api.context import RequestContext, ctx
from shared.graphql_api.loaders import DataLoader
from shared.graphql_api.roots import mutation, query

organization_type = ObjectType("Organization")
event_type = ObjectType("Event")
_LOADER = "_seating_records"


def _records(c: RequestContext) -> DataLoader[str, Seating]:
    """One batched read of `seatings` per request, however many nested fields ask."""
    loader: DataLoader[str, Seating] | None = getattr(c, _LOADER, None)
    if loader is None:
        loader = DataLoader(c.services.seating.of_orgs)
        setattr(c, _LOADER, loader)
    return loader


@query.field("seating")
def resolve_seating(_: None, info: GraphQLResolveInfo, orgId: str | None = None) -> Any:
    c = ctx(info)
    return c.services.seating.seating(c.principal, orgId)


@query.field("seatingPublicKey")
def resolve_seating_public_key(_: None, info: GraphQLResolveInfo) -> Any:
    """Public: the public key of the org the portal is embedded for (X-Org-Id), or the caller's
    org context."""
    c = ctx(info)
    org_id = (c.request.headers.get("X-Org-Id") or "").strip()
    if not org_id and c.principal is not None:
        org_id = c.principal.org_context_id
    return c.services.seating.public_key(org_id)


@mutation.field("createOrganizationSeating")
def resolve_create_organization_seating(_: None, info: GraphQLResolveInfo, orgId: str) -> Any:
    c = ctx(info)
    return c.services.seating.create_organization_seating(c.principal, orgId)


@mutation.field("extendSeatingHoldToken")
def resolve_extend_seating_hold_token(_: None, info: GraphQLResolveInfo, orgId: str, holdToken: str) -> Any:
    return ctx(info).services.seating.extend_hold_token(orgId, holdToken)


@organization_type.field("seating")
async def resolve_organization_seating(org: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    org_id = str(org.get("_id") or "")
    record = await _records(c).load(org_id) if org_id else None
    return c.services.seating.view(record, c.principal)


@event_type.field("seatingPublicKey")
async def resolve_event_seating_public_key(event: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    org_id = str(event.get("orgId") or "")
    record = await _records(ctx(info)).load(org_id) if org_id else None
    return record.publicKey if record else None


BINDABLES: list[SchemaBindable] = [organization_type, event_type]
