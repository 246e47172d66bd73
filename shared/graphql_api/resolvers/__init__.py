"""Resolver modules, one per area. Importing them registers their root fields; BINDABLES lists
every bindable for make_executable_schema."""

from __future__ import annotations

from ariadne import SchemaBindable

from shared.graphql_api.resolvers import (
    accounts,
    catalog,
    delivery,
    events,
    fees,
    orders,
    orders_read,
    refunds,
    roles,
)
from shared.graphql_api.roots import mutation, query

BINDABLES: list[SchemaBindable] = [query, mutation, *catalog.BINDABLES, *events.BINDABLES]
BINDABLES += [*accounts.BINDABLES, *roles.BINDABLES]
BINDABLES += fees.BINDABLES
BINDABLES += orders_read.BINDABLES
BINDABLES += orders.BINDABLES
BINDABLES += delivery.BINDABLES
BINDABLES += refunds.BINDABLES
