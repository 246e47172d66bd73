"""The local Stripe's saved cards (SetupIntents, PaymentMethods on a Customer, legacy sources)
and Terminal (locations, readers, connection tokens) behave like Stripe where Sellout relies on
them, driven by stripe-python over HTTP as the functions drive it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
import stripe

from emulator import config

STRIPE = config.STRIPE_URL
ADDRESS: Any = {
    "line1": "1 Main St",
    "city": "Denver",
    "state": "CO",
    "postal_code": "80202",
    "country": "US",
}


@pytest.fixture
def client() -> stripe.StripeClient:
    return stripe.StripeClient(
        config.STRIPE_SECRET_KEY, base_addresses={"api": STRIPE, "connect": STRIPE}, max_network_retries=0
    )


@pytest.fixture
def account(client: stripe.StripeClient) -> str:
    token = client.oauth.token(params={"grant_type": "authorization_code", "code": f"ac_{uuid.uuid4().hex}"})
    return str(token["stripe_user_id"])


@pytest.fixture
def customer(client: stripe.StripeClient) -> str:
    return str(client.v1.customers.create(params={"email": "buyer@example.com"}).id)


def _on(account: str) -> Any:
    return {"stripe_account": account}


def confirm_as_stripe_js(intent_id: str, client_secret: str, payment_method: str) -> requests.Response:
    """What Stripe.js sends: the publishable key and the intent's client secret, no secret key."""
    return requests.post(
        f"{STRIPE}/v1/setup_intents/{intent_id}/confirm",
        data={"key": "pk_test_local", "client_secret": client_secret, "payment_method": payment_method},
        timeout=10,
    )


# --- SetupIntents and PaymentMethods -------------------------------------------------------------


def test_confirmed_setup_intent_saves_the_card_on_its_customer(client, customer):
    intent = client.v1.setup_intents.create(params={"customer": customer, "usage": "off_session"})
    assert intent.status == "requires_payment_method"
    assert intent.client_secret.startswith(f"{intent.id}_secret_")

    answer = confirm_as_stripe_js(intent.id, intent.client_secret, "pm_card_visa")
    assert answer.status_code == 200, answer.text
    confirmed = answer.json()
    assert confirmed["status"] == "succeeded"

    pm = client.v1.payment_methods.retrieve(confirmed["payment_method"])
    assert pm.customer == customer
    assert (pm.card.brand, pm.card.last4, pm.card.exp_month) == ("visa", "4242", 12)
    listed = client.v1.payment_methods.list(params={"customer": customer, "type": "card"})
    assert [m.id for m in listed.data] == [pm.id]
    assert [m.id for m in client.v1.customers.payment_methods.list(customer).data] == [pm.id]


def test_setup_intent_refuses_a_wrong_client_secret(client, customer):
    intent = client.v1.setup_intents.create(params={"customer": customer})
    answer = confirm_as_stripe_js(intent.id, intent.id + "_secret_wrong", "pm_card_visa")
    assert answer.status_code == 400
    assert client.v1.setup_intents.retrieve(intent.id).status == "requires_payment_method"


def test_declined_card_fails_the_setup_and_is_not_saved(client, customer):
    intent = client.v1.setup_intents.create(params={"customer": customer})
    with pytest.raises(stripe.CardError) as caught:
        client.v1.setup_intents.confirm(intent.id, params={"payment_method": "pm_card_chargeDeclined"})
    assert caught.value.code == "card_declined"
    again = client.v1.setup_intents.retrieve(intent.id)
    assert again.status == "requires_payment_method"
    assert again.last_setup_error.code == "card_declined"
    assert client.v1.payment_methods.list(params={"customer": customer, "type": "card"}).data == []


def test_card_needing_authentication_on_setup_requires_action(client, customer):
    intent = client.v1.setup_intents.create(params={"customer": customer})
    confirmed = client.v1.setup_intents.confirm(
        intent.id, params={"payment_method": "pm_card_authenticationRequiredOnSetup"}
    )
    assert confirmed.status == "requires_action"
    assert client.v1.payment_methods.list(params={"customer": customer, "type": "card"}).data == []


