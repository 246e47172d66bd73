"""Issue 15 (5), SECURITY 17: every operation that moves money re-checks the caller's token
against revocation. A token issued before its account was signed out everywhere (refresh tokens
revoked) or disabled still verifies without that check; with it, checkout, season checkout,
box-office sales and refunds answer "Authentication Required." and hold or write nothing.
Each test first shows the same token working (the control), then revokes and retries."""

from __future__ import annotations

import time
from typing import Any

from firebase_admin import auth

from tests.integration.api import Caller, data_of, id_token_for, new_user, staff_of
from tests.integration.checkout_fixtures import (
    START_PAYMENT,
    authorized_card_payment,
    clerk,
    connected_org,
    on_sale_event,
    sold,
    ticket,
)
from tests.integration.test_season_orders import START as START_SEASON_PAYMENT
from tests.integration.test_season_orders import card_params, season_sold, world

CREATE_ORDER = "mutation($p: OrderInput!) { createOrder(params: $p) { _id } }"
CREATE_ORDER_WITH_TICKETS = "mutation($p: OrderInput!) { createOrder(params: $p) { _id tickets { _id } } }"
REFUND = "mutation($o: String!, $t: [String]) { refundOrder(orderId: $o, ticketIds: $t) { _id state } }"


def _revoke(caller: Caller) -> None:
    # Revocation is stamped in whole seconds and compared with the token's issue time.
    time.sleep(1.1)
    auth.revoke_refresh_tokens(caller.uid)


def _refused(result: dict[str, Any]) -> None:
    assert result["errors"][0]["message"] == "Authentication Required.", result
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _card(event: Any) -> dict[str, Any]:
    return {"orgId": event.orgId, "eventId": event.id, "channel": "Online", "tickets": [ticket(event)]}


def test_a_revoked_buyer_token_opens_no_payment_intent() -> None:
    org = connected_org()
    buyer = new_user()
    data_of(buyer.gql(START_PAYMENT, {"p": _card(on_sale_event(org))}))  # control: the token works
    _revoke(buyer)
    event = on_sale_event(org)
    _refused(buyer.gql(START_PAYMENT, {"p": _card(event)}))
    assert sold(event) == 0  # nothing held


def test_a_disabled_buyer_token_opens_no_payment_intent() -> None:
    org = connected_org()
    buyer = new_user()
    auth.update_user(buyer.uid, disabled=True)
    event = on_sale_event(org)
    _refused(buyer.gql(START_PAYMENT, {"p": _card(event)}))
    assert sold(event) == 0


def test_a_payment_authorized_before_revocation_is_not_completed_with_the_revoked_token() -> None:
    org = connected_org()
    buyer = new_user()
    event = on_sale_event(org)
    intent_id = authorized_card_payment(buyer, org, _card(event))
    _revoke(buyer)
    _refused(buyer.gql(CREATE_ORDER, {"p": {**_card(event), "paymentIntentId": intent_id}}))
    # A new sign-in (a fresh token) completes it: the refusal was the revocation, nothing else.
    fresh = Caller(token=id_token_for(buyer.uid), uid=buyer.uid, email=buyer.email)
    assert data_of(fresh.gql(CREATE_ORDER, {"p": {**_card(event), "paymentIntentId": intent_id}}))[
        "createOrder"
    ]


def test_a_revoked_season_buyer_token_opens_no_season_payment_intent() -> None:
    org, season, _ = world()
    buyer = new_user()
    _revoke(buyer)
    _refused(buyer.gql(START_SEASON_PAYMENT, {"p": card_params(org, season)}))
    assert season_sold(season) == 0


def test_a_revoked_box_office_token_sells_and_refunds_nothing() -> None:
    org = connected_org()
    event = on_sale_event(org)
    cash = {**_card(event), "channel": "Box Office", "paymentMethodType": "Cash", "type": "Paid"}
    seller = clerk(org)
    order = data_of(seller.gql(CREATE_ORDER_WITH_TICKETS, {"p": cash}))["createOrder"]  # control
    refund = {"o": order["_id"], "t": [t["_id"] for t in order["tickets"]]}
    _revoke(seller)
    _refused(seller.gql(CREATE_ORDER, {"p": cash}))
    _refused(seller.gql(REFUND, refund))
    assert sold(event) == 1
    admin = staff_of(org.id, "ADMIN")  # the same refund by someone signed in works
    assert data_of(admin.gql(REFUND, refund))["refundOrder"]["state"] in ("Refunded", "Partial Refund")
