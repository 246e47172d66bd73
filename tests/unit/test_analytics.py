"""Order analytics (SPEC 5.17 R-AN-1..7): range, interval, calendar buckets, refund handling,
RSVP values, segments, totals, Sold Out; and the service's permission and query rules with an
in-memory repository."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.domain import analytics as an
from shared.domain.models import CREATED_SHARDS, Event, Order, Role, User
from shared.domain.permissions import Principal
from shared.errors import DomainError, ErrorCode
from shared.services.analytics import AnalyticsService

HOUR, DAY, WEEK = 3600, 86_400, 604_800


def ts(*parts: int) -> int:
    """Unix seconds of a UTC wall-clock time given as (year, month, day[, hour, minute, second])."""
    return int(datetime(*parts, tzinfo=UTC).timestamp())  # type: ignore[arg-type,misc]


T0 = ts(2025, 3, 10, 10, 30)  # a Monday, 10:30 UTC
NOW = ts(2025, 6, 1, 12)


def ticket(name: str = "GA", price: int = 2500, **fields: Any) -> dict[str, Any]:
    return {"name": name, "ticketTypeId": "tt", "ticketTierId": "tier", "price": price,
            "origionalPrice": price, **fields}  # fmt: skip


def upgrade(name: str = "Parking", price: int = 500, **fields: Any) -> dict[str, Any]:
    return {"name": name, "upgradeId": "up", "price": price, **fields}


def order(created_at: int, tickets: list[dict[str, Any]] | None = None, **fields: Any) -> Order:
    data: dict[str, Any] = {
        "orgId": "org", "eventName": "Show", "eventId": "ev", "createdAt": created_at, "createdBy": "u",
        "tickets": [ticket()] if tickets is None else tickets, **fields,
    }  # fmt: skip
    return Order.model_validate(data)


def refund(at: int | None) -> dict[str, Any]:
    return {"refunded": True, "refundedAt": at, "refundedBy": "admin", "refundedAmount": 2500}


def build(types: list[str], orders: list[Order], **kwargs: Any) -> list[dict[str, Any]]:
    options: dict[str, Any] = {"cutoff": None, "per_item_segments": False, "start_date": None,
                               "end_date": None, "interval": None, "now": NOW}  # fmt: skip
    options.update(kwargs)
    return an.build(types, orders, **options)


def ys(result: dict[str, Any]) -> list[float]:
    return [c["y"] for c in result["coordinates"]]


def segment(result: dict[str, Any], label: str) -> dict[str, Any]:
    return next(s for s in result["segments"] if s["label"] == label)


# --- interval (R-AN-4) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (0, "Hour"),
        (60 * HOUR, "Hour"),
        (60 * HOUR + 1, "Day"),
        (60 * DAY, "Day"),
        (60 * DAY + 1, "Week"),
        (60 * WEEK, "Week"),
        (60 * WEEK + 1, "Month"),
        (60 * 30 * DAY, "Month"),
        (60 * 30 * DAY + 1, "Year"),
    ],
)
def test_the_interval_is_the_finest_with_at_most_60_buckets(duration: int, expected: str) -> None:
    assert an.auto_interval(duration) == expected


def test_interval_options_are_the_auto_one_and_the_next_larger_and_year_alone() -> None:
    assert an.choose_interval(None, 10 * HOUR) == ("Hour", ["Hour", "Day"])
    assert an.choose_interval(None, 3 * DAY) == ("Day", ["Day", "Week"])
    assert an.choose_interval(None, 61 * 30 * DAY) == ("Year", ["Year"])


def test_a_requested_interval_is_used_only_when_it_is_an_option() -> None:
    assert an.choose_interval("Day", 10 * HOUR)[0] == "Day"
    assert an.choose_interval("Week", 10 * HOUR)[0] == "Hour"
    assert an.choose_interval("Hour", 61 * 30 * DAY)[0] == "Year"
    assert an.choose_interval("nonsense", 3 * DAY)[0] == "Day"


# --- calendar buckets (R-AN-5) ---------------------------------------------------------------


def test_unit_starts_are_utc_calendar_starts_and_weeks_start_on_monday() -> None:
    wednesday = ts(2025, 3, 12, 17, 45, 12)
    assert an.unit_start(wednesday, "Hour") == ts(2025, 3, 12, 17)
    assert an.unit_start(wednesday, "Day") == ts(2025, 3, 12)
    assert an.unit_start(wednesday, "Week") == ts(2025, 3, 10)  # the Monday before
    assert an.unit_start(ts(2025, 3, 16, 23, 59, 59), "Week") == ts(2025, 3, 10)  # Sunday night
    assert an.unit_start(ts(2025, 3, 17), "Week") == ts(2025, 3, 17)  # Monday midnight itself
    assert an.unit_start(wednesday, "Month") == ts(2025, 3, 1)
    assert an.unit_start(wednesday, "Year") == ts(2025, 1, 1)


def test_bucket_count_is_ceil_of_duration_over_length_plus_one() -> None:
    buckets = an.make_buckets(T0, T0 + 90 * 60)  # 10:30 .. 12:00, 1.5 h
    assert buckets.interval == "Hour"
    assert buckets.starts == [ts(2025, 3, 10, 10), ts(2025, 3, 10, 11), ts(2025, 3, 10, 12)]
    day_buckets = an.make_buckets(T0, T0 + 10 * DAY)
    assert day_buckets.interval == "Day"
    assert len(day_buckets.starts) == 11
    assert day_buckets.starts[0] == ts(2025, 3, 10)
    assert all(b - a == DAY for a, b in zip(day_buckets.starts, day_buckets.starts[1:], strict=False))


def test_month_buckets_are_consecutive_calendar_months_never_repeated_or_skipped() -> None:
    # Literal 30-day steps from Jan 31 would land in March and skip February.
    buckets = an.make_buckets(ts(2025, 1, 31), ts(2025, 8, 30), requested="Month")
    assert buckets.interval == "Month"
    assert buckets.starts[:4] == [ts(2025, 1, 1), ts(2025, 2, 1), ts(2025, 3, 1), ts(2025, 4, 1)]
    assert len(set(buckets.starts)) == len(buckets.starts)
    assert buckets.ends[-1] > ts(2025, 8, 30)
    assert buckets.ends[:-1] == buckets.starts[1:]


def test_year_buckets_do_not_repeat_a_leap_year() -> None:
    # 2020-01-01 + 365 days is still in 2020: a literal reading would name 2020 twice.
    buckets = an.make_buckets(ts(2020, 1, 1), ts(2025, 6, 1))
    assert buckets.interval == "Year"
    assert buckets.starts == [ts(y, 1, 1) for y in range(2020, 2027)]


def test_an_order_belongs_to_the_bucket_with_x_le_created_lt_x_plus_length() -> None:
    start = ts(2025, 3, 10)
    orders = [order(start), order(start + DAY - 1), order(start + DAY), order(start - 1)]
    (result,) = build(["Total Orders"], orders, start_date=start, end_date=start + 3 * DAY)
    assert result["interval"] == "Day"
    assert [c["x"] for c in result["coordinates"]] == [start + k * DAY for k in range(4)]
    assert ys(result) == [2, 1, 0, 0]  # the order one second before the range is in no bucket


# --- range (R-AN-3) --------------------------------------------------------------------------


def test_range_defaults_to_the_oldest_and_newest_order_else_today() -> None:
    assert an.time_range(None, None, [T0 + 50, T0, T0 + 7], NOW) == (T0, T0 + 50)
    assert an.time_range(None, None, [], NOW) == (ts(2025, 6, 1), ts(2025, 6, 1, 23, 59, 59))
    assert an.time_range(T0, T0 + 5, [T0 + 99], NOW) == (T0, T0 + 5)


def test_a_zero_length_range_runs_to_the_end_of_today() -> None:
    assert an.time_range(None, None, [T0], NOW) == (T0, ts(2025, 6, 1, 23, 59, 59))


def test_a_start_date_after_every_order_never_gives_a_backwards_range() -> None:
    assert an.time_range(T0 + DAY, None, [T0], NOW) == (T0 + DAY, ts(2025, 6, 1, 23, 59, 59))
    later = ts(2025, 7, 1)
    assert an.time_range(later, None, [T0], NOW) == (later, later)


# --- refunds (R-AN-2) ------------------------------------------------------------------------

START = ts(2025, 3, 20, 20)  # the event starts


def _refund_mix() -> list[Order]:
    # Distinct prices tell which ticket was kept, not just how many.
    return [
        order(T0, [ticket("GA", 1000, refund=refund(START - HOUR), state="Canceled"),
                   ticket("GA", 2000, refund=refund(START + HOUR), state="Canceled"),
                   ticket("GA", 4000)]),
    ]  # fmt: skip


def test_event_queries_drop_refunds_before_the_start_and_keep_later_ones() -> None:
    sold, sales = build(["Tickets Sold", "Ticket Sales"], _refund_mix(), cutoff=START, per_item_segments=True)
    assert sold["totalValue"] == 2
    assert sales["totalValue"] == 2000 + 4000


def test_other_queries_drop_every_refunded_item() -> None:
    sold, sales = build(["Tickets Sold", "Ticket Sales"], _refund_mix(), cutoff=None)
    assert sold["totalValue"] == 1
    assert sales["totalValue"] == 4000


def test_a_refund_without_a_time_counts_as_before_the_start() -> None:
    orders = [order(T0, [ticket(refund=refund(None), state="Canceled"), ticket()])]
    assert build(["Tickets Sold"], orders, cutoff=START)[0]["totalValue"] == 1


def test_orders_whose_processing_fee_was_refunded_before_the_start_are_dropped() -> None:
    early = order(T0, [ticket(price=1000, refund=refund(START - 60), state="Canceled")], state="Refunded",
                  processingFee={"refund": refund(START - 60)})  # fmt: skip
    late = order(T0 + 60, [ticket(refund=refund(START + 60), state="Canceled")], state="Refunded",
                 processingFee={"refund": refund(START + 60)})  # fmt: skip
    event_query = build(["Total Orders", "Total Sales"], [early, late], cutoff=START)
    assert [r["totalValue"] for r in event_query] == [1, 2500]  # the late one (2500), not the early
    other_query = build(["Total Orders"], [early, late], cutoff=None)
    assert other_query[0]["totalValue"] == 0


def test_cancelled_items_and_orders_outside_the_counted_states_are_not_sales() -> None:
    orders = [
        order(T0, [ticket(state="Canceled"), ticket()]),  # cancelled without a refund
        order(T0, state="Canceled"),
        order(T0, state="Partial Refund"),
        order(T0, state="Refunded", tickets=[ticket(refund=refund(T0), state="Canceled")]),
    ]
    sold, orders_count = build(["Tickets Sold", "Total Orders"], orders)
    assert sold["totalValue"] == 2
    assert orders_count["totalValue"] == 2  # an order with nothing left counts as no order


# --- sales, RSVP, comps ----------------------------------------------------------------------


def test_sales_are_ticket_plus_upgrade_prices_in_cents_and_rsvp_uses_ticket_values() -> None:
    orders = [
        order(T0, [ticket(price=4500), ticket(price=4000)], upgrades=[upgrade(price=700)]),
        order(T0, [ticket(price=0, values="1500"), ticket(price=0, values="not a number")], type="RSVP"),
    ]
    total, tickets, upgrades = build(["Total Sales", "Ticket Sales", "Upgrades Sales"], orders)
    assert total["totalValue"] == 4500 + 4000 + 700 + 1500
    assert tickets["totalValue"] == 4500 + 4000 + 1500
    assert upgrades["totalValue"] == 700
    assert total["type"] == "Currency" and total["label"] == "Total Sales"


def test_a_paid_order_ignores_the_nominal_value() -> None:
    orders = [order(T0, [ticket(price=3000, values="9999")])]
    assert build(["Ticket Sales"], orders)[0]["totalValue"] == 3000


def test_comps_count_only_complimentary_orders() -> None:
    orders = [
        order(T0, [ticket(), ticket()], upgrades=[upgrade()], type="Complimentary"),
        order(T0, [ticket()], upgrades=[upgrade(), upgrade()]),
    ]
    ticket_comps, upgrade_comps, upgrades_sold = build(
        ["Ticket Comps", "Upgrade Comps", "Upgrades Sold"], orders
    )
    assert (ticket_comps["totalValue"], upgrade_comps["totalValue"], upgrades_sold["totalValue"]) == (2, 1, 3)


# --- Overview, segments, totals (R-AN-6/7) ---------------------------------------------------


def test_overview_is_labelled_total_sales_with_tickets_and_orders_segments_always() -> None:
    orders = [order(T0, [ticket(price=1000), ticket(price=1000)]), order(T0 + HOUR, [ticket(price=500)])]
    (overview,) = build(["Overview"], orders, start_date=T0, end_date=T0 + 2 * HOUR)
    assert (overview["label"], overview["type"]) == ("Total Sales", "Currency")
    assert ys(overview) == [2000, 500, 0]
    assert [s["label"] for s in overview["segments"]] == ["Tickets Sold", "Orders"]
    assert ys(segment(overview, "Tickets Sold")) == [2, 1, 0]
    assert ys(segment(overview, "Orders")) == [1, 1, 0]
    assert segment(overview, "Orders")["type"] == "Quantity"


def test_event_queries_have_one_segment_per_item_name_and_others_none() -> None:
    orders = [order(T0, [ticket("VIP", price=9000), ticket("GA", price=2500), ticket("GA", price=2500)])]
    (by_event,) = build(["Ticket Sales"], orders, cutoff=START, per_item_segments=True)
    assert [(s["label"], s["totalValue"], s["type"]) for s in by_event["segments"]] == [
        ("GA", 5000, "Currency"),
        ("VIP", 9000, "Currency"),
    ]
    (org_wide,) = build(["Ticket Sales"], orders)
    assert org_wide["segments"] == []


def test_total_value_is_the_sum_of_y() -> None:
    orders = [order(T0 + k * DAY, [ticket(price=100 * (k + 1))]) for k in range(5)]
    for result in build(["Total Sales", "Tickets Sold", "Total Orders"], orders):
        assert result["totalValue"] == sum(ys(result))
    assert build(["Total Sales"], orders)[0]["totalValue"] == 100 + 200 + 300 + 400 + 500


def test_promotions_count_orders_with_a_code_per_code() -> None:
    codes = ["EARLY", "EARLY", "VIP", ""]
    orders = [order(T0, promotionCode=code) for code in codes]
    (promotions,) = build(["Promotions"], orders, cutoff=START, per_item_segments=True)
    assert promotions["totalValue"] == 3
    assert [(s["label"], s["totalValue"]) for s in promotions["segments"]] == [("EARLY", 2), ("VIP", 1)]


def test_scans_are_counted_per_bucket_not_as_a_running_total() -> None:
    scanned = {"scanned": True, "scannedAt": START, "scannedBy": "s", "startsAt": START}
    orders = [
        order(T0, [ticket(scan=[scanned, scanned]), ticket(scan=[{"startsAt": START}])]),
        order(T0 + DAY, [ticket(scan=[scanned])], upgrades=[upgrade(scan=scanned), upgrade()]),
    ]
    tickets, upgrades = build(
        ["Tickets Scanned", "Upgrades Scanned"], orders, start_date=T0, end_date=T0 + 2 * DAY, interval="Day"
    )
    assert ys(tickets) == [2, 1, 0]
    assert ys(upgrades) == [0, 1, 0]


def test_types_not_implemented_answer_a_single_zero_coordinate() -> None:
    for kind in sorted(an.NOT_IMPLEMENTED):
        (result,) = build([kind], [order(T0)])
        assert result["label"] == kind
        assert result["coordinates"] == [{"x": 0, "y": 0}]
        assert result["segments"] == [] and result["totalValue"] == 0


# --- Event Analytics and User Analytics ------------------------------------------------------


def _event(capacities: list[int], starts_at: int = START) -> Event:
    tier = {"name": "T", "price": 1000, "totalQty": 1, "remainingQty": 1}
    types = [
        {"name": f"Type {i}", "totalQty": q, "remainingQty": q, "tiers": [tier]}
        for i, q in enumerate(capacities)
    ]
    return Event.model_validate({"orgId": "org", "createdAt": T0, "ticketTypes": types,
                                 "schedule": {"startsAt": starts_at}})  # fmt: skip


def test_sold_out_is_the_cumulative_percent_of_ticket_capacity() -> None:
    event = _event([6, 4])
    orders = [
        order(T0, [ticket(), ticket()], promotionCode="X"),
        order(T0 + 2 * DAY, [ticket(), ticket(), ticket()]),
    ]
    (result,) = build(["Event Analytics"], orders, cutoff=START, per_item_segments=True, event=event,
                      start_date=T0, end_date=T0 + 3 * DAY)  # fmt: skip
    assert (result["label"], result["type"]) == ("Event Analytics", "Quantity")
    assert ys(result) == [1, 0, 0, 0]  # orders with a promotion code
    sold_out = segment(result, "Sold Out")
    assert sold_out["type"] == "Percent"
    assert ys(sold_out) == [20, 20, 50, 50]
    assert sold_out["totalValue"] == 50  # the percent sold by the end, not a sum of percents
    assert segment(result, "Total Sales")["totalValue"] == 5 * 2500


def test_sold_out_is_zero_without_capacity_and_rounds_to_two_places() -> None:
    (no_capacity,) = build(["Event Analytics"], [order(T0)], event=_event([0]), cutoff=START)
    assert segment(no_capacity, "Sold Out")["totalValue"] == 0
    (thirds,) = build(["Event Analytics"], [order(T0)], event=_event([3]), cutoff=START)
    assert segment(thirds, "Sold Out")["totalValue"] == 33.33


def test_user_analytics_segments() -> None:
    payment = {"paymentMethodType": "Card Entry", "amount": 3000, "transferAmount": 2600}
    orders = [
        order(T0, [ticket(), ticket()], eventId="a", payments=[payment], promotionCode="P"),
        order(T0 + DAY, [ticket()], eventId="a", payments=[payment]),
        order(T0 + DAY, [ticket()], eventId="b", payments=[payment]),
    ]
    (result,) = build(["User Analytics"], orders, start_date=T0, end_date=T0 + DAY, interval="Day")
    assert [s["label"] for s in result["segments"]] == [
        "EventAttendedCount",
        "TicketsPurchasedCount",
        "LifeTimeValue",
    ]
    assert result["totalValue"] == 1
    assert ys(segment(result, "EventAttendedCount")) == [1, 1]  # "a" first bought in bucket 0, "b" in 1
    assert segment(result, "EventAttendedCount")["totalValue"] == 2
    assert segment(result, "TicketsPurchasedCount")["totalValue"] == 4
    assert segment(result, "LifeTimeValue")["totalValue"] == 3 * 2600
    assert segment(result, "LifeTimeValue")["type"] == "Currency"


def test_results_follow_the_requested_types_and_share_the_interval() -> None:
    results = build(
        ["Tickets Sold", "Overview", "Online Sessions"],
        [order(T0)],
        start_date=T0,
        end_date=T0 + 10 * HOUR,
        interval="Day",
    )
    assert [r["label"] for r in results] == ["Tickets Sold", "Total Sales", "Online Sessions"]
    assert {r["interval"] for r in results} == {"Day"}
    assert results[0]["intervalOptions"] == ["Hour", "Day"]


# --- the service: permissions, org scope, query shape ----------------------------------------


class FakeRepo:
    """A repository over a list that applies the Firestore filters the service sends."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.queries: list[tuple[Any, ...]] = []

    def get(self, item_id: str) -> Any:
        return next((i for i in self.items if i.id == item_id), None)

    def find(self, *where: Any, order_by: Any = None, limit: Any = None) -> list[Any]:
        self.queries.append(where)

        def keep(item: Any) -> bool:
            for name, op, value in where:
                actual = getattr(item, name)
                ok = {
                    "==": lambda a, v: a == v,
                    "in": lambda a, v: a in v,
                    "array_contains": lambda a, v: v in a,
                    ">=": lambda a, v: a >= v,
                    "<=": lambda a, v: a <= v,
                }[op](actual, value)
                if not ok:
                    return False
            return True

        return [i for i in self.items if keep(i)]


