"""When tickets go out (SPEC R-QR-3/4/6, SECURITY 10): pure schedule rules."""

from __future__ import annotations

import pytest

from shared.domain.delivery_schedule import (
    DAY,
    HOUR,
    MAX_TASK_DELAY,
    ScheduledDelivery,
    cloud_task_time,
    delivery_time,
    is_due,
    plan_order_delivery,
    qr_timing,
)
from shared.domain.models import Event, EventSchedule, Order, OrderTicket, Performance, PerformanceSchedule
from shared.domain.ticket_email import format_date, format_time

NOW = 1_760_000_000


def event(
    send_qr: str = "Upon order", starts_in: int = 3 * DAY, days: int = 1, doors_before: int = HOUR
) -> Event:
    start = NOW + starts_in
    schedule = [
        PerformanceSchedule(
            doorsAt=start + i * DAY - doors_before,
            startsAt=start + i * DAY,
            endsAt=start + i * DAY + 3 * HOUR,
        )
        for i in range(days)
    ]
    return Event(
        _id="e1",
        orgId="o",
        createdAt=0,
        name="Show",
        sendQRCode=send_qr,
        schedule=EventSchedule(startsAt=start),
        performances=[Performance(name="p", schedule=schedule)],
    )


def order(day_ids: list[int] | None = None, **fields: object) -> Order:
    ticket = OrderTicket(
        name="GA",
        ticketTypeId="t",
        ticketTierId="x",
        price=100,
        origionalPrice=100,
        dayIds=[str(d) for d in day_ids or []],
    )
    values: dict[str, object] = {"userId": "u", **fields}
    return Order(
        _id="o1",
        orgId="o",
        eventName="Show",
        eventId="e1",
        createdAt=NOW,
        createdBy="u",
        tickets=[ticket],
        **values,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Upon order", "Upon order"),
        ("Upon Order", "Upon order"),
        ("two weeks before show", "Two weeks before show"),
        ("Day of Show", "Day of Show"),
        ("whenever", "Day of Show"),
        ("", "Day of Show"),
    ],
)
def test_timing_values_are_recognised_case_insensitively_with_day_of_show_as_default(
    value: str, expected: str
) -> None:
    assert qr_timing(value) == expected


def test_delivery_time_per_timing() -> None:
    show = event(starts_in=20 * DAY)
    start, doors = show.performances[0].schedule[0].startsAt, show.performances[0].schedule[0].doorsAt
    assert delivery_time(show.model_copy(update={"sendQRCode": "Upon order"}), NOW) == NOW
    assert (
        delivery_time(show.model_copy(update={"sendQRCode": "Two weeks before show"}), NOW)
        == start - 14 * DAY
    )
    assert delivery_time(show.model_copy(update={"sendQRCode": "Day of Show"}), NOW) == doors - 8 * HOUR


def test_delayed_delivery_sends_a_receipt_now_and_schedules_the_tickets() -> None:
    show = event("Two weeks before show", starts_in=20 * DAY)
    plan = plan_order_delivery(order(), show, NOW)
    assert plan.send_receipt_now is True
    assert plan.deliveries == (ScheduledDelivery("SendOrderQrCodeEmail", NOW + 6 * DAY),)


def test_a_passed_delivery_time_sends_now_with_a_reminder_per_day_more_than_8_hours_away() -> None:
    show = event("Two weeks before show", starts_in=2 * DAY, days=3)
    days = [p.startsAt for p in show.performances[0].schedule]
    plan = plan_order_delivery(order(days), show, NOW)
    assert plan.send_receipt_now is False
    assert plan.deliveries == (
        ScheduledDelivery("SendOrderQrCodeEmail", NOW),
        *(ScheduledDelivery("TicketOnDayofEvent", d - 8 * HOUR, d) for d in days),
    )


def test_the_8_hour_rule_is_strict() -> None:
    exactly_8h = plan_order_delivery(order(), event(starts_in=8 * HOUR), NOW)
    just_over = plan_order_delivery(order(), event(starts_in=8 * HOUR + 1), NOW)
    assert [d.task_type for d in exactly_8h.deliveries] == ["SendOrderQrCodeEmail"]
    assert [d.task_type for d in just_over.deliveries] == ["SendOrderQrCodeEmail", "TicketOnDayofEvent"]


def test_day_of_show_timing_gives_the_first_day_no_second_message() -> None:
    show = event("Day of Show", starts_in=6 * HOUR, days=2, doors_before=HOUR)  # tickets are due now
    days = [p.startsAt for p in show.performances[0].schedule]
    plan = plan_order_delivery(order(days), show, NOW)
    assert [(d.task_type, d.day) for d in plan.deliveries] == [
        ("SendOrderQrCodeEmail", None),
        ("TicketOnDayofEvent", days[1]),
    ]


def test_hidden_orders_and_orders_without_recipient_get_nothing() -> None:
    show = event()
    assert plan_order_delivery(order(hidden=True), show, NOW).deliveries == ()
    assert plan_order_delivery(order(userId=""), show, NOW).deliveries == ()
    assert plan_order_delivery(order(userId="", email="guest@example.com"), show, NOW).deliveries != ()


def test_cloud_tasks_are_never_scheduled_more_than_30_days_ahead() -> None:
    assert cloud_task_time(NOW + 90 * DAY, NOW) == NOW + MAX_TASK_DELAY
    assert MAX_TASK_DELAY <= 30 * DAY
    assert cloud_task_time(NOW + DAY, NOW) == NOW + DAY
    assert cloud_task_time(NOW - DAY, NOW) == NOW
    assert is_due(NOW + 30, NOW) and not is_due(NOW + 2 * HOUR, NOW)


def test_times_are_shown_on_the_venues_calendar() -> None:
    # 2026-01-01 03:00 UTC is still New Year's Eve in Denver.
    ts = 1_767_236_400
    assert format_date(ts, "America/Denver") == "Wed, Dec 31st"
    assert format_time(ts, "America/Denver") == "8:00 PM"
    assert format_date(ts, "UTC") == "Thu, Jan 1st"
