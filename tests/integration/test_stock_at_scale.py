"""Stock in many small shards (shared.domain.inventory), on the real Firestore emulator.

Each kind of stock sells exactly its capacity under concurrency, and each has a control: the same
race through the same take with the shards' compare-and-set removed oversells that kind. A buyer
is never told SOLD_OUT while a unit is free (the control: trusting the random-start query alone
does). Releases and refunds give units back to sale; counters never go negative; an event
created under the legacy layout keeps selling exactly its capacity after its migration.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from google.api_core import exceptions as google_exceptions
from google.cloud import firestore

from shared.adapters import inventory_store
from shared.adapters.inventory_store import FirestoreInventory, Versioned, shard_fields, shard_id
from shared.adapters.io_stats import counting_io
from shared.bootstrap import services
from shared.domain.inventory import (
    FIRST_SHARD,
    LEGACY_LAYOUT,
    Shard,
    SoldOutError,
    apply_release,
    level,
    promotion_key,
    split,
    ticket_type_key,
    tier_key,
    upgrade_key,
)
from shared.domain.models import Event, EventPromotion, EventUpgrade, Order, TicketTier, TicketType
from shared.errors import DomainError
from tests.integration.api import principal_of
from tests.integration.checkout_fixtures import clerk, connected_org, on_sale_event

DAY = 86_400


def _event(capacity: int = 30, tiers: tuple[int, ...] = (30,), add_on: int = 0, code_uses: int = 0) -> Event:
    """An on-sale event: one ticket type over `tiers` (in order), optionally an add-on and a
    promotion code with a total use limit."""
    org = connected_org("Scale Presents")
    now = int(time.time())
    tier_list = [
        TicketTier(
            name=f"Tier {i}",
            price=1000 * (i + 1),
            totalQty=q,
            remainingQty=q,
            startsAt=now - 60,
            endsAt=now + DAY,
        )
        for i, q in enumerate(tiers)
    ]
    ticket_type = TicketType(
        name="General Admission", totalQty=capacity, remainingQty=capacity, tiers=tier_list
    )
    upgrades = (
        [EventUpgrade(name="Parking", price=500, totalQty=add_on, remainingQty=add_on)] if add_on else []
    )
    promotions = (
        [
            EventPromotion(
                code="CREW",
                type="Discount",
                totalQty=code_uses,
                remainingQty=code_uses,
                useLimit=100,
                discountType="Flat",
                discountValue=100,
                appliesTo="Per Order",
                startsAt=now - 60,
                endsAt=now + DAY,
            )
        ]
        if code_uses
        else []
    )
    return on_sale_event(
        org, capacity=capacity, ticketTypes=[ticket_type.doc()], upgrades=[u.doc() for u in upgrades],
        promotions=[p.doc() for p in promotions],
    )  # fmt: skip


def _taken(event_id: str) -> dict[str, int]:
    return services().store.inventory.taken_totals(event_id)


def _cash(event: Event, **extra: Any) -> dict[str, Any]:
    return {"orgId": event.orgId, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
            "type": "Paid", "tickets": [{"ticketTypeId": event.ticketTypes[0].id}], **extra}  # fmt: skip


def _race(buyers: int, buy: Callable[[int], str], workers: int = 16) -> Counter[str]:
    start = threading.Barrier(min(workers, buyers))

    def run(i: int) -> str:
        if i < workers:
            start.wait(timeout=60)
        return buy(i)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return Counter(pool.map(run, range(buyers)))


def _checkout_buyer(event: Event, **extra: Any) -> Callable[[int], str]:
    seller = principal_of(clerk_for(event))

    def buy(i: int) -> str:
        try:
            order: Order = services().checkout.create_order(
                seller, _cash(event, **extra), client_key=f"scale-{uuid.uuid4().hex}-{i}"
            )
        except DomainError as error:
            return str(error.code)
        return order.tickets[0].ticketTierId

    return buy


_CLERKS: dict[str, Any] = {}


def clerk_for(event: Event) -> Any:
    if event.orgId not in _CLERKS:
        org = services().store.organizations.get(event.orgId)
        assert org is not None
        _CLERKS[event.orgId] = clerk(org)
    return _CLERKS[event.orgId]


# --- every kind of stock: exactly the capacity, and a control without the protection -----------


class UnguardedInventory(FirestoreInventory):
    """The control: the same take, but the shards are written without the update-time
    precondition (read, plan, write) — what the compare-and-set protects against."""

    def _commit_if_unchanged(
        self,
        event_id: str,
        shards: list[Versioned],
        extra_writes: Callable[[firestore.WriteBatch], None] | None,
    ) -> bool:
        time.sleep(0.02)  # a real request does more between its read and its write
        batch = self.client.batch()
        for shard, _ in shards:
            batch.update(self.ref(event_id, shard.index), shard_fields(shard))
        try:
            batch.commit()
        except google_exceptions.Aborted:  # the emulator's lock timeout under load: try again
            return False
        return True


KINDS = {
    "ticket type": lambda e: {ticket_type_key(e.ticketTypes[0].id): 1},
    "tier": lambda e: {tier_key(e.ticketTypes[0].tiers[0].id): 1},
    "add-on": lambda e: {upgrade_key(e.upgrades[0].id): 1},
    "promotion uses": lambda e: {promotion_key(e.promotions[0].id): 1},
}


def _kind_event() -> Event:
    # Ten units of every kind, in one shard (the tier and type are co-located; the add-on and
    # the code share the event's only shard): the race is on one document.
    return _event(capacity=10, tiers=(10,), add_on=10, code_uses=10)


def _race_takes(inventory: FirestoreInventory, event: Event, wants: Mapping[str, int]) -> Counter[str]:
    def buy(_: int) -> str:
        try:
            inventory.take(event.id, event.inventoryShards, wants)
        except SoldOutError:
            return "SOLD_OUT"
        except DomainError as error:
            return str(error.code)
        return "sold"

    return _race(30, buy, workers=30)


@pytest.mark.parametrize("kind", list(KINDS))
def test_control_each_kind_of_stock_oversells_without_the_compare_and_set(kind: str) -> None:
    event = _kind_event()
    wants = KINDS[kind](event)
    outcomes = _race_takes(UnguardedInventory(services().store.inventory.client), event, wants)
    key = next(iter(wants))
    assert outcomes["sold"] > _taken(event.id)[key], "the race did not show: the control proves nothing"


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_of_stock_sells_exactly_its_capacity_under_concurrency(kind: str) -> None:
    event = _kind_event()
    wants = KINDS[kind](event)
    outcomes = _race_takes(services().store.inventory, event, wants)
    assert outcomes == Counter({"sold": 10, "SOLD_OUT": 20})
    assert _taken(event.id)[next(iter(wants))] == 10


def test_tiers_sell_in_order_and_exactly_through_the_checkout() -> None:
    event = _event(capacity=20, tiers=(8, 12))
    first, second = (t.id for t in event.ticketTypes[0].tiers)
    outcomes = _race(30, _checkout_buyer(event))
    assert outcomes == Counter({first: 8, second: 12, "SOLD_OUT": 10})
    taken = _taken(event.id)
    type_key = ticket_type_key(event.ticketTypes[0].id)
    assert (taken[tier_key(first)], taken[tier_key(second)], taken[type_key]) == (8, 12, 20)


def test_add_ons_and_code_uses_sell_exactly_through_the_checkout() -> None:
    event = _event(capacity=40, tiers=(40,), add_on=6, code_uses=9)
    tier = event.ticketTypes[0].tiers[0].id
    with_add_on = _race(15, _checkout_buyer(event, upgrades=[{"upgradeId": event.upgrades[0].id}]))
    assert with_add_on == Counter({tier: 6, "SOLD_OUT": 9})
    with_code = _race(15, _checkout_buyer(event, discountCode="CREW"))
    assert with_code == Counter({tier: 9, "SOLD_OUT": 6})
    taken = _taken(event.id)
    assert taken[upgrade_key(event.upgrades[0].id)] == 6
    assert taken[promotion_key(event.promotions[0].id)] == 9
    assert taken[ticket_type_key(event.ticketTypes[0].id)] == 15


# --- no false SOLD_OUT -------------------------------------------------------------------------


def _leave(event: Event, left: Mapping[int, int], places: Mapping[int, float]) -> None:
    """Sell every unit of the event's shards except `left[index]` (shards not named: none
    left), and place the shards at `places` within their level — the state late in a sale."""
    inventory = services().store.inventory
    type_key, tier = ticket_type_key(event.ticketTypes[0].id), tier_key(event.ticketTypes[0].tiers[0].id)
    batch = inventory.client.batch()
    for shard, _ in inventory.all_shards(event.id):
        units = shard.capacity.get(type_key, 0) - left.get(shard.index, 0)
        shard.taken = {type_key: units, tier: units}
        batch.update(
            inventory.ref(event.id, shard.index),
            {**shard_fields(shard), "rank": level(shard) + places.get(shard.index, 0.5)},
        )
    batch.commit()


class FirstLevelOnly(FirestoreInventory):
    """The control: a sale that searches only the level it remembers (or the top, the first
    time) and trusts what it found there: SOLD_OUT when that level has emptied, without looking
    at the highest shard left or the one consistent query over every open shard."""

    def _find_open(self, event_id: str, wants: Mapping[str, int]) -> list[Versioned]:
        found: dict[int, Versioned] = {}
        for key, want in wants.items():
            top = self._top.get((event_id, key))
            if top is None:
                highest = self._shards_with(event_id, "open", key, 1, descending=True)
                top = level(highest[0][0]) if highest else 0
                self._top[(event_id, key)] = top
            at_level = self._shards_with(event_id, "open", key, want, low=top, high=top + 1)
            found.update((s.index, (s, t)) for s, t in at_level)
            left = sum(max(0, s.remaining(key)) for s, _ in found.values())
            if left < want:
                raise SoldOutError(key, left)
        return list(found.values())


def _last_units_race(
    make_inventory: Callable[[firestore.Client], FirestoreInventory], monkeypatch: pytest.MonkeyPatch
) -> tuple[Counter[str], Event]:
    # Three shards of 10: two keep 2 and 3 units (levels 2 and 3), one is sold out. Six buyers,
    # each on its own instance (a Cloud Function instance remembers the level it last sold
    # from), race for the 5 units: all find the one shard at level 3, one of them takes a unit
    # from it (it drops to level 2) and the others search again while level 3 is empty and
    # level 2 still holds 4 units.
    monkeypatch.setattr(inventory_store, "RECHECK_TOP", 0.0)
    event = _event(capacity=30, tiers=(30,))
    first = FIRST_SHARD
    _leave(event, {first: 2, first + 1: 3}, {first: 0.05, first + 1: 0.1, first + 2: 0.9})
    wants = {ticket_type_key(event.ticketTypes[0].id): 1, tier_key(event.ticketTypes[0].tiers[0].id): 1}
    client = services().store.inventory.client
    instances = [make_inventory(client) for _ in range(6)]

    def buy(i: int) -> str:
        try:
            instances[i].take(event.id, event.inventoryShards, wants)
        except SoldOutError:
            return "SOLD_OUT"
        return "sold"

    return _race(6, buy, workers=6), event


def test_control_trusting_the_remembered_level_answers_sold_out_while_units_are_free(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outcomes, event = _last_units_race(FirstLevelOnly, monkeypatch)
    assert outcomes["SOLD_OUT"] > 1, "the false sold-out did not show: the control proves nothing"
    assert _taken(event.id)[ticket_type_key(event.ticketTypes[0].id)] < 30  # units were left unsold


def test_buyers_racing_for_the_last_units_never_hear_sold_out_while_a_shard_has_some(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outcomes, event = _last_units_race(FirestoreInventory, monkeypatch)
    assert outcomes == Counter({"sold": 5, "SOLD_OUT": 1})
    assert _taken(event.id)[ticket_type_key(event.ticketTypes[0].id)] == 30


# --- release and refund return units; counters never negative --------------------------------


def test_a_released_reservation_and_a_cancelled_order_give_their_units_back_to_sale() -> None:
    event = _event(capacity=3, tiers=(3,))
    buy = _checkout_buyer(event)
    orders = [services().checkout.create_order(
        principal_of(clerk_for(event)), _cash(event), client_key=f"rel-{i}-{uuid.uuid4().hex}"
    ) for i in range(3)]  # fmt: skip
    assert buy(0) == "SOLD_OUT"
    services().refunds.cancel_order(principal_of(clerk_for(event)), orders[0].id, reason="changed plans")
    assert buy(1) == event.ticketTypes[0].tiers[0].id  # the cancelled ticket sells again
    assert buy(2) == "SOLD_OUT"

    inventory = services().store.inventory
    wants = {ticket_type_key(event.ticketTypes[0].id): 1, tier_key(event.ticketTypes[0].tiers[0].id): 1}
    services().refunds.cancel_order(principal_of(clerk_for(event)), orders[1].id, reason="changed plans")
    allocation = inventory.take(event.id, event.inventoryShards, wants)  # as a reservation holds it
    with pytest.raises(SoldOutError):
        inventory.take(event.id, event.inventoryShards, wants)
    inventory.release(event.id, allocation)
    assert buy(3) == event.ticketTypes[0].tiers[0].id  # the released unit sells again
    for shard, _ in inventory.all_shards(event.id):
        assert all(units >= 0 for units in shard.taken.values())
        assert all(shard.remaining(key) >= 0 for key in shard.capacity)


def test_a_release_never_takes_a_counter_below_zero() -> None:
    event = _event(capacity=10, tiers=(10,))
    inventory = services().store.inventory
    key = ticket_type_key(event.ticketTypes[0].id)
    allocation = inventory.take(event.id, event.inventoryShards, {key: 2})
    inventory.release(event.id, allocation)
    inventory.release(event.id, allocation)  # a duplicate release (a caller's guard failed)
    inventory.return_units(event.id, event.inventoryShards, {key: 5})  # more than was ever sold
    (shard, _), = inventory.all_shards(event.id)  # fmt: skip
    assert shard.taken.get(key, 0) == 0
    assert shard.remaining(key) == 10  # never more than the capacity either


class ClampingRelease(FirestoreInventory):
    """The control: a release as it was — each unit back to the shard the reservation recorded,
    clamped at zero there, whatever a refund gave back to that shard meanwhile."""

    def release(
        self,
        event_id: str,
        allocation: Mapping[int, Mapping[str, int]],
        extra_writes: Callable[[firestore.WriteBatch], None] | None = None,
    ) -> None:
        def attempt() -> bool | None:
            versioned = self._read_versioned(event_id, sorted(allocation))
            apply_release([s for s, _ in versioned], {i: dict(p) for i, p in allocation.items()})
            return True if self._commit_if_unchanged(event_id, versioned, extra_writes) else None

        self._retrying(attempt)


def _after_a_refund_landed_on_a_reserved_shard(event: Event) -> tuple[dict[int, dict[str, int]], list[str]]:
    """Two shards: a reservation holds 2 units of shard A, a sold order 1 unit of shard B, and
    that order's refund (which does not know where its units came from) gave its unit back to A.
    Returns the reservation's allocation and the stock keys."""
    inventory = services().store.inventory
    keys = [ticket_type_key(event.ticketTypes[0].id), tier_key(event.ticketTypes[0].tiers[0].id)]
    (a, _), (b, _) = inventory.all_shards(event.id)
    batch = inventory.client.batch()
    for shard, units in ((a, 2 - 1), (b, 1)):
        shard.taken = dict.fromkeys(keys, units)
        batch.update(inventory.ref(event.id, shard.index), shard_fields(shard))
    batch.commit()
    return {a.index: dict.fromkeys(keys, 2)}, keys


