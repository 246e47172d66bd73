"""No oversell under concurrency, on the real Firestore emulator (SECURITY 12, 28).

The control first shows the race is real: the same shards updated by read-then-write without a
transaction hand out more units than exist. Then the sharded, transactional take sells exactly
the capacity, and every other buyer gets a clean sold-out error, never a transaction failure.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from shared.adapters.inventory_store import shard_id
from shared.bootstrap import services
from shared.domain.inventory import FIRST_SHARD, SoldOutError, initial_shards, ticket_type_key
from shared.domain.models import Event, TicketTier, TicketType
from shared.errors import DomainError

CAPACITY = 100
BUYERS = 150
KEY = ticket_type_key("ga")


def _stocked_event() -> Event:
    tier = TicketTier(_id="t0", name="T0", price=100, totalQty=CAPACITY, remainingQty=CAPACITY)
    ticket_type = TicketType(_id="ga", name="GA", totalQty=CAPACITY, remainingQty=CAPACITY, tiers=[tier])
    event = Event(orgId="o", createdAt=0, ticketTypes=[ticket_type])
    inventory = services().store.inventory
    batch = inventory.client.batch()
    shards = initial_shards(event)
    inventory.write_initial(batch, event.id, shards)
    batch.commit()
    event.inventoryShards = FIRST_SHARD + len(shards)
    return event


def _sold(event: Event) -> int:
    totals = services().store.inventory.taken_totals(event.id, event.inventoryShards)
    return totals.get(KEY, 0)


def test_control_without_a_transaction_oversells():
    event = _stocked_event()
    client = services().store.inventory.client
    start = threading.Barrier(BUYERS)

    def naive_buy(i: int) -> bool:
        index = FIRST_SHARD + i % (event.inventoryShards - FIRST_SHARD)
        ref = client.collection("inventory").document(shard_id(event.id, index))
        start.wait()
        data = ref.get().to_dict() or {}
        taken = dict(data.get("taken") or {})
        if data["capacity"][KEY] - taken.get(KEY, 0) < 1:
            return False
        taken[KEY] = taken.get(KEY, 0) + 1
        ref.update({"taken": taken})  # lost updates: two buyers read the same count
        return True

    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        successes = sum(pool.map(naive_buy, range(BUYERS)))
    assert successes > _sold(event), "the race did not show: the control proves nothing"


def test_sharded_transactions_sell_exactly_the_capacity():
    event = _stocked_event()
    inventory = services().store.inventory
    start = threading.Barrier(32)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def buy(i: int) -> None:
        if i < 32:  # the first wave starts together; later buyers arrive as threads free up
            start.wait(timeout=30)
        try:
            inventory.take(event.id, event.inventoryShards, {KEY: 1})
            result = "sold"
        except SoldOutError:
            result = "sold_out"
        except DomainError as error:
            result = str(error.code)
        with lock:
            outcomes[result] += 1

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(buy, range(BUYERS)))
    assert outcomes == Counter({"sold": CAPACITY, "sold_out": BUYERS - CAPACITY})
    assert _sold(event) == CAPACITY
