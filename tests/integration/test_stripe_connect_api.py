"""Stripe Connect onboarding (R-ORG-3) and the connected account view (SPEC 4.7), through
GraphQL against the local Stripe's OAuth endpoint."""

from __future__ import annotations

from shared.bootstrap import services
from tests.integration.api import data_of, error_of, make_org, staff_of

CONNECT = "mutation($c: String!) { connectStripe(connectCode: $c) }"
ACCOUNT = "{ organization { _id stripeId stripeConnectAccount { stripeAccountId country payoutsEnabled } } }"


def test_an_admin_connects_stripe_and_only_admins_see_the_account():
    org = make_org()
    admin = staff_of(org.id, "ADMIN")
    assert data_of(admin.gql(CONNECT, {"c": "ac_onboarding_code_1"}))["connectStripe"] is True
    stored = services().store.organizations.get(org.id)
    assert stored is not None and stored.stripeId.startswith("acct_")
    seen = data_of(admin.gql(ACCOUNT))["organization"]["stripeConnectAccount"]
    assert seen["stripeAccountId"] == stored.stripeId
    scanner = staff_of(org.id, "SCANNER")
    assert data_of(scanner.gql(ACCOUNT))["organization"]["stripeConnectAccount"] is None


def test_a_bad_code_or_a_low_role_connects_nothing():
    org = make_org()
    refused = error_of(staff_of(org.id, "ADMIN").gql(CONNECT, {"c": "not-a-code"}))
    assert refused["extensions"]["errorCode"] == "REFUSED"
    denied = error_of(staff_of(org.id, "BOX_OFFICE").gql(CONNECT, {"c": "ac_onboarding_code_2"}))
    assert denied["extensions"]["code"] == "UNAUTHENTICATED"
    stored = services().store.organizations.get(org.id)
    assert stored is not None and stored.stripeId == ""
