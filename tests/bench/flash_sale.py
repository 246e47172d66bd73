"""Flash sales through the public API on the local stack. Prints numbers; asserts nothing.

Scenarios (`make bench` runs them all; `python -m tests.bench --scenario cash --capacity N
--buyers M --concurrency C --json` runs one and prints one JSON object on its last line):
- cash: box-office cash orders, 1,000 tickets / 1,500 buyers (c=1, 16 and 64);
- big: a 50,000-ticket event, 600 buyers at c=64 (reads per order must not grow with capacity);
- tail: the last 10 units of a 1,000-ticket event, each in its own shard, 200 buyers at once;
- card: card checkouts through the local Stripe (PaymentIntent, confirm, createOrder).

Per run: orders/s, latency percentiles, oversold, errors, Firestore reads and writes per order,
the most writes any one document received during the sale and what kind of document it was
(counted per document path by the functions server itself, shared.adapters.io_stats), and the
production ceiling the throughput model implies (README "Stock"). The emulator has no
per-document write limit, so local orders/s alone says nothing about production.

Reference (same 2-core machine kind): pretix 2026.8 sells 8.2 orders/s at concurrency 64
(p50 5.0 s, p99 12 s) and takes 143 ms p50 per order at concurrency 1, never overselling.
"""

from __future__ import annotations

import bisect
import functools
import json
import os
import random
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
from shared.adapters.inventory_store import LEVEL_WINDOW, RECHECK_TOP, shard_fields
from shared.adapters.io_stats import counting_io
from shared.bootstrap import services
from shared.caller import principal_for
from shared.domain.inventory import UNITS_PER_SHARD, ticket_type_key
from shared.domain.models import CREATED_SHARDS, Event, Organization
from tests.integration.api import id_token_for
from tests.integration.checkout_fixtures import (
    add_fees,
    clerk,
    connected_org,
    on_sale_event,
    stripe_client,
    ticket,
)

GRAPHQL = f"{config.FUNCTIONS_URL}/graphql/graphql"
CREATE_ORDER = "mutation($p: OrderInput!) { createOrder(params: $p) { _id } }"
START_PAYMENT = (
    "mutation($p: OrderPaymentIntentInput!) { createOrderPaymentIntent(params: $p) { paymentIntentId } }"
)
IO_DIR = config.STATE_DIR / "io"

# The throughput model's production constants (README "Stock: the throughput model").
DOCUMENT_WRITES_PER_S = 1.0  # what production Firestore sustains on one document
DATABASE_WRITES_PER_S = 10_000.0  # assumed database-wide budget once warmed up (500/50/5 ramp)
SEQUENTIAL_INDEX_WRITES_PER_S = 500.0  # Firestore's limit for an index range that only grows
TAIL_FRACTION = 0.05  # "until its last 5% of stock"

KINDS = {
    "inventory": "stock shard",
    "orders": "order",
    "userProfiles": "buyer profile (customer metrics)",
    "events": "event",
    "seasons": "season",
    "organizations": "organization",
    "codeUses": "code-use counter",
    "memberUses": "member-id claim",
    "reservations": "reservation",
    "users": "user",
    "tasks": "delivery task",
    "deliveries": "delivery record",
    "stripeEvents": "Stripe event record",
}
# Documents of one order, checkout, buyer or message: written a few times over that one order's
# life (a delivery task: created, started, ended), never once per order of the sale, so they do
# not limit how fast a sale goes. Every other document written more than once is shared.
PER_ORDER_KINDS = {"orders", "reservations", "tasks", "deliveries", "stripeEvents", "userProfiles",
                   "codeUses", "memberUses", "users"}  # fmt: skip


@dataclass
class Scenario:
    name: str
    kind: str  # "cash" or "card"
    capacity: int
    buyers: int
    concurrency: int
    tail_units: int = 0  # > 0: all but this many units are sold before the run, one per shard


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


def _cash_params(org: Organization, event: Event) -> dict[str, Any]:
    return {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
            "type": "Paid", "tickets": [ticket(event)]}  # fmt: skip


def _cash_buyer(token: str, org: Organization, event: Event, outcome: Outcome) -> Callable[[int], None]:
    params = _cash_params(org, event)

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
    leader = int(json.loads(pid_file.read_text())["pid"])
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


# --- the functions server's own Firestore counts (emulator/functions_router.py) ----------------


