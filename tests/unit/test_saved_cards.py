"""Saved cards and Terminal without I/O: how Stripe's errors map to stable codes, what a card
looks like to the client, and the ownership and permission rules of the two services."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import stripe

from shared.adapters.stripe_cards import saved_card, stripe_error
from shared.domain.models import Address, Organization, Role, User, UserProfile
from shared.domain.payment_methods import (
    FILL_ORG_ADDRESS,
    SavedCard,
    TerminalReader,
    card_view,
    location_address,
    owned_by,
)
from shared.domain.permissions import Principal
from shared.errors import DomainError, ErrorCode
from shared.services.saved_cards import SavedCardService
from shared.services.terminal import CONNECT_STRIPE_FIRST, TerminalService, location_key

T0 = 1_700_000_000
VISA = SavedCard("pm_1", "cus_me", "visa", "4242", 12, 2034, "credit", "US")

# --- Stripe errors -> stable codes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (stripe.CardError("Your card was declined.", "card", "card_declined", http_status=402),
         "PAYMENT_FAILED"),
        (stripe.InvalidRequestError("No such PaymentMethod", "id", "resource_missing", http_status=404),
         "NOT_FOUND"),
        (stripe.InvalidRequestError("already attached", "payment_method", http_status=400), "REFUSED"),
        (stripe.InvalidRequestError("bad code", "registration_code", http_status=400), "REFUSED"),
        (stripe.PermissionError("no access to account", http_status=403), "REFUSED"),
        (stripe.APIConnectionError("connection refused"), "UPSTREAM_FAILED"),
        (stripe.APIError("boom", http_status=500), "UPSTREAM_FAILED"),
        (stripe.RateLimitError("slow down", http_status=429), "UPSTREAM_FAILED"),
        (stripe.AuthenticationError("bad key", http_status=401), "UPSTREAM_FAILED"),
    ],
)  # fmt: skip
def test_stripe_errors_map_to_stable_codes(error, code):
    assert stripe_error(error, "Card").code == ErrorCode(code)


def test_a_decline_keeps_stripes_message_for_the_buyer_and_not_found_names_the_object():
    declined = stripe.CardError("Your card has insufficient funds.", "card", "card_declined", http_status=402)
    assert stripe_error(declined, "Card").message == "Your card has insufficient funds."
    missing = stripe.InvalidRequestError("No such reader: 'tmr_x'", "id", "resource_missing", http_status=404)
    assert stripe_error(missing, "Card reader").message == "Card reader not found."


def test_payment_methods_and_legacy_cards_read_the_same():
    pm = {"id": "pm_1", "object": "payment_method", "type": "card", "customer": "cus_me",
          "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034, "funding": "credit",
                   "country": "US"}}  # fmt: skip
    legacy = {"id": "card_1", "object": "card", "customer": "cus_me", "brand": "Visa", "last4": "4242",
              "exp_month": 12, "exp_year": 2034, "funding": "credit", "country": "US"}  # fmt: skip
    assert saved_card(pm) == VISA
    assert saved_card(legacy) == replace(VISA, id="card_1")
    assert saved_card({**pm, "customer": {"id": "cus_me"}}).customer == "cus_me"  # expanded customer


def test_a_card_reaches_the_client_with_its_expiry_as_strings():
    assert card_view(VISA) == {"paymentMethodId": "pm_1", "brand": "visa", "last4": "4242",
                               "expMonth": "12", "expYear": "2034", "funding": "credit", "country": "US",
                               "type": "card"}  # fmt: skip


def test_a_card_is_owned_only_by_its_own_customer():
    assert owned_by(VISA, "cus_me")
    assert not owned_by(VISA, "cus_other")
    assert not owned_by(replace(VISA, customer=""), "")  # no customer on either side is not a match


# --- the saved-card service -----------------------------------------------------------------------


class Profiles:
    def __init__(self, *profiles: UserProfile) -> None:
        self.items = {p.id: p for p in profiles}

    def get(self, item_id: str) -> UserProfile | None:
        return self.items.get(item_id)

    def save(self, item: UserProfile) -> UserProfile:
        self.items[item.id] = item
        return item

    def update(self, item_id: str, fields: dict[str, Any]) -> None:
        self.items[item_id] = self.items[item_id].model_copy(update=fields)


class Customers:
    def __init__(self) -> None:
        self.created: list[str] = []

    def create_customer(self, user_id: str, email: str, name: str, phone: str) -> str:
        self.created.append(user_id)
        return f"cus_{user_id}"


class Cards:
    """Stripe's cards, as far as the service can see them; records every call that changes one."""

    def __init__(self, *cards: SavedCard) -> None:
        self.stored = {c.id: c for c in cards}
        self.calls: list[tuple[str, ...]] = []

    def customer_email(self, customer_id: str) -> str:
        return "me@example.com"

    def create_setup_intent(self, customer_id: str, user_id: str) -> str:
        return f"seti_1_secret_for_{customer_id}"

    def payment_method(self, payment_method_id: str) -> SavedCard:
        if payment_method_id not in self.stored:
            raise DomainError(ErrorCode.NOT_FOUND, "Card not found.")
        return self.stored[payment_method_id]

    def attach(self, payment_method_id: str, customer_id: str) -> SavedCard:
        self.calls.append(("attach", payment_method_id, customer_id))
        self.stored[payment_method_id] = replace(self.stored[payment_method_id], customer=customer_id)
        return self.stored[payment_method_id]

    def detach(self, payment_method_id: str) -> None:
        self.calls.append(("detach", payment_method_id))

    def cards(self, customer_id: str) -> list[SavedCard]:
        return [c for c in self.stored.values() if c.customer == customer_id]

    def add_source(self, customer_id: str, token: str) -> SavedCard:
        self.calls.append(("add_source", customer_id, token))
        card = replace(VISA, id="card_new", customer=customer_id)
        self.stored[card.id] = card
        return card

    def delete_source(self, customer_id: str, source_id: str) -> None:
        self.calls.append(("delete_source", customer_id, source_id))


