"""Member-linked and guest tickets (SPEC R-T3-5, R-T3-6, R-ORD-7, D-5) through the GraphQL function
over HTTP, against the emulators and the member-API stand-in (emulator/teg_standin.py)."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from emulator import config
from shared.bootstrap import services
from shared.domain.member_tickets import event_scope, member_use_id
from shared.domain.models import Event, Organization
from tests.integration.api import Caller, data_of, error_of, gql, make_org, new_user, staff_of
from tests.integration.checkout_fixtures import (
    authorized_card_payment,
    clerk,
    connected_org,
    on_sale_event,
    sold,
    ticket,
)
from tests.integration.orders_fixtures import stored_order

TEG_URL = f"{config.SAAS_URL}/teg"
SECRET = "teg-secret-never-shown"
CREATE_ORDER = """mutation($p: OrderInput!) { createOrder(params: $p) {
  _id tickets { _id guestTicket teiMemberId isMemberIdValid
                teiMemberInfo { firstName lastName email } } } }"""
RESTRICTION = """query($q: TicketRestrictionInput) { ticketRestriction(query: $q) {
  eventId seasonId teiMemberId invalidTeiMemberIds guestTicketCounts { teiMemberId count inValid } } }"""
START_PAYMENT = """mutation($p: OrderPaymentIntentInput!) {
  createOrderPaymentIntent(params: $p) { paymentIntentId } }"""
CANCEL = """mutation($o: String!, $t: [String]) { cancelOrder(orderId: $o, ticketIds: $t) { _id state } }"""
MEMBERS = [
    {"memberId": "M-100", "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
     "phoneNumber": "+15555550101"},
    {"memberId": "M-200", "firstName": "Alan", "lastName": "Turing", "email": "alan@example.com",
     "phoneNumber": "+15555550102"},
]  # fmt: skip


def _teg(action: str, **body: Any) -> None:
    requests.post(f"{TEG_URL}/_control/{action}", json=body, timeout=10).raise_for_status()


def _member_org(validate: bool) -> Organization:
    """A connected org selling member tickets; validating orgs use their own stand-in client."""
    org = connected_org("Members Club")
    client_id = f"client-{uuid.uuid4().hex[:10]}"
    fields = {"isTegIntegration": True, "validateMemberId": validate, "tegURL": TEG_URL,
              "tegClientID": client_id, "tegSecret": SECRET}  # fmt: skip
    services().store.organizations.update(org.id, fields)
    _teg("clients", clientId=client_id, clientSecret=SECRET, members=MEMBERS)
    stored: Organization | None = services().store.organizations.get(org.id)
    assert stored is not None
    return stored


def _guest_event(org: Organization, per_member: str = "2", capacity: int = 50) -> Event:
    return on_sale_event(org, capacity=capacity, isGuestTicketSale=True, guestTicketPerMember=per_member)


def _member_ticket(event: Event, member: str, guest: bool = False) -> dict[str, Any]:
    return {**ticket(event), "teiMemberId": member, "guestTicket": guest}


def _cash(org: Organization, event: Event, *tickets: dict[str, Any]) -> dict[str, Any]:
    return {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
            "type": "Paid", "tickets": list(tickets)}  # fmt: skip


def _restriction(event: Event, *members: str, caller: Caller | None = None) -> dict[str, Any]:
    query = {"q": {"eventId": event.id, "teiMemberId": list(members)}}
    result = caller.gql(RESTRICTION, query) if caller else gql(RESTRICTION, query)
    answer: dict[str, Any] = data_of(result)["ticketRestriction"]
    return answer


def _counts(answer: dict[str, Any]) -> dict[str, tuple[int, bool]]:
    return {c["teiMemberId"]: (c["count"], c["inValid"]) for c in answer["guestTicketCounts"]}


# --- ticketRestriction ----------------------------------------------------------------------------


def test_ticket_restriction_counts_each_members_guests_and_own_ticket_over_live_orders() -> None:
    org = _member_org(validate=False)
    event, other_event = _guest_event(org), _guest_event(org)
    box = clerk(org)
    data_of(box.gql(CREATE_ORDER, {"p": _cash(org, event, _member_ticket(event, "M-100"),
                                              _member_ticket(event, "M-100", guest=True))}))  # fmt: skip
    data_of(box.gql(CREATE_ORDER, {"p": _cash(org, event, _member_ticket(event, "X 7/b", guest=True),
                                              _member_ticket(event, "X 7/b", guest=True))}))  # fmt: skip
    data_of(box.gql(CREATE_ORDER, {"p": _cash(org, other_event, _member_ticket(other_event, "M-200"))}))

    answer = _restriction(event, "M-100", "X 7/b", "M-200", " M-100 ")

    assert answer["eventId"] == event.id and answer["invalidTeiMemberIds"] == []
    assert answer["teiMemberId"] == ["M-100", "X 7/b", "M-200"]
    assert _counts(answer) == {"M-100": (1, True), "X 7/b": (2, False), "M-200": (0, False)}


def test_ticket_restriction_refuses_too_many_ids_and_unknown_events() -> None:
    org = _member_org(validate=False)
    event = _guest_event(org)

    too_many = error_of(
        gql(RESTRICTION, {"q": {"eventId": event.id, "teiMemberId": [str(i) for i in range(51)]}})
    )
    unknown = error_of(gql(RESTRICTION, {"q": {"eventId": "no-such-event", "teiMemberId": ["M-100"]}}))

    assert too_many["extensions"]["errorCode"] == "INVALID_INPUT"
    assert unknown["extensions"]["errorCode"] == "NOT_FOUND"


# --- validation against the member API (R-T3-6) -----------------------------------------------------


def test_a_validating_org_stores_member_details_from_its_api_never_from_the_client() -> None:
    org = _member_org(validate=True)
    event = _guest_event(org)
    forged = {**_member_ticket(event, "M-100"), "isMemberIdValid": False,
              "teiMemberInfo": {"firstName": "Mallory", "email": "m@evil.test"}}  # fmt: skip

    order = data_of(clerk(org).gql(CREATE_ORDER, {"p": _cash(org, event, forged)}))

    stored = stored_order(order["createOrder"]["_id"]).tickets[0]
    assert (stored.teiMemberId, stored.isMemberIdValid) == ("M-100", True)
    assert stored.teiMemberInfo is not None
    assert (stored.teiMemberInfo.firstName, stored.teiMemberInfo.email) == ("Ada", "ada@example.com")
    assert order["createOrder"]["tickets"][0]["teiMemberInfo"]["lastName"] == "Lovelace"


def test_an_unknown_member_id_refuses_the_order_and_is_listed_invalid() -> None:
    org = _member_org(validate=True)
    event = _guest_event(org)

    error = error_of(clerk(org).gql(CREATE_ORDER, {"p": _cash(org, event, _member_ticket(event, "M-999"))}))
    answer = _restriction(event, "M-100", "M-999")

    assert error["extensions"]["errorCode"] == "INVALID_INPUT" and "M-999" in error["extensions"]["detail"]
    assert sold(event) == 0
    assert answer["invalidTeiMemberIds"] == ["M-999"]
    assert _counts(answer) == {"M-100": (0, False), "M-999": (0, False)}


def test_a_member_api_that_is_down_refuses_clearly_and_sells_nothing() -> None:
    org = _member_org(validate=True)
    event = _guest_event(org)
    _teg("fail", clientId=org.tegClientID, status=503)
    buyer = new_user()

    order = error_of(clerk(org).gql(CREATE_ORDER, {"p": _cash(org, event, _member_ticket(event, "M-100"))}))
    online = {
        "orgId": org.id,
        "eventId": event.id,
        "channel": "Online",
        "tickets": [_member_ticket(event, "M-100")],
    }
    card = error_of(buyer.gql(START_PAYMENT, {"p": online}))
    restriction = error_of(gql(RESTRICTION, {"q": {"eventId": event.id, "teiMemberId": ["M-100"]}}))

    for error in (order, card, restriction):
        assert error["extensions"]["errorCode"] == "UPSTREAM_FAILED"
        assert (
            error["message"] == "We could not check member ids right now. Please try again in a few minutes."
        )
        assert SECRET not in str(error)
    assert sold(event) == 0


# --- limits under concurrency (R-ORD-7) -------------------------------------------------------------


def test_concurrent_buyers_never_pass_a_members_guest_limit_or_own_ticket() -> None:
    org = _member_org(validate=False)
    event = _guest_event(org, per_member="2")
    box = clerk(org)
    guests = [_cash(org, event, _member_ticket(event, "M-100", guest=True)) for _ in range(6)]
    own = [_cash(org, event, _member_ticket(event, "M-200")) for _ in range(4)]

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda p: box.gql(CREATE_ORDER, {"p": p}), guests + own))

    outcomes = Counter(
        "ok" if "errors" not in r else r["errors"][0]["extensions"]["errorCode"] for r in results
    )
    assert outcomes == Counter({"ok": 3, "LIMIT_EXCEEDED": 4, "CONFLICT": 3})
    assert sold(event) == 3
    assert _counts(_restriction(event, "M-100", "M-200")) == {"M-100": (2, False), "M-200": (0, True)}


def test_a_guest_ticket_needs_a_guest_ticket_sale_and_a_host_member() -> None:
    org = _member_org(validate=False)
    plain = on_sale_event(org)
    guest_sale = _guest_event(org)
    box = clerk(org)

    no_sale = error_of(
        box.gql(CREATE_ORDER, {"p": _cash(org, plain, _member_ticket(plain, "M-100", guest=True))})
    )
    no_host = error_of(
        box.gql(CREATE_ORDER, {"p": _cash(org, guest_sale, _member_ticket(guest_sale, "", guest=True))})
    )

    assert no_sale["extensions"]["errorCode"] == "REFUSED"
    assert no_host["extensions"]["errorCode"] == "INVALID_INPUT"
    assert sold(plain) == sold(guest_sale) == 0


# --- cancelled and refunded tickets free their member's uses -----------------------------------------


def test_a_cancelled_ticket_frees_its_members_use_and_the_rest_stay_held() -> None:
    org = _member_org(validate=False)
    event = _guest_event(org, per_member="1")
    box, admin = clerk(org), staff_of(org.id, "ADMIN")
    both = _cash(org, event, _member_ticket(event, "M-100"), _member_ticket(event, "M-100", guest=True))
    order = data_of(box.gql(CREATE_ORDER, {"p": both}))
    own_id, guest_id = (t["_id"] for t in order["createOrder"]["tickets"])
    refused = error_of(
        box.gql(CREATE_ORDER, {"p": _cash(org, event, _member_ticket(event, "M-100", guest=True))})
    )

    data_of(admin.gql(CANCEL, {"o": order["createOrder"]["_id"], "t": [guest_id]}))
    after_guest = _counts(_restriction(event, "M-100"))
    data_of(box.gql(CREATE_ORDER, {"p": _cash(org, event, _member_ticket(event, "M-100", guest=True))}))
    data_of(admin.gql(CANCEL, {"o": order["createOrder"]["_id"], "t": [own_id]}))
    after_own = _counts(_restriction(event, "M-100"))
    again = box.gql(CREATE_ORDER, {"p": _cash(org, event, _member_ticket(event, "M-100"))})

    assert refused["extensions"]["errorCode"] == "LIMIT_EXCEEDED"
    assert after_guest == {"M-100": (0, True)}
    assert after_own == {"M-100": (1, False)}
    assert "errors" not in again


def test_a_card_checkout_holds_its_member_claim_and_a_refund_gives_it_back() -> None:
    org = _member_org(validate=True)
    event = _guest_event(org, per_member="1")
    buyer, admin = new_user(), staff_of(org.id, "ADMIN")
    params = {"orgId": org.id, "eventId": event.id, "channel": "Online",
              "tickets": [_member_ticket(event, "M-200", guest=True)]}  # fmt: skip
    intent_id = authorized_card_payment(buyer, org, params)
    while_paying = _counts(_restriction(event, "M-200"))
    order = data_of(buyer.gql(CREATE_ORDER, {"p": {**params, "paymentIntentId": intent_id}}))["createOrder"]
    stored = stored_order(order["_id"])
    refund = """mutation($o: String!, $t: [String]) { refundOrder(orderId: $o, ticketIds: $t) { state } }"""
    data_of(admin.gql(refund, {"o": order["_id"], "t": [order["tickets"][0]["_id"]]}))

    assert while_paying == {"M-200": (1, False)}
    assert stored.memberUses == [member_use_id(event_scope(event.id), "M-200")]
    assert stored.tickets[0].isMemberIdValid is True
    assert _counts(_restriction(event, "M-200")) == {"M-200": (0, False)}


# --- the member-API secret (D-5) -----------------------------------------------------------------------


def test_the_member_api_secret_reaches_no_client_but_its_own_admins() -> None:
    org = _member_org(validate=True)
    event = _guest_event(org)
    other_admin = staff_of(make_org("Elsewhere").id, "ADMIN")
    buyer = new_user()
    order = data_of(clerk(org).gql(CREATE_ORDER, {"p": _cash(org, event, _member_ticket(event, "M-100"))}))
    via_event = """query($id: String) { event(eventId: $id) { organization { tegSecret tegClientID } } }"""
    via_org = "{ organization { _id tegSecret } }"  # the caller's context org
    via_order = """query($id: String!) { order(orderId: $id) { organization { tegSecret } } }"""
    seen: list[str] = []
    reads = [(via_event, {"id": event.id}), (via_org, {}),
             (via_order, {"id": order["createOrder"]["_id"]}),
             (RESTRICTION, {"q": {"eventId": event.id, "teiMemberId": ["M-100"]}})]  # fmt: skip
    for caller in (None, buyer, clerk(org), staff_of(org.id, "SCANNER"), other_admin):
        for query, variables in reads:
            seen.append(str(caller.gql(query, variables) if caller else gql(query, variables)))
    feeds = [
        requests.get(
            f"{config.FUNCTIONS_URL}/graphql/getEventDetail", params={"id": event.id}, timeout=10
        ).text,
        requests.get(
            f"{config.FUNCTIONS_URL}/graphql/getEventList", params={"orgId": org.id}, timeout=10
        ).text,
        str(gql("query($id: String) { eventsDetails(eventId: $id) { _id } }", {"id": event.id})),
    ]
    own_admin = data_of(staff_of(org.id, "ADMIN").gql(via_org))

    assert all(SECRET not in text for text in seen + feeds)
    assert own_admin["organization"]["tegSecret"] == SECRET  # SPEC 4.7: the org's own admins only
