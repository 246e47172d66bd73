"""Pure event rules (SPEC 5.3): input validation (R-EV-2), publish readiness (R-EV-6), the copy
made by duplicateEvent (R-EV-8), the list filter and sort of `events` (R-EV-9), and the plan of a
hold's stock (R-EV-4/5). No I/O here; shared.services.events applies these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.domain.inventory import (
    Allocation,
    Shard,
    StockKey,
    apply_release,
    apply_take,
    plan_take,
    ticket_type_key,
    tier_key,
    upgrade_key,
)
from shared.domain.listing import contains_text, criterion, matches
from shared.domain.models import DEFAULT_TIMEZONE, Event, TicketedListing, TicketHold, new_id
from shared.errors import DomainError, ErrorCode

L = TypeVar("L", bound=TicketedListing)  # an Event or a Season: the rules are the same

# --- R-EV-2 validation -------------------------------------------------------------------------


def _schedule_problems(event: TicketedListing, prefix: str) -> list[str]:
    """Order of the schedule's times. A time left at 0 is not set yet and is not compared."""
    problems: list[str] = []

    def before(a: int, b: int) -> bool:  # "a ≤ b" when both are set
        return not a or not b or a <= b

    first_start = 0
    for p, performance in enumerate(event.performances):
        previous_end = 0
        for d, day in enumerate(performance.schedule):
            where = f"{prefix}.performances.{p}.schedule.{d}"
            if not before(day.doorsAt, day.startsAt):
                problems.append(f"{where}.doorsAt")
            if not before(day.startsAt, day.endsAt):
                problems.append(f"{where}.endsAt")
            if previous_end and day.startsAt and day.startsAt < previous_end:
                problems.append(f"{where}.startsAt")  # day n+1 starts after day n ends
            previous_end = day.endsAt or previous_end
            if day.startsAt and (not first_start or day.startsAt < first_start):
                first_start = day.startsAt
    schedule = event.schedule
    where = f"{prefix}.schedule"
    if not before(schedule.announceAt, first_start):
        problems.append(f"{where}.announceAt")
    if not before(schedule.announceAt, schedule.ticketsAt):
        problems.append(f"{where}.ticketsAt")
    if not before(schedule.ticketsAt, schedule.ticketsEndAt):
        problems.append(f"{where}.ticketsEndAt")
    if not before(schedule.ticketsEndAt, schedule.endsAt) and f"{where}.ticketsEndAt" not in problems:
        problems.append(f"{where}.ticketsEndAt")
    if not before(schedule.startsAt, schedule.endsAt):
        problems.append(f"{where}.endsAt")
    return problems


def _ticket_type_problems(event: TicketedListing, prefix: str) -> list[str]:
    problems: list[str] = []
    for i, ticket_type in enumerate(event.ticketTypes):
        where = f"{prefix}.ticketTypes.{i}"
        if ticket_type.totalQty < 1:
            problems.append(f"{where}.totalQty")
        if event.multi_day and not ticket_type.dayIds:
            problems.append(f"{where}.dayIds")
        problems += [
            f"{where}.tiers.{j}.endsAt"
            for j, tier in enumerate(ticket_type.tiers)
            if tier.startsAt and tier.endsAt and tier.endsAt < tier.startsAt
        ]
    type_ids = {t.id for t in event.ticketTypes}
    for i, upgrade in enumerate(event.upgrades):
        where = f"{prefix}.upgrades.{i}"
        if upgrade.totalQty < 1:
            problems.append(f"{where}.totalQty")
        if any(t not in type_ids for t in upgrade.ticketTypeIds):
            problems.append(f"{where}.ticketTypeIds")
    problems += [
        f"{prefix}.holds.{i}.ticketTypeId"
        for i, h in enumerate(event.holds)
        if h.ticketTypeId not in type_ids
    ]
    return problems


