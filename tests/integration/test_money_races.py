"""Money moves once: overlapping money operations on one order, through the real refund path on
the emulators and the local Stripe (issue 12). Each race is made deterministic by pausing one
operation between its plan and its commit while the other runs whole through GraphQL; a control
first shows the race without the guard (the claim checked against a fresh read instead of the
read the plan was made from), then the guarded run keeps every money invariant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.adapters.refund_store import FirestoreRefundStore
from shared.domain.refund_rules import RefundRecord
from tests.integration.api import data_of, staff_of
from tests.integration.money_fixtures import (
    REFUND,
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
        if not self.guarded:
            found = self.order(record.orderId)
            version = found[1] if found else version
        return super().claim(record, version, replacing=replacing)


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
