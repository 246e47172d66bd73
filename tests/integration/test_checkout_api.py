"""Checkout through the GraphQL function over HTTP, against the emulators and the local Stripe."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
import stripe

from emulator import config
from shared.bootstrap import services
from shared.domain.permissions import Principal
from shared.services.checkout import CheckoutService
from tests.integration.api import data_of, error_of, gql, new_user, wait_for
from tests.integration.checkout_fixtures import (
    add_fees,
    clerk,
    connected_org,
    on_sale_event,
    sold,
    stripe_client,
    ticket,
)

CREATE_ORDER = """mutation($p: OrderInput!) { createOrder(params: $p) {
  _id state type channel eventId userId
  tickets { _id ticketTierId price origionalPrice state scan { startsAt scanned } }
  payments { amount transferAmount feeAmount tax paymentMethodType paymentIntentId }
  fees { name amount appliedBy } } }"""
START_PAYMENT = """mutation($p: OrderPaymentIntentInput!) {
  createOrderPaymentIntent(params: $p) { paymentIntentId clientSecret } }"""
QUOTE = """query($q: PaymentCalculationInput) { eventFeeCalculation(query: $q) {
  total selloutFees stripeFees promoterFees salesTax subTotal } }"""


def _cash(org, event, tickets=1, **extra):
    return {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
            "type": "Paid", "tickets": [ticket(event) for _ in range(tickets)], **extra}  # fmt: skip


def _card(org, event, tickets=1, **extra):
    return {"orgId": org.id, "eventId": event.id, "channel": "Online",
            "tickets": [ticket(event) for _ in range(tickets)], **extra}  # fmt: skip


def _confirm(org, intent_id, card="pm_card_visa"):
    """What Stripe.js does in the buyer's browser."""
    return stripe_client().v1.payment_intents.confirm(
        intent_id, params={"payment_method": card}, options={"stripe_account": org.stripeId}
    )


def test_a_box_office_cash_order_is_priced_from_the_event_not_the_client():
    org = connected_org()
    event = on_sale_event(org, price=4500)
    add_fees(org, event)
    quote = data_of(gql(QUOTE, {"q": {"eventId": event.id, "tickets": [ticket(event)] * 2,
                                      "paymentMethodType": "Cash"}}))["eventFeeCalculation"]  # fmt: skip
    order = data_of(clerk(org).gql(CREATE_ORDER, {"p": _cash(org, event, tickets=2)}))["createOrder"]
    assert [t["price"] for t in order["tickets"]] == [4500, 4500]  # the client sent 1 cent
    assert order["channel"] == "Box Office"
    assert order["payments"][0]["amount"] == int(quote["total"])  # the quote is what the order charges
    assert order["payments"][0]["feeAmount"] == int(quote["selloutFees"])
    assert order["tickets"][0]["scan"] == [{"startsAt": event.schedule.startsAt, "scanned": False}]
    assert sold(event) == 2


def test_an_online_buyer_cannot_pay_cash_or_take_comps():
    org = connected_org()
    event = on_sale_event(org)
    buyer = new_user()
    cash = error_of(buyer.gql(CREATE_ORDER, {"p": {**_cash(org, event), "channel": "Online"}}))
    assert cash["extensions"]["code"] == "BAD_USER_INPUT"
    comp = error_of(buyer.gql(CREATE_ORDER, {"p": {**_card(org, event), "type": "Complimentary",
                                                   "paymentMethodType": "None"}}))  # fmt: skip
    assert comp["message"] == "You do not have permission to do this."
    assert sold(event) == 0


def test_sold_out_is_a_clean_error_and_sells_nothing_more():
    org = connected_org()
    event = on_sale_event(org, capacity=2)
    seller = clerk(org)
    data_of(seller.gql(CREATE_ORDER, {"p": _cash(org, event, tickets=2)}))
    error = error_of(seller.gql(CREATE_ORDER, {"p": _cash(org, event)}))
    assert error["extensions"]["errorCode"] == "SOLD_OUT"
    assert "sold out" in error["message"]
    assert sold(event) == 2


