"""Paying with a saved card at checkout (SPEC R-PAY-2 steps 1-2) without I/O: whose card may pay,
what reaches Stripe, and who gets an ephemeral key."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.domain.payment_methods import SavedCard, may_pay_with_saved_card_of
from shared.errors import DomainError, ErrorCode
from shared.services.saved_cards import NOT_THIS_ORGS_CUSTOMER, SavedCardService
from tests.unit.test_saved_cards import VISA, Cards, Customers, Profiles, caller, profile


class CheckoutCards(Cards):
    """The saved-card gateway with the two checkout calls, recorded."""

    def clone_to_account(
        self, payment_method_id: str, customer_id: str, account: str, idempotency_key: str
    ) -> str:
        self.calls.append(("clone", payment_method_id, customer_id, account, idempotency_key))
        return "pm_clone"

    def ephemeral_key(self, customer_id: str, idempotency_key: str) -> str:
        self.calls.append(("ephemeral_key", customer_id, idempotency_key))
        return f"ek_test_for_{customer_id}"


def service(*cards: SavedCard, my_customer: str = "cus_me") -> tuple[SavedCardService, CheckoutCards]:
    profiles = Profiles(
        profile("me", my_customer),
        profile("other", "cus_other"),
        profile("regular", "cus_regular").model_copy(update={"orgIds": ["org"]}),
    )
    gateway = CheckoutCards(*cards)
    return SavedCardService(profiles, Customers(), gateway), gateway  # type: ignore[arg-type]


def code_of(attempt: object) -> ErrorCode:
    with pytest.raises(DomainError) as caught:
        attempt()  # type: ignore[operator]
    return caught.value.code


# --- whose card may pay -------------------------------------------------------------------------


def test_a_buyer_may_pay_with_their_own_card_and_staff_only_with_a_customer_of_their_org():
    me, clerk = caller("me"), caller("clerk", role="BOX_OFFICE")
    assert may_pay_with_saved_card_of(me, "me", [], "org")
    assert not may_pay_with_saved_card_of(me, "other", ["org"], "org")  # a buyer, not staff
    assert may_pay_with_saved_card_of(clerk, "regular", ["org"], "org")
    assert not may_pay_with_saved_card_of(clerk, "regular", ["elsewhere"], "org")  # not this org's customer
    assert not may_pay_with_saved_card_of(clerk, "regular", ["org"], "elsewhere")  # not this clerk's org
    assert not may_pay_with_saved_card_of(caller("s", role="SCANNER"), "regular", ["org"], "org")
    assert not may_pay_with_saved_card_of(clerk, "", [], "org")  # an anonymous sale has no card


def test_the_buyers_own_saved_card_is_found_on_their_customer():
    cards, _ = service(VISA)
    assert cards.checkout_card(caller("me"), " pm_1 ", buyer_user_id="me", org_id="org") == VISA


def test_another_buyers_card_an_unknown_card_or_no_customer_is_not_found():
    theirs = replace(VISA, id="pm_theirs", customer="cus_other")
    cards, gateway = service(VISA, theirs)
    me = caller("me")
    assert code_of(lambda: cards.checkout_card(me, "pm_theirs", buyer_user_id="me", org_id="org")) == (
        ErrorCode.NOT_FOUND
    )
    assert code_of(lambda: cards.checkout_card(me, "pm_nope", buyer_user_id="me", org_id="org")) == (
        ErrorCode.NOT_FOUND
    )
    assert code_of(lambda: cards.checkout_card(me, "src_1", buyer_user_id="me", org_id="org")) == (
        ErrorCode.NOT_FOUND
    )  # a non-card source cannot be cloned
    no_customer, _ = service(VISA, my_customer="")
    assert code_of(lambda: no_customer.checkout_card(me, "pm_1", buyer_user_id="me", org_id="org")) == (
        ErrorCode.NOT_FOUND
    )
    assert gateway.calls == []


def test_a_clerk_charges_a_regular_customers_card_but_not_a_stranger_s():
    regulars = replace(VISA, id="pm_regular", customer="cus_regular")
    strangers = replace(VISA, id="pm_stranger", customer="cus_other")
    cards, _ = service(regulars, strangers)
    clerk = caller("clerk", role="BOX_OFFICE")
    found = cards.checkout_card(clerk, "pm_regular", buyer_user_id="regular", org_id="org")
    assert found == regulars
    with pytest.raises(DomainError) as caught:
        cards.checkout_card(clerk, "pm_stranger", buyer_user_id="other", org_id="org")
    assert (caught.value.code, caught.value.message) == (ErrorCode.FORBIDDEN, NOT_THIS_ORGS_CUSTOMER)
    # The customer's card, named for another customer of the org, is still not theirs.
    assert (
        code_of(lambda: cards.checkout_card(clerk, "pm_stranger", buyer_user_id="regular", org_id="org"))
        == ErrorCode.NOT_FOUND
    )
    # An anonymous box-office sale has no customer whose card could pay.
    assert code_of(lambda: cards.checkout_card(clerk, "pm_regular", buyer_user_id="", org_id="org")) == (
        ErrorCode.NOT_FOUND
    )


# --- the clone and the ephemeral key ------------------------------------------------------------


def test_the_clone_names_the_cards_customer_the_account_and_the_key():
    cards, gateway = service(VISA)
    assert cards.clone_to_account(VISA, "acct_org", "clone-r1-pm_1") == "pm_clone"
    assert gateway.calls == [("clone", "pm_1", "cus_me", "acct_org", "clone-r1-pm_1")]


def test_the_ephemeral_key_is_for_the_buyers_own_customer_only():
    cards, gateway = service(VISA)
    assert cards.ephemeral_key(caller("me"), "me", "ek-r1") == "ek_test_for_cus_me"
    # A clerk selling to a customer gets none: the key would open that Customer's cards.
    assert cards.ephemeral_key(caller("clerk", role="BOX_OFFICE"), "regular", "ek-r2") is None
    assert cards.ephemeral_key(caller("clerk", role="BOX_OFFICE"), "", "ek-r3") is None  # anonymous sale
    without, _ = service(my_customer="")
    assert without.ephemeral_key(caller("me"), "me", "ek-r4") is None  # and no Customer is made for it
    assert gateway.calls == [("ephemeral_key", "cus_me", "ek-r1")]
