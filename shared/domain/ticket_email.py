"""What the ticket e-mails say (SPEC R-MSG-2, R-MSG-3): subjects and the template context of
`orderReceipt`, `orderQRCode` and `orderQRCodeOnDay`, built from plain models.

Times are shown in the venue's time zone (SPEC 2.3), money as `$x.xx` from integer cents. The
context holds plain values only; the template engine escapes them (autoescape), and the few
values that land in attributes (colour, image URLs) are checked here so a promoter's settings
cannot break out of them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.domain.delivery_schedule import first_day
from shared.domain.models import (
    DEFAULT_TIMEZONE,
    SALES_TAX_FEE_NAME,
    Event,
    Order,
    Organization,
    User,
    Venue,
)

TemplateKey = Literal["orderReceipt", "orderQRCode", "orderQRCodeOnDay"]
TICKET_TEMPLATES: tuple[TemplateKey, ...] = ("orderReceipt", "orderQRCode", "orderQRCodeOnDay")
PLATFORM_NAME = "Sellout"
DEFAULT_COLOR = "#1b1b2f"
_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_WEB_URL = re.compile(r"^https?://[^\s\"'<>]+$")


# --- formatting ----------------------------------------------------------------------------------


def venue_timezone(venue: Venue | None, event: Event) -> str:
    for candidate in (
        venue.address.timezone if venue else "",
        event.location.timezone if event.location else "",
    ):
        if candidate:
            try:
                ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return candidate
    return DEFAULT_TIMEZONE


def money(cents: float) -> str:
    return f"${cents / 100:,.2f}"


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def format_date(ts: int, tz: str) -> str:
    """`ddd, MMM Do`, e.g. `Fri, Mar 7th`, on the venue's calendar."""
    moment = datetime.fromtimestamp(ts, ZoneInfo(tz))
    return f"{moment:%a, %b} {_ordinal(moment.day)}"


def format_time(ts: int, tz: str) -> str:
    moment = datetime.fromtimestamp(ts, ZoneInfo(tz))
    return f"{moment.hour % 12 or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def web_url(value: str) -> str:
    """An http(s) URL safe to put in `src`/`href`, or "" (no `javascript:` and friends)."""
    return value if _WEB_URL.match(value or "") else ""


# --- content -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Brand:
    name: str
    logo_url: str
    color: str
    email: str
    phone: str
    address: str


def brand_of(org: Organization | None) -> Brand:
    if org is None:
        return Brand(PLATFORM_NAME, "", DEFAULT_COLOR, "", "", "")
    address = org.address
    where = ", ".join(p for p in (address.address1, address.city, address.state) if p) if address else ""
    return Brand(
        name=org.orgName or PLATFORM_NAME,
        logo_url=web_url(org.orgLogoUrl),
        color=org.orgColorHex if _HEX_COLOR.match(org.orgColorHex or "") else DEFAULT_COLOR,
        email=org.email,
        phone=org.phoneNumber,
        address=where,
    )


def subject(template: TemplateKey, event: Event, tz: str) -> str:
    name = " ".join(event.name.split())  # a line break in a header would end the header
    if template == "orderReceipt":
        return f"[TICKET CONFIRMATION] {name} - {format_date(first_day(event)[1], tz)}"
    return f"[TICKET ARRIVAL] {name} tickets"


@dataclass
class LineItem:
    quantity: int
    name: str
    unit_price: str
    details: list[str] = field(default_factory=list)


def line_items(order: Order, rsvp: bool, tz: str) -> list[LineItem]:
    """`N x <name>` at unit price (RSVP: the nominal value), seats and days listed."""
    grouped: dict[tuple[str, str], LineItem] = {}
    for ticket in order.tickets:
        unit = int(ticket.values or "0") if rsvp else ticket.price
        item = grouped.setdefault((ticket.name, money(unit)), LineItem(0, ticket.name, money(unit)))
        item.quantity += 1
        if ticket.seat:
            item.details.append(f"Seat {ticket.seat}")
        for day in ticket.dayIds:
            text = format_date(int(day), tz) if day.isdigit() else day
            if text not in item.details:
                item.details.append(text)
    for upgrade in order.upgrades:
        item = grouped.setdefault(
            (upgrade.name, money(upgrade.price)), LineItem(0, upgrade.name, money(upgrade.price))
        )
        item.quantity += 1
    return list(grouped.values())


