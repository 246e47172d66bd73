"""Refund and cancellation e-mails end to end (SPEC R-REF-8, R-CAN-1, sendOrderRefundEmail):
GraphQL on the local functions, the refund service's notice, the tasks emulator calling
send-email, and the SendGrid stand-in's inbox."""

from __future__ import annotations

from typing import Any

from shared.domain import refund_rules
from shared.domain.models import Event, Order, Organization
from tests.integration.api import Caller, data_of, error_of, new_user, staff_of, user_id_of, wait_for
from tests.integration.checkout_fixtures import (
    add_fees,
    clerk,
    connected_org,
    on_sale_event,
    stripe_client,
    ticket,
)
from tests.integration.inbox import subject_of, with_subject
from tests.integration.orders_fixtures import stored_order
from tests.integration.test_delivery import DELIVERY_TIMEOUT, delivery_doc, post

CREATE_ORDER = """mutation($p: OrderInput!) { createOrder(params: $p) { _id } }"""
START_PAYMENT = """mutation($p: OrderPaymentIntentInput!) {
  createOrderPaymentIntent(params: $p) { paymentIntentId } }"""
REFUND = """mutation($o: String!, $t: [String], $r: String, $pf: Boolean, $mf: Boolean) {
  refundOrder(orderId: $o, ticketIds: $t, refundReason: $r, processingFee: $pf, promoterFee: $mf) {
    _id state refundedAmount } }"""
CANCEL = """mutation($o: String!, $t: [String], $r: String) {
  cancelOrder(orderId: $o, ticketIds: $t, cancelReason: $r) { _id state } }"""
RESEND = """mutation($o: String!) { sendOrderRefundEmail(orderId: $o) }"""
DENIED = "You do not have permission to do this."


def _cash_order_for(buyer: Caller, tickets: int = 2) -> tuple[Organization, Event, Order]:
    """A box-office cash sale of `tickets` $45 tickets to `buyer` (no Stripe: refunds are records)."""
    org = connected_org()
    event = on_sale_event(org, price=4500)
    params = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
              "type": "Paid", "userId": user_id_of(buyer),
              "tickets": [ticket(event) for _ in range(tickets)]}  # fmt: skip
    order_id = data_of(clerk(org).gql(CREATE_ORDER, {"p": params}))["createOrder"]["_id"]
    return org, event, stored_order(order_id)


def _card_order_for(buyer: Caller) -> tuple[Organization, Order]:
    """One $50 ticket bought online by card (Stripe direct charge) with the typical fees."""
    org = connected_org()
    event = on_sale_event(org, price=5000)
    add_fees(org, event)
    params = {"orgId": org.id, "eventId": event.id, "channel": "Online", "tickets": [ticket(event)]}
    intent_id = data_of(buyer.gql(START_PAYMENT, {"p": params}))["createOrderPaymentIntent"][
        "paymentIntentId"
    ]
    stripe_client().v1.payment_intents.confirm(
        intent_id, params={"payment_method": "pm_card_visa"}, options={"stripe_account": org.stripeId}
    )
    created = data_of(buyer.gql(CREATE_ORDER, {"p": {**params, "paymentIntentId": intent_id}}))
    return org, stored_order(created["createOrder"]["_id"])


def _plain(mail: dict[str, Any]) -> str:
    return str({c["type"]: c["value"] for c in mail["content"]}["text/plain"])


def _refund_part(mail: dict[str, Any]) -> str:
    """The notice's own section (the order as purchased follows it)."""
    return _plain(mail).split("Your order as purchased:")[0]


def test_a_partial_refund_emails_the_buyer_once_and_a_cancellation_sends_its_own_email() -> None:
    buyer = new_user()
    org, _, order = _cash_order_for(buyer)
    admin = staff_of(org.id, "ADMIN")
    first, second = (t.id for t in order.tickets)

    refunded = data_of(admin.gql(REFUND, {"o": order.id, "t": [first], "r": "Can't make it"}))["refundOrder"]

    assert (refunded["state"], refunded["refundedAmount"]) == ("Partial Refund", 4500)
    (mail,) = wait_for(lambda: with_subject("[ORDER REFUNDED]", buyer.email), timeout=DELIVERY_TIMEOUT)
    assert subject_of(mail) == "[ORDER REFUNDED] Checkout Live"
    assert mail["personalizations"][0]["to"][0]["email"] == buyer.email
    assert mail["from"]["name"] == "Checkout Presents"
    notice = _refund_part(mail)
    assert f"1 x {order.tickets[0].name}  $45.00" in notice
    assert "Refunded now: $45.00" in notice and "Total refunded on this order: $45.00" in notice
    assert "Reason: Can't make it" in notice and "1 other item of your order remains valid" in notice
    assert order.id in _plain(mail)  # the confirmation code
    assert "attachments" not in mail or not mail["attachments"]  # no calendar on a refund
    key = refund_rules.refund_id(order.id, [first], [], False, False)
    record = delivery_doc(f"{order.id}~{key}~email")
    assert record and record["status"] == "sent" and record["template"] == "orderRefund"

    # The same refund asked again (a double click, a client retry): the notice is not repeated,
    # neither by the queue nor by a second delivery of the send-email task.
    again = data_of(admin.gql(REFUND, {"o": order.id, "t": [first]}))["refundOrder"]
    assert again["refundedAmount"] == 4500
    repeat = post("send-email", {"orderId": order.id, "template": "orderRefund", "key": key})
    assert repeat.json() == {"result": "already sent"}

    # Cancelling the other ticket sends the cancellation e-mail. The delivery queue is serial,
    # so once it arrived a duplicate refund e-mail queued before it would have arrived too.
    cancelled = data_of(admin.gql(CANCEL, {"o": order.id, "t": [second], "r": "Duplicate seat"}))
    assert cancelled["cancelOrder"]["state"] == "Canceled"
    (cancel_mail,) = wait_for(lambda: with_subject("[ORDER CANCELED]", buyer.email), timeout=DELIVERY_TIMEOUT)
    assert len(with_subject("[ORDER REFUNDED]", buyer.email)) == 1
    assert subject_of(cancel_mail) == "[ORDER CANCELED] Checkout Live"
    cancel_notice = _refund_part(cancel_mail)
    assert "No payment was refunded" in cancel_notice and "Reason: Duplicate seat" in cancel_notice
    assert f"1 x {order.tickets[1].name}  $45.00" in cancel_notice  # the cancelled ticket only
    assert "Refunded now: $0.00" in cancel_notice and "Total refunded on this order: $45.00" in cancel_notice
    assert "remains valid" not in cancel_notice  # nothing of the order admits any more


