"""Reserved seating end to end (SPEC 5.14 R-SEAT-1..5, R-ORD-6, D-5): GraphQL on the local
functions, the real seatsio SDK against the seats.io stand-in (emulator/seatsio_standin.py), the
local Stripe, the tasks emulator and the stock shards.

The portal's chart (seats.io's JavaScript) is played by the SDK with the org's workspace key:
it creates a hold token and holds the buyer's seats, as the rendered chart does.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
import seatsio

from emulator import config
from shared.bootstrap import services
from shared.domain.permissions import Principal
from shared.domain.seating import event_key
from shared.services.checkout import CheckoutService
from tests.integration.api import data_of, error_of, gql, new_user, staff_of, wait_for
from tests.integration.checkout_fixtures import (
    clerk,
    connected_org,
    on_sale_event,
    sold,
    stripe_client,
    ticket,
)
from tests.integration.events_fixtures import CREATE_EVENT, UPDATE_EVENT, event_input, make_venue

SEATSIO_URL = f"{config.SAAS_URL}/seatsio"
CHART = "chart-main-hall"
CREATE_ORDER = """mutation($p: OrderInput!) { createOrder(params: $p) { _id state tickets { _id seat } } }"""
START_PAYMENT = """mutation($p: OrderPaymentIntentInput!) {
  createOrderPaymentIntent(params: $p) { paymentIntentId } }"""
SEATING = """query($o: String) { seating(orgId: $o) { publicKey secretKey designerKey } }"""
CREATE_SEATING = """mutation($o: String!) { createOrganizationSeating(orgId: $o) { publicKey secretKey } }"""
EXTEND = """mutation($o: String!, $t: String!) { extendSeatingHoldToken(orgId: $o, holdToken: $t) }"""
REFUND = """mutation($o: String!, $t: [String]) { refundOrder(orderId: $o, ticketIds: $t) { _id state } }"""
CANCEL = """mutation($o: String!, $t: [String]) { cancelOrder(orderId: $o, ticketIds: $t) { _id state } }"""


# --- helpers ----------------------------------------------------------------------------------------


def seated_org() -> tuple[Any, dict[str, Any]]:
    """A Stripe-connected org whose seats.io workspace a super user created (R-SEAT-1)."""
    org = connected_org("Seated Hall")
    root = new_user(superUser=True)
    keys = data_of(root.gql(CREATE_SEATING, {"o": org.id}))["createOrganizationSeating"]
    return org, keys


def seated_event(org: Any) -> Any:
    """An on-sale seated event, saved as Backstage saves it: its seats.io event exists (R-SEAT-2)."""
    event = on_sale_event(org, seatingChartKey=CHART)
    services().seating.event_saved(event)
    return event


def chart(secret_key: str) -> Any:
    """The seats.io client the portal's chart stands for."""
    return seatsio.Client(seatsio.Region(SEATSIO_URL), secret_key)


def hold(secret_key: str, event_id: str, *seats: str) -> str:
    """What the rendered chart does when the buyer picks seats: a hold token holding them."""
    client = chart(secret_key)
    token = str(client.hold_tokens.create().hold_token)
    if seats:
        client.events.hold(event_key(event_id), list(seats), token)
    return token


def seat_states(event_id: str) -> dict[str, dict[str, Any]]:
    """The stand-in's view of the event's seats (label → status, orderId)."""
    state = requests.get(f"{SEATSIO_URL}/_state", timeout=10).json()
    found = [e for e in state["events"] if e["key"] == event_key(event_id)]
    return found[0]["objects"] if found else {}


def booked(event_id: str) -> dict[str, str]:
    return {
        label: s.get("orderId", "") for label, s in seat_states(event_id).items() if s["status"] == "booked"
    }


def seated_tickets(event: Any, *seats: str) -> list[dict[str, Any]]:
    return [{**ticket(event), "seat": seat} for seat in seats]


