"""Checkout and refund edge cases on the emulators: a checkout asked again after it finished or
expired, and refunds of season orders reaching their hidden children."""

from __future__ import annotations

import uuid
from typing import Any

from shared.bootstrap import services
from shared.domain.models import Event, Organization
from shared.services.checkout import CheckoutService
from tests.integration.api import data_of, error_of, new_user, principal_of, staff_of, user_id_of, wait_for
from tests.integration.checkout_fixtures import (
    clerk,
    connected_org,
    on_sale_event,
    sold,
    stripe_client,
    ticket,
)
from tests.integration.inbox import with_subject
from tests.integration.test_season_orders import CANCEL, CREATE, REFUND, card_season_order, cash_params, world

START_PAYMENT = """mutation($p: OrderPaymentIntentInput!) {
  createOrderPaymentIntent(params: $p) { paymentIntentId clientSecret } }"""
CREATE_ORDER = """mutation($p: OrderInput!) { createOrder(params: $p) { _id state } }"""


def _keyed_card(org: Organization, event: Event) -> dict[str, Any]:
    return {"orgId": org.id, "eventId": event.id, "channel": "Online", "tickets": [ticket(event)],
            "_id": f"cart-{uuid.uuid4().hex}"}  # fmt: skip


def test_a_checkout_asked_again_after_its_order_was_placed_returns_the_same_payment() -> None:
    org = connected_org()
    event = on_sale_event(org)
    buyer = new_user()
    params = _keyed_card(org, event)
    started = data_of(buyer.gql(START_PAYMENT, {"p": params}))["createOrderPaymentIntent"]
    intent_id = started["paymentIntentId"]
    stripe_client().v1.payment_intents.confirm(
        intent_id, params={"payment_method": "pm_card_visa"}, options={"stripe_account": org.stripeId}
    )
    order = data_of(buyer.gql(CREATE_ORDER, {"p": {**params, "paymentIntentId": intent_id}}))["createOrder"]

    # A reload of the payment page re-sends the same checkout: it used to retry itself without end.
    again = data_of(buyer.gql(START_PAYMENT, {"p": params}))["createOrderPaymentIntent"]
    same = data_of(buyer.gql(CREATE_ORDER, {"p": {**params, "paymentIntentId": again["paymentIntentId"]}}))

    assert again["paymentIntentId"] == intent_id
    assert same["createOrder"]["_id"] == order["_id"]
    assert sold(event) == 1


def test_an_expired_checkout_asked_again_is_refused_clearly_and_holds_nothing() -> None:
    org = connected_org()
    event = on_sale_event(org, capacity=5)
    buyer = new_user()
    params = _keyed_card(org, event)
    app = services()
    # A hold of a few seconds, not 0: the expiry task is enqueued before the reservation is
    # written, and one delivered before that write finds nothing to free and leaves the stock held.
    quick = CheckoutService(app.store, app.payments, app.task_queue, app.fees.event_fees, hold_seconds=3)
    quick.start_card_payment(principal_of(buyer), params)
    assert sold(event) == 1
    wait_for(lambda: sold(event) == 0, timeout=30)  # the expiry task ran on the functions server

    refused = error_of(buyer.gql(START_PAYMENT, {"p": params}))

    assert refused["extensions"]["errorCode"] == "CONFLICT" and "expired" in refused["message"]
    assert sold(event) == 0


def test_the_buyer_is_told_when_their_season_order_is_refunded_or_cancelled() -> None:
    org, season, _ = world()
    buyer = new_user()
    admin = staff_of(org.id, "ADMIN")
    paid = card_season_order(buyer, org, season)
    held = data_of(clerk(org).gql(CREATE, {"p": cash_params(org, season, userId=user_id_of(buyer))}))

    data_of(admin.gql(REFUND, {"o": paid["_id"], "t": [paid["tickets"][0]["_id"]], "pf": True, "mf": True}))
    data_of(admin.gql(CANCEL, {"o": held["createSeasonOrder"]["_id"]}))

    wait_for(lambda: with_subject(f"[ORDER REFUNDED] {season.name}", buyer.email), timeout=60)
    wait_for(lambda: with_subject(f"[ORDER CANCELED] {season.name}", buyer.email), timeout=60)
