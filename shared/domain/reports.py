"""The CSV reports of Backstage (SPEC 5.18 R-RP-1 order report, R-RP-2 activity report, R-RP-3
customer report). Pure:
the service hands in the orders with their buyers, events and venues; this module returns the
header and rows, and the CSV bytes.

Money is integer cents everywhere else; here it becomes dollars with two decimals (`1234` →
`12.34`). Fee amounts are read from the order's fee snapshot (`order.fees[].amount`, R-FEE-9),
never recomputed: Sellout- and Stripe-applied fees are the processing fees, Organization fees the
promoter's. The fee named `Sales tax` is counted with the promoter's fees whoever applies it
(the pricing module groups it there too), and the activity report shows it in its own column.

Decisions where the SPEC leaves room:
- `subtotal` = what was paid minus every snapshot fee, so `subtotal + fees = total` on every
  row (per-ticket and per-order discounts are already out of what was paid).
- `ticketsValue` = Σ `values` (RSVP nominal value, cents) of the order's Active tickets.
- `scannedCount` = Active tickets with any day scanned + Active upgrades scanned (R-SCAN-6).
- Per ticket type (by name, as sold): `Sold` = tickets of the order, `Refunded` = those refunded,
  `Net` = those still Active (a cancelled ticket is neither refunded nor counted in Net).
  Per upgrade: units sold. Per custom-field label: the answer (several answers joined by "; ").
- Dates: "MM/DD/YYYY, h:mma(<zone abbreviation>)" in the event's/venue's zone (SPEC 2.3), e.g.
  `11/24/2026, 6:05pm(MST)`; the abbreviation tells summer from winter time.
- Activity rows per order: the sale, then one refund row per refund (the items and fee groups
  refunded at the same `refundedAt`), then one cancel row for the items cancelled without a
  refund. The order keeps no cancellation time, so a cancel row's `Date` is empty. Money that
  went back to the buyer is negative in `Total`, so the column adds up to the net takings.

CSV/formula injection (OWASP "CSV Injection", SECURITY): spreadsheet programs run a cell that
starts with `=`, `+`, `-`, `@`, tab or carriage return as a formula. Every text cell — names,
e-mails, event and venue names, custom-field answers, ticket-type names in the header — that
starts with one of those gets a leading apostrophe, which shows the text as typed. A phone
number `+1555…` therefore reads `'+1555…`. Numbers this module formats itself (money, counts)
are never prefixed, so a refund's `-12.50` stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from shared.domain.models import (
    SALES_TAX_FEE_NAME,
    Event,
    Metrics,
    Order,
    Refund,
    User,
    UserProfile,
    Venue,
)
from shared.domain.scan_rules import venue_zone

Cell = str | int | Decimal
ReportKind = Literal["orders", "activity"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
GUEST_FIRST_NAME = "Guest"
GUEST_PHONE = "N/A"

ORDER_COLUMNS = (
    "orderId", "createdAt", "userFirstName", "userLastName", "userEmail", "userPhoneNumber",
    "eventName", "venueName", "state", "subtotal", "selloutFee", "stripeFee", "total", "refund",
    "net", "promoterFee", "ticketsValue", "scannedCount",
)  # fmt: skip
ACTIVITY_COLUMNS = (
    "Date", "First Name", "Last Name", "Event", "Type", "Sale/Refund/Cancel", "Cash/Credit/Check",
    "Number of Tickets", "Ticket Total", "Number of Upgrades", "Upgrade Total", "Promoter Fee",
    "Sales Tax", "Sellout Fee", "Stripe Fee", "Refunded Amt.", "Refunded Day", "Refunded Tickets",
    "Total",
)  # fmt: skip
PAYMENT_KINDS = {"Cash": "Cash", "Check": "Check", "Card Entry": "Credit", "Card Reader": "Credit"}


@dataclass(frozen=True)
class ReportOrder:
    """One order with what the report shows about it (looked up by the service)."""

    order: Order
    buyer: User | None = None
    event: Event | None = None
    venue: Venue | None = None


@dataclass
class Report:
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)

    def csv_bytes(self) -> bytes:
        """RFC 4180 CSV in UTF-8 with a byte-order mark, so Excel shows accented names right."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([safe_cell(h) for h in self.header])
        writer.writerows([safe_cell(c) for c in row] for row in self.rows)
        return out.getvalue().encode("utf-8-sig")


