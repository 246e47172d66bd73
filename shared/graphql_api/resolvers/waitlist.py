"""Wait list and notify-me over GraphQL (SPEC 4.2/4.3, R-T3-3, R-T3-4, R-RP-4): thin edges over
WaitListService, which validates, authorizes and answers the stored event shape. The
`Event.waitList` field itself is resolved in resolvers/events.py (ADMIN+, or a search result)."""

from __future__ import annotations

from typing import Any

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.domain.rate_limits import NOTIFY_EVENT_PER_IP, WAIT_LIST_PER_IP
from shared.graphql_api.context import ctx
from shared.graphql_api.rate_limits import enforce_ip_limit
from shared.graphql_api.roots import doc, mutation, query


@mutation.field("createWaitList")
def resolve_create_wait_list(
    _: None, info: GraphQLResolveInfo, params: Any = None, eventId: str | None = None,
    type: str | None = None, orgId: str | None = None,  # `type` is ignored (SPEC 7.17)
) -> Any:  # fmt: skip
    enforce_ip_limit(info, WAIT_LIST_PER_IP)
    return doc(ctx(info).services.waitlist.join(params, eventId, orgId))


@query.field("notifyEvent")
def resolve_notify_event(
    _: None, info: GraphQLResolveInfo, eventId: str | None = None, email: str | None = None
) -> Any:
    enforce_ip_limit(info, NOTIFY_EVENT_PER_IP)
    return doc(ctx(info).services.waitlist.notify(eventId, email))


@query.field("searchEvents")
def resolve_search_events(
    _: None, info: GraphQLResolveInfo, query: Any = None, eventId: str | None = None
) -> Any:
    c = ctx(info)
    return c.services.waitlist.search(c.principal, query, eventId)


@query.field("eventQuery")
def resolve_event_query(
    _: None, info: GraphQLResolveInfo, query: Any = None, eventId: str | None = None, pagination: Any = None
) -> Any:
    c = ctx(info)
    return c.services.waitlist.search(c.principal, query, eventId, pagination)


@mutation.field("generateWaitListReport")
def resolve_generate_wait_list_report(
    _: None, info: GraphQLResolveInfo, query: Any = None, eventId: str | None = None
) -> Any:
    c = ctx(info)
    return c.services.waitlist.report(c.principal, query, eventId)


BINDABLES: list[SchemaBindable] = []