def _fee_total(order: Order, *, tax: bool, applied_by: tuple[str, ...]) -> int:
    total = 0.0
    for fee in order.fees:
        if (fee.name == SALES_TAX_FEE_NAME) != tax or (not tax and fee.appliedBy not in applied_by):
            continue
        try:
            total += float(fee.amount or 0)
        except ValueError:
            continue
    return round(total)


def order_totals(order: Order) -> dict[str, str]:
    subtotal = sum(t.price for t in order.tickets) + sum(u.price for u in order.upgrades)
    promoter_fee = _fee_total(order, tax=False, applied_by=("Organization",))
    processing_fee = _fee_total(order, tax=False, applied_by=("Sellout", "Stripe"))
    tax = _fee_total(order, tax=True, applied_by=())
    paid = sum(p.amount for p in order.payments)
    total = paid or max(0, subtotal - order.discountAmount + promoter_fee + processing_fee + tax)
    return {
        "subtotal": money(subtotal),
        "discount": money(order.discountAmount) if order.discountAmount else "",
        "promoter_fee": money(promoter_fee) if promoter_fee else "",
        "processing_fee": money(processing_fee) if processing_fee else "",
        "tax": money(tax) if tax else "",
        "total": money(total),
    }


def _days(event: Event, tz: str) -> list[dict[str, str]]:
    for performance in event.performances:
        if performance.schedule:
            return [
                {
                    "date": format_date(d.startsAt, tz),
                    "doors": format_time(d.doorsAt, tz) if d.doorsAt else "",
                    "starts": format_time(d.startsAt, tz),
                    "ends": format_time(d.endsAt, tz) if d.endsAt else "",
                }
                for d in performance.schedule
                if d.startsAt
            ]
    start = event.schedule.startsAt
    return [
        {
            "date": format_date(start, tz),
            "doors": "",
            "starts": format_time(start, tz),
            "ends": format_time(event.schedule.endsAt, tz) if event.schedule.endsAt else "",
        }
    ]


_HEADINGS: dict[TemplateKey, str] = {
    "orderReceipt": "Your order is confirmed",
    "orderQRCode": "Here are your tickets",
    "orderQRCodeOnDay": "Today is the day!",
}


def show_context(
    *, event: Event, venue: Venue | None, org: Organization | None, buyer: User | None
) -> dict[str, Any]:
    """What every order e-mail shows about who sells (brand), who buys and the show itself —
    the values the `_head`, `_header`, `_event` and `_footer` partials read."""
    tz = venue_timezone(venue, event)
    days = _days(event, tz)
    address = venue.address if venue else event.location
    city_state = ", ".join(p for p in ((address.city, address.state) if address else ()) if p)
    return {
        "brand": asdict(brand_of(org)),
        "first_name": (buyer.firstName if buyer else "") or "Guest",
        "event": {
            "name": event.name,
            "subtitle": event.subtitle,
            "poster_url": web_url(event.posterImageUrl),
            "age": event.age,
            "date": days[0]["date"],
            "doors": days[0]["doors"],
            "starts": days[0]["starts"],
            "ends": days[0]["ends"],
            "days": days if len(days) > 1 else [],
        },
        "venue": {
            "name": venue.name if venue else "",
            "address": ", ".join(p for p in ((address.address1, address.address2) if address else ()) if p),
            "city_state": city_state,
            "image_url": web_url(venue.imageUrls[0]) if venue and venue.imageUrls else "",
        },
        "timezone": tz,
    }


def ticket_email_context(
    template: TemplateKey,
    *,
    order: Order,
    event: Event,
    venue: Venue | None,
    org: Organization | None,
    buyer: User | None,
    qr_url: str,
    tickets_at: int,
) -> dict[str, Any]:
    """Everything the three ticket templates show (R-MSG-3)."""
    tz = venue_timezone(venue, event)
    rsvp = order.type == "RSVP" or event.processAs == "RSVP"
    delivery = event.ticketDeliveryType
    return {
        **show_context(event=event, venue=venue, org=org, buyer=buyer),
        "template": template,
        "subject": subject(template, event, tz),
        "heading": _HEADINGS[template],
        "order": {
            "id": order.id,
            "items": [asdict(i) for i in line_items(order, rsvp, tz)],
            "rsvp": rsvp,
            **order_totals(order),
        },
        "qr_url": web_url(qr_url),
        "tickets_at": f"{format_date(tickets_at, tz)} at {format_time(tickets_at, tz)}",
        "delivery_type": delivery,
        "will_call": delivery != "Digital only",
        "will_call_instructions": event.physicalDeliveryInstructions,
    }
