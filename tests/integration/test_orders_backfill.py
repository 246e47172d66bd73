"""ordersChargeUpdate end to end (SPEC 4.2, SUPER_USER‡): card orders without a stripeChargeId
get their PaymentIntent's latest charge from the local Stripe, once; nobody else may run it."""

from __future__ import annotations

from typing import Any

from shared.bootstrap import services
from shared.domain.models import Order
from tests.integration.api import data_of, error_of, gql, new_user, staff_of
from tests.integration.checkout_fixtures import (
    add_fees,
    authorized_card_payment,
    clerk,
    connected_org,
    on_sale_event,
    stripe_client,
    ticket,
)
from tests.integration.orders_fixtures import stored_order

CREATE_ORDER = """mutation($p: OrderInput!) { createOrder(params: $p) { _id } }"""
BACKFILL = "{ ordersChargeUpdate { message } }"


def _card_order() -> tuple[Any, Order]:
    org = connected_org()
    event = on_sale_event(org, price=5000)
    add_fees(org, event)
    buyer = new_user()
    params = {"orgId": org.id, "eventId": event.id, "channel": "Online", "tickets": [ticket(event)]}
    intent_id = authorized_card_payment(buyer, org, params)
    created = data_of(buyer.gql(CREATE_ORDER, {"p": {**params, "paymentIntentId": intent_id}}))
    return org, stored_order(created["createOrder"]["_id"])


def _cash_order(org: Any) -> Order:
    event = on_sale_event(org, price=2000)
    params = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
              "type": "Paid", "tickets": [ticket(event)]}  # fmt: skip
    return stored_order(data_of(clerk(org).gql(CREATE_ORDER, {"p": params}))["createOrder"]["_id"])


def _latest_charge(org: Any, intent_id: str) -> str:
    intent = stripe_client().v1.payment_intents.retrieve(intent_id, options={"stripe_account": org.stripeId})
    return str(intent.latest_charge)


def test_a_super_user_back_fills_the_charge_of_a_card_order_once():
    org, order = _card_order()
    cash = _cash_order(org)
    expected = _latest_charge(org, order.payments[0].paymentIntentId)
    assert expected.startswith("ch_") and order.stripeChargeId == expected
    services().store.orders.update(order.id, {"stripeChargeId": ""})  # as an old order has it
    root = new_user(superUser=True)

    first = data_of(root.gql(BACKFILL))["ordersChargeUpdate"]["message"]

    assert first == "Updated 1 order; no more orders remain."
    assert stored_order(order.id).stripeChargeId == expected
    assert stored_order(cash.id).stripeChargeId == ""  # a cash order has no charge to find

    again = data_of(root.gql(BACKFILL))["ordersChargeUpdate"]["message"]

    assert again == "Updated 0 orders; no more orders remain."
    assert stored_order(order.id).stripeChargeId == expected


def test_only_a_super_user_may_run_the_back_fill():
    org, order = _card_order()
    services().store.orders.update(order.id, {"stripeChargeId": ""})

    owner_error = error_of(staff_of(org.id, "OWNER").gql(BACKFILL))
    anonymous_error = error_of(gql(BACKFILL))

    assert (owner_error["message"], owner_error["extensions"]["code"]) == (
        "You do not have permission to do this.",
        "UNAUTHENTICATED",
    )
    assert owner_error["extensions"]["errorCode"] == "FORBIDDEN"
    assert anonymous_error["message"] == "Authentication Required."
    assert stored_order(order.id).stripeChargeId == ""  # nothing ran
