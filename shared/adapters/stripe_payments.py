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
from stripe.oauth_error import OAuthError

from shared.domain.ports import RefundState
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
        payment_method: str | None = None,
    ) -> IntentState:
        """An uncaptured card PaymentIntent on `account` (manual capture: we capture only after
        the order is safely recorded, and cancel instead of refunding when it cannot be).
        `payment_method`, a card on that account (a saved card's clone), lets the client confirm
        the intent without collecting the card again."""
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
        if payment_method:
            params["payment_method"] = payment_method
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


class StripeConnect:
    """Connect onboarding (R-ORG-3) and the connected account's public facts (§4.7)."""

    def __init__(self, settings: Settings) -> None:
        self.client = stripe_client(settings)

    def account_for_code(self, code: str) -> str:
        """Exchange Stripe's OAuth authorization code for the connected account id."""
        try:
            token = self.client.oauth.token(params={"grant_type": "authorization_code", "code": code})
        except OAuthError as error:
            log.info("connect code refused", extra={"stripeCode": getattr(error, "code", None)})
            raise DomainError(
                ErrorCode.REFUSED, "Stripe did not accept that connection. Please try again."
            ) from None
        except stripe.StripeError as error:
            raise _payment_error(error) from error
        return str(token["stripe_user_id"])

    def account(self, account_id: str) -> dict[str, Any]:
        try:
            found = self.client.v1.accounts.retrieve(account_id).to_dict()
        except stripe.StripeError as error:
            raise _payment_error(error) from error
        return {
            "name": (found.get("business_profile") or {}).get("name") or "",
            "country": found.get("country") or "",
            "email": found.get("email") or "",
            "payoutsEnabled": bool(found.get("payouts_enabled")),
            "stripeAccountId": found["id"],
        }


def _refund_state(resource: Any) -> RefundState:
    refund = resource.to_dict()
    charge = refund.get("charge") or ""
    intent = refund.get("payment_intent") or ""
    return RefundState(
        id=str(refund["id"]),
        status=str(refund.get("status") or ""),
        amount=int(refund.get("amount") or 0),
        charge=charge if isinstance(charge, str) else str(charge.get("id", "")),
        metadata=dict(refund.get("metadata") or {}),
        payment_intent=intent if isinstance(intent, str) else str(intent.get("id", "")),
    )


class StripeRefunds(StripePayments):
    """Refunds of direct charges on the connected account (SPEC R-REF-6/7)."""

    def refund(
        self,
        account: str,
        *,
        payment_intent: str | None = None,
        charge: str | None = None,
        amount: int,
        refund_application_fee: bool,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> RefundState:
        """Refund `amount` of a PaymentIntent's charge (or of a legacy Charge) on `account`."""
        params: Any = {"amount": amount, "metadata": metadata}
        if payment_intent:
            params["payment_intent"] = payment_intent
        else:
            params["charge"] = charge
        if refund_application_fee:
            params["refund_application_fee"] = True
        try:
            refund = self.client.v1.refunds.create(
                params=params, options={"stripe_account": account, "idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise _refund_error(error) from error
        return _refund_state(refund)

    def retrieve_refund(self, account: str, refund_id: str) -> RefundState:
        try:
            refund = self.client.v1.refunds.retrieve(refund_id, options={"stripe_account": account})
        except stripe.StripeError as error:
            raise _payment_error(error) from error
        return _refund_state(refund)

    def refunds_of_charge(self, account: str, charge_id: str) -> list[RefundState]:
        """Every refund of a charge on `account` (newest first), ours or made in the dashboard."""
        if not charge_id:
            return []
        try:
            listed = self.client.v1.refunds.list(
                params={"charge": charge_id, "limit": 100}, options={"stripe_account": account}
            )
        except stripe.StripeError as error:
            raise _payment_error(error) from error
        return [_refund_state(refund) for refund in listed.auto_paging_iter()]

    def retrieve_charge(self, account: str, charge_id: str) -> dict[str, Any]:
        try:
            charge = self.client.v1.charges.retrieve(charge_id, options={"stripe_account": account})
        except stripe.StripeError as error:
            raise _payment_error(error) from error
        result: dict[str, Any] = charge.to_dict()
        return result

    def refund_rest_of_application_fee(self, account: str, charge_id: str, idempotency_key: str) -> int:
        """R-REF-7: after a refund with refund_application_fee (which returns only a share in
        proportion to the amount refunded), give back whatever is left of the platform's fee.
        Returns the cents refunded here (0 when nothing was left)."""
        fee = self.retrieve_charge(account, charge_id).get("application_fee")
        fee_id = fee if isinstance(fee, str) else (fee or {}).get("id", "")
        if not fee_id:
            return 0
        try:
            current = self.client.v1.application_fees.retrieve(fee_id).to_dict()
            rest = int(current.get("amount") or 0) - int(current.get("amount_refunded") or 0)
            if rest <= 0:
                return 0
            self.client.v1.application_fees.refunds.create(
                fee_id, params={"amount": rest}, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise _payment_error(error) from error
        return rest


def _refund_error(error: stripe.StripeError) -> DomainError:
    """A refusal Stripe gives for this refund (already refunded, too large) is final: say so."""
    if isinstance(error, stripe.InvalidRequestError):
        log.warning("stripe refused refund", extra={"stripeCode": error.code, "status": error.http_status})
        return DomainError(
            ErrorCode.REFUSED, f"Stripe refused the refund: {error.user_message or error.code}."
        )
    return _payment_error(error)
