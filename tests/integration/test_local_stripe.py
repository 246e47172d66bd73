"""The local Stripe (localstripe + emulator/stripe_fake) behaves like Stripe where our payment code
relies on it: stripe-python talks to it over HTTP, webhooks arrive signed at the SaaS stand-in's
echo sink and are verified with `stripe.Webhook.construct_event`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
import requests
import stripe

from emulator import config

STRIPE = config.STRIPE_URL
ECHOES = f"{config.SAAS_URL}/_inbox/echoes.json"
ACCOUNT_SECRET = "whsec_test_account_endpoint"
CONNECT_SECRET = "whsec_test_connect_endpoint"
SINKS = {
    # kind -> (endpoint id, echo path, secret, connect)
    "account": ("test-account-sink", "/_echo/stripe/account", ACCOUNT_SECRET, False),
    "connect": ("test-connect-sink", "/_echo/stripe/connect", CONNECT_SECRET, True),
}


@pytest.fixture
def client() -> stripe.StripeClient:
    return stripe.StripeClient(
        config.STRIPE_SECRET_KEY, base_addresses={"api": STRIPE, "connect": STRIPE}, max_network_retries=0
    )


@pytest.fixture
def sinks() -> Iterator[None]:
    for endpoint_id, path, secret, connect in SINKS.values():
        requests.post(
            f"{STRIPE}/_config/webhooks/{endpoint_id}",
            data={"url": f"{config.SAAS_URL}{path}", "secret": secret, "connect": str(connect).lower()},
            timeout=5,
        ).raise_for_status()
    yield
    for endpoint_id, *_ in SINKS.values():
        requests.delete(f"{STRIPE}/_config/webhooks/{endpoint_id}", timeout=5)


@pytest.fixture
def account(client: stripe.StripeClient) -> str:
    token = client.oauth.token(params={"grant_type": "authorization_code", "code": f"ac_{uuid.uuid4().hex}"})
    return str(token["stripe_user_id"])


def _on(account: str, **options: Any) -> Any:
    return {"stripe_account": account, **options}


def settle() -> None:
    """Wait until nothing is pending for the test sinks."""
    ids = [endpoint_id for endpoint_id, *_ in SINKS.values()]
    requests.get(f"{STRIPE}/_config/deliveries/wait", params={"endpoint": ids}, timeout=30).raise_for_status()


def delivered(kind: str) -> list[stripe.Event]:
    """Events the echo sink received for one endpoint, each verified against its secret."""
    _, path, secret, _ = SINKS[kind]
    received = []
    for echo in requests.get(ECHOES, timeout=5).json():
        if echo["path"] == path:
            event = stripe.Webhook.construct_event(echo["body"], echo["headers"]["Stripe-Signature"], secret)
            received.append(event)
    return received


def wait_for(
    kind: str, predicate: Callable[[list[stripe.Event]], bool], timeout: float = 10
) -> list[stripe.Event]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        received = delivered(kind)
        if predicate(received):
            return received
        time.sleep(0.1)
    raise AssertionError(f"{kind} sink: condition not met; got {[e.type for e in delivered(kind)]}")


def types_of(received: list[stripe.Event], obj_id: str | None = None) -> list[str]:
    return [e.type for e in received if obj_id is None or e.data.object.get("id") == obj_id]


def error_of(caught: Any) -> Any:
    """The error body Stripe answered (type, code, decline_code, charge, payment_intent...)."""
    return caught.value.json_body["error"]


def previous(event: stripe.Event) -> Any:
    return event.to_dict()["data"]["previous_attributes"]


def has_types(*wanted: str) -> Callable[[list[stripe.Event]], bool]:
    return lambda received: set(wanted) <= set(types_of(received))


def paid_intent(
    client: stripe.StripeClient, account: str, amount: int = 5000, fee: int | None = 500, **params: Any
) -> Any:
    body: dict[str, Any] = {
        "amount": amount,
        "currency": "usd",
        "payment_method": "pm_card_visa",
        "confirm": True,
    }
    if fee is not None:
        body["application_fee_amount"] = fee
    body.update(params)
    return client.v1.payment_intents.create(params=cast(Any, body), options=_on(account))


# --- idempotency ---------------------------------------------------------------------------------


def test_same_idempotency_key_and_parameters_replays_the_first_response(client, account):
    params = {"amount": 2500, "currency": "usd", "metadata": {"order": "o-1"}}
    first = client.v1.payment_intents.create(params=params, options=_on(account, idempotency_key="order-o-1"))
    again = client.v1.payment_intents.create(params=params, options=_on(account, idempotency_key="order-o-1"))
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert again.last_response.code == first.last_response.code == 200
    listed = client.v1.payment_intents.list(options=_on(account))
    assert [pi.id for pi in listed.data] == [first.id]
    created = client.v1.events.list(params={"type": "payment_intent.created"}, options=_on(account))
    assert len(created.data) == 1


def test_same_idempotency_key_with_other_parameters_is_refused(client, account):
    options = _on(account, idempotency_key="refund-r-1")
    client.v1.payment_intents.create(params={"amount": 2500, "currency": "usd"}, options=options)
    with pytest.raises(stripe.IdempotencyError) as caught:
        client.v1.payment_intents.create(params={"amount": 2600, "currency": "usd"}, options=options)
    assert caught.value.http_status == 400
    assert "same parameters they were first used with" in str(caught.value.user_message)


def test_idempotency_keys_are_scoped_per_account(client, account):
    other = client.oauth.token(params={"grant_type": "authorization_code", "code": "ac_other"})[
        "stripe_user_id"
    ]
    params = {"amount": 2500, "currency": "usd"}
    on_first = client.v1.payment_intents.create(params=params, options=_on(account, idempotency_key="k"))
    on_other = client.v1.payment_intents.create(params=params, options=_on(other, idempotency_key="k"))
    assert on_first.id != on_other.id


def test_replayed_decline_does_not_charge_again(client, account):
    params = {"amount": 2500, "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": True}
    errors = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as caught:
            client.v1.payment_intents.create(params=params, options=_on(account, idempotency_key="declined"))
        errors.append(caught.value)
    assert errors[0].json_body == errors[1].json_body
    assert len(client.v1.charges.list(options=_on(account)).data) == 1


# --- Connect -------------------------------------------------------------------------------------


def test_oauth_code_connects_an_account_once(client):
    token = client.oauth.token(params={"grant_type": "authorization_code", "code": "ac_onboarded"})
    assert token["stripe_user_id"].startswith("acct_")
    assert (token["token_type"], token["scope"], token["livemode"]) == ("bearer", "read_write", False)
    account = client.v1.accounts.retrieve(token["stripe_user_id"])
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (True, True, True)
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        client.oauth.token(params={"grant_type": "authorization_code", "code": "ac_onboarded"})
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        client.oauth.token(params={"grant_type": "authorization_code", "code": "not-a-code"})


def test_account_update_is_a_connect_event(client, sinks):
    created = client.v1.accounts.create(
        params={
            "type": "express",
            "country": "US",
            "email": "venue@example.com",
            "business_profile": {"name": "Old"},
        }
    )
    assert created.id.startswith("acct_")
    assert (created.charges_enabled, created.details_submitted) == (False, False)
    client.v1.accounts.update(created.id, params={"business_profile": {"name": "The Venue"}})
    fetched = client.v1.accounts.retrieve(created.id)
    assert (fetched.business_profile.name, fetched.email, fetched.country) == (
        "The Venue",
        "venue@example.com",
        "US",
    )
    (event,) = wait_for("connect", has_types("account.updated"))
    assert event.account == created.id
    assert previous(event)["business_profile"]["name"] == "Old"
    settle()
    assert delivered("account") == []


def test_direct_charge_with_manual_capture_collects_the_application_fee(client, account, sinks):
    intent = paid_intent(client, account, capture_method="manual", metadata={"order": "o-9"})
    assert (intent.status, intent.amount_capturable, intent.amount_received) == ("requires_capture", 5000, 0)
    assert client.v1.application_fees.list().data == []  # nothing collected before capture

    captured = client.v1.payment_intents.capture(
        intent.id, params={"amount_to_capture": 4000}, options=_on(account)
    )
    assert (captured.status, captured.amount_received, captured.amount_capturable) == ("succeeded", 4000, 0)
    fetched = client.v1.payment_intents.retrieve(
        intent.id, params={"expand": ["latest_charge"]}, options=_on(account)
    )
    charge = fetched.latest_charge
    assert (charge.id, charge.amount_captured, charge.application_fee_amount) == (
        intent.latest_charge,
        4000,
        500,
    )
    assert fetched.metadata["order"] == "o-9"

    fee = client.v1.application_fees.retrieve(charge.application_fee)  # on the platform
    assert (fee.amount, fee.amount_refunded, fee.refunded, fee.charge, fee.account) == (
        500,
        0,
        False,
        charge.id,
        account,
    )

    flow = (
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.amount_capturable_updated",
        "charge.captured",
        "payment_intent.succeeded",
    )
    received = wait_for("connect", has_types(*flow))
    assert all(e.account == account for e in received)
    succeeded = next(e for e in received if e.type == "payment_intent.succeeded")
    assert succeeded.data.object.amount_received == 4000
    platform = wait_for("account", has_types("application_fee.created"))
    assert types_of(platform) == ["application_fee.created"]
    assert "account" not in platform[0].to_dict()
    settle()
    assert set(types_of(delivered("connect"))) == set(flow)


def test_webhook_signatures_are_per_endpoint(client, account, sinks):
    paid_intent(client, account)
    wait_for("connect", has_types("payment_intent.succeeded"))
    echo = next(e for e in requests.get(ECHOES, timeout=5).json() if e["path"] == SINKS["connect"][1])
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(echo["body"], echo["headers"]["Stripe-Signature"], ACCOUNT_SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            echo["body"] + " ", echo["headers"]["Stripe-Signature"], CONNECT_SECRET
        )


def test_application_fee_needs_a_direct_charge_and_fits_in_the_amount(client, account):
    with pytest.raises(stripe.InvalidRequestError) as platform:
        client.v1.payment_intents.create(
            params={"amount": 5000, "currency": "usd", "application_fee_amount": 100}
        )
    assert platform.value.param == "application_fee_amount"
    with pytest.raises(stripe.InvalidRequestError) as too_big:
        paid_intent(client, account, amount=5000, fee=5001)
    assert too_big.value.param == "application_fee_amount"


def test_objects_of_a_connected_account_are_invisible_elsewhere(client, account):
    other = client.oauth.token(params={"grant_type": "authorization_code", "code": "ac_someone_else"})
    intent = paid_intent(client, account, fee=None)
    for options in ({}, {"stripe_account": other["stripe_user_id"]}):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.payment_intents.retrieve(intent.id, options=options)
        assert (caught.value.http_status, caught.value.code) == (404, "resource_missing")
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.charges.retrieve(intent.latest_charge, options=options)
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.refunds.create(params={"payment_intent": intent.id}, options=options)
    assert client.v1.charges.retrieve(intent.latest_charge, options=_on(account)).refunded is False
    with pytest.raises(stripe.PermissionError) as unknown:
        client.v1.payment_intents.retrieve(intent.id, options={"stripe_account": "acct_doesnotexist"})
    assert unknown.value.http_status == 403


# --- PaymentIntents ------------------------------------------------------------------------------


def test_automatic_capture_emits_charge_and_intent_succeeded(client, account, sinks):
    intent = paid_intent(client, account, payment_method_types=["card"])
    assert (intent.status, intent.amount_received, intent.payment_method_types) == (
        "succeeded",
        5000,
        ["card"],
    )
    assert intent.payment_method.startswith("pm_")
    wait_for("connect", has_types("charge.succeeded", "payment_intent.succeeded"))


@pytest.mark.parametrize(
    ("card", "decline_code"),
    [
        ("pm_card_visa_chargeDeclined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ],
)
def test_declined_card_leaves_the_intent_awaiting_a_payment_method(
    client, account, sinks, card, decline_code
):
    with pytest.raises(stripe.CardError) as caught:
        paid_intent(client, account, payment_method=card)
    assert (caught.value.http_status, caught.value.code) == (402, "card_declined")
    assert error_of(caught)["decline_code"] == decline_code
    intent_id = error_of(caught)["payment_intent"]["id"]
    intent = client.v1.payment_intents.retrieve(intent_id, options=_on(account))
    assert (intent.status, intent.payment_method) == ("requires_payment_method", None)
    assert intent.last_payment_error.decline_code == decline_code
    assert client.v1.charges.retrieve(intent.latest_charge, options=_on(account)).status == "failed"
    wait_for("connect", has_types("payment_intent.payment_failed", "charge.failed"))
    # The buyer can try again with another card.
    retried = client.v1.payment_intents.confirm(
        intent_id, params={"payment_method": "pm_card_visa"}, options=_on(account)
    )
    assert retried.status == "succeeded"


def test_card_needing_authentication_requires_action(client, account):
    for card in ("pm_card_threeDSecure2Required", "pm_card_authenticationRequired"):
        intent = paid_intent(client, account, payment_method=card)
        assert intent.status == "requires_action"
        assert intent.next_action.type == "use_stripe_sdk"
        assert intent.latest_charge is None


def test_cancel_releases_an_authorisation(client, account, sinks):
    intent = paid_intent(client, account, capture_method="manual")
    canceled = client.v1.payment_intents.cancel(
        intent.id, params={"cancellation_reason": "abandoned"}, options=_on(account)
    )
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    wait_for("connect", has_types("payment_intent.canceled"))
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.capture(intent.id, options=_on(account))
    assert caught.value.code == "payment_intent_unexpected_state"
    assert client.v1.application_fees.list().data == []


# --- legacy Charges ------------------------------------------------------------------------------


def test_legacy_charge_with_a_test_token_on_a_connected_account(client, account, sinks):
    charge = client.v1.charges.create(
        params={"amount": 3000, "currency": "usd", "source": "tok_visa", "application_fee_amount": 300},
        options=_on(account),
    )
    assert charge.id.startswith("ch_")
    assert (charge.status, charge.paid, charge.captured, charge.source.last4) == (
        "succeeded",
        True,
        True,
        "4242",
    )
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount, fee.account) == (300, account)
    refund = client.v1.refunds.create(params={"charge": charge.id, "amount": 1000}, options=_on(account))
    assert refund.charge == charge.id
    with pytest.raises(stripe.CardError) as declined:
        client.v1.charges.create(
            params={"amount": 3000, "currency": "usd", "source": "tok_chargeDeclined"}, options=_on(account)
        )
    assert error_of(declined)["charge"].startswith("ch_")
    wait_for("connect", has_types("charge.succeeded", "charge.failed"))


# --- refunds -------------------------------------------------------------------------------------


def test_refunds_are_bounded_and_refund_the_application_fee(client, account, sinks):
    intent = paid_intent(client, account, amount=5000, fee=500)
    options = _on(account)
    first = client.v1.refunds.create(
        params={
            "payment_intent": intent.id,
            "amount": 2000,
            "refund_application_fee": True,
            "reason": "requested_by_customer",
            "metadata": {"refund": "r-1"},
        },
        options=options,
    )
    assert (first.amount, first.status, first.metadata["refund"]) == (2000, "succeeded", "r-1")
    assert client.v1.refunds.retrieve(first.id, options=options).payment_intent == intent.id
    charge = client.v1.charges.retrieve(intent.latest_charge, options=options)
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (charge.amount_refunded, charge.refunded, fee.amount_refunded) == (2000, False, 200)
    assert fee.refunds.data[0].amount == 200

    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 4000}, options=options)
    assert (over.value.code, over.value.param) == ("amount_too_large", "amount")
    assert "greater than unrefunded amount" in str(over.value.user_message)

    client.v1.refunds.create(params={"charge": charge.id, "refund_application_fee": True}, options=options)
    charge = client.v1.charges.retrieve(charge.id, options=options)
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (charge.amount_refunded, charge.refunded) == (5000, True)
    assert (fee.amount_refunded, fee.refunded) == (500, True)
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1}, options=options)
    assert again.value.code == "charge_already_refunded"

    received = wait_for("connect", lambda r: types_of(r).count("charge.refunded") == 2)
    last = max(
        (e for e in received if e.type == "charge.refunded"), key=lambda e: e.data.object.amount_refunded
    )
    assert (last.data.object.amount_refunded, last.data.object.refunded) == (5000, True)
    assert len(last.data.object.refunds.data) == 2
    wait_for("account", has_types("application_fee.refunded"))


def test_an_authorised_intent_cannot_be_refunded(client, account):
    intent = paid_intent(client, account, capture_method="manual")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create(params={"payment_intent": intent.id}, options=_on(account))
    assert caught.value.code == "payment_intent_unexpected_state"


def test_refund_status_change_emits_charge_refund_updated(client, account, sinks):
    intent = paid_intent(client, account, fee=None)
    refund = client.v1.refunds.create(
        params={"payment_intent": intent.id, "amount": 1500}, options=_on(account)
    )
    requests.post(
        f"{STRIPE}/_config/refunds/{refund.id}/status", data={"status": "failed"}, timeout=5
    ).raise_for_status()
    received = wait_for("connect", has_types("charge.refund.updated"))
    updated = next(e for e in received if e.type == "charge.refund.updated")
    assert (updated.data.object.id, updated.data.object.status) == (refund.id, "failed")
    assert previous(updated)["status"] == "succeeded"
    charge = client.v1.charges.retrieve(intent.latest_charge, options=_on(account))
    assert charge.amount_refunded == 0  # a failed refund gives the money back to the merchant


def test_refund_fail_card_fails_its_refund_later(client, account, sinks):
    intent = paid_intent(client, account, fee=None, payment_method="pm_card_refundFail")
    refund = client.v1.refunds.create(params={"payment_intent": intent.id}, options=_on(account))
    assert refund.status == "succeeded"
    received = wait_for("connect", has_types("charge.refund.updated"))
    updated = next(e for e in received if e.type == "charge.refund.updated")
    assert updated.data.object.failure_reason == "expired_or_canceled_card"


# --- disputes ------------------------------------------------------------------------------------


def test_dispute_card_creates_a_dispute(client, account, sinks):
    intent = paid_intent(client, account, payment_method="pm_card_createDispute")
    assert intent.status == "succeeded"
    received = wait_for("connect", has_types("charge.dispute.created"))
    event = next(e for e in received if e.type == "charge.dispute.created")
    dispute = event.data.object
    assert (dispute.charge, dispute.amount, dispute.status, event.account) == (
        intent.latest_charge,
        5000,
        "needs_response",
        account,
    )
    assert client.v1.charges.retrieve(intent.latest_charge, options=_on(account)).disputed is True
    assert client.v1.disputes.retrieve(dispute.id, options=_on(account)).reason == "fraudulent"
    won = client.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "winning_evidence"}}, options=_on(account)
    )
    assert won.status == "won"


# --- events --------------------------------------------------------------------------------------


def test_events_are_stored_and_resend_delivers_the_same_event_again(client, account, sinks):
    intent = paid_intent(client, account, fee=None)
    (stored,) = client.v1.events.list(params={"type": "payment_intent.succeeded"}, options=_on(account)).data
    assert stored.data.object.id == intent.id
    assert client.v1.events.retrieve(stored.id, options=_on(account)).type == "payment_intent.succeeded"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.events.retrieve(stored.id)  # a Connect event is not the platform's
    wait_for("connect", lambda r: [e.id for e in r].count(stored.id) == 1)

    response = requests.post(f"{STRIPE}/_config/events/{stored.id}/resend", timeout=5)
    assert response.json()["endpoints"] >= 1
    received = wait_for("connect", lambda r: [e.id for e in r].count(stored.id) == 2)
    first, second = ({**e.to_dict(), "pending_webhooks": None} for e in received if e.id == stored.id)
    assert first == second  # the same event; only its count of pending deliveries moves


def test_failed_deliveries_are_retried(client, account):
    requests.post(
        f"{STRIPE}/_config/webhooks/test-broken",
        data={"url": f"{config.SAAS_URL}/no-such-path", "secret": "whsec_x", "connect": "true"},
        timeout=5,
    ).raise_for_status()
    try:
        paid_intent(client, account, fee=None)
        (event,) = client.v1.events.list(params={"type": "payment_intent.created"}, options=_on(account)).data
        deadline = time.monotonic() + 10
        attempts: list[dict[str, Any]] = []
        while time.monotonic() < deadline and len(attempts) < 3:
            deliveries = requests.get(f"{STRIPE}/_config/events/{event.id}/deliveries", timeout=5).json()
            attempts = [d for d in deliveries if d["endpoint"] == "test-broken"]
            time.sleep(0.2)
        assert [a["attempt"] for a in attempts][:3] == [1, 2, 3]
        assert all(a["status"] == 404 for a in attempts)
    finally:
        requests.delete(f"{STRIPE}/_config/webhooks/test-broken", timeout=5)


def test_data_reset_forgets_objects_events_and_idempotency_keys(client, account):
    paid_intent(client, account, fee=None)
    client.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "reset-me"})
    requests.delete(f"{STRIPE}/_config/data", timeout=5).raise_for_status()
    with pytest.raises(stripe.PermissionError):  # the connected account is gone too
        client.v1.payment_intents.list(options=_on(account))
    assert client.v1.events.list().data == []
    assert client.v1.application_fees.list().data == []
    other = client.v1.customers.create(
        params={"email": "b@example.com"}, options={"idempotency_key": "reset-me"}
    )
    assert other.email == "b@example.com"