def _server_io(command: str) -> dict[int, dict[str, Any]]:
    """Ask every functions worker to `reset` its per-document counts or `dump` them; returns each
    worker's totals (reads, writes) and per-document writes, by pid."""
    IO_DIR.mkdir(parents=True, exist_ok=True)
    number = uuid.uuid4().hex[:8]
    (IO_DIR / "request").write_text(f"dump {number}")
    time.sleep(0.8)  # workers poll every 0.2 s
    answers = {int(p.stem.split("-")[1]): json.loads(p.read_text()) for p in IO_DIR.glob(f"{number}-*.json")}
    if command == "reset":
        (IO_DIR / "request").write_text(f"reset {number}")
        time.sleep(0.8)
    return answers


def _server_delta(before: dict[int, dict[str, Any]], after: dict[int, dict[str, Any]]) -> dict[str, Any]:
    reads = sum(a["reads"] - before.get(pid, {"reads": a["reads"]})["reads"] for pid, a in after.items())
    writes = sum(a["writes"] - before.get(pid, {"writes": a["writes"]})["writes"] for pid, a in after.items())
    by_path: Counter[str] = Counter()
    for answer in after.values():
        by_path.update(answer["writes_by_path"])
    return {"reads": reads, "writes": writes, "by_path": by_path}


# --- the throughput model -----------------------------------------------------------------------


