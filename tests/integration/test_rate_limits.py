"""Rate limits on the public operations (SECURITY.md 18, 25; shared.domain.rate_limits), end to
end: GraphQL on the local functions, counters in the Firestore emulator.

The caller's address is what connecting_ip reads: the X-Forwarded-For entry Google's front end
appends after anything the client wrote. Locally nothing sits in front of gunicorn, so these
tests send the header as the front end would pass it on: a client-written entry first, then the
connecting address."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from shared.domain import rate_limits as limits
from tests.integration.api import (
    GRAPHQL_URL,
    Caller,
    data_of,
    error_of,
    id_token_for,
    make_org,
    new_user,
    staff_of,
    user_id_of,
    wait_for,
)
from tests.integration.inbox import with_subject
from tests.integration.test_delivery import DELIVERY_TIMEOUT

USER_EXISTS = "query($e: String) { userExists(email: $e) { userId } }"
NOTIFY = "query($e: String, $m: String) { notifyEvent(eventId: $e, email: $m) { _id } }"
FORGOT = "mutation($e: String!) { forgotUserPassword(email: $e) }"
SEND_VERIFICATION = "mutation { sendUserEmailVerification { sent } }"


def address() -> str:
    """A fresh documentation address (RFC 3849) as the front end forwards it: whatever the client
    wrote in X-Forwarded-For (here a new random entry on every call), then the connecting address."""
    digits = uuid.uuid4().hex
    return f"2001:db8::{digits[:4]}:{digits[4:8]}:{digits[8:12]}"


def forwarded(connecting: str) -> str:
    spoofed = uuid.uuid4().hex[:4]
    return f"198.51.100.{int(spoofed, 16) % 250 + 1}, {connecting}"


def gql_from(
    ip: str, query: str, variables: dict[str, Any] | None = None, caller: Caller | None = None
) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", "X-Forwarded-For": forwarded(ip)}
    if caller is not None:
        headers["Authorization"] = f"Bearer {caller.token}"
        if caller.org_id:
            headers["X-Org-Id"] = caller.org_id
    response = requests.post(
        GRAPHQL_URL, json={"query": query, "variables": variables or {}}, headers=headers, timeout=60
    )
    body: dict[str, Any] = response.json()
    return body


def is_rate_limited(result: dict[str, Any]) -> bool:
    errors = result.get("errors") or []
    return bool(errors) and errors[0].get("extensions", {}).get("errorCode") == "RATE_LIMITED"


def fire_at_once(count: int, call: Any) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(lambda _: call(), range(count)))


def test_concurrent_look_ups_from_one_address_pass_exactly_the_limit() -> None:
    ip = address()
    over = 15
    results = fire_at_once(
        limits.USER_EXISTS_PER_IP.limit + over, lambda: gql_from(ip, USER_EXISTS, {"e": "nobody@example.com"})
    )

    limited = [r for r in results if is_rate_limited(r)]
    assert len(limited) == over
    assert all("errors" not in r for r in results if not is_rate_limited(r))
    error = error_of(limited[0])
    assert error["message"] == limits.RATE_LIMITED_MESSAGE
    assert error["extensions"] == {"code": 429, "errorCode": "RATE_LIMITED"}


def test_a_limited_address_leaves_other_addresses_alone() -> None:
    spent, other = address(), address()
    notify = {"e": "no-such-event", "m": "fan@example.com"}
    before = fire_at_once(limits.NOTIFY_EVENT_PER_IP.limit, lambda: gql_from(spent, NOTIFY, notify))
    assert not any(is_rate_limited(r) for r in before)  # refused for the unknown event, but counted

    assert is_rate_limited(gql_from(spent, NOTIFY, notify))
    assert not is_rate_limited(gql_from(other, NOTIFY, notify))


def test_box_office_staff_are_never_limited_on_user_look_ups_at_their_venue() -> None:
    venue = address()
    org = make_org()
    box_office = staff_of(org.id, "BOX_OFFICE")
    fire_at_once(
        limits.USER_EXISTS_PER_IP.limit, lambda: gql_from(venue, USER_EXISTS, {"e": "x@example.com"})
    )
    assert is_rate_limited(gql_from(venue, USER_EXISTS, {"e": "x@example.com"}))

    staff_look_ups = [gql_from(venue, USER_EXISTS, {"e": "x@example.com"}, box_office) for _ in range(3)]

    assert all("errors" not in r for r in staff_look_ups), staff_look_ups
    # Another org's context (where the caller holds no role) is no exemption.
    elsewhere = Caller(box_office.token, box_office.uid, box_office.email, org_id=make_org().id)
    assert is_rate_limited(gql_from(venue, USER_EXISTS, {"e": "x@example.com"}, elsewhere))


def test_forgot_password_stays_silent_and_sends_nothing_once_limited() -> None:
    ip = address()
    limited_owner = new_user()
    user_id_of(limited_owner)
    other_owner = new_user()
    user_id_of(other_owner)
    spend = fire_at_once(
        limits.FORGOT_PASSWORD_PER_IP.limit,
        lambda: gql_from(ip, FORGOT, {"e": f"nobody-{uuid.uuid4().hex[:8]}@example.com"}),
    )
    assert all(data_of(r) == {"forgotUserPassword": True} for r in spend)

    assert data_of(gql_from(ip, FORGOT, {"e": limited_owner.email})) == {"forgotUserPassword": True}
    assert data_of(gql_from(address(), FORGOT, {"e": other_owner.email})) == {"forgotUserPassword": True}

    wait_for(lambda: with_subject("Reset your password", other_owner.email), timeout=DELIVERY_TIMEOUT)
    assert with_subject("Reset your password", limited_owner.email) == []


def test_verification_mails_are_limited_per_user() -> None:
    user = new_user()
    other = new_user()
    results = [
        gql_from(address(), SEND_VERIFICATION, caller=user)
        for _ in range(limits.EMAIL_VERIFICATION_PER_USER.limit)
    ]
    assert all("errors" not in r for r in results), results

    assert is_rate_limited(gql_from(address(), SEND_VERIFICATION, caller=user))  # from any address
    assert not is_rate_limited(gql_from(address(), SEND_VERIFICATION, caller=other))


def test_anonymous_registration_is_limited_per_address_but_signed_in_callers_are_not() -> None:
    ip = address()
    register = "mutation($u: UserInput) { register(user: $u) { registered } }"
    fire_at_once(
        limits.REGISTER_PER_IP.limit,
        lambda: gql_from(ip, register, {"u": {"email": "not an address"}}),  # refused, but counted
    )
    assert is_rate_limited(gql_from(ip, register, {"u": {"email": f"n-{uuid.uuid4().hex[:8]}@example.com"}}))

    uid = f"u-{uuid.uuid4().hex[:12]}"
    signed_in = Caller(id_token_for(uid, email=f"{uid}@example.com"), uid, f"{uid}@example.com")
    assert "errors" not in gql_from(ip, register, {"u": {"email": signed_in.email}}, signed_in)