# --- cells -------------------------------------------------------------------------------------


def safe_cell(value: Cell) -> str:
    """The cell as written: text that a spreadsheet would run as a formula is quoted with `'`."""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
    return str(value)


def dollars(cents: int) -> Decimal:
    """Integer cents as dollars with exactly two decimals (exact: no float involved)."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def format_time(timestamp: int | None, event: Event | None, venue: Venue | None) -> str:
    if not timestamp:
        return ""
    local = datetime.fromtimestamp(timestamp, UTC).astimezone(venue_zone(event, venue))
    hour = local.hour % 12 or 12
    return f"{local:%m/%d/%Y}, {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}({local:%Z})"


def format_day(timestamp: int | None, event: Event | None, venue: Venue | None) -> str:
    if not timestamp:
        return ""
    return f"{datetime.fromtimestamp(timestamp, UTC).astimezone(venue_zone(event, venue)):%m/%d/%Y}"


# --- amounts from the fee snapshot -------------------------------------------------------------


def _cents(value: str | None) -> int:
    try:
        return round(float(value or 0))
    except ValueError:
        return 0


@dataclass(frozen=True)
class FeeSplit:
    sellout: int
    stripe: int
    promoter: int  # Organization fees, without the sales tax
    sales_tax: int

    @property
    def processing(self) -> int:
        return self.sellout + self.stripe

    @property
    def promoter_with_tax(self) -> int:
        return self.promoter + self.sales_tax

    @property
    def total(self) -> int:
        return self.processing + self.promoter_with_tax


def fee_split(order: Order) -> FeeSplit:
    sellout = stripe = promoter = tax = 0
    for fee in order.fees:
        amount = _cents(fee.amount)
        if fee.name == SALES_TAX_FEE_NAME:
            tax += amount
        elif fee.appliedBy == "Sellout":
            sellout += amount
        elif fee.appliedBy == "Stripe":
            stripe += amount
        else:
            promoter += amount
    return FeeSplit(sellout, stripe, promoter, tax)


def paid(order: Order) -> int:
    return sum(p.amount for p in order.payments)


def buyer_columns(item: ReportOrder) -> tuple[str, str, str, str]:
    """First name, last name, e-mail, phone; a sale without a known buyer is a guest's."""
    order, user = item.order, item.buyer
    if user is None:
        return GUEST_FIRST_NAME, "", order.email, GUEST_PHONE
    return user.firstName, user.lastName, user.email or order.email, user.phoneNumber


def _venue_name(item: ReportOrder) -> str:
    return item.venue.name if item.venue is not None else ""


def _ordered_names(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n))


# --- R-RP-1 ------------------------------------------------------------------------------------


def order_report(items: Sequence[ReportOrder]) -> Report:
    """One row per order, in the given order (newest first from the service)."""
    builder = OrderReportBuilder()
    builder.add(items)
    return builder.report()


@dataclass
class _OrderLine:
    """One order's row before the header is known: the fixed columns, then what it has per
    ticket type (sold, refunded, net), per upgrade (units) and per custom-field label."""

    fixed: list[Cell]
    tickets: dict[str, tuple[int, int, int]]
    upgrades: dict[str, int]
    answers: dict[str, str]


