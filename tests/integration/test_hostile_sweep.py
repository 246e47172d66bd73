"""Issue 15 (6): a sweep generated from the SDL. Every root field is called, as a super user
working in an organization with an on-sale event, with (a) each nullable input null, (b) each id
".", "__x__" and 2,000 characters, (c) each Int −1 and 2³¹−1, (d) each String 100 KB (positions
one level into input objects and into their lists' first item). No answer may be an internal
error. Answers slower than a second are printed (this machine is shared: a timing assertion would
be flaky), and the sweep's wall time with them.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import functions_framework
import pytest

from shared.graphql_api.schema import executable_schema
from tests.integration.api import new_user
from tests.integration.checkout_fixtures import connected_org, on_sale_event
from tests.integration.sweep_cases import Case, all_cases

SLOW_SECONDS = 1.0
WORKERS = 4


def _internal_errors(status: int, body: Any) -> list[Any]:
    if status >= 500:
        return [body]
    errors = body.get("errors") or [] if isinstance(body, dict) else []
    return [e for e in errors if (e.get("extensions") or {}).get("errorCode") == "INTERNAL"]


@pytest.mark.integration
def test_no_generated_hostile_input_is_an_internal_error() -> None:
    org = connected_org()
    event = on_sale_event(org)
    known = {"orgId": org.id, "eventId": event.id, "ticketTypeId": event.ticketTypes[0].id,
             "ticketTierId": event.ticketTypes[0].tiers[0].id}  # fmt: skip
    admin = new_user(superUser=True)
    client = functions_framework.create_app("handle", "functions/graphql/main.py").test_client()
    headers = {"Authorization": f"Bearer {admin.token}", "X-Org-Id": org.id}

    def call(case: Case) -> tuple[Case, float, list[Any]]:
        began = time.monotonic()
        body = {"query": case.document, "variables": case.variables}
        response = client.post("/", json=body, headers=headers)
        internal = _internal_errors(response.status_code, response.get_json(silent=True))
        return case, time.monotonic() - began, internal

    started = time.monotonic()
    cases = all_cases(executable_schema(), known)
    # Calls overlap (most of a call waits for the emulators), as a function instance's concurrent
    # requests would; each case's own answer is what is checked.
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        answers = list(pool.map(call, cases))
    wall = time.monotonic() - started
    failures = [(case, internal[0]) for case, _, internal in answers if internal]
    slow = [(took, case) for case, took, _ in answers if took > SLOW_SECONDS]
    print(f"\nsweep: {len(cases)} requests in {wall:.1f} s; {len(slow)} slower than {SLOW_SECONDS} s")
    for took, case in sorted(slow, key=lambda s: -s[0])[:20]:
        print(f"  {took:.2f} s  {case.field} {case.variant}")
    assert not failures, "\n".join(f"{c.field} {c.variant}: {str(e)[:300]}" for c, e in failures[:60])