def open_shards_at_tail(
    capacity: int, fraction: float = TAIL_FRACTION, seed: int = 7, instances: int = 50
) -> int:
    """Shards still open when only `fraction` of a capacity is left, under the sale's own rule
    (shards of UNITS_PER_SHARD; each sale takes from a random place in the window of LEVEL_WINDOW
    levels below the top it remembers, wrapping within the window and reading the top again when
    it has emptied, and a share of sales (RECHECK_TOP) reads the top afresh; `instances`
    processes remember their own top).
    Simulated: open shards are what production throughput is made of."""
    rnd = random.Random(seed)
    count = max(1, capacity // UNITS_PER_SHARD)
    left = [UNITS_PER_SHARD] * count
    ranks = sorted((UNITS_PER_SHARD + rnd.random(), i) for i in range(count))
    remembered: list[int | None] = [None] * instances

    def first_from(low: float, high: float) -> int | None:
        place = bisect.bisect_left(ranks, (low, -1))
        return place if place < len(ranks) and ranks[place][0] < high else None

    sold, target = 0, int(capacity * (1 - fraction))
    while sold < target and ranks:
        instance = rnd.randrange(instances)
        top = remembered[instance]
        if top is None or rnd.random() < RECHECK_TOP:
            top = int(ranks[-1][0])
        while True:
            low = top + 1 - LEVEL_WINDOW
            start = low + rnd.random() * LEVEL_WINDOW
            place = first_from(start, top + 1)
            place = first_from(low, start) if place is None else place
            if place is not None:
                break
            top = int(ranks[bisect.bisect_left(ranks, (low, -1)) - 1][0])  # the highest shard left
        remembered[instance] = top
        _, index = ranks.pop(place)
        left[index] -= 1
        sold += 1
        if left[index]:
            bisect.insort(ranks, (left[index] + rnd.random(), index))
    return len(ranks)


def production_ceiling(
    capacity: int, sold: int, writes_per_order: float, by_path: Counter[str], open_at_start: int
) -> dict[str, Any]:
    """Orders/s production could sustain until the last 5% of the stock (README "Stock"): the open
    shards then (one write/s each, one shard write per order), any other document every order
    writes (its share of the writes, one write/s), and the database's write budget."""
    shard_writes = sum(n for p, n in by_path.items() if p.startswith("inventory/"))
    shard_writes_per_order = shard_writes / sold if sold else 1.0
    tail_open = min(open_at_start, open_shards_at_tail(capacity))
    limits = {"open stock shards": tail_open * DOCUMENT_WRITES_PER_S / max(1.0, shard_writes_per_order)}
    # Shared documents written more than once during the sale (a document written once limits
    # nothing; one order's or buyer's own documents neither, PER_ORDER_KINDS).
    others = [
        (n, p) for p, n in by_path.items()
        if n > 1 and p.split("/", 1)[0] not in PER_ORDER_KINDS | {"inventory"}
    ]  # fmt: skip
    if others and sold:
        writes, path = max(others)
        limits[f"hottest other document ({_kind(path)})"] = sold / writes * DOCUMENT_WRITES_PER_S
    limits["database write budget"] = DATABASE_WRITES_PER_S / max(1.0, writes_per_order)
    # Every order appends to the order lists' (..., createdShard, createdAt) indexes: one
    # growing range per lane (shared.domain.models.CREATED_SHARDS).
    limits["order list indexes (createdAt lanes)"] = CREATED_SHARDS * SEQUENTIAL_INDEX_WRITES_PER_S
    bound = min(limits, key=lambda k: limits[k])
    at_start = min(
        [*(v for k, v in limits.items() if k != "open stock shards"),
         open_at_start * DOCUMENT_WRITES_PER_S / max(1.0, shard_writes_per_order)]
    )  # fmt: skip
    return {"orders_per_s": round(limits[bound]), "bound_by": bound, "open_shards_at_tail": tail_open,
            "at_start": round(at_start)}  # fmt: skip


def _kind(path: str) -> str:
    return KINDS.get(path.split("/", 1)[0], path.split("/", 1)[0])


# --- setup --------------------------------------------------------------------------------------


def _fresh_sale(capacity: int) -> tuple[Organization, Event]:
    stack.reset_data()
    org = connected_org("Bench Presents")
    event = on_sale_event(org, capacity=capacity)
    add_fees(org, event)
    return org, event


def _sell_all_but(event: Event, units: int) -> None:
    """The state of a sale's tail: every unit sold except `units`, each left in its own shard."""
    inventory = services().store.inventory
    shards = inventory.all_shards(event.id)
    keep = {s.index for s, _ in random.sample(shards, min(units, len(shards)))}
    for start in range(0, len(shards), 400):
        batch = inventory.client.batch()
        for shard, _ in shards[start : start + 400]:
            shard.taken = {k: v - (1 if shard.index in keep else 0) for k, v in shard.capacity.items()}
            batch.update(inventory.ref(event.id, shard.index), shard_fields(shard))
        batch.commit()


def _reads_per_order(org: Organization, event: Event, token: str, samples: int = 20) -> tuple[float, float]:
    """Firestore documents read and written by one box-office order (median), counted
    in-process on the same service code the function runs."""
    app = services()
    request = flask.Request(EnvironBuilder(headers=[("Authorization", f"Bearer {token}")]).get_environ())
    caller = principal_for(request, app)
    counted = []
    for i in range(samples):
        with counting_io() as stats:
            app.checkout.create_order(
                caller, _cash_params(org, event), client_key=f"io-{uuid.uuid4().hex}-{i}"
            )
        counted.append(stats)
    return (
        statistics.median(s.document_reads for s in counted),
        statistics.median(s.document_writes for s in counted),
    )


def _oversold(event: Event, capacity: int) -> int:
    sold_units = (
        services().store.inventory.taken_totals(event.id).get(ticket_type_key(event.ticketTypes[0].id), 0)
    )
    return max(0, sold_units - capacity)


def run_scenario(scenario: Scenario) -> dict[str, Any]:
    org, event = _fresh_sale(scenario.capacity)
    if scenario.tail_units:
        _sell_all_but(event, scenario.tail_units)
    token = clerk(org).token
    make_buyer: Callable[[Outcome], Callable[[int], None]]
    if scenario.kind == "cash":
        make_buyer = functools.partial(_cash_buyer, token, org, event)
    else:
        # A buyer per order (up to 300): a buyer's own profile takes one write per order they place,
        # so buyers reused across many orders would make it the "hottest document" of the sale.
        tokens = [
            id_token_for(f"bench-buyer-{uuid.uuid4().hex[:8]}-{i}") for i in range(min(scenario.buyers, 300))
        ]
        make_buyer = functools.partial(_card_buyer, tokens, org, event)
    outcome = Outcome()
    buy = make_buyer(outcome)
    before = _server_io("reset")
    cpu_before = _functions_cpu_seconds()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=scenario.concurrency) as pool:
        list(pool.map(buy, range(scenario.buyers)))
    elapsed = time.perf_counter() - started
    cpu = _functions_cpu_seconds() - cpu_before
    io = _server_delta(before, _server_io("dump"))
    oversold = _oversold(event, scenario.capacity)
    hottest_path, hottest = io["by_path"].most_common(1)[0] if io["by_path"] else ("", 0)
    sold = max(1, outcome.sold)
    writes_per_order = io["writes"] / sold
    if scenario.kind == "cash":
        if scenario.capacity - scenario.buyers >= 20 and not scenario.tail_units:
            reads, _ = _reads_per_order(org, event, token)  # stock is left on the same event
        else:
            sample_org, sample_event = _fresh_sale(scenario.capacity if scenario.capacity <= 2000 else 1000)
            reads, _ = _reads_per_order(sample_org, sample_event, clerk(sample_org).token)
    else:
        reads = io["reads"] / sold
    lat = outcome.latencies
    open_at_start = scenario.tail_units or max(1, scenario.capacity // UNITS_PER_SHARD)
    ceiling = production_ceiling(
        scenario.capacity, outcome.sold, writes_per_order, io["by_path"], open_at_start
    )
    return {
        "scenario": scenario.name,
        "kind": scenario.kind,
        "capacity": scenario.capacity,
        "buyers": scenario.buyers,
        "concurrency": scenario.concurrency,
        "orders_per_s": round(outcome.sold / elapsed, 1),
        "p50_ms": round(_percentile(lat, 0.5) * 1000),
        "p95_ms": round(_percentile(lat, 0.95) * 1000),
        "p99_ms": round(_percentile(lat, 0.99) * 1000),
        "sold": outcome.sold,
        "oversold": oversold,
        "errors": dict(outcome.errors),
        "reads_per_order": reads,
        "reads_per_request": round(io["reads"] / scenario.buyers, 1),
        "writes_per_order": round(writes_per_order, 2),
        "max_writes_one_document": hottest,
        "hottest_document_kind": _kind(hottest_path) if hottest_path else "",
        "production_ceiling_orders_per_s": ceiling["orders_per_s"],
        "production_bound_by": ceiling["bound_by"],
        "production_ceiling_at_start_orders_per_s": ceiling["at_start"],
        "open_shards_at_last_5_percent": ceiling["open_shards_at_tail"],
        "cpu_ms_per_order": round(cpu / sold * 1000),
    }


def print_result(result: dict[str, Any]) -> None:
    r = result
    errors = ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "none"
    print(
        f"{r['scenario']:<5} cap {r['capacity']:>6} buyers {r['buyers']:>5} c={r['concurrency']:<3} "
        f"{r['orders_per_s']:>6.1f} orders/s  p50 {r['p50_ms']:>5} ms  p95 {r['p95_ms']:>5} ms  "
        f"p99 {r['p99_ms']:>5} ms  sold {r['sold']}  oversold {r['oversold']}  "
        f"reads/order {r['reads_per_order']:.0f}  writes/order {r['writes_per_order']:.1f}  "
        f"max writes/doc {r['max_writes_one_document']} ({r['hottest_document_kind']})  "
        f"production ceiling {r['production_ceiling_at_start_orders_per_s']} orders/s at the start, "
        f"{r['production_ceiling_orders_per_s']} with 5 % left ({r['production_bound_by']})  "
        f"cpu/order {r['cpu_ms_per_order']} ms  errors: {errors}"
    )


SCENARIOS = [
    Scenario("cash", "cash", 1000, 50, 1),
    Scenario("cash", "cash", 1000, 1500, 16),
    Scenario("cash", "cash", 1000, 1500, 64),
    Scenario("big", "cash", 50_000, 600, 64),
    Scenario("tail", "cash", 1000, 200, 200, tail_units=10),
    Scenario("card", "card", 1000, 50, 1),
    Scenario("card", "card", 1000, 1500, 16),
    Scenario("card", "card", 1000, 1500, 64),
]
DEFAULTS = {  # what `--scenario NAME` runs unless told otherwise
    "cash": Scenario("cash", "cash", 1000, 1500, 64),
    "big": Scenario("big", "cash", 50_000, 600, 64),
    "tail": Scenario("tail", "cash", 1000, 200, 200, tail_units=10),
    "card": Scenario("card", "card", 1000, 1500, 64),
}


def run(
    scenario: str | None = None, capacity: int | None = None, buyers: int | None = None,
    concurrency: int | None = None, as_json: bool = False,
) -> None:  # fmt: skip
    stack.start(quiet=True)
    if scenario is None:
        print("\n== Flash sales through GraphQL on the local stack (a shared machine: numbers are noisy) ==")
        print("reference: pretix 8.2 orders/s at c=64 (p50 5.0 s, p99 12 s); 143 ms p50 at c=1")
        for chosen in SCENARIOS:
            print_result(run_scenario(chosen))
        return
    base = DEFAULTS[scenario]
    chosen = Scenario(
        scenario, base.kind, capacity or base.capacity, buyers or base.buyers,
        concurrency or base.concurrency, base.tail_units,
    )  # fmt: skip
    result = run_scenario(chosen)
    if as_json:
        print(json.dumps(result))
    else:
        print_result(result)
