"""The legacy sign-in bridge (SPEC 4.4, issue 13) on the Auth emulator, over HTTP with the
clients' own operation texts: password login checked by Firebase, one-time codes by e-mail (the
portal) and by SMS (Backstage's `isLogin`), Firebase session cookies the API accepts, and what
refuses: wrong, expired and used-up codes, rate limits, revoked sessions; no code or password
ever reaches a log."""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from firebase_admin import auth

from emulator import config
from shared.adapters.firebase_auth import is_session_cookie
from shared.bootstrap import services
from shared.domain import sign_in_codes
from shared.domain.models import Role, User
from tests.integration.api import _admin_app, error_of, gql, make_org
from tests.integration.client_operations import emailed_codes, next_code, send, texted_codes

LOG = config.STATE_DIR / "logs" / "functions.log"
USER = "{ user { _id email phoneNumber emailVerifiedAt phoneNumberVerifiedAt } }"


def unique(prefix: str = "p") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def firebase_staff(password: str) -> tuple[str, str]:
    """A staff member who set a password in Firebase: (uid, e-mail)."""
    _admin_app()
    email = f"{unique('staff')}@example.com"
    uid = auth.create_user(email=email, password=password, email_verified=True).uid
    return uid, email


def account(phone: str = "", *, email_verified: bool = True, firebase_uid: str = "") -> User:
    """A Sellout account as the original left it (no Firebase user yet unless given)."""
    now = int(time.time())
    user = User(createdAt=now, email=f"{unique('acct')}@example.com", phoneNumber=phone, firstName="Ada",
                emailVerifiedAt=now if email_verified else None, phoneNumberVerifiedAt=now if phone else None,
                firebaseUid=firebase_uid)  # fmt: skip
    return services().store.users.create(user)


def give_role(user_id: str, email: str, org_id: str) -> None:
    now = int(time.time())
    role = Role(orgId=org_id, userId=user_id, userEmail=email, role="ADMIN", createdAt=now, createdBy=user_id,
                acceptedAt=now)  # fmt: skip
    services().store.roles.create(role)


def login(email: str, password: str, address: str = "") -> dict[str, Any]:
    """Backstage's own inline login text."""
    return send("sign_in", "Login", {"email": email, "password": password}, address=address)


def verify(email: str, code: str) -> dict[str, Any]:
    return send("sign_in", "verifyUserPhoneAuthentication", {"email": email, "phoneVerificationToken": code})


def phone() -> str:
    return f"+1555555{uuid.uuid4().int % 10000:04d}"


def portal_code_sign_in(email: str) -> str:
    """The portal's PhoneCode screen: `{email}`, the code from the e-mail, then verify."""
    assert send("sign_in", "sendUserPhoneAuthentication", {"email": email})["data"] == {
        "sendUserPhoneAuthentication": True
    }
    code = next_code(emailed_codes, email)
    answer = verify(email, code)
    return str(answer["data"]["verifyUserPhoneAuthentication"]["token"])


# --- password login (Backstage) --------------------------------------------------------------------


def test_backstage_password_login_answers_a_firebase_session_the_api_accepts() -> None:
    uid, email = firebase_staff("correct horse 1")

    answer = login(email, "correct horse 1")

    token = answer["data"]["login"]["token"]
    assert is_session_cookie(token)
    user = gql(USER, token=token)["data"]["user"]
    assert user["email"] == email
    assert services().store.users.get(user["_id"]).firebaseUid == uid  # type: ignore[union-attr]


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong() -> None:
    _, email = firebase_staff("correct horse 2")

    wrong = error_of(login(email, "wrong horse"))
    unknown = error_of(send("sign_in", "Login", {"email": "nobody@example.com", "password": "x" * 10}))

    assert wrong["message"] == unknown["message"] == "The e-mail or password is incorrect."


def test_password_logins_of_one_email_are_rate_limited() -> None:
    _, email = firebase_staff("correct horse 3")
    for i in range(10):
        login(email, "wrong", address=f"10.3.0.{i}")

    limited = error_of(login(email, "correct horse 3", address="10.3.1.1"))

    assert limited["extensions"]["errorCode"] == "RATE_LIMITED"


# --- codes by e-mail (purchase portal) and by SMS (Backstage) ---------------------------------------


