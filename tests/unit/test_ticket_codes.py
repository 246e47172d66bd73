import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.domain.ticket_codes import (
    InvalidTicketCodeError,
    TicketIdentity,
    TicketSigner,
    new_secret_id,
    public_key_from_text,
    public_key_text,
    verify,
)


@pytest.fixture
def signer():
    return TicketSigner(Ed25519PrivateKey.generate())


def keys(*signers):
    return {s.key_id: s.public_key for s in signers}


def test_secret_ids_are_two_uuid4s_and_unique():
    first, second = new_secret_id(), new_secret_id()
    assert len(first) == 72
    assert first != second


def test_a_genuine_code_verifies_and_keeps_the_key_the_old_scanner_app_reads(signer):
    identity = TicketIdentity("evt1", new_secret_id(), "ticket", "tk1")
    payload = signer.payload(identity)
    assert json.loads(payload)["orderId"] == identity.secret_id  # the existing app passes this on
    assert json.loads(payload)["ticketId"] == "tk1"
    assert verify(payload, keys(signer)) == identity


@pytest.mark.parametrize("field,value", [("orderId", "x" * 72), ("ticketId", "tk2"), ("e", "evt2")])
def test_a_tampered_payload_is_refused(signer, field, value):
    body = json.loads(signer.payload(TicketIdentity("evt1", new_secret_id(), "ticket", "tk1")))
    body[field] = value
    with pytest.raises(InvalidTicketCodeError):
        verify(json.dumps(body), keys(signer))


def test_turning_a_ticket_code_into_an_order_code_is_refused(signer):
    body = json.loads(signer.payload(TicketIdentity("evt1", new_secret_id(), "ticket", "tk1")))
    del body["ticketId"]
    with pytest.raises(InvalidTicketCodeError):
        verify(json.dumps(body), keys(signer))


def test_a_code_signed_with_another_key_is_refused(signer):
    forger = TicketSigner(Ed25519PrivateKey.generate())
    payload = forger.payload(TicketIdentity("evt1", new_secret_id()))
    with pytest.raises(InvalidTicketCodeError):
        verify(payload, keys(signer))
    forged = json.loads(payload)
    forged["k"] = signer.key_id  # claiming our key id does not help
    with pytest.raises(InvalidTicketCodeError):
        verify(json.dumps(forged), keys(signer))


def test_after_a_key_rotation_old_codes_verify_while_the_old_key_is_kept(signer):
    new_signer = TicketSigner(Ed25519PrivateKey.generate())
    old_code = signer.payload(TicketIdentity("evt1", new_secret_id()))
    assert verify(old_code, keys(signer, new_signer)).event_id == "evt1"
    with pytest.raises(InvalidTicketCodeError):
        verify(old_code, keys(new_signer))


@pytest.mark.parametrize("payload", ["", "not json", "[]", '{"orderId": 5}', '{"orderId": "abc"}'])
def test_unreadable_or_unsigned_codes_are_refused(signer, payload):
    with pytest.raises(InvalidTicketCodeError):
        verify(payload, keys(signer))


def test_public_keys_travel_as_text(signer):
    assert public_key_text(public_key_from_text(public_key_text(signer.public_key))) == public_key_text(
        signer.public_key
    )
