"""When tickets go out (SPEC R-QR-3, R-QR-4, R-QR-6): pure rules over an order and its event.

The promoter chooses `event.sendQRCode`; the first performance's first day anchors the time:
`Upon order` -> now, `Two weeks before show` -> startsAt - 14 days, `Day of Show` (and any
other value) -> doorsAt - 8 hours. Each event day more than 8 hours away also gets a day-of
reminder at that day - 8 hours. Cloud Tasks refuses a schedule time more than 30 days ahead
(SECURITY 10): a farther task is enqueued at the cap and re-enqueues itself when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.domain.models import Event, Order

HOUR = 3600
DAY = 24 * HOUR
TWO_WEEKS = 14 * DAY
DAY_OF_LEAD = 8 * HOUR
# Cloud Tasks' limit is 30 days; an hour less leaves room for clock skew between us and Google.
MAX_TASK_DELAY = 30 * DAY - HOUR
# A task that arrives this early is run now rather than re-enqueued (queues deliver a bit early).
EARLY_TOLERANCE = 60

QrTiming = Literal["Upon order", "Two weeks before show", "Day of Show"]
TaskType = Literal["SendOrderQrCodeEmail", "TicketOnDayofEvent"]
SEND_TICKETS: TaskType = "SendOrderQrCodeEmail"
DAY_OF: TaskType = "TicketOnDayofEvent"

_TIMINGS: dict[str, QrTiming] = {
    "upon order": "Upon order",  # also the legacy spelling "Upon Order"
    "two weeks before show": "Two weeks before show",
    "day of show": "Day of Show",
}


def qr_timing(value: str) -> QrTiming:
    """The canonical timing; unknown values behave like `Day of Show` (R-QR-3)."""
    return _TIMINGS.get((value or "").strip().lower(), "Day of Show")


def first_day(event: Event) -> tuple[int, int]:
    """(doorsAt, startsAt) of the first performance's first day, else the event's start."""
    for performance in event.performances:
        if performance.schedule:
            day = performance.schedule[0]
            starts = day.startsAt or event.schedule.startsAt
            return (day.doorsAt or starts, starts)
    return (event.schedule.startsAt, event.schedule.startsAt)


def delivery_time(event: Event, now: int) -> int:
    timing = qr_timing(event.sendQRCode)
    if timing == "Upon order":
        return now
    doors, starts = first_day(event)
    if timing == "Two weeks before show":
        return starts - TWO_WEEKS
    return doors - DAY_OF_LEAD


def event_days(order: Order, event: Event) -> list[int]:
    """The distinct days the order's live tickets are valid for (`dayIds`), or the event start."""
    days = {int(d) for t in order.tickets if t.state == "Active" for d in t.dayIds if d.strip().isdigit()}
    if days:
        return sorted(days)
    return [event.schedule.startsAt or first_day(event)[1]]


def event_ends_at(event: Event) -> int:
    """The latest moment any day of the event ends (start when no end is known)."""
    candidates = [event.schedule.endsAt, event.schedule.startsAt]
    for performance in event.performances:
        for day in performance.schedule:
            candidates += [day.endsAt, day.startsAt]
    return max(candidates)


@dataclass(frozen=True)
class ScheduledDelivery:
    task_type: TaskType
    execute_at: int
    day: int | None = None  # the event day a day-of reminder is for


@dataclass(frozen=True)
class DeliveryPlan:
    send_receipt_now: bool
    deliveries: tuple[ScheduledDelivery, ...]


def wants_delivery(order: Order) -> bool:
    """R-QR-4: someone to deliver to (a buyer account or a guest e-mail), and not a hidden order
    — except a season's child orders (R-T3-2): they are the season holder's tickets to each
    event, delivered like an event order of that event (their parent sends the receipt)."""
    return bool(order.userId or order.email) and (not order.hidden or bool(order.parentSeasonOrderId))


def day_of_reminders(order: Order, event: Event, after: int) -> tuple[ScheduledDelivery, ...]:
    """A reminder at day - 8 h for each event day more than 8 hours after `after` (when the
    tickets were sent). With `Day of Show` the ticket e-mail itself is the first day's day-of
    message, so that day gets no second one."""
    skip_first = qr_timing(event.sendQRCode) == "Day of Show"
    first_start = first_day(event)[1]
    return tuple(
        ScheduledDelivery(DAY_OF, day - DAY_OF_LEAD, day)
        for day in event_days(order, event)
        if day - DAY_OF_LEAD > after and not (skip_first and day <= first_start)
    )


def plan_order_delivery(order: Order, event: Event, now: int) -> DeliveryPlan:
    """R-QR-4: what to do when the order is created."""
    if not wants_delivery(order):
        return DeliveryPlan(False, ())
    at = delivery_time(event, now)
    if qr_timing(event.sendQRCode) != "Upon order" and at > now:
        # A season child's receipt is its parent's `seasonReceipt`: one, not one per event.
        return DeliveryPlan(not order.parentSeasonOrderId, (ScheduledDelivery(SEND_TICKETS, at),))
    return DeliveryPlan(False, (ScheduledDelivery(SEND_TICKETS, now), *day_of_reminders(order, event, now)))


def cloud_task_time(execute_at: int, now: int) -> int:
    """When to schedule the Cloud Task for work due at `execute_at`: at most 30 days ahead."""
    return min(max(execute_at, now), now + MAX_TASK_DELAY)


def is_due(execute_at: int, now: int) -> bool:
    return execute_at <= now + EARLY_TOLERANCE