class FakeCatalog:
    def __init__(self, events: list[Event], orders: list[Order]) -> None:
        self.events = FakeRepo(events)
        self.orders = FakeRepo(orders)


def principal(role: str | None, org: str = "org", context: str = "org") -> Principal:
    user = User(createdAt=T0, orgContextId=context)
    roles = [Role(orgId=org, userId=user.id, userEmail="s@example.com", role=role, createdAt=T0,  # type: ignore[arg-type]
                  createdBy="x", acceptedAt=T0)] if role else []  # fmt: skip
    return Principal(user=user, token="t", claims={}, roles_loader=lambda _: roles)


def service(events: list[Event], orders: list[Order]) -> tuple[AnalyticsService, FakeCatalog]:
    catalog = FakeCatalog(events, orders)
    return AnalyticsService(catalog, clock=lambda: NOW), catalog  # type: ignore[arg-type]


def _org_event(event_id: str, org: str = "org") -> Event:
    return Event.model_validate({"_id": event_id, "orgId": org, "createdAt": T0,
                                 "schedule": {"startsAt": START}})  # fmt: skip


def test_order_analytics_needs_admin_of_the_context_org() -> None:
    svc, _ = service([], [order(T0)])
    for role in (None, "SCANNER", "BOX_OFFICE"):
        with pytest.raises(DomainError) as error:
            svc.order_analytics(principal(role), {"types": ["Overview"]})
        assert error.value.code in (ErrorCode.FORBIDDEN, ErrorCode.UNAUTHENTICATED)
    with pytest.raises(DomainError) as anonymous:
        svc.order_analytics(None, {})
    assert anonymous.value.code == ErrorCode.UNAUTHENTICATED
    assert svc.order_analytics(principal("ADMIN"), {"types": ["Overview"]})[0]["totalValue"] == 2500


