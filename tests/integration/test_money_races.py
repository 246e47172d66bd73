"""Money moves once: overlapping money operations on one order, through the real refund path on
the emulators and the local Stripe (issue 12). Each race is made deterministic by pausing one
operation between its plan and its commit while the other runs whole through GraphQL; a control
first shows the race without the guard (the claim checked against a fresh read instead of the
read the plan was made from), then the guarded run keeps every money invariant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.adapters.refund_store import FirestoreRefundStore
from shared.bootstrap import services
from shared.domain.ports import StaleOrderError
from shared.domain.refund_rules import RefundRecord
from shared.errors import DomainError, ErrorCode
from tests.integration.api import data_of, staff_of, wait_for
from tests.integration.checkout_fixtures import sold, stripe_client
from tests.integration.money_fixtures import (
    CANCEL,
    REFUND,
    REFUND_ALL,
    AskedStripe,
    assert_money_invariants,
    card_order,
    charge_of,
    refund_store_args,
    service_with,
)
from tests.integration.orders_fixtures import stored_order


class _PausedClaim(FirestoreRefundStore):
    """Runs `meanwhile` once, after the refund was planned and before it is claimed. `guarded`
    False is the code before the fix: the claim's precondition is a read taken at claim time,
    not the read the plan was made from."""

    def __init__(self, meanwhile: Callable[[], Any], *, guarded: bool) -> None:
        super().__init__(*refund_store_args())
        self.meanwhile: Callable[[], Any] | None = meanwhile
        self.guarded = guarded

    def claim(self, record: RefundRecord, version: Any, *, replacing: bool) -> bool:
        if self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            meanwhile()
        if self.guarded:
            return super().claim(record, version, replacing=replacing)
        # Unguarded: whatever changed the order since the plan (or changes it now: a late webhook
        # settling the other refund) is read again at claim time, and the stale plan goes ahead.
        for _ in range(20):
            found = self.order(record.orderId)
            try:
                return super().claim(record, found[1] if found else version, replacing=replacing)
            except StaleOrderError:
                continue
        raise StaleOrderError


def _ticket_then_two_tickets(*, guarded: bool) -> tuple[Any, Any]:
    """The reported case: a 3 × 20.00 card order; refund B (tickets 1 and 2) is planned, then
    refund A (ticket 1) runs whole through GraphQL, then B claims."""
    org, _, order = card_order(tickets=3, price=2000)
    admin = staff_of(org.id, "ADMIN")
    first, second, _third = (t.id for t in order.tickets)

    def refund_a() -> None:
        answer = data_of(admin.gql(REFUND, {"o": order.id, "t": [first]}))["refundOrder"]
        assert answer["refundedAmount"] == 2000

    service = service_with(_PausedClaim(refund_a, guarded=guarded))
    service.refund(order, [first, second], [], processing_fee=False, promoter_fee=False, reason="", by="b")
    return org, order


def test_control_a_refund_claimed_against_a_fresh_read_pays_an_overlapping_item_twice():
    org, order = _ticket_then_two_tickets(guarded=False)
    after = stored_order(order.id)
    # The live defect: Stripe paid back the whole charge, the order records two tickets.
    assert charge_of(org, order)["amount_refunded"] == 6000
    assert after.refundedAmount == 4000, "the race did not show: the control proves nothing"
    assert [t.state for t in after.tickets] == ["Canceled", "Canceled", "Active"]


def test_a_refund_planned_before_an_overlapping_one_settled_is_planned_again_and_pays_once():
    org, order = _ticket_then_two_tickets(guarded=True)
    after = assert_money_invariants(org, order.id)
    assert charge_of(org, order)["amount_refunded"] == 4000
    assert after.refundedAmount == 4000
    assert [t.state for t in after.tickets] == ["Canceled", "Canceled", "Active"]


def _paused_refund(order: Any, tickets: list[str], meanwhile: Callable[[], Any], *, guarded: bool,
                   fees: bool = False) -> tuple[AskedStripe, Any]:  # fmt: skip
    """Plan a refund of `tickets`, run `meanwhile` whole, then let the refund claim. Returns what
    Stripe was asked and the refund's outcome (the order, or the DomainError it ended with)."""
    stripe = AskedStripe()
    service = service_with(_PausedClaim(meanwhile, guarded=guarded), stripe)
    try:
        outcome: Any = service.refund(
            order, tickets, [], processing_fee=fees, promoter_fee=fees, reason="", by="paused"
        )
    except DomainError as error:
        outcome = error
    return stripe, outcome


def _partial_during_full(*, guarded: bool) -> tuple[Any, Any, AskedStripe, Any]:
    org, _, order = card_order(tickets=3, price=2000, fees=True)
    admin = staff_of(org.id, "ADMIN")

    def partial() -> None:
        data_of(admin.gql(REFUND, {"o": order.id, "t": [order.tickets[0].id]}))
        # Settled and its lock released (the webhook may settle it just after the answer): a lock
        # still held would make even the unguarded claim wait and plan again, hiding the race.
        wait_for(lambda: not stored_order(order.id).refundPending, timeout=60)

    stripe, outcome = _paused_refund(
        order, [t.id for t in order.tickets], partial, guarded=guarded, fees=True
    )
    return org, order, stripe, outcome


def test_control_a_full_refund_planned_before_a_partial_one_sends_its_stale_total_to_stripe():
    _, order, stripe, outcome = _partial_during_full(guarded=False)
    paid = order.payments[0].amount
    assert stripe.asked == [paid], "the race did not show: the control proves nothing"
    # Only Stripe's own bound stopped the second payment of ticket 1.
    assert isinstance(outcome, DomainError) and outcome.message.startswith("Stripe refused the refund")


