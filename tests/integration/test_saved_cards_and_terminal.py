"""Saved cards (R-PAY-1) and Stripe Terminal (R-PAY-5) through GraphQL, on the local Stripe: the
purchase portal's and Backstage's own calls, with Stripe.js's part played over HTTP."""

from __future__ import annotations

from typing import Any

import requests

from emulator import config
from shared.bootstrap import services
from shared.domain.payment_methods import FILL_ORG_ADDRESS
from shared.services.terminal import CONNECT_STRIPE_FIRST
from tests.integration.api import Caller, data_of, error_of, make_org, new_user, staff_of, user_id_of
from tests.integration.checkout_fixtures import clerk, connected_org, on_sale_event, stripe_client, ticket

CARD_FIELDS = "paymentMethodId brand last4 expMonth expYear funding country type"
SETUP = "mutation { createStripeSetupIntent }"
ATTACH = f"""mutation($pm: String!, $id: String) {{
  attachStripePaymentMethod(paymentMethodId: $pm, _id: $id) {{ {CARD_FIELDS} }} }}"""
CARD = f"query($pm: String!) {{ getStripeCardByMethod(paymentMethodId: $pm) {{ {CARD_FIELDS} }} }}"
DELETE = "mutation($id: String!) { deleteStripeSource(sourceId: $id) }"
MY_CARDS = f"""{{ userProfile {{ stripeCustomerId
  stripeCustomer {{ stripeCustomerId email paymentMethods {{ {CARD_FIELDS} }} }} }} }}"""
ADD_SOURCE = """mutation($t: String!, $u: String) { createStripeSource(stripeToken: $t, userId: $u) {
  stripeCustomerId email paymentMethods { paymentMethodId brand last4 } } }"""

READER_FIELDS = "id label type location serialNumber status ipAddress"
READERS = f"{{ listStripeTerminalReaders {{ {READER_FIELDS} }} }}"
LOCATION = "{ createStripeLocationId }"
REGISTER = f"""mutation($label: String, $code: String) {{
  registerStripeTerminalReader(label: $label, registrationCode: $code) {{ {READER_FIELDS} }} }}"""
DELETE_READER = "mutation($id: String!) { deleteStripeTerminalReader(readerId: $id) }"
TOKEN = "mutation { createStripeTerminalConnectionToken }"
UPDATE_ORG = "mutation($o: OrganizationInput!) { updateOrganization(organization: $o) { _id } }"
ORG_ADDRESS = {"address1": "1 Main St", "city": "Denver", "state": "CO", "zip": "80202", "country": "US"}


def code_of(result: dict[str, Any]) -> str:
    return str(error_of(result)["extensions"]["errorCode"])


def confirm_setup_as_stripe_js(client_secret: str, payment_method: str = "pm_card_visa") -> dict[str, Any]:
    """Stripe.js in the buyer's browser: the publishable key and the client secret, nothing else."""
    intent_id = client_secret.split("_secret_", maxsplit=1)[0]
    answer = requests.post(
        f"{config.STRIPE_URL}/v1/setup_intents/{intent_id}/confirm",
        data={"key": config.STRIPE_PUBLISHABLE_KEY, "client_secret": client_secret,
              "payment_method": payment_method},
        timeout=10,
    )  # fmt: skip
    body: dict[str, Any] = answer.json()
    return body


def saved_card(buyer: Caller) -> str:
    """The portal's save-a-card flow up to attach; returns the PaymentMethod id."""
    secret = data_of(buyer.gql(SETUP))["createStripeSetupIntent"]
    confirmed = confirm_setup_as_stripe_js(secret)
    assert confirmed["status"] == "succeeded", confirmed
    pm_id = str(confirmed["payment_method"])
    data_of(buyer.gql(ATTACH, {"pm": pm_id}))
    return pm_id


# --- saved cards ---------------------------------------------------------------------------------


