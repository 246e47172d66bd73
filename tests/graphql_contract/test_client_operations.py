"""Operations written the way the existing React clients send them validate
against the schema (SPEC §4: existing clients must keep working unchanged).

Each file in client_operations/ is one self-contained GraphQL document
(operations plus the fragments they use), grouped by client: Backstage,
purchase portal, scanner app.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, parse, validate

OPERATIONS_DIR = Path(__file__).resolve().parent / "client_operations"
OPERATION_FILES = sorted(OPERATIONS_DIR.glob("*.graphql"))


def _errors(schema: GraphQLSchema, source: str) -> list[str]:
    return [e.message for e in validate(schema, parse(source))]


def _operations(path: Path) -> list[OperationDefinitionNode]:
    return [
        d
        for d in parse(path.read_text(encoding="utf-8")).definitions
        if isinstance(d, OperationDefinitionNode)
    ]


def test_operation_corpus_size() -> None:
    ops = [op for path in OPERATION_FILES for op in _operations(path)]
    assert len(ops) >= 25
    names = [op.name.value for op in ops if op.name]
    assert len(names) == len(ops), "client operations are always named"
    assert len(set(names)) == len(names), "operation names are unique across files"


@pytest.mark.parametrize("path", OPERATION_FILES, ids=[p.name for p in OPERATION_FILES])
def test_client_document_validates(schema: GraphQLSchema, path: Path) -> None:
    assert _errors(schema, path.read_text(encoding="utf-8")) == []


# ---------------------------------------------------------------------------
# The validator really rejects operations outside the contract.


def test_forgot_password_is_rejected(schema: GraphQLSchema) -> None:
    """§7.25: the unused client document `forgotPassword` must not validate."""
    errors = _errors(schema, "mutation ForgotPassword($email: String!) { forgotPassword(email: $email) }")
    assert len(errors) == 1
    assert errors[0].startswith("Cannot query field 'forgotPassword' on type 'Mutation'.")


def test_event_metrics_is_rejected(schema: GraphQLSchema) -> None:
    """§7.25: the unused fragment selecting `Event.metrics` must not validate."""
    errors = _errors(
        schema,
        """
        fragment EventMetrics on Event { _id metrics { lifeTimeValue } }
        query E($eventId: String) { event(eventId: $eventId) { ...EventMetrics } }
        """,
    )
    assert any("metrics" in e and "Event" in e for e in errors), errors


def test_non_null_argument_markers_are_enforced(schema: GraphQLSchema) -> None:
    """createOrder(params: OrderInput!) — a nullable variable is rejected."""
    errors = _errors(schema, "mutation C($params: OrderInput) { createOrder(params: $params) { _id } }")
    assert any("OrderInput!" in e for e in errors), errors


def test_scan_shapes_differ_but_selection_is_shared(schema: GraphQLSchema) -> None:
    """§7.10: the same `scan { … }` selection works on the list and the single object."""
    ok = """
    query O($orderId: String) {
      order(orderId: $orderId) {
        tickets { scan { scanned scannedAt } }
        upgrades { scan { scanned scannedAt } }
      }
    }
    """
    assert _errors(schema, ok) == []
    missing_selection = "query O($orderId: String) { order(orderId: $orderId) { upgrades { scan } } }"
    assert _errors(schema, missing_selection)
