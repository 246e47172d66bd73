"""Root fields the SPEC defines as "null at the root" (SPEC 4.2): their content is a nested field
elsewhere, and the root answers null once the caller's permission is checked."""

from __future__ import annotations

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.domain.permissions import ADMIN, SCANNER, require_context_org, require_user
from shared.graphql_api.context import ctx
from shared.graphql_api.roots import query


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
