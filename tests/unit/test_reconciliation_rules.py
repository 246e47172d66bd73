"""The reconciliation rules without I/O: day bounds, and what each comparison calls a mismatch."""

from __future__ import annotations

import pytest

from shared.domain import reconciliation as rules
from shared.domain.models import Order, Payment
from shared.domain.reconciliation import StripeCharge, StripeRefund
from shared.domain.refund_rules import RefundPlan, RefundRecord
from shared.errors import DomainError, ErrorCode

DAY = "2026-12-06"


def _charge(**fields: object) -> StripeCharge:
    values: dict = {"id": "ch_1", "account": "acct_1", "amount": 5000, "amount_captured": 5000,
                    "amount_refunded": 0, "captured": True, "status": "succeeded", "payment_intent": "pi_1",
                    "created": 0, **fields}  # fmt: skip
    return StripeCharge(**values)


def _order(paid: int = 5000, **fields: object) -> Order:
    return Order.model_validate({
        "_id": "o1", "orgId": "org", "eventName": "Show", "createdAt": 0, "createdBy": "u",
        "stripeChargeId": "ch_1",
        "payments": [Payment(amount=paid, paymentIntentId="pi_1", paymentMethodType="Card Entry").doc()],
        **fields,
    })  # fmt: skip


def _refund(**fields: object) -> StripeRefund:
    values: dict = {"id": "re_1", "account": "acct_1", "amount": 1000, "status": "succeeded",
                    "charge": "ch_1", "created": 0, "our_refund_id": "rf_1", **fields}  # fmt: skip
    return StripeRefund(**values)


def _record(**fields: object) -> RefundRecord:
    values: dict = {"_id": "rf_1", "orderId": "o1", "orgId": "org", "state": "succeeded",
                    "plan": RefundPlan(orderId="o1").doc(), "amount": 1000, "stripeAccount": "acct_1",
                    "stripeRefundId": "re_1", "createdAt": 0, "createdBy": "u", **fields}  # fmt: skip
    return RefundRecord.model_validate(values)


def test_a_day_is_its_utc_midnights_and_yesterday_is_taken_in_utc() -> None:
    assert rules.day_bounds("2026-12-06") == (1_796_515_200, 1_796_515_200 + 86_400)
    assert rules.previous_day(1_796_515_200 + 60) == "2026-12-05"  # 00:01 UTC on the 6th
    assert rules.previous_day(1_796_515_200 - 1) == "2026-12-04"


@pytest.mark.parametrize("day", ["2026-02-30", "06/12/2026", "2026-1-1", "", "2026-12-06T00:00"])
def test_anything_but_a_real_day_is_invalid_input(day: str) -> None:
    with pytest.raises(DomainError) as refused:
        rules.day_bounds(day)
    assert refused.value.code == ErrorCode.INVALID_INPUT


def test_a_charge_matching_its_order_is_clean_and_an_uncaptured_one_moved_no_money() -> None:
    assert rules.check_charge(DAY, _charge(), _order()) == []
    released = _charge(captured=False, amount_captured=0, amount_refunded=5000)
    assert rules.check_charge(DAY, released, None) == []


def test_a_partial_capture_released_rest_is_not_a_refund_of_the_order() -> None:
    partial = _charge(amount_captured=4000, amount_refunded=1000)  # Stripe counts the release
    assert rules.check_charge(DAY, partial, _order(paid=4000)) == []


def test_refunded_amounts_are_compared_only_when_no_refund_is_in_flight() -> None:
    refunded = _charge(amount_refunded=1000)
    (differs,) = rules.check_charge(DAY, refunded, _order())
    assert (differs.kind, differs.ourAmount, differs.stripeAmount) == ("AMOUNT_DIFFERS", 0, 1000)
    assert differs.id == f"{DAY}~AMOUNT_DIFFERS~ch_1"
    assert rules.check_charge(DAY, refunded, _order(refundPending="rf_2")) == []


def test_an_order_without_a_captured_charge_is_not_in_stripe() -> None:
    (missing,) = rules.check_order(DAY, "acct_1", _order(), None)
    assert (missing.kind, missing.objectId, missing.stripeAmount) == ("ORDER_NOT_IN_STRIPE", "o1", None)
    (held,) = rules.check_order(DAY, "acct_1", _order(), _charge(captured=False, amount_captured=0))
    assert held.kind == "ORDER_NOT_IN_STRIPE"


def test_only_card_orders_outside_a_season_expect_a_charge() -> None:
    assert rules.expects_charge(_order())
    assert not rules.expects_charge(_order(parentSeasonOrderId="parent"))
    cash = _order(stripeChargeId="", payments=[Payment(amount=5000, paymentMethodType="Cash").doc()])
    assert not rules.expects_charge(cash)


def test_refunds_are_matched_to_records_by_amount_and_state() -> None:
    assert rules.check_refund(DAY, _refund(), _record()) == []
    assert rules.check_refund(DAY, _refund(status="failed"), None) == []  # no money went back
    (unknown,) = rules.check_refund(DAY, _refund(), None)
    assert (unknown.kind, unknown.stripeAccount) == ("UNKNOWN_REFUND", "acct_1")
    (differs,) = rules.check_refund(DAY, _refund(amount=900), _record())
    assert (differs.kind, differs.ourAmount, differs.stripeAmount) == ("AMOUNT_DIFFERS", 1000, 900)
    assert rules.check_refund(DAY, _refund(amount=900), _record(state="pending")) == []  # still settling


def test_a_settled_record_stripe_lacks_or_failed_is_not_in_stripe() -> None:
    (lacking,) = rules.check_record(DAY, _record(), None)
    (failed,) = rules.check_record(DAY, _record(), _refund(status="failed"))
    assert {lacking.kind, failed.kind} == {"REFUND_NOT_IN_STRIPE"}
    assert rules.check_record(DAY, _record(state="failed"), None) == []


def test_the_platform_account_is_named_platform() -> None:
    (orphan,) = rules.check_charge(DAY, _charge(account=""), None)
    assert (orphan.kind, orphan.stripeAccount) == ("MISSING_ORDER", rules.PLATFORM)
