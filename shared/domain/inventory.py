"""Stock of an event (or season) in many small shards, so that no document's write count grows
with the number of orders (SPEC 3, R-INV-3/4; LOCAL_STACK "CONTENTION"; README "Stock").

Every stock item — each ticket type, tier, upgrade and promotion — has its capacity spread over
the listing's shards, about UNITS_PER_SHARD units of sale per shard (K = capacity / 10, so a
shard is written at most about ten times by sales, whatever the event's size). A ticket type's
tiers sit in the same shards as the type (same offset), so a one-ticket order usually takes all
its units from one shard. Each shard lists the items it still has (`open`) and those it has sold
(`held`), with a `rank` (its level, the units of sale it has left, plus a random fraction): a
sale finds an open shard at the highest level through one indexed query from a random place in
that level, so shards drain in rounds and stay open for the tail, and an exhausted item is only
declared sold out by a query over every open shard (exact, never while a unit is free). No shard
ever goes below zero, so nothing oversells.

Releasing (expired reservation, refund, hold) gives units back to shards that sold them, which
re-opens them.

Events created before this layout (K ≤ 16 shards of many units each, `inventoryLayout` 1) are
migrated on first touch: their shards keep what they sold and their unsold units move into new
small shards (plan_migration), in one atomic write.

This module is pure: it plans. shared.adapters.inventory_store applies plans with
compare-and-set writes.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from shared.domain.models import TicketedListing
from shared.errors import DomainError, ErrorCode

UNITS_PER_SHARD = 10  # units of sale per shard: bounds the writes one shard gets during a sale
MAX_SHARDS = 20_000  # 200,000 units at 10 per shard; bigger listings get bigger shards
# Layout 1 (legacy): K = capacity / 10 between 4 and 16 shards, indexes 0..K-1. Layout 2: small
# shards with `open`/`held`/`rank`, indexes from FIRST_SHARD (legacy indexes stay valid after a
# migration, so held reservations and holds keep pointing at the shards they took from).
LEGACY_LAYOUT = 1
CURRENT_LAYOUT = 2
FIRST_SHARD = 100
MIGRATION_MAX_NEW_SHARDS = 450  # new shards one migration writes (one batch holds 500 writes)

L = TypeVar("L", bound=TicketedListing)  # an event or a season: stock works the same
StockKey = str  # "t:<ticketTypeId>", "r:<tierId>", "u:<upgradeId>", "p:<promotionId>"


def ticket_type_key(ticket_type_id: str) -> StockKey:
    return f"t:{ticket_type_id}"


def tier_key(tier_id: str) -> StockKey:
    return f"r:{tier_id}"


def upgrade_key(upgrade_id: str) -> StockKey:
    return f"u:{upgrade_id}"


def promotion_key(promotion_id: str) -> StockKey:
    return f"p:{promotion_id}"


def sale_units(event: TicketedListing) -> int:
    """Units whose sales write shards: tickets and add-ons (every order takes at least one)."""
    return sum(t.totalQty for t in event.ticketTypes) + sum(u.totalQty for u in event.upgrades)


def shard_count(event: TicketedListing) -> int:
    return max(1, min(MAX_SHARDS, math.ceil(sale_units(event) / UNITS_PER_SHARD)))


def item_groups(event: TicketedListing) -> dict[StockKey, str]:
    """Items placed together: a ticket type and its tiers share shards, so one shard can serve a
    ticket's type and tier units; every other item is placed on its own."""
    groups: dict[StockKey, str] = {}
    for ticket_type in event.ticketTypes:
        groups[ticket_type_key(ticket_type.id)] = ticket_type.id
        for tier in ticket_type.tiers:
            groups[tier_key(tier.id)] = ticket_type.id
    return groups


