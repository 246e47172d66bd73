"""Refund request semantics (issue 12, README Refunds): a repeated request answers with the
result that is there and moves nothing; a new refund of a Refunded order and a refundAmount above
what is left are refused clearly, with nothing written and nothing sent to Stripe."""

from __future__ import annotations

from tests.integration.api import data_of, error_of, staff_of
from tests.integration.money_fixtures import (
    REFUND,
    assert_money_invariants,
    card_order,
    gql_with_key,
    money_state,
    refund_records,
    stripe_refunds,
)


def test_the_same_client_key_answers_the_first_result_and_refuses_another_request():
    org, _, order = card_order(tickets=3, price=2000)
    admin = staff_of(org.id, "ADMIN")
    first, second, _ = (t.id for t in order.tickets)
    answers = [gql_with_key(admin, REFUND, {"o": order.id, "t": [first]}, "refund-1") for _ in range(2)]
    assert [data_of(a)["refundOrder"]["refundedAmount"] for a in answers] == [2000, 2000]
    assert len(stripe_refunds(org, order)) == 1
    # The key names one request: reused for other items it is refused, and nothing moves.
    reused = error_of(gql_with_key(admin, REFUND, {"o": order.id, "t": [second]}, "refund-1"))
    assert (reused["extensions"]["errorCode"], reused["message"]) == (
        "CONFLICT",
        "This idempotency key was used for another refund of this order.",
    )
    assert len(stripe_refunds(org, order)) == 1
    # Another key for the same ticket is the same items after they were refunded: the result.
    again = data_of(gql_with_key(admin, REFUND, {"o": order.id, "t": [first]}, "refund-2"))["refundOrder"]
    assert again["refundedAmount"] == 2000
    assert len(stripe_refunds(org, order)) == 1 and len(refund_records(order.id)) == 1
    assert_money_invariants(org, order.id)


def test_items_asked_again_after_they_were_refunded_answer_the_order_and_move_nothing():
    org, _, order = card_order(tickets=2, price=2000)
    admin = staff_of(org.id, "ADMIN")
    first = order.tickets[0].id
    data_of(admin.gql(REFUND, {"o": order.id, "t": [first]}))
    before = money_state(order.id)
    # Other fee flags make it another request; its only item is refunded already.
    again = data_of(admin.gql(REFUND, {"o": order.id, "t": [first], "pf": True, "mf": True}))["refundOrder"]
    assert again["refundedAmount"] == 2000 and again["state"] == "Partial Refund"
    assert money_state(order.id) == before
    assert len(stripe_refunds(org, order)) == 1 and len(refund_records(order.id)) == 1
    # A request naming nothing refundable at all is still refused.
    nothing = error_of(admin.gql(REFUND, {"o": order.id, "t": [], "pf": True}))
    assert (nothing["extensions"]["errorCode"], nothing["message"]) == (
        "CONFLICT",
        "Nothing left to refund on this order.",
    )
    assert_money_invariants(org, order.id)


def test_a_new_refund_of_a_refunded_order_is_refused_and_the_same_one_repeated_answers_it():
    org, _, order = card_order(tickets=2, price=2000, fees=True)
    admin = staff_of(org.id, "ADMIN")
    everything = {"o": order.id, "t": [t.id for t in order.tickets], "pf": True, "mf": True}
    assert data_of(admin.gql(REFUND, everything))["refundOrder"]["state"] == "Refunded"
    assert data_of(admin.gql(REFUND, everything))["refundOrder"]["state"] == "Refunded"  # the same one
    refused = error_of(admin.gql(REFUND, {"o": order.id, "t": [order.tickets[0].id]}))
    assert (refused["extensions"]["errorCode"], refused["message"]) == (
        "CONFLICT",
        "This order has already been refunded.",
    )
    assert len(stripe_refunds(org, order)) == 1
    after = assert_money_invariants(org, order.id)
    assert after.refundedAmount == after.payments[0].amount


def test_a_refund_amount_above_what_is_left_is_refused_not_trimmed():
    org, _, order = card_order(tickets=3, price=2000)
    admin = staff_of(org.id, "ADMIN")
    first, second, _ = (t.id for t in order.tickets)
    data_of(admin.gql(REFUND, {"o": order.id, "t": [first], "a": 2000}))
    before = money_state(order.id)
    above = error_of(admin.gql(REFUND, {"o": order.id, "t": [second], "a": 4001}))
    assert (above["extensions"]["errorCode"], above["message"]) == (
        "REFUSED",
        "refundAmount (4001 cents) is more than what is left to refund on this order (4000 cents).",
    )
    negative = error_of(admin.gql(REFUND, {"o": order.id, "t": [second], "a": -1}))
    assert negative["extensions"]["errorCode"] == "INVALID_INPUT"
    assert money_state(order.id) == before
    assert len(stripe_refunds(org, order)) == 1 and len(refund_records(order.id)) == 1
    # Within what is left, the amount is derived from the items (R-REF-1), never from the client.
    within = data_of(admin.gql(REFUND, {"o": order.id, "t": [second], "a": 4000}))["refundOrder"]
    assert within["refundedAmount"] == 4000
    assert_money_invariants(org, order.id)
