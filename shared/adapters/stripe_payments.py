"""Stripe payments for Connect direct charges (SPEC 5.8): PaymentIntents and refunds live on the
organization's connected account; the platform's cut is the application fee.

Every request that moves money carries an idempotency key derived from our own ids (SECURITY 5):
the SDK's own random keys only cover its network retries, not a retried request or task.
Stripe errors become DomainErrors with messages fit for a buyer; details go to the log only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import stripe

from shared.errors import DomainError, ErrorCode
from shared.settings import Settings

log = logging.getLogger("sellout.stripe")


@dataclass(frozen=True)
class IntentState:
    id: str
    status: str
    amount: int
    amount_capturable: int
    amount_received: int
    currency: str
    metadata: dict[str, str]
    client_secret: str
    latest_charge: str


def stripe_client(settings: Settings) -> stripe.StripeClient:
    base = settings.stripe_api_base
    addresses: Any = {"api": base, "connect": base, "files": base} if base else {}
    return stripe.StripeClient(
        settings.stripe_secret_key.get_secret_value(), base_addresses=addresses, max_network_retries=2
    )


def _state(resource: Any) -> IntentState:
    intent = resource.to_dict()  # stripe-python objects are not dicts
    charge = intent.get("latest_charge") or ""
    return IntentState(
        id=intent["id"],
        status=intent["status"],
        amount=int(intent["amount"]),
        amount_capturable=int(intent.get("amount_capturable") or 0),
        amount_received=int(intent.get("amount_received") or 0),
        currency=str(intent.get("currency") or ""),
        metadata=dict(intent.get("metadata") or {}),
        client_secret=str(intent.get("client_secret") or ""),
        latest_charge=charge if isinstance(charge, str) else str(charge.get("id", "")),
    )


def _payment_error(error: stripe.StripeError) -> DomainError:
    log.warning(
        "stripe refused", extra={"stripeCode": getattr(error, "code", None), "status": error.http_status}
    )
    if isinstance(error, stripe.CardError):
        return DomainError(ErrorCode.PAYMENT_FAILED, error.user_message or "Your card was declined.")
    if isinstance(error, stripe.InvalidRequestError | stripe.IdempotencyError):
        return DomainError(ErrorCode.PAYMENT_FAILED, "The payment could not be processed.")
    return DomainError(ErrorCode.UPSTREAM_FAILED, "The payment service is unavailable. Please try again.")


class StripePayments:
    def __init__(self, settings: Settings) -> None:
        self.client = stripe_client(settings)

    def create_payment_intent(
        self,
        *,
        account: str,
        amount: int,
        application_fee: int,
        description: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> IntentState:
        """An uncaptured card PaymentIntent on `account` (manual capture: we capture only after
        the order is safely recorded, and cancel instead of refunding when it cannot be)."""
        params: Any = {
            "amount": amount,
            "currency": "usd",
            "description": description,
            "capture_method": "manual",
            "payment_method_types": ["card", "card_present"],
            "metadata": metadata,
        }
        if application_fee:
            params["application_fee_amount"] = application_fee
        try:
            intent = self.client.v1.payment_intents.create(
                params=params, options={"stripe_account": account, "idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise _payment_error(error) from error
        return _state(intent)

    def retrieve(self, account: str, intent_id: str) -> IntentState:
        try:
            intent = self.client.v1.payment_intents.retrieve(intent_id, options={"stripe_account": account})
        except stripe.StripeError as error:
            raise _payment_error(error) from error
        return _state(intent)

    def capture(self, account: str, intent_id: str, idempotency_key: str) -> IntentState:
        try:
            intent = self.client.v1.payment_intents.capture(
                intent_id, options={"stripe_account": account, "idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise _payment_error(error) from error
        return _state(intent)

    def cancel(self, account: str, intent_id: str, idempotency_key: str) -> IntentState | None:
        """Release an authorization (D-18). An intent already canceled or captured stays as it is."""
        try:
            intent = self.client.v1.payment_intents.cancel(
                intent_id, options={"stripe_account": account, "idempotency_key": idempotency_key}
            )
        except stripe.InvalidRequestError as error:
            log.info("payment intent not cancelable", extra={"stripeCode": error.code})
            return None
        except stripe.StripeError as error:
            raise _payment_error(error) from error
        return _state(intent)
