"""Order analytics for Backstage charts (SPEC 5.17 R-AN-1..7, `Analytics` in 4.5). Pure: the
service (shared.services.analytics) loads the orders and the event, this module does the maths.

Decisions the SPEC leaves open (each one a place a reader would otherwise have to guess):
- Buckets are calendar units in UTC. A week starts on Monday 00:00 UTC (ISO 8601 weeks).
- Month and year buckets are consecutive calendar months / years starting with the one that
  contains the range start, and an order belongs to the calendar unit it was created in. The
  literal "start of the unit containing start + k x 30 days" of R-AN-5 can name the same month
  twice (Jan 1 and Jan 31) or skip one (Jan 31 + 30 days is in March), which would double-count
  or lose orders. For hours, days and weeks both readings give the same buckets. The bucket count
  is R-AN-5's ceil(d / length) + 1, extended when calendar months are shorter than 30 days and
  the range end would otherwise fall after the last bucket.
- An item is counted unless it was refunded (R-AN-2) or cancelled without a refund (a cancelled
  ticket was not sold; R-CAN-1 leaves such items in an Active order). An order none of whose
  items is counted is not counted either (not as an order, nor in Promotions).
- Scanned counts are per bucket of the order's `createdAt`, like every other type (R-AN-5), not
  a running total (R-AN-7 note) and not by scan time.
- `Event Analytics` segment `Sold Out` is cumulative: at bucket k, the percent of the event's
  ticket capacity (sum of its ticket types' `totalQty`) sold by orders created before the end of
  that bucket. Its `totalValue` is the last value (the percent sold), not a sum: a sum of
  cumulative percents means nothing. Every other `totalValue` is the sum of y (R-AN-5).
- `User Analytics` segment `EventAttendedCount` counts, per bucket, the events the buyer bought
  for the first time in that bucket, so its `totalValue` is the number of distinct events.
- Sales of RSVP orders use the ticket's `values` (R-CH-2). Order upgrades carry no `values`, so
  an RSVP order's upgrades count at their price (which is 0).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from shared.domain.models import Event, Order, OrderTicket, OrderUpgrade, Refund

Interval = Literal["Hour", "Day", "Week", "Month", "Year"]
ValueType = Literal["Quantity", "Currency", "Percent"]

INTERVALS: tuple[Interval, ...] = ("Hour", "Day", "Week", "Month", "Year")
# R-AN-4 nominal lengths: they choose the interval and the bucket count.
LENGTH: dict[Interval, int] = {
    "Hour": 3600, "Day": 86_400, "Week": 604_800, "Month": 2_592_000, "Year": 31_536_000,
}  # fmt: skip
MAX_BUCKETS = 60
COUNTED_STATES = ("Active", "Partial Refund", "Refunded")  # R-AN-1

# R-AN-7: type -> (label, value type). `Overview` is labelled `Total Sales` (SPEC 7.24).
TYPES: dict[str, tuple[str, ValueType]] = {
    "Overview": ("Total Sales", "Currency"),
    "Total Sales": ("Total Sales", "Currency"),
    "Ticket Sales": ("Ticket Sales", "Currency"),
    "Tickets Sold": ("Tickets Sold", "Quantity"),
    "Ticket Comps": ("Ticket Comps", "Quantity"),
    "Tickets Scanned": ("Tickets Scanned", "Quantity"),
    "Upgrades Scanned": ("Upgrades Scanned", "Quantity"),
    "Upgrades Sales": ("Upgrades Sales", "Currency"),
    "Upgrades Sold": ("Upgrades Sold", "Quantity"),
    "Upgrade Comps": ("Upgrade Comps", "Quantity"),
    "Promotions": ("Promotions", "Quantity"),
    "Scanned Counts": ("Scanned Counts", "Quantity"),
    "Extra Fee Revenue": ("Extra Fee Revenue", "Quantity"),
    "Total Orders": ("Total Orders", "Quantity"),
    "Avg. Order Value": ("Avg. Order Value", "Quantity"),
    "Online Sessions": ("Online Sessions", "Quantity"),
    "Online Converstation Rate": ("Online Converstation Rate", "Quantity"),  # sic (SPEC 7.14)
    "Event Analytics": ("Event Analytics", "Quantity"),
    "User Analytics": ("User Analytics", "Quantity"),
}
NOT_IMPLEMENTED = frozenset(
    {
        "Scanned Counts",
        "Extra Fee Revenue",
        "Avg. Order Value",
        "Online Sessions",
        "Online Converstation Rate",
    }
)
DEFAULT_TYPES = ("Overview",)


# --- range, interval, buckets (R-AN-3..5) ----------------------------------------------------


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def unit_start(ts: int, interval: Interval) -> int:
    """Start (UTC) of the hour / day / ISO week (Monday) / month / year containing `ts`."""
    moment = _utc(ts)
    if interval == "Hour":
        start = moment.replace(minute=0, second=0, microsecond=0)
    elif interval == "Day":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    elif interval == "Week":
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        start = day - timedelta(days=day.weekday())  # weekday() is 0 on Monday
    elif interval == "Month":
        start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        start = moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return int(start.timestamp())


def next_unit(start: int, interval: Interval) -> int:
    """Start of the unit after the one starting at `start` (calendar months and years)."""
    if interval in ("Hour", "Day", "Week"):
        return start + LENGTH[interval]
    moment = _utc(start)
    if interval == "Month":
        year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
        return int(moment.replace(year=year, month=month).timestamp())
    return int(moment.replace(year=moment.year + 1).timestamp())


def day_bounds(now: int) -> tuple[int, int]:
    """Start and last second of the UTC day containing `now`."""
    start = unit_start(now, "Day")
    return start, start + LENGTH["Day"] - 1


def time_range(
    start_date: int | None, end_date: int | None, created: Sequence[int], now: int
) -> tuple[int, int]:
    """R-AN-3: the query dates, else the oldest / newest order, else today; a zero-length range
    runs to the end of today."""
    today_start, today_end = day_bounds(now)
    start = start_date if start_date is not None else (min(created) if created else today_start)
    end = end_date if end_date is not None else (max(created) if created else today_end)
    if end <= start:
        # R-AN-3 names start = end only; a start date after every order (end defaulted to the
        # newest order) gets the same treatment rather than a range that runs backwards.
        end = max(today_end, start)
    return start, end


def auto_interval(duration: int) -> Interval:
    """R-AN-4: the finest interval giving at most 60 buckets (bounds inclusive)."""
    for interval in INTERVALS[:-1]:
        if duration <= MAX_BUCKETS * LENGTH[interval]:
            return interval
    return "Year"


def choose_interval(requested: str | None, duration: int) -> tuple[Interval, list[Interval]]:
    """R-AN-4: (interval used, intervalOptions). A request outside the options gets the auto one."""
    auto = auto_interval(duration)
    position = INTERVALS.index(auto)
    options = list(INTERVALS[position : position + 2])
    chosen = next((i for i in options if i == requested), auto)
    return chosen, options


@dataclass(frozen=True)
class Buckets:
    interval: Interval
    options: list[Interval]
    starts: list[int]
    ends: list[int]  # exclusive: x <= createdAt < end

    def index(self, ts: int) -> int | None:
        """The bucket `ts` falls in, or None outside every bucket."""
        position = bisect.bisect_right(self.starts, ts) - 1
        if position < 0 or ts >= self.ends[position]:
            return None
        return position

    def zeros(self) -> list[float]:
        return [0.0] * len(self.starts)


def make_buckets(start: int, end: int, requested: str | None = None) -> Buckets:
    """R-AN-4/5: interval, options and the calendar buckets covering [start, end]."""
    duration = max(0, end - start)
    interval, options = choose_interval(requested, duration)
    count = math.ceil(duration / LENGTH[interval]) + 1
    starts = [unit_start(start, interval)]
    ends = [next_unit(starts[0], interval)]
    while len(starts) < count or ends[-1] <= end:
        starts.append(ends[-1])
        ends.append(next_unit(ends[-1], interval))
    return Buckets(interval, options, starts, ends)


# --- the counted order set (R-AN-1, R-AN-2) --------------------------------------------------


def _refund_counts(refund: Refund, cutoff: int | None) -> bool:
    """A refund that still counts as a sale: only in event queries, and only after the start."""
    return cutoff is not None and refund.refundedAt is not None and refund.refundedAt >= cutoff


def _item_counts(state: str, refund: Refund, cutoff: int | None) -> bool:
    if refund.refunded:
        return _refund_counts(refund, cutoff)
    return state == "Active"  # Canceled without a refund: cancelled, never a sale


@dataclass(frozen=True)
class CountedOrder:
    order: Order
    tickets: list[OrderTicket]
    upgrades: list[OrderUpgrade]

    @property
    def created_at(self) -> int:
        return self.order.createdAt


def counted_orders(orders: Iterable[Order], cutoff: int | None) -> list[CountedOrder]:
    """R-AN-1/2. `cutoff` is the event (season) start for event and season queries, None for the
    others: then every refunded item and every order with a refunded processing fee is dropped."""
    counted: list[CountedOrder] = []
    for order in orders:
        if order.state not in COUNTED_STATES:
            continue
        fee_refund = order.processingFee.refund
        if fee_refund.refunded and not _refund_counts(fee_refund, cutoff):
            continue
        tickets = [t for t in order.tickets if _item_counts(t.state, t.refund, cutoff)]
        upgrades = [u for u in order.upgrades if _item_counts(u.state, u.refund, cutoff)]
        if tickets or upgrades:
            counted.append(CountedOrder(order, tickets, upgrades))
    return counted


def _cents(text: str) -> int:
    try:
        return max(0, int(str(text or "0").strip()))
    except ValueError:  # a stored nominal value that is not a number is worth nothing
        return 0


def ticket_sales(order: Order, ticket: OrderTicket) -> int:
    """What a ticket sold for: its price, or its nominal `values` in an RSVP order (R-CH-2)."""
    return _cents(ticket.values) if order.type == "RSVP" else ticket.price


def event_capacity(event: Event) -> int:
    return sum(t.totalQty for t in event.ticketTypes)


# --- series ----------------------------------------------------------------------------------

Point = tuple[int, float, str]  # (createdAt, y contribution, segment key)


def _series(buckets: Buckets, points: Iterable[Point]) -> tuple[list[float], dict[str, list[float]]]:
    total = buckets.zeros()
    by_key: dict[str, list[float]] = {}
    for at, value, key in points:
        position = buckets.index(at)
        if position is None:
            continue
        total[position] += value
        by_key.setdefault(key, buckets.zeros())[position] += value
    return total, by_key


def _number(value: float) -> float | int:
    """Whole numbers as ints (cents and counts), fractions rounded to 2 places (percents)."""
    rounded = round(value, 2)
    return int(rounded) if float(rounded).is_integer() else rounded


def analytics(
    buckets: Buckets,
    label: str,
    value_type: ValueType,
    ys: Sequence[float],
    segments: Sequence[dict[str, Any]] = (),
    *,
    total: float | None = None,
) -> dict[str, Any]:
    """One `Analytics` object (R-AN-5); `totalValue` = sum of y unless given."""
    return {
        "label": label,
        "type": value_type,
        "interval": buckets.interval,
        "intervalOptions": list(buckets.options),
        "coordinates": [{"x": x, "y": _number(y)} for x, y in zip(buckets.starts, ys, strict=True)],
        "segments": list(segments),
        "totalValue": _number(sum(ys) if total is None else total),
    }


def not_implemented(label: str, buckets: Buckets) -> dict[str, Any]:
    """R-AN-7 last row: a single {0, 0} coordinate and no segments."""
    return {
        "label": label,
        "type": "Quantity",
        "interval": buckets.interval,
        "intervalOptions": list(buckets.options),
        "coordinates": [{"x": 0, "y": 0}],
        "segments": [],
        "totalValue": 0,
    }


# --- the types (R-AN-6, R-AN-7) --------------------------------------------------------------


@dataclass
class AnalyticsInput:
    orders: list[CountedOrder]
    buckets: Buckets
    per_item_segments: bool  # R-AN-6: event and season queries
    event: Event | None = None  # capacity for `Sold Out`


def _tickets(
    data: AnalyticsInput, value: Callable[[Order, OrderTicket], float], comps: bool = False
) -> list[Point]:
    return [
        (c.created_at, value(c.order, t), t.name)
        for c in data.orders
        if not comps or c.order.type == "Complimentary"
        for t in c.tickets
    ]


def _upgrades(
    data: AnalyticsInput, value: Callable[[OrderUpgrade], float], comps: bool = False
) -> list[Point]:
    return [
        (c.created_at, value(u), u.name)
        for c in data.orders
        if not comps or c.order.type == "Complimentary"
        for u in c.upgrades
    ]


def _all_sales(data: AnalyticsInput) -> list[Point]:
    points = _tickets(data, ticket_sales)
    points += _upgrades(data, lambda u: u.price)
    return points


def _per_order(
    data: AnalyticsInput, value: Callable[[CountedOrder], float], key: Callable[[CountedOrder], str]
) -> list[Point]:
    return [(c.created_at, value(c), key(c)) for c in data.orders]


def _promoted(data: AnalyticsInput) -> list[Point]:
    return [(c.created_at, 1, c.order.promotionCode) for c in data.orders if c.order.promotionCode]


def _item_type(
    data: AnalyticsInput, label: str, value_type: ValueType, points: list[Point]
) -> dict[str, Any]:
    ys, by_key = _series(data.buckets, points)
    segments = []
    if data.per_item_segments:
        segments = [analytics(data.buckets, key, value_type, by_key[key]) for key in sorted(by_key)]
    return analytics(data.buckets, label, value_type, ys, segments)


def _segment(data: AnalyticsInput, label: str, value_type: ValueType, points: list[Point]) -> dict[str, Any]:
    return analytics(data.buckets, label, value_type, _series(data.buckets, points)[0])


def _overview(data: AnalyticsInput) -> dict[str, Any]:
    ys = _series(data.buckets, _all_sales(data))[0]
    segments = [
        _segment(data, "Tickets Sold", "Quantity", _tickets(data, lambda o, t: 1)),
        _segment(data, "Orders", "Quantity", _per_order(data, lambda c: 1, lambda c: "")),
    ]
    return analytics(data.buckets, "Total Sales", "Currency", ys, segments)


def _sold_out(data: AnalyticsInput) -> dict[str, Any]:
    """Cumulative percent of the event's ticket capacity sold by the end of each bucket."""
    capacity = event_capacity(data.event) if data.event is not None else 0
    sold_at = sorted(c.created_at for c in data.orders for _ in c.tickets)
    ys: list[float] = []
    for end in data.buckets.ends:
        sold = bisect.bisect_left(sold_at, end)  # tickets of orders created before `end`
        ys.append(100.0 * sold / capacity if capacity else 0.0)
    return analytics(data.buckets, "Sold Out", "Percent", ys, total=ys[-1] if ys else 0)


