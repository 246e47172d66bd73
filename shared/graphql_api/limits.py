"""Abuse limits on one GraphQL request (SECURITY 24): the size of the query text, depth, cost,
and the time budget of its execution.

Cost charges what a field makes the server read: every selected field costs 1 (aliases included,
so aliasing cannot multiply work for free); a root field costs ROOT_FIELD_COST more, because each
one is its own lookup (by id: its document and what it loads with it; a mutation: its reads and
writes), so identical root fields under different aliases are each charged, not executed for
free; a root field returning a list costs one more per row of its page (`pagination.pageSize`,
or MAX_PAGE_SIZE when it has none). With the default GRAPHQL_MAX_COST of 5,000 that is at most
about 45 root lookups a request.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_nullable_type,
)

from shared.domain.validation import MAX_PAGE_SIZE

MAX_QUERY_CHARS = 50_000  # the clients' largest operation is about 3,100 characters, 300 tokens
MAX_QUERY_TOKENS = 5_000
REQUEST_TIME_BUDGET_SECONDS = 10.0
ROOT_FIELD_COST = 100


class _Shape:
    """Depth and field count of selection sets, through fragments. Each fragment is measured once
    (memoized), so nested fragment spreads cannot make validation itself exponential; a fragment
    that spreads itself (refused by graphql-core's own rule) counts as empty here."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments: dict[str, FragmentDefinitionNode] = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.measured: dict[str, tuple[int, int]] = {}

    def fields(self, selection_set: SelectionSetNode | None) -> list[FieldNode | str]:
        """Fields of a selection set, through inline fragments; spreads as fragment names."""
        found: list[FieldNode | str] = []
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                found += self.fields(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                found.append(selection.name.value)
        return found

    def measure(self, selection_set: SelectionSetNode | None) -> tuple[int, int]:
        """(levels of fields below, fields selected) of a selection set."""
        depth = cost = 0
        for item in self.fields(selection_set):
            if isinstance(item, str):
                inner_depth, inner_cost = self.fragment(item)
                depth, cost = max(depth, inner_depth), cost + inner_cost
            else:
                inner_depth, inner_cost = self.measure(item.selection_set)
                depth, cost = max(depth, inner_depth + 1), cost + inner_cost + 1
        return depth, cost

    def fragment(self, name: str) -> tuple[int, int]:
        if name not in self.measured:
            self.measured[name] = (0, 0)  # while measuring it: a cycle adds nothing
            fragment = self.fragments.get(name)
            self.measured[name] = self.measure(fragment.selection_set) if fragment else (0, 0)
        return self.measured[name]

    def root_fields(self, selection_set: SelectionSetNode) -> list[FieldNode]:
        found: list[FieldNode] = []
        for item in self.fields(selection_set):
            if isinstance(item, str):
                fragment = self.fragments.get(item)
                if fragment is not None and item not in self.measured:
                    self.measured[item] = (0, 0)  # guards a spread cycle at the root
                    found += self.root_fields(fragment.selection_set)
                    del self.measured[item]
            else:
                found.append(item)
        return found


def _page_size(field: FieldNode, variables: dict[str, Any]) -> int:
    """The page a list root field asks for (literal or variable `pagination.pageSize`)."""
    for argument in field.arguments or ():
        if argument.name.value != "pagination":
            continue
        value = argument.value
        pagination: Any = variables.get(value.name.value) if isinstance(value, VariableNode) else None
        size: Any = (pagination or {}).get("pageSize") if isinstance(pagination, dict) else None
        if isinstance(value, ObjectValueNode):
            for item in value.fields or ():
                if item.name.value == "pageSize":
                    if isinstance(item.value, IntValueNode):
                        size = int(item.value.value)
                    elif isinstance(item.value, VariableNode):
                        size = variables.get(item.value.name.value)
        if isinstance(size, int) and 0 < size <= MAX_PAGE_SIZE:
            return size
    return MAX_PAGE_SIZE


def limit_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    max_depth: int,
    max_cost: int,
    variables: dict[str, Any] | None,
) -> list[GraphQLError]:
    """Depth and cost of every operation of `document`, measured straight on its syntax tree (no
    validation pass: this runs before graphql-core's own rules, on every request)."""
    given = variables or {}
    shape = _Shape(document)
    errors: list[GraphQLError] = []
    for node in document.definitions:
        if not isinstance(node, OperationDefinitionNode):
            continue
        depth, _ = shape.measure(node.selection_set)
        if depth > max_depth:
            errors.append(GraphQLError(f"Query is too deep ({depth} levels; at most {max_depth}).", node))
        root = schema.mutation_type if node.operation == OperationType.MUTATION else schema.query_type
        if root is None:
            continue
        cost = 0
        for field in shape.root_fields(node.selection_set):
            cost += ROOT_FIELD_COST + 1 + shape.measure(field.selection_set)[1]
            definition = root.fields.get(field.name.value)
            if definition is not None and isinstance(get_nullable_type(definition.type), GraphQLList):  # type: ignore[type-var]
                cost += _page_size(field, given)
        if cost > max_cost:
            message = f"The query costs too much ({cost}; at most {max_cost}). Ask for less at once."
            errors.append(GraphQLError(message, node))
    return errors


def validation_rules(
    max_depth: int, max_cost: int, variables: dict[str, Any] | None
) -> list[type[ASTValidationRule]]:
    """limit_errors as a graphql-core validation rule (for tools that validate documents)."""

    class QueryLimits(ValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> None:
            for error in limit_errors(self.context.schema, node, max_depth, max_cost, variables):
                self.report_error(error)

    return [QueryLimits]
