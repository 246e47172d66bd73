"""Contract tests for the GraphQL SDL in graphql_schema/ (SPEC §2.1, §4, §7)."""