def _promotion_problems(event: TicketedListing, prefix: str) -> list[str]:
    problems: list[str] = []
    type_ids = {t.id for t in event.ticketTypes}
    upgrade_ids = {u.id for u in event.upgrades}
    codes: set[str] = set()
    for i, promotion in enumerate(event.promotions):
        where = f"{prefix}.promotions.{i}"
        if promotion.totalQty < 1:
            problems.append(f"{where}.totalQty")
        if not promotion.endsAt:
            problems.append(f"{where}.endsAt")
        elif promotion.startsAt > promotion.endsAt:
            problems.append(f"{where}.startsAt")
        code = promotion.code.strip().lower()
        if code in codes:
            problems.append(f"{where}.code")
        codes.add(code)
        if any(t not in type_ids for t in promotion.ticketTypeIds):
            problems.append(f"{where}.ticketTypeIds")
        if any(u not in upgrade_ids for u in promotion.upgradeIds):
            problems.append(f"{where}.upgradeIds")
        if promotion.type == "Discount" and (
            promotion.discountType is None or promotion.discountValue is None
        ):
            problems.append(f"{where}.discountValue")
    return problems


def event_problems(event: TicketedListing, prefix: str = "event") -> list[str]:
    """Input paths breaking R-EV-2 beyond what the model itself enforces (names, prices, enums,
    non-negative quantities, purchase limits ≥ 1 are checked when the model is built)."""
    problems = _ticket_type_problems(event, prefix) + _promotion_problems(event, prefix)
    problems += _schedule_problems(event, prefix)
    return list(dict.fromkeys(problems))


def validate_event(event: L, prefix: str = "event") -> L:
    problems = event_problems(event, prefix)
    if problems:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Please check {', '.join(problems)}.", problems)
    return event


def stock_key_paths(event: TicketedListing, prefix: str = "event") -> dict[StockKey, str]:
    """The input path of each stock item's total, to name fields in "below what is sold" errors."""
    paths: dict[StockKey, str] = {}
    for i, ticket_type in enumerate(event.ticketTypes):
        paths[ticket_type_key(ticket_type.id)] = f"{prefix}.ticketTypes.{i}.totalQty"
        for j, tier in enumerate(ticket_type.tiers):
            paths[tier_key(tier.id)] = f"{prefix}.ticketTypes.{i}.tiers.{j}.totalQty"
    for i, upgrade in enumerate(event.upgrades):
        paths[upgrade_key(upgrade.id)] = f"{prefix}.upgrades.{i}.totalQty"
    for i, promotion in enumerate(event.promotions):
        paths[f"p:{promotion.id}"] = f"{prefix}.promotions.{i}.totalQty"
    return paths


# --- R-EV-6 publish readiness ------------------------------------------------------------------


def _ticket_type_missing(event: TicketedListing) -> list[str]:
    missing: list[str] = []
    for ticket_type in event.ticketTypes:
        label = f"ticket type '{ticket_type.name or '?'}'"
        if not ticket_type.name.strip():
            missing.append(f"{label} name")
        if ticket_type.totalQty < 1:
            missing.append(f"{label} quantity")
        if ticket_type.purchaseLimit < 1:
            missing.append(f"{label} purchase limit")
        if not ticket_type.tiers:
            missing.append(f"{label} tiers")
        missing += [
            f"{label} tier '{tier.name or '?'}' name and quantity"
            for tier in ticket_type.tiers
            if not tier.name.strip() or tier.totalQty < 1
        ]
    return missing


def publish_problems(event: TicketedListing) -> list[str]:
    """What is still missing before the event can be published, in words a promoter reads."""
    required = {
        "name": event.name,
        "description": event.description,
        "poster image": event.posterImageUrl,
        "venue": event.venueId,
    }
    missing = [label for label, value in required.items() if not value.strip()]
    if not event.ticketTypes:
        missing.append("at least one ticket type")
    missing += _ticket_type_missing(event)
    if event.type == "Concert":
        missing += [
            f"headlining artist of performance '{p.name or '?'}'"
            for p in event.performances
            if not p.headliningArtistIds
        ]
    return missing


# --- R-EV-8 duplicate -------------------------------------------------------------------------


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def _at(day: datetime, hour: int) -> int:
    return int(datetime.combine(day.date(), time(hour), tzinfo=day.tzinfo).timestamp())


