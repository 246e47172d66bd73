"""Resolver bindables, one per root type or object type with computed fields."""

from __future__ import annotations

from ariadne import MutationType, QueryType, SchemaBindable

query = QueryType()
mutation = MutationType()

BINDABLES: list[SchemaBindable] = [query, mutation]
