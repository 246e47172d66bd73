"""Member-linked and guest tickets over GraphQL (SPEC R-T3-5, R-T3-6; rules in
shared.services.member_tickets). The tickets' own member fields are stored order data resolved
by default; only the restriction query has a root."""

from __future__ import annotations

from typing import Any

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.domain.rate_limits import TICKET_RESTRICTION_PER_IP
from shared.graphql_api.context import ctx
from shared.graphql_api.rate_limits import enforce_ip_limit
from shared.graphql_api.roots import query


@query.field("ticketRestriction")
def resolve_ticket_restriction(_: None, info: GraphQLResolveInfo, query: Any = None) -> Any:
    enforce_ip_limit(info, TICKET_RESTRICTION_PER_IP)
    c = ctx(info)
    return c.services.member_tickets.ticket_restriction(c.principal, query)


BINDABLES: list[SchemaBindable] = []