def cash(org: Any, event: Any, *seats: str, **extra: Any) -> dict[str, Any]:
    return {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
            "type": "Paid", "tickets": seated_tickets(event, *seats), **extra}  # fmt: skip


def card(org: Any, event: Any, *seats: str, **extra: Any) -> dict[str, Any]:
    return {"orgId": org.id, "eventId": event.id, "channel": "Online",
            "tickets": seated_tickets(event, *seats), **extra}  # fmt: skip


def confirm(org: Any, intent_id: str) -> None:
    stripe_client().v1.payment_intents.confirm(
        intent_id, params={"payment_method": "pm_card_visa"}, options={"stripe_account": org.stripeId}
    )


def intent_status(org: Any, intent_id: str) -> str:
    intent = stripe_client().v1.payment_intents.retrieve(intent_id, options={"stripe_account": org.stripeId})
    return str(intent.status)


# --- sub-accounts and keys (R-SEAT-1, R-SEAT-5, D-5) ----------------------------------------------------


def test_only_admins_of_the_org_see_the_secret_and_designer_keys():
    org, keys = seated_org()
    assert keys["publicKey"] and keys["secretKey"]
    anonymous = data_of(gql(SEATING, {"o": org.id}))["seating"]
    assert anonymous == {"publicKey": keys["publicKey"], "secretKey": None, "designerKey": None}
    box_office = data_of(staff_of(org.id, "BOX_OFFICE").gql(SEATING, {"o": org.id}))["seating"]
    assert box_office["secretKey"] is None and box_office["designerKey"] is None
    outsider = data_of(staff_of(connected_org().id, "OWNER").gql(SEATING, {"o": org.id}))["seating"]
    assert outsider["secretKey"] is None
    admin = staff_of(org.id, "ADMIN")
    seen = data_of(admin.gql(SEATING, {"o": org.id}))["seating"]
    assert seen["secretKey"] == keys["secretKey"] and seen["designerKey"]
    nested = data_of(admin.gql("{ organization { _id seating { publicKey secretKey } } }"))["organization"]
    assert nested["seating"] == {"publicKey": keys["publicKey"], "secretKey": keys["secretKey"]}
    public = data_of(gql("{ seatingPublicKey }", org_id=org.id))["seatingPublicKey"]
    assert public == keys["publicKey"]


def test_only_a_super_user_creates_the_sub_account_and_twice_gives_the_same_keys():
    org, keys = seated_org()
    owner = staff_of(org.id, "OWNER")
    assert error_of(owner.gql(CREATE_SEATING, {"o": org.id}))["message"]
    again = data_of(new_user(superUser=True).gql(CREATE_SEATING, {"o": org.id}))["createOrganizationSeating"]
    assert again == keys
    workspaces = requests.get(f"{SEATSIO_URL}/_state", timeout=10).json()["workspaces"]
    assert [w["key"] for w in workspaces].count(keys["publicKey"]) == 1
    assert all("secretKey" not in w for w in workspaces)


def test_anyone_can_extend_a_hold_token_to_fifteen_minutes():
    org, keys = seated_org()
    client = chart(keys["secretKey"])
    token = client.hold_tokens.create(expires_in_minutes=1).hold_token
    assert data_of(gql(EXTEND, {"o": org.id, "t": token}))["extendSeatingHoldToken"] is True
    assert client.hold_tokens.retrieve(token).expires_in_seconds > 14 * 60
    assert data_of(gql(EXTEND, {"o": org.id, "t": "no-such-token"}))["extendSeatingHoldToken"] is False


# --- seated events (R-SEAT-2) ---------------------------------------------------------------------------