def test_the_portal_signs_in_with_a_code_mailed_to_its_address() -> None:
    user = account(email_verified=False)

    token = portal_code_sign_in(user.email)

    me = gql(USER, token=token)["data"]["user"]
    assert me["_id"] == user.id and me["emailVerifiedAt"] is not None  # the code proved the address
    stored = services().store.users.get(user.id)
    assert stored is not None and stored.firebaseUid == auth.get_user_by_email(user.email).uid


def test_backstage_is_login_texts_the_code_to_the_accounts_phone() -> None:
    number = phone()
    user = account(number)

    sent = send("sign_in", "sendUserPhoneAuthentication", {"email": user.email, "isLogin": True})

    assert sent["data"] == {"sendUserPhoneAuthentication": True}
    code = next_code(texted_codes, number)
    assert emailed_codes(user.email) == []  # by SMS only
    answer = verify(user.email, code)
    token = answer["data"]["verifyUserPhoneAuthentication"]["token"]
    assert gql(USER, token=token)["data"]["user"]["_id"] == user.id


def test_a_wrong_code_is_refused_and_the_right_one_still_works() -> None:
    user = account()
    send("sign_in", "sendUserPhoneAuthentication", {"email": user.email})
    code = next_code(emailed_codes, user.email)
    wrong = f"{(int(code) + 1) % 10000:04d}"

    refused = error_of(verify(user.email, wrong))
    accepted = verify(user.email, code)

    assert refused["message"] == "The code you entered is incorrect."
    assert accepted["data"]["verifyUserPhoneAuthentication"]["token"]
    again = error_of(verify(user.email, code))
    assert again["message"] == sign_in_codes.NO_CODE  # one code, one sign-in


def test_after_five_wrong_tries_even_the_right_code_needs_a_new_one() -> None:
    user = account()
    send("sign_in", "sendUserPhoneAuthentication", {"email": user.email})
    code = next_code(emailed_codes, user.email)
    wrong = f"{(int(code) + 1) % 10000:04d}"
    for _ in range(sign_in_codes.MAX_TRIES):
        verify(user.email, wrong)

    refused = error_of(verify(user.email, code))

    assert refused["message"] == sign_in_codes.TOO_MANY_TRIES
    stored = services().store.users.get(user.id)
    assert stored is not None and not stored.firebaseUid  # nobody signed in


def test_an_expired_code_is_refused() -> None:
    user = account()
    send("sign_in", "sendUserPhoneAuthentication", {"email": user.email})
    code = next_code(emailed_codes, user.email)
    document = services().store.client.collection("signInCodes").document(user.id)
    document.update({"expiresAt": int(time.time()) - 1})  # ten minutes later

    refused = error_of(verify(user.email, code))

    assert refused["message"] == sign_in_codes.NO_CODE


def test_a_new_code_replaces_the_previous_one() -> None:
    user = account()
    send("sign_in", "sendUserPhoneAuthentication", {"email": user.email})
    first = next_code(emailed_codes, user.email)
    send("sign_in", "sendUserPhoneAuthentication", {"email": user.email})
    second = next_code(emailed_codes, user.email, seen=1)

    if first != second:  # 1 in 10,000 they are the same digits
        old = error_of(
            send(
                "sign_in",
                "verifyUserPhoneAuthentication",
                {"email": user.email, "phoneVerificationToken": first},
            )
        )
        assert old["message"] == "The code you entered is incorrect."
    assert verify(user.email, second)["data"]


def test_codes_sent_to_one_account_are_rate_limited() -> None:
    number = phone()
    user = account(number)
    for i in range(10):
        assert send("sign_in", "sendUserPhoneAuthentication", {"email": user.email, "isLogin": True},
                    address=f"10.4.0.{i}")["data"]  # fmt: skip

    limited = error_of(
        send("sign_in", "sendUserPhoneAuthentication", {"phoneNumber": number}, address="10.4.1.1")
    )

    assert limited["extensions"]["errorCode"] == "RATE_LIMITED"


def test_codes_from_one_address_are_rate_limited() -> None:
    for i in range(30):
        send(
            "sign_in", "sendUserPhoneAuthentication", {"email": f"nobody{i}@example.com"}, address="10.5.0.1"
        )

    limited = error_of(
        send("sign_in", "sendUserPhoneAuthentication", {"email": account().email}, address="10.5.0.1")
    )

    assert limited["extensions"]["errorCode"] == "RATE_LIMITED"


# --- sessions ---------------------------------------------------------------------------------------


