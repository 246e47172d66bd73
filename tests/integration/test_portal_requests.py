"""What the unmodified purchase portal really sends (issue 13): a Discount code in `promotionCode`
(event and season checkout, eventTickets, eventDiscounts), phone numbers as the buyer typed them,
and tickets delivered to the address the buyer gave, verified or not. Over HTTP on the emulators
and the local Stripe."""

from __future__ import annotations

import time
import uuid
from typing import Any

from firebase_admin import auth

from shared.bootstrap import services
from shared.domain.models import Event, Organization, Season
from tests.integration.api import Caller, _admin_app, data_of, error_of, gql, id_token_for, new_user, wait_for
from tests.integration.checkout_fixtures import connected_org, on_sale_event, stripe_client, ticket
from tests.integration.inbox import with_subject
from tests.integration.test_season_orders import START as START_SEASON
from tests.integration.test_season_orders import card_params, event_with_pass, make_season

START = """mutation($p: OrderPaymentIntentInput!) {
  createOrderPaymentIntent(params: $p) { paymentIntentId } }"""
CREATE = """mutation($p: OrderInput!) { createOrder(params: $p) { _id email discountCode promotionCode
  payments { amount discount } } }"""
EVENT_TICKETS = """query($e: String, $s: String, $c: String) {
  eventTickets(eventId: $e, seasonId: $s, promoCode: $c) { promoType discountType discountValue active } }"""
EVENT_DISCOUNTS = """query($e: String, $s: String, $c: String!, $t: [String]) {
  eventDiscounts(eventId: $e, seasonId: $s, discountCode: $c, selectedTicket: $t) {
    promoType discountType discountValue active } }"""
REGISTER = """mutation($u: UserInput!) { register(user: $u) { registered userProfile { phoneNumber } } }"""
USER_EXISTS = """query($p: String) { userExists(phoneNumber: $p) { userId } }"""


def discount(code: str = "SAVE10") -> dict[str, Any]:
    now = int(time.time())
    return {"code": code, "type": "Discount", "totalQty": 50, "remainingQty": 50, "startsAt": now - 60,
            "endsAt": now + 3600, "useLimit": 5, "active": True, "discountType": "Percent",
            "discountValue": 10, "appliesTo": "Per Order"}  # fmt: skip


def intent_amount(org: Organization, intent_id: str) -> int:
    intent = stripe_client().v1.payment_intents.retrieve(intent_id, options={"stripe_account": org.stripeId})
    return int(intent.amount)


def season_with_discount(org: Organization) -> Season:
    """A 5000-cent season whose Discount code SAVE10 has its uses in stock (saved by the writer)."""
    return make_season(
        org, [event_with_pass(org, "Opening Night", 2 * 86_400)], price=5000, promotions=[discount()]
    )


def event_card_params(org: Organization, event: Event, **codes: str) -> dict[str, Any]:
    return {"orgId": org.id, "eventId": event.id, "channel": "Online", "tickets": [ticket(event)], **codes}


# --- promotionCode carrying a Discount code ---------------------------------------------------------


def test_event_checkout_as_the_portal_sends_a_discount_in_both_fields() -> None:
    """`promotionCode: promotionCode || discountCode` plus `discountCode` (order.saga.ts)."""
    org = connected_org()
    event = on_sale_event(org, price=4500, promotions=[discount()])
    buyer = new_user()
    params = event_card_params(org, event, promotionCode="SAVE10", discountCode="SAVE10")

    intent_id = data_of(buyer.gql(START, {"p": params}))["createOrderPaymentIntent"]["paymentIntentId"]

    assert intent_amount(org, intent_id) == 4050  # 10 % off 4500, no fees on this event
    stripe_client().v1.payment_intents.confirm(
        intent_id, params={"payment_method": "pm_card_visa"}, options={"stripe_account": org.stripeId}
    )
    order = data_of(buyer.gql(CREATE, {"p": {**params, "paymentIntentId": intent_id}}))["createOrder"]
    assert (order["discountCode"], order["promotionCode"]) == ("SAVE10", "")
    assert order["payments"][0]["amount"] == 4050


def test_event_checkout_with_the_discount_only_in_promotion_code() -> None:
    org = connected_org()
    event = on_sale_event(org, price=4500, promotions=[discount()])
    buyer = new_user()

    answer = buyer.gql(START, {"p": event_card_params(org, event, promotionCode="save10")})

    intent_id = data_of(answer)["createOrderPaymentIntent"]["paymentIntentId"]
    assert intent_amount(org, intent_id) == 4050