def caller(user_id: str, *, role: str | None = None, org: str = "org") -> Principal:
    user = User(_id=user_id, createdAt=T0, email=f"{user_id}@example.com", orgContextId=org)
    roles = [Role(orgId=org, userId=user_id, userEmail=user.email, role=role, createdAt=T0,  # type: ignore[arg-type]
                  createdBy="x", acceptedAt=T0)] if role else []  # fmt: skip
    return Principal(user=user, token="t", claims={}, roles_loader=lambda _: roles)


def profile(user_id: str, customer: str = "") -> UserProfile:
    return UserProfile(_id=user_id, userId=user_id, stripeCustomerId=customer)


def card_service(
    *cards: SavedCard, customer: str = "cus_me"
) -> tuple[SavedCardService, Profiles, Customers, Cards]:
    profiles, customers, gateway = (
        Profiles(profile("me", customer), profile("other", "cus_other")),
        Customers(),
        Cards(*cards),
    )
    return SavedCardService(profiles, customers, gateway), profiles, customers, gateway  # type: ignore[arg-type]


def test_another_customers_card_is_not_found_and_never_touched():
    theirs = replace(VISA, customer="cus_other")
    service, _, _, gateway = card_service(theirs)
    me = caller("me")
    for attempt in (
        lambda: service.card(me, theirs.id),
        lambda: service.delete(me, theirs.id),
        lambda: service.attach(me, theirs.id, None),
    ):
        with pytest.raises(DomainError) as caught:
            attempt()
        assert caught.value.code == ErrorCode.NOT_FOUND
    assert gateway.calls == []


def test_the_customer_is_created_on_first_need_and_then_reused():
    service, profiles, customers, _ = card_service(customer="")
    first = service.create_setup_intent(caller("me"))
    second = service.create_setup_intent(caller("me"))
    assert first == second == "seti_1_secret_for_cus_me"
    assert customers.created == ["me"]
    assert profiles.items["me"].stripeCustomerId == "cus_me"


def test_attach_saves_an_unattached_card_once_and_answers_an_already_saved_one_as_it_is():
    fresh = replace(VISA, customer="")
    service, _, _, gateway = card_service(fresh)
    assert service.attach(caller("me"), fresh.id, None)["paymentMethodId"] == fresh.id
    assert service.attach(caller("me"), fresh.id, "me")["last4"] == "4242"  # already mine: no second attach
    assert gateway.calls == [("attach", fresh.id, "cus_me")]