def capacities(event: TicketedListing) -> dict[StockKey, int]:
    """Units each item can ever sell. Holds are taken units of their ticket type, not capacity."""
    caps: dict[StockKey, int] = {}
    for ticket_type in event.ticketTypes:
        caps[ticket_type_key(ticket_type.id)] = ticket_type.totalQty
        for tier in ticket_type.tiers:
            caps[tier_key(tier.id)] = tier.totalQty
    for upgrade in event.upgrades:
        caps[upgrade_key(upgrade.id)] = upgrade.totalQty
    for promotion in event.promotions:
        caps[promotion_key(promotion.id)] = promotion.totalQty
    return caps


def split(total: int, shards: int) -> list[int]:
    """`total` spread as evenly as possible over `shards` (the first ones get the remainder)."""
    base, extra = divmod(total, shards)
    return [base + (1 if i < extra else 0) for i in range(shards)]


@dataclass
class Shard:
    index: int
    capacity: dict[StockKey, int] = field(default_factory=dict)
    taken: dict[StockKey, int] = field(default_factory=dict)

    def remaining(self, key: StockKey) -> int:
        return self.capacity.get(key, 0) - self.taken.get(key, 0)


def _offset(group: str, count: int) -> int:
    """Where a group's units start: spread, so that small items do not all land in shard 0."""
    return int(hashlib.sha256(group.encode()).hexdigest()[:8], 16) % count


def distribute(
    totals: Mapping[StockKey, int], count: int, groups: Mapping[StockKey, str], first_index: int
) -> list[Shard]:
    """`totals` spread over `count` new shards numbered from `first_index`; items of one group
    start at the same shard, so they line up."""
    shards = [Shard(first_index + i) for i in range(count)]
    for key, total in totals.items():
        offset = _offset(groups.get(key, key), count)
        for i, part in enumerate(split(max(0, total), count)):
            if part:
                shards[(i + offset) % count].capacity[key] = part
    return shards


def initial_shards(event: TicketedListing) -> list[Shard]:
    return distribute(capacities(event), shard_count(event), item_groups(event), FIRST_SHARD)


def open_keys(shard: Shard) -> list[StockKey]:
    """The items a shard can still sell (indexed: sales find shards by them)."""
    return sorted(k for k in shard.capacity.keys() | shard.taken.keys() if shard.remaining(k) > 0)


def level(shard: Shard) -> int:
    """Units of sale a shard has left (tickets and add-ons; tiers and code uses ride along with
    them): a sale takes from the shards at the highest level, so the shards drain in rounds and
    as many stay open as possible until the last units (README "Stock")."""
    return sum(max(0, shard.remaining(k)) for k in shard.capacity.keys() | shard.taken.keys() if k[0] in "tu")


def held_keys(shard: Shard) -> list[StockKey]:
    """The items a shard has sold (indexed: refunds find shards to give units back to)."""
    return sorted(k for k, units in shard.taken.items() if units > 0)


def plan_migration(
    event: TicketedListing, legacy: list[Shard], first_index: int = FIRST_SHARD
) -> tuple[list[Shard], list[Shard]]:
    """A legacy listing's shards in the current layout: each old shard keeps exactly what it sold
    (capacity = taken, so it is closed until a release gives a unit back), and every unsold unit
    moves into new small shards numbered from `first_index`. Returns (the old shards changed,
    the new shards)."""
    unsold: dict[StockKey, int] = {}
    for shard in legacy:
        for key in shard.capacity.keys() | shard.taken.keys():
            unsold[key] = unsold.get(key, 0) + max(0, shard.remaining(key))
        shard.capacity = {k: units for k, units in shard.taken.items() if units > 0}
        shard.taken = dict(shard.capacity)
    sale = sum(units for key, units in unsold.items() if key[0] in "tu")
    count = max(1, min(MIGRATION_MAX_NEW_SHARDS, math.ceil(sale / UNITS_PER_SHARD)))
    return legacy, distribute(unsold, count, item_groups(event), first_index)


