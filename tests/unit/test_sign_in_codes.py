"""The legacy bridge's one-time codes (shared.domain.sign_in_codes) and its off switch."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.sign_in_codes import (
    MAX_TRIES,
    NO_CODE,
    NOT_SENT_YET,
    TOO_MANY_TRIES,
    SignInCode,
    code_hash,
    judge,
    new_code,
    new_salt,
)
from shared.errors import DomainError, ErrorCode
from shared.services.sign_in_bridge import BRIDGE_OFF, LegacySignInService

NOW = 1_700_000_000


def stored(code: str = "0421", **over: Any) -> SignInCode:
    salt = new_salt()
    fields = {"id": "u1", "requestId": "r1", "channel": "email", "address": "a@example.com",
              "requestedAt": NOW - 5, "salt": salt, "codeHash": code_hash(salt, code),
              "expiresAt": NOW + 600, "tries": 0, **over}  # fmt: skip
    return SignInCode.model_validate(fields)


def refusal(record: SignInCode | None, typed: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        judge(record, typed, NOW)
    return caught.value


def test_codes_are_four_digits_with_leading_zeros_kept() -> None:
    codes = {new_code() for _ in range(300)}
    assert all(len(c) == 4 and c.isdigit() for c in codes)
    assert len(codes) > 200  # drawn at random


def test_only_a_salted_hash_is_stored() -> None:
    record = stored("0421")
    assert "0421" not in record.model_dump_json()
    assert code_hash(new_salt(), "0421") != record.codeHash  # each code has its own salt


def test_the_live_code_is_accepted_and_a_wrong_one_counted() -> None:
    assert judge(stored("0421"), "0421", NOW) == "accepted"
    assert judge(stored("0421"), " 0421 ", NOW) == "accepted"
    assert judge(stored("0421"), "0422", NOW) == "wrong"


def test_missing_expired_used_up_and_unsent_codes_are_refused() -> None:
    assert refusal(None, "0421").message == NO_CODE
    assert refusal(stored(expiresAt=NOW), "0421").message == NO_CODE
    assert refusal(stored(tries=MAX_TRIES), "0421").message == TOO_MANY_TRIES
    unsent = refusal(stored(codeHash="", expiresAt=0), "0421")
    assert (unsent.code, unsent.message) == (ErrorCode.BUSY, NOT_SENT_YET)


def test_with_the_bridge_off_its_operations_ask_for_a_firebase_sign_in() -> None:
    bridge = LegacySignInService(
        enabled=False, users=None, identity=None, directory=None, codes=None, limiter=None,  # type: ignore[arg-type]
        tasks=None, claims=None, mailer=None, texts=None, email_from="x@example.com",  # type: ignore[arg-type]
    )  # fmt: skip
    for call in (
        lambda: bridge.login("a@example.com", "pw", "1.2.3.4"),
        lambda: bridge.request_code("a@example.com", None, True, "1.2.3.4"),
        lambda: bridge.verify_code("a@example.com", None, "0421", "1.2.3.4"),
    ):
        with pytest.raises(DomainError) as caught:
            call()
        assert (caught.value.code, caught.value.message) == (ErrorCode.UNAUTHENTICATED, BRIDGE_OFF)


def _jwt(payload: dict[str, Any]) -> str:
    import base64
    import json

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(payload)}.c2ln"


def test_session_cookies_are_told_from_id_tokens_by_their_issuer() -> None:
    from shared.adapters.firebase_auth import is_session_cookie

    assert is_session_cookie(_jwt({"iss": "https://session.firebase.google.com/demo-sellout"}))
    assert not is_session_cookie(_jwt({"iss": "https://securetoken.google.com/demo-sellout"}))
    for garbage in ("", "abc", "a.b.c", "a.!!!.c", _jwt({"iss": 5})):
        assert not is_session_cookie(garbage)
