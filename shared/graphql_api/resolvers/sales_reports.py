"""Sales-report subscriptions over GraphQL (SPEC 4.3 `salesReport`, `deleteSubscription`, R-RP-5):
thin edges over SalesReportService, which validates, authorizes and answers the stored event.

`Event.subscription` lists subscribers' e-mail addresses, so it is shown to ADMIN+ of the event's
org only (as the wait list is); anyone else reading an event gets an empty list."""

from __future__ import annotations

from typing import Any

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.domain.permissions import ADMIN
from shared.graphql_api.context import ctx
from shared.graphql_api.resolvers.events import event_type
from shared.graphql_api.roots import doc, mutation


@mutation.field("salesReport")
def resolve_sales_report(_: None, info: GraphQLResolveInfo, params: Any = None) -> Any:
    c = ctx(info)
    return doc(c.services.sales_reports.subscribe(c.principal, params))


@mutation.field("deleteSubscription")
def resolve_delete_subscription(
    _: None, info: GraphQLResolveInfo, eventId: str | None = None, subscriptionId: str | None = None
) -> Any:
    c = ctx(info)
    return doc(c.services.sales_reports.unsubscribe(c.principal, eventId, subscriptionId))


@event_type.field("subscription")
def resolve_event_subscription(event: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    principal = ctx(info).principal
    if principal is None or principal.level_in(str(event["orgId"])) < ADMIN:
        return []
    return event.get("subscription") or []


BINDABLES: list[SchemaBindable] = []
