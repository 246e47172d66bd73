"""Order reads and check-in edits through the GraphQL function over HTTP (SPEC 4.2/4.3/4.7,
R-ORD-12, R-SCAN-6, D-11), with real ID tokens."""

from __future__ import annotations

import json
from typing import Any

import functions_framework

from shared.adapters.io_stats import counting_io
from shared.bootstrap import services
from shared.domain.models import Artist, Fee, UserProfile
from tests.integration.api import data_of, error_of, gql, make_org, new_user, staff_of, user_id_of
from tests.integration.orders_fixtures import DAY, make_event, make_order, now, ticket, upgrade

ORDER = """query($id: String) { order(orderId: $id) { _id orgId userId eventName state
  tickets { _id name state scan { scanned scannedAt scannedBy startsAt } }
  upgrades { _id scan { scanned } } } }"""
ORDERS = """query($q: OrderQueryInput, $p: PaginationInput) { orders(query: $q, pagination: $p) {
  _id createdAt } }"""
DETAILS = """query($id: String) { orderDetails(eventId: $id) {
  eventId ticketSold ticketScanned ticketUnscanned } }"""
UPDATE = """mutation($p: UpdateOrderInput) { updateOrder(params: $p) {
  _id email tickets { _id scan { scanned scannedAt scannedBy startsAt } } } }"""
GUEST = "mutation($p: UpdateGuestOrderInput) { updateGuestOrder(params: $p) { _id email } }"


def ids(result: dict[str, Any]) -> list[str]:
    return [o["_id"] for o in data_of(result)["orders"]]


def test_an_order_is_visible_to_its_buyer_and_the_orgs_scanners_only():
    org, other = make_org(), make_org("Other")
    buyer = new_user()
    event = make_event(org.id)
    order = make_order(event, user_id=user_id_of(buyer))
    scanner, their_scanner, stranger = staff_of(org.id, "SCANNER"), staff_of(other.id, "ADMIN"), new_user()

    for caller in (buyer, scanner):
        for key in (order.id, order.secretId):
            result = caller.gql(ORDER, {"id": key})
            assert data_of(result)["order"]["_id"] == order.id
            assert order.secretId not in json.dumps(result)  # never echoed, even when sent
    for caller in (stranger, their_scanner):
        error = error_of(caller.gql(ORDER, {"id": order.secretId}))
        assert error["message"] == "You do not have permission to do this."
    assert error_of(gql(ORDER, {"id": order.id}))["message"] == "Authentication Required."
    assert error_of(scanner.gql(ORDER, {"id": "nope"}))["extensions"]["code"] == 404


def test_orders_lists_the_org_for_staff_and_only_their_own_for_everyone_else():
    org, other = make_org(), make_org("Other")
    buyer = new_user()
    buyer_id = user_id_of(buyer)
    event, other_event = make_event(org.id), make_event(other.id)
    mine = make_order(event, user_id=buyer_id, created_at=now() - 30)
    someone = make_order(event, user_id="someone-else", created_at=now() - 20)
    mine_elsewhere = make_order(other_event, user_id=buyer_id, created_at=now() - 10)
    scanner = staff_of(org.id, "SCANNER")

    listed = scanner.gql(ORDERS.replace("_id createdAt", "_id createdAt tickets { _id qrCodeUrl }"))
    assert ids(listed) == [someone.id, mine.id]  # newest first, org scope
    assert mine.secretId not in json.dumps(listed) and someone.secretId not in json.dumps(listed)
    assert ids(buyer.gql(ORDERS)) == [mine_elsewhere.id, mine.id]  # own orders, every org
    assert ids(buyer.gql(ORDERS, org_id=org.id)) == [mine_elsewhere.id, mine.id]  # no role: still own
    assert ids(new_user().gql(ORDERS)) == []
    assert ids(staff_of(other.id, "ADMIN").gql(ORDERS)) == [mine_elsewhere.id]
    # query.orgId: org orders only where the caller is SCANNER+, own orders elsewhere
    assert ids(buyer.gql(ORDERS, {"q": {"orgId": [org.id]}})) == [mine.id]
    assert ids(scanner.gql(ORDERS, {"q": {"orgId": [other.id]}})) == []
    super_user = new_user(superUser=True)
    assert ids(super_user.gql(ORDERS, {"q": {"orgId": [org.id, other.id]}})) == [
        mine_elsewhere.id,
        someone.id,
        mine.id,
    ]
    assert error_of(gql(ORDERS))["message"] == "Authentication Required."


