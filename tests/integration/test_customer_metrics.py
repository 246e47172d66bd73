"""Customer metrics (SPEC 3.12, R-USR-7) through GraphQL on the emulators: counted with the order
write and with each refund's settlement, exactly once, and shown per organization."""

from __future__ import annotations

from typing import Any

from shared.bootstrap import services
from shared.domain.customer_metrics import year_of
from shared.domain.models import Order
from tests.integration.api import data_of, new_user, user_id_of
from tests.integration.checkout_fixtures import (
    add_fees,
    authorized_card_payment,
    clerk,
    connected_org,
    on_sale_event,
    ticket,
)
from tests.integration.orders_fixtures import stored_order

CREATE_ORDER = """mutation($p: OrderInput!) { createOrder(params: $p) { _id } }"""
REFUND = """mutation($o: String!, $t: [String], $pf: Boolean, $mf: Boolean) {
  refundOrder(orderId: $o, ticketIds: $t, processingFee: $pf, promoterFee: $mf) { _id state } }"""
CANCEL = """mutation($o: String!) { cancelOrder(orderId: $o) { _id state } }"""
COUNTERS = """orgId createdAt eventIds lifeTimeValue yearToDateValue lifeTimeValueRefunded
  yearToDateValueRefunded lifeTimeTicketsPurchased yearToDateTicketsPurchased lifeTimeTicketsRefunded
  lifeTimeOrdersPurchased yearToDateOrdersPurchased lifeTimeOrdersRefunded yearToDateOrdersRefunded"""
MY_PROFILE = f"{{ userProfile {{ orgIds eventIds metrics {{ {COUNTERS} }} }} }}"
CUSTOMERS = f"""query($q: UserProfileQueryInput) {{ userProfiles(query: $q) {{
  userId orgIds metrics {{ {COUNTERS} }} }} }}"""


def _box_office_order(org: Any, event: Any, customer_id: str, tickets: int = 2) -> Order:
    params = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
              "type": "Paid", "userId": customer_id,
              "tickets": [ticket(event) for _ in range(tickets)]}  # fmt: skip
    return stored_order(data_of(clerk(org).gql(CREATE_ORDER, {"p": params}))["createOrder"]["_id"])


def _metrics_of(caller: Any) -> dict[str, dict[str, Any]]:
    profile = data_of(caller.gql(MY_PROFILE))["userProfile"]
    return {m["orgId"]: m for m in profile["metrics"]}


def test_a_purchase_and_its_refunds_are_counted_once_each_in_the_buyers_metrics():
    org = connected_org()
    event = on_sale_event(org, price=4000)
    add_fees(org, event)
    buyer = new_user()
    order = _box_office_order(org, event, user_id_of(buyer), tickets=2)
    transfer = order.payments[0].transferAmount
    assert transfer > 0

    metrics = _metrics_of(buyer)[org.id]
    assert metrics["lifeTimeValue"] == metrics["yearToDateValue"] == transfer
    assert metrics["lifeTimeTicketsPurchased"] == metrics["yearToDateTicketsPurchased"] == 2
    assert metrics["lifeTimeOrdersPurchased"] == metrics["yearToDateOrdersPurchased"] == 1
    assert metrics["eventIds"] == [event.id]
    assert metrics["createdAt"] == order.createdAt
    profile = data_of(buyer.gql(MY_PROFILE))["userProfile"]
    assert org.id in profile["orgIds"] and event.id in profile["eventIds"]

    box = clerk(org)
    first = order.tickets[0].id
    data_of(box.gql(REFUND, {"o": order.id, "t": [first]}))
    data_of(box.gql(REFUND, {"o": order.id, "t": [first]}))  # the same refund again: counted once
    metrics = _metrics_of(buyer)[org.id]
    assert metrics["lifeTimeTicketsRefunded"] == 1
    assert metrics["lifeTimeValueRefunded"] == metrics["yearToDateValueRefunded"] == 4000
    assert metrics["lifeTimeOrdersRefunded"] == 0

    data_of(box.gql(REFUND, {"o": order.id, "t": [order.tickets[1].id], "pf": True, "mf": True}))
    refunded = stored_order(order.id)
    assert refunded.state == "Refunded"
    metrics = _metrics_of(buyer)[org.id]
    assert metrics["lifeTimeTicketsRefunded"] == 2
    assert metrics["lifeTimeValueRefunded"] == refunded.refundedAmount == order.payments[0].amount
    assert metrics["lifeTimeOrdersRefunded"] == metrics["yearToDateOrdersRefunded"] == 1
    assert metrics["lifeTimeOrdersPurchased"] == 1  # a refund does not un-buy