def test_a_card_checkout_charges_the_quote_on_the_connected_account_and_orders_once():
    org = connected_org()
    event = on_sale_event(org, price=5000)
    add_fees(org, event)
    buyer = new_user()
    quote = data_of(gql(QUOTE, {"q": {"eventId": event.id, "tickets": [ticket(event)]}}))[
        "eventFeeCalculation"
    ]
    started = data_of(buyer.gql(START_PAYMENT, {"p": _card(org, event)}))["createOrderPaymentIntent"]
    intent = stripe_client().v1.payment_intents.retrieve(
        started["paymentIntentId"], options={"stripe_account": org.stripeId}
    )
    assert intent.amount == int(quote["total"])
    assert intent.application_fee_amount == int(quote["selloutFees"])
    assert intent.capture_method == "manual"
    assert sold(event) == 1  # held while the buyer pays
    _confirm(org, intent.id)
    order = data_of(buyer.gql(CREATE_ORDER, {"p": {**_card(org, event), "paymentIntentId": intent.id}}))
    again = data_of(buyer.gql(CREATE_ORDER, {"p": {**_card(org, event), "paymentIntentId": intent.id}}))
    assert order["createOrder"]["_id"] == again["createOrder"]["_id"]  # R-ORD-11
    assert order["createOrder"]["payments"][0]["paymentIntentId"] == intent.id
    captured = stripe_client().v1.payment_intents.retrieve(
        intent.id, options={"stripe_account": org.stripeId}
    )
    assert captured.status == "succeeded"
    assert sold(event) == 1


def test_the_webhook_fulfils_a_paid_checkout_even_if_the_client_never_calls_back():
    org = connected_org()
    event = on_sale_event(org)
    buyer = new_user()
    started = data_of(buyer.gql(START_PAYMENT, {"p": _card(org, event)}))["createOrderPaymentIntent"]
    _confirm(org, started["paymentIntentId"])  # then the browser closes

    def order_written():
        return services().store.orders.find(("eventId", "==", event.id))

    (order,) = wait_for(order_written)
    assert order.payments[0].paymentIntentId == started["paymentIntentId"]
    assert sold(event) == 1


def test_a_retried_checkout_with_the_same_key_returns_the_same_payment():
    org = connected_org()
    event = on_sale_event(org)
    buyer = new_user()
    key = uuid.uuid4().hex
    first, second = (
        gql(START_PAYMENT, {"p": _card(org, event, _id=key)}, token=buyer.token)["data"][
            "createOrderPaymentIntent"
        ]
        for _ in range(2)
    )
    assert first["paymentIntentId"] == second["paymentIntentId"]
    assert sold(event) == 1


def test_a_declined_card_is_a_clear_error_and_orders_nothing():
    org = connected_org()
    event = on_sale_event(org)
    buyer = new_user()
    started = data_of(buyer.gql(START_PAYMENT, {"p": _card(org, event)}))["createOrderPaymentIntent"]
    with contextlib.suppress(stripe.CardError):  # the card error Stripe.js would show the buyer
        _confirm(org, started["paymentIntentId"], card="pm_card_chargeDeclined")
    error = error_of(
        buyer.gql(CREATE_ORDER, {"p": {**_card(org, event), "paymentIntentId": started["paymentIntentId"]}})
    )
    assert error["extensions"]["errorCode"] == "PAYMENT_FAILED"
    assert services().store.orders.find(("eventId", "==", event.id)) == []


