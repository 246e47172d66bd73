"""Root fields of the client contract whose features this backend does not serve yet (SPEC tier 3:
season orders and their break-apart, member-id restrictions). Each answers a clear error with a
stable code instead of a silent null, and a test keeps this list exact, so it shrinks as features
land. Fields the SPEC defines as "null at the root" are real resolvers here too."""

from __future__ import annotations

from typing import Any

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.domain.permissions import ADMIN, SCANNER, require_context_org, require_user
from shared.errors import DomainError, ErrorCode
from shared.graphql_api.context import ctx
from shared.graphql_api.roots import mutation, query

NOT_YET_SERVED: dict[str, tuple[str, ...]] = {
    "Query": ("ticketRestriction",),
    "Mutation": (
        "createSeasonOrder",
        "createSeasonOrderPaymentIntent",
        "sendSeasonOrderReceiptEmail",
        "breakApartSeasonOrder",
        "multipleBreakApartSeasonOrder",
    ),
}


def _not_yet(_: Any, info: GraphQLResolveInfo, **__: Any) -> Any:
    raise DomainError(ErrorCode.UNAVAILABLE, "This feature is not available yet.")


for _name in NOT_YET_SERVED["Query"]:
    query.set_field(_name, _not_yet)
for _name in NOT_YET_SERVED["Mutation"]:
    mutation.set_field(_name, _not_yet)


# SPEC 4.2: these answer null at the root; their content is a nested field elsewhere.
@query.field("stripeConnectAccount")
def resolve_connect_account_root(_: None, info: GraphQLResolveInfo) -> None:
    require_context_org(ctx(info).principal, ADMIN)


@query.field("stripeCustomer")
@query.field("stripeCharge")
def resolve_null_for_signed_in(_: None, info: GraphQLResolveInfo) -> None:
    require_user(ctx(info).principal)


@query.field("webFlowEntity")
def resolve_webflow_entity_root(_: None, info: GraphQLResolveInfo) -> None:
    require_context_org(ctx(info).principal, SCANNER)


BINDABLES: list[SchemaBindable] = []