def duplicate(event: Event, now: float, timezone: str, created_at: int) -> Event:
    """A fresh, unpublished copy: new ids for the event and its ticket types, tiers, upgrades,
    promotions and performances (references remapped), quantities reset to totals, no holds,
    and today's standard schedule in the venue's time zone (first performance day only)."""
    today = datetime.fromtimestamp(now, _zone(timezone))
    announce, doors, starts = _at(today, 10), _at(today, 19), _at(today, 20)
    ends = _at(today, 23)
    if ends <= starts:  # a DST jump cannot reorder 20:00 and 23:00, but stay safe
        ends = starts + int(timedelta(hours=3).total_seconds())
    copy = event.model_copy(deep=True)
    performance_ids = {p.id: new_id() for p in copy.performances}
    type_ids = {t.id: new_id() for t in copy.ticketTypes}
    upgrade_ids = {u.id: new_id() for u in copy.upgrades}
    for performance in copy.performances:
        performance.id = performance_ids[performance.id]
        first = performance.schedule[:1]
        performance.schedule = [day.model_copy(update={"doorsAt": doors, "startsAt": starts,
                                                       "endsAt": ends}) for day in first]  # fmt: skip
    for ticket_type in copy.ticketTypes:
        ticket_type.id = type_ids[ticket_type.id]
        ticket_type.remainingQty = ticket_type.totalQty
        ticket_type.performanceIds = [performance_ids.get(p, p) for p in ticket_type.performanceIds]
        ticket_type.dayIds = [str(starts)] if ticket_type.dayIds else []
        for tier in ticket_type.tiers:
            tier.id = new_id()
            tier.remainingQty = tier.totalQty
    for upgrade in copy.upgrades:
        upgrade.id = upgrade_ids[upgrade.id]
        upgrade.remainingQty = upgrade.totalQty
        upgrade.ticketTypeIds = [type_ids.get(t, t) for t in upgrade.ticketTypeIds]
    for promotion in copy.promotions:
        promotion.id = new_id()
        promotion.remainingQty = promotion.totalQty
        promotion.ticketTypeIds = [type_ids.get(t, t) for t in promotion.ticketTypeIds]
        promotion.upgradeIds = [upgrade_ids.get(u, u) for u in promotion.upgradeIds]
    copy.id = new_id()
    copy.name = f"Copy of {event.name}"
    copy.createdAt = created_at
    copy.published = False
    copy.active = True
    copy.cancel = False
    copy.stub = ""
    copy.holds = []
    copy.waitList = []
    copy.subscription = []
    copy.isMultipleDays = False
    copy.totalDays = "1"
    copy.schedule = copy.schedule.model_copy(update={"announceAt": announce, "ticketsAt": announce,
                                                     "ticketsEndAt": starts, "startsAt": starts,
                                                     "endsAt": ends})  # fmt: skip
    copy.inventoryShards = 0
    return copy


# --- R-EV-9 list filter and sort ---------------------------------------------------------------


def _date_criterion(event: TicketedListing, start: int | None, end: int | None, now: float) -> bool | None:
    if start is not None and end is not None:
        return start <= event.schedule.startsAt <= end
    if start is not None:
        return event.schedule.endsAt >= now  # upcoming
    if end is not None:
        return event.schedule.endsAt <= now  # past
    return None


def listed(
    event: TicketedListing,
    query: Mapping[str, Any],
    now: float,
    extra: Sequence[bool | None] = (),
) -> bool:
    """Whether an active event of the org matches the `events` query (criteria OR-ed when `any`);
    `extra` are the caller's own criteria (None = not given), combined the same way."""
    any_of = bool(query.get("any"))
    artists = set(query.get("artistIds") or [])
    text = query.get("name")
    given = matches(
        [
            criterion(text, lambda: contains_text(event.name, text)),
            criterion(query.get("eventQuery"), lambda: contains_text(event.name, query["eventQuery"])),
            criterion(query.get("venueIds"), lambda: event.venueId in query["venueIds"]),
            criterion(query.get("artistIds"), lambda: bool(artists & set(event.artist_ids()))),
            criterion(query.get("published"), lambda: event.published == query["published"]),
            criterion(query.get("cancel"), lambda: event.cancel == query["cancel"]),
            _date_criterion(event, query.get("startDate"), query.get("endDate"), now),
            *extra,
        ],
        any_of,
    )
    if any_of and query.get("cancel") is None and event.cancel:
        return False
    return given


