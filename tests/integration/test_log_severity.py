"""Refusals through the real functions process are logged as the operator's alert needs them:
one INFO line with the code and no stack trace per refusal, nothing at ERROR (the Terraform alert
counts ERROR entries: a sell-out or an anonymous prober must page no one)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import requests

from emulator import config
from tests.integration.api import GRAPHQL_URL, wait_for
from tests.integration.checkout_fixtures import clerk, connected_org, on_sale_event, ticket
from tests.integration.test_checkout_api import CREATE_ORDER

LOG_FILE = Path(config.STATE_DIR) / "logs" / "functions.log"


def _post(query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> str:
    request_id = uuid.uuid4().hex
    headers = {"X-Request-Id": request_id}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = requests.post(
        GRAPHQL_URL, json={"query": query, "variables": variables or {}}, headers=headers, timeout=30
    )
    assert response.json()["errors"]
    return request_id


def _lines_of(request_id: str) -> list[dict[str, Any]]:
    def refusal_logged() -> list[dict[str, Any]] | None:
        lines = [
            json.loads(line)
            for line in LOG_FILE.read_text().splitlines()
            if line.startswith("{") and request_id in line
        ]
        return lines if any(line["message"].endswith("refused") for line in lines) else None

    found: list[dict[str, Any]] = wait_for(refusal_logged)
    return found


def _assert_one_quiet_refusal(request_id: str, code: str) -> None:
    lines = _lines_of(request_id)
    assert [line["severity"] for line in lines if line["severity"] not in ("INFO", "WARNING")] == []
    refusals = [line for line in lines if line["message"].endswith("refused")]
    assert [(line["severity"], line["code"]) for line in refusals] == [("INFO", code)]
    assert not any("stack_trace" in line for line in lines)


def test_sold_out_is_an_info_line_with_its_code():
    org = connected_org()
    event = on_sale_event(org, capacity=1)
    seller = clerk(org)
    order = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
             "type": "Paid", "tickets": [ticket(event), ticket(event)]}  # fmt: skip
    _assert_one_quiet_refusal(_post(CREATE_ORDER, {"p": order}, token=seller.token), "SOLD_OUT")


def test_an_anonymous_caller_asking_for_a_signed_in_field_is_an_info_line():
    request_id = _post("{ platformSettings { stripeClientId } }")
    _assert_one_quiet_refusal(request_id, "UNAUTHENTICATED")


def test_a_query_that_does_not_validate_is_an_info_line():
    request_id = _post("{ noSuchField }")
    _assert_one_quiet_refusal(request_id, "GRAPHQL_VALIDATION_FAILED")
