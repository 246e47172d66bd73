"""Stripe calls for saved cards (platform account, R-PAY-1) and Stripe Terminal (the
organization's connected account, R-PAY-5).

Stripe errors become DomainErrors with stable codes, in one place (`stripe_error`): a card the
issuer declines -> PAYMENT_FAILED, an object Stripe does not know on that account -> NOT_FOUND,
a request Stripe refuses -> REFUSED, Stripe unreachable or failing -> UPSTREAM_FAILED. Card
numbers never pass through here (Stripe.js and the reader collect them) and nothing logged
carries card details or keys: only Stripe's error code and status.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, cast

import stripe
from stripe.params import SetupIntentCreateParams

from shared.adapters.stripe_payments import stripe_client
from shared.domain.payment_methods import LocationAddress, SavedCard, TerminalReader
from shared.errors import DomainError, ErrorCode
from shared.settings import Settings

log = logging.getLogger("sellout.stripe")

PAYMENTS_UNAVAILABLE = "The payment service is unavailable. Please try again."


def stripe_error(error: stripe.StripeError, what: str) -> DomainError:
    """The DomainError for a Stripe failure about `what` (e.g. "Card", "Card reader")."""
    log.warning(
        "stripe refused", extra={"stripeCode": getattr(error, "code", None), "status": error.http_status}
    )
    if isinstance(error, stripe.CardError):
        return DomainError(ErrorCode.PAYMENT_FAILED, error.user_message or "Your card was declined.")
    if isinstance(error, stripe.InvalidRequestError):
        if error.http_status == 404 or error.code == "resource_missing":
            return DomainError(ErrorCode.NOT_FOUND, f"{what} not found.")
        if error.param == "registration_code":
            return DomainError(
                ErrorCode.REFUSED, "That registration code is not valid. Generate a new one on the reader."
            )
        return DomainError(ErrorCode.REFUSED, f"Stripe refused this request ({error.code or 'invalid'}).")
    if isinstance(error, stripe.PermissionError):
        # A connected account that revoked our access (or never existed): the org must reconnect.
        return DomainError(
            ErrorCode.REFUSED, "Stripe no longer accepts requests for this account. Reconnect Stripe."
        )
    if isinstance(error, stripe.IdempotencyError):
        return DomainError(ErrorCode.BUSY, "This request is already being processed. Please try again.")
    return DomainError(ErrorCode.UPSTREAM_FAILED, PAYMENTS_UNAVAILABLE)


def saved_card(found: dict[str, Any]) -> SavedCard:
    """A PaymentMethod (or a legacy card source rendered as one, or a Card object) as a SavedCard."""
    card = found.get("card") if found.get("object") == "payment_method" else found
    card = card or {}
    customer = found.get("customer") or ""
    return SavedCard(
        id=str(found["id"]),
        customer=customer if isinstance(customer, str) else str(customer.get("id", "")),
        brand=str(card.get("brand") or "").lower(),
        last4=str(card.get("last4") or ""),
        exp_month=int(card.get("exp_month") or 0),
        exp_year=int(card.get("exp_year") or 0),
        funding=str(card.get("funding") or ""),
        country=str(card.get("country") or ""),
        type=str(found.get("type") or "card") if found.get("object") == "payment_method" else "card",
    )


def _reader(found: dict[str, Any]) -> TerminalReader:
    location = found.get("location") or ""
    return TerminalReader(
        id=str(found["id"]),
        label=str(found.get("label") or ""),
        device_type=str(found.get("device_type") or ""),
        location=location if isinstance(location, str) else str(location.get("id", "")),
        serial_number=str(found.get("serial_number") or ""),
        status=str(found.get("status") or ""),
        ip_address=str(found.get("ip_address") or ""),
    )


class StripeSavedCards:
    """Cards saved on the platform's Customers (no Stripe-Account: they are the platform's, so
    one saved card serves every organization's checkout through a clone)."""

    def __init__(self, settings: Settings) -> None:
        self.client = stripe_client(settings)
        # Stripe renders what an ephemeral key reads with the API version the key was made for,
        # which must be the version of the client SDK that uses it (the purchase portal's).
        self.client_api_version = settings.stripe_client_api_version

    def customer_email(self, customer_id: str) -> str:
        try:
            customer = self.client.v1.customers.retrieve(customer_id).to_dict()
        except stripe.StripeError as error:
            raise stripe_error(error, "Customer") from None
        return str(customer.get("email") or "")

    def create_setup_intent(self, customer_id: str, user_id: str) -> str:
        """A SetupIntent for saving a card off-session; returns its client secret."""
        try:
            params: SetupIntentCreateParams = {
                "customer": customer_id,
                "usage": "off_session",
                "metadata": {"userId": user_id},
            }
            intent = self.client.v1.setup_intents.create(params=params)
        except stripe.StripeError as error:
            raise stripe_error(error, "Customer") from None
        return str(intent.client_secret)

    def payment_method(self, payment_method_id: str) -> SavedCard:
        try:
            found = self.client.v1.payment_methods.retrieve(payment_method_id).to_dict()
        except stripe.StripeError as error:
            raise stripe_error(error, "Card") from None
        return saved_card(found)

    def attach(self, payment_method_id: str, customer_id: str) -> SavedCard:
        try:
            found = self.client.v1.payment_methods.attach(
                payment_method_id, params={"customer": customer_id}
            ).to_dict()
        except stripe.StripeError as error:
            raise stripe_error(error, "Card") from None
        return saved_card(found)

    def detach(self, payment_method_id: str) -> None:
        try:
            self.client.v1.payment_methods.detach(payment_method_id)
        except stripe.StripeError as error:
            raise stripe_error(error, "Card") from None

    def clone_to_account(
        self, payment_method_id: str, customer_id: str, account: str, idempotency_key: str
    ) -> str:
        """Share a platform card with a connected account for one direct charge there (SPEC
        R-PAY-2.1): Stripe makes a new PaymentMethod on `account`, attached to no customer.
        Returns its id. `idempotency_key` makes a retried checkout get the same clone."""
        params: Any = {"payment_method": payment_method_id}
        if customer_id:
            params["customer"] = customer_id
        try:
            clone = self.client.v1.payment_methods.create(
                params=params, options={"stripe_account": account, "idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise stripe_error(error, "Card") from None
        return str(clone.id)

    def ephemeral_key(self, customer_id: str, idempotency_key: str) -> str:
        """The secret of a short-lived key that lets the client read and manage this one
        Customer's cards with the publishable key (SPEC R-PAY-2.2)."""
        try:
            key = self.client.v1.ephemeral_keys.create(
                params={"customer": customer_id},
                options={"stripe_version": self.client_api_version, "idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise stripe_error(error, "Customer") from None
        return str(key.secret)

    def cards(self, customer_id: str) -> list[SavedCard]:
        """The customer's cards, PaymentMethods and legacy sources alike (Stripe lists both)."""
        try:
            found = self.client.v1.payment_methods.list(
                params={"customer": customer_id, "type": "card", "limit": 100}
            )
        except stripe.StripeError as error:
            raise stripe_error(error, "Customer") from None
        return [saved_card(item.to_dict()) for item in found.data]

    def add_source(self, customer_id: str, token: str) -> SavedCard:
        """Legacy: save a card token as a source of the customer. A token is single-use, so a
        retry of the same request must replay Stripe's first answer: the key is derived from it."""
        key = "source-" + hashlib.sha256(f"{customer_id}:{token}".encode()).hexdigest()[:40]
        try:
            found = self.client.v1.customers.payment_sources.create(
                customer_id, params={"source": token}, options={"idempotency_key": key}
            ).to_dict()
        except stripe.StripeError as error:
            raise stripe_error(error, "Card") from None
        return saved_card({**found, "customer": customer_id})

    def delete_source(self, customer_id: str, source_id: str) -> None:
        try:
            self.client.v1.customers.payment_sources.delete(customer_id, source_id)
        except stripe.StripeError as error:
            raise stripe_error(error, "Card") from None


class StripeTerminal:
    """Terminal objects live on the organization's connected account (`account`), where its
    card-present PaymentIntents are created too."""

    def __init__(self, settings: Settings) -> None:
        self.client = stripe_client(settings)

    def connection_token(self, account: str) -> str:
        try:
            token = self.client.v1.terminal.connection_tokens.create(options={"stripe_account": account})
        except stripe.StripeError as error:
            raise stripe_error(error, "Stripe account") from None
        return str(token.secret)

    def location_exists(self, account: str, location_id: str) -> bool:
        try:
            self.client.v1.terminal.locations.retrieve(location_id, options={"stripe_account": account})
        except stripe.InvalidRequestError as error:
            if error.http_status == 404:
                return False
            raise stripe_error(error, "Location") from None
        except stripe.StripeError as error:
            raise stripe_error(error, "Location") from None
        return True

    def create_location(self, account: str, name: str, address: LocationAddress, key: str) -> str:
        """A Location for the org's readers. `key` makes two racing requests (or a retry) end
        with one Location."""
        try:
            location = self.client.v1.terminal.locations.create(
                params={"display_name": name, "address": cast(Any, address.params())},
                options={"stripe_account": account, "idempotency_key": key},
            )
        except stripe.StripeError as error:
            raise stripe_error(error, "Location") from None
        return str(location.id)

    def readers(self, account: str) -> list[TerminalReader]:
        try:
            found = self.client.v1.terminal.readers.list(
                params={"limit": 100}, options={"stripe_account": account}
            )
        except stripe.StripeError as error:
            raise stripe_error(error, "Card reader") from None
        return [_reader(item.to_dict()) for item in found.data]

    def register_reader(self, account: str, code: str, label: str, location: str) -> TerminalReader:
        params: Any = {"registration_code": code, "location": location}
        if label:
            params["label"] = label
        try:
            reader = self.client.v1.terminal.readers.create(
                params=params, options={"stripe_account": account}
            )
        except stripe.StripeError as error:
            raise stripe_error(error, "Card reader") from None
        return _reader(reader.to_dict())

    def delete_reader(self, account: str, reader_id: str) -> None:
        try:
            self.client.v1.terminal.readers.delete(reader_id, options={"stripe_account": account})
        except stripe.StripeError as error:
            raise stripe_error(error, "Card reader") from None