def sort_events(events: list[L], query: Mapping[str, Any]) -> list[L]:
    """By `sortBy` (createdAt, or schedule.startsAt), descending unless `orderBy` is 1."""
    by_start = query.get("sortBy") in ("schedule.startsAt", "startsAt")
    descending = query.get("orderBy") != 1

    def key(event: TicketedListing) -> tuple[int, str]:
        return (event.schedule.startsAt if by_start else event.createdAt, event.id)

    return sorted(events, key=key, reverse=descending)


# --- R-EV-4/5 holds ----------------------------------------------------------------------------


def held_units(hold: TicketHold) -> int:
    """Units a hold keeps out of sale: its quantity less what staff released back."""
    return max(0, hold.qty - max(0, hold.totalReleased))


def allocation_units(allocation: Mapping[int, Mapping[str, int]], key: StockKey) -> int:
    return sum(parts.get(key, 0) for parts in allocation.values())


def split_allocation(allocation: Allocation, units: Mapping[StockKey, int]) -> tuple[Allocation, Allocation]:
    """Take `units` per item out of `allocation`: (the part to give back, what stays held)."""
    back: Allocation = {}
    kept: Allocation = {index: dict(parts) for index, parts in allocation.items()}
    for key, wanted in units.items():
        left = wanted
        for index in sorted(kept):
            part = min(left, kept[index].get(key, 0))
            if part:
                back.setdefault(index, {})[key] = part
                kept[index][key] -= part
                left -= part
            if not left:
                break
    kept = {i: {k: n for k, n in parts.items() if n} for i, parts in kept.items()}
    return back, {i: parts for i, parts in kept.items() if parts}


def merge_allocations(a: Allocation, b: Allocation) -> Allocation:
    merged: Allocation = {index: dict(parts) for index, parts in a.items()}
    for index, parts in b.items():
        for key, units in parts.items():
            merged.setdefault(index, {})[key] = merged.get(index, {}).get(key, 0) + units
    return merged


def _release_units(allocation: Allocation, type_key: StockKey, units: int) -> dict[StockKey, int]:
    """`units` of the ticket type and as many tier units (the tiers the hold took from)."""
    wanted: dict[StockKey, int] = {type_key: units}
    left = units
    tier_keys = sorted({k for parts in allocation.values() for k in parts if k.startswith("r:")})
    for key in reversed(tier_keys):  # the latest tiers' units go back first
        part = min(left, allocation_units(allocation, key))
        if part:
            wanted[key] = part
            left -= part
    return wanted


def plan_hold(
    event: L, params: TicketHold, shards: list[Shard], tier_id: str | None
) -> tuple[L, list[Shard]] | None:
    """Store `params` as the hold with its id (R-EV-4/5) and move stock so that exactly
    `qty − totalReleased` units of its ticket type (and of the tier current when they were taken,
    `tier_id`) stay out of sale. Compared with what the stored hold already holds, so repeating
    a request changes nothing. None when there is nothing to write."""
    ticket_type = event.ticket_type(params.ticketTypeId)
    if ticket_type is None:
        raise DomainError(ErrorCode.INVALID_INPUT, "Unknown ticket type.", ["params.ticketTypeId"])
    stored = next((h for h in event.holds if h.id == params.id), None)
    allocation: Allocation = dict(stored.allocation) if stored else {}
    type_key = ticket_type_key(ticket_type.id)
    old_type = stored.ticketTypeId if stored else ticket_type.id
    if old_type != ticket_type.id and allocation_units(allocation, ticket_type_key(old_type)) > 0:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "A hold cannot change ticket type.", ["params.ticketTypeId"]
        )
    current = allocation_units(allocation, type_key)
    target = held_units(params)
    touched: list[Shard] = []
    if target > current:
        wants = {type_key: target - current}
        if tier_id:
            wants[tier_key(tier_id)] = target - current
        taken = plan_take(wants, shards)
        touched = apply_take(shards, taken)
        allocation = merge_allocations(allocation, taken)
    elif target < current:
        back, allocation = split_allocation(
            allocation, _release_units(allocation, type_key, current - target)
        )
        touched = apply_release(shards, back)
    hold = params.model_copy(update={"ticketType": ticket_type.name, "allocation": allocation})
    if stored is not None and stored.doc() == hold.doc():
        return None
    holds = [hold if h.id == hold.id else h for h in event.holds]
    if stored is None:
        holds.append(hold)
    return event.model_copy(update={"holds": holds}), touched
