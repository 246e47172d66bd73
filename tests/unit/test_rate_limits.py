"""Fixed-window rate-limit rules (shared.domain.rate_limits): windows, hashed keys, expiry."""

from __future__ import annotations

import pytest
from graphql import GraphQLError

from shared.domain import rate_limits as rules
from shared.domain.rate_limits import RateLimit
from shared.errors import ErrorCode
from shared.graphql_api.errors import format_error

LIMIT = RateLimit("probe:ip", limit=3, window_seconds=600)


def test_a_window_starts_on_a_multiple_of_its_length() -> None:
    assert rules.window_start(1_200, 600) == 1_200
    assert rules.window_start(1_799.9, 600) == 1_200
    assert rules.window_start(1_800, 600) == 1_800


def test_a_window_must_have_a_length() -> None:
    with pytest.raises(ValueError):
        rules.window_start(1_000, 0)


def test_one_key_shares_a_counter_within_a_window_and_gets_a_new_one_in_the_next() -> None:
    first = rules.counter_id(LIMIT, "203.0.113.7", 1_201)
    assert rules.counter_id(LIMIT, "203.0.113.7", 1_799) == first
    assert rules.counter_id(LIMIT, "203.0.113.7", 1_800) != first
    assert first.endswith("~1200")


def test_the_counter_id_never_holds_the_raw_key() -> None:
    doc_id = rules.counter_id(LIMIT, "Someone@Example.com", 1_000)
    digest, _, window = doc_id.partition("~")
    assert "example" not in doc_id.lower() and "@" not in doc_id
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert window == "600"


def test_keys_compare_trimmed_and_case_insensitively() -> None:
    assert rules.key_digest(LIMIT, " A@x.com ") == rules.key_digest(LIMIT, "a@x.com")


def test_different_keys_and_different_limits_never_share_a_counter() -> None:
    other_limit = RateLimit("other:ip", limit=3, window_seconds=600)
    assert rules.key_digest(LIMIT, "203.0.113.7") != rules.key_digest(LIMIT, "203.0.113.8")
    assert rules.key_digest(LIMIT, "203.0.113.7") != rules.key_digest(other_limit, "203.0.113.7")


def test_a_counter_expires_after_its_window_and_a_grace_period() -> None:
    assert rules.expire_at(LIMIT, 1_201) == 1_200 + 600 + rules.EXPIRY_GRACE_SECONDS


def test_exactly_the_first_limit_hits_of_a_window_are_allowed() -> None:
    assert [rules.allowed(LIMIT, count) for count in (1, 2, 3, 4, 5)] == [True, True, True, False, False]


def test_the_named_limits_are_usable_and_distinct() -> None:
    named = [value for value in vars(rules).values() if isinstance(value, RateLimit)]
    assert len(named) >= 8
    assert len({limit.name for limit in named}) == len(named)
    assert all(limit.limit >= 10 and limit.window_seconds > 0 for limit in named)


def test_a_rate_limited_call_reaches_clients_as_429_with_its_own_code() -> None:
    error = rules.rate_limited()
    assert error.code == ErrorCode.RATE_LIMITED and error.http_status == 429
    formatted = format_error(GraphQLError(error.message, original_error=error))
    assert formatted["message"] == rules.RATE_LIMITED_MESSAGE
    assert formatted["extensions"] == {"code": 429, "errorCode": "RATE_LIMITED"}
