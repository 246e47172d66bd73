"""Signed ticket codes (SPEC R-QR-1; SECURITY 20-21), after pretix's signed-ticket scheme.

A QR code carries a small JSON object. The existing scanner app reads `orderId` (the order's
72-character `secretId`) and ignores the rest; new scanners verify `sig`, an Ed25519 signature by
the event's platform key over the code's identity, and can therefore admit offline. No personal
data and no sequential ids are in the code. `k` names the signing key so keys can rotate: a
verifier keeps the public keys of every key still in use.

    {"orderId": "<secretId>", "ticketId": "<id>", "e": "<eventId>", "v": 1, "k": "<keyId>", "sig": "<b64url>"}
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

VERSION = 1
ItemKind = Literal["order", "ticket", "upgrade"]


def new_secret_id() -> str:
    """SPEC 2.2: two UUID4 strings concatenated (72 characters), unguessable."""
    return str(uuid.uuid4()) + str(uuid.uuid4())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:12]


def private_key_from_setting(value: str) -> Ed25519PrivateKey:
    """TICKET_SIGNING_KEY: base64 of the 32 raw bytes of an Ed25519 private key."""
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(value))


def public_key_from_text(value: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_unb64(value))


def public_key_text(key: Ed25519PublicKey) -> str:
    return _b64(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


@dataclass(frozen=True)
class TicketIdentity:
    event_id: str
    secret_id: str
    kind: ItemKind = "order"
    item_id: str = ""


def _message(identity: TicketIdentity, kid: str) -> bytes:
    # Length-prefixed fields: no separator trick can make two identities sign the same bytes.
    parts = [f"sellout{VERSION}", kid, identity.event_id, identity.secret_id, identity.kind, identity.item_id]
    return b"".join(len(p.encode()).to_bytes(2, "big") + p.encode() for p in parts)


class TicketSigner:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    def payload(self, identity: TicketIdentity) -> str:
        """The text to put in the QR code."""
        body: dict[str, str | int] = {"orderId": identity.secret_id}
        if identity.kind == "ticket":
            body["ticketId"] = identity.item_id
        elif identity.kind == "upgrade":
            body["upgradeId"] = identity.item_id
        body |= {
            "e": identity.event_id,
            "v": VERSION,
            "k": self.key_id,
            "sig": _b64(self.private_key.sign(_message(identity, self.key_id))),
        }
        return json.dumps(body, separators=(",", ":"))


class InvalidTicketCodeError(Exception):
    """Not a code we issued: unreadable, unsigned, forged, tampered, or signed by an unknown key."""


def parse(payload: str) -> dict[str, str]:
    try:
        body = json.loads(payload)
    except ValueError:
        raise InvalidTicketCodeError("unreadable") from None
    if not isinstance(body, dict) or not isinstance(body.get("orderId"), str):
        raise InvalidTicketCodeError("no order")
    return {k: str(v) for k, v in body.items()}


def verify(payload: str, public_keys: Mapping[str, Ed25519PublicKey]) -> TicketIdentity:
    """The identity a genuine code stands for; InvalidTicketCodeError for anything else."""
    body = parse(payload)
    if body.get("v") != str(VERSION) or "sig" not in body or "e" not in body:
        raise InvalidTicketCodeError("unsigned")
    key = public_keys.get(body.get("k", ""))
    if key is None:
        raise InvalidTicketCodeError("unknown key")
    kind: ItemKind = "ticket" if "ticketId" in body else "upgrade" if "upgradeId" in body else "order"
    identity = TicketIdentity(
        body["e"], body["orderId"], kind, body.get("ticketId") or body.get("upgradeId") or ""
    )
    try:
        key.verify(_unb64(body["sig"]), _message(identity, body["k"]))
    except (InvalidSignature, ValueError):
        raise InvalidTicketCodeError("bad signature") from None
    return identity