def test_a_card_saved_through_a_setup_intent_is_the_buyers_and_can_be_deleted():
    buyer = new_user()
    secret = data_of(buyer.gql(SETUP))["createStripeSetupIntent"]
    assert "_secret_" in secret
    confirmed = confirm_setup_as_stripe_js(secret)
    assert confirmed["status"] == "succeeded"
    pm_id = confirmed["payment_method"]

    attached = data_of(buyer.gql(ATTACH, {"pm": pm_id}))["attachStripePaymentMethod"]
    assert attached == {"paymentMethodId": pm_id, "brand": "visa", "last4": "4242", "expMonth": "12",
                        "expYear": "2034", "funding": "credit", "country": "US", "type": "card"}  # fmt: skip

    profile = data_of(buyer.gql(MY_CARDS))["userProfile"]
    customer = profile["stripeCustomer"]
    assert customer["stripeCustomerId"] == profile["stripeCustomerId"]
    assert customer["stripeCustomerId"].startswith("cus_")
    assert customer["email"] == buyer.email
    assert customer["paymentMethods"] == [attached]
    assert data_of(buyer.gql(CARD, {"pm": pm_id}))["getStripeCardByMethod"] == attached
    # On Stripe, the card is on the buyer's platform Customer (not on any connected account).
    on_stripe = stripe_client().v1.payment_methods.retrieve(pm_id)
    assert on_stripe.customer == customer["stripeCustomerId"]

    assert data_of(buyer.gql(DELETE, {"id": pm_id}))["deleteStripeSource"] is True
    assert data_of(buyer.gql(MY_CARDS))["userProfile"]["stripeCustomer"]["paymentMethods"] == []
    assert stripe_client().v1.payment_methods.retrieve(pm_id).customer is None
    assert code_of(buyer.gql(CARD, {"pm": pm_id})) == "NOT_FOUND"


def test_another_user_can_neither_read_nor_take_nor_delete_a_saved_card():
    buyer = new_user()
    pm_id = saved_card(buyer)
    intruder = new_user()

    assert code_of(intruder.gql(CARD, {"pm": pm_id})) == "NOT_FOUND"
    assert code_of(intruder.gql(DELETE, {"id": pm_id})) == "NOT_FOUND"
    assert code_of(intruder.gql(ATTACH, {"pm": pm_id})) == "NOT_FOUND"
    # `_id` may only name the caller's own profile.
    assert code_of(intruder.gql(ATTACH, {"pm": pm_id, "id": user_id_of(buyer)})) == "FORBIDDEN"
    assert data_of(intruder.gql(MY_CARDS))["userProfile"]["stripeCustomer"]["paymentMethods"] == []

    mine = data_of(buyer.gql(MY_CARDS))["userProfile"]["stripeCustomer"]["paymentMethods"]
    assert [c["paymentMethodId"] for c in mine] == [pm_id]
    assert code_of(buyer.gql(CARD, {"pm": "pm_doesNotExist"})) == "NOT_FOUND"


def test_box_office_of_the_buyers_org_sees_card_summaries_and_no_one_else_does():
    org, elsewhere = connected_org(), connected_org("Elsewhere")
    buyer = new_user()
    saved_card(buyer)
    buyer_id = user_id_of(buyer)
    services().store.user_profiles.update(buyer_id, {"orgIds": [org.id]})  # a customer of the org

    query = """{ userProfiles { userId stripeCustomer { stripeCustomerId
      paymentMethods { brand last4 } } } }"""
    listed = data_of(clerk(org).gql(query))["userProfiles"]
    assert [(p["userId"], p["stripeCustomer"]["paymentMethods"]) for p in listed] == [
        (buyer_id, [{"brand": "visa", "last4": "4242"}])  # SPEC 4.7: owner or BOX_OFFICE+ of its orgs
    ]
    assert data_of(clerk(elsewhere).gql(query))["userProfiles"] == []  # not their customer
    scanner = staff_of(org.id, "SCANNER")
    assert error_of(scanner.gql(query))["extensions"]["code"] == "UNAUTHENTICATED"  # the contract's code


def test_a_declined_card_is_not_saved():
    buyer = new_user()
    secret = data_of(buyer.gql(SETUP))["createStripeSetupIntent"]
    confirmed = confirm_setup_as_stripe_js(secret, "pm_card_chargeDeclined")
    assert confirmed["error"]["code"] == "card_declined"
    assert data_of(buyer.gql(MY_CARDS))["userProfile"]["stripeCustomer"]["paymentMethods"] == []


