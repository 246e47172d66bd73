"""The operations the unmodified clients send, exactly as written in
tests/graphql_contract/client_operations, posted over HTTP the way Apollo does (the whole
document plus `operationName`, `Authorization: Bearer` when the client holds a token, never
`X-Org-Id`), and the one-time codes they read from the e-mail and SMS stand-ins."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    OperationDefinitionNode,
    parse,
    print_ast,
)
from graphql.language import Visitor, visit

from tests.integration.api import GRAPHQL_URL, wait_for
from tests.integration.inbox import emails, texts

OPERATIONS = Path(__file__).resolve().parents[1] / "graphql_contract" / "client_operations"
_EMAIL_CODE = re.compile(r"minutes:\s*(\d{4})\b")
_SMS_CODE = re.compile(r"Code is (\d{4})\b")


def operation_text(document: str, operation: str) -> str:
    """`operation` of the file with the fragments it uses, as Apollo sends one `gql` document."""
    parsed = parse((OPERATIONS / f"{document}.graphql").read_text(encoding="utf-8"))
    fragments = {d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)}
    chosen = next(
        d for d in parsed.definitions
        if isinstance(d, OperationDefinitionNode) and d.name is not None and d.name.value == operation
    )  # fmt: skip
    needed: dict[str, FragmentDefinitionNode] = {}
    pending: list[Any] = [chosen]
    while pending:
        for name in _spread_names(pending.pop()):
            if name not in needed:
                needed[name] = fragments[name]
                pending.append(fragments[name])
    return print_ast(DocumentNode(definitions=(chosen, *needed.values())))


def _spread_names(node: Any) -> list[str]:
    names: list[str] = []

    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: Any) -> None:
            names.append(spread.name.value)

    visit(node, Spreads())
    return names


def send(
    document: str,
    operation: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str = "",
    address: str = "",
) -> dict[str, Any]:
    """POST `operation` of `client_operations/<document>.graphql` as the client does. `address`
    is the caller's connecting address (what the rate limits key on)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if address:
        headers["X-Forwarded-For"] = address
    body = {"query": operation_text(document, operation), "operationName": operation,
            "variables": variables or {}}  # fmt: skip
    answer: dict[str, Any] = requests.post(GRAPHQL_URL, json=body, headers=headers, timeout=30).json()
    return answer


def _text_of(message: dict[str, Any]) -> str:
    return "\n".join(str(part.get("value") or "") for part in message.get("content", []))


def emailed_codes(to: str) -> list[str]:
    return [m.group(1) for message in emails(to) if (m := _EMAIL_CODE.search(_text_of(message)))]


def texted_codes(to: str) -> list[str]:
    return [m.group(1) for message in texts(to) if (m := _SMS_CODE.search(str(message.get("text") or "")))]


def next_code(read: Any, to: str, seen: int = 0) -> str:
    """The code of the `seen`+1-th message to `to` (codes arrive through Cloud Tasks)."""
    found: list[str] = wait_for(lambda: (codes := read(to)) and len(codes) > seen and codes, timeout=30)
    return found[seen]