def test_a_full_refund_planned_before_a_partial_one_refunds_only_the_rest():
    org, order, stripe, outcome = _partial_during_full(guarded=True)
    paid = order.payments[0].amount
    assert stripe.asked == [paid - 2000]
    assert not isinstance(outcome, DomainError) and outcome.state == "Refunded"
    after = assert_money_invariants(org, order.id)
    assert after.refundedAmount == paid and charge_of(org, order)["amount_refunded"] == paid


def _refund_all_during_refund(*, guarded: bool) -> tuple[Any, Any, AskedStripe, Any]:
    org, event, order = card_order(tickets=2, price=2000)
    admin = staff_of(org.id, "ADMIN")

    def refund_all() -> None:
        data_of(admin.gql(REFUND_ALL, {"e": event.id}))
        wait_for(lambda: stored_order(order.id).state == "Refunded", timeout=60)

    stripe, outcome = _paused_refund(order, [order.tickets[0].id], refund_all, guarded=guarded)
    return org, order, stripe, outcome


def test_control_a_refund_planned_before_the_refund_all_task_sends_its_stale_plan_to_stripe():
    _, _, stripe, outcome = _refund_all_during_refund(guarded=False)
    assert stripe.asked == [2000], "the race did not show: the control proves nothing"
    assert isinstance(outcome, DomainError) and outcome.message.startswith("Stripe refused the refund")


def test_a_refund_planned_before_the_refund_all_task_is_refused_and_never_sent():
    org, order, stripe, outcome = _refund_all_during_refund(guarded=True)
    assert stripe.asked == []
    assert isinstance(outcome, DomainError)
    assert (outcome.code, outcome.message) == (ErrorCode.CONFLICT, "This order has already been refunded.")
    after = assert_money_invariants(org, order.id)
    assert after.refundedAmount == order.payments[0].amount


def _dashboard_refund_during_refund(*, guarded: bool) -> tuple[Any, Any, AskedStripe, Any]:
    org, _, order = card_order(tickets=3, price=2000)

    def dashboard_refund() -> None:  # the promoter refunds 45.00 in the Stripe dashboard
        stripe_client().v1.refunds.create(
            params={"payment_intent": order.payments[0].paymentIntentId, "amount": 4500},
            options={"stripe_account": org.stripeId},
        )
        wait_for(lambda: stored_order(order.id).externalRefundedAmount == 4500, timeout=30)

    stripe, outcome = _paused_refund(
        order, [order.tickets[0].id, order.tickets[1].id], dashboard_refund, guarded=guarded
    )
    return org, order, stripe, outcome


def test_control_a_refund_planned_before_a_dashboard_refund_sends_its_stale_plan_to_stripe():
    _, _, stripe, outcome = _dashboard_refund_during_refund(guarded=False)
    assert stripe.asked == [4000], "the race did not show: the control proves nothing"
    assert isinstance(outcome, DomainError) and outcome.message.startswith("Stripe refused the refund")


def test_a_refund_planned_before_a_dashboard_refund_is_planned_again_and_refused_before_stripe():
    org, order, stripe, outcome = _dashboard_refund_during_refund(guarded=True)
    assert stripe.asked == []
    assert isinstance(outcome, DomainError) and outcome.code == ErrorCode.REFUSED
    assert "more than what remains paid" in outcome.message
    after = assert_money_invariants(org, order.id)
    assert (after.refundedAmount, after.externalRefundedAmount) == (4500, 4500)
    assert [t.state for t in after.tickets] == ["Active", "Active", "Active"]  # staff decide which


def test_a_dashboard_refund_of_everything_left_cancels_the_live_items_and_gives_their_stock_back():
    org, event, order = card_order(tickets=2, price=2000)
    admin = staff_of(org.id, "ADMIN")
    data_of(admin.gql(REFUND, {"o": order.id, "t": [order.tickets[0].id]}))
    assert sold(event) == 1
    stripe_client().v1.refunds.create(
        params={"payment_intent": order.payments[0].paymentIntentId}, options={"stripe_account": org.stripeId}
    )
    after = wait_for(lambda: (o := stored_order(order.id)).externalRefundedAmount and o, timeout=30)
    assert (after.refundedAmount, after.externalRefundedAmount, after.state) == (4000, 2000, "Canceled")
    assert [t.state for t in after.tickets] == ["Canceled", "Canceled"]
    assert sold(event) == 0
    assert_money_invariants(org, order.id)
    # Delivered again (Stripe retries), it is recorded once.
    again = services().refunds.reconcile_charge(org.stripeId, charge_of(org, order)["id"])
    assert "already recorded" in again
    assert stored_order(order.id).refundedAmount == 4000


def test_a_cancel_committed_between_a_refunds_plan_and_claim_gives_stock_back_once():
    org, event, order = card_order(tickets=3, price=2000)
    box = staff_of(org.id, "BOX_OFFICE")
    first, second, _ = (t.id for t in order.tickets)

    def cancel_second() -> None:
        data_of(box.gql(CANCEL, {"o": order.id, "t": [second]}))

    stripe, outcome = _paused_refund(order, [first, second], cancel_second, guarded=True)
    assert stripe.asked == [4000]  # a cancelled ticket is still refundable: its money goes back
    assert not isinstance(outcome, DomainError)
    after = assert_money_invariants(org, order.id)
    assert [t.state for t in after.tickets] == ["Canceled", "Canceled", "Active"]
    assert sold(event) == 1  # the cancelled ticket's stock went back once, with the cancel
