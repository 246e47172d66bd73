"""Analytics over GraphQL (SPEC 4.2 `orderAnalytics`, 4.7 `Event.analytics`,
`UserProfile.analytics`, `UserProfileAdmin.analytics`; rules in shared.services.analytics).

The nested fields go through per-request batching loaders: Backstage's event list selects
`analytics` on every event of a page, which must cost one orders query per 30 events, not one
per event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ariadne import ObjectType, SchemaBindable
from graphql import GraphQLResolveInfo

from shared.domain.models import Event
from shared.graphql_api.context import RequestContext, ctx
from shared.graphql_api.loaders import DataLoader
from shared.graphql_api.roots import query

event_type = ObjectType("Event")
profile_type = ObjectType("UserProfile")
profile_admin_type = ObjectType("UserProfileAdmin")

_LOADERS_KEY = "_analytics_loaders"


@dataclass
class AnalyticsLoaders:
    """The request's analytics batches. Events are registered by the resolver (it holds the
    event already), so the batch reads orders only, never the events again."""

    context: RequestContext
    events: dict[str, Event] = field(default_factory=dict)
    by_event: DataLoader[str, dict[str, Any]] = field(init=False)
    by_user: DataLoader[str, dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        service = self.context.services.analytics
        self.by_event = DataLoader(
            lambda ids: service.event_analytics(self.context.principal, [self.events[i] for i in ids])
        )
        self.by_user = DataLoader(lambda ids: service.user_analytics(self.context.principal, ids))


def _loaders(info: GraphQLResolveInfo) -> AnalyticsLoaders:
    # Kept on the request context (one per request) without widening the shared Loaders class.
    context = ctx(info)
    found = context.__dict__.get(_LOADERS_KEY)
    if found is None:
        found = context.__dict__[_LOADERS_KEY] = AnalyticsLoaders(context)
    return found  # type: ignore[no-any-return]


@query.field("orderAnalytics")
def resolve_order_analytics(_: None, info: GraphQLResolveInfo, query: Any = None) -> Any:
    c = ctx(info)
    return c.services.analytics.order_analytics(c.principal, query)


@event_type.field("analytics")
async def resolve_event_analytics(event: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    """First `Event Analytics` of the event; null unless SCANNER+ of its org (decided by the
    service, which leaves the event out of its answer)."""
    if ctx(info).principal is None:
        return None  # no batch and no model for an anonymous reader (the purchase portal)
    loaders = _loaders(info)
    event_id = str(event["_id"])
    if event_id not in loaders.events:
        loaders.events[event_id] = Event.model_validate(event)
    return await loaders.by_event.load(event_id)


@profile_type.field("analytics")
@profile_admin_type.field("analytics")
async def resolve_profile_analytics(profile: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    """First `User Analytics` of the profile's user in the context org; null without one or
    below BOX_OFFICE there (decided by the service)."""
    user_id = str(profile.get("userId") or "")
    if not user_id or ctx(info).principal is None:
        return None
    return await _loaders(info).by_user.load(user_id)


BINDABLES: list[SchemaBindable] = [event_type, profile_type, profile_admin_type]
