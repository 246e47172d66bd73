"""Per-request GraphQL context: the caller (verified lazily, once), the services, and the
batching loaders that keep nested fields from reading one document at a time."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import flask
from graphql import GraphQLResolveInfo

from shared.adapters.firebase_auth import InvalidTokenError
from shared.bootstrap import Services
from shared.domain.models import Artist, Event, Fee, Organization, User, UserProfile, Venue
from shared.domain.permissions import Principal, authentication_required
from shared.graphql_api.loaders import DataLoader

log = logging.getLogger("sellout.auth")


def bearer_token(request: flask.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


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


@dataclass
class RequestContext:
    request: flask.Request
    services: Services

    @cached_property
    def token(self) -> str:
        return bearer_token(self.request)

    @cached_property
    def principal(self) -> Principal | None:
        """The signed-in caller, or None: a bad or missing token makes the request anonymous
        (SPEC 2.5); fields that need a user then fail with "Authentication Required."."""
        if not self.token:
            return None
        authenticator = self.services.authenticator
        try:
            claims = authenticator.verify(self.token)
        except InvalidTokenError as error:
            log.info("token refused", extra={"reason": str(error)})
            return None
        user = self.services.identity.user_for_claims(claims)
        token = self.token

        def check_revocation() -> None:
            try:
                authenticator.verify(token, check_revoked=True)
            except InvalidTokenError:
                raise authentication_required() from None

        return Principal(
            user=user,
            token=token,
            claims=claims,
            roles_loader=lambda user_id: self.services.store.roles.find(("userId", "==", user_id)),
            org_header=self.request.headers.get("X-Org-Id") or None,
            revocation_check=check_revocation,
        )

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.services)


def ctx(info: GraphQLResolveInfo) -> RequestContext:
    context: Any = info.context
    return context  # type: ignore[no-any-return]
