"""Property: whatever money operations hit one card order, in any order and two at once, the money
invariants hold (issue 12; README, Refunds): Stripe's refunded total is ours, never more than
paid, each item refunded once, and paid = unrefunded items + refunds − dashboard refunds + fees
kept. On the emulators and the local Stripe, through the refund service the functions run;
bounded (a few orders of a few steps each) to keep `make test` fast."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from shared.bootstrap import services
from shared.domain import refund_rules
from shared.errors import DomainError, ErrorCode
from tests.integration.api import wait_for
from tests.integration.checkout_fixtures import stripe_client
from tests.integration.money_fixtures import assert_money_invariants, card_order, money_state
from tests.integration.orders_fixtures import stored_order

# Refusals a money operation may rightly answer under these interleavings; anything else fails.
REFUSALS = {ErrorCode.CONFLICT, ErrorCode.REFUSED}
items = st.sets(st.integers(min_value=0, max_value=2), max_size=3)


class OneOrderMoney(RuleBasedStateMachine):
    org: Any
    order: Any

    @initialize()
    def paid_card_order(self) -> None:
        self.org, _, self.order = card_order(tickets=3, price=2000, fees=True)

    def _ids(self, chosen: set[int]) -> list[str]:
        return [self.order.tickets[i].id for i in sorted(chosen)]

    def _refund(self, chosen: set[int], fees: bool) -> Callable[[], Any]:
        return lambda: services().refunds.refund(
            self.order, self._ids(chosen), [], processing_fee=fees, promoter_fee=fees, reason="", by="prop"
        )

    @staticmethod
    def _allowing_refusals(operation: Callable[[], Any]) -> None:
        try:
            operation()
        except DomainError as error:
            assert error.code in REFUSALS, (error.code, error.message)

    @rule(chosen=items, fees=st.booleans())
    def refund(self, chosen: set[int], fees: bool) -> None:
        self._allowing_refusals(self._refund(chosen, fees))

    @rule(chosen=items, fees=st.booleans())
    def refund_repeated_moves_nothing(self, chosen: set[int], fees: bool) -> None:
        self._allowing_refusals(self._refund(chosen, fees))
        before = money_state(self.order.id)
        self._allowing_refusals(self._refund(chosen, fees))
        assert money_state(self.order.id) == before

    @rule(first=items, second=items, fees=st.booleans())
    def two_refunds_at_once(self, first: set[int], second: set[int], fees: bool) -> None:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for future in [
                pool.submit(self._allowing_refusals, self._refund(c, fees)) for c in (first, second)
            ]:
                future.result()

    @rule(chosen=items)
    def cancel(self, chosen: set[int]) -> None:
        self._allowing_refusals(
            lambda: services().refunds.cancel(self.order.id, self._ids(chosen), [], reason="")
        )

    @rule(share=st.integers(min_value=1, max_value=100))
    def dashboard_refund(self, share: int) -> None:
        current = stored_order(self.order.id)
        left = refund_rules.remaining_refundable(current)
        if left == 0:
            return
        amount = max(1, left * share // 100)
        stripe_client().v1.refunds.create(
            params={"payment_intent": self.order.payments[0].paymentIntentId, "amount": amount},
            options={"stripe_account": self.org.stripeId},
        )
        expected = current.externalRefundedAmount + amount
        wait_for(lambda: stored_order(self.order.id).externalRefundedAmount == expected, timeout=30)

    @invariant()
    def money_invariants(self) -> None:
        if getattr(self, "order", None) is not None:
            assert_money_invariants(self.org, self.order.id)


OneOrderMoney.TestCase.settings = settings(
    max_examples=4,
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
test_money_invariants_hold_under_any_sequence_of_operations_on_one_order = OneOrderMoney.TestCase