def test_admin_of_another_org_sees_none_of_this_orgs_orders() -> None:
    svc, _ = service([], [order(T0), order(T0, orgId="other", tickets=[ticket(price=9)])])
    (mine,) = svc.order_analytics(principal("ADMIN"), {"types": ["Total Sales"]})
    assert mine["totalValue"] == 2500
    (theirs,) = svc.order_analytics(
        principal("ADMIN", org="other", context="other"), {"types": ["Total Sales"]}
    )
    assert theirs["totalValue"] == 9


def test_an_event_of_another_org_is_not_found() -> None:
    svc, _ = service([_org_event("foreign", org="other")], [])
    with pytest.raises(DomainError) as error:
        svc.order_analytics(principal("ADMIN"), {"eventId": "foreign"})
    assert error.value.code == ErrorCode.NOT_FOUND


def test_event_query_pushes_org_and_event_and_uses_the_event_start_for_refunds() -> None:
    late = order(T0, [ticket(refund=refund(START + 1), state="Canceled"), ticket()], state="Partial Refund")
    other_event = order(T0, eventId="elsewhere")
    svc, catalog = service([_org_event("ev")], [late, other_event])
    (sold,) = svc.order_analytics(principal("ADMIN"), {"eventId": "ev", "types": ["Tickets Sold"]})
    assert sold["totalValue"] == 2  # the late refund still counts for the event
    assert [s["label"] for s in sold["segments"]] == ["GA"]
    assert catalog.orders.queries[-1][:2] == (("orgId", "==", "org"), ("eventId", "in", ["ev"]))
    (org_wide,) = svc.order_analytics(principal("ADMIN"), {"types": ["Tickets Sold"]})
    assert org_wide["totalValue"] == 2  # the refunded ticket is gone; the other event's one counts


