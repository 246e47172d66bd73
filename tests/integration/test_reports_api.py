"""CSV reports end to end (SPEC 5.18 R-RP-1/R-RP-2): orders sold and refunded through GraphQL on the
local functions, both reports generated, and the CSV downloaded through the returned signed URL
from the storage emulator."""

from __future__ import annotations

import csv
import io
import time
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import requests

from emulator import config
from shared.bootstrap import services
from shared.domain.models import Event, Organization, Venue
from tests.integration.api import data_of, error_of, new_user, staff_of, user_id_of
from tests.integration.checkout_fixtures import add_fees, clerk, connected_org, on_sale_event, ticket
from tests.integration.orders_fixtures import make_event, make_order

CREATE_ORDER = "mutation($p: OrderInput!) { createOrder(params: $p) { _id } }"
REFUND = """mutation($o: String!, $t: [String]) { refundOrder(orderId: $o, ticketIds: $t) {
  _id state refundedAmount } }"""
CANCEL = "mutation($o: String!) { cancelOrder(orderId: $o) { _id state } }"
ORDER_REPORT = "mutation($q: OrderQueryInput) { generateOrderReport(query: $q) { url message } }"
ACTIVITY_REPORT = "mutation($q: OrderQueryInput) { generateActivityReport(query: $q) { url message } }"
DENIED = "You do not have permission to do this."


def venue_event(org: Organization) -> Event:
    venue = services().store.venues.create(
        Venue.model_validate({"orgId": org.id, "name": "Harbor Hall", "createdAt": int(time.time()),
                              "createdBy": "t", "address": {"timezone": "America/New_York"}})
    )  # fmt: skip
    event = on_sale_event(org, price=4500, venueId=venue.id)
    add_fees(org, event)
    return event


def cash_order(org: Organization, event: Event, tickets: int) -> str:
    params = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
              "type": "Paid", "tickets": [ticket(event) for _ in range(tickets)]}  # fmt: skip
    return str(data_of(clerk(org).gql(CREATE_ORDER, {"p": params}))["createOrder"]["_id"])


def download(result: dict[str, Any], field: str) -> list[dict[str, str]]:
    report = data_of(result)[field]
    assert report["message"] == "Your report is ready."
    response = requests.get(report["url"], timeout=10)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_order_and_activity_reports_of_sold_refunded_and_cancelled_orders() -> None:
    org = connected_org()
    event = venue_event(org)
    refunded_id, canceled_id = cash_order(org, event, 2), cash_order(org, event, 1)
    buyer = new_user()
    buyer_id = user_id_of(buyer)
    services().store.users.update(buyer_id, {"firstName": "Ada", "lastName": "Lovelace"})
    answered = make_order(
        event,
        user_id=buyer_id,
        customFields=[{"label": "Note", "value": "=1+1", "customFieldId": "c", "type": "Text"}],
    )
    other_org = connected_org("Elsewhere")
    theirs = make_order(make_event(other_org.id), user_id=buyer_id)
    admin = staff_of(org.id, "ADMIN")
    refunded_ticket = services().store.orders.get(refunded_id).tickets[0].id  # type: ignore[union-attr]
    assert data_of(admin.gql(REFUND, {"o": refunded_id, "t": [refunded_ticket]}))["refundOrder"]["state"] == (
        "Partial Refund"
    )
    assert data_of(admin.gql(CANCEL, {"o": canceled_id}))["cancelOrder"]["state"] == "Canceled"

    result = admin.gql(ORDER_REPORT)
    url = urlparse(data_of(result)["generateOrderReport"]["url"])
    assert url.path.startswith(f"/{config.REPORTS_BUCKET}/reports/{org.id}/") and url.path.endswith(".csv")
    assert "X-Goog-Signature=" in url.query  # a signed link to a private object
    rows = {r["orderId"]: r for r in download(result, "generateOrderReport")}

    assert set(rows) == {refunded_id, canceled_id, answered.id}  # never the other org's order
    assert theirs.id not in rows
    refunded = rows[refunded_id]
    stored = services().store.orders.get(refunded_id)
    assert stored is not None
    paid = Decimal(stored.payments[0].amount) / 100
    assert (refunded["state"], refunded["venueName"], refunded["eventName"]) == (
        "Partial Refund", "Harbor Hall", "Checkout Live",
    )  # fmt: skip
    assert (refunded["userFirstName"], refunded["userPhoneNumber"]) == ("Guest", "N/A")
    assert refunded["createdAt"].endswith(("(EST)", "(EDT)"))  # the venue's zone, not Denver's
    assert Decimal(refunded["total"]) == paid and Decimal(refunded["refund"]) == Decimal("45.00")
    assert Decimal(refunded["net"]) == paid - Decimal("45.00")
    fees = Decimal(refunded["selloutFee"]) + Decimal(refunded["stripeFee"]) + Decimal(refunded["promoterFee"])
    assert fees > 0 and Decimal(refunded["subtotal"]) + fees == paid
    assert (refunded["General Admission Ticket Sold"], refunded["General Admission Ticket Refunded"],
            refunded["General Admission Ticket Net"]) == ("2", "1", "1")  # fmt: skip
    assert (rows[canceled_id]["state"], rows[canceled_id]["General Admission Ticket Net"]) == (
        "Canceled",
        "0",
    )
    named = rows[answered.id]
    assert (named["userFirstName"], named["userLastName"], named["userEmail"]) == (
        "Ada", "Lovelace", buyer.email,
    )  # fmt: skip
    assert named["Note"] == "'=1+1"  # a formula typed into a custom field stays text
    assert rows[refunded_id]["Note"] == ""

    activity = download(admin.gql(ACTIVITY_REPORT), "generateActivityReport")
    kinds = sorted(r["Sale/Refund/Cancel"] for r in activity)
    assert kinds == ["Cancel", "Refund", "Sale", "Sale", "Sale"]
    [refund_row] = [r for r in activity if r["Sale/Refund/Cancel"] == "Refund"]
    assert (refund_row["Refunded Amt."], refund_row["Total"], refund_row["Refunded Tickets"]) == (
        "45.00", "-45.00", "1",
    )  # fmt: skip
    assert refund_row["Cash/Credit/Check"] == "Cash" and refund_row["Refunded Day"]
    [cancel_row] = [r for r in activity if r["Sale/Refund/Cancel"] == "Cancel"]
    assert (cancel_row["Number of Tickets"], cancel_row["Total"]) == ("1", "0.00")
    assert {r["Event"] for r in activity} == {"Checkout Live"}


