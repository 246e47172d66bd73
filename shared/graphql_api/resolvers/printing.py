"""Break-apart printing over GraphQL (SPEC 4.3, R-QR-8; rules in shared.services.printing)."""

from __future__ import annotations

from typing import Any

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.graphql_api.context import ctx
from shared.graphql_api.roots import doc, docs, mutation


@mutation.field("breakApartOrder")
def resolve_break_apart_order(_: None, info: GraphQLResolveInfo, orderId: str) -> Any:
    c = ctx(info)
    return doc(c.services.printing.break_apart(c.principal, orderId))


@mutation.field("multipleBreakApartOrder")
def resolve_multiple_break_apart_order(_: None, info: GraphQLResolveInfo, orderId: list[str | None]) -> Any:
    c = ctx(info)
    return docs(c.services.printing.break_apart_many(c.principal, orderId))


@mutation.field("batchPrintBreakApartOrder")
def resolve_batch_print_break_apart_order(
    _: None, info: GraphQLResolveInfo, orderId: list[str | None]
) -> Any:
    c = ctx(info)
    return docs(c.services.printing.break_apart_many(c.principal, orderId, printed=True))


@mutation.field("breakApartSeasonOrder")
def resolve_break_apart_season_order(_: None, info: GraphQLResolveInfo, orderId: str) -> Any:
    c = ctx(info)
    return docs(c.services.printing.break_apart_seasons(c.principal, [orderId]))


@mutation.field("multipleBreakApartSeasonOrder")
def resolve_multiple_break_apart_season_order(
    _: None, info: GraphQLResolveInfo, orderId: list[str | None]
) -> Any:
    c = ctx(info)
    return docs(c.services.printing.break_apart_seasons(c.principal, orderId))


BINDABLES: list[SchemaBindable] = []  # root fields only: registered on `mutation` above
