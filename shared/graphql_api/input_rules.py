"""The GraphQL edge's input checks, run before any resolver reads anything (SECURITY: hostile
callers): every argument is walked along its declared input type and checked against the domain
bounds in shared.domain.validation —

- an id (an argument or input field named `_id`, `…Id` or `…Ids`) is "" or a usable id;
- a string has its field's length bound and no control or bidi-override characters;
- a money amount, quantity, percentage or pagination value is within its bound;
- a list holds no null items and at most its bound of items.

Every problem is reported at once as "Invalid Fields" with the paths at fault (SPEC 2.7).
The same middleware stops a request that has spent its time budget before its next field.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLFloat,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLResolveInfo,
    GraphQLString,
    get_nullable_type,
)

from shared.domain import validation
from shared.errors import DomainError, ErrorCode


def _scalar_problem(name: str, named: Any, value: Any) -> str | None:
    if named is GraphQLString:
        if validation.is_id_name(name):
            return "is not a valid id" if value and not validation.is_usable_id(value) else None
        return validation.text_problem(value, validation.text_bound(name))
    if named is GraphQLInt or named is GraphQLFloat:
        return validation.number_problem(name, value, named is GraphQLInt)
    return None


def _problems(
    name: str, type_: GraphQLInputType, value: Any, path: str, found: list[tuple[str, str]]
) -> None:
    if value is None:
        return
    named = get_nullable_type(type_)  # type: ignore[type-var]
    if isinstance(named, GraphQLList):
        limit = validation.LIST_BOUNDS.get(name, validation.MAX_LIST_ITEMS)
        if len(value) > limit:
            found.append((path, f"at most {limit} items"))
            return
        for index, item in enumerate(value):
            if item is None:
                found.append((f"{path}.{index}", "must not be null"))
            else:
                _problems(name, named.of_type, item, f"{path}.{index}", found)
    elif isinstance(named, GraphQLInputObjectType):
        for field_name, field in named.fields.items():
            _problems(field_name, field.type, value.get(field_name), f"{path}.{field_name}", found)
    elif problem := _scalar_problem(name, named, value):
        found.append((path, problem))


def check_arguments(
    arguments: dict[str, GraphQLArgument] | dict[str, GraphQLInputField], values: dict[str, Any]
) -> None:
    """Raise INVALID_INPUT naming every argument path that breaks a bound."""
    found: list[tuple[str, str]] = []
    for name, value in values.items():
        argument = arguments.get(name)
        if argument is not None:
            _problems(name, argument.type, value, name, found)
    _refuse(found)


def check_input_object(type_name: str, value: Any, path: str) -> None:
    """The same checks for a request body that is one input object of the schema (the checkout
    function's order routes take OrderPaymentIntentInput / OrderInput as plain JSON)."""
    from shared.graphql_api.schema import executable_schema  # the SDL, only where it is needed

    found: list[tuple[str, str]] = []
    input_type = executable_schema().type_map[type_name]
    if not isinstance(value, dict) or not isinstance(input_type, GraphQLInputObjectType):
        found.append((path, "must be a JSON object"))
    else:
        _problems(path, input_type, value, path, found)
    _refuse(found)


def _refuse(found: list[tuple[str, str]]) -> None:
    if found:
        message = "; ".join(f"{path}: {problem}" for path, problem in found[:5])
        raise DomainError(ErrorCode.INVALID_INPUT, message, [path for path, _ in found])


class RequestBudgetExceededError(DomainError):
    """The request spent its time budget: the fields not yet started are not resolved."""

    MESSAGE = "The request took too long; ask for less at once."

    def __init__(self) -> None:
        super().__init__(ErrorCode.BUSY, self.MESSAGE)


def edge_middleware(deadline: float) -> Callable[..., Any]:
    """graphql-core middleware run before every field's resolver: the request's time budget
    (monotonic `deadline`), then the argument checks. The budget stops the next root field (a
    lookup or a mutation) from starting; it never interrupts a resolver or the fields of a root
    field already resolved, so no write is cut in half and a slow mutation still answers. Work
    within one root field is bounded by the cost limit and page sizes."""

    def middleware(
        resolve: Callable[..., Any], parent: Any, info: GraphQLResolveInfo, **arguments: Any
    ) -> Any:
        if info.path.prev is None and time.monotonic() > deadline:
            raise RequestBudgetExceededError()
        if arguments:
            field = info.parent_type.fields.get(info.field_name)  # None: __type (introspection)
            if field is not None:
                check_arguments(field.args, arguments)
        return resolve(parent, info, **arguments)

    return middleware
