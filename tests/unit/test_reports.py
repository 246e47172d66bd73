"""The CSV reports' rows and cells (SPEC 5.18 R-RP-1/R-RP-2), built from orders in memory, and the
report service's authorization, size limit and batched reads with fakes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.domain import reports
from shared.domain.models import Address, Event, Fee, Metrics, Order, Role, User, UserProfile, Venue
from shared.domain.permissions import Principal
from shared.domain.reports import ReportOrder
from shared.errors import DomainError, ErrorCode
from shared.services.reports import ReportService

DENVER = ZoneInfo("America/Denver")
# 2026-01-15 18:05 in Denver (MST, UTC-7)
SOLD_AT = int(datetime(2026, 1, 15, 18, 5, tzinfo=DENVER).timestamp())
REFUNDED_AT = int(datetime(2026, 7, 4, 9, 30, tzinfo=DENVER).timestamp())  # MDT


def fee(name: str, applied_by: str, amount: int) -> dict[str, Any]:
    return Fee.model_validate({
        "name": name, "type": "Flat", "value": 1, "appliedBy": applied_by, "createdBy": "t",
        "createdAt": 0, "updatedBy": "t", "updatedAt": 0, "amount": str(amount),
    }).doc()  # fmt: skip


FEES = [fee("Platform", "Sellout", 150), fee("Card", "Stripe", 80), fee("Venue", "Organization", 200),
        fee("Sales tax", "Organization", 55)]  # fmt: skip


def ticket(name: str = "GA", price: int = 2500, **fields: Any) -> dict[str, Any]:
    return {"name": name, "ticketTypeId": name, "ticketTierId": "tier", "price": price,
            "origionalPrice": price, "scan": [{"startsAt": 0}], **fields}  # fmt: skip


def upgrade(name: str = "Parking", price: int = 500, **fields: Any) -> dict[str, Any]:
    return {"name": name, "upgradeId": name, "price": price, **fields}


def refund(amount: int, at: int = REFUNDED_AT) -> dict[str, Any]:
    return {"refunded": True, "refundedAt": at, "refundedBy": "u", "refundedAmount": amount}


def order(**fields: Any) -> Order:
    data: dict[str, Any] = {
        "_id": "ord1", "orgId": "org", "eventId": "ev", "eventName": "Night Owls", "userId": "buyer",
        "email": "buyer@example.com", "createdAt": SOLD_AT, "createdBy": "buyer",
        "tickets": [ticket(), ticket()], "upgrades": [upgrade()], "fees": FEES,
        "payments": [{"amount": 5985, "paymentMethodType": "Card Entry"}],
    }  # fmt: skip
    return Order.model_validate({**data, **fields})


BUYER = User(_id="buyer", createdAt=0, firstName="Ada", lastName="Lovelace", email="ada@example.com",
             phoneNumber="5551234567")  # fmt: skip
VENUE = Venue.model_validate({"_id": "v", "orgId": "org", "name": "The Hall", "createdAt": 0,
                              "createdBy": "t", "address": {"timezone": "America/Denver"}})  # fmt: skip
EVENT = Event(_id="ev", orgId="org", createdAt=0, name="Night Owls", venueId="v")


def item(o: Order, buyer: User | None = BUYER) -> ReportOrder:
    return ReportOrder(order=o, buyer=buyer, event=EVENT, venue=VENUE)


def parsed(report: reports.Report) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(report.csv_bytes().decode("utf-8-sig"))))


# --- cells ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cents", "text"), [(0, "0.00"), (5, "0.05"), (1234, "12.34"), (-1250, "-12.50"),
                                             (100000, "1000.00")])  # fmt: skip
def test_money_is_dollars_with_two_decimals(cents: int, text: str) -> None:
    assert str(reports.dollars(cents)) == text


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1555", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_a_spreadsheet_would_run_gets_an_apostrophe(text: str) -> None:
    assert reports.safe_cell(text) == "'" + text


def test_plain_text_and_numbers_are_written_as_they_are() -> None:
    assert reports.safe_cell("Ada = Lovelace") == "Ada = Lovelace"
    assert reports.safe_cell(Decimal("-12.50")) == "-12.50"  # our own number, not a formula
    assert reports.safe_cell(3) == "3"


def test_dates_are_local_to_the_venue_with_the_zone() -> None:
    assert reports.format_time(SOLD_AT, EVENT, VENUE) == "01/15/2026, 6:05pm(MST)"
    assert reports.format_time(REFUNDED_AT, EVENT, VENUE) == "07/04/2026, 9:30am(MDT)"
    noon_ny = int(datetime(2026, 1, 15, 12, 0, tzinfo=ZoneInfo("America/New_York")).timestamp())
    located = EVENT.model_copy(update={"location": Address(timezone="America/New_York")})
    assert reports.format_time(noon_ny, located, VENUE) == "01/15/2026, 12:00pm(EST)"
    assert reports.format_time(SOLD_AT, None, None) == "01/15/2026, 6:05pm(MST)"  # Denver fallback


# --- R-RP-1 ----------------------------------------------------------------------------------------


def test_the_order_report_has_the_spec_columns_then_ticket_types_upgrades_and_custom_fields() -> None:
    o = order(
        tickets=[ticket("GA"), ticket("VIP", 5000)],
        upgrades=[upgrade("Parking"), upgrade("Poster", 1500)],
        customFields=[{"label": "T-shirt size", "value": "M", "customFieldId": "c", "type": "Text"}],
    )
    report = reports.order_report([item(o)])
    assert report.header == [
        "orderId", "createdAt", "userFirstName", "userLastName", "userEmail", "userPhoneNumber",
        "eventName", "venueName", "state", "subtotal", "selloutFee", "stripeFee", "total", "refund",
        "net", "promoterFee", "ticketsValue", "scannedCount",
        "GA Ticket Sold", "GA Ticket Refunded", "GA Ticket Net",
        "VIP Ticket Sold", "VIP Ticket Refunded", "VIP Ticket Net",
        "Parking Upgrade", "Poster Upgrade", "T-shirt size",
    ]  # fmt: skip


def test_an_order_row_reads_money_from_the_payment_and_the_fee_snapshot() -> None:
    o = order(
        tickets=[ticket(refund=refund(2500), state="Canceled"), ticket(scan=[{"scanned": True}])],
        upgrades=[upgrade(scan={"scanned": True})],
        refundedAmount=2500,
        state="Partial Refund",
    )
    [row] = parsed(reports.order_report([item(o)]))
    assert row == {
        "orderId": "ord1", "createdAt": "01/15/2026, 6:05pm(MST)", "userFirstName": "Ada",
        "userLastName": "Lovelace", "userEmail": "ada@example.com", "userPhoneNumber": "5551234567",
        "eventName": "Night Owls", "venueName": "The Hall", "state": "Partial Refund",
        "subtotal": "55.00",  # 59.85 paid − 4.85 of snapshot fees
        "selloutFee": "1.50", "stripeFee": "0.80", "total": "59.85", "refund": "25.00",
        "net": "34.85", "promoterFee": "2.55",  # 2.00 venue fee + 0.55 sales tax
        "ticketsValue": "0.00", "scannedCount": "2",
        "GA Ticket Sold": "2", "GA Ticket Refunded": "1", "GA Ticket Net": "1", "Parking Upgrade": "1",
    }  # fmt: skip


def test_a_guest_order_shows_guest_and_the_delivery_email() -> None:
    o = order(userId="", email="walkup@example.com")
    [row] = parsed(reports.order_report([item(o, buyer=None)]))
    assert (row["userFirstName"], row["userLastName"], row["userEmail"], row["userPhoneNumber"]) == (
        "Guest",
        "",
        "walkup@example.com",
        "N/A",
    )


def test_an_rsvp_order_reports_ticket_values_and_no_money() -> None:
    o = order(type="RSVP", payments=[{"amount": 0, "paymentMethodType": "None"}], fees=[],
              tickets=[ticket(price=0, values="1500"), ticket(price=0, values="1500"),
                       ticket(price=0, values="1500", state="Canceled")])  # fmt: skip
    [row] = parsed(reports.order_report([item(o)]))
    assert row["ticketsValue"] == "30.00"  # the cancelled ticket is not worth anything any more
    assert (row["total"], row["subtotal"], row["selloutFee"], row["net"]) == ("0.00", "0.00", "0.00", "0.00")


def test_ticket_type_columns_are_shared_across_orders_and_zero_where_absent() -> None:
    first = order(_id="a", tickets=[ticket("GA")], upgrades=[])
    second = order(_id="b", tickets=[ticket("VIP"), ticket("VIP", state="Canceled")], upgrades=[])
    rows = parsed(reports.order_report([item(first), item(second)]))
    assert [r["orderId"] for r in rows] == ["a", "b"]
    assert (rows[0]["GA Ticket Sold"], rows[0]["VIP Ticket Sold"]) == ("1", "0")
    assert (rows[1]["VIP Ticket Sold"], rows[1]["VIP Ticket Refunded"], rows[1]["VIP Ticket Net"]) == (
        "2", "0", "1",
    )  # fmt: skip


def test_buyer_text_and_header_names_cannot_inject_formulas() -> None:
    buyer = BUYER.model_copy(update={"firstName": "=cmd|' /C calc'!A0", "phoneNumber": "+15551234567"})
    o = order(
        eventName="@Event",
        tickets=[ticket("-VIP")],
        customFields=[{"label": "=Label", "value": "+value", "customFieldId": "c", "type": "Text"}],
    )
    text = reports.order_report([item(o, buyer)]).csv_bytes().decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text)))
    assert "'-VIP Ticket Sold" in header and "'=Label" in header
    assert "'=cmd|' /C calc'!A0" in row and "'+15551234567" in row and "'@Event" in row
    assert "'+value" in row
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in header + row)


def test_csv_bytes_are_utf8_with_a_bom_and_crlf_rows() -> None:
    buyer = BUYER.model_copy(update={"firstName": "José"})
    data = reports.order_report([item(order(), buyer)]).csv_bytes()
    assert data.startswith(b"\xef\xbb\xbforderId,")
    assert "José".encode() in data and data.count(b"\r\n") == 2


# --- R-RP-2 ----------------------------------------------------------------------------------------


def test_a_sale_is_one_activity_row() -> None:
    [row] = parsed(reports.activity_report([item(order())]))
    assert row == {
        "Date": "01/15/2026, 6:05pm(MST)", "First Name": "Ada", "Last Name": "Lovelace",
        "Event": "Night Owls", "Type": "Paid", "Sale/Refund/Cancel": "Sale", "Cash/Credit/Check": "Credit",
        "Number of Tickets": "2", "Ticket Total": "50.00", "Number of Upgrades": "1",
        "Upgrade Total": "5.00", "Promoter Fee": "2.00", "Sales Tax": "0.55", "Sellout Fee": "1.50",
        "Stripe Fee": "0.80", "Refunded Amt.": "0.00", "Refunded Day": "", "Refunded Tickets": "0",
        "Total": "59.85",
    }  # fmt: skip


def test_each_refund_is_a_row_from_the_item_and_fee_refund_records() -> None:
    later = REFUNDED_AT + 86_400
    o = order(
        tickets=[
            ticket(refund=refund(2500), state="Canceled"),
            ticket(refund=refund(2500, later), state="Canceled"),
        ],
        upgrades=[upgrade(refund=refund(500, later), state="Canceled")],
        processingFee={"refund": refund(230, later)},
        promoterFee={"refund": refund(255, later)},
        refundedAmount=5985,
        state="Refunded",
    )
    sale, first, second = parsed(reports.activity_report([item(o)]))
    assert sale["Sale/Refund/Cancel"] == "Sale"
    assert {k: first[k] for k in ("Date", "Sale/Refund/Cancel", "Number of Tickets", "Ticket Total",
                                  "Number of Upgrades", "Promoter Fee", "Sellout Fee", "Refunded Amt.",
                                  "Refunded Day", "Refunded Tickets", "Total")} == {
        "Date": "07/04/2026, 9:30am(MDT)", "Sale/Refund/Cancel": "Refund", "Number of Tickets": "1",
        "Ticket Total": "25.00", "Number of Upgrades": "0", "Promoter Fee": "0.00", "Sellout Fee": "0.00",
        "Refunded Amt.": "25.00", "Refunded Day": "07/04/2026", "Refunded Tickets": "1", "Total": "-25.00",
    }  # fmt: skip
    assert (second["Date"], second["Number of Tickets"], second["Upgrade Total"]) == (
        "07/05/2026, 9:30am(MDT)", "1", "5.00",
    )  # fmt: skip
    assert (second["Promoter Fee"], second["Sales Tax"], second["Sellout Fee"], second["Stripe Fee"]) == (
        "2.00", "0.55", "1.50", "0.80",
    )  # fmt: skip
    assert (second["Refunded Amt."], second["Total"]) == ("34.85", "-34.85")
    total = sum(Decimal(r["Total"]) for r in (sale, first, second))
    assert total == 0  # everything paid went back


def test_items_cancelled_without_a_refund_are_one_cancel_row_without_money() -> None:
    o = order(
        tickets=[ticket(state="Canceled"), ticket(refund=refund(2500), state="Canceled"), ticket()],
        upgrades=[upgrade(state="Canceled")],
        payments=[{"amount": 7500, "paymentMethodType": "Cash"}],
        fees=[],
    )
    rows = parsed(reports.activity_report([item(o, buyer=None)]))
    assert [r["Sale/Refund/Cancel"] for r in rows] == ["Sale", "Refund", "Cancel"]
    cancel = rows[2]
    assert (cancel["Number of Tickets"], cancel["Ticket Total"], cancel["Number of Upgrades"]) == (
        "1", "25.00", "1",
    )  # fmt: skip
    assert (cancel["Total"], cancel["Refunded Amt."], cancel["Date"]) == ("0.00", "0.00", "")
    assert {r["First Name"] for r in rows} == {"Guest"}
    assert {r["Cash/Credit/Check"] for r in rows} == {"Cash"}


def test_an_rsvp_sale_has_no_payment_kind_and_no_money() -> None:
    o = order(type="RSVP", payments=[{"amount": 0, "paymentMethodType": "None"}], fees=[],
              tickets=[ticket(price=0)], upgrades=[])  # fmt: skip
    [row] = parsed(reports.activity_report([item(o)]))
    assert (row["Type"], row["Cash/Credit/Check"], row["Total"], row["Ticket Total"]) == (
        "RSVP", "None", "0.00", "0.00",
    )  # fmt: skip


# --- service -------------------------------------------------------------------------------------


class Repo:
    def __init__(self, items: Iterable[Any]) -> None:
        self.items = {i.id: i for i in items}
        self.batches: list[list[str]] = []

    def get_many(self, ids: Iterable[str]) -> dict[str, Any]:
        wanted = list(ids)
        self.batches.append(wanted)
        return {i: self.items[i] for i in wanted if i in self.items}


class Catalog:
    def __init__(self) -> None:
        other_venue = VENUE.model_copy(update={"id": "v2", "orgId": "other", "name": "Not Ours"})
        self.users = Repo([BUYER])
        self.events = Repo([EVENT, EVENT.model_copy(update={"id": "ev2", "venueId": "v2"})])
        self.venues = Repo([VENUE, other_venue])


class Storage:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def put_csv(self, name: str, data: bytes, filename: str) -> None:
        self.objects[name] = (data, filename)

    def report_url(self, name: str, expires_at: int) -> str:
        return f"https://signed/{name}?expires={expires_at}"


def principal(role: str, org: str = "org", context: str = "org") -> Principal:
    user = User(_id="me", createdAt=0, orgContextId=context)
    roles = [Role.model_validate({"orgId": org, "userId": "me", "userEmail": "me@x", "role": role,
                                  "createdAt": 0, "createdBy": "me", "acceptedAt": 1})]  # fmt: skip
    return Principal(user=user, token="t", claims={}, roles_loader=lambda _: roles)


def service(orders: list[Order], limit: int = 500) -> tuple[ReportService, Storage, Catalog, list[Any]]:
    storage, catalog, calls = Storage(), Catalog(), []

    def find(org_id: str, query: Mapping[str, Any] | None, cap: int | None) -> list[Order]:
        calls.append((org_id, query, cap))
        return orders

    svc = ReportService(catalog, find, lambda: storage, clock=lambda: 1_000, sync_limit=limit)  # type: ignore[arg-type]  # duck-typed fakes
    return svc, storage, catalog, calls


def test_an_admin_gets_a_signed_url_to_a_private_report_of_the_context_org() -> None:
    orders = [order(_id=f"o{n}") for n in range(3)] + [order(_id="o3", eventId="ev2", userId="")]
    svc, storage, catalog, calls = service(orders)
    result = svc.order_report(principal("ADMIN"), {"eventIds": ["ev"]})
    [(name, (data, filename))] = storage.objects.items()
    assert name.startswith("reports/org/") and name.endswith(".csv")
    assert result == {
        "url": f"https://signed/{name}?expires={1_000 + 3600}",
        "message": "Your report is ready.",
    }
    assert filename == "orders-1970-01-01.csv"
    assert calls == [("org", {"eventIds": ["ev"]}, 501)]  # ask for one more than allowed
    # one batched read per kind, whatever the number of orders
    assert catalog.users.batches == [["buyer"]]
    assert catalog.events.batches == [["ev", "ev2"]]
    assert catalog.venues.batches == [["v", "v2"]]
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["venueName"] for r in rows] == ["The Hall"] * 3 + [""]  # another org's venue: not shown


def test_orders_of_another_org_never_reach_the_report() -> None:
    svc, storage, _, _ = service([order(_id="mine"), order(_id="theirs", orgId="other")])
    svc.order_report(principal("OWNER"), None)
    [(data, _)] = storage.objects.values()
    ids = [r["orderId"] for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))]
    assert ids == ["mine"]


@pytest.mark.parametrize("role", ["SCANNER", "BOX_OFFICE", "USER"])
def test_staff_below_admin_are_refused_and_nothing_is_written(role: str) -> None:
    svc, storage, _, calls = service([order()])
    with pytest.raises(DomainError) as error:
        svc.order_report(principal(role), None)
    assert error.value.code == ErrorCode.FORBIDDEN
    assert (storage.objects, calls) == ({}, [])


def test_an_admin_of_another_org_is_refused_in_this_one() -> None:
    svc, storage, _, _ = service([order()])
    other_admin = principal("ADMIN", org="other", context="org")  # context: an org it has no role in
    with pytest.raises(DomainError):
        svc.activity_report(other_admin, None)
    assert storage.objects == {}


def test_more_orders_than_the_limit_is_a_clear_error_and_nothing_is_written() -> None:
    svc, storage, _, calls = service([order(_id=f"o{n}") for n in range(3)], limit=2)
    with pytest.raises(DomainError) as error:
        svc.order_report(principal("ADMIN"), None)
    assert error.value.code == ErrorCode.LIMIT_EXCEEDED and "more than 2 orders" in error.value.message
    assert storage.objects == {} and calls[0][2] == 3


def test_customer_report_rows_use_the_orgs_metrics_entry_and_guard_formulas():
    ada = UserProfile.model_validate(
        {"_id": "u1", "userId": "u1", "firstName": "Ada", "lastName": "Lovelace", "email": "a@x.io",
         "phoneNumber": "+15555550100"}
    )  # fmt: skip
    nobody = UserProfile.model_validate({"_id": "u2", "userId": "u2", "email": "=cmd@x.io"})
    entry = Metrics(_id="m", orgId="org", createdAt=1, eventIds=["e1", "e2"], lifeTimeValue=123456)
    report = reports.customer_report([(ada, entry), (nobody, None)])
    assert report.header == ["Name", "Email", "Phone Number", "Events", "LTV"]
    assert report.rows == [
        ["Ada Lovelace", "a@x.io", "+15555550100", 2, Decimal("1234.56")],
        ["", "=cmd@x.io", "", 0, Decimal("0.00")],
    ]
    lines = report.csv_bytes().decode("utf-8-sig").splitlines()
    assert lines[1] == "Ada Lovelace,a@x.io,'+15555550100,2,1234.56"
    assert lines[2] == ",'=cmd@x.io,,0,0.00"
