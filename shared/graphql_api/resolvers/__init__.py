"""Resolver modules, one per area. Importing them registers their root fields; BINDABLES lists
every bindable for make_executable_schema."""

from __future__ import annotations

from ariadne import SchemaBindable

from shared.graphql_api.resolvers import (
    account_emails,
    accounts,
    analytics,
    catalog,
    delivery,
    events,
    fees,
    member_tickets,
    null_roots,
    orders,
    orders_backfill,
    orders_read,
    payments,
    printing,
    public_feeds,
    reconciliation,
    refunds,
    reports,
    roles,
    sales_reports,
    seasons,
    seating,
    uploads,
    waitlist,
    webflow,
)
from shared.graphql_api.roots import mutation, query

MODULES = (
    account_emails, accounts, analytics, catalog, delivery, events, fees, member_tickets, null_roots,
    orders, orders_backfill, orders_read, payments, printing, public_feeds, reconciliation, refunds,
    reports, roles, sales_reports, seasons, seating, uploads, waitlist, webflow,
)  # fmt: skip
BINDABLES: list[SchemaBindable] = [query, mutation, *(b for module in MODULES for b in module.BINDABLES)]