def test_an_unknown_promotion_code_is_still_refused() -> None:
    org = connected_org()
    event = on_sale_event(org, promotions=[discount()])

    refused = error_of(new_user().gql(START, {"p": event_card_params(org, event, promotionCode="NOPE")}))

    assert refused["message"] == "Please enter a valid promo code."


def test_season_checkout_as_the_portal_sends_it_the_discount_only_in_promotion_code() -> None:
    """createSeasonOrderPaymentIntent gets `promotionCode: promotionCode || discountCode` and no
    `discountCode` (order.saga.ts); createSeasonOrder gets neither: the intent's price stands."""
    org = connected_org("Season Presents")
    season = season_with_discount(org)
    buyer = new_user()
    undiscounted = data_of(new_user().gql(START_SEASON, {"p": card_params(org, season)}))
    full_price = intent_amount(org, undiscounted["createSeasonOrderPaymentIntent"]["paymentIntentId"])

    answer = buyer.gql(START_SEASON, {"p": card_params(org, season, promotionCode="SAVE10")})

    intent_id = data_of(answer)["createSeasonOrderPaymentIntent"]["paymentIntentId"]
    assert full_price - intent_amount(org, intent_id) == 500  # 10 % of the 5000 season ticket


def test_event_tickets_answers_a_discount_code_typed_in_the_promo_code_box() -> None:
    event = on_sale_event(connected_org(), promotions=[discount()])

    found = data_of(gql(EVENT_TICKETS, {"e": event.id, "c": "save10"}))["eventTickets"]

    assert found == [
        {"promoType": "Discount", "discountType": "Percent", "discountValue": 10.0, "active": True}
    ]


def test_event_discounts_checks_a_seasons_discount_code() -> None:
    season = season_with_discount(connected_org("Season Presents"))

    found = data_of(gql(EVENT_DISCOUNTS, {"s": season.id, "c": "SAVE10", "t": [season.ticketTypes[0].id]}))[
        "eventDiscounts"
    ]

    assert found == [
        {"promoType": "Discount", "discountType": "Percent", "discountValue": 10.0, "active": True}
    ]


# --- phone numbers as typed -----------------------------------------------------------------------------


def test_register_takes_the_portals_digits_only_phone_and_finds_it_however_typed() -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"

    answer = data_of(gql(REGISTER, {"u": {"email": email, "firstName": "Ada", "phoneNumber": "15555550177"}}))

    assert answer["register"]["userProfile"]["phoneNumber"] == "+15555550177"
    for typed in ("+1 555 555 0177", "(555) 555-0177", "15555550177"):
        assert data_of(gql(USER_EXISTS, {"p": typed}))["userExists"]["userId"]


def test_an_unreadable_phone_is_refused_naming_the_field() -> None:
    refused = error_of(gql(REGISTER, {"u": {"email": "x@example.com", "phoneNumber": "call me maybe"}}))

    assert refused["message"] == "Invalid Fields"
    assert refused["extensions"]["invalidArgs"] == ["user.phoneNumber"]


# --- every buyer gets their tickets ---------------------------------------------------------------------


def unverified_buyer() -> Caller:
    """Signed in through the Firebase SDK with an e-mail it never verified."""
    _admin_app()
    uid = f"u-{uuid.uuid4().hex[:12]}"
    email = f"{uid}@example.com"
    auth.create_user(uid=uid, email=email, email_verified=False)
    return Caller(token=id_token_for(uid), uid=uid, email=email)


def test_a_buyer_signed_in_with_an_unverified_email_receives_the_tickets() -> None:
    org = connected_org()
    event = on_sale_event(org)
    buyer = unverified_buyer()
    params = event_card_params(org, event)
    intent_id = data_of(buyer.gql(START, {"p": params}))["createOrderPaymentIntent"]["paymentIntentId"]
    stripe_client().v1.payment_intents.confirm(
        intent_id, params={"payment_method": "pm_card_visa"}, options={"stripe_account": org.stripeId}
    )

    order = data_of(buyer.gql(CREATE, {"p": {**params, "paymentIntentId": intent_id}}))["createOrder"]

    assert order["email"] == buyer.email
    assert wait_for(lambda: with_subject("[TICKET ARRIVAL]", buyer.email), timeout=30)
    user = services().store.users.find(("firebaseUid", "==", buyer.uid))[0]
    assert (user.email, user.emailVerifiedAt) == ("", None)  # the account itself stays unverified
