"""Abuse limits applied while validating a query: depth and cost (SECURITY 24)."""

from __future__ import annotations

from typing import Any

from ariadne.validation import cost_validator
from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
)


def depth_limit(maximum: int) -> type[ASTValidationRule]:
    class DepthLimit(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.fragments: dict[str, FragmentDefinitionNode] = {
                d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)
            }

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            depth = self._depth(node.selection_set, 0, set())
            if depth > maximum:
                self.report_error(
                    GraphQLError(f"Query is too deep ({depth} levels; at most {maximum}).", node)
                )

        def _depth(self, selection_set: SelectionSetNode | None, level: int, seen: set[str]) -> int:
            if selection_set is None:
                return level
            deepest = level
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    deeper = (
                        self._depth(selection.selection_set, level + 1, seen)
                        if selection.selection_set
                        else level + 1
                    )
                elif isinstance(selection, InlineFragmentNode):
                    deeper = self._depth(selection.selection_set, level, seen)
                elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                    fragment = self.fragments.get(selection.name.value)
                    deeper = (
                        self._depth(fragment.selection_set, level, seen | {selection.name.value})
                        if fragment
                        else level
                    )
                else:
                    continue
                deepest = max(deepest, deeper)
            return deepest

    return DepthLimit


def validation_rules(
    max_depth: int, max_cost: int, variables: dict[str, Any] | None
) -> list[type[ASTValidationRule]]:
    # Every selected field costs 1, aliases included, so a query cannot multiply work by aliasing.
    return [depth_limit(max_depth), cost_validator(max_cost, default_cost=1, variables=variables)]