def test_order_filters_any_and_pagination():
    org = make_org()
    store = services().store
    event_a, event_b = make_event(org.id, name="A"), make_event(org.id, name="B")
    artist = store.artists.create(Artist(orgId=org.id, name="Band", createdAt=now(), createdBy="t"))
    buyer = new_user()
    buyer_id = user_id_of(buyer)
    store.user_profiles.save(
        UserProfile(
            _id=buyer_id, userId=buyer_id, firstName="Ada", lastName="Lovelace", phoneNumber="+15551234567"
        )
    )
    store.users.update(buyer_id, {"firstName": "Ada", "lastName": "Lovelace"})
    t0 = now() - 10 * DAY
    o1 = make_order(event_a, user_id=buyer_id, created_at=t0, artistIds=[artist.id])
    o2 = make_order(event_a, created_at=t0 + DAY, state="Refunded", type="Complimentary")
    o3 = make_order(event_b, created_at=t0 + 2 * DAY, hidden=True)
    o4 = make_order(event_b, created_at=t0 + 3 * DAY, email="guest@example.com")
    staff = staff_of(org.id, "SCANNER")

    def query(**q: Any) -> list[str]:
        return ids(staff.gql(ORDERS, {"q": q}))

    assert query(eventIds=[event_a.id]) == [o2.id, o1.id]
    assert query(eventIds=[event_a.id], states=["Active"]) == [o1.id]
    assert query(eventIds=[event_a.id], states=["Refunded"], any=True) == [o2.id, o1.id]
    assert query(states=["Refunded"], hidden=True, any=True) == [o3.id, o2.id]
    assert query(types=["Complimentary"]) == [o2.id]
    assert query(hidden=False) == [o4.id, o2.id, o1.id]
    assert query(startDate=t0 + DAY, endDate=t0 + 2 * DAY) == [o3.id, o2.id]
    assert query(eventIds=[event_b.id], startDate=t0 + 3 * DAY) == [o4.id]
    assert query(artistIds=[artist.id]) == [o1.id]
    assert query(venueIds=[event_b.venueId]) == [o4.id, o3.id]
    assert query(userIds=[buyer_id]) == [o1.id]
    assert query(orderIds=[o3.id, "missing"]) == [o3.id]
    assert query(userQuery="lovelace") == [o1.id]  # profile/user name
    assert query(userQuery="555123") == [o1.id]  # phone
    assert query(userQuery=buyer.email.upper()[:8]) == [o1.id]  # e-mail, case-insensitive
    assert query(userQuery="GUEST@") == [o4.id]  # guest delivery e-mail
    assert query(userQuery=o2.id[2:9]) == [o2.id]  # order id
    assert query(userQuery="ada", eventIds=[event_b.id], any=True) == [o4.id, o3.id, o1.id]
    assert query(eventIds=[], userQuery="") == [o4.id, o3.id, o2.id, o1.id]  # empty = not given

    pages = [ids(staff.gql(ORDERS, {"p": {"pageSize": 3, "pageNumber": n}})) for n in (1, 2, 3)]
    assert pages == [[o4.id, o3.id, o2.id], [o1.id], []]
    filtered = [
        ids(staff.gql(ORDERS, {"q": {"eventIds": [event_b.id]}, "p": {"pageSize": 1, "pageNumber": n}}))
        for n in (1, 2)
    ]
    assert filtered == [[o4.id], [o3.id]]


