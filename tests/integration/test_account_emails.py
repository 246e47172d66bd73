"""Account e-mails end to end on the emulators (SPEC 4.4, R-ROLE-1, R-USR-5): the GraphQL
function queues, the Tasks emulator calls send-email, the SendGrid stand-in receives, and the
link in the mail is what verifies; Firebase's own records follow the address."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from firebase_admin import auth

from emulator import config
from shared.bootstrap import services
from tests.integration.api import (
    Caller,
    data_of,
    error_of,
    gql,
    id_token_for,
    make_org,
    new_user,
    staff_of,
    user_id_of,
    wait_for,
)
from tests.integration.inbox import with_subject
from tests.integration.test_delivery import DELIVERY_TIMEOUT, delivery_doc

USER = "{ user { _id email emailVerifiedAt emailWaitingForVerify secondaryEmails } }"
UPDATE_EMAIL = "mutation($e: String!) { updateUserEmail(newEmail: $e) { email emailWaitingForVerify } }"
SEND = "mutation($e: String) { sendUserEmailVerification(email: $e) { sent } }"
VERIFY = """mutation($t: String!) {
  verifyUserEmail(emailVerificationToken: $t) { registered emailVerified userProfile { email } } }"""
ADD = "mutation($e: String!) { addSecondaryEmail(email: $e) { email secondaryEmails } }"
UPDATE_SECONDARY = "mutation($e: String!) { updateSecondaryEmail(email: $e) { secondaryEmails } }"
DELETE = "mutation($e: String!) { deleteSecondaryEmail(email: $e) { secondaryEmails } }"
MAKE_PRIMARY = """mutation($e: String!) {
  makeSecondaryEmailPrimary(email: $e) { email emailVerifiedAt secondaryEmails } }"""
INVITE = (
    """mutation($r: RoleInput!, $u: Boolean) { createRole(role: $r, update: $u) { _id role userEmail } }"""
)
FORGOT = "mutation($e: String!) { forgotUserPassword(email: $e) }"


def address() -> str:
    return f"a-{uuid.uuid4().hex[:10]}@example.com"


def plain(mail: dict[str, Any]) -> str:
    return str({c["type"]: c["value"] for c in mail["content"]}["text/plain"])


def code_in(mail: dict[str, Any]) -> str:
    link = re.search(r"(http://localhost:3000/account/verifyEmail/\S+)", plain(mail))
    assert link, plain(mail)
    return parse_qs(urlparse(link.group(1)).query)["code"][0]


def verification_mail(to: str, count: int = 1) -> dict[str, Any]:
    mails = wait_for(lambda: len(found := with_subject("Verify your email", to)) >= count and found,
                     timeout=DELIVERY_TIMEOUT)  # fmt: skip
    assert len(mails) == count
    last: dict[str, Any] = mails[-1]
    return last


def code_of(result: dict[str, Any]) -> str:
    """The stable error code (`extensions.errorCode`) of a refused operation."""
    return str(error_of(result)["extensions"]["errorCode"])


def me(caller: Caller) -> dict[str, Any]:
    return dict(data_of(caller.gql(USER))["user"])


def firebase_email(caller: Caller) -> tuple[str, bool]:
    record = auth.get_user(caller.uid)
    return str(record.email), bool(record.email_verified)


# --- verifying a new primary address ---------------------------------------------------------------


def test_a_new_address_is_mailed_a_link_that_makes_it_the_primary_once() -> None:
    caller = new_user()
    new = address()

    waiting = data_of(caller.gql(UPDATE_EMAIL, {"e": new}))["updateUserEmail"]

    assert waiting == {"email": caller.email, "emailWaitingForVerify": new}
    mail = verification_mail(new)
    assert mail["from"]["name"] == "Sellout"
    token = code_in(mail)
    stored = [d.to_dict() or {} for d in services().store.client.collection("emailVerifications").stream()]
    assert [s["email"] for s in stored if s["userId"] == user_id_of(caller)] == [new]
    assert all(token not in str(s) for s in stored)  # only the hash is kept

    verified = data_of(caller.gql(VERIFY, {"t": token}))["verifyUserEmail"]

    assert verified == {"registered": True, "emailVerified": True, "userProfile": {"email": new}}
    user = me(caller)  # the caller's token still carries the old address: it must not undo this
    assert (user["email"], user["emailWaitingForVerify"]) == (new, "") and user["emailVerifiedAt"]
    stored_user = services().store.users.get(user["_id"])
    assert stored_user is not None and stored_user.previousEmail == caller.email
    assert firebase_email(caller) == (new, True)
    again = error_of(gql(VERIFY, {"t": token}))
    assert again["extensions"]["errorCode"] == "REFUSED" and "invalid or has expired" in again["message"]
    assert me(caller)["email"] == new


def test_asking_twice_sends_one_mail_and_only_for_the_callers_own_unverified_address() -> None:
    caller = new_user()
    new = address()
    data_of(caller.gql(UPDATE_EMAIL, {"e": new}))

    assert data_of(caller.gql(SEND, {"e": new}))["sendUserEmailVerification"] == {"sent": True}
    assert data_of(caller.gql(SEND))["sendUserEmailVerification"] == {"sent": True}  # the waiting one

    verification_mail(new)
    someone_else = error_of(caller.gql(SEND, {"e": "victim@example.com"}))
    assert someone_else["extensions"]["errorCode"] == "INVALID_INPUT"
    assert code_of(gql(SEND)) == "UNAUTHENTICATED"
    time.sleep(1.5)
    assert len(with_subject("Verify your email", new)) == 1  # the same request, not three mails
    assert with_subject("Verify your email", "victim@example.com") == []


def test_a_link_to_an_address_taken_meanwhile_or_replaced_since_changes_nothing() -> None:
    caller = new_user()
    first, second = address(), address()
    data_of(caller.gql(UPDATE_EMAIL, {"e": first}))
    stale = code_in(verification_mail(first))
    data_of(caller.gql(UPDATE_EMAIL, {"e": second}))  # changed their mind
    current = code_in(verification_mail(second))

    replaced = error_of(gql(VERIFY, {"t": stale}))
    assert replaced["extensions"]["errorCode"] == "REFUSED" and "no longer waiting" in replaced["message"]

    rival = new_user(second)
    user_id_of(rival)  # its first request creates the user holding `second` as a verified primary
    taken = error_of(gql(VERIFY, {"t": current}))
    assert taken["extensions"]["errorCode"] == "CONFLICT"
    user = me(caller)
    assert (user["email"], user["emailWaitingForVerify"]) == (caller.email, second)
    assert firebase_email(caller) == (caller.email, True)


def test_a_link_opened_signed_out_verifies_but_returns_no_profile() -> None:
    caller = new_user()
    new = address()
    data_of(caller.gql(UPDATE_EMAIL, {"e": new}))
    token = code_in(verification_mail(new))

    verified = data_of(gql(VERIFY, {"t": token}))["verifyUserEmail"]

    assert verified == {"registered": True, "emailVerified": True, "userProfile": None}
    assert me(caller)["email"] == new
    blank = error_of(gql(VERIFY, {"t": "  "}))
    assert blank["extensions"]["errorCode"] == "INVALID_INPUT"
    assert code_of(gql(VERIFY, {"t": "not-a-token"})) == "REFUSED"


def test_a_verified_address_links_invitations_sent_to_it_before() -> None:
    org = make_org("Owl Presents")
    admin = staff_of(org.id, "ADMIN")
    caller = new_user()
    new = address()
    invited = data_of(admin.gql(INVITE, {"r": {"orgId": org.id, "userEmail": new, "role": "SCANNER"}}))
    data_of(caller.gql(UPDATE_EMAIL, {"e": new}))

    data_of(caller.gql(VERIFY, {"t": code_in(verification_mail(new))}))

    role = services().store.roles.get(invited["createRole"]["_id"])
    assert role is not None and role.userId == user_id_of(caller)


def test_someone_elses_unproven_secondary_address_does_not_lock_its_owner_out() -> None:
    squatter, owner = new_user(), new_user()
    address_of_owner = address()
    data_of(squatter.gql(ADD, {"e": address_of_owner}))  # typed in, never proven

    waiting = data_of(owner.gql(UPDATE_EMAIL, {"e": address_of_owner}))["updateUserEmail"]
    data_of(owner.gql(VERIFY, {"t": code_in(verification_mail(address_of_owner))}))

    assert waiting["emailWaitingForVerify"] == address_of_owner
    assert me(owner)["email"] == address_of_owner
    assert me(squatter)["secondaryEmails"] == []  # the proven claim wins
    assert code_of(squatter.gql(ADD, {"e": address_of_owner})) == "CONFLICT"


# --- secondary addresses (R-USR-5) ----------------------------------------------------------------


def test_secondary_addresses_are_added_replaced_removed_and_must_be_free() -> None:
    caller = new_user()
    other = new_user()
    user_id_of(other)
    work, home = address(), address()

    assert data_of(caller.gql(ADD, {"e": work.upper()}))["addSecondaryEmail"]["secondaryEmails"] == [work]
    assert code_of(caller.gql(ADD, {"e": work})) == "CONFLICT"
    assert code_of(caller.gql(ADD, {"e": caller.email})) == "CONFLICT"
    assert code_of(caller.gql(ADD, {"e": other.email})) == "CONFLICT"
    assert code_of(caller.gql(ADD, {"e": "nope"})) == "INVALID_INPUT"
    assert code_of(other.gql(ADD, {"e": work})) == "CONFLICT"  # someone's secondary

    replaced = data_of(caller.gql(UPDATE_SECONDARY, {"e": home}))["updateSecondaryEmail"]
    assert replaced["secondaryEmails"] == [home]
    assert code_of(caller.gql(DELETE, {"e": work})) == "NOT_FOUND"
    assert data_of(caller.gql(DELETE, {"e": home}))["deleteSecondaryEmail"]["secondaryEmails"] == []
    assert code_of(gql(ADD, {"e": address()})) == "UNAUTHENTICATED"


def test_a_secondary_address_made_primary_swaps_and_waits_for_its_own_verification() -> None:
    org = make_org("Owl Presents")
    caller = staff_of(org.id, "ADMIN")
    work = address()
    data_of(caller.gql(ADD, {"e": work}))

    swapped = data_of(caller.gql(MAKE_PRIMARY, {"e": work}))["makeSecondaryEmailPrimary"]

    assert swapped == {"email": work, "emailVerifiedAt": None, "secondaryEmails": [caller.email]}
    assert firebase_email(caller) == (work, False)
    (role,) = services().store.roles.find(("orgId", "==", org.id))
    assert role.userEmail == work  # the role follows its holder's address
    profile = services().store.user_profiles.get(user_id_of(caller))
    assert profile is not None and profile.email == work
    token = code_in(verification_mail(work))
    data_of(caller.gql(VERIFY, {"t": token}))
    assert me(caller)["emailVerifiedAt"] and firebase_email(caller) == (work, True)
    assert code_of(caller.gql(MAKE_PRIMARY, {"e": address()})) == "NOT_FOUND"


# --- invitations (R-ROLE-1) ------------------------------------------------------------------------


def test_an_invitation_is_mailed_once_with_the_org_and_role_but_not_for_a_level_change() -> None:
    org = make_org("Owl Presents")
    admin = staff_of(org.id, "ADMIN")
    invitee = address()

    role = data_of(admin.gql(INVITE, {"r": {"orgId": org.id, "userEmail": invitee, "role": "BOX_OFFICE"}}))

    (mail,) = wait_for(
        lambda: with_subject("Join Owl Presents on Sellout", invitee), timeout=DELIVERY_TIMEOUT
    )
    assert mail["from"]["name"] == "Owl Presents"
    assert "as box office staff" in plain(mail) and "http://localhost:3000/account" in plain(mail)
    data_of(admin.gql(INVITE, {"r": {"orgId": org.id, "userEmail": invitee, "role": "SCANNER"}, "u": True}))
    role_id = role["createRole"]["_id"]
    task = {"template": "inviteToOrganization", "roleId": role_id}
    again = requests.post(f"{config.FUNCTIONS_URL}/send-email/tasks/account-email", json=task, timeout=30)
    assert again.json() == {"result": "already sent"}
    record = delivery_doc(f"invite~{role_id}~email")
    assert record and record["status"] == "sent" and record["template"] == "inviteToOrganization"
    time.sleep(1.5)
    assert len(with_subject("Join Owl Presents", invitee)) == 1


def test_creating_an_org_sends_its_creator_no_invitation() -> None:
    caller = new_user()
    org_id = data_of(caller.gql("mutation { createOrganization { _id } }"))["createOrganization"]["_id"]
    invitee = address()

    data_of(
        caller.gql(INVITE, {"r": {"orgId": org_id, "userEmail": invitee, "role": "SCANNER"}}, org_id=org_id)
    )

    # The delivery queue is serial: once the later invitation arrived, an earlier one would have too.
    wait_for(lambda: with_subject("Join", invitee), timeout=DELIVERY_TIMEOUT)
    assert with_subject("Join", caller.email) == []


# --- password reset -----------------------------------------------------------------------------------


def test_forgot_password_mails_a_firebase_link_to_an_existing_account_and_nothing_otherwise() -> None:
    email = address()
    uid = f"u-{uuid.uuid4().hex[:12]}"
    auth.create_user(uid=uid, email=email, password="correct horse battery", email_verified=True)
    caller = Caller(token=id_token_for(uid), uid=uid, email=email)
    user_id_of(caller)

    assert data_of(gql(FORGOT, {"e": email.upper()})) == {"forgotUserPassword": True}
    assert data_of(gql(FORGOT, {"e": email})) == {"forgotUserPassword": True}  # once per quarter hour
    assert data_of(gql(FORGOT, {"e": address()})) == {"forgotUserPassword": True}  # nobody: same answer

    (mail,) = wait_for(lambda: with_subject("Reset your password", email), timeout=DELIVERY_TIMEOUT)
    assert "mode=resetPassword" in plain(mail) and "oobCode=" in plain(mail)
    time.sleep(1.5)
    assert len(with_subject("Reset your password", email)) == 1
