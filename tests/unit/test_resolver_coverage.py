"""The compatibility check of the GraphQL API: the schema builds from the SDL files and every root
field of the client contract has a resolver (none answers a silent null by default)."""

from shared.graphql_api.schema import executable_schema


def test_every_root_field_has_a_resolver():
    schema = executable_schema()
    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        missing = sorted(name for name, field in root.fields.items() if field.resolve is None)
        assert missing == [], f"{root.name} fields without a resolver: {missing}"