def plan_growth(
    shards: list[Shard], new_caps: Mapping[StockKey, int]
) -> tuple[dict[StockKey, int], list[Shard]]:
    """A capacity change split in two (updateEvent): what the existing shards keep (every item
    that grows keeps its current total there; shrinking and removed items as asked, for
    plan_resize), and new small shards holding only the growth — so raising a capacity never
    makes existing shards bigger (and hotter). New shards are numbered after the highest."""
    totals: dict[StockKey, int] = {}
    for shard in shards:
        for key, units in shard.capacity.items():
            totals[key] = totals.get(key, 0) + units
    growth = {k: cap - totals.get(k, 0) for k, cap in new_caps.items() if cap > totals.get(k, 0)}
    keep = {k: (totals.get(k, 0) if k in growth else cap) for k, cap in new_caps.items()}
    if not growth:
        return keep, []
    sale = sum(units for key, units in growth.items() if key[0] in "tu")
    count = max(1, min(MAX_SHARDS, math.ceil(sale / UNITS_PER_SHARD)))
    first_index = max([FIRST_SHARD - 1, *(s.index for s in shards)]) + 1
    # One group: every item starts at the same new shard, so a ticket's type and tier line up.
    return keep, distribute(growth, count, dict.fromkeys(growth, ""), first_index)


def remaining(shards: Iterable[Shard]) -> dict[StockKey, int]:
    totals: dict[StockKey, int] = {}
    for shard in shards:
        for key in shard.capacity.keys() | shard.taken.keys():
            totals[key] = totals.get(key, 0) + shard.remaining(key)
    return totals


Allocation = dict[int, dict[StockKey, int]]  # shard index -> units taken per item


class SoldOutError(DomainError):
    def __init__(
        self, key: StockKey, available: int, shortages: Mapping[StockKey, int] | None = None
    ) -> None:
        kind = {"t": "tickets", "r": "tickets", "u": "add-ons", "p": "promo code uses"}[key[0]]
        message = (
            f"Sorry, only {available} of these {kind} remain."
            if available > 0
            else f"Sorry, these {kind} are sold out."
        )
        super().__init__(ErrorCode.SOLD_OUT, message)
        self.key = key
        self.available = available
        # Every item found short at once (exact counts), this one included.
        self.shortages: dict[StockKey, int] = {**(shortages or {}), key: available}

    @classmethod
    def of(cls, shortages: Mapping[StockKey, int]) -> SoldOutError:
        """The refusal for several short items: named after a ticket type first (a buyer reads
        "sold out" before "this price tier is over"), then add-ons, codes, tiers."""
        key = min(shortages, key=lambda k: "tupr".index(k[0]) if k[0] in "tupr" else 4)
        return cls(key, shortages[key], shortages)


def plan_take(wants: Mapping[StockKey, int], shards: list[Shard], first: int | None = None) -> Allocation:
    """Take `wants` from `shards`: from shard `first` (or the first shard that can) when it can
    serve everything (the common case), otherwise item by item across the shards in a random
    order. SOLD_OUT when `shards` together lack an item (exact only if they are all its shards)."""
    wants = {k: q for k, q in wants.items() if q > 0}
    by_index = {s.index: s for s in shards}
    if first is None and shards:  # a single shard that serves everything saves writes
        first = next((s.index for s in shards if all(s.remaining(k) >= q for k, q in wants.items())), None)
    if (
        first is not None
        and first in by_index
        and all(by_index[first].remaining(k) >= q for k, q in wants.items())
    ):
        return {first: dict(wants)}
    order = list(shards)
    random.shuffle(order)
    allocation: Allocation = {}
    for key, quantity in wants.items():
        available = sum(max(0, s.remaining(key)) for s in shards)
        if available < quantity:
            raise SoldOutError(key, available)
        left = quantity
        for shard in order:
            part = min(left, max(0, shard.remaining(key)))
            if part:
                allocation.setdefault(shard.index, {})[key] = part
                left -= part
            if not left:
                break
    return allocation


def apply_take(shards: list[Shard], allocation: Allocation) -> list[Shard]:
    """The shards `allocation` touches, with its units taken (caller checked availability)."""
    by_index = {s.index: s for s in shards}
    touched = []
    for index, parts in allocation.items():
        shard = by_index[index]
        for key, units in parts.items():
            shard.taken[key] = shard.taken.get(key, 0) + units
        touched.append(shard)
    return touched


