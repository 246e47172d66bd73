"""Builds the executable schema from the SDL files in graphql_schema/ and the resolver bindables.

The SDL sits beside the `shared` package both in the repository and in each function's bundle.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ariadne import SchemaBindable, load_schema_from_path, make_executable_schema
from graphql import GraphQLSchema

SDL_DIR = Path(__file__).resolve().parents[2] / "graphql_schema"


def bindables() -> list[SchemaBindable]:
    """Every resolver bindable of the API (the domain resolvers register here)."""
    from shared.graphql_api.resolvers import BINDABLES

    return list(BINDABLES)


@lru_cache(maxsize=1)
def executable_schema() -> GraphQLSchema:
    return make_executable_schema(load_schema_from_path(str(SDL_DIR)), *bindables())