def test_a_payment_method_belongs_to_one_customer(client, customer):
    other = client.v1.customers.create(params={"email": "other@example.com"}).id
    pm = client.v1.payment_methods.attach("pm_card_mastercard", params={"customer": customer})
    assert (pm.customer, pm.card.brand, pm.card.last4) == (customer, "mastercard", "4444")
    # Attaching again to the same customer changes nothing; to another one is refused.
    assert client.v1.payment_methods.attach(pm.id, params={"customer": customer}).customer == customer
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_methods.attach(pm.id, params={"customer": other})

    detached = client.v1.payment_methods.detach(pm.id)
    assert detached.customer is None
    assert client.v1.payment_methods.list(params={"customer": customer, "type": "card"}).data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_methods.detach(pm.id)


def test_unknown_payment_method_is_a_404(client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_methods.retrieve("pm_doesNotExist")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"


def test_payment_methods_and_customers_of_the_platform_are_invisible_to_a_connected_account(
    client, customer, account
):
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_methods.retrieve(pm.id, options=_on(account))
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_methods.list(params={"customer": customer, "type": "card"}, options=_on(account))


# --- legacy sources ------------------------------------------------------------------------------


def test_card_source_from_a_test_token_is_listed_as_a_card_payment_method(client, customer):
    card = client.v1.customers.payment_sources.create(customer, params={"source": "tok_visa"})
    assert card.object == "card"
    assert client.v1.customers.retrieve(customer).default_source == card.id

    listed = client.v1.payment_methods.list(params={"customer": customer, "type": "card"}).data
    assert [(m.id, m.type, m.card.brand, m.card.last4) for m in listed] == [(card.id, "card", "visa", "4242")]
    assert client.v1.payment_methods.retrieve(card.id).customer == customer

    deleted = client.v1.customers.payment_sources.delete(customer, card.id)
    assert deleted.deleted is True
    assert client.v1.customers.retrieve(customer).default_source is None
    assert client.v1.payment_methods.list(params={"customer": customer, "type": "card"}).data == []


def test_declined_token_is_not_saved_and_another_customers_card_cannot_be_deleted(client, customer):
    with pytest.raises(stripe.CardError):
        client.v1.customers.payment_sources.create(customer, params={"source": "tok_chargeDeclined"})
    other = client.v1.customers.create(params={}).id
    card = client.v1.customers.payment_sources.create(other, params={"source": "tok_mastercard"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.payment_sources.delete(customer, card.id)
    assert caught.value.http_status == 404
    assert client.v1.customers.retrieve(other).default_source == card.id


# --- Terminal ------------------------------------------------------------------------------------


def test_location_reader_and_connection_token_on_a_connected_account(client, account):
    location = client.v1.terminal.locations.create(
        params={"display_name": "Box office", "address": ADDRESS}, options=_on(account)
    )
    assert location.id.startswith("tml_")
    assert location.address.city == "Denver"

    reader = client.v1.terminal.readers.create(
        params={"registration_code": "simulated-wpe", "location": location.id, "label": "Door 1"},
        options=_on(account),
    )
    assert (reader.device_type, reader.status, reader.label, reader.location) == (
        "simulated_wisepos_e", "online", "Door 1", location.id,
    )  # fmt: skip
    assert reader.serial_number.startswith("simulated-wpe-")
    listed = client.v1.terminal.readers.list(params={"location": location.id}, options=_on(account))
    assert [r.id for r in listed.data] == [reader.id]

    token = client.v1.terminal.connection_tokens.create(
        params={"location": location.id}, options=_on(account)
    )
    assert token.secret.startswith("pst_test_")

    deleted = client.v1.terminal.readers.delete(reader.id, options=_on(account))
    assert deleted.deleted is True
    assert client.v1.terminal.readers.list(options=_on(account)).data == []


def test_terminal_objects_are_scoped_to_their_account(client, account):
    other = client.oauth.token(params={"grant_type": "authorization_code", "code": f"ac_{uuid.uuid4().hex}"})
    location = client.v1.terminal.locations.create(
        params={"display_name": "Box office", "address": ADDRESS}, options=_on(account)
    )
    reader = client.v1.terminal.readers.create(
        params={"registration_code": "simulated-s700", "location": location.id}, options=_on(account)
    )
    assert reader.label == reader.serial_number  # no label: the serial number, like Stripe
    assert client.v1.terminal.readers.list(options=_on(other["stripe_user_id"])).data == []
    assert client.v1.terminal.readers.list().data == []  # nor the platform's
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.readers.delete(reader.id, options=_on(other["stripe_user_id"]))
    assert caught.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError):  # another account's location
        client.v1.terminal.readers.create(
            params={"registration_code": "simulated-wpe", "location": location.id},
            options=_on(other["stripe_user_id"]),
        )


def test_location_needs_a_full_address_and_readers_a_known_code(client, account):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.locations.create(
            params={"display_name": "Box office", "address": {**ADDRESS, "city": ""}}, options=_on(account)
        )
    assert caught.value.param == "address[city]"
    location = client.v1.terminal.locations.create(
        params={"display_name": "Box office", "address": ADDRESS}, options=_on(account)
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.readers.create(
            params={"registration_code": "purple-monkey-dishwasher", "location": location.id},
            options=_on(account),
        )
    assert caught.value.param == "registration_code"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.terminal.connection_tokens.create(params={"location": "tml_missing"}, options=_on(account))


def _reader_on(client: stripe.StripeClient, account: str) -> Any:
    location = client.v1.terminal.locations.create(
        params={"display_name": "Box office", "address": ADDRESS}, options=_on(account)
    )
    return client.v1.terminal.readers.create(
        params={"registration_code": "simulated-wpe", "location": location.id}, options=_on(account)
    )


def _card_present_intent(client: stripe.StripeClient, account: str) -> Any:
    params: Any = {
        "amount": 2500,
        "currency": "usd",
        "capture_method": "manual",
        "application_fee_amount": 100,
        "payment_method_types": ["card", "card_present"],
    }
    return client.v1.payment_intents.create(params=params, options=_on(account))


def test_a_reader_collects_a_card_present_payment(client, account):
    reader = _reader_on(client, account)
    intent = _card_present_intent(client, account)

    busy = client.v1.terminal.readers.process_payment_intent(
        reader.id, params={"payment_intent": intent.id}, options=_on(account)
    )
    assert (busy.action.type, busy.action.status) == ("process_payment_intent", "in_progress")
    with pytest.raises(stripe.InvalidRequestError) as caught:  # one payment at a time
        client.v1.terminal.readers.process_payment_intent(
            reader.id, params={"payment_intent": intent.id}, options=_on(account)
        )
    assert caught.value.code == "terminal_reader_busy"

    done = client.v1.test_helpers.terminal.readers.present_payment_method(reader.id, options=_on(account))
    assert done.action.status == "succeeded"
    authorized = client.v1.payment_intents.retrieve(intent.id, options=_on(account))
    assert authorized.status == "requires_capture"
    pm = client.v1.payment_methods.retrieve(authorized.payment_method, options=_on(account))
    assert pm.type == "card_present"
    charge = client.v1.charges.retrieve(authorized.latest_charge, options=_on(account))
    assert charge.payment_method_details.type == "card_present"
    assert charge.payment_method_details.card_present.last4 == "4242"


def test_a_declined_tap_fails_the_readers_action_and_leaves_the_intent_open(client, account):
    reader = _reader_on(client, account)
    intent = _card_present_intent(client, account)
    client.v1.terminal.readers.process_payment_intent(
        reader.id, params={"payment_intent": intent.id}, options=_on(account)
    )
    failed = client.v1.test_helpers.terminal.readers.present_payment_method(
        reader.id, params={"card_present": {"number": "4000000000000002"}}, options=_on(account)
    )
    assert (failed.action.status, failed.action.failure_code) == ("failed", "card_declined")
    assert (
        client.v1.payment_intents.retrieve(intent.id, options=_on(account)).status
        == "requires_payment_method"
    )


def test_a_reader_only_takes_intents_that_accept_card_present(client, account):
    reader = _reader_on(client, account)
    online_only = client.v1.payment_intents.create(
        params={"amount": 2500, "currency": "usd", "payment_method_types": ["card"]}, options=_on(account)
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.terminal.readers.process_payment_intent(
            reader.id, params={"payment_intent": online_only.id}, options=_on(account)
        )
    with pytest.raises(stripe.InvalidRequestError):  # nothing to present a card to
        client.v1.test_helpers.terminal.readers.present_payment_method(reader.id, options=_on(account))
