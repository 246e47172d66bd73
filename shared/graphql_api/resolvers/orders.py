"""Checkout mutations (SPEC 4.3: createOrderPaymentIntent, createOrder, and their season variants,
R-T3-2) on the checkout service."""

from __future__ import annotations

from typing import Any

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.caller import client_ip
from shared.graphql_api.context import ctx
from shared.graphql_api.roots import doc, mutation


@mutation.field("createOrderPaymentIntent")
def resolve_create_order_payment_intent(_: None, info: GraphQLResolveInfo, params: dict[str, Any]) -> Any:
    c = ctx(info)
    key = c.request.headers.get("Idempotency-Key", "")
    return c.services.checkout.start_card_payment(
        c.principal, params, ip=client_ip(c.request), client_key=key
    )


@mutation.field("createOrder")
def resolve_create_order(_: None, info: GraphQLResolveInfo, params: dict[str, Any]) -> Any:
    c = ctx(info)
    key = c.request.headers.get("Idempotency-Key", "")
    return doc(c.services.checkout.create_order(c.principal, params, ip=client_ip(c.request), client_key=key))


@mutation.field("createSeasonOrderPaymentIntent")
def resolve_create_season_order_payment_intent(
    _: None, info: GraphQLResolveInfo, params: dict[str, Any]
) -> Any:
    c = ctx(info)
    key = c.request.headers.get("Idempotency-Key", "")
    return c.services.checkout.start_season_card_payment(
        c.principal, params, ip=client_ip(c.request), client_key=key
    )


@mutation.field("createSeasonOrder")
def resolve_create_season_order(_: None, info: GraphQLResolveInfo, params: dict[str, Any]) -> Any:
    c = ctx(info)
    key = c.request.headers.get("Idempotency-Key", "")
    return doc(
        c.services.checkout.create_season_order(c.principal, params, ip=client_ip(c.request), client_key=key)
    )


BINDABLES: list[SchemaBindable] = []
