"""Shared fixtures for the GraphQL contract tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from ariadne import load_schema_from_path, make_executable_schema
from graphql import GraphQLSchema

from .spec_tables import SpecContract, parse_spec

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO_ROOT / "graphql_schema"


@pytest.fixture(scope="session")
def type_defs() -> str:
    return load_schema_from_path(SCHEMA_DIR)


@pytest.fixture(scope="session")
def schema(type_defs: str) -> GraphQLSchema:
    return make_executable_schema(type_defs)


@pytest.fixture(scope="session")
def spec() -> SpecContract:
    # The in-repo extract of SPEC §4 (spec_tables.py says how it is kept in step): no clone
    # skips these tests for want of ../shared/.
    return parse_spec()
