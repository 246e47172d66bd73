"""Flash sale through the public API on the local stack: 1,500 buyers for the last 1,000
tickets, at concurrency 16 and 64, (a) box-office cash orders and (b) card checkouts through
the local Stripe; plus a concurrency-1 run. Prints numbers; asserts nothing.

Reference (same 2-core machine kind): pretix 2026.8 sells 8.2 orders/s at concurrency 64
(p50 5.0 s, p99 12 s) and takes 143 ms p50 per order at concurrency 1, never overselling.
"""

from __future__ import annotations

import functools
import os
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import flask
import requests
from werkzeug.test import EnvironBuilder

from emulator import config, stack
from shared.adapters.io_stats import counting_io
from shared.bootstrap import services
from shared.caller import principal_for
from shared.domain.inventory import ticket_type_key
from shared.domain.models import Event, Organization
from tests.integration.api import id_token_for
from tests.integration.checkout_fixtures import (
    add_fees,
    clerk,
    connected_org,
    on_sale_event,
    stripe_client,
    ticket,
)

CAPACITY = 1000
BUYERS = 1500
GRAPHQL = f"{config.FUNCTIONS_URL}/graphql/graphql"
CREATE_ORDER = "mutation($p: OrderInput!) { createOrder(params: $p) { _id } }"
START_PAYMENT = (
    "mutation($p: OrderPaymentIntentInput!) { createOrderPaymentIntent(params: $p) { paymentIntentId } }"
)


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    sold: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, error: str | None) -> None:
        with self.lock:
            if error:
                self.errors[error] += 1
            else:
                self.sold += 1
                self.latencies.append(seconds)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _post(token: str, query: str, params: dict[str, Any], key: str) -> dict[str, Any]:
    response = requests.post(
        GRAPHQL,
        json={"query": query, "variables": {"p": params}},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
        timeout=120,
    )
    body: dict[str, Any] = response.json()
    return body


def _error_code(body: dict[str, Any]) -> str | None:
    if not body.get("errors"):
        return None
    extensions = body["errors"][0].get("extensions", {})
    return str(extensions.get("errorCode") or extensions.get("code") or body["errors"][0]["message"])


def _cash_buyer(token: str, org: Organization, event: Event, outcome: Outcome) -> Callable[[int], None]:
    params = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
              "type": "Paid", "tickets": [ticket(event)]}  # fmt: skip

    def buy(i: int) -> None:
        start = time.perf_counter()
        body = _post(token, CREATE_ORDER, params, key=f"cash-{event.id}-{i}")
        outcome.record(time.perf_counter() - start, _error_code(body))

    return buy


def _card_buyer(
    tokens: list[str], org: Organization, event: Event, outcome: Outcome
) -> Callable[[int], None]:
    client = stripe_client()
    params = {"orgId": org.id, "eventId": event.id, "channel": "Online", "tickets": [ticket(event)]}

    def buy(i: int) -> None:
        token = tokens[i % len(tokens)]
        start = time.perf_counter()
        body = _post(token, START_PAYMENT, params, key=f"card-{event.id}-{i}")
        if (error := _error_code(body)) is None:
            intent_id = body["data"]["createOrderPaymentIntent"]["paymentIntentId"]
            client.v1.payment_intents.confirm(  # what Stripe.js does in the buyer's browser
                intent_id, params={"payment_method": "pm_card_visa"}, options={"stripe_account": org.stripeId}
            )
            done = _post(token, CREATE_ORDER, {**params, "paymentIntentId": intent_id}, key=f"card-order-{i}")
            error = _error_code(done)
        outcome.record(time.perf_counter() - start, error)

    return buy