def _event_analytics(data: AnalyticsInput) -> dict[str, Any]:
    ys = _series(data.buckets, _promoted(data))[0]
    segments = [_sold_out(data), _segment(data, "Total Sales", "Currency", _all_sales(data))]
    return analytics(data.buckets, "Event Analytics", "Quantity", ys, segments)


def _first_purchases(data: AnalyticsInput) -> list[Point]:
    first: dict[str, int] = {}
    for c in data.orders:
        if c.order.eventId:
            first[c.order.eventId] = min(first.get(c.order.eventId, c.created_at), c.created_at)
    return [(at, 1, event_id) for event_id, at in first.items()]


def _user_analytics(data: AnalyticsInput) -> dict[str, Any]:
    ys = _series(data.buckets, _promoted(data))[0]
    lifetime = _per_order(data, lambda c: sum(p.transferAmount for p in c.order.payments), lambda c: "")
    segments = [
        _segment(data, "EventAttendedCount", "Quantity", _first_purchases(data)),
        _segment(data, "TicketsPurchasedCount", "Quantity", _tickets(data, lambda o, t: 1)),
        _segment(data, "LifeTimeValue", "Currency", lifetime),
    ]
    return analytics(data.buckets, "User Analytics", "Quantity", ys, segments)


def _plain(data: AnalyticsInput, label: str, value_type: ValueType, points: list[Point]) -> dict[str, Any]:
    return analytics(data.buckets, label, value_type, _series(data.buckets, points)[0])


