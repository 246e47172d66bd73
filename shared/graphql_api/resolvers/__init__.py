"""Resolver modules, one per area. Importing them registers their root fields; BINDABLES lists
every bindable for make_executable_schema."""

from __future__ import annotations

from ariadne import SchemaBindable

from shared.graphql_api.resolvers import catalog
from shared.graphql_api.roots import mutation, query

BINDABLES: list[SchemaBindable] = [query, mutation, *catalog.BINDABLES]
