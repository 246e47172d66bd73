"""Analytics end to end (SPEC 5.17 R-AN, 4.2 `orderAnalytics`, 4.7 `Event.analytics`,
`UserProfile.analytics`): real box-office orders through GraphQL on the local functions, a real
refund, and the permission rules (ADMIN+ for the root field, SCANNER+ for `Event.analytics`)."""

from __future__ import annotations

import time
from typing import Any

import functions_framework

from shared.adapters.io_stats import counting_io
from shared.bootstrap import services
from shared.domain.models import Event, Order, Organization, UserProfile
from tests.integration.api import Caller, data_of, error_of, gql, staff_of
from tests.integration.checkout_fixtures import DAY, clerk, connected_org, on_sale_event, ticket
from tests.integration.orders_fixtures import make_order
from tests.integration.orders_fixtures import ticket as stored_ticket

CREATE_ORDER = """mutation($p: OrderInput!) { createOrder(params: $p) { _id tickets { _id } } }"""
REFUND = """mutation($o: String!, $t: [String]) {
  refundOrder(orderId: $o, ticketIds: $t, refundReason: "Can't come") { _id state } }"""
ANALYTICS = """query($q: AnalyticsQueryInput!) { orderAnalytics(query: $q) {
  label type interval intervalOptions totalValue coordinates { x y }
  segments { label type totalValue coordinates { x y } } } }"""
EVENT_ANALYTICS = """query($e: String) { event(eventId: $e) { _id
  analytics { label type totalValue segments { label type totalValue } } } }"""
EVENTS_ANALYTICS = """query { events { _id analytics { label segments { label totalValue } } } }"""
PROFILES = """query { userProfilesAdmin { userId
  analytics { label segments { label totalValue } } } }"""

PRICE = 4500
CAPACITY = 10


def _cash_sale(org: Organization, event: Event, tickets: int) -> dict[str, Any]:
    params = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
              "type": "Paid", "tickets": [ticket(event) for _ in range(tickets)]}  # fmt: skip
    created: dict[str, Any] = data_of(clerk(org).gql(CREATE_ORDER, {"p": params}))["createOrder"]
    return created


def _analytics(caller: Caller, **query: Any) -> dict[str, dict[str, Any]]:
    results = data_of(caller.gql(ANALYTICS, {"q": query}))["orderAnalytics"]
    return {r["label"]: r for r in results}


def _segments(result: dict[str, Any]) -> dict[str, Any]:
    return {s["label"]: s["totalValue"] for s in result["segments"]}


def _sold_show() -> tuple[Organization, Event, Caller]:
    """Two cash orders (2 + 1 tickets at 45.00), one ticket of the first refunded before the
    show, so 2 tickets in 2 orders count."""
    org = connected_org()
    event = on_sale_event(org, capacity=CAPACITY, price=PRICE)
    first = _cash_sale(org, event, 2)
    _cash_sale(org, event, 1)
    admin = staff_of(org.id, "ADMIN")
    refunded = data_of(admin.gql(REFUND, {"o": first["_id"], "t": [first["tickets"][0]["_id"]]}))
    assert refunded["refundOrder"]["state"] == "Partial Refund"
    return org, event, admin


def test_overview_and_ticket_sales_count_sales_and_drop_a_refund_made_before_the_show():
    _, event, admin = _sold_show()
    types = ["Overview", "Ticket Sales", "Tickets Sold", "Total Orders"]

    by_event = _analytics(admin, eventId=event.id, types=types)

    overview = by_event["Total Sales"]
    assert (overview["type"], overview["interval"]) == ("Currency", "Hour")
    assert overview["intervalOptions"] == ["Hour", "Day"]
    assert overview["totalValue"] == 2 * PRICE
    assert sum(c["y"] for c in overview["coordinates"]) == 2 * PRICE
    assert _segments(overview) == {"Tickets Sold": 2, "Orders": 2}
    assert by_event["Ticket Sales"]["totalValue"] == 2 * PRICE
    assert _segments(by_event["Ticket Sales"]) == {"General Admission": 2 * PRICE}
    assert by_event["Tickets Sold"]["totalValue"] == 2
    assert by_event["Total Orders"]["totalValue"] == 2

    org_wide = _analytics(admin, types=types)  # no event: same sales, no per-ticket segments
    assert org_wide["Total Sales"]["totalValue"] == 2 * PRICE
    assert org_wide["Ticket Sales"]["segments"] == []
    assert org_wide["Total Orders"]["totalValue"] == 2