def test_saving_a_seated_event_creates_its_seatsio_event_server_side():
    org = connected_org("Hall Without Seating Yet")
    admin = staff_of(org.id, "ADMIN")
    venue = make_venue(org.id)
    created = data_of(admin.gql(CREATE_EVENT, {"e": event_input(venue.id, seatingChartKey=CHART)}))[
        "createEvent"
    ]
    state = requests.get(f"{SEATSIO_URL}/_state", timeout=10).json()
    (seatsio_event,) = [e for e in state["events"] if e["key"] == event_key(created["_id"])]
    assert seatsio_event["chartKey"] == CHART
    # the org's sub-account was made for it, and its event lives in that workspace
    seating = data_of(admin.gql(SEATING, {"o": org.id}))["seating"]
    assert seatsio_event["workspaceKey"] == seating["publicKey"]
    # an update that turns a general-admission event seated creates it too
    plain = data_of(admin.gql(CREATE_EVENT, {"e": event_input(venue.id)}))["createEvent"]
    assert seat_states(plain["_id"]) == {}
    data_of(
        admin.gql(
            UPDATE_EVENT, {"e": {**event_input(venue.id), "_id": plain["_id"], "seatingChartKey": CHART}}
        )
    )
    keys = {e["key"] for e in requests.get(f"{SEATSIO_URL}/_state", timeout=10).json()["events"]}
    assert event_key(plain["_id"]) in keys


# --- booking (R-SEAT-3, R-ORD-6) ---------------------------------------------------------------------------


def test_a_seated_order_needs_seats_and_a_hold_token():
    org, _keys = seated_org()
    event = seated_event(org)
    box = clerk(org)
    no_seat = error_of(box.gql(CREATE_ORDER, {"p": cash(org, event, "A-1", "", holdToken="t")}))
    assert "select seats" in no_seat["message"]
    no_token = error_of(box.gql(CREATE_ORDER, {"p": cash(org, event, "A-1")}))
    assert "timed out" in no_token["message"]
    assert sold(event) == 0
    assert booked(event.id) == {}


def test_a_box_office_sale_books_its_seats_with_the_hold_token():
    org, keys = seated_org()
    event = seated_event(org)
    token = hold(keys["secretKey"], event.id, "A-1", "A-2")
    order = data_of(clerk(org).gql(CREATE_ORDER, {"p": cash(org, event, "A-1", "A-2", holdToken=token)}))[
        "createOrder"
    ]
    assert [t["seat"] for t in order["tickets"]] == ["A-1", "A-2"]
    assert booked(event.id) == {"A-1": order["_id"], "A-2": order["_id"]}
    assert sold(event) == 2


def test_two_buyers_for_one_seat_make_exactly_one_order_and_the_other_a_clear_conflict():
    org, keys = seated_org()
    event = seated_event(org)
    clerks = [clerk(org) for _ in range(6)]
    tokens = [hold(keys["secretKey"], event.id) for _ in clerks]  # each portal has its own token

    def buy(i: int) -> dict[str, Any]:
        return clerks[i].gql(CREATE_ORDER, {"p": cash(org, event, "B-7", holdToken=tokens[i])})

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(buy, range(6)))
    orders = [r["data"]["createOrder"] for r in results if not r.get("errors")]
    refused = [error_of(r) for r in results if r.get("errors")]
    assert len(orders) == 1
    assert len(refused) == 5
    assert {e["message"] for e in refused} == {"That seat is no longer available"}
    assert sold(event) == 1  # the losers took no stock
    assert booked(event.id) == {"B-7": orders[0]["_id"]}
    assert len(services().store.orders.find(("eventId", "==", event.id))) == 1


