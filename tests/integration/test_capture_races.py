"""Capture x cancel (issue 12): a card payment captured by createOrder or the webhook while its
checkout is cancelled (the buyer replaced it, or it expired). Stripe lets only one of capture and
cancel happen; the stock must follow Stripe's answer (a captured payment keeps its stock held
for its order). The capture is paused after Stripe captured and before the order is written,
while the cancellation runs whole. The control is the cancellation before the fix: it released
the stock although Stripe found the payment captured, so for a moment a paid order's stock was
on sale again (sold out meanwhile, the paid buyer would get no order)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from emulator import config, stack
from shared.adapters.stripe_payments import StripePayments
from shared.bootstrap import services
from shared.domain.models import Order
from shared.errors import DomainError
from shared.services.checkout import CheckoutService
from shared.settings import get_settings
from tests.integration.api import new_user, principal_of
from tests.integration.checkout_fixtures import (
    authorized_card_payment,
    connected_org,
    on_sale_event,
    sold,
    stripe_client,
    ticket,
)


class _CapturedThen(StripePayments):
    """Stripe captures; then `meanwhile` runs once, before the capture's order is written."""

    def __init__(self, meanwhile: Callable[[], Any]) -> None:
        super().__init__(get_settings())
        self.meanwhile: Callable[[], Any] | None = meanwhile

    def capture(self, account: str, intent_id: str, idempotency_key: str) -> Any:
        state = super().capture(account, intent_id, idempotency_key)
        if self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            meanwhile()
        return state


def _capture_during_cancel(*, guarded: bool) -> tuple[Any, Any, str, Any, dict[str, str]]:
    org = connected_org()
    event = on_sale_event(org, capacity=1, price=3000)
    buyer = new_user()
    params = {"orgId": org.id, "eventId": event.id, "channel": "Online", "tickets": [ticket(event)]}
    # Stripe's authorization webhook would complete the payment before the paused capture could:
    # its Connect endpoint is off while the payment is authorized (the capture is ours to make).
    connect_endpoint = f"{config.STRIPE_URL}/_config/webhooks/{stack.STRIPE_WEBHOOK_ID}-connect"
    requests.delete(connect_endpoint, timeout=10).raise_for_status()
    try:
        intent_id = authorized_card_payment(buyer, org, params)
    finally:
        stack._register_stripe_webhook()
    app = services()
    found = app.store.checkout.reservation_for_intent(intent_id)
    assert found is not None
    reservation = found[0]
    after_cancel: dict[str, str] = {}

    def cancel() -> None:
        if guarded:
            app.checkout.abandon_payment(principal_of(buyer), intent_id)
        else:  # the cancellation before the fix: Stripe's "not cancelable" ignored, stock released
            app.payments.cancel(org.stripeId, intent_id, idempotency_key=f"cancel-{reservation.id}")
            app.store.checkout.release(reservation)
        current = app.store.checkout.reservation(reservation.id)
        assert current is not None
        after_cancel.update(reservation=current[0].state, payment=_intent_status(org, intent_id))

    checkout = CheckoutService(
        app.store, _CapturedThen(cancel), app.task_queue, app.fees.event_fees,
        on_order_created=app.order_created, seats=app.seating, cards=app.saved_cards,
        members=app.member_tickets,
    )  # fmt: skip
    try:
        outcome: Any = checkout.fulfil(reservation.id)
    except DomainError as error:
        outcome = error
    return org, event, intent_id, outcome, after_cancel


def _intent_status(org: Any, intent_id: str) -> str:
    intent = stripe_client().v1.payment_intents.retrieve(intent_id, options={"stripe_account": org.stripeId})
    return str(intent.status)


def test_control_a_cancel_ignoring_stripes_answer_puts_a_paid_orders_stock_back_on_sale():
    _, _, _, _, after_cancel = _capture_during_cancel(guarded=False)
    assert after_cancel == {"reservation": "released", "payment": "succeeded"}, (
        "the race did not show: the control proves nothing"
    )


def test_a_cancel_that_finds_the_payment_captured_keeps_its_stock_for_its_order():
    _, event, intent_id, outcome, after_cancel = _capture_during_cancel(guarded=True)
    assert after_cancel == {"reservation": "held", "payment": "succeeded"}
    assert isinstance(outcome, Order) and outcome.payments[0].paymentIntentId == intent_id
    assert [o.id for o in services().store.orders.find(("eventId", "==", event.id))] == [outcome.id]
    assert sold(event) == 1
