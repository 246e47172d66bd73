"""Refunds and cancellations end to end: GraphQL on the local functions, the local Stripe (Connect
direct charges), the webhook, the tasks emulator and the stock shards."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from emulator import config
from shared.adapters.refund_store import OrderChange, StaleOrderError
from shared.adapters.stripe_payments import StripeRefunds
from shared.bootstrap import services
from shared.domain import refund_rules
from shared.domain.models import Order, OrderTicket, Payment
from shared.errors import DomainError, ErrorCode
from shared.services.refunds import RefundService
from tests.integration.api import data_of, error_of, new_user, staff_of, wait_for
from tests.integration.checkout_fixtures import (
    add_fees,
    authorized_card_payment,
    clerk,
    connected_org,
    on_sale_event,
    sold,
    stripe_client,
    ticket,
)
from tests.integration.orders_fixtures import stored_order

CREATE_ORDER = """mutation($p: OrderInput!) { createOrder(params: $p) { _id } }"""
REFUND = """mutation($o: String!, $t: [String], $u: [String], $pf: Boolean, $mf: Boolean, $r: String) {
  refundOrder(orderId: $o, ticketIds: $t, upgradeIds: $u, processingFee: $pf, promoterFee: $mf,
              refundReason: $r, refundAmount: 1) {
    _id state refundedAmount tickets { _id state refund { refunded refundedAmount refundReason } }
    processingFee { amount refund { refunded refundedAmount } }
    promoterFee { amount refund { refunded } } } }"""
CANCEL = """mutation($o: String!, $t: [String], $r: String) {
  cancelOrder(orderId: $o, ticketIds: $t, cancelReason: $r) { _id state tickets { state } } }"""
REFUND_ALL = """mutation($e: String!, $d: Boolean!) { refundEventOrders(eventId: $e, dryRun: $d) {
  allRefunded refundCount refundAmount feeAmount dryRun } }"""
SCAN_URL = f"{config.FUNCTIONS_URL}/scan/"


def _card_order(tickets: int = 2, price: int = 5000):
    org = connected_org()
    event = on_sale_event(org, price=price)
    add_fees(org, event)
    buyer = new_user()
    params = {"orgId": org.id, "eventId": event.id, "channel": "Online",
              "tickets": [ticket(event) for _ in range(tickets)]}  # fmt: skip
    intent_id = authorized_card_payment(buyer, org, params)
    order_id = data_of(buyer.gql(CREATE_ORDER, {"p": {**params, "paymentIntentId": intent_id}}))[
        "createOrder"
    ]["_id"]
    return org, event, stored_order(order_id)


def _cash_order(org, event, tickets: int = 1) -> Order:
    params = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
              "type": "Paid", "tickets": [ticket(event) for _ in range(tickets)]}  # fmt: skip
    return stored_order(data_of(clerk(org).gql(CREATE_ORDER, {"p": params}))["createOrder"]["_id"])


def _charge(org, order: Order) -> dict[str, Any]:
    client = stripe_client()
    options: Any = {"stripe_account": org.stripeId}
    if order.stripeChargeId:
        return client.v1.charges.retrieve(order.stripeChargeId, options=options).to_dict()
    intent = client.v1.payment_intents.retrieve(order.payments[0].paymentIntentId, options=options)
    return client.v1.charges.retrieve(str(intent.latest_charge), options=options).to_dict()


def _fee(charge: dict[str, Any]) -> dict[str, Any]:
    fee = charge["application_fee"]
    fee_id = fee if isinstance(fee, str) else fee["id"]
    return stripe_client().v1.application_fees.retrieve(fee_id).to_dict()


def _stripe_refunds(org, charge_id: str) -> list[Any]:
    return list(
        stripe_client()
        .v1.refunds.list(params={"charge": charge_id}, options={"stripe_account": org.stripeId})
        .data
    )


def _records(order_id: str) -> list[dict[str, Any]]:
    query = services().store.client.collection("refunds").where(filter=FieldFilter("orderId", "==", order_id))
    return [s.to_dict() or {} for s in query.stream()]


def test_partial_then_full_refund_of_a_card_order_returns_the_application_fee_only_with_the_processing_fee():
    org, event, order = _card_order(tickets=2, price=5000)
    admin = staff_of(org.id, "ADMIN")
    paid = order.payments[0].amount
    assert sold(event) == 2
    first, second = (t.id for t in order.tickets)

    partial = data_of(admin.gql(REFUND, {"o": order.id, "t": [first], "r": "Can't come"}))["refundOrder"]
    assert partial["state"] == "Partial Refund"
    assert partial["refundedAmount"] == 5000
    assert [t["state"] for t in partial["tickets"]] == ["Canceled", "Active"]
    assert partial["tickets"][0]["refund"] == {
        "refunded": True,
        "refundedAmount": 5000,
        "refundReason": "Can't come",
    }
    charge = _charge(org, order)
    assert charge["amount_refunded"] == 5000
    assert _fee(charge)["amount_refunded"] == 0  # R-REF-7: items only, the platform keeps its fee
    assert sold(event) == 1  # stock back on sale

    # The same request again answers the same refund (idempotent); no second Stripe refund (D-19).
    again = data_of(admin.gql(REFUND, {"o": order.id, "t": [first]}))["refundOrder"]
    assert again["refundedAmount"] == 5000
    assert len(_stripe_refunds(org, charge["id"])) == 1
    # Another request naming only the refunded ticket answers the order as it is: nothing moves.
    other = data_of(admin.gql(REFUND, {"o": order.id, "t": [first], "pf": True}))["refundOrder"]
    assert other["refundedAmount"] == 5000
    assert len(_stripe_refunds(org, charge["id"])) == 1

    full = data_of(admin.gql(REFUND, {"o": order.id, "t": [second], "pf": True, "mf": True}))["refundOrder"]
    assert full["state"] == "Refunded"
    assert full["refundedAmount"] == paid
    assert full["processingFee"]["refund"] == {"refunded": True,
                                               "refundedAmount": full["processingFee"]["amount"]}  # fmt: skip
    assert full["promoterFee"]["refund"]["refunded"] is True
    charge = _charge(org, order)
    assert charge["amount_refunded"] == paid and charge["refunded"] is True
    fee = _fee(charge)
    assert fee["amount"] == order.payments[0].feeAmount > 0
    assert fee["amount_refunded"] == fee["amount"]  # D-4: the application fee came back
    assert len(_stripe_refunds(org, charge["id"])) == 2
    assert sold(event) == 0
    assert error_of(admin.gql(REFUND, {"o": order.id, "t": [second]}))["message"] == (
        "This order has already been refunded."
    )


def test_a_legacy_charge_order_is_refunded_by_charge():
    org = connected_org()
    event = on_sale_event(org, price=3000)
    charge = stripe_client().v1.charges.create(
        params={"amount": 3000, "currency": "usd", "source": "tok_visa", "application_fee_amount": 200},
        options={"stripe_account": org.stripeId},
    )
    now = int(time.time())
    tier = event.ticketTypes[0]
    order = Order(
        orgId=org.id, eventName=event.name, eventId=event.id, createdAt=now, createdBy="legacy",
        stripeChargeId=charge.id,
        tickets=[OrderTicket(name="GA", ticketTypeId=tier.id, ticketTierId=tier.tiers[0].id, price=3000,
                             origionalPrice=3000)],
        payments=[Payment(amount=3000, feeAmount=200, paymentMethodType="Card Entry")],
    )  # fmt: skip
    services().store.orders.create(order)
    box = clerk(org)
    result = data_of(box.gql(REFUND, {"o": order.id, "t": [order.tickets[0].id], "pf": True, "mf": True}))
    assert result["refundOrder"]["state"] == "Refunded"
    assert result["refundOrder"]["refundedAmount"] == 3000
    after = _charge(org, stored_order(order.id))
    assert after["amount_refunded"] == 3000
    assert _fee(after)["amount_refunded"] == 200
    (refund,) = _stripe_refunds(org, charge.id)
    assert refund.metadata["refundId"] == _records(order.id)[0]["_id"]


def test_the_same_refund_requested_twice_at_once_refunds_once():
    org, _, order = _card_order(tickets=2)
    admin = staff_of(org.id, "ADMIN")
    variables = {"o": order.id, "t": [order.tickets[0].id]}
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: admin.gql(REFUND, variables), range(4)))
    ok = [r for r in results if "errors" not in r]
    assert ok, results
    for result in ok:
        assert result["data"]["refundOrder"]["refundedAmount"] == 5000
    charge = _charge(org, order)
    assert len(_stripe_refunds(org, charge["id"])) == 1
    assert charge["amount_refunded"] == 5000
    assert stored_order(order.id).refundedAmount == 5000
    assert len(_records(order.id)) == 1


def test_a_refund_above_what_was_paid_is_refused_and_changes_nothing():
    org = connected_org()
    event = on_sale_event(org, price=4000)
    order = _cash_order(org, event, tickets=2)
    # Money refunded outside the app leaves less than a ticket's price refundable.
    services().store.orders.update(order.id, {"refundedAmount": order.payments[0].amount - 100})
    before = stored_order(order.id)
    error = error_of(clerk(org).gql(REFUND, {"o": order.id, "t": [order.tickets[0].id]}))
    assert error["extensions"]["errorCode"] == "REFUSED"
    assert "more than what remains paid" in error["message"]
    assert stored_order(order.id) == before
    assert _records(order.id) == []
    assert sold(event) == 2


class _LostAnswer(StripeRefunds):
    """Stripe refunds, then the function dies before it hears the answer."""

    def refund(self, account: str, **kwargs: Any) -> Any:  # type: ignore[override]
        super().refund(account, **kwargs)
        raise DomainError(ErrorCode.UPSTREAM_FAILED, "connection reset")


def test_a_lost_stripe_answer_is_completed_by_the_webhook():
    org, event, order = _card_order(tickets=2)
    app = services()
    crashing = RefundService(
        app.store, app.refunds.records, _LostAnswer(app.settings), app.task_queue, app.refunds.reactions
    )
    try:
        crashing.refund(order, [order.tickets[0].id], [], processing_fee=False, promoter_fee=False,
                        reason="lost", by="staff")  # fmt: skip
    except DomainError as error:
        assert error.code == ErrorCode.UPSTREAM_FAILED
    else:
        raise AssertionError("the crash did not happen")
    assert len(_records(order.id)) == 1  # written before Stripe was asked
    charge = _charge(org, order)
    assert charge["amount_refunded"] == 5000  # the money moved
    settled = wait_for(
        lambda: stored_order(order.id).refundedAmount == 5000 and _records(order.id)[0], timeout=30.0
    )
    assert settled["state"] == "succeeded" and settled["settledBy"] == "webhook"
    assert stored_order(order.id).state == "Partial Refund"
    assert sold(event) == 1
    assert services().store.client.collection("refundLocks").document(order.id).get().exists is False


def test_a_refunded_ticket_is_refused_at_the_scanner_and_cancel_releases_stock():
    org = connected_org()
    event = on_sale_event(org)
    order = _cash_order(org, event, tickets=3)
    box = clerk(org)
    refunded, canceled, kept = (t.id for t in order.tickets)
    data_of(box.gql(REFUND, {"o": order.id, "t": [refunded]}))
    result = data_of(box.gql(CANCEL, {"o": order.id, "t": [canceled], "r": "no show"}))["cancelOrder"]
    assert [t["state"] for t in result["tickets"]] == ["Canceled", "Canceled", "Active"]  # D-25
    assert result["state"] == "Partial Refund"
    assert stored_order(order.id).cancelReason == "no show"
    assert sold(event) == 1
    scanner = staff_of(org.id, "SCANNER")
    response = requests.post(
        SCAN_URL, json={"code": order.id, "ticketIds": [refunded], "upgradeIds": []},
        headers={"Authorization": f"Bearer {scanner.token}"}, timeout=60,
    )  # fmt: skip
    assert (response.status_code, response.json()["error"]["message"]) == (409, "Ticket refunded.")
    ok = requests.post(
        SCAN_URL, json={"code": order.id, "ticketIds": [kept], "upgradeIds": []},
        headers={"Authorization": f"Bearer {scanner.token}"}, timeout=60,
    )  # fmt: skip
    assert ok.status_code == 200, ok.text
    everything = data_of(box.gql(CANCEL, {"o": order.id}))["cancelOrder"]
    assert everything["state"] == "Canceled"
    assert sold(event) == 0


def test_refund_all_fans_out_per_order_and_twice_refunds_each_order_once():
    org = connected_org()
    event = on_sale_event(org, capacity=250, price=2000)
    add_fees(org, event)
    with ThreadPoolExecutor(max_workers=8) as pool:
        orders = list(pool.map(lambda _: _cash_order(org, event), range(200)))
    assert sold(event) == 200
    admin = staff_of(org.id, "ADMIN")
    quote = data_of(admin.gql(REFUND_ALL, {"e": event.id, "d": True}))["refundEventOrders"]
    paid = sum(o.payments[0].amount for o in orders)
    assert quote == {"allRefunded": False, "refundCount": 200, "refundAmount": paid,
                     "feeAmount": sum(refund_rules.processing_fee_amount(o) for o in orders),
                     "dryRun": True}  # fmt: skip
    assert sold(event) == 200  # the dry run changed nothing
    first = data_of(admin.gql(REFUND_ALL, {"e": event.id, "d": False}))["refundEventOrders"]
    second = data_of(admin.gql(REFUND_ALL, {"e": event.id, "d": False}))["refundEventOrders"]
    assert first["dryRun"] is False and second["dryRun"] is False

    def all_refunded() -> bool:
        return services().store.orders.count(("eventId", "==", event.id), ("state", "==", "Refunded")) == 200

    wait_for(all_refunded, timeout=240)
    for order in services().store.orders.find(("eventId", "==", event.id)):
        assert order.refundedAmount == order.payments[0].amount
    refunds = services().store.client.collection("refunds")
    records = [
        s.to_dict() or {} for s in refunds.where(filter=FieldFilter("eventId", "==", event.id)).stream()
    ]
    assert len(records) == 200 and len({r["orderId"] for r in records}) == 200
    assert all(r["state"] == "succeeded" for r in records)
    assert sold(event) == 0
    assert stored_order(orders[0].id).state == "Refunded"
    assert services().store.events.get(event.id).cancel is True  # type: ignore[union-attr]
    status = wait_for(
        lambda: (s := services().refunds.run_status(event.id)) and "queued" not in s and s, timeout=30.0
    )
    assert status.get("failed", 0) == 0
    again = data_of(admin.gql(REFUND_ALL, {"e": event.id, "d": True}))["refundEventOrders"]
    assert again["allRefunded"] is True and again["refundCount"] == 0 and again["refundAmount"] == 0


def test_a_cancel_planned_before_a_refund_was_claimed_cannot_commit_after_it():
    org = connected_org()
    event = on_sale_event(org)
    order = _cash_order(org, event, tickets=2)
    app = services()
    records = app.refunds.records
    planned, version = records.order(order.id) or (None, None)
    assert planned is not None
    refund_rules.apply_cancel(planned, [], [], reason="too late")  # the cancel, planned...
    record = refund_rules.RefundRecord(
        _id="rf_race", orderId=order.id, orgId=org.id, amount=4500, createdAt=int(time.time()), createdBy="x",
        plan=refund_rules.RefundPlan(orderId=order.id, ticketAmounts={order.tickets[0].id: 4500}),
    )  # fmt: skip
    fresh = records.order(order.id)
    assert fresh is not None
    assert records.claim(record, fresh[1], replacing=False)  # ...then a refund is claimed...
    with pytest.raises(StaleOrderError):  # ...so the cancel's compare-and-set fails,
        records.commit(OrderChange(order=planned, version=version))
    error = error_of(clerk(org).gql(CANCEL, {"o": order.id}))  # and its retry sees the refund
    assert error["extensions"]["errorCode"] == "CONFLICT"
    assert stored_order(order.id).state == "Active"
    app.refunds.settle(record, "api")
    assert stored_order(order.id).refundPending == ""
    data_of(clerk(org).gql(CANCEL, {"o": order.id}))
    assert [t.state for t in stored_order(order.id).tickets] == ["Canceled", "Canceled"]
