"""Paying with a saved card at checkout (SPEC R-PAY-2 steps 1-2) through GraphQL, on the local
Stripe: the card saved on the buyer's platform Customer is cloned onto the organization's
connected account, the PaymentIntent there carries the clone, and createOrder completes it like
any card order. Stripe.js's part (confirming the intent) is played over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import stripe
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.adapters.stripe_cards import StripeSavedCards
from shared.bootstrap import services
from shared.domain.models import Event, Organization
from shared.services.checkout import CheckoutService
from shared.services.saved_cards import NOT_THIS_ORGS_CUSTOMER
from shared.settings import get_settings
from tests.integration.api import data_of, error_of, gql, make_org, new_user, principal_of, user_id_of
from tests.integration.checkout_fixtures import (
    add_fees,
    clerk,
    connected_org,
    on_sale_event,
    sold,
    stripe_client,
    ticket,
)
from tests.integration.test_saved_cards_and_terminal import MY_CARDS, saved_card

START = """mutation($p: OrderPaymentIntentInput!) {
  createOrderPaymentIntent(params: $p) { paymentIntentId clientSecret ephemeralKey } }"""
CREATE_ORDER = """mutation($p: OrderInput!) { createOrder(params: $p) {
  _id userId payments { amount feeAmount paymentMethodType paymentIntentId } } }"""
QUOTE = """query($q: PaymentCalculationInput) { eventFeeCalculation(query: $q) { total selloutFees } }"""


def checkout(org: Organization, event: Event, **extra: Any) -> dict[str, Any]:
    return {"orgId": org.id, "eventId": event.id, "channel": "Online", "tickets": [ticket(event)], **extra}


def code_of(result: dict[str, Any]) -> str:
    return str(error_of(result)["extensions"]["errorCode"])


def on_account(org: Organization) -> Any:
    return {"stripe_account": org.stripeId}


def confirm_as_stripe_js(org: Organization, intent_id: str) -> Any:
    """Stripe.js confirming an intent that already carries its payment method: no card details
    are sent, the clone on the intent is charged."""
    return stripe_client().v1.payment_intents.confirm(intent_id, options=on_account(org))


def reservations_of(event: Event) -> list[Any]:
    query = (
        services()
        .store.client.collection("reservations")
        .where(filter=FieldFilter("eventId", "==", event.id))
    )
    return list(query.get())


def test_a_saved_card_pays_through_its_clone_on_the_orgs_account_and_the_order_completes():
    org = connected_org()
    event = on_sale_event(org, price=5000)
    add_fees(org, event)
    buyer = new_user()
    card = saved_card(buyer)
    quote = data_of(gql(QUOTE, {"q": {"eventId": event.id, "tickets": [ticket(event)]}}))[
        "eventFeeCalculation"
    ]

    started = data_of(buyer.gql(START, {"p": checkout(org, event, paymentMethodId=card)}))[
        "createOrderPaymentIntent"
    ]
    assert started["ephemeralKey"].startswith("ek_test_")
    client: Any = stripe_client()  # untyped: the test reads the nested objects it asserts on
    intent = client.v1.payment_intents.retrieve(started["paymentIntentId"], options=on_account(org))
    assert intent.client_secret == started["clientSecret"]
    assert intent.amount == int(quote["total"])  # the server's price, as without a saved card
    assert intent.application_fee_amount == int(quote["selloutFees"])
    assert intent.status == "requires_confirmation"  # ready: the portal need not ask for the card
    clone_id = intent.payment_method
    assert clone_id.startswith("pm_") and clone_id != card
    clone = client.v1.payment_methods.retrieve(clone_id, options=on_account(org))
    original = client.v1.payment_methods.retrieve(card)
    assert clone.customer is None
    assert (clone.card.last4, clone.card.exp_month, clone.card.fingerprint) == (
        original.card.last4, original.card.exp_month, original.card.fingerprint,
    )  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_methods.retrieve(clone_id)  # it lives on the connected account only
    assert sold(event) == 1

    assert confirm_as_stripe_js(org, intent.id).status == "requires_capture"
    order = data_of(buyer.gql(CREATE_ORDER, {"p": {**checkout(org, event), "paymentIntentId": intent.id}}))[
        "createOrder"
    ]
    assert order["userId"] == user_id_of(buyer)
    total, fee = int(quote["total"]), int(quote["selloutFees"])
    assert order["payments"] == [
        {"amount": total, "feeAmount": fee, "paymentMethodType": "Card Entry", "paymentIntentId": intent.id}
    ]
    captured = client.v1.payment_intents.retrieve(intent.id, options=on_account(org))
    assert (captured.status, captured.amount_received) == ("succeeded", int(quote["total"]))
    charge = client.v1.charges.retrieve(captured.latest_charge, options=on_account(org))
    assert (charge.payment_method, charge.payment_method_details.card.last4) == (clone_id, "4242")
    # The saved card stays the buyer's, on the platform, for the next organization.
    assert client.v1.payment_methods.retrieve(card).customer == original.customer
    assert sold(event) == 1


def test_a_retried_checkout_gets_the_same_intent_clone_and_key_and_stripe_clones_once_per_key():
    org = connected_org()
    event = on_sale_event(org)
    buyer = new_user()
    card = saved_card(buyer)
    params = checkout(org, event, paymentMethodId=card, _id=uuid.uuid4().hex)
    app = services()
    clones: list[str] = []

    class CountingCards:
        """The real saved-card service, with its clones counted."""

        def __getattr__(self, name: str) -> Any:
            return getattr(app.saved_cards, name)

        def clone_to_account(self, *args: Any, **kwargs: Any) -> str:
            clones.append(app.saved_cards.clone_to_account(*args, **kwargs))
            return clones[-1]

    counted = CheckoutService(
        app.store, app.payments, app.task_queue, app.fees.event_fees, cards=CountingCards()
    )
    caller = principal_of(buyer)
    first = counted.start_card_payment(caller, params)
    second = counted.start_card_payment(caller, params)
    assert first == second
    assert first["ephemeralKey"]
    assert len(clones) == 1
    intent = stripe_client().v1.payment_intents.retrieve(
        str(first["paymentIntentId"]), options=on_account(org)
    )
    assert intent.payment_method == clones[0]
    assert sold(event) == 1

    # A request retried after the clone but before the intent (a crash, a timeout) sends the
    # same idempotency key: Stripe answers the same clone instead of making a second one.
    profile = app.store.user_profiles.get(user_id_of(buyer))
    assert profile is not None
    cards = StripeSavedCards(get_settings())
    key = f"clone-{uuid.uuid4().hex}"
    again = cards.clone_to_account(card, profile.stripeCustomerId, org.stripeId, key)
    assert cards.clone_to_account(card, profile.stripeCustomerId, org.stripeId, key) == again
    assert cards.clone_to_account(card, profile.stripeCustomerId, org.stripeId, key + "-other") != again


def test_another_buyers_card_or_an_unknown_card_is_not_found_and_holds_no_stock():
    org = connected_org()
    event = on_sale_event(org, capacity=5)
    owner, intruder = new_user(), new_user()
    card = saved_card(owner)
    saved_card(intruder)  # the intruder has a Customer and cards of their own

    for pm_id in (card, "pm_doesNotExist", "card_doesNotExist", "src_x"):
        refused = intruder.gql(START, {"p": checkout(org, event, paymentMethodId=pm_id)})
        assert (code_of(refused), error_of(refused)["message"]) == ("NOT_FOUND", "Card not found."), pm_id
    no_customer = new_user()
    assert code_of(no_customer.gql(START, {"p": checkout(org, event, paymentMethodId=card)})) == "NOT_FOUND"
    # Naming the owner as the buyer does not help an online buyer: only the box office sells for others.
    as_owner = checkout(org, event, paymentMethodId=card, userId=user_id_of(owner))
    assert code_of(intruder.gql(START, {"p": as_owner})) == "NOT_FOUND"

    assert sold(event) == 0
    assert reservations_of(event) == []
    owner_cards = data_of(owner.gql(MY_CARDS))["userProfile"]["stripeCustomer"]["paymentMethods"]
    assert [c["paymentMethodId"] for c in owner_cards] == [card]  # untouched


def test_the_box_office_charges_a_saved_card_only_of_its_own_orgs_customer_and_gets_no_key():
    org, elsewhere = connected_org(), connected_org("Elsewhere")
    event = on_sale_event(org)
    customer = new_user()
    card = saved_card(customer)
    customer_id = user_id_of(customer)
    order_params = {**checkout(org, event, userId=customer_id), "channel": "Box Office"}
    sale = {**order_params, "paymentMethodId": card}

    stranger = clerk(org).gql(START, {"p": sale})  # the customer never bought from this org
    assert (code_of(stranger), error_of(stranger)["message"]) == ("FORBIDDEN", NOT_THIS_ORGS_CUSTOMER)
    assert sold(event) == 0

    services().store.user_profiles.update(customer_id, {"orgIds": [elsewhere.id, org.id]})
    started = data_of(clerk(org).gql(START, {"p": sale}))["createOrderPaymentIntent"]
    # No ephemeral key: it would hand the clerk's device the run of the customer's cards.
    assert started["ephemeralKey"] is None
    intent = stripe_client().v1.payment_intents.retrieve(started["paymentIntentId"], options=on_account(org))
    assert intent.payment_method not in (None, card)
    confirm_as_stripe_js(org, intent.id)
    order = data_of(clerk(org).gql(CREATE_ORDER, {"p": {**order_params, "paymentIntentId": intent.id}}))[
        "createOrder"
    ]
    assert order["userId"] == customer_id


def test_the_ephemeral_key_comes_with_every_checkout_of_a_buyer_who_has_a_customer():
    org = connected_org()
    event = on_sale_event(org)
    with_customer, without = new_user(), new_user()
    data_of(with_customer.gql("{ userProfile { stripeCustomerId } }"))  # R-USR-2 makes the Customer
    started = data_of(with_customer.gql(START, {"p": checkout(org, event)}))["createOrderPaymentIntent"]
    assert started["ephemeralKey"].startswith("ek_test_")
    started = data_of(without.gql(START, {"p": checkout(org, event)}))["createOrderPaymentIntent"]
    assert started["ephemeralKey"] is None
    assert started["paymentIntentId"]  # the payment itself needs no Customer


def test_an_org_without_stripe_refuses_a_saved_card_as_any_card_and_holds_nothing():
    org = make_org()
    event = on_sale_event(org)
    buyer = new_user()
    refused = buyer.gql(START, {"p": checkout(org, event, paymentMethodId=saved_card(buyer))})
    assert error_of(refused)["message"] == "This organization cannot take card payments yet."
    assert code_of(refused) == "CONFLICT"
    assert sold(event) == 0
    assert reservations_of(event) == []


def test_the_local_stripe_clones_and_makes_ephemeral_keys_with_stripes_rules():
    """The fake refuses what Stripe refuses, so the adapter's calls are checked for real."""
    org = connected_org()
    buyer = new_user()
    card = saved_card(buyer)
    customer = data_of(buyer.gql("{ userProfile { stripeCustomerId } }"))["userProfile"]["stripeCustomerId"]
    other = stripe_client().v1.customers.create().id
    client: Any = stripe_client()

    def clone(params: dict[str, Any], options: Any) -> Any:
        return client.v1.payment_methods.create(params=params, options=options)

    with pytest.raises(stripe.InvalidRequestError) as caught:
        clone({"payment_method": card}, on_account(org))  # attached: its customer must be named
    assert caught.value.param == "customer"
    with pytest.raises(stripe.InvalidRequestError):
        clone({"payment_method": card, "customer": other}, on_account(org))  # someone else's card
    with pytest.raises(stripe.InvalidRequestError):
        clone({"payment_method": card, "customer": customer}, {})  # no connected account named
    with pytest.raises(stripe.InvalidRequestError) as caught:
        clone({"payment_method": "pm_doesNotExist", "customer": customer}, on_account(org))
    assert caught.value.http_status == 404
    made = clone({"payment_method": card, "customer": customer}, on_account(org))
    assert (made.customer, made.card.last4) == (None, "4242")

    key = client.v1.ephemeral_keys.create(
        params={"customer": customer}, options={"stripe_version": "2020-08-27"}
    )
    assert key.secret.startswith("ek_test_")
    assert key.associated_objects[0].id == customer
    assert key.expires - key.created == 3600
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.ephemeral_keys.create(params={"customer": customer}, options=on_account(org))
    assert caught.value.http_status == 404  # the platform Customer is not on the connected account
    assert client.v1.ephemeral_keys.delete(key.id).expires <= key.expires
