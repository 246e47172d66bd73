"""Parsed and validated GraphQL documents, kept per function instance by query text.

The clients send the same few dozen operations over and over; parsing and running graphql-core's
validation rules on each costs more than many resolvers (tens of milliseconds for a large
operation). A document is parsed within size and token bounds, and its validation errors are kept
with it, so a repeated operation skips both. The request's depth and cost limits depend on its
variables (page sizes) and are measured on every request, before validation (see limits.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, TypeInfo, parse, validate

MAX_QUERY_CHARS = 50_000  # the clients' largest operation is about 3,100 characters, 300 tokens
MAX_QUERY_TOKENS = 5_000
CACHED_DOCUMENTS = 256

_lock = threading.Lock()
_parsed: OrderedDict[str, DocumentNode] = OrderedDict()
# id(document) -> (the document itself, the rules, its errors): the entry keeps the document
# alive, so its id cannot be reused by another document while the entry exists.
_validated: OrderedDict[
    tuple[int, tuple[type[ASTValidationRule], ...]], tuple[DocumentNode, list[GraphQLError]]
] = OrderedDict()


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    with _lock:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > CACHED_DOCUMENTS:
            cache.popitem(last=False)


def parse_bounded(query: str) -> DocumentNode:
    """The parsed document of `query`; a GraphQLError when it is not one or past the bounds (a
    huge or unterminated document is refused in milliseconds, not lexed for seconds)."""
    document = _parsed.get(query)
    if document is None:
        document = parse(query, max_source_length=MAX_QUERY_CHARS, max_tokens=MAX_QUERY_TOKENS)
        _remember(_parsed, query, document)
    return document


def validate_cached(
    schema: GraphQLSchema,
    document_ast: DocumentNode,
    rules: Collection[type[ASTValidationRule]] | None = None,
    max_errors: int | None = None,
    type_info: TypeInfo | None = None,
) -> list[GraphQLError]:
    """graphql-core's `validate`, remembered for the documents parse_bounded returned (ariadne's
    `query_validator`). The rules must not depend on the request (the limits are checked apart)."""
    document = document_ast
    ruleset = tuple(rules or ())
    key = (id(document), ruleset)
    found = _validated.get(key)
    if found is not None and found[0] is document:
        return found[1]
    errors = validate(schema, document, rules=ruleset or None, max_errors=max_errors)
    _remember(_validated, key, (document, errors))
    return errors
