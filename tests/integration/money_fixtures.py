"""Builders and invariant checks for the overlapping money-operation tests: a paid card order on
the local Stripe, what Stripe says was refunded, and the invariants every order must keep after
any interleaving of refunds, cancellations and webhooks (README, Refunds)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.adapters.refund_store import FirestoreRefundStore
from shared.adapters.stripe_payments import StripeRefunds
from shared.bootstrap import services
from shared.domain import refund_rules
from shared.domain.models import Event, Order, Organization
from shared.domain.ports import RefundState
from shared.domain.refund_rules import RefundRecord
from shared.services.refunds import RefundService
from shared.settings import get_settings
from tests.integration.api import GRAPHQL_URL, Caller, data_of, new_user
from tests.integration.checkout_fixtures import (
    add_fees,
    authorized_card_payment,
    connected_org,
    on_sale_event,
    stripe_client,
    ticket,
)
from tests.integration.orders_fixtures import stored_order

CREATE_ORDER = """mutation($p: OrderInput!) { createOrder(params: $p) { _id } }"""
REFUND = """mutation($o: String!, $t: [String], $u: [String], $pf: Boolean, $mf: Boolean, $a: Int) {
  refundOrder(orderId: $o, ticketIds: $t, upgradeIds: $u, processingFee: $pf, promoterFee: $mf,
              refundAmount: $a) { _id state refundedAmount tickets { _id state } } }"""
REFUND_ALL = """mutation($e: String!) { refundEventOrders(eventId: $e, dryRun: false) { allRefunded } }"""
CANCEL = """mutation($o: String!, $t: [String]) {
  cancelOrder(orderId: $o, ticketIds: $t) { _id state tickets { _id state } } }"""


def card_order(
    tickets: int = 3, price: int = 2000, *, fees: bool = False
) -> tuple[Organization, Event, Order]:
    """A card order paid through the portal's flow (GraphQL, Stripe confirm, createOrder)."""
    org = connected_org()
    event = on_sale_event(org, price=price)
    if fees:
        add_fees(org, event)
    buyer = new_user()
    params = {"orgId": org.id, "eventId": event.id, "channel": "Online",
              "tickets": [ticket(event) for _ in range(tickets)]}  # fmt: skip
    intent_id = authorized_card_payment(buyer, org, params)
    order_id = data_of(buyer.gql(CREATE_ORDER, {"p": {**params, "paymentIntentId": intent_id}}))[
        "createOrder"
    ]["_id"]
    return org, event, stored_order(order_id)


def charge_of(org: Organization, order: Order) -> dict[str, Any]:
    client = stripe_client()
    options: Any = {"stripe_account": org.stripeId}
    intent = client.v1.payment_intents.retrieve(order.payments[0].paymentIntentId, options=options)
    return client.v1.charges.retrieve(str(intent.latest_charge), options=options).to_dict()


def stripe_refunds(org: Organization, order: Order) -> list[dict[str, Any]]:
    charge = charge_of(org, order)
    listed = stripe_client().v1.refunds.list(
        params={"charge": charge["id"], "limit": 100}, options={"stripe_account": org.stripeId}
    )
    return [r.to_dict() for r in listed.data]


def refund_records(order_id: str) -> list[RefundRecord]:
    query = services().store.client.collection("refunds").where(filter=FieldFilter("orderId", "==", order_id))
    return [RefundRecord.model_validate(s.to_dict()) for s in query.stream()]


class AskedStripe(StripeRefunds):
    """The real Stripe refunds adapter, noting every amount it was asked to refund."""

    def __init__(self) -> None:
        super().__init__(get_settings())
        self.asked: list[int] = []

    def refund(self, account: str, **kwargs: Any) -> RefundState:  # type: ignore[override]
        self.asked.append(int(kwargs["amount"]))
        return super().refund(account, **kwargs)


def service_with(records: FirestoreRefundStore, payments: StripeRefunds | None = None) -> RefundService:
    """The refund service of the functions, on another refund store (a paused or unguarded one)."""
    app = services()
    return RefundService(
        app.store, records, payments or app.refunds.payments, app.task_queue, app.refunds.reactions,
        seats=app.seating,
    )  # fmt: skip


def refund_store_args() -> tuple[Any, ...]:
    store = services().store
    return store.client, store.inventory, store.checkout, store.checkout.metrics


def assert_money_invariants(org: Organization, order_id: str) -> Order:
    """After any interleaving: Stripe's refunded total is ours; never more than paid; each item
    refunded at most once, by a settled record whose amounts the order shows; and what was paid
    is exactly the unrefunded items, the refunds and the fee groups kept (R-REF-4/7)."""
    order = stored_order(order_id)
    paid = refund_rules.paid_total(order)
    refunded_on_stripe = sum(
        r["amount"] for r in stripe_refunds(org, order) if r["status"] in ("succeeded", "pending")
    )
    assert refunded_on_stripe == order.refundedAmount, (refunded_on_stripe, order.refundedAmount)
    assert 0 <= order.refundedAmount <= paid
    settled = [r for r in refund_records(order_id) if r.state == "succeeded"]
    items = Counter(i for r in settled for i in (*r.plan.ticketAmounts, *r.plan.upgradeAmounts))
    assert all(n == 1 for n in items.values()), items
    assert not [r for r in refund_records(order_id) if r.state == "pending"]
    assert sum(r.amount for r in settled) == order.refundedAmount
    assert sum(r.amount for r in settled if r.external) == order.externalRefundedAmount
    refunded_items = {t.id for t in order.tickets if t.refund.refunded} | {
        u.id for u in order.upgrades if u.refund.refunded
    }
    assert refunded_items == set(items), (refunded_items, items)
    amounts = refund_rules.item_amounts(order, per_order_discount=False)
    unrefunded = sum(amount for item, amount in amounts.items() if item not in refunded_items)
    kept_fees = (0 if order.processingFee.refund.refunded else refund_rules.processing_fee_amount(order)) + (
        0 if order.promoterFee.refund.refunded else refund_rules.promoter_fee_amount(order)
    )
    assert unrefunded + order.refundedAmount - order.externalRefundedAmount + kept_fees == paid
    return order


def gql_with_key(caller: Caller, query: str, variables: dict[str, Any], key: str) -> dict[str, Any]:
    """GraphQL as Backstage sends a retried mutation: with its Idempotency-Key header."""
    response = requests.post(
        GRAPHQL_URL, json={"query": query, "variables": variables}, timeout=60,
        headers={"Authorization": f"Bearer {caller.token}", "Idempotency-Key": key},
    )  # fmt: skip
    body: dict[str, Any] = response.json()
    return body


def money_state(order_id: str) -> tuple[Any, ...]:
    """What money operations change on an order (delivery and the webhook change other fields)."""
    order = stored_order(order_id)
    return (
        order.state, order.refundedAmount, order.refundPending, order.externalRefundedAmount,
        [(t.id, t.state, t.refund) for t in order.tickets],
        [(u.id, u.state, u.refund) for u in order.upgrades],
        order.processingFee.refund, order.promoterFee.refund,
    )  # fmt: skip