def test_another_orgs_orders_are_never_counted():
    org, _, admin = _sold_show()
    other = connected_org("Elsewhere")
    other_event = on_sale_event(other, capacity=CAPACITY, price=1000)
    _cash_sale(other, other_event, 3)
    other_admin = staff_of(other.id, "ADMIN")

    assert _analytics(admin, types=["Total Sales"])["Total Sales"]["totalValue"] == 2 * PRICE
    assert _analytics(other_admin, types=["Total Sales"])["Total Sales"]["totalValue"] == 3 * 1000
    # Naming this org in the header is not enough without a role in it.
    refused = error_of(other_admin.gql(ANALYTICS, {"q": {"types": ["Overview"]}}, org_id=org.id))
    assert refused["message"] == "You do not have permission to do this."


def test_order_analytics_needs_admin_of_the_context_org():
    org, event, _ = _sold_show()
    for role in ("SCANNER", "BOX_OFFICE"):
        error = error_of(staff_of(org.id, role).gql(ANALYTICS, {"q": {"types": ["Overview"]}}))
        assert error["message"] == "You do not have permission to do this."
    assert error_of(gql(ANALYTICS, {"q": {}}))["message"] == "Authentication Required."
    foreign_admin = staff_of(connected_org("Foreign").id, "ADMIN")
    not_found = error_of(foreign_admin.gql(ANALYTICS, {"q": {"eventId": event.id}}))
    assert not_found["message"] == "Event not found."
    bad_type = error_of(staff_of(org.id, "ADMIN").gql(ANALYTICS, {"q": {"types": ["Llamas"]}}))
    assert bad_type["extensions"]["invalidArgs"] == ["query.types"]


def test_event_analytics_for_scanner_and_up_of_the_events_org_and_null_for_others():
    org, event, admin = _sold_show()
    scanner = staff_of(org.id, "SCANNER")

    for caller in (admin, scanner):
        analytics = data_of(caller.gql(EVENT_ANALYTICS, {"e": event.id}))["event"]["analytics"]
        assert (analytics["label"], analytics["type"]) == ("Event Analytics", "Quantity")
        segments = {s["label"]: s for s in analytics["segments"]}
        assert segments["Sold Out"]["type"] == "Percent"
        assert segments["Sold Out"]["totalValue"] == 100 * 2 / CAPACITY
        assert segments["Total Sales"]["totalValue"] == 2 * PRICE

    listed = data_of(scanner.gql(EVENTS_ANALYTICS))["events"]
    assert [(e["_id"], _segments(e["analytics"])["Total Sales"]) for e in listed] == [(event.id, 2 * PRICE)]

    assert data_of(gql(EVENT_ANALYTICS, {"e": event.id}))["event"]["analytics"] is None
    foreign_admin = staff_of(connected_org("Foreign").id, "ADMIN")
    assert data_of(foreign_admin.gql(EVENT_ANALYTICS, {"e": event.id}))["event"]["analytics"] is None


def _past_event(org: Organization) -> Event:
    now = int(time.time())
    event = Event.model_validate({"orgId": org.id, "createdAt": now - 10 * DAY, "name": "Last week",
                                  "schedule": {"startsAt": now - 2 * DAY}})  # fmt: skip
    return services().store.events.create(event)


def test_a_refund_after_the_show_still_counts_for_the_event_but_not_org_wide():
    org = connected_org()
    event = _past_event(org)
    now = int(time.time())
    refund = {"refunded": True, "refundedAt": now - DAY, "refundedBy": "x", "refundedAmount": 2500}
    make_order(event, created_at=now - 5 * DAY, state="Partial Refund",
               tickets=[stored_ticket(), stored_ticket(refund=refund, state="Canceled")])  # fmt: skip
    admin = staff_of(org.id, "ADMIN")

    by_event = _analytics(admin, eventId=event.id, types=["Tickets Sold"])
    assert by_event["Tickets Sold"]["totalValue"] == 2
    org_wide = _analytics(admin, types=["Tickets Sold"])
    assert org_wide["Tickets Sold"]["totalValue"] == 1
    nested = data_of(admin.gql(EVENT_ANALYTICS, {"e": event.id}))["event"]["analytics"]
    assert _segments(nested)["Total Sales"] == 2 * 2500


