"""Verifies Stripe webhook deliveries on the raw request bytes (SECURITY 1).

stripe-python checks the HMAC and rejects timestamps older than the tolerance, but accepts a
timestamp an hour in the future; we also require |now − t| ≤ 300 s. Two endpoint secrets are
tried: the platform account's endpoint and the Connect endpoint (events from connected accounts).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import stripe

TOLERANCE_SECONDS = 300


class BadSignatureError(Exception):
    """Missing, malformed, forged, stale or future signature: the delivery is refused (400)."""


class MalformedEventError(Exception):
    """A validly signed body that is not a Stripe event (not JSON, not an object, no `evt_` id,
    no type, no data object): refused (400) and recorded nowhere, never a 5xx (Stripe would
    retry it for days)."""


def _timestamp(header: str) -> int:
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    raise BadSignatureError("no timestamp")


def verify_event(
    payload: bytes,
    signature_header: str | None,
    secrets: Sequence[str],
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """The event, if `signature_header` signs `payload` with one of `secrets` within the window."""
    if not signature_header:
        raise BadSignatureError("missing signature")
    if abs(clock() - _timestamp(signature_header)) > TOLERANCE_SECONDS:
        raise BadSignatureError("timestamp outside the tolerance")
    for secret in secrets:
        if not secret:
            continue
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature_header, secret, tolerance=TOLERANCE_SECONDS
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError):
            continue
        return _event(payload)
    raise BadSignatureError("no secret matches")


def _event(payload: bytes) -> dict[str, Any]:
    """The signed body as an event, checked for the shape every handler relies on."""
    try:
        event = json.loads(payload)
    except ValueError:  # also UnicodeDecodeError
        raise MalformedEventError("not JSON") from None
    if not isinstance(event, dict):
        raise MalformedEventError("not a JSON object")
    event_id, event_type, data = event.get("id"), event.get("type"), event.get("data")
    if not isinstance(event_id, str) or not event_id.startswith("evt_") or len(event_id) > 255:
        raise MalformedEventError("no event id")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedEventError("no event type")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEventError("no data object")
    if not isinstance(event.get("account", ""), str):
        raise MalformedEventError("account is not a string")
    return event