_BUILDERS: dict[str, Callable[[AnalyticsInput], dict[str, Any]]] = {
    "Overview": _overview,
    "Total Sales": lambda d: _plain(d, "Total Sales", "Currency", _all_sales(d)),
    "Ticket Sales": lambda d: _item_type(d, "Ticket Sales", "Currency", _tickets(d, ticket_sales)),
    "Tickets Sold": lambda d: _item_type(d, "Tickets Sold", "Quantity", _tickets(d, lambda o, t: 1)),
    "Ticket Comps": lambda d: _item_type(
        d, "Ticket Comps", "Quantity", _tickets(d, lambda o, t: 1, comps=True)
    ),
    "Upgrade Comps": lambda d: _item_type(
        d, "Upgrade Comps", "Quantity", _upgrades(d, lambda u: 1, comps=True)
    ),
    "Upgrades Sales": lambda d: _item_type(d, "Upgrades Sales", "Currency", _upgrades(d, lambda u: u.price)),
    "Upgrades Sold": lambda d: _item_type(d, "Upgrades Sold", "Quantity", _upgrades(d, lambda u: 1)),
    "Tickets Scanned": lambda d: _item_type(
        d, "Tickets Scanned", "Quantity", _tickets(d, lambda o, t: sum(1 for s in t.scan if s.scanned))
    ),
    "Upgrades Scanned": lambda d: _item_type(
        d, "Upgrades Scanned", "Quantity", _upgrades(d, lambda u: 1 if u.scan.scanned else 0)
    ),
    "Promotions": lambda d: _item_type(d, "Promotions", "Quantity", _promoted(d)),
    "Total Orders": lambda d: _plain(d, "Total Orders", "Quantity", _per_order(d, lambda c: 1, lambda c: "")),
    "Event Analytics": _event_analytics,
    "User Analytics": _user_analytics,
}


def unknown_types(types: Iterable[str]) -> list[str]:
    return [t for t in types if t not in TYPES]


def build(
    types: Sequence[str],
    orders: Sequence[Order],
    *,
    cutoff: int | None,
    per_item_segments: bool,
    start_date: int | None,
    end_date: int | None,
    interval: str | None,
    now: int,
    event: Event | None = None,
) -> list[dict[str, Any]]:
    """R-AN: one `Analytics` per requested type, in the order requested.

    `orders` are the org's orders matching the query's filters (any state); `cutoff` is the event
    (season) start for event and season queries, else None (R-AN-2)."""
    counted = counted_orders(orders, cutoff)
    start, end = time_range(start_date, end_date, [c.created_at for c in counted], now)
    buckets = make_buckets(start, end, interval)
    data = AnalyticsInput(counted, buckets, per_item_segments, event)
    results = []
    for kind in types:
        if kind in NOT_IMPLEMENTED:
            results.append(not_implemented(TYPES[kind][0], buckets))
        else:
            results.append(_BUILDERS[kind](data))
    return results