def test_revoking_a_users_sessions_signs_the_bridge_session_out() -> None:
    uid, email = firebase_staff("correct horse 4")
    token = login(email, "correct horse 4")["data"]["login"]["token"]
    assert gql(USER, token=token)["data"]["user"]["email"] == email
    time.sleep(1.1)  # revocation is to the second: a session minted in this second stays valid

    auth.revoke_refresh_tokens(uid)

    assert error_of(gql(USER, token=token))["message"] == "Authentication Required."


def test_set_user_org_context_and_role_token_echo_the_bridge_session() -> None:
    org = make_org("Bridge Presents")
    _, email = firebase_staff("correct horse 5")
    token = login(email, "correct horse 5")["data"]["login"]["token"]
    user_id = gql(USER, token=token)["data"]["user"]["_id"]
    give_role(user_id, email, org.id)

    switched = send("backstage_roles_fees", "SetUserOrgContextId", {"orgId": org.id}, token=token)

    assert switched["data"]["setUserOrgContextId"]["token"] == token
    assert switched["data"]["setUserOrgContextId"]["user"]["orgContextId"] == org.id
    roles = gql("{ userRoles { orgId token } }", token=token)["data"]["userRoles"]
    assert roles == [{"orgId": org.id, "token": token}]


def test_setting_a_password_after_a_code_sign_in_lets_the_next_login_use_it() -> None:
    """Backstage's first sign-in of a portal buyer: SMS code, then setUserPassword, then login."""
    number = phone()
    user = account(number)
    send("sign_in", "sendUserPhoneAuthentication", {"email": user.email, "isLogin": True})
    code = next_code(texted_codes, number)
    token = verify(user.email, code)[
        "data"]["verifyUserPhoneAuthentication"]["token"]  # fmt: skip

    assert send("sign_in", "setUserPassword", {"password": "a new password"}, token=token)["data"]

    login = send("sign_in", "Login", {"email": user.email, "password": "a new password"})
    assert gql(USER, token=login["data"]["login"]["token"])["data"]["user"]["_id"] == user.id


def test_no_code_or_password_reaches_a_log() -> None:
    start = LOG.stat().st_size if LOG.exists() else 0
    _, email = firebase_staff("secret pass phrase 77")
    login(email, "secret pass phrase 77")
    login(email, "wrong pass phrase 78")
    user = account()
    send("sign_in", "sendUserPhoneAuthentication", {"email": user.email})
    code = next_code(emailed_codes, user.email)
    wrong = f"{(int(code) + 1) % 10000:04d}"
    verify(user.email, wrong)
    verify(user.email, code)
    requests.get(f"{config.SAAS_URL}/_inbox/emails.json", timeout=5)  # let the last lines flush

    with LOG.open(encoding="utf-8", errors="replace") as log:
        log.seek(start)
        # Access-log lines carry response sizes, which may be any 4 digits: they carry no bodies.
        written = [line for line in log if 'HTTP/1.1"' not in line]

    text = "".join(written)
    assert text, "the functions wrote no log lines during the flow"
    assert "pass phrase" not in text
    for secret in (code, wrong):
        assert not re.search(rf"(?<!\d){secret}(?!\d)", text), f"a sign-in code was logged: {secret}"


def test_concurrent_guesses_of_one_code_get_at_most_five_judgements() -> None:
    """Each try is counted under a compare-and-set on the code document: twelve guesses at once
    cannot all be judged against the same try count."""
    user = account()
    send("sign_in", "sendUserPhoneAuthentication", {"email": user.email})
    code = next_code(emailed_codes, user.email)
    wrong = f"{(int(code) + 1) % 10000:04d}"

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda _: verify(user.email, wrong), range(12)))

    messages = Counter(error_of(answer)["message"] for answer in answers)
    assert set(messages) <= {
        "The code you entered is incorrect.",
        sign_in_codes.TOO_MANY_TRIES,
        "Please try again.",
    }
    stored = services().store.client.collection("signInCodes").document(user.id).get().to_dict()
    assert stored is not None
    # Every guess answered "incorrect" was counted, and no more than five were.
    assert messages["The code you entered is incorrect."] == stored["tries"] <= sign_in_codes.MAX_TRIES
    final = verify(user.email, code)
    if stored["tries"] == sign_in_codes.MAX_TRIES:
        assert error_of(final)["message"] == sign_in_codes.TOO_MANY_TRIES
    else:  # some guesses lost every compare-and-set and were answered "try again", uncounted
        assert final["data"]["verifyUserPhoneAuthentication"]["token"]