def test_a_seat_held_by_another_buyer_cannot_be_paid_for_and_the_payment_is_released():
    org, keys = seated_org()
    event = seated_event(org)
    first, second = new_user(), new_user()
    first_token = hold(keys["secretKey"], event.id, "C-3")
    second_token = hold(keys["secretKey"], event.id)  # C-3 is held: the second chart shows it taken
    first_intent = data_of(first.gql(START_PAYMENT, {"p": card(org, event, "C-3")}))[
        "createOrderPaymentIntent"
    ]["paymentIntentId"]
    second_intent = data_of(second.gql(START_PAYMENT, {"p": card(org, event, "C-3")}))[
        "createOrderPaymentIntent"
    ]["paymentIntentId"]
    assert sold(event) == 2  # both checkouts hold stock while paying
    confirm(org, first_intent)
    confirm(org, second_intent)
    lost = error_of(
        second.gql(
            CREATE_ORDER,
            {"p": {**card(org, event, "C-3"), "paymentIntentId": second_intent, "holdToken": second_token}},
        )
    )
    assert lost["message"] == "That seat is no longer available"
    won = data_of(
        first.gql(
            CREATE_ORDER,
            {"p": {**card(org, event, "C-3"), "paymentIntentId": first_intent, "holdToken": first_token}},
        )
    )["createOrder"]
    assert booked(event.id) == {"C-3": won["_id"]}
    assert intent_status(org, second_intent) == "canceled"  # the loser is not charged
    assert intent_status(org, first_intent) == "succeeded"
    assert sold(event) == 1
    orders = services().store.orders.find(("eventId", "==", event.id))
    assert [o.id for o in orders] == [won["_id"]]


def test_the_webhook_and_the_client_completing_one_seated_payment_book_it_once():
    org, keys = seated_org()
    event = seated_event(org)
    buyer = new_user()
    token = hold(keys["secretKey"], event.id, "D-1", "D-2")
    intent = data_of(buyer.gql(START_PAYMENT, {"p": card(org, event, "D-1", "D-2")}))[
        "createOrderPaymentIntent"
    ]["paymentIntentId"]
    confirm(org, intent)  # Stripe's webhook now races the client's createOrder
    params = {**card(org, event, "D-1", "D-2"), "paymentIntentId": intent, "holdToken": token}
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: buyer.gql(CREATE_ORDER, {"p": params}), range(2)))
    (order_id,) = {data_of(r)["createOrder"]["_id"] for r in results}
    assert booked(event.id) == {"D-1": order_id, "D-2": order_id}
    assert sold(event) == 2


def test_an_expired_card_reservation_releases_its_seats():
    org, keys = seated_org()
    event = seated_event(org)
    buyer = new_user()
    app = services()
    quick = CheckoutService(app.store, app.payments, app.task_queue, app.fees.event_fees, hold_seconds=3,
                            seats=app.seating)  # fmt: skip
    caller = Principal(user=app.identity.user_for_claims({"uid": buyer.uid, "email": buyer.email,
                                                         "email_verified": True}),
                       token=buyer.token, claims={}, roles_loader=lambda _: [])  # fmt: skip
    token = hold(keys["secretKey"], event.id, "E-5")
    started = quick.start_card_payment(caller, card(org, event, "E-5"))
    intent = str(started["paymentIntentId"])
    # createOrder before the card went through: the seat is booked for the checkout, the order waits
    with contextlib.suppress(Exception):
        quick.create_order(caller, {**card(org, event, "E-5"), "paymentIntentId": intent, "holdToken": token})
    assert list(booked(event.id)) == ["E-5"]
    assert sold(event) == 1
    wait_for(lambda: booked(event.id) == {} and sold(event) == 0, timeout=25)  # the expiry task ran
    assert intent_status(org, intent) == "canceled"
    # and the seat sells again
    again = hold(keys["secretKey"], event.id, "E-5")
    data_of(clerk(org).gql(CREATE_ORDER, {"p": cash(org, event, "E-5", holdToken=again)}))


# --- release (R-SEAT-4) --------------------------------------------------------------------------------


def _seated_cash_order(org: Any, keys: dict[str, Any], event: Any, *seats: str) -> dict[str, Any]:
    token = hold(keys["secretKey"], event.id, *seats)
    result = data_of(clerk(org).gql(CREATE_ORDER, {"p": cash(org, event, *seats, holdToken=token)}))
    order: dict[str, Any] = result["createOrder"]
    return order