def test_reports_use_the_orders_query_filters() -> None:
    org = connected_org()
    event = venue_event(org)
    first, second = cash_order(org, event, 1), cash_order(org, event, 1)
    other_event = make_event(org.id, name="Other show")
    elsewhere = make_order(other_event)
    admin = staff_of(org.id, "ADMIN")

    by_event = download(admin.gql(ORDER_REPORT, {"q": {"eventIds": [event.id]}}), "generateOrderReport")
    assert sorted(r["orderId"] for r in by_event) == sorted([first, second])
    by_id = download(admin.gql(ORDER_REPORT, {"q": {"orderIds": [elsewhere.id]}}), "generateOrderReport")
    assert [r["orderId"] for r in by_id] == [elsewhere.id]
    # another org's event named in the query: nothing of theirs, an empty report with its header
    theirs = make_event(connected_org("Elsewhere").id)
    make_order(theirs)
    empty = requests.get(
        data_of(admin.gql(ORDER_REPORT, {"q": {"eventIds": [theirs.id]}}))["generateOrderReport"]["url"],
        timeout=10,
    )
    lines = empty.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 and lines[0].startswith("orderId,createdAt,")


def test_only_admins_of_the_context_org_get_reports() -> None:
    org, other = connected_org(), connected_org("Elsewhere")
    event = venue_event(org)
    cash_order(org, event, 1)
    theirs = make_order(make_event(other.id))
    scanner, box_office = staff_of(org.id, "SCANNER"), staff_of(org.id, "BOX_OFFICE")
    their_admin = staff_of(other.id, "ADMIN")

    for caller in (scanner, box_office):
        for mutation in (ORDER_REPORT, ACTIVITY_REPORT):
            assert error_of(caller.gql(mutation))["message"] == DENIED
    # the other org's admin pointing its context at this org is refused ...
    assert error_of(their_admin.gql(ORDER_REPORT, org_id=org.id))["message"] == DENIED
    # ... and in its own org sees only its own orders, whatever query.orgId says
    rows = download(their_admin.gql(ORDER_REPORT, {"q": {"orgId": [org.id]}}), "generateOrderReport")
    assert [r["orderId"] for r in rows] == [theirs.id]
    no_org = error_of(new_user().gql(ORDER_REPORT))
    assert (no_org["message"], no_org["extensions"]["invalidArgs"]) == ("Invalid Fields", ["orgId"])


CUSTOMER_REPORT = """mutation($q: UserProfileQueryInput) {
  generateUserProfileReport(query: $q) { url message } }"""


def test_the_customer_report_shows_each_customers_value_in_this_organization_only() -> None:
    org, other = connected_org(), connected_org("Elsewhere")
    event = venue_event(org)
    buyer = new_user()
    buyer_id = user_id_of(buyer)
    services().store.user_profiles.update(buyer_id, {"firstName": "=HYPERLINK(1)", "lastName": "Lovelace"})
    params = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
              "type": "Paid", "userId": buyer_id, "tickets": [ticket(event), ticket(event)]}  # fmt: skip
    order_id = data_of(clerk(org).gql(CREATE_ORDER, {"p": params}))["createOrder"]["_id"]
    elsewhere = on_sale_event(other, price=9900)
    params = {"orgId": other.id, "eventId": elsewhere.id, "channel": "Box Office",
              "paymentMethodType": "Cash", "type": "Paid", "userId": buyer_id,
              "tickets": [ticket(elsewhere)]}  # fmt: skip
    data_of(clerk(other).gql(CREATE_ORDER, {"p": params}))
    order = services().store.orders.get(order_id)
    assert order is not None

    admin = staff_of(org.id, "ADMIN")
    rows = download(admin.gql(CUSTOMER_REPORT, {"q": {}}), "generateUserProfileReport")
    assert rows == [
        {
            "Name": "'=HYPERLINK(1) Lovelace",  # a spreadsheet shows it, never runs it
            "Email": buyer.email,
            "Phone Number": "",
            "Events": "1",
            "LTV": f"{Decimal(order.payments[0].transferAmount) / 100:.2f}",  # this org's only
        }
    ]
    assert error_of(clerk(org).gql(CUSTOMER_REPORT, {"q": {}}))["message"] == DENIED
