import hashlib
import hmac
import json
import time

import pytest

from shared.adapters.stripe_signatures import BadSignatureError, MalformedEventError, verify_event

SECRET = "whsec_test_account"
CONNECT_SECRET = "whsec_test_connect"
PAYLOAD = json.dumps({"id": "evt_123", "type": "payment_intent.succeeded", "data": {"object": {}}}).encode()


def sign(payload: bytes, secret: str, at: int) -> str:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def test_a_genuine_delivery_is_accepted_with_either_endpoint_secret():
    now = int(time.time())
    assert verify_event(PAYLOAD, sign(PAYLOAD, SECRET, now), [SECRET, CONNECT_SECRET])["id"] == "evt_123"
    assert (
        verify_event(PAYLOAD, sign(PAYLOAD, CONNECT_SECRET, now), [SECRET, CONNECT_SECRET])["id"] == "evt_123"
    )


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "v1=deadbeef",
        "t=notanumber,v1=deadbeef",
    ],
)
def test_missing_or_malformed_signatures_are_refused(header):
    with pytest.raises(BadSignatureError):
        verify_event(PAYLOAD, header, [SECRET])


def test_a_forged_secret_is_refused():
    with pytest.raises(BadSignatureError):
        verify_event(PAYLOAD, sign(PAYLOAD, "whsec_attacker", int(time.time())), [SECRET])


def test_a_tampered_or_reserialised_body_is_refused():
    header = sign(PAYLOAD, SECRET, int(time.time()))
    tampered = PAYLOAD.replace(b"evt_123", b"evt_999")
    reserialised = json.dumps(json.loads(PAYLOAD), indent=2).encode()
    for body in (tampered, reserialised):
        with pytest.raises(BadSignatureError):
            verify_event(body, header, [SECRET])


@pytest.mark.parametrize("skew", [-301, -3600, 301, 3600])
def test_stale_and_future_timestamps_are_refused(skew):
    at = int(time.time()) + skew
    with pytest.raises(BadSignatureError):
        verify_event(PAYLOAD, sign(PAYLOAD, SECRET, at), [SECRET])


@pytest.mark.parametrize(
    "body",
    [
        b"{garbled",
        b"[]",
        b"null",
        b'{"hello": "world"}',
        b'{"type": "charge.refunded", "data": {"object": {}}}',
        b'{"id": "ch_1", "type": "charge.refunded", "data": {"object": {}}}',
        b'{"id": "evt_1", "data": {"object": {}}}',
        b'{"id": "evt_1", "type": "charge.refunded", "data": []}',
        b'{"id": "evt_1", "type": "charge.refunded", "data": {"object": "ch_1"}}',
        b'{"id": "evt_1", "type": "charge.refunded", "account": 5, "data": {"object": {}}}',
    ],
)
def test_a_validly_signed_body_that_is_not_an_event_is_malformed_not_a_crash(body: bytes):
    now = int(time.time())
    with pytest.raises(MalformedEventError):
        verify_event(body, sign(body, SECRET, now), [SECRET])
