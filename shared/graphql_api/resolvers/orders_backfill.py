"""`ordersChargeUpdate` (SPEC 4.2, SUPER_USER‡): a thin edge over ChargeBackfillService."""

from __future__ import annotations

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.graphql_api.context import ctx
from shared.graphql_api.roots import query


@query.field("ordersChargeUpdate")
def resolve_orders_charge_update(_: None, info: GraphQLResolveInfo) -> dict[str, str]:
    c = ctx(info)
    return c.services.orders_backfill.update_charges(c.principal)


BINDABLES: list[SchemaBindable] = []