def release_shortfall(shards: list[Shard], allocation: Allocation) -> dict[StockKey, int]:
    """Units of `allocation` its shards no longer hold: a refund, which does not know where its
    order's units came from, may have given units back to a shard a reservation or hold had
    taken from. Those units are still taken elsewhere, so a release must give them back there;
    clamped at zero on the recorded shard, they would stay taken for good."""
    by_index = {s.index: s for s in shards}
    short: dict[StockKey, int] = {}
    for index, parts in allocation.items():
        shard = by_index.get(index)
        for key, units in parts.items():
            missing = units - (shard.taken.get(key, 0) if shard else 0)
            if missing > 0:
                short[key] = short.get(key, 0) + missing
    return short


def apply_release(shards: list[Shard], allocation: Allocation) -> list[Shard]:
    """Give units back to the shards they were taken from (never below zero taken)."""
    by_index = {s.index: s for s in shards}
    touched = []
    for index, parts in allocation.items():
        shard = by_index.get(index)
        if shard is None:
            continue
        for key, units in parts.items():
            shard.taken[key] = max(0, shard.taken.get(key, 0) - units)
        touched.append(shard)
    return touched


def plan_resize(shards: list[Shard], new_caps: Mapping[StockKey, int]) -> list[Shard]:
    """Change item capacities (updateEvent, R-EV-3): sold units stay sold, so a capacity can
    shrink only by what is still unsold. Items absent from `new_caps` must have sold nothing."""
    if not shards:
        return shards
    old_totals = {
        key: sum(s.capacity.get(key, 0) for s in shards) for key in {k for s in shards for k in s.capacity}
    }
    taken = {key: sum(s.taken.get(key, 0) for s in shards) for key in old_totals | dict.fromkeys(new_caps)}
    problems = [k for k in old_totals if k not in new_caps and taken.get(k, 0) > 0]
    problems += [k for k, cap in new_caps.items() if cap < taken.get(k, 0)]
    if problems:
        raise InventoryConflictError(sorted(problems), {k: taken.get(k, 0) for k in problems})
    for key, new_total in new_caps.items():
        delta = new_total - old_totals.get(key, 0)
        if delta > 0:
            for shard, part in zip(shards, split(delta, len(shards)), strict=True):
                shard.capacity[key] = shard.capacity.get(key, 0) + part
        elif delta < 0:
            cut = -delta
            for shard in sorted(shards, key=lambda s: s.remaining(key), reverse=True):
                part = min(cut, max(0, shard.remaining(key)))
                shard.capacity[key] = shard.capacity.get(key, 0) - part
                cut -= part
    for key in old_totals.keys() - new_caps.keys():
        for shard in shards:
            shard.capacity.pop(key, None)
            shard.taken.pop(key, None)
    return shards


class InventoryConflictError(DomainError):
    """A capacity below what is already sold, or removing an item that has sales."""

    def __init__(self, keys: list[StockKey], sold: Mapping[StockKey, int]) -> None:
        detail = ", ".join(f"{k} ({sold[k]} sold)" for k in keys)
        super().__init__(
            ErrorCode.INVALID_INPUT, f"Quantities cannot go below what is already sold: {detail}."
        )
        self.keys = keys


def with_live_stock(event: L, stock: Mapping[StockKey, int]) -> L:
    """The event with every remainingQty read from its shards (stored values are not live)."""
    live = event.model_copy(deep=True)
    for ticket_type in live.ticketTypes:
        ticket_type.remainingQty = max(
            0, stock.get(ticket_type_key(ticket_type.id), ticket_type.remainingQty)
        )
        for tier in ticket_type.tiers:
            tier.remainingQty = max(0, stock.get(tier_key(tier.id), tier.remainingQty))
    for upgrade in live.upgrades:
        upgrade.remainingQty = max(0, stock.get(upgrade_key(upgrade.id), upgrade.remainingQty))
    for promotion in live.promotions:
        promotion.remainingQty = max(0, stock.get(promotion_key(promotion.id), promotion.remainingQty))
    return live