def test_the_created_at_window_applies_only_when_both_dates_are_given() -> None:
    svc, catalog = service([], [order(T0), order(T0 + 10 * DAY)])
    svc.order_analytics(principal("ADMIN"), {"startDate": T0, "endDate": T0 + DAY})
    assert ("createdAt", ">=", T0) in catalog.orders.queries[-1]
    (only_start,) = svc.order_analytics(principal("ADMIN"), {"startDate": T0 + DAY})
    assert not any(w[0] == "createdAt" for w in catalog.orders.queries[-1])
    assert only_start["totalValue"] == 2500  # the older order is loaded but before the first bucket


def test_venue_and_artist_filters_push_one_and_check_the_other_in_memory() -> None:
    both = order(T0, venueIds=["v"], artistIds=["a"])
    venue_only = order(T0, venueIds=["v"], artistIds=["z"])
    svc, catalog = service([], [both, venue_only])
    (result,) = svc.order_analytics(
        principal("ADMIN"), {"venueId": "v", "artistId": "a", "types": ["Total Orders"]}
    )
    assert result["totalValue"] == 1
    array_filters = [w for w in catalog.orders.queries[-1] if w[1] == "array_contains"]
    assert array_filters == [("venueIds", "array_contains", "v")]


def test_bad_types_and_reversed_dates_are_invalid_input() -> None:
    svc, _ = service([], [])
    with pytest.raises(DomainError) as unknown:
        svc.order_analytics(principal("ADMIN"), {"types": ["Revenue per Llama"]})
    assert (unknown.value.code, unknown.value.fields) == (ErrorCode.INVALID_INPUT, ["query.types"])
    with pytest.raises(DomainError) as reversed_dates:
        svc.order_analytics(principal("ADMIN"), {"startDate": T0, "endDate": T0 - 1})
    assert reversed_dates.value.fields == ["query.endDate"]