def test_nested_fields_use_the_snapshot_and_never_expose_secrets():
    org = make_org()
    store = services().store
    artist = store.artists.create(Artist(orgId=org.id, name="Band", createdAt=now(), createdBy="t"))
    event = make_event(org.id)
    buyer = new_user()
    buyer_id = user_id_of(buyer)
    scanner = staff_of(org.id, "SCANNER")
    scanner_id = user_id_of(scanner)

    def fee(name: str, applied_by: str, amount: str) -> dict[str, Any]:
        return Fee(
            name=name,
            type="Flat",
            value=1,
            appliedBy=applied_by,
            createdBy="t",
            createdAt=0,  # type: ignore[arg-type]
            updatedBy="t",
            updatedAt=0,
            amount=amount,
        ).doc()

    fees = [
        fee("Platform", "Sellout", "150"),
        fee("Card", "Stripe", "80"),
        fee("Venue", "Organization", "200"),
        fee("Sales tax", "Organization", "55"),
    ]
    scanned = ticket(scan=[{"scanned": True, "scannedAt": now(), "scannedBy": scanner_id, "startsAt": 0}])
    order = make_order(
        event,
        user_id=buyer_id,
        artistIds=[artist.id],
        fees=fees,
        feeIds=[f["_id"] for f in fees],
        tickets=[scanned],
        promoterFee={"refund": {"refunded": True, "refundedBy": scanner_id}},
    )
    store.fees.save(
        Fee.model_validate({**fees[0], "amount": None, "value": 999})
    )  # a later change: not shown
    result = buyer.gql(
        """query($id: String) { order(orderId: $id) { _id user { _id email } creator { _id }
        userProfile { _id userId } event { _id name } organization { _id orgName tegSecret }
        venues { _id } artists { _id name } fees { name amount value appliedBy }
        processingFee { amount refund { refunded refundedBy } } promoterFee { amount refund { refunded } }
        stripeCharge { brand } tickets { scan { scanned scannedByUser { _id } } } } }""",
        {"id": order.secretId},
    )
    got = data_of(result)["order"]
    assert got["user"] == {"_id": buyer_id, "email": buyer.email}
    assert got["creator"]["_id"] == buyer_id
    assert got["userProfile"]["userId"] == buyer_id
    assert got["event"] == {"_id": event.id, "name": event.name}
    assert got["organization"]["_id"] == org.id and got["organization"]["tegSecret"] is None
    assert [v["_id"] for v in got["venues"]] == [event.venueId]
    assert got["artists"] == [{"_id": artist.id, "name": "Band"}]
    assert (got["fees"][0]["name"], got["fees"][0]["amount"], got["fees"][0]["value"]) == (
        "Platform",
        150.0,
        1.0,
    )
    assert got["processingFee"] == {"amount": 230.0, "refund": {"refunded": False, "refundedBy": ""}}
    assert got["promoterFee"] == {"amount": 255.0, "refund": {"refunded": True}}
    assert got["stripeCharge"] is None
    assert got["tickets"][0]["scan"][0]["scannedByUser"] == {"_id": scanner_id}
    assert order.secretId not in json.dumps(result)


def test_order_details_counts_items_of_active_orders():
    org = make_org()
    event = make_event(org.id)
    done = {"scanned": True, "scannedAt": 1, "scannedBy": "x", "startsAt": 0}
    make_order(
        event,
        tickets=[ticket(scan=[done]), ticket(), ticket(state="Canceled")],
        upgrades=[upgrade(scan=done), upgrade()],
    )
    make_order(event, tickets=[ticket(scan=[done, {"startsAt": 5}])])
    make_order(event, state="Refunded", tickets=[ticket(scan=[done])])
    make_order(make_event(org.id, name="Other"), tickets=[ticket(scan=[done])])
    scanner = staff_of(org.id, "SCANNER")
    details = data_of(scanner.gql(DETAILS, {"id": event.id}))["orderDetails"]
    assert details == {"eventId": event.id, "ticketSold": 5, "ticketScanned": 3, "ticketUnscanned": 2}
    refused = error_of(staff_of(make_org().id, "ADMIN").gql(DETAILS, {"id": event.id}))
    assert refused["message"] == "You do not have permission to do this."
    assert error_of(gql(DETAILS, {"id": event.id}))["message"] == "Authentication Required."