def test_an_unpaid_reservation_expires_through_cloud_tasks_and_frees_its_stock():
    org = connected_org()
    event = on_sale_event(org, capacity=5)
    buyer = new_user()
    app = services()
    quick = CheckoutService(app.store, app.payments, app.task_queue, app.fees.event_fees, hold_seconds=2)
    caller = Principal(user=app.identity.user_for_claims({"uid": buyer.uid, "email": buyer.email,
                                                         "email_verified": True}),
                       token=buyer.token, claims={}, roles_loader=lambda _: [])  # fmt: skip
    started = quick.start_card_payment(caller, _card(org, event, tickets=3))
    assert sold(event) == 3
    wait_for(lambda: sold(event) == 0, timeout=20)  # the task ran on the functions server
    intent = stripe_client().v1.payment_intents.retrieve(
        str(started["paymentIntentId"]), options={"stripe_account": org.stripeId}
    )
    assert intent.status == "canceled"  # the authorization is released too


def test_the_webhook_endpoint_refuses_unsigned_and_forged_deliveries():
    url = f"{config.FUNCTIONS_URL}/stripe-webhook/"
    body = b'{"id": "evt_forged", "type": "payment_intent.succeeded", "data": {"object": {}}}'
    assert requests.post(url, data=body, timeout=10).status_code == 400
    forged = f"t={int(time.time())},v1={'0' * 64}"
    assert requests.post(url, data=body, headers={"Stripe-Signature": forged}, timeout=10).status_code == 400


def _with_discount(org, total_uses: int, use_limit: int):
    now = int(time.time())
    promotion = {"code": "FRIENDS", "type": "Discount", "totalQty": total_uses, "remainingQty": total_uses,
                 "startsAt": now - 60, "endsAt": now + 3600, "useLimit": use_limit,
                 "discountType": "Percent", "discountValue": 10, "appliesTo": "Per Order"}  # fmt: skip
    return on_sale_event(org, promotions=[promotion])


def test_a_buyer_racing_their_own_checkouts_uses_a_code_only_up_to_its_limit():
    org = connected_org()
    event = _with_discount(org, total_uses=50, use_limit=1)
    seller = clerk(org)
    customer = services().identity.user_for_claims(
        {
            "uid": f"c-{uuid.uuid4().hex[:8]}",
            "email": f"{uuid.uuid4().hex[:8]}@example.com",
            "email_verified": True,
        }
    )
    params = _cash(org, event, userId=customer.id, discountCode="friends")

    def buy(i):
        result = seller.gql(CREATE_ORDER, {"p": params})
        return "ok" if not result.get("errors") else result["errors"][0]["extensions"].get("errorCode")

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = Counter(pool.map(buy, range(6)))
    assert outcomes == Counter({"ok": 1, "LIMIT_EXCEEDED": 5})
    assert sold(event) == 1


def test_a_codes_total_uses_are_never_exceeded_by_concurrent_buyers():
    org = connected_org()
    event = _with_discount(org, total_uses=3, use_limit=5)
    seller = clerk(org)

    def buy(i):
        result = seller.gql(CREATE_ORDER, {"p": _cash(org, event, discountCode="FRIENDS")})
        return "ok" if not result.get("errors") else result["errors"][0]["extensions"].get("errorCode")

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = Counter(pool.map(buy, range(10)))
    assert outcomes == Counter({"ok": 3, "SOLD_OUT": 7})


def test_a_paid_order_delivers_its_tickets_by_email():
    org = connected_org()
    event = on_sale_event(org)
    buyer = new_user()
    started = data_of(buyer.gql(START_PAYMENT, {"p": _card(org, event)}))["createOrderPaymentIntent"]
    _confirm(org, started["paymentIntentId"])
    data_of(
        buyer.gql(CREATE_ORDER, {"p": {**_card(org, event), "paymentIntentId": started["paymentIntentId"]}})
    )

    def ticket_mail():
        emails = requests.get(f"{config.SAAS_URL}/_inbox/emails.json", timeout=10).json()
        return [e for e in emails if buyer.email in json.dumps(e["message"]["personalizations"])]

    (mail,) = wait_for(ticket_mail, timeout=30)
    assert "TICKET ARRIVAL" in mail["message"]["subject"]