def test_a_cancellation_moves_no_money_and_leaves_the_metrics_alone():
    org = connected_org()
    event = on_sale_event(org)
    buyer = new_user()
    order = _box_office_order(org, event, user_id_of(buyer), tickets=1)
    before = _metrics_of(buyer)[org.id]
    data_of(clerk(org).gql(CANCEL, {"o": order.id}))
    assert stored_order(order.id).state == "Canceled"
    assert _metrics_of(buyer)[org.id] == before


def test_staff_see_only_their_own_organizations_metrics_of_a_shared_customer():
    first, second = connected_org("First Hall"), connected_org("Second Hall")
    buyer = new_user()
    buyer_id = user_id_of(buyer)
    _box_office_order(first, on_sale_event(first), buyer_id, tickets=1)
    _box_office_order(second, on_sale_event(second), buyer_id, tickets=3)

    assert set(_metrics_of(buyer)) == {first.id, second.id}  # the buyer sees all of theirs
    listed = data_of(clerk(first).gql(CUSTOMERS, {"q": {"userIds": [buyer_id]}}))["userProfiles"]
    assert [p["userId"] for p in listed] == [buyer_id]
    assert listed[0]["orgIds"] == [first.id]
    assert [(m["orgId"], m["lifeTimeTicketsPurchased"]) for m in listed[0]["metrics"]] == [(first.id, 1)]


def test_an_anonymous_box_office_sale_credits_nobody():
    org = connected_org()
    event = on_sale_event(org)
    params = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
              "type": "Paid", "tickets": [ticket(event)]}  # fmt: skip
    order = stored_order(data_of(clerk(org).gql(CREATE_ORDER, {"p": params}))["createOrder"]["_id"])
    assert order.userId == ""
    profiles = services().store.user_profiles.find(("orgIds", "array_contains", org.id))
    assert profiles == []


def test_year_to_date_counts_only_this_calendar_year():
    org = connected_org()
    event = on_sale_event(org)
    buyer = new_user()
    order = _box_office_order(org, event, user_id_of(buyer), tickets=1)
    # A purchase booked last year, as the counters of that year would hold it.
    last_year = str(year_of(order.createdAt) - 1)
    services().store.client.collection("userProfiles").document(order.userId).set(
        {"metricsByOrg": {org.id: {"years": {last_year: {"ticketsPurchased": 5, "ordersPurchased": 1}},
                                   "lifeTime": {"ticketsPurchased": 6, "ordersPurchased": 2}}}},
        merge=True,
    )  # fmt: skip
    metrics = _metrics_of(buyer)[org.id]
    assert metrics["lifeTimeTicketsPurchased"] == 6
    assert metrics["yearToDateTicketsPurchased"] == 1
    assert metrics["yearToDateOrdersPurchased"] == 1


def test_a_card_order_is_counted_once_whether_the_client_or_the_webhook_records_it():
    org = connected_org()
    event = on_sale_event(org, price=5000)
    add_fees(org, event)
    buyer = new_user()
    params = {"orgId": org.id, "eventId": event.id, "channel": "Online", "tickets": [ticket(event)]}
    intent_id = authorized_card_payment(buyer, org, params)
    # The client's createOrder races Stripe's webhook for the same payment; one order is written.
    order_id = data_of(buyer.gql(CREATE_ORDER, {"p": {**params, "paymentIntentId": intent_id}}))[
        "createOrder"
    ]["_id"]
    data_of(buyer.gql(CREATE_ORDER, {"p": {**params, "paymentIntentId": intent_id}}))  # a client retry
    order = stored_order(order_id)
    metrics = _metrics_of(buyer)[org.id]
    assert metrics["lifeTimeOrdersPurchased"] == 1
    assert metrics["lifeTimeTicketsPurchased"] == 1
    assert metrics["lifeTimeValue"] == order.payments[0].transferAmount > 0
