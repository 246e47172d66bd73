"""Sales-report subscriptions (SPEC R-RP-5, e-mail `salesReport` of R-MSG-2, task `SalesReport` of
5.20). Pure: subscription input, the schedule of the runs, the numbers of the summary and what
the PDF and the e-mail say. The service (shared.services.sales_reports) loads and sends.

The numbers are the ones Backstage already shows, never recomputed another way:
- orders, tickets and upgrades sold, ticket/upgrade sales and their total are the event analytics
  (shared.domain.analytics, an event query: R-AN-1/2, so an item refunded before the event start
  is not a sale, one refunded after it still is);
- paid, fees and refunds are the order report's columns (shared.domain.reports: the order's fee
  snapshot, its payments and `refundedAmount`), summed over every order that was a sale (the
  analytics' counted states), so `paid - refunded = net` adds up like the report's rows.

Schedule (decisions where the SPEC leaves room):
- The first run is due when the subscription is made. Each next run is computed from the run's
  *scheduled* time, not from the clock, so a duplicated or late delivery plans the same next task
  (its id is derived from that time) instead of a second one.
- The event ends at `schedule.endsAt` (its `startsAt` when it has no end; an event with neither
  gets one report only).
- Daily: +1 day while the event has not ended at the run's time (so the last report, the first
  one after the end, has the final numbers).
- Weekly: +7 days while more than 7 days remain; otherwise one run at the event end and a last
  one a day later (late refunds and walk-up sales are in that one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.domain import analytics, reports
from shared.domain.models import Event, Order, SubscriptionSalesReport, Venue
from shared.domain.waitlist import normalize_email
from shared.errors import DomainError, ErrorCode, invalid

SALES_REPORT = "SalesReport"  # task type (SPEC 3.10, 5.20)
TEMPLATE = "salesReport"  # e-mail key (R-MSG-2)
DAY = 86_400
WEEK = 7 * DAY
Frequency = Literal["Daily", "Weekly"]
FREQUENCIES: tuple[Frequency, ...] = ("Daily", "Weekly")
ALREADY_SUBSCRIBED = "This e-mail address already receives sales reports for this event."
# Subscribers per event. The list lives on the event document, which every page view and checkout
# reads, and each new subscriber is mailed at once: without a bound one admin could grow the
# document towards Firestore's 1 MiB and have the platform mail any number of addresses.
MAX_SUBSCRIBERS = 20
TOO_MANY_SUBSCRIBERS = f"An event can send sales reports to at most {MAX_SUBSCRIBERS} addresses."


# --- input -------------------------------------------------------------------------------------


def normalize_frequency(raw: Any) -> Frequency:
    text = str(raw or "").strip().lower()
    for frequency in FREQUENCIES:
        if frequency.lower() == text:
            return frequency
    raise invalid("Choose a frequency of Daily or Weekly.", "frequency")


def new_subscription(params: Mapping[str, Any] | None) -> tuple[str, SubscriptionSalesReport]:
    """(event id, subscription) from SalesReportInput; the `_id` is ours, never the client's."""
    data = params or {}
    event_id = str(data.get("eventId") or "").strip()
    if not event_id:
        raise invalid("Choose the event to report on.", "eventId")
    email = normalize_email(data.get("email"))
    frequency = normalize_frequency(data.get("frequency"))
    return event_id, SubscriptionSalesReport(email=email, frequency=frequency)


def ensure_not_subscribed(subscribers: Sequence[SubscriptionSalesReport], email: str) -> None:
    """`email` may join the subscribers: not there yet (in any letters) and room left."""
    wanted = email.lower()
    if any(s.email.lower() == wanted for s in subscribers):
        raise DomainError(ErrorCode.CONFLICT, ALREADY_SUBSCRIBED)
    if len(subscribers) >= MAX_SUBSCRIBERS:
        raise DomainError(ErrorCode.LIMIT_EXCEEDED, TOO_MANY_SUBSCRIBERS, ["email"])


def subscriber(event: Event, subscription_id: str) -> SubscriptionSalesReport | None:
    return next((s for s in event.subscription if s.id == subscription_id), None)


# --- schedule ----------------------------------------------------------------------------------


def task_id(subscription_id: str, execute_at: int) -> str:
    """One task per run, named after its subscription and its scheduled time: planning the same
    run twice finds the first plan (the subscription id is random, so ids are not sequential)."""
    return f"salesReport~{subscription_id}~{execute_at}"


def event_end(event: Event) -> int:
    return event.schedule.endsAt or event.schedule.startsAt


def next_run(frequency: Frequency, ran_at: int, ends_at: int) -> int | None:
    """When the run after the one scheduled at `ran_at` is due, or None when that was the last."""
    if ends_at <= 0:
        return None
    if frequency == "Daily":
        return ran_at + DAY if ran_at < ends_at else None
    if ends_at - ran_at > WEEK:
        return ran_at + WEEK
    if ran_at < ends_at:
        return ends_at
    if ran_at < ends_at + DAY:
        return ends_at + DAY
    return None


# --- the numbers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemLine:
    name: str
    sold: int
    sales: int  # cents


