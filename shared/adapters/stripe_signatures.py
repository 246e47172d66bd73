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
        event: dict[str, Any] = json.loads(payload)
        if not isinstance(event, dict) or not str(event.get("id", "")).startswith("evt_"):
            raise BadSignatureError("not an event")
        return event
    raise BadSignatureError("no secret matches")
