"""Daily reconciliation with Stripe end to end: orders and refunds made through the real
functions on the emulators and the local Stripe (Connect direct charges), disagreements made
the way they happen (a charge nobody recorded, a dashboard refund, an authorisation never
captured, a record Stripe never saw, an amount written wrong), then the refund function's
`/tasks/reconcile` route, the tasks emulator's fan-out and the GraphQL read."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from emulator import config
from shared.adapters.reconciliation_store import COLLECTION, FirestoreReconciliationBooks
from shared.adapters.stripe_ledger import StripeLedger
from shared.bootstrap import services
from shared.domain.models import Order, OrderTicket, Organization, Payment
from shared.domain.reconciliation import day_bounds
from shared.domain.refund_rules import RefundPlan, RefundRecord
from shared.services.reconciliation import ReconciliationService
from shared.settings import get_settings
from tests.integration.api import data_of, error_of, new_user, staff_of, wait_for
from tests.integration.checkout_fixtures import (
    add_fees,
    authorized_card_payment,
    clerk,
    connected_org,
    on_sale_event,
    stripe_client,
    ticket,
)
from tests.integration.orders_fixtures import stored_order

CREATE_ORDER = """mutation($p: OrderInput!) { createOrder(params: $p) { _id } }"""
REFUND = """mutation($o: String!, $t: [String]) {
  refundOrder(orderId: $o, ticketIds: $t, refundAmount: 1) { _id refundedAmount } }"""
MISMATCHES = """query($d: String!) { reconciliationMismatches(date: $d) {
  _id date kind stripeAccount orgId objectId orderId refundId ourAmount stripeAmount message foundAt } }"""
RECONCILE_URL = f"{config.FUNCTIONS_URL}/refund/tasks/reconcile"


def _card_order(org: Organization, tickets: int = 2) -> Order:
    event = on_sale_event(org, price=2500)
    add_fees(org, event)
    buyer = new_user()
    params = {"orgId": org.id, "eventId": event.id, "channel": "Online",
              "tickets": [ticket(event) for _ in range(tickets)]}  # fmt: skip
    intent_id = authorized_card_payment(buyer, org, params)
    created = data_of(buyer.gql(CREATE_ORDER, {"p": {**params, "paymentIntentId": intent_id}}))
    return stored_order(created["createOrder"]["_id"])


def _day_of(created: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(created))


def _charge_created(org: Organization, charge_id: str) -> int:
    charge = stripe_client().v1.charges.retrieve(charge_id, options={"stripe_account": org.stripeId})
    return int(charge.created)


def _reconcile_over_http(body: dict[str, Any]) -> str:
    response = requests.post(RECONCILE_URL, json=body, timeout=60)
    assert response.status_code == 200, response.text
    return str(response.json()["result"])


def _stored(day: str) -> list[dict[str, Any]]:
    query = services().store.client.collection(COLLECTION).where(filter=FieldFilter("date", "==", day))
    return [snapshot.to_dict() or {} for snapshot in query.stream()]


def _paging_service() -> ReconciliationService:
    """The service as bootstrap builds it, with Stripe pages of two: every listing pages."""
    ledger = StripeLedger(get_settings(), page_size=2)
    return ReconciliationService(
        ledger=lambda: ledger, books=FirestoreReconciliationBooks(services().store.client),
        organizations=services().store.organizations, tasks=services().task_queue,
    )  # fmt: skip


def test_a_clean_day_finds_nothing_and_another_days_activity_is_left_to_that_day(caplog):
    org = connected_org()
    paid = _card_order(org)
    data_of(clerk(org).gql(REFUND, {"o": paid.id, "t": [paid.tickets[0].id]}))  # a refund we made
    cash = Order(orgId=org.id, eventName="Door", eventId=paid.eventId, createdAt=int(time.time()),
                 createdBy="clerk", payments=[Payment(amount=2000, paymentMethodType="Cash")])  # fmt: skip
    services().store.orders.create(cash)
    # A charge nobody recorded, but made the day before: it belongs to that day's run.
    stray = stripe_client().v1.charges.create(
        params={"amount": 1500, "currency": "usd", "source": "tok_visa"},
        options={"stripe_account": org.stripeId},
    )
    day = _day_of(_charge_created(org, paid.stripeChargeId))
    yesterday = day_bounds(day)[0] - 3600
    requests.post(f"{config.STRIPE_URL}/_config/objects/charge/{stray.id}/created",
                  data={"created": yesterday}, timeout=10).raise_for_status()  # fmt: skip

    with caplog.at_level(logging.INFO, logger="sellout.reconciliation"):
        results = _paging_service().reconcile_day(day)

    assert [r.found for r in results] == [[], []]  # the platform and the org's account: clean
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert _stored(day) == []
    super_user = new_user(superUser=True)
    assert data_of(super_user.gql(MISMATCHES, {"d": day}))["reconciliationMismatches"] == []
    (earlier,) = _paging_service().reconcile_account(_day_of(yesterday), org.stripeId).found
    assert (earlier.kind, earlier.objectId) == ("MISSING_ORDER", stray.id)


def test_each_kind_of_mismatch_is_found_once_stored_once_and_shown_to_super_users_only(caplog):
    org = connected_org()
    stripe = stripe_client()
    on_account: Any = {"stripe_account": org.stripeId}

    # Clean: a card order and a partial refund made through the app.
    clean = _card_order(org)
    data_of(clerk(org).gql(REFUND, {"o": clean.id, "t": [clean.tickets[0].id]}))

    # MISSING_ORDER: money taken on the account that no order records...
    orphan = stripe.v1.charges.create(params={"amount": 3000, "currency": "usd", "source": "tok_visa"},
                                      options=on_account)  # fmt: skip
    # ...UNKNOWN_REFUND: ...and part of it refunded in the dashboard.
    dashboard = stripe.v1.refunds.create(params={"charge": orphan.id, "amount": 1000}, options=on_account)

    # AMOUNT_DIFFERS: an order whose stored payment is not what Stripe captured.
    misstated = _card_order(org, tickets=1)
    wrong = misstated.payments[0].model_copy(update={"amount": misstated.payments[0].amount + 100})
    services().store.orders.update(misstated.id, {"payments": [wrong.doc()]})

    # ORDER_NOT_IN_STRIPE: an order recorded for an authorisation that was never captured.
    event = on_sale_event(org, price=2500)
    authorisation: Any = {"amount": 2500, "currency": "usd", "capture_method": "manual",
                           "payment_method": "pm_card_visa", "confirm": True}  # fmt: skip
    intent = stripe.v1.payment_intents.create(params=authorisation, options=on_account)
    assert intent.status == "requires_capture"
    uncaptured = Order(
        orgId=org.id, eventName=event.name, eventId=event.id, createdAt=int(time.time()), createdBy="bug",
        stripeChargeId=str(intent.latest_charge),
        tickets=[OrderTicket(name="GA", ticketTypeId=event.ticketTypes[0].id,
                             ticketTierId=event.ticketTypes[0].tiers[0].id, price=2500, origionalPrice=2500)],
        payments=[Payment(amount=2500, paymentIntentId=intent.id, paymentMethodType="Card Entry")],
    )  # fmt: skip
    services().store.orders.create(uncaptured)

    # REFUND_NOT_IN_STRIPE: a refund we hold as done that Stripe never made.
    phantom = RefundRecord(
        orderId=clean.id, orgId=org.id, state="succeeded", plan=RefundPlan(orderId=clean.id), amount=700,
        stripeAccount=org.stripeId, stripeRefundId="re_NeverMadeOnStripe000000", createdAt=int(time.time()),
        createdBy="restore",
    )  # fmt: skip
    services().refund_store.records.document(phantom.id).create(phantom.doc())

    day = _day_of(_charge_created(org, orphan.id))
    expected = {
        ("MISSING_ORDER", orphan.id), ("UNKNOWN_REFUND", dashboard.id),
        ("AMOUNT_DIFFERS", misstated.stripeChargeId), ("ORDER_NOT_IN_STRIPE", uncaptured.id),
        ("REFUND_NOT_IN_STRIPE", phantom.id),
    }  # fmt: skip

    with caplog.at_level(logging.INFO, logger="sellout.reconciliation"):
        first = _paging_service().reconcile_account(day, org.stripeId)
    assert {(m.kind, m.objectId) for m in first.found} == expected
    assert len(first.found) == len(expected) == len(first.new)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert sorted(r.__dict__["kind"] for r in errors) == sorted(kind for kind, _ in expected)
    by_kind = {m.kind: m for m in first.found}
    assert (by_kind["AMOUNT_DIFFERS"].ourAmount, by_kind["AMOUNT_DIFFERS"].stripeAmount) == (
        wrong.amount, misstated.payments[0].amount)  # fmt: skip
    assert by_kind["UNKNOWN_REFUND"].stripeAmount == 1000
    assert by_kind["ORDER_NOT_IN_STRIPE"].orderId == uncaptured.id

    # A rerun through the function (a retried task, a run by hand) stores and logs nothing new.
    caplog.clear()
    assert _reconcile_over_http({"date": day, "account": org.stripeId}) == (
        f"{org.stripeId}: {len(expected)} mismatches, 0 new"
    )
    stored = _stored(day)
    assert sorted((m["kind"], m["objectId"]) for m in stored) == sorted(expected)

    super_user = new_user(superUser=True)
    shown = data_of(super_user.gql(MISMATCHES, {"d": day}))["reconciliationMismatches"]
    assert {(m["kind"], m["objectId"]) for m in shown} == expected
    assert {m["stripeAccount"] for m in shown} == {org.stripeId}
    owner = staff_of(org.id, "OWNER")
    refused = error_of(owner.gql(MISMATCHES, {"d": day}))
    assert refused["extensions"]["errorCode"] == "FORBIDDEN"
    assert error_of(new_user().gql(MISMATCHES, {"d": day}))["extensions"]["errorCode"] == "FORBIDDEN"
    invalid = error_of(super_user.gql(MISMATCHES, {"d": "06/12/2026"}))
    assert invalid["extensions"]["errorCode"] == "INVALID_INPUT"


def test_the_scheduled_run_plans_one_task_per_account_and_the_tasks_reconcile_each():
    org = connected_org()
    orphan = stripe_client().v1.charges.create(
        params={"amount": 2200, "currency": "usd", "source": "tok_visa"},
        options={"stripe_account": org.stripeId},
    )
    platform_orphan = stripe_client().v1.charges.create(
        params={"amount": 900, "currency": "usd", "source": "tok_visa"}
    )
    day = _day_of(_charge_created(org, orphan.id))

    assert _reconcile_over_http({"date": day}) == f"planned 2 accounts for {day}"

    stored = wait_for(lambda: len(found := _stored(day)) == 2 and found, timeout=30.0)
    assert {(m["stripeAccount"], m["kind"], m["objectId"]) for m in stored} == {
        (org.stripeId, "MISSING_ORDER", orphan.id), ("platform", "MISSING_ORDER", platform_orphan.id),
    }  # fmt: skip


@pytest.mark.parametrize("body", [{"date": "2026-13-01"}, {"date": "yesterday", "account": "platform"}])
def test_a_malformed_date_is_refused_before_anything_runs(body):
    response = requests.post(RECONCILE_URL, json=body, timeout=30)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "INVALID_INPUT"


def test_the_local_stripe_lists_by_created_range_per_account_and_pages():
    org = connected_org()
    stripe = stripe_client()
    on_account: Any = {"stripe_account": org.stripeId}
    made = [stripe.v1.charges.create(params={"amount": 1000 + n, "currency": "usd", "source": "tok_visa"},
                                     options=on_account).id for n in range(3)]  # fmt: skip
    requests.post(f"{config.STRIPE_URL}/_config/objects/charge/{made[0]}/created",
                  data={"created": 1_000_000}, timeout=10).raise_for_status()  # fmt: skip
    recent: Any = {"created": {"gte": 2_000_000}, "limit": 1}
    paged = [c.id for c in stripe.v1.charges.list(params=recent, options=on_account).auto_paging_iter()]
    assert sorted(paged) == sorted(made[1:])
    exact: Any = {"created": 1_000_000}
    assert [c.id for c in stripe.v1.charges.list(params=exact, options=on_account).data] == [made[0]]
    assert list(stripe.v1.charges.list(params=recent).data) == []  # the platform sees none of them
    key = {"Authorization": f"Bearer {config.STRIPE_SECRET_KEY}"}
    bad = requests.get(
        f"{config.STRIPE_URL}/v1/charges", params={"created[after]": 1}, headers=key, timeout=10
    )
    assert bad.status_code == 400


def test_an_account_that_revoked_our_access_is_recorded_once_and_not_retried(caplog):
    org = connected_org()
    orphan = stripe_client().v1.charges.create(
        params={"amount": 1200, "currency": "usd", "source": "tok_visa"},
        options={"stripe_account": org.stripeId},
    )
    day = _day_of(_charge_created(org, orphan.id))
    stripe_client().oauth.deauthorize(params={"client_id": "ca_local", "stripe_user_id": org.stripeId})

    with caplog.at_level(logging.INFO, logger="sellout.reconciliation"):
        (unreadable,) = _paging_service().reconcile_account(day, org.stripeId).new
    assert (unreadable.kind, unreadable.objectId, unreadable.orgId) == (
        "ACCOUNT_UNREADABLE",
        org.stripeId,
        org.id,
    )
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
    # The task answers done (a retry could not read the account either) and adds nothing.
    assert (
        _reconcile_over_http({"date": day, "account": org.stripeId}) == f"{org.stripeId}: 1 mismatches, 0 new"
    )


def test_refunds_pair_with_records_made_on_another_day_by_their_stripe_id_or_metadata():
    """A refund recorded the day before (near midnight, or a dashboard refund the webhook
    recorded without our metadata) is still ours; a record without the Stripe id is found
    among its charge's refunds by our metadata."""
    org = connected_org()
    stripe = stripe_client()
    on_account: Any = {"stripe_account": org.stripeId}
    order = _card_order(org)
    day = _day_of(_charge_created(org, order.stripeChargeId))
    earlier = day_bounds(day)[0] - 60
    outside = stripe.v1.refunds.create(
        params={"charge": order.stripeChargeId, "amount": 500}, options=on_account
    )
    plan = RefundPlan(orderId=order.id)
    known = RefundRecord(orderId=order.id, orgId=order.orgId, state="succeeded", plan=plan, amount=500,
                         stripeAccount=org.stripeId, stripeRefundId=outside.id, createdAt=earlier,
                         createdBy="webhook")  # fmt: skip
    services().refund_store.records.document(known.id).create(known.doc())
    unnamed = RefundRecord(orderId=order.id, orgId=order.orgId, state="succeeded", plan=plan, amount=300,
                           stripeAccount=org.stripeId, createdAt=int(time.time()), createdBy="api",
                           chargeId=order.stripeChargeId)  # fmt: skip
    stripe.v1.refunds.create(params={"charge": order.stripeChargeId, "amount": 300,
                                     "metadata": {"refundId": unnamed.id}}, options=on_account)  # fmt: skip
    services().refund_store.records.document(unnamed.id).create(unnamed.doc())
    services().store.orders.update(order.id, {"refundedAmount": 800})

    assert _paging_service().reconcile_account(day, org.stripeId).found == []
