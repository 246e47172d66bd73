"""Slot selection and the all-or-nothing scan plan (SPEC R-SCAN-2..4, D-3), in time zones."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from shared.domain import scan_rules
from shared.domain.models import Address, Event, Order, OrderTicket, OrderUpgrade, Refund, Scan, Venue
from shared.errors import DomainError

DENVER = ZoneInfo("America/Denver")
TOKYO = ZoneInfo("Asia/Tokyo")


def ts(text: str, tz: ZoneInfo) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=tz).timestamp())


def three_days(tz: ZoneInfo) -> list[Scan]:
    return [Scan(startsAt=ts(f"2030-06-0{d}T19:00", tz)) for d in (1, 2, 3)]


def test_a_single_slot_is_used_whatever_the_date():
    assert scan_rules.today_slot([Scan(startsAt=0)], ts("2030-06-02T10:00", DENVER), DENVER) == 0


def test_of_several_slots_todays_is_chosen_in_the_venue_zone():
    slots = three_days(DENVER)
    assert scan_rules.today_slot(slots, ts("2030-06-02T00:30", DENVER), DENVER) == 1
    assert scan_rules.today_slot(slots, ts("2030-06-03T23:59", DENVER), DENVER) == 2
    assert scan_rules.today_slot(slots, ts("2030-06-04T00:01", DENVER), DENVER) is None


def test_the_day_boundary_is_local_not_utc():
    slots = three_days(DENVER)
    # 2030-06-02 20:00 in Denver is already 06-03 in UTC: still the second day at the venue.
    late = ts("2030-06-02T20:00", DENVER)
    assert datetime.fromtimestamp(late, ZoneInfo("UTC")).day == 3
    assert scan_rules.today_slot(slots, late, DENVER) == 1
    # Slots at 19:00 Tokyo time, the same instant (06-03 11:00 in Tokyo): judged in Tokyo it is the
    # third day; judged in Denver (06-02 04:00 there for the second slot) it is the second.
    tokyo_slots = three_days(TOKYO)
    assert scan_rules.today_slot(tokyo_slots, late, TOKYO) == 2
    assert scan_rules.today_slot(tokyo_slots, late, DENVER) == 1


def test_zone_falls_back_to_denver():
    assert scan_rules.zone("") == DENVER
    assert scan_rules.zone("Not/AZone") == DENVER
    event = Event(orgId="o", createdAt=0)
    venue = Venue.model_validate(
        {"orgId": "o", "name": "v", "createdAt": 0, "createdBy": "x", "address": {"timezone": "Asia/Tokyo"}}
    )
    assert scan_rules.venue_zone(event, venue) == TOKYO
    event.location = Address(timezone="Europe/Paris")
    assert scan_rules.venue_zone(event, venue) == ZoneInfo("Europe/Paris")
    assert scan_rules.venue_zone(None, None) == DENVER


def _order(**fields: object) -> Order:
    ticket = OrderTicket(
        _id="t1",
        name="GA",
        ticketTypeId="tt",
        ticketTierId="tr",
        price=100,
        origionalPrice=100,
        scan=three_days(DENVER),
    )
    single = OrderTicket(
        _id="t2",
        name="GA",
        ticketTypeId="tt",
        ticketTierId="tr",
        price=100,
        origionalPrice=100,
        scan=[Scan(startsAt=0)],
    )
    upgrade = OrderUpgrade(_id="u1", name="Parking", upgradeId="up", price=500)
    base = {
        "orgId": "o",
        "eventName": "E",
        "createdAt": 0,
        "createdBy": "x",
        "tickets": [ticket, single],
        "upgrades": [upgrade],
    }
    return Order.model_validate({**base, **fields})


def plan(order: Order, tickets: list[str], upgrades: list[str], when: str) -> scan_rules.ScanPlan:
    return scan_rules.plan_scan(order, tickets, upgrades, now=ts(when, DENVER), tz=DENVER, caller_id="me")


def test_marks_todays_slot_only_and_refuses_it_twice():
    result = plan(_order(), ["t1"], ["u1"], "2030-06-02T18:00")
    assert result.admitted == ["t1", "u1"]
    ticket = result.order.tickets[0]
    assert [s.scanned for s in ticket.scan] == [False, True, False]
    assert ticket.scan[1].scannedBy == "me" and ticket.scan[1].scannedAt == ts("2030-06-02T18:00", DENVER)
    assert result.order.upgrades[0].scan.scanned
    with pytest.raises(DomainError, match="already scanned"):
        plan(result.order, ["t1"], [], "2030-06-02T21:00")
    again = plan(result.order, ["t1"], [], "2030-06-03T18:00")  # the next day is its own slot
    assert [s.scanned for s in again.order.tickets[0].scan] == [False, True, True]


def test_no_slot_today_is_refused_and_nothing_is_marked():
    order = _order()
    with pytest.raises(DomainError, match="not valid today"):
        plan(order, ["t2", "t1"], [], "2030-06-09T18:00")
    assert not any(s.scanned for t in order.tickets for s in t.scan)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"state": "Refunded"}, "order has been refunded"),
        ({"state": "Canceled"}, "order has been canceled"),
    ],
)
def test_refunded_or_canceled_orders_are_refused(change: dict[str, object], reason: str):
    with pytest.raises(DomainError, match=reason):
        plan(_order(**change), ["t2"], [], "2030-06-02T18:00")


def test_refunded_canceled_and_unknown_items_are_refused():
    order = _order()
    order.tickets[1].state = "Canceled"
    with pytest.raises(DomainError, match="canceled"):
        plan(order, ["t2"], [], "2030-06-02T18:00")
    order.tickets[1].refund = Refund(refunded=True)
    with pytest.raises(DomainError, match="refunded"):
        plan(order, ["t2"], [], "2030-06-02T18:00")
    with pytest.raises(DomainError, match="not part of this order"):
        plan(order, ["nope"], [], "2030-06-02T18:00")


def test_whole_order_admits_what_is_valid_today_and_then_refuses():
    order = _order()
    order.tickets[1].state = "Canceled"
    first = plan(order, [], [], "2030-06-01T18:00")
    assert first.admitted == ["t1", "u1"]
    with pytest.raises(DomainError, match="already scanned"):
        plan(first.order, [], [], "2030-06-01T19:00")
    with pytest.raises(DomainError, match="Nothing on this order"):
        plan(
            _order(upgrades=[]).model_copy(update={"tickets": order.tickets[:1]}), [], [], "2030-07-01T18:00"
        )


def test_scan_counts_only_active_items():
    order = plan(_order(), ["t1"], [], "2030-06-02T18:00").order
    order.upgrades[0].state = "Canceled"
    assert scan_rules.scan_counts(order.tickets, order.upgrades) == (2, 1)