def test_no_types_means_overview() -> None:
    svc, _ = service([], [order(T0)])
    assert [r["label"] for r in svc.order_analytics(principal("ADMIN"), {"types": []})] == ["Total Sales"]


def test_event_analytics_only_for_scanner_and_up_of_the_events_org() -> None:
    mine, theirs = _org_event("ev"), _org_event("far", org="other")
    svc, _ = service([mine, theirs], [order(T0), order(T0, orgId="other", eventId="far")])
    found = svc.event_analytics(principal("SCANNER"), [mine, theirs])
    assert set(found) == {"ev"}
    assert found["ev"]["label"] == "Event Analytics"
    assert segment(found["ev"], "Total Sales")["totalValue"] == 2500
    assert svc.event_analytics(principal("USER"), [mine]) == {}
    assert svc.event_analytics(None, [mine]) == {}


def test_event_analytics_batches_thirty_events_per_query() -> None:
    events = [_org_event(f"e{i}") for i in range(31)]
    svc, catalog = service(events, [order(T0, eventId=f"e{i}") for i in range(31)])
    found = svc.event_analytics(principal("ADMIN"), events)
    # two batches of events (30 + 1), each read lane by lane (shared.domain.models.CREATED_SHARDS)
    assert len(found) == 31 and len(catalog.orders.queries) == 2 * CREATED_SHARDS
    assert all(segment(a, "Total Sales")["totalValue"] == 2500 for a in found.values())


def test_user_analytics_for_box_office_of_the_context_org_only() -> None:
    orders = [order(T0, userId="buyer"), order(T0, userId="buyer", orgId="other"), order(T0, userId="else")]
    svc, catalog = service([], orders)
    found = svc.user_analytics(principal("BOX_OFFICE"), ["buyer", "nobody"])
    assert (
        segment(found["buyer"], "TicketsPurchasedCount")["totalValue"] == 1
    )  # the other org's is not counted
    assert segment(found["nobody"], "TicketsPurchasedCount")["totalValue"] == 0
    assert catalog.orders.queries[-1][:2] == (("orgId", "==", "org"), ("userId", "in", ["buyer", "nobody"]))
    assert svc.user_analytics(principal("SCANNER"), ["buyer"]) == {}
    assert svc.user_analytics(principal("ADMIN", context=""), ["buyer"]) == {}
