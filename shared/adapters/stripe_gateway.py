"""Stripe objects of the platform account itself (not of connected accounts): the Customer each
buyer gets on first `userProfile` (R-USR-2).

Creation carries an idempotency key derived from our user id (SECURITY 5), so two first calls
racing each other, or a retried request, end with one Customer, not two.
"""

from __future__ import annotations

import logging

import stripe
from stripe.params import CustomerCreateParams

from shared.adapters.stripe_payments import stripe_client
from shared.errors import DomainError, ErrorCode
from shared.settings import Settings

log = logging.getLogger("sellout.stripe")


class StripeGateway:
    def __init__(self, settings: Settings) -> None:
        self.client = stripe_client(settings)

    def create_customer(self, user_id: str, email: str, name: str, phone: str) -> str:
        """The platform Customer of one of our users; returns its id."""
        params: CustomerCreateParams = {"metadata": {"userId": user_id}}
        if email:
            params["email"] = email
        if name:
            params["name"] = name
        if phone:
            params["phone"] = phone
        try:
            customer = self.client.customers.create(
                params=params, options={"idempotency_key": f"customer-{user_id}"}
            )
        except stripe.StripeError as error:
            log.warning(
                "stripe customer creation failed",
                extra={"stripeCode": getattr(error, "code", None), "status": error.http_status},
            )
            raise DomainError(ErrorCode.UPSTREAM_FAILED, "Payments are unavailable right now.") from None
        return str(customer.id)
