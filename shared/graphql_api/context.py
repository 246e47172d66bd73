"""Per-request GraphQL context: the caller (verified lazily, once), the services, and the
batching loaders that keep nested fields from reading one document at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import flask
from graphql import GraphQLResolveInfo

from shared.bootstrap import Services
from shared.caller import bearer_token, principal_for
from shared.domain.models import Artist, Event, Fee, Organization, Season, User, UserProfile, Venue
from shared.domain.permissions import Principal
from shared.graphql_api.loaders import DataLoader


@dataclass
class Loaders:
    services: Services
    venues: DataLoader[str, Venue] = field(init=False)
    artists: DataLoader[str, Artist] = field(init=False)
    organizations: DataLoader[str, Organization] = field(init=False)
    users: DataLoader[str, User] = field(init=False)
    profiles: DataLoader[str, UserProfile] = field(init=False)
    event_fees: DataLoader[str, list[Fee]] = field(init=False)
    event_has_orders: DataLoader[str, bool] = field(init=False)
    events: DataLoader[str, Event] = field(init=False)
    season_fees: DataLoader[str, list[Fee]] = field(init=False)
    season_has_orders: DataLoader[str, bool] = field(init=False)
    seasons: DataLoader[str, Season] = field(init=False)

    def __post_init__(self) -> None:
        store = self.services.store
        self.venues = DataLoader(store.venues.get_many)
        self.artists = DataLoader(store.artists.get_many)
        self.organizations = DataLoader(store.organizations.get_many)
        self.users = DataLoader(store.users.get_many)
        self.profiles = DataLoader(store.user_profiles.get_many)
        self.event_fees = DataLoader(self.services.events.fees_of_events)
        self.event_has_orders = DataLoader(self.services.events.has_orders)
        self.events = DataLoader(self.services.orders.events_by_id)
        self.season_fees = DataLoader(self.services.seasons.fees_of_seasons)
        self.season_has_orders = DataLoader(self.services.seasons.has_orders)
        self.seasons = DataLoader(store.seasons.get_many)


@dataclass
class RequestContext:
    request: flask.Request
    services: Services

    @cached_property
    def token(self) -> str:
        return bearer_token(self.request)

    @cached_property
    def principal(self) -> Principal | None:
        """The signed-in caller (verified once per request), or None when anonymous."""
        return principal_for(self.request, self.services)

    def signed_in(self, token: str) -> None:
        """A sign-in (the legacy bridge) answers as the user it signed in: the rest of its answer
        (their own org context and role) is read with the new session, not as anonymous."""
        self.__dict__["token"] = token
        self.__dict__["principal"] = principal_for(self.request, self.services, token)

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.services)


def ctx(info: GraphQLResolveInfo) -> RequestContext:
    context: Any = info.context
    return context  # type: ignore[no-any-return]
