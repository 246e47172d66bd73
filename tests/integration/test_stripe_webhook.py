"""The Stripe webhook function over HTTP: signatures, duplicates, and events out of order."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests

from emulator import config
from shared.bootstrap import services
from tests.integration.api import new_user
from tests.integration.checkout_fixtures import (
    authorized_card_payment,
    connected_org,
    on_sale_event,
    sold,
    ticket,
)

WEBHOOK = f"{config.FUNCTIONS_URL}/stripe-webhook/"


def _deliver(event: dict, secret_name: str = "STRIPE_CONNECT_WEBHOOK_SECRET", at: int | None = None):
    body = json.dumps(event).encode()
    at = int(time.time()) if at is None else at
    secret = config.local_environment()[secret_name]
    signature = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return requests.post(
        WEBHOOK, data=body, headers={"Stripe-Signature": f"t={at},v1={signature}"}, timeout=30
    )


def _event(event_id: str, event_type: str, intent_id: str, account: str) -> dict:
    return {"id": event_id, "type": event_type, "account": account, "object": "event",
            "data": {"object": {"id": intent_id, "object": "payment_intent"}}}  # fmt: skip


def _paid_checkout():
    org = connected_org()
    event = on_sale_event(org)
    buyer = new_user()
    params = {"orgId": org.id, "eventId": event.id, "channel": "Online", "tickets": [ticket(event)]}
    return org, event, authorized_card_payment(buyer, org, params)


def _orders(event):
    return services().store.orders.find(("eventId", "==", event.id))


def test_the_same_event_three_times_makes_one_order():
    org, event, intent_id = _paid_checkout()
    authorized = _event(
        "evt_dup_" + intent_id, "payment_intent.amount_capturable_updated", intent_id, org.stripeId
    )
    outcomes = [_deliver(authorized) for _ in range(3)]
    assert [r.status_code for r in outcomes] == [200, 200, 200]
    assert [r.json()["outcome"] for r in outcomes][1:] == ["duplicate", "duplicate"]
    assert len(_orders(event)) == 1
    assert sold(event) == 1


def test_a_late_failure_event_does_not_undo_a_paid_order():
    org, event, intent_id = _paid_checkout()
    _deliver(_event("evt_ok_" + intent_id, "payment_intent.succeeded", intent_id, org.stripeId))
    late = _deliver(_event("evt_late_" + intent_id, "payment_intent.payment_failed", intent_id, org.stripeId))
    assert late.status_code == 200
    assert len(_orders(event)) == 1
    assert sold(event) == 1


def test_an_event_for_a_payment_we_never_started_is_acknowledged_and_ignored():
    response = _deliver(_event("evt_foreign", "payment_intent.succeeded", "pi_not_ours", "acct_x"))
    assert (response.status_code, response.json()["outcome"]) == (200, "not ours")


def test_unknown_event_types_are_acknowledged():
    response = _deliver({"id": "evt_unknown", "type": "customer.created", "data": {"object": {}}})
    assert (response.status_code, response.json()["outcome"]) == (200, "ignored")


def test_stale_future_and_wrong_secret_signatures_are_refused():
    event = _event("evt_sig", "payment_intent.succeeded", "pi_x", "acct_x")
    assert _deliver(event, at=int(time.time()) - 400).status_code == 400
    assert _deliver(event, at=int(time.time()) + 400).status_code == 400
    wrong = {**config.local_environment()}
    assert wrong["STRIPE_WEBHOOK_SECRET"] != wrong["STRIPE_CONNECT_WEBHOOK_SECRET"]
    assert _deliver(event, secret_name="STRIPE_WEBHOOK_SECRET").status_code == 200  # the account endpoint's
    body = json.dumps(event).encode()
    assert (
        requests.post(WEBHOOK, data=body, headers={"Stripe-Signature": "t=1,v1=00"}, timeout=10).status_code
        == 400
    )


def test_a_dispute_marks_the_order():
    org, event, intent_id = _paid_checkout()
    _deliver(_event("evt_paid_" + intent_id, "payment_intent.succeeded", intent_id, org.stripeId))
    (order,) = _orders(event)
    dispute = {"id": "evt_dispute_" + intent_id, "type": "charge.dispute.created", "account": org.stripeId,
               "data": {"object": {"id": "dp_1", "charge": order.stripeChargeId}}}  # fmt: skip
    assert _deliver(dispute).status_code == 200
    disputed = services().store.orders.get(order.id)
    assert disputed is not None and disputed.disputed and disputed.disputeId == "dp_1"


def _deliver_raw(body: bytes):
    """A body signed with the real secret, whatever it holds."""
    at = int(time.time())
    secret = config.local_environment()["STRIPE_CONNECT_WEBHOOK_SECRET"]
    signature = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return requests.post(
        WEBHOOK, data=body, headers={"Stripe-Signature": f"t={at},v1={signature}"}, timeout=30
    )


def test_a_signed_body_that_is_not_an_event_is_refused_with_400_and_recorded_nowhere():
    events = services().store.client.collection("stripeEvents")
    bodies = [
        b"{garbled",
        b"[]",
        b'[{"id": "evt_in_a_list", "type": "charge.refunded"}]',
        b'"evt_a_string"',
        b"null",
        json.dumps({"type": "charge.refunded", "data": {"object": {"id": "ch_1"}}}).encode(),  # no id
        json.dumps({"id": 7, "type": "charge.refunded", "data": {"object": {"id": "ch_1"}}}).encode(),
        json.dumps({"id": "evt_no_type", "data": {"object": {"id": "ch_1"}}}).encode(),
        json.dumps({"id": "evt_list_data", "type": "charge.refunded", "data": []}).encode(),
        json.dumps({"id": "evt_no_object", "type": "charge.refunded", "data": {"object": "ch_1"}}).encode(),
        json.dumps({"id": "evt_no_object_id", "type": "charge.refunded", "data": {"object": {}}}).encode(),
        json.dumps(
            {
                "id": "evt_account",
                "type": "charge.refunded",
                "account": ["acct_1"],
                "data": {"object": {"id": "ch_1"}},
            }
        ).encode(),
    ]
    for body in bodies:
        response = _deliver_raw(body)
        assert response.status_code == 400, (body, response.status_code, response.text)
        assert response.json()["error"] == {
            "code": "INVALID_INPUT",
            "message": "The body is not a Stripe event.",
        }
    # Stripe signs text: a body that is not UTF-8 cannot carry a valid signature at all.
    assert _deliver_raw(b"\xff\xfe not utf-8").status_code == 400
    # Only the ids these bodies carry: events of earlier tests' payments, delivered late by the
    # local Stripe, may land in the same collection meanwhile.
    ours = {"evt_in_a_list", "evt_a_string", "7", "evt_no_type", "evt_list_data", "evt_no_object",
            "evt_no_object_id", "evt_account"}  # fmt: skip
    stored = {snapshot.id for snapshot in events.stream()}
    assert stored & ours == set()
    assert all(event_id.startswith("evt_") for event_id in stored)  # only real events' ids