def test_a_full_card_refund_lists_the_refunded_fees_and_the_whole_amount() -> None:
    buyer = new_user()
    org, order = _card_order_for(buyer)
    paid = order.payments[0].amount
    admin = staff_of(org.id, "ADMIN")
    refund = {"o": order.id, "t": [order.tickets[0].id], "pf": True, "mf": True}

    refunded = data_of(admin.gql(REFUND, refund))["refundOrder"]

    assert (refunded["state"], refunded["refundedAmount"]) == ("Refunded", paid)
    (mail,) = wait_for(lambda: with_subject("[ORDER REFUNDED]", buyer.email), timeout=DELIVERY_TIMEOUT)
    assert mail["personalizations"][0]["to"][0]["email"] == buyer.email
    notice = _refund_part(mail)
    fees = order.fees
    processing = sum(round(float(f.amount or 0)) for f in fees if f.appliedBy in ("Sellout", "Stripe"))
    promoter = sum(round(float(f.amount or 0)) for f in fees if f.appliedBy == "Organization")
    assert processing and promoter and processing + promoter + 5000 == paid  # the fixture's fees
    assert f"1 x {order.tickets[0].name}  $50.00" in notice
    assert f"Processing fee: ${processing / 100:.2f}" in notice
    assert f"Fees and sales tax: ${promoter / 100:.2f}" in notice
    assert f"Refunded now: ${paid / 100:,.2f}" in notice
    assert f"Total refunded on this order: ${paid / 100:,.2f}" in notice


def test_an_admin_resends_the_refund_email_as_a_second_message() -> None:
    buyer = new_user()
    org, _, order = _cash_order_for(buyer, tickets=1)
    admin = staff_of(org.id, "ADMIN")
    data_of(admin.gql(REFUND, {"o": order.id, "t": [order.tickets[0].id]}))
    wait_for(lambda: with_subject("[ORDER REFUNDED]", buyer.email), timeout=DELIVERY_TIMEOUT)

    assert data_of(admin.gql(RESEND, {"o": order.id})) == {"sendOrderRefundEmail": True}

    mails = wait_for(lambda: len(notices := with_subject("[ORDER REFUNDED]", buyer.email)) == 2 and notices,
                     timeout=DELIVERY_TIMEOUT)  # fmt: skip
    first, resent = (_refund_part(m) for m in mails)
    assert "Refunded now: $45.00" in resent and resent == first  # the same refund, told again
    assert all(m["personalizations"][0]["to"][0]["email"] == buyer.email for m in mails)


def test_a_cancelled_order_is_resent_its_cancellation_email() -> None:
    buyer = new_user()
    org, _, order = _cash_order_for(buyer, tickets=1)
    admin = staff_of(org.id, "ADMIN")
    data_of(admin.gql(CANCEL, {"o": order.id, "r": "Show moved"}))
    wait_for(lambda: with_subject("[ORDER CANCELED]", buyer.email), timeout=DELIVERY_TIMEOUT)

    assert data_of(admin.gql(RESEND, {"o": order.id})) == {"sendOrderRefundEmail": True}

    mails = wait_for(lambda: len(notices := with_subject("[ORDER CANCELED]", buyer.email)) == 2 and notices,
                     timeout=DELIVERY_TIMEOUT)  # fmt: skip
    assert all("Reason: Show moved" in _refund_part(m) for m in mails)


def test_only_an_admin_of_the_org_may_resend_and_only_for_a_refunded_or_cancelled_order() -> None:
    org, _, order = _cash_order_for(new_user(), tickets=1)
    other_admin = staff_of(connected_org("Elsewhere").id, "ADMIN")

    scanner = error_of(staff_of(org.id, "SCANNER").gql(RESEND, {"o": order.id}))
    box_office = error_of(clerk(org).gql(RESEND, {"o": order.id}))
    stranger = error_of(other_admin.gql(RESEND, {"o": order.id}, org_id=org.id))
    untouched = error_of(staff_of(org.id, "ADMIN").gql(RESEND, {"o": order.id}))

    assert scanner["message"] == box_office["message"] == stranger["message"] == DENIED
    assert scanner["extensions"]["errorCode"] == "FORBIDDEN"
    assert (untouched["extensions"]["errorCode"], untouched["message"]) == (
        "CONFLICT",
        "This order has not been refunded or canceled.",
    )