@dataclass(frozen=True)
class SalesSummary:
    orders: int
    tickets_sold: int
    upgrades_sold: int
    ticket_sales: int  # cents, as every amount here
    upgrade_sales: int
    paid: int
    promoter_fees: int  # the organization's fees, without the sales tax
    sales_tax: int
    processing_fees: int  # Sellout's and Stripe's
    refunded: int
    ticket_types: list[ItemLine] = field(default_factory=list)
    upgrades: list[ItemLine] = field(default_factory=list)

    @property
    def total_sales(self) -> int:
        return self.ticket_sales + self.upgrade_sales

    @property
    def net(self) -> int:
        return self.paid - self.refunded


def _lines(points: Sequence[tuple[str, int]]) -> list[ItemLine]:
    sold: dict[str, int] = {}
    sales: dict[str, int] = {}
    for name, amount in points:
        sold[name] = sold.get(name, 0) + 1
        sales[name] = sales.get(name, 0) + amount
    return [ItemLine(name, sold[name], sales[name]) for name in sorted(sold)]


def summarize(event: Event, orders: Sequence[Order]) -> SalesSummary:
    """The summary of `event` from its orders (any state; other events' orders are ignored)."""
    own = [o for o in orders if o.eventId == event.id and o.orgId == event.orgId]
    counted = analytics.counted_orders(own, event.schedule.startsAt or None)  # as Event.analytics
    tickets = [(t.name, analytics.ticket_sales(c.order, t)) for c in counted for t in c.tickets]
    upgrades = [(u.name, u.price) for c in counted for u in c.upgrades]
    sales = [o for o in own if o.state in analytics.COUNTED_STATES]
    fees = [reports.fee_split(o) for o in sales]
    return SalesSummary(
        orders=len(counted),
        tickets_sold=len(tickets),
        upgrades_sold=len(upgrades),
        ticket_sales=sum(amount for _, amount in tickets),
        upgrade_sales=sum(amount for _, amount in upgrades),
        paid=sum(reports.paid(o) for o in sales),
        promoter_fees=sum(f.promoter for f in fees),
        sales_tax=sum(f.sales_tax for f in fees),
        processing_fees=sum(f.processing for f in fees),
        refunded=sum(o.refundedAmount for o in sales),
        ticket_types=_lines(tickets),
        upgrades=_lines(upgrades),
    )


# --- what the PDF and the e-mail say -----------------------------------------------------------


def money(cents: int) -> str:
    amount = reports.dollars(abs(cents))
    return f"-${amount:,}" if cents < 0 else f"${amount:,}"


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]


@dataclass(frozen=True)
class ReportDocument:
    """The PDF's content, already worded and formatted: the adapter only lays it out."""

    title: str
    subtitle: list[str]
    tables: list[Table]
    footnote: str


def report_document(
    summary: SalesSummary, event: Event, venue: Venue | None, org_name: str, generated_at: int
) -> ReportDocument:
    starts = reports.format_time(event.schedule.startsAt or None, event, venue)
    where = venue.name if venue is not None else ""
    subtitle = [org_name, " - ".join(p for p in (starts, where) if p)]
    subtitle.append(f"Sales as of {reports.format_time(generated_at, event, venue)}")
    sales = Table("Sales", ("", "Sold", "Amount"), [
        ("Orders", str(summary.orders), ""),
        ("Tickets", str(summary.tickets_sold), money(summary.ticket_sales)),
        ("Upgrades", str(summary.upgrades_sold), money(summary.upgrade_sales)),
        ("Total sales", "", money(summary.total_sales)),
    ])  # fmt: skip
    money_table = Table("Money", ("", "Amount"), [
        ("Paid by buyers", money(summary.paid)),
        ("Promoter fees", money(summary.promoter_fees)),
        ("Sales tax", money(summary.sales_tax)),
        ("Processing fees", money(summary.processing_fees)),
        ("Refunded", money(-summary.refunded)),
        ("Net", money(summary.net)),
    ])  # fmt: skip
    tables = [sales]
    if summary.ticket_types:
        rows = [(i.name, str(i.sold), money(i.sales)) for i in summary.ticket_types]
        tables.append(Table("Tickets by type", ("Ticket type", "Sold", "Sales"), rows))
    if summary.upgrades:
        rows = [(i.name, str(i.sold), money(i.sales)) for i in summary.upgrades]
        tables.append(Table("Upgrades", ("Upgrade", "Sold", "Sales"), rows))
    tables.append(money_table)
    footnote = (
        "Sales count what Backstage analytics count: items refunded before the event started are "
        "not sales. Paid, fees and refunds are those of the order report, over every order."
    )
    return ReportDocument(f"Sales report: {' '.join(event.name.split())}", [s for s in subtitle if s],
                          tables, footnote)  # fmt: skip


def subject(event: Event) -> str:
    return f"[SALES REPORT] {' '.join(event.name.split())}"  # one line: a break would end the header


def file_name(generated_at: int, event: Event, venue: Venue | None) -> str:
    """The download's name: the date only (event names may hold anything a header cannot)."""
    day = reports.format_day(generated_at, event, venue).replace("/", "-")
    return f"sales-report-{day}.pdf"
