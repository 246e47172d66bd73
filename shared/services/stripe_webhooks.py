"""Stripe webhook events (SPEC 4.8; SECURITY 1-4): verified, recorded once, dispatched by type.

Status codes are the protocol with Stripe: 2xx = done or not interested (including a permanent
refusal we have recorded), 400 = bad signature, 5xx = try again later. Events arrive late, twice
or out of order, so handlers re-read the Stripe object and our records instead of trusting the
event's snapshot, and every effect is idempotent on its own (a reservation is fulfilled once;
an order's dispute or an account's payout flag is set, not toggled).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from google.api_core import exceptions as google_exceptions

from shared.adapters.stripe_signatures import BadSignatureError, MalformedEventError, verify_event
from shared.errors import DomainError, ErrorCode
from shared.services.checkout import CheckoutService
from shared.services.refunds import RefundService

log = logging.getLogger("sellout.stripe.webhook")

# Refusals that will never succeed on retry: record and answer 2xx so Stripe stops resending.
PERMANENT = {ErrorCode.SOLD_OUT, ErrorCode.PAYMENT_FAILED, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT}


class MalformedEventRefusedError(DomainError):
    """A signed body that is not an event: 400 (not 422: Stripe's protocol), nothing recorded."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.INVALID_INPUT, "The body is not a Stripe event.")

    @property
    def http_status(self) -> int:
        return 400


class StripeWebhookService:
    def __init__(
        self,
        store: Any,
        checkout: CheckoutService,
        secrets: Sequence[str],
        clock: Callable[[], float] = time.time,
        refunds: RefundService | None = None,
    ) -> None:
        self.store = store
        self.checkout = checkout
        self.refunds = refunds
        self.secrets = list(secrets)
        self.clock = clock
        self.events = store.client.collection("stripeEvents")
        self.handlers: dict[str, Callable[[dict[str, Any]], str]] = {
            "payment_intent.amount_capturable_updated": self._payment_authorized,
            "payment_intent.succeeded": self._payment_authorized,
            "payment_intent.payment_failed": self._payment_failed,
            "payment_intent.canceled": self._payment_failed,
            "charge.dispute.created": self._dispute_created,
            "account.updated": self._account_updated,
            "charge.refunded": self._charge_refunded,
            "charge.refund.updated": self._refund_updated,
        }

    def receive(self, payload: bytes, signature: str | None) -> tuple[int, str]:
        """Verify and process one delivery; returns the HTTP status and a short outcome."""
        try:
            event = verify_event(payload, signature, self.secrets, self.clock)
        except BadSignatureError:
            raise DomainError(ErrorCode.BAD_SIGNATURE, "Invalid signature.") from None
        except MalformedEventError as error:
            log.warning("signed webhook body is not an event", extra={"reason": str(error)})
            raise MalformedEventRefusedError from None
        event_id, event_type = str(event["id"]), str(event.get("type", ""))
        if self.events.document(event_id).get().exists:
            return 200, "duplicate"
        handler = self.handlers.get(event_type)
        if handler is None:
            return 200, "ignored"
        object_id = self._object(event).get("id")
        if not isinstance(object_id, str) or not object_id:  # every handler looks its object up
            log.warning("signed webhook event without an object id", extra={"eventId": event_id})
            raise MalformedEventRefusedError
        try:
            outcome = handler(event)
        except DomainError as error:
            if error.code not in PERMANENT:
                raise  # → 5xx: Stripe retries
            outcome = f"refused: {error.code}"
        self._record(event_id, event_type, outcome)
        log.info(
            "stripe event processed", extra={"eventId": event_id, "type": event_type, "outcome": outcome}
        )
        return 200, outcome

    def _record(self, event_id: str, event_type: str, outcome: str) -> None:
        # A concurrent duplicate may have finished first; the effects are idempotent either way.
        with contextlib.suppress(google_exceptions.AlreadyExists):
            self.events.document(event_id).create(
                {"type": event_type, "outcome": outcome, "processedAt": int(self.clock())}
            )

    @staticmethod
    def _object(event: dict[str, Any]) -> dict[str, Any]:
        return dict(event.get("data", {}).get("object") or {})

    def _payment_authorized(self, event: dict[str, Any]) -> str:
        """Fulfil the order even if the client never called createOrder (closed browser, crash)."""
        intent = self._object(event)
        found = self.checkout.checkout.reservation_for_intent(str(intent.get("id", "")))
        if found is None:
            return "not ours"
        order = self.checkout.fulfil(found[0].id)
        return f"order {order.id}"

    def _payment_failed(self, event: dict[str, Any]) -> str:
        self.checkout.payment_failed(str(self._object(event).get("id", "")))
        return "released if canceled"

    def _dispute_created(self, event: dict[str, Any]) -> str:
        dispute = self._object(event)
        orders = self.store.orders.find(("stripeChargeId", "==", str(dispute.get("charge", ""))), limit=1)
        if not orders:
            return "not ours"
        self.store.orders.update(orders[0].id, {"disputed": True, "disputeId": str(dispute.get("id", ""))})
        return f"order {orders[0].id} disputed"

    def _account_updated(self, event: dict[str, Any]) -> str:
        account = self._object(event)
        orgs = self.store.organizations.find(("stripeId", "==", str(account.get("id", ""))), limit=1)
        if not orgs:
            return "not ours"
        self.store.organizations.update(orgs[0].id, {"payoutsEnabled": bool(account.get("payouts_enabled"))})
        return f"organization {orgs[0].id} updated"

    def _charge_refunded(self, event: dict[str, Any]) -> str:
        """Settle our pending refunds of this charge whose answer was lost (re-read on Stripe)."""
        if self.refunds is None:
            return "ignored"
        charge = self._object(event)
        return self.refunds.reconcile_charge(str(event.get("account", "")), str(charge.get("id", "")))

    def _refund_updated(self, event: dict[str, Any]) -> str:
        if self.refunds is None:
            return "ignored"
        refund = self._object(event)
        return self.refunds.reconcile_stripe_refund(str(event.get("account", "")), str(refund.get("id", "")))