class OrderReportBuilder:
    """R-RP-1 built a batch of orders at a time (a background export reads Firestore page by
    page and keeps only these lines, not the orders). The per-type, per-upgrade and per-label
    columns are those of every order added, so the header is known only at the end."""

    def __init__(self) -> None:
        self.lines: list[_OrderLine] = []
        self.ticket_types: dict[str, None] = {}
        self.upgrades: dict[str, None] = {}
        self.labels: dict[str, None] = {}

    def add(self, items: Iterable[ReportOrder]) -> None:
        for item in items:
            line = _order_line(item)
            self.ticket_types.update(dict.fromkeys(line.tickets))
            self.upgrades.update(dict.fromkeys(line.upgrades))
            self.labels.update(dict.fromkeys(line.answers))
            self.lines.append(line)

    def report(self) -> Report:
        ticket_types = _ordered_names(self.ticket_types)
        upgrades = _ordered_names(self.upgrades)
        labels = _ordered_names(self.labels)
        header = [
            *ORDER_COLUMNS,
            *(f"{name} Ticket {what}" for name in ticket_types for what in ("Sold", "Refunded", "Net")),
            *(f"{name} Upgrade" for name in upgrades),
            *labels,
        ]
        report = Report(header)
        for line in self.lines:
            row = list(line.fixed)
            for name in ticket_types:
                row += line.tickets.get(name, (0, 0, 0))
            row += [line.upgrades.get(name, 0) for name in upgrades]
            row += [line.answers.get(label, "") for label in labels]
            report.rows.append(row)
        return report


def _order_line(item: ReportOrder) -> _OrderLine:
    order = item.order
    fees = fee_split(order)
    total = paid(order)
    active_tickets = [t for t in order.tickets if t.state == "Active"]
    active_upgrades = [u for u in order.upgrades if u.state == "Active"]
    scanned = sum(1 for t in active_tickets if any(s.scanned for s in t.scan))
    scanned += sum(1 for u in active_upgrades if u.scan.scanned)
    fixed: list[Cell] = [
        order.id,
        format_time(order.createdAt, item.event, item.venue),
        *buyer_columns(item),
        order.eventName,
        _venue_name(item),
        order.state,
        dollars(max(0, total - fees.total)),
        dollars(fees.sellout),
        dollars(fees.stripe),
        dollars(total),
        dollars(order.refundedAmount),
        dollars(total - order.refundedAmount),
        dollars(fees.promoter_with_tax),
        dollars(sum(_cents(t.values) for t in active_tickets)),
        scanned,
    ]
    tickets: dict[str, tuple[int, int, int]] = {}
    for name in dict.fromkeys(t.name for t in order.tickets):
        of_type = [t for t in order.tickets if t.name == name]
        tickets[name] = (
            len(of_type),
            sum(1 for t in of_type if t.refund.refunded),
            sum(1 for t in of_type if t.state == "Active"),
        )
    upgrades: dict[str, int] = {}
    for upgrade in order.upgrades:
        upgrades[upgrade.name] = upgrades.get(upgrade.name, 0) + 1
    answers = {
        label: "; ".join(f.value for f in order.customFields if f.label == label)
        for label in dict.fromkeys(f.label for f in order.customFields)
    }
    return _OrderLine(fixed, tickets, upgrades, answers)


# --- R-RP-2 ------------------------------------------------------------------------------------


def activity_report(items: Sequence[ReportOrder]) -> Report:
    builder = ActivityReportBuilder()
    builder.add(items)
    return builder.report()


class ActivityReportBuilder:
    """R-RP-2 a batch of orders at a time (the columns are fixed)."""

    def __init__(self) -> None:
        self._report = Report(list(ACTIVITY_COLUMNS))

    def add(self, items: Iterable[ReportOrder]) -> None:
        for item in items:
            self._report.rows += activity_rows(item)

    def report(self) -> Report:
        return self._report


def _payment_kind(order: Order) -> str:
    kinds = _ordered_names(PAYMENT_KINDS.get(p.paymentMethodType, "None") for p in order.payments)
    return "/".join(kinds) or "None"


@dataclass(frozen=True)
class _Activity:
    """One line of the activity report before formatting (amounts in cents)."""

    kind: Literal["Sale", "Refund", "Cancel"]
    at: int | None
    tickets: list[int]
    upgrades: list[int]
    fees: FeeSplit
    refunded: int
    total: int