def test_refunding_a_seated_ticket_frees_its_seat_for_someone_else():
    org, keys = seated_org()
    event = seated_event(org)
    order = _seated_cash_order(org, keys, event, "F-1", "F-2")
    first = next(t["_id"] for t in order["tickets"] if t["seat"] == "F-1")
    data_of(clerk(org).gql(REFUND, {"o": order["_id"], "t": [first]}))
    assert booked(event.id) == {"F-2": order["_id"]}  # only the refunded ticket's seat
    other = _seated_cash_order(org, keys, event, "F-1")
    assert booked(event.id) == {"F-1": other["_id"], "F-2": order["_id"]}
    # refunding the first ticket again frees nothing that is now someone else's
    with contextlib.suppress(AssertionError):
        data_of(clerk(org).gql(REFUND, {"o": order["_id"], "t": [first]}))
    assert booked(event.id) == {"F-1": other["_id"], "F-2": order["_id"]}


def test_cancelling_a_seated_order_frees_its_seats():
    org, keys = seated_org()
    event = seated_event(org)
    order = _seated_cash_order(org, keys, event, "G-1", "G-2")
    data_of(clerk(org).gql(CANCEL, {"o": order["_id"]}))
    assert booked(event.id) == {}
    assert sold(event) == 0
    _seated_cash_order(org, keys, event, "G-1", "G-2")  # bookable by someone else


def test_a_release_while_seatsio_is_down_is_retried_and_the_cancellation_still_succeeds():
    org, keys = seated_org()
    event = seated_event(org)
    order = _seated_cash_order(org, keys, event, "H-1")
    requests.post(f"{SEATSIO_URL}/_control", json={"failNext": 1}, timeout=10)  # the release's first call
    cancelled = data_of(clerk(org).gql(CANCEL, {"o": order["_id"]}))["cancelOrder"]
    assert cancelled["state"] == "Canceled"
    wait_for(lambda: booked(event.id) == {}, timeout=25)  # the deferred release task did it


def test_a_buyer_who_books_a_seat_but_loses_the_last_ticket_leaves_no_seat_booked():
    org, keys = seated_org()
    event = on_sale_event(org, capacity=1, seatingChartKey=CHART)
    services().seating.event_saved(event)
    clerks = [clerk(org) for _ in range(6)]
    seats = [f"J-{i}" for i in range(6)]  # all different: only the stock can refuse them
    tokens = [hold(keys["secretKey"], event.id, seat) for seat in seats]

    def buy(i: int) -> dict[str, Any]:
        return clerks[i].gql(CREATE_ORDER, {"p": cash(org, event, seats[i], holdToken=tokens[i])})

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(buy, range(6)))
    orders = [r["data"]["createOrder"] for r in results if not r.get("errors")]
    assert len(orders) == 1
    assert all(error_of(r)["extensions"]["errorCode"] == "SOLD_OUT" for r in results if r.get("errors"))
    (winner,) = orders
    assert booked(event.id) == {winner["tickets"][0]["seat"]: winner["_id"]}  # the losers' seats went back
    assert sold(event) == 1


def test_control_without_seat_booking_the_same_seat_sells_twice():
    """The defect this feature removes: checkout without the seats.io booking step sells a seat
    to everyone who asks (the original only stored the label)."""
    org, keys = seated_org()
    event = seated_event(org)
    app = services()
    unbooked = CheckoutService(app.store, app.payments, app.task_queue, app.fees.event_fees)  # no seats
    staff = new_user()
    caller = Principal(user=app.identity.user_for_claims({"uid": staff.uid, "email": staff.email,
                                                         "email_verified": True}),
                       token=staff.token, claims={"superUser": True}, roles_loader=lambda _: [])  # fmt: skip
    for _ in range(2):
        token = hold(keys["secretKey"], event.id)
        unbooked.create_order(caller, cash(org, event, "K-1", holdToken=token))
    assert len(services().store.orders.find(("eventId", "==", event.id))) == 2
    assert booked(event.id) == {}
