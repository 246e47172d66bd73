"""The hostile sweep's generator (tests/integration/sweep_cases.py) covers what issue 15 (6) asks
of it, and every case it makes is a request the schema accepts, so the sweep exercises the
resolvers instead of graphql-core's variable checks."""

from __future__ import annotations

from typing import Any

from graphql import get_named_type, parse
from graphql.execution.values import get_variable_values

from shared.graphql_api.schema import executable_schema
from tests.integration.sweep_cases import BIG_STRING, HOSTILE_IDS, INT_MAX, all_cases


def test_every_root_field_but_the_upload_is_swept_with_every_kind_of_hostile_value() -> None:
    schema = executable_schema()
    cases = all_cases(schema)
    swept = {case.field for case in cases}
    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        for name, field in root.fields.items():
            uploads = any(get_named_type(a.type).name == "Upload" for a in field.args.values())
            assert (name in swept) != uploads, name
    event = [c for c in cases if c.field == "event"]
    assert {c.variables.get("eventId") for c in event} >= {None, *HOSTILE_IDS, BIG_STRING}
    orders = [c.variables.get("pagination") or {} for c in cases if c.field == "orders"]
    assert {p.get("pageSize") for p in orders} >= {-1, INT_MAX}
    create = [c.variables["params"] for c in cases if c.field == "createOrder"]
    assert any(p.get("tickets") == [None] for p in create)


def test_every_generated_request_passes_graphql_variable_coercion() -> None:
    schema = executable_schema()
    parsed: dict[str, Any] = {}  # one document per root field: parse each once
    for case in all_cases(schema):
        if case.document not in parsed:
            parsed[case.document] = parse(case.document).definitions[0]
        operation = parsed[case.document]
        coerced = get_variable_values(schema, operation.variable_definitions or (), case.variables)  # type: ignore[attr-defined]
        assert not isinstance(coerced, list), (case.field, case.variant, coerced)
