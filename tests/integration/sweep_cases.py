"""Hostile requests generated from the SDL (issue 15 (6)): for every root field, each nullable
input null, each id "." / "__x__" / 2,000 characters, each Int −1 and 2³¹−1, each String 100 KB."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    get_named_type,
)

from shared.domain.validation import is_id_name

INT_MAX = 2**31 - 1
HOSTILE_IDS = (".", "__x__", "x" * 2000)
BIG_STRING = "x" * 100_000


@dataclass(frozen=True)
class Case:
    root: str  # "query" or "mutation"
    field: str
    variant: str  # what was made hostile, e.g. "params.tickets=null"
    document: str
    variables: dict[str, Any]


KNOWN_IDS: dict[str, str] = {}  # id names (eventId, orgId) -> an existing object's id, set by the test


def _plausible(name: str, type_: GraphQLInputType, depth: int = 0) -> Any:
    """A value of `type_` with only its required parts (ids of existing objects where known)."""
    nullable = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(nullable, GraphQLList):
        return [_plausible(name, nullable.of_type, depth)]
    if isinstance(nullable, GraphQLInputObjectType):
        return {
            key: _plausible(key, field.type, depth + 1)
            for key, field in nullable.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        }
    if nullable is GraphQLInt:
        return 1
    if nullable is GraphQLFloat:
        return 1.0
    if nullable is GraphQLBoolean:
        return False
    if nullable is GraphQLString:
        return KNOWN_IDS.get(name, "sweepId00000001") if is_id_name(name) else "sweep"
    return None


def _selection(type_: Any, depth: int = 0) -> str:
    """Scalar fields of the result (and one level of objects), so every resolver runs."""
    named = get_named_type(type_)
    if not isinstance(named, GraphQLObjectType):
        return ""
    parts = []
    for name, field in named.fields.items():
        inner = get_named_type(field.type)
        if field.args and any(isinstance(a.type, GraphQLNonNull) for a in field.args.values()):
            continue
        if isinstance(inner, GraphQLObjectType):
            if depth == 0:
                sub = _selection(inner, depth + 1)
                if sub:
                    parts.append(f"{name} {sub}")
        else:
            parts.append(name)
    return "{ " + " ".join(parts) + " }" if parts else "{ __typename }"


def _paths(
    name: str, type_: GraphQLInputType, prefix: tuple[Any, ...]
) -> Iterator[tuple[tuple[Any, ...], str, GraphQLInputType]]:
    """Every input position one level into input objects (and their lists' first item)."""
    yield prefix, name, type_
    nullable = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(nullable, GraphQLList):
        inner = nullable.of_type
        yield (*prefix, 0), name, inner
        inner_nullable = inner.of_type if isinstance(inner, GraphQLNonNull) else inner
        if isinstance(inner_nullable, GraphQLInputObjectType) and len(prefix) < 3:
            for key, field in inner_nullable.fields.items():
                yield from _paths(key, field.type, (*prefix, 0, key))
    elif isinstance(nullable, GraphQLInputObjectType) and len(prefix) < 3:
        for key, field in nullable.fields.items():
            yield from _paths(key, field.type, (*prefix, key))


def _step_type(type_: GraphQLInputType, step: Any) -> GraphQLInputType:
    nullable: Any = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    return nullable.of_type if isinstance(step, int) else nullable.fields[step].type  # type: ignore[no-any-return]


def _with(
    base: dict[str, Any], arg_type: GraphQLInputType, path: tuple[Any, ...], new: Any
) -> dict[str, Any]:
    """A copy of the variables with `new` at `path`; containers missing on the way are made
    plausible (with their required parts), so only the position under test is hostile."""
    result = copy.deepcopy(base)
    target: Any = result
    type_: Any = None
    for index, step in enumerate(path[:-1]):
        type_ = arg_type if index == 0 else _step_type(type_, step)
        if isinstance(target, list):
            while len(target) <= step:
                target.append(None)
        if target[step] is None if isinstance(target, list) else target.get(step) is None:
            target[step] = _plausible(str(step), type_)
            if isinstance(target[step], list) and not target[step]:
                target[step] = [None]
        target = target[step]
    last = path[-1]
    if isinstance(target, list):
        while len(target) <= last:
            target.append(None)
    target[last] = new
    return result


def _variants(type_: GraphQLInputType, name: str) -> Iterator[tuple[str, Any]]:
    nullable = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if not isinstance(type_, GraphQLNonNull):
        yield "null", None
    if nullable is GraphQLString:
        if is_id_name(name):
            for hostile in HOSTILE_IDS:
                yield f"id {hostile[:8]!r}", hostile
        yield "100 KB", BIG_STRING
    elif nullable is GraphQLInt:
        yield "-1", -1
        yield "2^31-1", INT_MAX


def field_cases(schema: GraphQLSchema, root: str, name: str, field: GraphQLField) -> list[Case]:
    if any(get_named_type(a.type).name == "Upload" for a in field.args.values()):
        return []  # uploadFiles: multipart only, covered by its own tests
    declared = ", ".join(f"${arg}: {a.type}" for arg, a in field.args.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    head = f"{root} Sweep({declared})" if declared else f"{root} Sweep"
    call = f"{name}({passed})" if passed else name
    document = f"{head} {{ {call} {_selection(field.type)} }}"
    base = {
        arg: _plausible(arg, a.type) for arg, a in field.args.items() if isinstance(a.type, GraphQLNonNull)
    }
    cases = [Case(root, name, "plausible", document, base)]
    for arg, a in field.args.items():
        for path, leaf, type_ in _paths(arg, a.type, (arg,)):
            for label, value in _variants(type_, leaf):
                where = ".".join(str(p) for p in path)
                cases.append(Case(root, name, f"{where}={label}", document, _with(base, a.type, path, value)))
    return cases


def all_cases(schema: GraphQLSchema, known_ids: dict[str, str] | None = None) -> list[Case]:
    KNOWN_IDS.clear()
    KNOWN_IDS.update(known_ids or {})
    cases: list[Case] = []
    for root, type_ in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert type_ is not None
        for name, field in type_.fields.items():
            cases += field_cases(schema, root, name, field)
    return cases
