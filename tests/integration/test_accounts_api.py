"""Users, profiles and organizations through the GraphQL function over HTTP, with real ID tokens
from the Auth emulator (R-ORG, R-USR, SPEC 4.4)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import stripe

from emulator import config
from shared.bootstrap import services
from shared.domain.models import Event, EventPromotion, Fee, Order, Season, User
from tests.integration.api import (
    data_of,
    error_of,
    gql,
    make_org,
    new_user,
    phone_sign_in,
    staff_of,
    user_id_of,
)

USER_EXISTS = """query($email: String, $phone: String, $code: String, $eventId: String, $seasonId: String) {
  userExists(email: $email, phoneNumber: $phone, promoCode: $code, eventId: $eventId, seasonId: $seasonId) {
    userId firstName lastName email phoneNumber hasPassword preferredLogin phoneNumberVerifiedAt
    promoAvailable } }"""
ORGANIZATION = "{ organization { _id orgName tegSecret user { _id } } }"


def now() -> int:
    return int(time.time())


def test_first_phone_sign_in_creates_the_user_and_profile():
    token = phone_sign_in("+15555550101")
    query = """{ user { _id email firstName phoneNumber phoneNumberVerifiedAt preferredLogin
                 userProfile { _id userId phoneNumber email } } }"""
    user = data_of(gql(query, token=token))["user"]
    assert user["phoneNumber"] == "+15555550101"
    assert user["email"] == "" and user["firstName"] == ""  # String! fields are "" (SPEC 7.16)
    assert user["phoneNumberVerifiedAt"] is not None
    assert user["userProfile"] == {
        "_id": user["_id"],
        "userId": user["_id"],
        "phoneNumber": "+15555550101",
        "email": "",
    }
    again = data_of(gql("{ user { _id } }", token=token))["user"]
    assert again["_id"] == user["_id"]
    assert len(services().store.users.find(("phoneNumber", "==", "+15555550101"))) == 1


def test_user_requires_a_signed_in_caller():
    error = error_of(gql("{ user { _id } }"))
    assert error["message"] == "Authentication Required."
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


def test_create_organization_makes_the_caller_owner_switches_context_and_copies_platform_fees():
    store = services().store
    platform_fee = Fee(
        name="Sellout fee",
        type="Percent",
        value=3.5,
        appliedBy="Sellout",
        appliedTo="Order",
        createdBy="ops",
        createdAt=now(),
        updatedBy="ops",
        updatedAt=now(),
    )
    store.fees.create(platform_fee)
    caller = new_user()
    org = data_of(caller.gql("mutation { createOrganization { _id userId email user { _id email } } }"))[
        "createOrganization"
    ]
    user_id = user_id_of(caller)
    assert org["userId"] == user_id
    assert org["email"] == caller.email
    assert org["user"] == {"_id": user_id, "email": caller.email}
    # No X-Org-Id header: the context was persisted on the user.
    assert data_of(gql(ORGANIZATION, token=caller.token))["organization"]["_id"] == org["_id"]
    me = data_of(gql("{ user { orgContextId role { role orgId } } }", token=caller.token))["user"]
    assert me == {"orgContextId": org["_id"], "role": {"role": "OWNER", "orgId": org["_id"]}}
    roles = data_of(gql("{ userRoles { orgId userId role acceptedAt org { _id } } }", token=caller.token))[
        "userRoles"
    ]
    assert len(roles) == 1
    assert roles[0]["role"] == "OWNER" and roles[0]["userId"] == user_id
    assert roles[0]["acceptedAt"] is not None and roles[0]["org"] == {"_id": org["_id"]}
    copies = store.fees.find(("orgId", "==", org["_id"]))
    assert [(f.name, f.isApplyPlatformFee, f.eventId) for f in copies] == [("Sellout fee", True, None)]
    assert copies[0].id != platform_fee.id


def test_update_organization_needs_admin_of_the_context_org():
    org = make_org("Before")
    admin = staff_of(org.id, "ADMIN")
    mutation = """mutation($o: OrganizationInput!) { updateOrganization(organization: $o) {
                    _id orgName userId ticketFormat address { city } } }"""
    updated = data_of(
        admin.gql(
            mutation, {"o": {"orgName": "After", "ticketFormat": "RCSC", "address": {"city": "Denver"}}}
        )
    )["updateOrganization"]
    assert updated == {
        "_id": org.id,
        "orgName": "After",
        "userId": org.userId,
        "ticketFormat": "RCSC",
        "address": {"city": "Denver"},
    }
    bad = error_of(admin.gql(mutation, {"o": {"ticketFormat": "Fancy"}}))
    assert bad["extensions"]["invalidArgs"] == ["organization.ticketFormat"]
    box_office = staff_of(org.id, "BOX_OFFICE")
    refused = error_of(box_office.gql(mutation, {"o": {"orgName": "Hijacked"}}))
    assert refused["message"] == "You do not have permission to do this."
    assert services().store.organizations.get(org.id).orgName == "After"  # type: ignore[union-attr]


def test_set_org_context_requires_a_role_in_that_org_and_echoes_the_token():
    mine, theirs = make_org("Mine"), make_org("Theirs")
    caller = staff_of(mine.id, "SCANNER")
    mutation = "mutation($o: String) { setUserOrgContextId(orgId: $o) { token user { _id orgContextId } } }"
    refused = error_of(gql(mutation, {"o": theirs.id}, token=caller.token))
    assert refused["message"] == "You do not have permission to do this."
    assert data_of(gql("{ user { orgContextId } }", token=caller.token))["user"]["orgContextId"] in ("", None)
    switched = data_of(gql(mutation, {"o": mine.id}, token=caller.token))["setUserOrgContextId"]
    assert switched["token"] == caller.token
    assert switched["user"]["orgContextId"] == mine.id
    # Without a header the persisted context now applies; a header naming a foreign org is refused.
    assert data_of(gql(ORGANIZATION, token=caller.token))["organization"]["_id"] == mine.id
    assert (
        error_of(gql(ORGANIZATION, token=caller.token, org_id=theirs.id))["extensions"]["code"]
        == "UNAUTHENTICATED"
    )


def test_teg_secret_is_only_returned_to_admins_of_the_org():
    org = make_org()
    services().store.organizations.update(org.id, {"tegSecret": "member-api-secret"})
    assert (
        data_of(staff_of(org.id, "ADMIN").gql(ORGANIZATION))["organization"]["tegSecret"]
        == "member-api-secret"
    )
    assert (
        data_of(staff_of(org.id, "OWNER").gql(ORGANIZATION))["organization"]["tegSecret"]
        == "member-api-secret"
    )
    scanner_view = data_of(staff_of(org.id, "BOX_OFFICE").gql(ORGANIZATION))["organization"]
    assert scanner_view["_id"] == org.id and scanner_view["tegSecret"] is None
    # A pending invitee sees the org through Role.org, still without the secret.
    owner = staff_of(org.id, "OWNER")
    invitee = new_user()
    role = data_of(
        owner.gql(
            "mutation($r: RoleInput!) { createRole(role: $r) { _id } }",
            {"r": {"orgId": org.id, "userEmail": invitee.email, "role": "SCANNER"}},
        )
    )["createRole"]
    seen = data_of(
        invitee.gql("query($id: String) { role(roleId: $id) { org { _id tegSecret } } }", {"id": role["_id"]})
    )
    assert seen["role"]["org"] == {"_id": org.id, "tegSecret": None}


def _customer(**fields: object) -> User:
    user = User(
        createdAt=now(),
        firstName="Ada",
        lastName="Lovelace",
        email="ada@example.com",
        phoneNumber="+15555550111",
        phoneNumberVerifiedAt=now(),
        preferredLogin="PhoneCode",
        **fields,
    )  # type: ignore[arg-type]
    services().store.users.create(user)
    return user


def test_user_exists_hides_personal_fields_from_anonymous_and_non_box_office_callers():
    customer = _customer()
    anonymous = data_of(gql(USER_EXISTS, {"phone": "+15555550111"}))["userExists"]
    assert anonymous == {
        "userId": customer.id,
        "firstName": "",
        "lastName": "",
        "email": "",
        "phoneNumber": "",
        "hasPassword": False,
        "preferredLogin": "PhoneCode",
        "phoneNumberVerifiedAt": customer.phoneNumberVerifiedAt,
        "promoAvailable": True,
    }
    org = make_org()
    scanner = data_of(staff_of(org.id, "SCANNER").gql(USER_EXISTS, {"email": "ADA@example.com"}))[
        "userExists"
    ]
    assert scanner["userId"] == customer.id and scanner["email"] == "" and scanner["firstName"] == ""
    box_office = data_of(staff_of(org.id, "BOX_OFFICE").gql(USER_EXISTS, {"email": "ada@example.com"}))[
        "userExists"
    ]
    assert (box_office["userId"], box_office["firstName"], box_office["lastName"]) == (
        customer.id,
        "Ada",
        "Lovelace",
    )
    assert (box_office["email"], box_office["phoneNumber"]) == ("ada@example.com", "+15555550111")


def test_user_exists_for_an_unknown_contact_is_an_object_of_empty_strings():
    _customer()
    unknown = data_of(gql(USER_EXISTS, {"email": "nobody@example.com"}))["userExists"]
    assert unknown is not None
    assert {
        k: unknown[k] for k in ("userId", "firstName", "lastName", "email", "phoneNumber", "preferredLogin")
    } == {"userId": "", "firstName": "", "lastName": "", "email": "", "phoneNumber": "", "preferredLogin": ""}


def test_user_exists_reports_password_accounts_and_promo_use_limits():
    staff = new_user()
    user_id = user_id_of(staff)
    assert data_of(gql(USER_EXISTS, {"email": staff.email}))["userExists"]["hasPassword"] is False
    from firebase_admin import auth

    auth.update_user(staff.uid, password="correct horse battery")
    assert data_of(gql(USER_EXISTS, {"email": staff.email}))["userExists"]["hasPassword"] is True

    store = services().store
    org = make_org()
    event = Event(
        orgId=org.id,
        createdAt=now(),
        name="Show",
        promotions=[EventPromotion(code="VIP", type="Presale", totalQty=10, remainingQty=10, useLimit=1)],
    )
    store.events.create(event)
    variables = {"email": staff.email, "code": "vip", "eventId": event.id}
    assert data_of(gql(USER_EXISTS, variables))["userExists"]["promoAvailable"] is True
    refunded = Order(
        orgId=org.id,
        eventName="Show",
        eventId=event.id,
        userId=user_id,
        createdAt=now(),
        createdBy=user_id,
        promotionCode="VIP",
        state="Refunded",
    )
    store.orders.create(refunded)
    assert data_of(gql(USER_EXISTS, variables))["userExists"]["promoAvailable"] is True  # refunds don't count
    store.orders.create(refunded.model_copy(update={"id": "live-order-1", "state": "Active"}))
    assert data_of(gql(USER_EXISTS, variables))["userExists"]["promoAvailable"] is False
    assert data_of(gql(USER_EXISTS, {**variables, "code": "NOPE"}))["userExists"]["promoAvailable"] is False


def test_a_season_promo_code_counts_the_buyers_season_orders_not_the_per_event_ones():
    buyer = new_user()
    user_id = user_id_of(buyer)
    org = make_org()
    store = services().store
    promo = EventPromotion(code="SUBSCRIBER", type="Presale", totalQty=10, remainingQty=10, useLimit=1)
    season = store.seasons.create(Season(orgId=org.id, createdAt=now(), name="Season", promotions=[promo]))
    variables = {"email": buyer.email, "code": "subscriber", "seasonId": season.id}
    parent = Order(orgId=org.id, eventName="", userId=user_id, createdAt=now(), createdBy=user_id,
                   seasonId=season.id, promotionCode="SUBSCRIBER", type="Season")  # fmt: skip

    assert data_of(gql(USER_EXISTS, variables))["userExists"]["promoAvailable"] is True
    store.orders.create(parent.model_copy(update={"id": "child-1", "hidden": True, "eventId": "e1"}))
    assert data_of(gql(USER_EXISTS, variables))["userExists"]["promoAvailable"] is True  # a child order
    store.orders.create(parent)
    assert data_of(gql(USER_EXISTS, variables))["userExists"]["promoAvailable"] is False
    unknown = {**variables, "seasonId": "no-such-season"}
    assert data_of(gql(USER_EXISTS, unknown))["userExists"]["promoAvailable"] is False


def test_user_profile_creates_one_platform_stripe_customer():
    caller = new_user()
    query = "{ userProfile { _id userId email stripeCustomerId } }"
    first = data_of(caller.gql(query))["userProfile"]
    customer_id = first["stripeCustomerId"]
    assert customer_id.startswith("cus_")
    profiles = services().store.user_profiles
    assert profiles.get(first["_id"]).stripeCustomerId == customer_id  # type: ignore[union-attr]
    client = stripe.StripeClient(config.STRIPE_SECRET_KEY, base_addresses={"api": config.STRIPE_URL})

    def customers_of_caller() -> list[str]:
        return [c.id for c in client.customers.list(params={"limit": 100}).data if c.email == caller.email]

    assert customers_of_caller() == [customer_id]
    metadata = client.customers.retrieve(customer_id).metadata
    assert metadata is not None and metadata["userId"] == first["userId"]
    # Later calls use the stored Customer and never ask Stripe for another one.
    elsewhere = client.customers.create(params={"email": "someone-else@example.com"}).id
    profiles.update(first["_id"], {"stripeCustomerId": elsewhere})
    assert data_of(caller.gql(query))["userProfile"]["stripeCustomerId"] == elsewhere
    # A first call whose write was lost (or two racing first calls) still ends with one Customer:
    # creation is idempotent per user.
    profiles.update(first["_id"], {"stripeCustomerId": ""})
    assert data_of(caller.gql(query))["userProfile"]["stripeCustomerId"] == customer_id
    assert customers_of_caller() == [customer_id]


@pytest.mark.parametrize(
    "operation",
    [
        # login, setUserPassword and send/verifyUserPhoneAuthentication are bridged while
        # LEGACY_SIGN_IN is on (tests/integration/test_sign_in_bridge.py).
        'resetUserPassword(forgotPasswordCode: "c", password: "x")',
        'resetUserPasswordInApp(oldPassword: "a", newPassword: "b")',
        "sendUserPhoneVerification { sent }",
        'verifyUserPhoneNumber(phoneVerificationToken: "1234") { phoneVerified }',
    ],
)
def test_operations_replaced_by_firebase_ask_to_sign_in_again(operation: str):
    caller = new_user()
    for token in (None, caller.token):
        error = error_of(gql(f"mutation {{ {operation} }}", token=token))
        assert error["message"] == "Please sign in again."
        assert error["extensions"]["code"] == "UNAUTHENTICATED"


def test_forgot_password_always_answers_true():
    caller = new_user()
    for email in (caller.email, "nobody@example.com"):
        assert data_of(gql("mutation($e: String!) { forgotUserPassword(email: $e) }", {"e": email})) == {
            "forgotUserPassword": True
        }


REGISTER = """mutation($u: UserInput) { register(user: $u) {
  registered emailVerified userProfile { _id firstName email phoneNumber user { _id email } } } }"""


def test_anonymous_register_creates_an_unverified_user_but_never_touches_an_existing_one():
    created = data_of(
        gql(
            REGISTER,
            {
                "u": {
                    "email": "New@Example.com",
                    "firstName": "Grace",
                    "phoneNumber": "+15555550122",
                    "password": "ignored",
                }
            },
        )
    )["register"]
    assert created["registered"] is True and created["emailVerified"] is False
    profile = created["userProfile"]
    assert (profile["firstName"], profile["email"], profile["phoneNumber"]) == (
        "Grace",
        "new@example.com",
        "+15555550122",
    )
    assert profile["user"] == {"_id": profile["_id"], "email": "new@example.com"}
    # D-22: the same phone with other details does not overwrite the account.
    again = data_of(
        gql(
            REGISTER,
            {"u": {"email": "attacker@example.com", "firstName": "Mallory", "phoneNumber": "+15555550122"}},
        )
    )["register"]
    assert again == {"registered": True, "emailVerified": False, "userProfile": None}
    stored = services().store.users.get(profile["_id"])
    assert stored is not None and (stored.firstName, stored.email) == ("Grace", "new@example.com")
    taken = error_of(gql(REGISTER, {"u": {"email": "new@example.com", "phoneNumber": "+15555550199"}}))
    assert taken["message"] == "An account with this e-mail already exists."


def test_signed_in_register_updates_only_the_callers_own_record():
    token = phone_sign_in("+15555550133")
    result = data_of(
        gql(REGISTER, {"u": {"email": "buyer@example.com", "firstName": "Bea", "lastName": "B"}}, token=token)
    )["register"]
    assert result["registered"] is True and result["emailVerified"] is False
    assert result["userProfile"]["email"] == "buyer@example.com"
    me = data_of(gql("{ user { email firstName phoneNumber } }", token=token))["user"]
    assert me == {"email": "buyer@example.com", "firstName": "Bea", "phoneNumber": "+15555550133"}


def test_update_basic_info_and_profile_change_the_callers_records():
    caller = new_user()
    user = data_of(
        caller.gql(
            'mutation { updateBasicUserInfo(firstName: "Ann", lastName: "Lee", imageUrl: "https://x/a.png") '
            "{ firstName lastName userProfile { firstName imageUrl } } }"
        )
    )["updateBasicUserInfo"]
    assert user == {
        "firstName": "Ann",
        "lastName": "Lee",
        "userProfile": {"firstName": "Ann", "imageUrl": "https://x/a.png"},
    }
    profile = data_of(
        caller.gql(
            "mutation($p: UserProfileInput!) { updateUserProfile(userProfile: $p) "
            "{ imageUrl address { city } } }",
            {"p": {"address": {"city": "Boulder"}}},
        )
    )
    assert profile["updateUserProfile"] == {"imageUrl": "https://x/a.png", "address": {"city": "Boulder"}}


def test_new_email_and_phone_wait_for_verification_and_must_be_free():
    caller, other = new_user(), new_user()
    user_id_of(other)
    taken = error_of(
        caller.gql("mutation($e: String!) { updateUserEmail(newEmail: $e) { _id } }", {"e": other.email})
    )
    assert taken["message"] == "An account with this e-mail already exists."
    updated = data_of(
        caller.gql(
            'mutation { updateUserEmail(newEmail: "next@example.com") { email emailWaitingForVerify } }'
        )
    )
    assert updated["updateUserEmail"] == {"email": caller.email, "emailWaitingForVerify": "next@example.com"}
    phone = data_of(
        caller.gql(
            'mutation { updateUserPhoneNumber(newPhoneNumber: "+1 555 555 0144") '
            "{ phoneNumber phoneNumberWaitingForVerify } }"
        )
    )
    assert phone["updateUserPhoneNumber"] == {
        "phoneNumber": "",
        "phoneNumberWaitingForVerify": "+15555550144",
    }
    login = data_of(
        caller.gql('mutation { updateUserPreferredLogin(preferredLogin: "PhoneCode") { preferredLogin } }')
    )
    assert login["updateUserPreferredLogin"] == {"preferredLogin": "PhoneCode"}


def test_customer_profiles_are_listed_per_org_with_only_that_orgs_ids():
    store = services().store
    org, other = make_org("Mine"), make_org("Other")
    customer = _customer()
    profile = services().identity.profile_for(customer).model_copy(update={"orgIds": [org.id, other.id]})
    store.user_profiles.save(profile)
    query = "query($q: UserProfileQueryInput) { userProfilesAdmin(query: $q) { _id orgIds user { _id } } }"
    box_office = staff_of(org.id, "BOX_OFFICE")
    listed = data_of(box_office.gql(query, {"q": {"name": "lovelace"}}))["userProfilesAdmin"]
    assert listed == [{"_id": customer.id, "orgIds": [org.id], "user": {"_id": customer.id}}]
    assert data_of(box_office.gql(query, {"q": {"name": "nobody"}}))["userProfilesAdmin"] == []
    refused = error_of(box_office.gql(query, {"q": {"orgId": make_org("Third").id}}))
    assert refused["message"] == "You do not have permission to do this."
    assert error_of(staff_of(org.id, "SCANNER").gql(query))["extensions"]["code"] == "UNAUTHENTICATED"


def test_delete_unverified_user_spares_verified_accounts_and_needs_box_office():
    store = services().store
    unverified = User(createdAt=now(), email="typo@example.com")
    store.users.create(unverified)
    store.user_profiles.save(services().identity.profile_for(unverified))
    verified = _customer()
    mutation = "mutation($id: String) { deleteUnverifiedUser(userId: $id) }"
    assert error_of(gql(mutation, {"id": unverified.id}))["message"] == "Authentication Required."
    box_office = staff_of(make_org().id, "BOX_OFFICE")
    assert data_of(box_office.gql(mutation, {"id": verified.id}))["deleteUnverifiedUser"] is False
    assert store.users.get(verified.id) is not None
    assert data_of(box_office.gql(mutation, {"id": unverified.id}))["deleteUnverifiedUser"] is True
    assert store.users.get(unverified.id) is None and store.user_profiles.get(unverified.id) is None


def test_organizations_and_platform_settings_access():
    make_org("Alpha")
    make_org("Beta")
    caller = new_user()
    assert (
        error_of(caller.gql("{ organizations { _id } }"))["message"]
        == "You do not have permission to do this."
    )
    root = new_user(superUser=True)
    names = [
        o["orgName"]
        for o in data_of(root.gql('{ organizations(query: {name: "alp"}) { orgName } }'))["organizations"]
    ]
    assert names == ["Alpha"]
    assert data_of(root.gql("{ isSuperUser }")) == {"isSuperUser": True}
    assert data_of(caller.gql("{ isSuperUser }")) == {"isSuperUser": False}
    assert data_of(gql("{ stripePublishKey { publicStripeKey } }"))["stripePublishKey"] == {
        "publicStripeKey": config.STRIPE_PUBLISHABLE_KEY
    }
    settings = data_of(caller.gql("{ platformSettings { stripeClientId stripeRedirectUrl webFlowSiteId } }"))
    assert set(settings["platformSettings"]) == {"stripeClientId", "stripeRedirectUrl", "webFlowSiteId"}
    assert error_of(gql("{ platformSettings { stripeClientId } }"))["message"] == "Authentication Required."


def test_an_admin_corrects_contact_details_of_its_own_customers_only():
    from firebase_admin import auth

    store = services().store
    org = make_org()
    token = phone_sign_in("+15555550155")
    customer_id = str(data_of(gql("{ user { _id } }", token=token))["user"]["_id"])
    store.user_profiles.update(customer_id, {"orgIds": [org.id]})
    admin = staff_of(org.id, "ADMIN")
    mutation = """mutation($id: String, $e: String, $p: String) {
      updateUserInfo(_id: $id, email: $e, phoneNumber: $p) {
        _id email phoneNumber userProfile { email phoneNumber } } }"""
    taken = error_of(admin.gql(mutation, {"id": customer_id, "e": admin.email}))
    assert taken["message"] == "An account with this e-mail already exists."
    updated = data_of(admin.gql(mutation, {"id": customer_id, "e": "fixed@example.com", "p": "+15555550156"}))
    assert updated["updateUserInfo"] == {
        "_id": customer_id,
        "email": "fixed@example.com",
        "phoneNumber": "+15555550156",
        "userProfile": {"email": "fixed@example.com", "phoneNumber": "+15555550156"},
    }
    firebase_user = auth.get_user(store.users.get(customer_id).firebaseUid)  # type: ignore[union-attr]
    assert (firebase_user.email, firebase_user.phone_number) == ("fixed@example.com", "+15555550156")
    # Someone who also buys from another org (or is staff anywhere) is not this org's to edit.
    store.user_profiles.update(customer_id, {"orgIds": [org.id, make_org("Other").id]})
    refused = error_of(admin.gql(mutation, {"id": customer_id, "e": "stolen@example.com"}))
    assert refused["message"] == "Only the customer can change these contact details."
    stranger = error_of(
        staff_of(make_org("Third").id, "ADMIN").gql(mutation, {"id": customer_id, "e": "x@example.com"})
    )
    assert stranger["message"] == "Customer not found."
    assert store.users.get(customer_id).email == "fixed@example.com"  # type: ignore[union-attr]


def test_concurrent_first_requests_of_one_account_make_one_user():
    # A page firing several queries right after sign-in: every one must see the same User (two
    # Users for one Firebase account later refused the buyer's own checkout as someone else's).
    caller = new_user()
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda _: data_of(caller.gql("{ user { _id } }"))["user"]["_id"], range(8)))
    assert len(set(ids)) == 1
    assert len(services().store.users.find(("firebaseUid", "==", caller.uid))) == 1