def test_attach_and_legacy_sources_refuse_to_act_for_another_user():
    service, _, _, gateway = card_service(replace(VISA, customer=""))
    with pytest.raises(DomainError) as caught:
        service.attach(caller("me"), VISA.id, "other")
    assert caught.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as caught:
        service.add_source(caller("me"), "tok_visa", "other")
    assert caught.value.code == ErrorCode.FORBIDDEN
    assert gateway.calls == []


def test_delete_detaches_a_payment_method_and_deletes_a_legacy_card():
    legacy = replace(VISA, id="card_1")
    service, _, _, gateway = card_service(VISA, legacy)
    assert service.delete(caller("me"), VISA.id) is True
    assert service.delete(caller("me"), legacy.id) is True
    assert gateway.calls == [("detach", "pm_1"), ("delete_source", "cus_me", "card_1")]


def test_a_caller_without_a_customer_has_no_card_to_find_and_gets_no_customer_for_asking():
    service, _, customers, _ = card_service(customer="")
    with pytest.raises(DomainError) as caught:
        service.delete(caller("me"), "pm_1")
    assert caught.value.code == ErrorCode.NOT_FOUND
    assert customers.created == []


def test_a_legacy_token_is_saved_on_the_callers_customer():
    service, _, _, gateway = card_service()
    customer = service.add_source(caller("me"), "tok_visa", "me")
    assert gateway.calls == [("add_source", "cus_me", "tok_visa")]
    assert [c["paymentMethodId"] for c in customer["paymentMethods"]] == ["card_new"]
    with pytest.raises(DomainError) as caught:
        service.add_source(caller("me"), "pm_card_visa", None)
    assert caught.value.code == ErrorCode.INVALID_INPUT


def test_the_owner_and_box_office_of_the_buyers_orgs_see_the_stripe_customer():
    service, _, customers, _ = card_service(VISA)
    mine = service.stripe_customer(caller("me"), profile("me", "cus_me"))
    assert mine == {
        "stripeCustomerId": "cus_me",
        "email": "me@example.com",
        "paymentMethods": [card_view(VISA)],
    }
    bought_here = profile("me", "cus_me").model_copy(update={"orgIds": ["org"]})
    assert service.stripe_customer(caller("clerk", role="BOX_OFFICE"), bought_here) == mine
    assert service.stripe_customer(caller("clerk", role="SCANNER"), bought_here) is None
    assert service.stripe_customer(caller("clerk", role="OWNER", org="elsewhere"), bought_here) is None
    assert service.stripe_customer(caller("clerk", role="OWNER"), profile("me", "cus_me")) is None  # no org
    assert (
        service.stripe_customer(
            caller("clerk", role="OWNER"), bought_here.model_copy(update={"stripeCustomerId": ""})
        )
        is None
    )  # staff never create a Customer for a buyer
    assert service.stripe_customer(None, bought_here) is None
    assert customers.created == []


# --- Terminal -------------------------------------------------------------------------------------

ADDRESS = Address(address1="1 Main St", city="Denver", state="CO", zip="80202", country="US")


class Orgs:
    def __init__(self, org: Organization) -> None:
        self.org = org

    def get(self, item_id: str) -> Organization | None:
        return self.org if item_id == self.org.id else None

    def update(self, item_id: str, fields: dict[str, Any]) -> None:
        self.org = self.org.model_copy(update=fields)


class Terminal:
    def __init__(self, locations: set[str] | None = None) -> None:
        self.locations = locations or set()
        self.calls: list[tuple[str, ...]] = []

    def connection_token(self, account: str) -> str:
        return "pst_test_x"

    def location_exists(self, account: str, location_id: str) -> bool:
        return location_id in self.locations

    def create_location(self, account: str, name: str, address: Any, key: str) -> str:
        self.calls.append(("create_location", account, key))
        self.locations.add("tml_new")
        return "tml_new"

    def readers(self, account: str) -> list[TerminalReader]:
        return [TerminalReader("tmr_1", "Door", "simulated_wisepos_e", "tml_new", "sn", "online", "0.0.0.0")]

    def register_reader(self, account: str, code: str, label: str, location: str) -> TerminalReader:
        self.calls.append(("register", account, code, location))
        return TerminalReader("tmr_2", label, "simulated_wisepos_e", location, "sn", "online", "0.0.0.0")

    def delete_reader(self, account: str, reader_id: str) -> None:
        self.calls.append(("delete", account, reader_id))