def test_date_window_and_interval_choice():
    org = connected_org()
    event = _past_event(org)
    now = int(time.time())
    for days_ago in (9, 3, 2):
        make_order(event, created_at=now - days_ago * DAY)
    admin = staff_of(org.id, "ADMIN")

    everything = _analytics(admin, types=["Total Orders"])["Total Orders"]
    assert everything["interval"] == "Day"  # 7 days between the oldest and newest order
    assert everything["totalValue"] == 3
    window = _analytics(admin, types=["Total Orders"], startDate=now - 4 * DAY, endDate=now, interval="Week")
    assert window["Total Orders"]["totalValue"] == 2
    assert window["Total Orders"]["interval"] == "Week"  # asked for, and one of the options


def test_user_profile_analytics_for_box_office_of_the_context_org():
    org = connected_org()
    event = _past_event(org)
    buyer_id = "buyer-" + event.id
    services().store.user_profiles.create(UserProfile(id=buyer_id, userId=buyer_id, orgIds=[org.id]))
    payment = {"paymentMethodType": "Cash", "amount": 2500, "transferAmount": 2500}
    make_order(event, user_id=buyer_id, promotionCode="FRIENDS", payments=[payment])
    elsewhere: Order = make_order(_past_event(connected_org("Elsewhere")), user_id=buyer_id)
    assert elsewhere.orgId != org.id

    profiles = data_of(staff_of(org.id, "BOX_OFFICE").gql(PROFILES))["userProfilesAdmin"]
    (profile,) = [p for p in profiles if p["userId"] == buyer_id]
    assert profile["analytics"]["label"] == "User Analytics"
    assert _segments(profile["analytics"]) == {
        "EventAttendedCount": 1,
        "TicketsPurchasedCount": 1,  # the order in the other org is not counted
        "LifeTimeValue": 2500,
    }


def test_the_event_list_reads_every_events_analytics_in_one_batch():
    client = functions_framework.create_app("handle", "functions/graphql/main.py").test_client()

    def round_trips(events: int) -> tuple[int, int]:
        org = connected_org()
        for _ in range(events):
            make_order(_past_event(org))
        headers = {"Authorization": f"Bearer {staff_of(org.id, 'SCANNER').token}", "X-Org-Id": org.id}
        client.post("/graphql", json={"query": "{ user { _id } }"}, headers=headers)  # user exists
        with counting_io() as stats:
            body = client.post("/graphql", json={"query": EVENTS_ANALYTICS}, headers=headers).get_json()
        assert "errors" not in body, body
        assert [_segments(e["analytics"])["Total Sales"] for e in body["data"]["events"]] == [2500] * events
        return stats.round_trips, stats.document_reads

    small, large = round_trips(2), round_trips(12)
    print(f"\nevent list with analytics: 2 events -> {small}, 12 events -> {large} (round trips, reads)")
    assert large[0] == small[0]


def test_one_order_analytics_request_is_one_event_read_and_one_orders_query():
    client = functions_framework.create_app("handle", "functions/graphql/main.py").test_client()
    org = connected_org()
    event = _past_event(org)
    for _ in range(5):
        make_order(event)
    admin = staff_of(org.id, "ADMIN")
    headers = {"Authorization": f"Bearer {admin.token}", "X-Org-Id": org.id}
    client.post("/graphql", json={"query": "{ user { _id } }"}, headers=headers)
    query = {"eventId": event.id, "types": ["Overview", "Ticket Sales", "Event Analytics"]}
    with counting_io() as stats:
        body = client.post("/graphql", json={"query": ANALYTICS, "variables": {"q": query}}, headers=headers)
    assert "errors" not in body.get_json(), body.get_json()
    print(f"\norderAnalytics by event: {stats.round_trips} round trips, {stats.document_reads} reads")
    # Caller's user and roles, then the event and the orders (5 documents), nothing per type.
    with counting_io() as org_wide:
        client.post("/graphql", json={"query": ANALYTICS, "variables": {"q": {"types": ["Overview"]}}},
                    headers=headers)  # fmt: skip
    assert stats.round_trips == org_wide.round_trips + 1  # the event read
    assert stats.document_reads - org_wide.document_reads == 1
