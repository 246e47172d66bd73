"""The public website feeds over GraphQL (SPEC 4.2 `eventsList`, `eventsDetails`, 4.8): no sign-in.

Which events: shared.services.public_events. What of them: the Event type's own resolvers, so
the feeds show exactly what the public `event` query shows to an anonymous caller (no member-API
secret, no wait list, no analytics). The REST feeds (shared.graphql_api.public_feeds) pick the
events through the same service and render them through these two fields, passing the chosen
events as the root value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.domain.models import TicketedListing
from shared.graphql_api.context import ctx
from shared.graphql_api.roots import doc, docs, query


@dataclass(frozen=True)
class ChosenEvents:
    """Root value of a REST feed: the events (or seasons, for the season feeds) its service call
    chose, to render as they are."""

    events: Sequence[TicketedListing]


@query.field("eventsList")
def resolve_events_list(root: Any, info: GraphQLResolveInfo) -> Any:
    if isinstance(root, ChosenEvents):
        return docs(root.events)
    return docs(ctx(info).services.public_events.event_list())


@query.field("eventsDetails")
def resolve_events_details(root: Any, info: GraphQLResolveInfo, eventId: str | None = None) -> Any:
    if isinstance(root, ChosenEvents):
        return doc(root.events[0]) if root.events else None
    return doc(ctx(info).services.public_events.event_detail(event_id=eventId))


BINDABLES: list[SchemaBindable] = []  # root fields only: registered on `query` above
