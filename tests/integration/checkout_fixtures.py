"""Builders for checkout tests and the flash-sale benchmark: an organization connected to the
local Stripe, an on-sale event with stock shards, its fees, and a box-office clerk."""

from __future__ import annotations

import time
from typing import Any

import requests
import stripe

from emulator import config
from shared.adapters.stripe_payments import stripe_client as payments_client
from shared.bootstrap import services
from shared.domain.models import Event, EventSchedule, Fee, Organization, TicketTier, TicketType
from shared.settings import get_settings
from tests.integration.api import Caller, data_of, staff_of, wait_for

DAY = 86_400
TYPICAL_FEES: list[tuple[str, str, str, str, float]] = [
    # name, type, appliedTo, appliedBy, value
    ("Service fee", "Flat", "Ticket", "Organization", 150),
    ("Sales tax", "Percent", "Order", "Organization", 8.0),
    ("Sellout fee", "Percent", "Order", "Sellout", 3.0),
    ("Card processing", "Percent", "Order", "Stripe", 2.9),
    ("Card processing flat", "Flat", "Order", "Stripe", 30),
]


def stripe_client() -> stripe.StripeClient:
    """The same client the functions use, pointed at the local Stripe by the local settings."""
    return payments_client(get_settings())


def connected_org(name: str = "Checkout Presents") -> Organization:
    """An organization whose Stripe account exists (and is onboarded) on the local Stripe."""
    account = stripe_client().v1.accounts.create(params={"type": "standard"}).id
    now = int(time.time())
    org = services().store.organizations.create(
        Organization(userId="owner", createdAt=now, orgName=name, stripeId=account)
    )
    requests.post(
        f"{config.STRIPE_URL}/_config/accounts/{account}",
        data={"charges_enabled": "true", "payouts_enabled": "true", "details_submitted": "true"},
        timeout=10,
    )
    # The onboarding sends an account.updated webhook that sets payoutsEnabled on the org; wait
    # for it, so it cannot land in the middle of a test that compares the org before and after.
    onboarded: Organization = wait_for(
        lambda: (o := services().store.organizations.get(org.id)) is not None and o.payoutsEnabled and o,
        timeout=15.0,
    )
    return onboarded


def on_sale_event(org: Organization, capacity: int = 100, price: int = 4500, **fields: Any) -> Event:
    now = int(time.time())
    tier = TicketTier(name="GA", price=price, totalQty=capacity, remainingQty=capacity, startsAt=now - 60,
                      endsAt=now + DAY)  # fmt: skip
    ticket_type = TicketType(name="General Admission", totalQty=capacity, remainingQty=capacity, tiers=[tier])
    event = Event.model_validate({
        "orgId": org.id, "createdAt": now, "name": "Checkout Live", "published": True,
        "ticketTypes": [ticket_type.doc()],
        "schedule": EventSchedule(announceAt=now - 60, ticketsAt=now - 60, ticketsEndAt=now + DAY,
                                  startsAt=now + DAY, endsAt=now + DAY + 4 * 3600).doc(),
        **fields,
    })  # fmt: skip
    return services().events.writer.create(event)


def add_fees(
    org: Organization, event: Event, fees: list[tuple[str, str, str, str, float]] = TYPICAL_FEES
) -> None:
    now = int(time.time())
    for name, kind, applied_to, applied_by, value in fees:
        services().store.fees.save(Fee.model_validate({
            "name": name, "orgId": org.id, "eventId": event.id, "type": kind, "value": value,
            "appliedTo": applied_to, "appliedBy": applied_by,
            "createdBy": "t", "createdAt": now, "updatedBy": "t", "updatedAt": now,
        }))  # fmt: skip


def clerk(org: Organization) -> Caller:
    return staff_of(org.id, "BOX_OFFICE")


def sold(event: Event) -> int:
    totals = services().store.inventory.taken_totals(event.id, event.inventoryShards)
    return totals.get(f"t:{event.ticketTypes[0].id}", 0)


def ticket(event: Event, client_price: int = 1) -> dict[str, Any]:
    """A ticket as the portal sends it; the price is deliberately wrong: the server ignores it."""
    return {"ticketTypeId": event.ticketTypes[0].id, "ticketTierId": event.ticketTypes[0].tiers[0].id,
            "price": client_price}  # fmt: skip


START_PAYMENT = """mutation($p: OrderPaymentIntentInput!) {
  createOrderPaymentIntent(params: $p) { paymentIntentId } }"""


def authorized_card_payment(buyer: Caller, org: Organization, params: dict[str, Any]) -> str:
    """The portal's card flow up to createOrder: the buyer opens the PaymentIntent through GraphQL
    and confirms it as Stripe.js would. Returns the PaymentIntent id."""
    answer = data_of(buyer.gql(START_PAYMENT, {"p": params}))
    intent_id = str(answer["createOrderPaymentIntent"]["paymentIntentId"])
    stripe_client().v1.payment_intents.confirm(
        intent_id, params={"payment_method": "pm_card_visa"}, options={"stripe_account": org.stripeId}
    )
    return intent_id