def _functions_cpu_seconds() -> float:
    """User + system CPU of the functions server and its workers (from /proc)."""
    pid_file = config.STATE_DIR / "pids" / "functions.pid"
    leader = int(__import__("json").loads(pid_file.read_text())["pid"])
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == leader or int(stat.parent.name) == leader:  # process group = the server's
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _run(label: str, concurrency: int, buyers: int, make_buyer: Callable[[Outcome], Callable[[int], None]],
         event: Event) -> None:  # fmt: skip
    outcome = Outcome()
    buy = make_buyer(outcome)
    cpu_before = _functions_cpu_seconds()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(buy, range(buyers)))
    elapsed = time.perf_counter() - started
    cpu = _functions_cpu_seconds() - cpu_before
    sold_units = (
        services()
        .store.inventory.taken_totals(event.id, event.inventoryShards)
        .get(ticket_type_key(event.ticketTypes[0].id), 0)
    )
    oversold = max(0, sold_units - CAPACITY)
    errors = ", ".join(f"{k}: {v}" for k, v in outcome.errors.most_common()) or "none"
    lat = outcome.latencies
    print(
        f"{label:<34} c={concurrency:<3} {outcome.sold / elapsed:>7.1f} orders/s  "
        f"p50 {_percentile(lat, 0.5) * 1000:>6.0f} ms  p95 {_percentile(lat, 0.95) * 1000:>6.0f} ms  "
        f"p99 {_percentile(lat, 0.99) * 1000:>6.0f} ms  sold {outcome.sold}  oversold {oversold}  "
        f"cpu/order {cpu / max(1, outcome.sold) * 1000:.0f} ms  errors: {errors}"
    )


def _io_per_order(org: Organization, event: Event, token: str) -> None:
    """Firestore documents read and written by one box-office order, counted in-process on the
    same service code the function runs."""
    app = services()
    request = flask.Request(EnvironBuilder(headers=[("Authorization", f"Bearer {token}")]).get_environ())
    caller = principal_for(request, app)
    params = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
              "type": "Paid", "tickets": [ticket(event)]}  # fmt: skip
    samples = []
    for i in range(20):
        with counting_io() as stats:
            app.checkout.create_order(caller, params, client_key=f"io-{uuid.uuid4().hex}-{i}")
        samples.append(stats)
    reads = statistics.median(s.document_reads for s in samples)
    writes = statistics.median(s.document_writes for s in samples)
    trips = statistics.median(s.round_trips for s in samples)
    print(f"Firestore per box-office order (median of 20): {reads:.0f} document reads, "
          f"{writes:.0f} writes, {trips:.0f} round trips")  # fmt: skip


def _fresh_sale() -> tuple[Organization, Event]:
    stack.reset_data()
    org = connected_org("Bench Presents")
    event = on_sale_event(org, capacity=CAPACITY)
    add_fees(org, event)
    return org, event


def run() -> None:
    stack.start(quiet=True)
    print("\n== Flash sale: 1,500 buyers, 1,000 tickets, through GraphQL on the local stack ==")
    print("reference: pretix 8.2 orders/s at c=64 (p50 5.0 s, p99 12 s); 143 ms p50 at c=1; target >= 3x")
    for label, concurrency, kind in (
        ("(a) box office, cash", 1, "cash"),
        ("(a) box office, cash", 16, "cash"),
        ("(a) box office, cash", 64, "cash"),
        ("(b) card via local Stripe", 1, "card"),
        ("(b) card via local Stripe", 16, "card"),
        ("(b) card via local Stripe", 64, "card"),
    ):
        org, event = _fresh_sale()
        buyers = 50 if concurrency == 1 else BUYERS
        make_buyer: Callable[[Outcome], Callable[[int], None]]
        if kind == "cash":
            make_buyer = functools.partial(_cash_buyer, clerk(org).token, org, event)
        else:
            tokens = [id_token_for(f"bench-buyer-{i}") for i in range(min(concurrency, 32))]
            make_buyer = functools.partial(_card_buyer, tokens, org, event)
        _run(label, concurrency, buyers, make_buyer, event)
    org, event = _fresh_sale()
    _io_per_order(org, event, clerk(org).token)
