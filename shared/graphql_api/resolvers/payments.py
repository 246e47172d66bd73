"""Saved cards and Stripe Terminal (SPEC 4.2/4.3 R-PAY-1, R-PAY-5; §4.7 UserProfile.stripeCustomer)."""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType, SchemaBindable
from graphql import GraphQLResolveInfo

from shared.domain.models import UserProfile
from shared.graphql_api.context import ctx
from shared.graphql_api.roots import mutation, query

# A second bindable for UserProfile: ariadne binds each field it names, so this module adds
# `stripeCustomer` without touching the accounts module's bindable.
profile_type = ObjectType("UserProfile")

# --- saved cards (platform Customer of the caller) ---------------------------------------------


@mutation.field("createStripeSetupIntent")
def resolve_create_setup_intent(_: None, info: GraphQLResolveInfo) -> str:
    c = ctx(info)
    return c.services.saved_cards.create_setup_intent(c.principal)


@mutation.field("attachStripePaymentMethod")
def resolve_attach_payment_method(
    _: None, info: GraphQLResolveInfo, paymentMethodId: str, **kwargs: Any
) -> dict[str, Any]:
    c = ctx(info)
    return c.services.saved_cards.attach(c.principal, paymentMethodId, kwargs.get("_id"))


@query.field("getStripeCardByMethod")
def resolve_card_by_method(_: None, info: GraphQLResolveInfo, paymentMethodId: str) -> dict[str, Any]:
    c = ctx(info)
    return c.services.saved_cards.card(c.principal, paymentMethodId)


@mutation.field("deleteStripeSource")
def resolve_delete_source(_: None, info: GraphQLResolveInfo, sourceId: str) -> bool:
    c = ctx(info)
    return c.services.saved_cards.delete(c.principal, sourceId)


@mutation.field("createStripeSource")
def resolve_create_source(
    _: None, info: GraphQLResolveInfo, stripeToken: str, userId: str | None = None
) -> dict[str, Any]:
    c = ctx(info)
    return c.services.saved_cards.add_source(c.principal, stripeToken, userId)


@profile_type.field("stripeCustomer")
def resolve_profile_stripe_customer(profile: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return c.services.saved_cards.stripe_customer(c.principal, UserProfile.model_validate(profile))


# --- Stripe Terminal (the context org's connected account) ---------------------------------------


@query.field("listStripeTerminalReaders")
def resolve_list_readers(_: None, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    c = ctx(info)
    return c.services.terminal.readers(c.principal)


@query.field("createStripeLocationId")
def resolve_create_location(_: None, info: GraphQLResolveInfo) -> str:
    c = ctx(info)
    return c.services.terminal.create_location(c.principal)


@mutation.field("registerStripeTerminalReader")
def resolve_register_reader(
    _: None, info: GraphQLResolveInfo, label: str | None = None, registrationCode: str | None = None
) -> dict[str, Any]:
    c = ctx(info)
    return c.services.terminal.register_reader(c.principal, label, registrationCode)


@mutation.field("deleteStripeTerminalReader")
def resolve_delete_reader(_: None, info: GraphQLResolveInfo, readerId: str) -> bool:
    c = ctx(info)
    return c.services.terminal.delete_reader(c.principal, readerId)


@mutation.field("createStripeTerminalConnectionToken")
def resolve_connection_token(_: None, info: GraphQLResolveInfo) -> str:
    c = ctx(info)
    return c.services.terminal.connection_token(c.principal)


BINDABLES: list[SchemaBindable] = [profile_type]
