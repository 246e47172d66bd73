"""CSV reports over GraphQL (SPEC 4.3, 5.18 R-RP-1..3): thin edges over ReportService, which
authorizes (ADMIN of the context org), builds the CSV and answers `{url, message}` — or, above
500 rows, schedules the export and answers `{url: null, message}` (it is e-mailed)."""

from __future__ import annotations

from typing import Any

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.graphql_api.context import ctx
from shared.graphql_api.roots import mutation


@mutation.field("generateOrderReport")
def resolve_generate_order_report(_: None, info: GraphQLResolveInfo, query: Any = None) -> Any:
    c = ctx(info)
    return c.services.reports.order_report(c.principal, query)


@mutation.field("generateActivityReport")
def resolve_generate_activity_report(_: None, info: GraphQLResolveInfo, query: Any = None) -> Any:
    c = ctx(info)
    return c.services.reports.activity_report(c.principal, query)


@mutation.field("generateUserProfileReport")
def resolve_generate_user_profile_report(_: None, info: GraphQLResolveInfo, query: Any = None) -> Any:
    c = ctx(info)
    return c.services.reports.customer_report(c.principal, query)


BINDABLES: list[SchemaBindable] = []
