"""Pure event rules: R-EV-2 validation, R-EV-6 readiness, R-EV-8 duplicate, R-EV-9 list, holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.domain import event_rules
from shared.domain.inventory import initial_shards, remaining, ticket_type_key, tier_key
from shared.domain.models import Event, TicketHold
from shared.errors import DomainError

T = 1_750_000_000  # a fixed "now"
DAY = 86_400


def make_event(**over: Any) -> Event:
    show = T + 10 * DAY
    data: dict[str, Any] = {
        "_id": "ev",
        "orgId": "org",
        "createdAt": T,
        "name": "Show",
        "description": "d",
        "posterImageUrl": "p",
        "venueId": "v",
        "schedule": {"announceAt": T, "ticketsAt": T, "ticketsEndAt": show, "startsAt": show,
                     "endsAt": show + 3600},
        "performances": [
            {"_id": "p1", "name": "Main", "headliningArtistIds": ["a1"], "openingArtistIds": ["a2"],
             "schedule": [{"doorsAt": show - 3600, "startsAt": show, "endsAt": show + 3600}]}
        ],
        "ticketTypes": [
            {"_id": "ga", "name": "GA", "totalQty": 10, "remainingQty": 10, "performanceIds": ["p1"],
             "tiers": [{"_id": "t1", "name": "Early", "price": 100, "totalQty": 4, "remainingQty": 4},
                       {"_id": "t2", "name": "Late", "price": 200, "totalQty": 6, "remainingQty": 6}]}
        ],
        "upgrades": [{"_id": "u1", "name": "Parking", "price": 10, "totalQty": 5, "remainingQty": 5,
                      "ticketTypeIds": ["ga"]}],
        "promotions": [{"_id": "pr", "code": "X", "type": "Presale", "totalQty": 3, "remainingQty": 3,
                        "startsAt": T, "endsAt": T + DAY, "ticketTypeIds": ["ga"], "upgradeIds": ["u1"]}],
    }  # fmt: skip
    data.update(over)
    return Event.model_validate(data)


def test_a_valid_event_has_no_problems():
    assert event_rules.event_problems(make_event()) == []


def test_quantities_days_and_references_are_checked():
    event = make_event(isMultipleDays=True)
    event.ticketTypes[0].totalQty = 0
    event.upgrades[0].totalQty = 0
    event.upgrades[0].ticketTypeIds = ["nope"]
    event.promotions[0].useLimit = 1
    event.promotions[0].endsAt = 0
    assert event_rules.event_problems(event) == [
        "event.ticketTypes.0.totalQty",
        "event.ticketTypes.0.dayIds",
        "event.upgrades.0.totalQty",
        "event.upgrades.0.ticketTypeIds",
        "event.promotions.0.endsAt",
    ]


def test_duplicate_promotion_codes_are_refused_case_insensitively():
    event = make_event()
    event.promotions.append(event.promotions[0].model_copy(update={"id": "pr2", "code": "x"}))
    assert event_rules.event_problems(event) == ["event.promotions.1.code"]


def test_schedule_order():
    event = make_event()
    event.schedule.ticketsEndAt = event.schedule.endsAt + 1  # sales end after the event
    event.schedule.announceAt = event.schedule.startsAt + 10  # announced after the first show
    day = event.performances[0].schedule[0]
    event.performances[0].schedule.append(day.model_copy(update={"startsAt": day.endsAt - 1}))
    problems = event_rules.event_problems(event)
    assert "event.schedule.ticketsEndAt" in problems
    assert "event.schedule.announceAt" in problems
    assert "event.performances.0.schedule.1.startsAt" in problems  # day 2 starts before day 1 ends
    with pytest.raises(DomainError) as raised:
        event_rules.validate_event(event)
    assert raised.value.fields == problems


def test_unset_schedule_times_are_not_compared():
    event = make_event(schedule={}, performances=[])
    assert event_rules.event_problems(event) == []


def test_publish_problems_name_what_is_missing():
    assert event_rules.publish_problems(make_event(type="Concert")) == []
    event = make_event(type="Concert", description=" ", posterImageUrl="", venueId="", ticketTypes=[],
                       upgrades=[], promotions=[])  # fmt: skip
    event.performances[0].headliningArtistIds = []
    assert event_rules.publish_problems(event) == [
        "description",
        "poster image",
        "venue",
        "at least one ticket type",
        "headlining artist of performance 'Main'",
    ]


def test_duplicate_remaps_ids_and_resets_stock_and_schedule():
    source = make_event(published=True, stub="show", holds=[{"_id": "h", "ticketTypeId": "ga", "qty": 2}])
    source.ticketTypes[0].remainingQty = 1
    source.ticketTypes[0].tiers[0].remainingQty = 0
    copy = event_rules.duplicate(source, T, "America/New_York", T + 5)
    assert copy.id != source.id and copy.name == "Copy of Show"
    assert (copy.published, copy.stub, copy.holds, copy.createdAt) == (False, "", [], T + 5)
    new_type = copy.ticketTypes[0]
    assert new_type.id != "ga" and new_type.remainingQty == 10
    assert [t.remainingQty for t in new_type.tiers] == [4, 6]
    assert {t.id for t in new_type.tiers}.isdisjoint({"t1", "t2"})
    assert copy.upgrades[0].ticketTypeIds == [new_type.id]
    assert copy.promotions[0].ticketTypeIds == [new_type.id]
    assert copy.promotions[0].upgradeIds == [copy.upgrades[0].id]
    assert new_type.performanceIds == [copy.performances[0].id] != ["p1"]
    local = ZoneInfo("America/New_York")
    hours = {k: datetime.fromtimestamp(v, local).hour for k, v in copy.schedule.model_dump().items()}
    assert hours == {"announceAt": 10, "ticketsAt": 10, "ticketsEndAt": 20, "startsAt": 20, "endsAt": 23}
    assert (
        datetime.fromtimestamp(copy.schedule.startsAt, local).date()
        == datetime.fromtimestamp(T, local).date()
    )
    day = copy.performances[0].schedule[0]
    assert (day.doorsAt, day.startsAt, day.endsAt) == (
        copy.schedule.startsAt - 3600,
        copy.schedule.startsAt,
        copy.schedule.endsAt,
    )
    assert source.name == "Show" and source.ticketTypes[0].id == "ga"  # the source is untouched


def test_list_filter_and_sort():
    a = make_event(_id="a", name="Spring Jam", createdAt=1, published=True)
    b = make_event(_id="b", name="Winter Fest", createdAt=2, cancel=True)
    b.schedule.startsAt, b.schedule.endsAt = T - 10 * DAY, T - 9 * DAY
    events = [a, b]

    def names(query: dict[str, Any]) -> list[str]:
        found = [e for e in events if event_rules.listed(e, query, T)]
        return [e.name for e in event_rules.sort_events(found, query)]

    assert names({}) == ["Winter Fest", "Spring Jam"]
    assert names({"orderBy": 1}) == ["Spring Jam", "Winter Fest"]
    assert names({"name": "jam"}) == ["Spring Jam"]
    assert names({"artistIds": ["a2"]}) == ["Winter Fest", "Spring Jam"]
    assert names({"artistIds": ["zz"]}) == []
    assert names({"startDate": T}) == ["Spring Jam"]
    assert names({"endDate": T}) == ["Winter Fest"]
    assert names({"startDate": T - 11 * DAY, "endDate": T - 8 * DAY}) == ["Winter Fest"]
    assert names({"name": "jam", "published": False}) == []  # AND
    assert names({"name": "fest", "published": True, "any": True}) == ["Spring Jam"]  # OR, cancelled dropped
    assert names({"name": "fest", "any": True, "cancel": True}) == ["Winter Fest"]
    assert names({"sortBy": "schedule.startsAt", "orderBy": 1}) == ["Winter Fest", "Spring Jam"]


def _shards(event: Event) -> list[Any]:
    return initial_shards(event)


def test_a_hold_takes_units_once_and_releases_them_to_the_same_shards():
    event = make_event()
    shards = _shards(event)
    hold = TicketHold(_id="h", name="Band", ticketTypeId="ga", qty=3)
    planned = event_rules.plan_hold(event, hold, shards, "t1")
    assert planned is not None
    event, touched = planned
    assert touched
    left = remaining(shards)
    assert (left[ticket_type_key("ga")], left[tier_key("t1")]) == (7, 1)
    assert event.holds[0].ticketType == "GA"
    assert sum(sum(p.values()) for p in event.holds[0].allocation.values()) == 6  # 3 type + 3 tier units
    assert event_rules.plan_hold(event, hold, shards, "t1") is None  # a retry changes nothing
    released = hold.model_copy(update={"totalReleased": 2})
    planned = event_rules.plan_hold(event, released, shards, "t2")
    assert planned is not None
    event, _ = planned
    left = remaining(shards)
    assert (left[ticket_type_key("ga")], left[tier_key("t1")], left[tier_key("t2")]) == (9, 3, 6)
    planned = event_rules.plan_hold(event, hold.model_copy(update={"totalReleased": 3}), shards, "t1")
    assert planned is not None
    assert remaining(shards)[ticket_type_key("ga")] == 10
    assert planned[0].holds[0].allocation == {}


def test_a_hold_beyond_the_stock_is_sold_out_and_an_unknown_type_is_invalid():
    event = make_event()
    with pytest.raises(DomainError) as raised:
        event_rules.plan_hold(event, TicketHold(ticketTypeId="ga", qty=11), _shards(event), None)
    assert raised.value.code == "SOLD_OUT"
    with pytest.raises(DomainError) as raised:
        event_rules.plan_hold(event, TicketHold(ticketTypeId="nope", qty=1), _shards(event), None)
    assert raised.value.fields == ["params.ticketTypeId"]


def test_split_allocation():
    back, kept = event_rules.split_allocation({0: {"t:a": 2}, 1: {"t:a": 3, "r:x": 1}}, {"t:a": 4})
    assert back == {0: {"t:a": 2}, 1: {"t:a": 2}}
    assert kept == {1: {"t:a": 1, "r:x": 1}}
