"""Stock of an event, kept in shards so that a popular ticket type never funnels every sale
through one document (SPEC 3, R-INV-3/4; LOCAL_STACK "CONTENTION").

Every stock item of an event — each ticket type, tier, upgrade and promotion — has its capacity
split across the event's K shard documents. A sale takes units from one shard (chosen at random)
inside a transaction, falling back to reading every shard only when that shard cannot serve it;
no shard ever goes below zero, so the event as a whole can never oversell. Releasing (expired
reservation, refund) gives units back to the shards they came from.

Limits: a shard sustains about one write per second in production Firestore, so an event sells
about K orders per second at peak (K ≤ MAX_SHARDS); reading an event's live stock costs K
document reads whatever its number of items.

This module is pure: it plans. shared.adapters.inventory_store applies plans in transactions.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from shared.domain.models import TicketedListing
from shared.errors import DomainError, ErrorCode

MIN_SHARDS = 4
MAX_SHARDS = 16
UNITS_PER_SHARD = 10  # capacity per shard before another shard is added

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


def shard_count(event: TicketedListing) -> int:
    capacity = sum(t.totalQty for t in event.ticketTypes) + sum(u.totalQty for u in event.upgrades)
    return max(MIN_SHARDS, min(MAX_SHARDS, math.ceil(capacity / UNITS_PER_SHARD)))


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


def initial_shards(event: TicketedListing) -> list[Shard]:
    count = shard_count(event)
    shards = [Shard(i) for i in range(count)]
    for key, total in capacities(event).items():
        for shard, part in zip(shards, split(total, count), strict=True):
            shard.capacity[key] = part
    return shards


def remaining(shards: Iterable[Shard]) -> dict[StockKey, int]:
    totals: dict[StockKey, int] = {}
    for shard in shards:
        for key in shard.capacity.keys() | shard.taken.keys():
            totals[key] = totals.get(key, 0) + shard.remaining(key)
    return totals


Allocation = dict[int, dict[StockKey, int]]  # shard index -> units taken per item


class SoldOutError(DomainError):
    def __init__(self, key: StockKey, available: int) -> None:
        kind = {"t": "tickets", "r": "tickets", "u": "add-ons", "p": "promo code uses"}[key[0]]
        message = (
            f"Sorry, only {available} of these {kind} remain."
            if available > 0
            else f"Sorry, these {kind} are sold out."
        )
        super().__init__(ErrorCode.SOLD_OUT, message)
        self.key = key
        self.available = available


def plan_take(wants: Mapping[StockKey, int], shards: list[Shard], first: int | None = None) -> Allocation:
    """Take `wants` from `shards`: from shard `first` when it can serve everything (the common,
    uncontended case), otherwise item by item across the shards in a random order."""
    wants = {k: q for k, q in wants.items() if q > 0}
    by_index = {s.index: s for s in shards}
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