def test_box_office_adjusts_check_in_and_email():
    org = make_org()
    event = make_event(org.id)
    days = [now() - DAY, now(), now() + DAY]
    order = make_order(event, tickets=[ticket(slots=days)], email="old@example.com")
    ticket_id = order.tickets[0].id
    box_office = staff_of(org.id, "BOX_OFFICE")
    clerk_id = user_id_of(box_office)
    params = {
        "orderId": order.id,
        "ticketId": ticket_id,
        "scan": [{"scanned": False}, {"scanned": True, "startsAt": 1}, {"scanned": False}],
    }
    got = data_of(box_office.gql(UPDATE, {"p": params}))["updateOrder"]
    slots = got["tickets"][0]["scan"]
    assert [s["scanned"] for s in slots] == [False, True, False]
    assert slots[1]["scannedBy"] == clerk_id and slots[1]["scannedAt"] >= now() - 5
    assert [s["startsAt"] for s in slots] == days  # the days belong to the order, not the client
    stored = services().store.orders.get(order.id)
    assert stored is not None and stored.tickets[0].scan[1].scanned

    undo = {**params, "scan": [{"scanned": False}] * 3, "email": "new@example.com"}
    got = data_of(box_office.gql(UPDATE, {"p": undo}))["updateOrder"]
    assert got["email"] == "new@example.com" and not any(s["scanned"] for s in got["tickets"][0]["scan"])

    wrong_length = error_of(box_office.gql(UPDATE, {"p": {**params, "scan": [{"scanned": True}]}}))
    assert wrong_length["extensions"]["invalidArgs"] == ["params.scan"]
    unknown = error_of(box_office.gql(UPDATE, {"p": {**params, "ticketId": "nope"}}))
    assert unknown["extensions"]["invalidArgs"] == ["params.ticketId"]
    bad_email = error_of(box_office.gql(UPDATE, {"p": {"orderId": order.id, "email": "nope"}}))
    assert bad_email["extensions"]["invalidArgs"] == ["params.email"]
    for caller in (staff_of(org.id, "SCANNER"), staff_of(make_org().id, "OWNER")):
        assert (
            error_of(caller.gql(UPDATE, {"p": params}))["message"] == "You do not have permission to do this."
        )


def test_guest_order_email_by_its_buyer_or_box_office():
    org = make_org()
    event = make_event(org.id)
    buyer = new_user()
    order = make_order(event, user_id=user_id_of(buyer))
    anonymous_sale = make_order(event)
    got = data_of(buyer.gql(GUEST, {"p": {"orderId": order.id, "email": "me@example.com"}}))[
        "updateGuestOrder"
    ]
    assert got == {"_id": order.id, "email": "me@example.com"}
    box_office = staff_of(org.id, "BOX_OFFICE")
    got = data_of(
        box_office.gql(GUEST, {"p": {"orderId": anonymous_sale.secretId, "email": "g@example.com"}})
    )
    assert got["updateGuestOrder"] == {"_id": anonymous_sale.id, "email": "g@example.com"}
    stranger = error_of(new_user().gql(GUEST, {"p": {"orderId": order.id, "email": "x@example.com"}}))
    assert stranger["message"] == "You do not have permission to do this."
    scanner = error_of(
        staff_of(org.id, "SCANNER").gql(GUEST, {"p": {"orderId": order.id, "email": "x@example.com"}})
    )
    assert scanner["message"] == "You do not have permission to do this."
    invalid = error_of(buyer.gql(GUEST, {"p": {"orderId": order.id, "email": ""}}))
    assert invalid["extensions"]["invalidArgs"] == ["params.email"]


LIST_NESTED = """query { orders { _id user { _id } creator { _id } userProfile { _id } event { _id name }
  organization { _id } venues { _id } artists { _id } tickets { scan { scannedByUser { _id } } } } }"""


def test_a_page_of_orders_reads_related_documents_in_batches_not_one_by_one():
    client = functions_framework.create_app("handle", "functions/graphql/main.py").test_client()
    store = services().store

    def org_with_orders(n: int) -> tuple[Any, int]:
        org = make_org()
        for i in range(n):
            event = make_event(org.id, name=f"E{i}")
            artist = store.artists.create(Artist(orgId=org.id, name=f"A{i}", createdAt=now(), createdBy="t"))
            buyer = f"buyer-{i}-{org.id}"
            store.user_profiles.save(UserProfile(_id=buyer, userId=buyer))
            done = {"scanned": True, "scannedAt": 1, "scannedBy": f"scanner-{i}", "startsAt": 0}
            make_order(event, user_id=buyer, artistIds=[artist.id], tickets=[ticket(scan=[done])])
        staff = staff_of(org.id, "SCANNER")
        headers = {"Authorization": f"Bearer {staff.token}", "X-Org-Id": org.id}
        client.post("/graphql", json={"query": "{ user { _id } }"}, headers=headers)  # user exists
        with counting_io() as stats:
            body = client.post("/graphql", json={"query": LIST_NESTED}, headers=headers).get_json()
        assert "errors" not in body, body
        assert len(body["data"]["orders"]) == n
        assert all(o["event"]["name"].startswith("E") and o["artists"] for o in body["data"]["orders"])
        return stats, n

    small, _ = org_with_orders(2)
    large, _ = org_with_orders(12)
    print(f"\norders page: 2 orders -> {small.round_trips} round trips, 12 -> {large.round_trips}")
    assert large.round_trips == small.round_trips
