"""Ticket e-mail content (SPEC R-MSG-1..3): templates, escaping, .ics, and the compiled MJML."""

from __future__ import annotations

import pytest

from emulator import compile_templates
from shared.domain.calendar_invite import calendar_invite
from shared.domain.models import (
    Address,
    Event,
    EventSchedule,
    Fee,
    Order,
    OrderTicket,
    Organization,
    Payment,
    Performance,
    PerformanceSchedule,
    User,
    Venue,
)
from shared.domain.ticket_email import money, subject, ticket_email_context
from shared.services.mailer import EmailRenderer

START = 1_767_225_600  # 2026-01-01 00:00 UTC = Dec 31st, 5 PM in Denver
HOSTILE = '<script>alert("x")</script> & Friends, Live; Again\nNew line'


def world(name: str = "Night Owls", days: int = 1, tz: str = "America/Denver"):
    org = Organization(
        _id="org",
        userId="u",
        createdAt=0,
        orgName="Owl & Co",
        orgColorHex="#336699",
        orgLogoUrl="https://cdn.example/logo.png",
        email="hi@owl.example",
    )
    venue = Venue(
        _id="v",
        orgId="org",
        name="The Roost",
        createdAt=0,
        createdBy="u",
        address=Address(address1="1 Main St", city="Denver", state="CO", zip="80202", timezone=tz),
    )
    schedule = [
        PerformanceSchedule(
            doorsAt=START + i * 86400 - 3600, startsAt=START + i * 86400, endsAt=START + i * 86400 + 10800
        )
        for i in range(days)
    ]
    event = Event(
        _id="e",
        orgId="org",
        createdAt=0,
        name=name,
        venueId="v",
        schedule=EventSchedule(startsAt=START),
        performances=[Performance(name="p", schedule=schedule)],
    )
    fees = [
        Fee(
            name="Service",
            type="Flat",
            value=150,
            appliedBy="Organization",
            createdBy="u",
            createdAt=0,
            updatedBy="u",
            updatedAt=0,
            amount="300",
        ),
        Fee(
            name="Sales tax",
            type="Percent",
            value=5,
            createdBy="u",
            createdAt=0,
            updatedBy="u",
            updatedAt=0,
            amount="250",
        ),
    ]
    order = Order(
        _id="ord1",
        orgId="org",
        eventName=name,
        eventId="e",
        createdAt=0,
        createdBy="u",
        fees=fees,
        tickets=[
            OrderTicket(name="GA", ticketTypeId="t", ticketTierId="x", price=2500, origionalPrice=2500)
            for _ in range(2)
        ],
        payments=[Payment(amount=5550, paymentMethodType="Card Entry")],
    )
    return org, venue, event, order


def context(template: str = "orderQRCode", name: str = "Night Owls", **overrides: object):
    org, venue, event, order = world(name)
    org = org.model_copy(update=overrides)
    return ticket_email_context(
        template,  # type: ignore[arg-type]
        order=order,
        event=event,
        venue=venue,
        org=org,
        buyer=User(createdAt=0, firstName="Ada"),
        qr_url="https://x.example/q.png?a=1&b=2",
        tickets_at=START - 14 * 86400,
    )


def test_subjects_follow_the_spec() -> None:
    _, _, event, _ = world()
    assert (
        subject("orderReceipt", event, "America/Denver") == "[TICKET CONFIRMATION] Night Owls - Wed, Dec 31st"
    )
    assert subject("orderQRCode", event, "America/Denver") == "[TICKET ARRIVAL] Night Owls tickets"
    assert subject("orderQRCodeOnDay", event, "America/Denver") == "[TICKET ARRIVAL] Night Owls tickets"
    assert "\n" not in subject("orderQRCode", event.model_copy(update={"name": "A\r\nBcc: x@y"}), "UTC")


def test_money_is_dollars_and_cents() -> None:
    assert [money(0), money(5), money(123456)] == ["$0.00", "$0.05", "$1,234.56"]


@pytest.mark.parametrize("template", ["orderReceipt", "orderQRCode", "orderQRCodeOnDay"])
def test_templates_render_with_branding_items_and_totals(template: str) -> None:
    html, text = EmailRenderer().render(template, context(template))
    for part in (html, text):
        assert "Ada" in part and "2 x GA" in part and "$25.00" in part and "$55.50" in part
        assert "Sales tax" in part and "$2.50" in part and "ord1" in part
    assert "#336699" in html and 'src="https://cdn.example/logo.png"' in html
    assert "Owl &amp; Co" in html and "Owl & Co" in text
    assert "Dec 31st" in text and "5:00 PM" in text
    if template == "orderReceipt":
        assert "q.png" not in html and "Wed, Dec 17th" in text
    else:
        assert 'src="https://x.example/q.png?a=1&amp;b=2"' in html


def test_hostile_event_names_are_escaped_in_html() -> None:
    html, text = EmailRenderer().render("orderQRCode", context(name=HOSTILE))
    assert "<script>" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Friends" in html
    assert '<script>alert("x")</script>' in text  # plain text is not HTML: shown as written


def test_promoter_settings_cannot_break_out_of_attributes() -> None:
    html, _ = EmailRenderer().render(
        "orderQRCode",
        context(orgColorHex='red;background:url("https://evil")', orgLogoUrl='javascript:alert(1)"'),
    )
    assert "evil" not in html and "javascript:" not in html
    assert "#1b1b2f" in html  # the default colour instead


def test_the_calendar_has_one_event_per_day_in_the_venue_time_zone() -> None:
    _, venue, event, order = world(name=HOSTILE, days=3)
    ics = calendar_invite(event, venue, order.id, START).decode()
    assert ics.count("BEGIN:VCALENDAR") == 1 and ics.count("BEGIN:VEVENT") == 3
    assert "BEGIN:VTIMEZONE" in ics and "TZID:America/Denver" in ics
    assert "DTSTART;TZID=America/Denver:20251231T170000" in ics
    assert "DTSTART;TZID=America/Denver:20260102T170000" in ics
    assert "LOCATION:The Roost\\, 1 Main St\\, Denver\\, CO 80202" in ics
    # Commas, semicolons and line breaks in the name are escaped, not new properties.
    assert 'SUMMARY:<script>alert("x")</script> & Friends\\, Live\\; Again\\nNew line' in ics.replace(
        "\r\n ", ""
    )


def test_an_unknown_time_zone_falls_back_to_denver() -> None:
    _, venue, event, order = world(tz="Mars/Olympus")
    assert "TZID=America/Denver" in calendar_invite(event, venue, order.id, START).decode()


@pytest.mark.skipif(
    not compile_templates.mjml_available(),
    reason="node or emulator/node_modules/mjml is missing (run `make install`): cannot recompile MJML",
)
def test_the_committed_html_is_what_the_mjml_sources_compile_to() -> None:
    assert compile_templates.stale() == [], "run `python -m emulator.compile_templates` and commit the HTML"
