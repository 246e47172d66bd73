"""`reconciliationMismatches` (additive, SUPER_USER): a thin edge over ReconciliationService,
which checks the caller and the date."""

from __future__ import annotations

from typing import Any

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.graphql_api.context import ctx
from shared.graphql_api.roots import query


@query.field("reconciliationMismatches")
def resolve_reconciliation_mismatches(_: None, info: GraphQLResolveInfo, date: str) -> list[dict[str, Any]]:
    c = ctx(info)
    return [mismatch.doc() for mismatch in c.services.reconciliation.mismatches(c.principal, date)]


BINDABLES: list[SchemaBindable] = []