def test_a_legacy_card_source_is_saved_listed_and_deleted():
    buyer = new_user()
    customer = data_of(buyer.gql(ADD_SOURCE, {"t": "tok_visa"}))["createStripeSource"]
    assert customer["stripeCustomerId"].startswith("cus_")
    [card] = customer["paymentMethods"]
    assert card["paymentMethodId"].startswith("card_")
    assert (card["brand"], card["last4"]) == ("visa", "4242")
    assert (
        data_of(buyer.gql(CARD, {"pm": card["paymentMethodId"]}))["getStripeCardByMethod"]["last4"] == "4242"
    )

    intruder = new_user()
    assert code_of(intruder.gql(DELETE, {"id": card["paymentMethodId"]})) == "NOT_FOUND"
    assert code_of(intruder.gql(ADD_SOURCE, {"t": "tok_visa", "u": user_id_of(buyer)})) == "FORBIDDEN"

    assert data_of(buyer.gql(DELETE, {"id": card["paymentMethodId"]}))["deleteStripeSource"] is True
    assert data_of(buyer.gql(MY_CARDS))["userProfile"]["stripeCustomer"]["paymentMethods"] == []
    assert code_of(buyer.gql(ADD_SOURCE, {"t": "tok_chargeDeclined"})) == "PAYMENT_FAILED"


def test_saved_cards_need_a_signed_in_user():
    anonymous = Caller(token="", uid="", email="")
    for result in (
        anonymous.gql(SETUP),
        anonymous.gql(CARD, {"pm": "pm_x"}),
        anonymous.gql(DELETE, {"id": "pm_x"}),
    ):
        assert error_of(result)["message"] == "Authentication Required."


# --- Stripe Terminal -----------------------------------------------------------------------------


def test_the_box_office_sets_up_a_simulated_reader_on_the_orgs_connected_account():
    org = connected_org()
    admin = staff_of(org.id, "ADMIN")
    box_office = staff_of(org.id, "BOX_OFFICE")

    missing = box_office.gql(LOCATION)
    assert error_of(missing)["message"] == FILL_ORG_ADDRESS
    data_of(admin.gql(UPDATE_ORG, {"o": {"address": ORG_ADDRESS}}))

    location = data_of(box_office.gql(LOCATION))["createStripeLocationId"]
    assert location.startswith("tml_")
    assert services().store.organizations.get(org.id).locationId == location  # type: ignore[union-attr]
    assert data_of(box_office.gql(LOCATION))["createStripeLocationId"] == location  # kept, not a second one
    on_stripe = stripe_client().v1.terminal.locations.retrieve(
        location, options={"stripe_account": org.stripeId}
    )
    assert (on_stripe.address.line1, on_stripe.address.postal_code) == ("1 Main St", "80202")

    assert code_of(box_office.gql(REGISTER, {"label": "Door", "code": "simulated-wpe"})) == "FORBIDDEN"
    reader = data_of(admin.gql(REGISTER, {"label": "Door 1", "code": "simulated-wpe"}))[
        "registerStripeTerminalReader"
    ]
    assert reader["id"].startswith("tmr_")
    assert (reader["label"], reader["type"], reader["location"], reader["status"]) == (
        "Door 1", "simulated_wisepos_e", location, "online",
    )  # fmt: skip
    assert reader["serialNumber"].startswith("simulated-wpe-")

    assert data_of(box_office.gql(READERS))["listStripeTerminalReaders"] == [reader]
    token = data_of(box_office.gql(TOKEN))["createStripeTerminalConnectionToken"]
    assert token.startswith("pst_test_")

    assert data_of(box_office.gql(DELETE_READER, {"id": reader["id"]}))["deleteStripeTerminalReader"] is True
    assert data_of(box_office.gql(READERS))["listStripeTerminalReaders"] == []
    assert stripe_client().v1.terminal.readers.list(options={"stripe_account": org.stripeId}).data == []


def test_registering_a_reader_creates_the_location_when_needed_and_checks_the_code():
    org = connected_org()
    services().store.organizations.update(org.id, {"address": ORG_ADDRESS})
    admin = staff_of(org.id, "ADMIN")

    refused = admin.gql(REGISTER, {"code": "purple-monkey-dishwasher"})
    assert code_of(refused) == "REFUSED"
    assert "registration code" in error_of(refused)["message"]
    assert code_of(admin.gql(REGISTER, {"code": ""})) == "INVALID_INPUT"

    reader = data_of(admin.gql(REGISTER, {"code": "simulated-s700"}))["registerStripeTerminalReader"]
    stored = services().store.organizations.get(org.id)
    assert stored is not None and stored.locationId == reader["location"]
    assert reader["label"] == reader["serialNumber"]  # Stripe's default label


