"""Fee reads and fee administration (SPEC 4.2/4.3, R-FEE-1, R-FEE-2).

`eventFeeCalculation` (the price quote) lives with the event reads in resolvers.events.
"""

from __future__ import annotations

from typing import Any

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.graphql_api.context import ctx
from shared.graphql_api.roots import doc, docs, mutation, query

# --- queries -------------------------------------------------------------------------------------


@query.field("fee")
def resolve_fee(_: None, info: GraphQLResolveInfo, feeId: str) -> Any:
    c = ctx(info)
    return doc(c.services.fees.fee(c.principal, feeId))


@query.field("fees")
def resolve_fees(
    _: None, info: GraphQLResolveInfo, feeIds: list[str | None], orgId: str | None = None
) -> Any:
    c = ctx(info)
    return docs(c.services.fees.fees_by_id(c.principal, feeIds, orgId))


@query.field("eventFees")
def resolve_event_fees(_: None, info: GraphQLResolveInfo, eventId: str) -> Any:
    c = ctx(info)
    return docs(c.services.fees.public_event_fees(c.principal, eventId))


@query.field("listFees")
def resolve_list_fees(_: None, info: GraphQLResolveInfo, feeIds: list[str | None]) -> Any:
    c = ctx(info)
    return docs(c.services.fees.list_fees(c.principal, feeIds))


@query.field("organizationFees")
def resolve_organization_fees(_: None, info: GraphQLResolveInfo, orgId: str) -> Any:
    c = ctx(info)
    return docs(c.services.fees.fees_of_organization(c.principal, orgId))


@query.field("platformFees")
def resolve_platform_fees(_: None, info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return docs(c.services.fees.all_platform_fees(c.principal))


@query.field("processingFee")
def resolve_processing_fee(_: None, info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return c.services.fees.processing_fee(c.principal)


# --- ADMIN of the context org ----------------------------------------------------------------------


@mutation.field("createFee")
def resolve_create_fee(_: None, info: GraphQLResolveInfo, fee: dict[str, Any]) -> Any:
    c = ctx(info)
    return doc(c.services.fees.create_fee(c.principal, fee))


@mutation.field("updateFee")
def resolve_update_fee(_: None, info: GraphQLResolveInfo, fee: dict[str, Any]) -> Any:
    c = ctx(info)
    return doc(c.services.fees.update_fee(c.principal, fee))


@mutation.field("disableFee")
def resolve_disable_fee(_: None, info: GraphQLResolveInfo, feeId: str) -> Any:
    c = ctx(info)
    return c.services.fees.disable_fee(c.principal, feeId)


# --- SUPER_USER ------------------------------------------------------------------------------------


@mutation.field("createOrganizationFee")
def resolve_create_organization_fee(
    _: None, info: GraphQLResolveInfo, orgId: str, fee: dict[str, Any]
) -> Any:
    c = ctx(info)
    return doc(c.services.fees.create_organization_fee(c.principal, orgId, fee))


@mutation.field("updateOrganizationFee")
def resolve_update_organization_fee(
    _: None, info: GraphQLResolveInfo, orgId: str, fee: dict[str, Any]
) -> Any:
    c = ctx(info)
    return doc(c.services.fees.update_organization_fee(c.principal, orgId, fee))


@mutation.field("deleteOrganizationFee")
def resolve_delete_organization_fee(_: None, info: GraphQLResolveInfo, orgId: str, feeId: str) -> Any:
    c = ctx(info)
    return c.services.fees.delete_organization_fee(c.principal, orgId, feeId)


@mutation.field("createEventOrSeasonFee")
def resolve_create_event_or_season_fee(
    _: None,
    info: GraphQLResolveInfo,
    fee: dict[str, Any],
    orgId: str | None = None,
    eventId: str | None = None,
    seasonId: str | None = None,
) -> Any:
    c = ctx(info)
    return doc(c.services.fees.create_event_or_season_fee(c.principal, orgId, eventId, seasonId, fee))


@mutation.field("updateEventOrSeasonFee")
def resolve_update_event_or_season_fee(
    _: None,
    info: GraphQLResolveInfo,
    fee: dict[str, Any],
    orgId: str | None = None,
    eventId: str | None = None,
    seasonId: str | None = None,
) -> Any:
    c = ctx(info)
    return doc(c.services.fees.update_event_or_season_fee(c.principal, orgId, eventId, seasonId, fee))


@mutation.field("deleteEventOrSeasonFee")
def resolve_delete_event_or_season_fee(
    _: None,
    info: GraphQLResolveInfo,
    feeId: str,
    orgId: str | None = None,
    eventId: str | None = None,
    seasonId: str | None = None,
) -> Any:
    c = ctx(info)
    return c.services.fees.delete_event_or_season_fee(c.principal, orgId, eventId, seasonId, feeId)


@mutation.field("createPlatformFee")
def resolve_create_platform_fee(_: None, info: GraphQLResolveInfo, fee: dict[str, Any]) -> Any:
    c = ctx(info)
    return doc(c.services.fees.create_platform_fee(c.principal, fee))


@mutation.field("updatePlatformFee")
def resolve_update_platform_fee(_: None, info: GraphQLResolveInfo, fee: dict[str, Any]) -> Any:
    c = ctx(info)
    return doc(c.services.fees.update_platform_fee(c.principal, fee))


@mutation.field("deletePlatformFee")
def resolve_delete_platform_fee(_: None, info: GraphQLResolveInfo, feeId: str) -> Any:
    c = ctx(info)
    return c.services.fees.delete_platform_fee(c.principal, feeId)


@mutation.field("applyPlatformFeesToAllOrganizations")
def resolve_apply_platform_fees(_: None, info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return c.services.fees.apply_platform_fees_to_all_organizations(c.principal)


BINDABLES: list[SchemaBindable] = []