def activity_rows(item: ReportOrder) -> list[list[Cell]]:
    """The sale, each refund (grouped by its time), and what was cancelled without a refund."""
    order = item.order
    fees = fee_split(order)
    lines = [
        _Activity("Sale", order.createdAt, [t.price for t in order.tickets],
                  [u.price for u in order.upgrades], fees, 0, paid(order)),
    ]  # fmt: skip
    for at in sorted(_refund_times(order)):
        tickets = [t.refund.refundedAmount for t in order.tickets if _refunded_at(t.refund, at)]
        upgrades = [u.refund.refundedAmount for u in order.upgrades if _refunded_at(u.refund, at)]
        processing, promoter = order.processingFee.refund, order.promoterFee.refund
        refunded_fees = _refunded_fees(
            fees,
            processing.refundedAmount if _refunded_at(processing, at) else 0,
            promoter.refundedAmount if _refunded_at(promoter, at) else 0,
        )
        amount = sum(tickets) + sum(upgrades) + refunded_fees.total
        lines.append(_Activity("Refund", at, tickets, upgrades, refunded_fees, amount, -amount))
    canceled_tickets = [t.price for t in order.tickets if t.state == "Canceled" and not t.refund.refunded]
    canceled_upgrades = [u.price for u in order.upgrades if u.state == "Canceled" and not u.refund.refunded]
    if canceled_tickets or canceled_upgrades:
        no_fees = FeeSplit(0, 0, 0, 0)
        lines.append(_Activity("Cancel", None, canceled_tickets, canceled_upgrades, no_fees, 0, 0))
    return [_activity_row(item, line) for line in lines]


def _activity_row(item: ReportOrder, line: _Activity) -> list[Cell]:
    order, event, venue = item.order, item.event, item.venue
    first, last, _, _ = buyer_columns(item)
    refund = line.kind == "Refund"
    return [
        format_time(line.at, event, venue), first, last, order.eventName, order.type, line.kind,
        _payment_kind(order), len(line.tickets), dollars(sum(line.tickets)), len(line.upgrades),
        dollars(sum(line.upgrades)), dollars(line.fees.promoter), dollars(line.fees.sales_tax),
        dollars(line.fees.sellout), dollars(line.fees.stripe), dollars(line.refunded),
        format_day(line.at, event, venue) if refund else "", len(line.tickets) if refund else 0,
        dollars(line.total),
    ]  # fmt: skip


def _refunded_at(refund: Refund, at: int) -> bool:
    return refund.refunded and int(refund.refundedAt or 0) == at


def _refund_times(order: Order) -> set[int]:
    records = [t.refund for t in order.tickets] + [u.refund for u in order.upgrades]
    records += [order.processingFee.refund, order.promoterFee.refund]
    return {int(r.refundedAt or 0) for r in records if r.refunded}


def _refunded_fees(fees: FeeSplit, processing: int, promoter: int) -> FeeSplit:
    """A fee group is refunded whole (R-REF-4); its refunded amount is split like the snapshot."""
    sellout = min(processing, fees.sellout)
    tax = min(promoter, fees.sales_tax)
    return FeeSplit(sellout=sellout, stripe=processing - sellout, promoter=promoter - tax, sales_tax=tax)


# --- customers (R-RP-3) ----------------------------------------------------------------------------

CUSTOMER_COLUMNS = ("Name", "Email", "Phone Number", "Events", "LTV")


def customer_report(customers: Sequence[tuple[UserProfile, Metrics | None]]) -> Report:
    """R-RP-3: one row per customer with this org's metrics entry (not the first entry whatever its
    org, as the original read it). `Events` = how many of the org's events they bought for;
    `LTV` = the entry's life-time value (what the promoter netted), in dollars."""
    rows: list[list[Cell]] = []
    for profile, metrics in customers:
        name = " ".join(p for p in (profile.firstName, profile.lastName) if p)
        events = len(metrics.eventIds) if metrics is not None else 0
        value = metrics.lifeTimeValue if metrics is not None else 0
        rows.append([name, profile.email, profile.phoneNumber, events, dollars(value)])
    return Report(header=list(CUSTOMER_COLUMNS), rows=rows)


def build(kind: ReportKind, items: Sequence[ReportOrder]) -> Report:
    builder = builder_for(kind)
    builder.add(items)
    return builder.report()


def builder_for(kind: ReportKind) -> OrderReportBuilder | ActivityReportBuilder:
    return OrderReportBuilder() if kind == "orders" else ActivityReportBuilder()