def test_scanners_and_other_organizations_cannot_touch_the_readers():
    org = connected_org()
    services().store.organizations.update(org.id, {"address": ORG_ADDRESS})
    reader = data_of(staff_of(org.id, "ADMIN").gql(REGISTER, {"code": "simulated-wpe"}))[
        "registerStripeTerminalReader"
    ]
    scanner = staff_of(org.id, "SCANNER")
    for result in (
        scanner.gql(READERS), scanner.gql(TOKEN), scanner.gql(LOCATION),
        scanner.gql(DELETE_READER, {"id": reader["id"]}), scanner.gql(REGISTER, {"code": "simulated-wpe"}),
    ):  # fmt: skip
        assert code_of(result) == "FORBIDDEN"

    other = connected_org("Elsewhere Presents")
    other_box_office = staff_of(other.id, "BOX_OFFICE")
    # In its own org it sees none of these readers, and cannot delete one by id.
    assert data_of(other_box_office.gql(READERS))["listStripeTerminalReaders"] == []
    assert code_of(other_box_office.gql(DELETE_READER, {"id": reader["id"]})) == "NOT_FOUND"
    # Naming the first org as its context does not help: it has no role there.
    assert code_of(other_box_office.gql(READERS, org_id=org.id)) == "FORBIDDEN"
    assert code_of(other_box_office.gql(DELETE_READER, {"id": reader["id"]}, org_id=org.id)) == "FORBIDDEN"

    listed = stripe_client().v1.terminal.readers.list(options={"stripe_account": org.stripeId}).data
    assert [r.id for r in listed] == [reader["id"]]


def test_terminal_needs_a_connected_stripe_account():
    org = make_org()
    box_office = staff_of(org.id, "BOX_OFFICE")
    assert data_of(box_office.gql(READERS))["listStripeTerminalReaders"] == []
    refused = box_office.gql(TOKEN)
    assert (code_of(refused), error_of(refused)["message"]) == ("REFUSED", CONNECT_STRIPE_FIRST)


def test_a_box_office_card_reader_sale_is_collected_by_the_orgs_reader():
    """R-PAY-3: the clerk opens the intent, the org's reader collects the tapped card (the
    Terminal SDK's part, played through Stripe's API and its test helper), createOrder captures."""
    org = connected_org()
    services().store.organizations.update(org.id, {"address": ORG_ADDRESS})
    reader = data_of(staff_of(org.id, "ADMIN").gql(REGISTER, {"code": "simulated-wpe"}))[
        "registerStripeTerminalReader"
    ]
    event = on_sale_event(org)
    box_office = clerk(org)
    sale = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Card Reader",
            "tickets": [ticket(event)]}  # fmt: skip
    start = (
        "mutation($p: OrderPaymentIntentInput!) { createOrderPaymentIntent(params: $p) { paymentIntentId } }"
    )
    intent_id = data_of(box_office.gql(start, {"p": sale}))["createOrderPaymentIntent"]["paymentIntentId"]
    on_account: Any = {"stripe_account": org.stripeId}
    client: Any = stripe_client()  # untyped: the test reads the nested objects it asserts on
    assert (
        "card_present"
        in client.v1.payment_intents.retrieve(intent_id, options=on_account).payment_method_types
    )

    client.v1.terminal.readers.process_payment_intent(
        reader["id"], params={"payment_intent": intent_id}, options=on_account
    )
    tapped = client.v1.test_helpers.terminal.readers.present_payment_method(reader["id"], options=on_account)
    assert tapped.action.status == "succeeded"

    create = """mutation($p: OrderInput!) { createOrder(params: $p) {
      channel payments { paymentMethodType paymentIntentId } } }"""
    order = data_of(box_office.gql(create, {"p": {**sale, "type": "Paid", "paymentIntentId": intent_id}}))[
        "createOrder"
    ]
    assert order["channel"] == "Box Office"
    assert order["payments"] == [{"paymentMethodType": "Card Reader", "paymentIntentId": intent_id}]
    captured = client.v1.payment_intents.retrieve(intent_id, options=on_account)
    assert captured.status == "succeeded"
    charge = client.v1.charges.retrieve(captured.latest_charge, options=on_account)
    assert charge.payment_method_details.type == "card_present"
