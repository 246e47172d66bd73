"""Order reads, check-in edits and scanning over GraphQL (SPEC 4.2/4.3/4.7, R-ORD-12, R-SCAN).

Nested order fields resolve through the request's batching loaders, so a page of 50 orders
reads each kind of related document in one round trip. `secretId` is not in the schema and no
resolver here copies it into another field.
"""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType, SchemaBindable
from graphql import GraphQLResolveInfo

from shared.graphql_api.context import ctx
from shared.graphql_api.roots import doc, docs, mutation, query

order_type = ObjectType("Order")
scan_type = ObjectType("Scan")

PLATFORM_FEES = ("Sellout", "Stripe")
PROMOTER_FEES = ("Organization",)


# --- Query ------------------------------------------------------------------------------------


@query.field("order")
def resolve_order(_: None, info: GraphQLResolveInfo, orderId: str | None = None) -> Any:
    c = ctx(info)
    return doc(c.services.orders.order(c.principal, orderId))


@query.field("orders")
def resolve_orders(_: None, info: GraphQLResolveInfo, query: Any = None, pagination: Any = None) -> Any:
    c = ctx(info)
    return docs(c.services.orders.orders_list(c.principal, query, pagination))


@query.field("orderDetails")
def resolve_order_details(_: None, info: GraphQLResolveInfo, eventId: str | None = None) -> Any:
    c = ctx(info)
    return c.services.orders.order_details(c.principal, eventId)


# --- Mutation ---------------------------------------------------------------------------------


@mutation.field("updateOrder")
def resolve_update_order(_: None, info: GraphQLResolveInfo, params: Any = None) -> Any:
    c = ctx(info)
    return doc(c.services.orders.update_order(c.principal, params))


@mutation.field("updateGuestOrder")
def resolve_update_guest_order(_: None, info: GraphQLResolveInfo, params: Any = None) -> Any:
    c = ctx(info)
    return doc(c.services.orders.update_guest_order(c.principal, params))


@mutation.field("scanOrder")
def resolve_scan_order(
    _: None,
    info: GraphQLResolveInfo,
    *,
    orderId: str,
    ticketIds: list[str | None],
    upgradeIds: list[str | None],
    name: str | None = None,
    pagination: Any = None,
) -> bool:
    c = ctx(info)  # `name` and `pagination` are accepted and ignored (SPEC 7.17)
    c.services.scanning.scan(c.principal, orderId, ticketIds, upgradeIds)
    return True


# --- nested (SPEC 4.7) ------------------------------------------------------------------------


async def _user(info: GraphQLResolveInfo, user_id: Any) -> Any:
    return doc(await ctx(info).loaders.users.load(str(user_id))) if user_id else None


@order_type.field("user")
async def resolve_order_user(order: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    return await _user(info, order.get("userId"))


@order_type.field("creator")
async def resolve_order_creator(order: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    return await _user(info, order.get("createdBy"))


@order_type.field("userProfile")
async def resolve_order_user_profile(order: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    user_id = order.get("userId")
    return doc(await ctx(info).loaders.profiles.load(str(user_id))) if user_id else None


@order_type.field("event")
async def resolve_order_event(order: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    event_id = order.get("eventId")
    return doc(await ctx(info).loaders.events.load(str(event_id))) if event_id else None


@order_type.field("organization")
async def resolve_order_organization(order: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    return doc(await ctx(info).loaders.organizations.load(str(order["orgId"])))


@order_type.field("venues")
async def resolve_order_venues(order: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    return docs(await ctx(info).loaders.venues.load_many(str(v) for v in order.get("venueIds") or []))


@order_type.field("artists")
async def resolve_order_artists(order: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    return docs(await ctx(info).loaders.artists.load_many(str(a) for a in order.get("artistIds") or []))


@order_type.field("fees")
def resolve_order_fees(order: dict[str, Any], _: GraphQLResolveInfo) -> Any:
    return order.get("fees") or []  # the snapshot taken at purchase, never recomputed


def _fee_total(order: dict[str, Any], applied_by: tuple[str, ...]) -> float:
    return float(
        sum(float(f.get("amount") or 0) for f in order.get("fees") or [] if f.get("appliedBy") in applied_by)
    )


def _processing(order: dict[str, Any], key: str, applied_by: tuple[str, ...]) -> dict[str, Any]:
    marker = order.get(key) or {}
    refund = marker.get("refund") or {"refunded": False, "refundedBy": ""}
    return {"refund": refund, "amount": _fee_total(order, applied_by)}


@order_type.field("processingFee")
def resolve_order_processing_fee(order: dict[str, Any], _: GraphQLResolveInfo) -> Any:
    return _processing(order, "processingFee", PLATFORM_FEES)


@order_type.field("promoterFee")
def resolve_order_promoter_fee(order: dict[str, Any], _: GraphQLResolveInfo) -> Any:
    return _processing(order, "promoterFee", PROMOTER_FEES)


@scan_type.field("scannedByUser")
async def resolve_scanned_by_user(scan: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    return await _user(info, scan.get("scannedBy"))


BINDABLES: list[SchemaBindable] = [order_type, scan_type]