def terminal_service(**org_fields: Any) -> tuple[TerminalService, Orgs, Terminal]:
    fields = {"stripeId": "acct_1", "address": ADDRESS, **org_fields}
    orgs = Orgs(Organization(_id="org", userId="u", createdAt=T0, orgName="Hall", **fields))
    terminal = Terminal({org_fields["locationId"]} if org_fields.get("locationId") else None)
    return TerminalService(orgs, terminal), orgs, terminal  # type: ignore[arg-type]


def test_terminal_permissions_follow_the_spec_table():
    service, _, terminal = terminal_service()
    scanner, box_office = caller("s", role="SCANNER"), caller("b", role="BOX_OFFICE")
    for attempt in (lambda: service.readers(scanner), lambda: service.connection_token(scanner),
                    lambda: service.create_location(scanner), lambda: service.delete_reader(scanner, "tmr_1"),
                    lambda: service.register_reader(box_office, "Door", "simulated-wpe")):  # fmt: skip
        with pytest.raises(DomainError) as caught:
            attempt()
        assert caught.value.code == ErrorCode.FORBIDDEN
    assert terminal.calls == []
    assert service.readers(box_office)[0]["id"] == "tmr_1"
    assert (
        service.register_reader(caller("a", role="ADMIN"), "Door", "simulated-wpe")["location"] == "tml_new"
    )


def test_staff_of_another_org_are_refused_even_with_this_org_as_context():
    service, _, _ = terminal_service()
    elsewhere = caller("x", role="OWNER", org="other-org")
    elsewhere.user.orgContextId = "org"
    with pytest.raises(DomainError) as caught:
        service.readers(elsewhere)
    assert caught.value.code == ErrorCode.FORBIDDEN


def test_the_location_is_kept_while_stripe_has_it_and_recreated_when_gone():
    service, orgs, terminal = terminal_service(locationId="tml_kept")
    assert service.create_location(caller("b", role="BOX_OFFICE")) == "tml_kept"
    assert terminal.calls == []
    terminal.locations.clear()
    assert service.create_location(caller("b", role="BOX_OFFICE")) == "tml_new"
    assert orgs.org.locationId == "tml_new"


def test_a_missing_address_or_stripe_account_is_a_clear_refusal():
    service, _, terminal = terminal_service(address=None)
    with pytest.raises(DomainError) as caught:
        service.create_location(caller("b", role="BOX_OFFICE"))
    assert (caught.value.code, caught.value.message) == (ErrorCode.REFUSED, FILL_ORG_ADDRESS)
    service, _, _ = terminal_service(stripeId="")
    with pytest.raises(DomainError) as caught:
        service.connection_token(caller("b", role="BOX_OFFICE"))
    assert caught.value.message == CONNECT_STRIPE_FIRST
    assert service.readers(caller("b", role="BOX_OFFICE")) == []
    assert terminal.calls == []


@pytest.mark.parametrize("missing", ["address1", "city", "zip", "state"])
def test_a_us_location_needs_street_city_zip_and_state(missing):
    org = Organization(_id="org", userId="u", createdAt=T0, address=ADDRESS.model_copy(update={missing: " "}))
    with pytest.raises(DomainError) as caught:
        location_address(org)
    assert caught.value.message == FILL_ORG_ADDRESS


def test_the_address_becomes_stripes_and_a_new_address_a_new_location_key():
    org = Organization(_id="org", userId="u", createdAt=T0, stripeId="acct_1",
                       address=ADDRESS.model_copy(update={"country": "usa"}))  # fmt: skip
    address = location_address(org)
    assert address.params() == {"line1": "1 Main St", "city": "Denver", "state": "CO", "postal_code": "80202",
                                "country": "US"}  # fmt: skip
    moved = org.model_copy(update={"address": ADDRESS.model_copy(update={"address1": "2 Main St"})})
    assert location_key(org, address) == location_key(org, location_address(org))
    assert location_key(org, address) != location_key(moved, location_address(moved))