@pytest.mark.parametrize("inventory_kind", ["control", "guarded"])
def test_a_reservation_released_after_a_refund_landed_on_its_shard_gives_back_every_unit(
    inventory_kind: str,
) -> None:
    event = _event(capacity=20, tiers=(20,))
    allocation, keys = _after_a_refund_landed_on_a_reserved_shard(event)
    store = services().store.inventory
    inventory = ClampingRelease(store.client) if inventory_kind == "control" else store

    inventory.release(event.id, allocation)

    totals = _taken(event.id)
    taken = {key: totals.get(key, 0) for key in keys}
    if inventory_kind == "control":
        assert taken == dict.fromkeys(keys, 1)  # the order's unit on B stays taken for good
    else:
        assert taken == dict.fromkeys(keys, 0)  # nothing is sold or held: every unit is back
    for shard, _ in store.all_shards(event.id):
        assert all(units >= 0 for units in shard.taken.values())


# --- migration of the legacy layout ------------------------------------------------------------


def _to_legacy_layout(event: Event, sold_in_first_shard: int) -> int:
    """Rewrite an event's stock as the legacy layout stored it: K = capacity / 10 between 4 and
    16 shards `inventory/{eventId}~{nn}` without `open`/`held`/`rank`, some units already sold,
    and the event without `inventoryLayout`."""
    inventory = services().store.inventory
    client = inventory.client
    keys = {ticket_type_key(event.ticketTypes[0].id): event.ticketTypes[0].totalQty}
    keys |= {tier_key(t.id): t.totalQty for t in event.ticketTypes[0].tiers}
    count = max(4, min(16, -(-event.ticketTypes[0].totalQty // 10)))
    batch = client.batch()
    for shard, _ in inventory.all_shards(event.id):
        batch.delete(inventory.ref(event.id, shard.index))
    for index in range(count):
        capacity = {key: split(total, count)[index] for key, total in keys.items()}
        taken = {key: sold_in_first_shard for key in keys} if index == 0 else {}
        batch.create(client.collection("inventory").document(shard_id(event.id, index)),
                     {"eventId": event.id, "index": index, "capacity": capacity, "taken": taken})  # fmt: skip
    batch.update(
        client.collection("events").document(event.id),
        {"inventoryShards": count, "inventoryLayout": firestore.DELETE_FIELD},
    )
    batch.commit()
    return count


def test_an_event_created_under_the_legacy_layout_keeps_selling_exactly_its_capacity() -> None:
    event = _event(capacity=60, tiers=(60,))
    legacy_shards = _to_legacy_layout(event, sold_in_first_shard=5)
    stored = services().store.events.get(event.id)
    assert stored is not None and stored.inventoryLayout == LEGACY_LAYOUT
    tier = event.ticketTypes[0].tiers[0].id

    outcomes = _race(80, _checkout_buyer(event))
    assert outcomes == Counter({tier: 55, "SOLD_OUT": 25})
    assert _taken(event.id)[ticket_type_key(event.ticketTypes[0].id)] == 60

    migrated = services().store.events.get(event.id)
    assert migrated is not None and migrated.inventoryLayout > LEGACY_LAYOUT
    assert migrated.inventoryShards > FIRST_SHARD
    inventory = services().store.inventory
    old = {s.index: s for s, _ in inventory.all_shards(event.id) if s.index < FIRST_SHARD}
    assert len(old) == legacy_shards and old[0].taken[tier_key(tier)] == 5  # what it sold, kept
    # A unit a legacy reservation held goes back to its legacy shard, which sells it again.
    inventory.release(event.id, {0: {ticket_type_key(event.ticketTypes[0].id): 1, tier_key(tier): 1}})
    assert _race(3, _checkout_buyer(event)) == Counter({tier: 1, "SOLD_OUT": 2})
    assert _taken(event.id)[ticket_type_key(event.ticketTypes[0].id)] == 60


def test_shards_are_small_and_spread_over_the_key_space() -> None:
    event = _event(capacity=1000, tiers=(400, 600))
    shards: list[Shard] = [s for s, _ in services().store.inventory.all_shards(event.id)]
    assert len(shards) == 100
    assert max(s.capacity.get(ticket_type_key(event.ticketTypes[0].id), 0) for s in shards) <= 10
    prefixes = {shard_id(event.id, s.index)[:2] for s in shards}
    assert len(prefixes) > 50  # ids start with a hash, not with the event id and a counter


# --- live stock for page views -------------------------------------------------------------------


def test_page_views_read_a_summary_folded_at_most_once_per_window_whatever_the_orders_or_views() -> None:
    event = _event(capacity=30, tiers=(30,))
    now = [1_000_000.0]
    pages = FirestoreInventory(services().store.inventory.client, summary_seconds=10, clock=lambda: now[0])
    key = ticket_type_key(event.ticketTypes[0].id)
    sell = _checkout_buyer(event)
    with counting_io() as first_view:
        assert pages.live_stock([event])[event.id][key] == 30
    assert first_view.writes_by_path[f"stockSummaries/{event.id}"] == 1  # folded and written once

    with counting_io() as views:
        for i in range(5):
            sell(i)  # the checkout never reads or writes the summary
            now[0] += 1
            assert pages.live_stock([event])[event.id][key] == 30  # up to 10 s old, never more
    assert views.writes_by_path[f"stockSummaries/{event.id}"] == 0

    now[0] += 5  # a new window: the first view folds the shards again
    with counting_io() as next_window:
        assert pages.live_stock([event, event])[event.id][key] == 25
        assert pages.live_stock([event])[event.id][key] == 25
    assert next_window.writes_by_path[f"stockSummaries/{event.id}"] == 1
