"""Fixed-window rate limits on the public, cheap-to-abuse operations (SECURITY.md 18 and 25).

A limit allows `limit` hits per key (an IP address, an e-mail, a user id) in each window of
`window_seconds`, counted in one small document per key and window. The document id is a hash of
the limit's name and the key, so raw e-mails, phone numbers and addresses are never stored as ids,
and one key's counter never contends with another's. A fixed window may let up to twice `limit`
through across a window boundary; these limits stop floods and enumeration, not single extra calls.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from shared.errors import DomainError, ErrorCode

RATE_LIMITED_MESSAGE = "Too many requests. Please wait a few minutes and try again."
# Counters outlive their window by this much before the TTL policy deletes them, so a clock
# slightly behind never finds a fresh, empty counter for a window still running.
EXPIRY_GRACE_SECONDS = 3600


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` hits per key in each `window_seconds`; `name` keeps limits' keys apart."""

    name: str
    limit: int
    window_seconds: int


HOUR = 3600
DAY = 24 * HOUR

# Limits: generous for a person (or a household behind one address), tight for a script.
# Per IP: one NAT address may carry a whole office or a venue's Wi-Fi.
FORGOT_PASSWORD_PER_IP = RateLimit("forgotUserPassword:ip", limit=30, window_seconds=HOUR)
# Per address: the service already mails one reset link per account per window; this bounds the
# look-ups of one address from many IPs.
FORGOT_PASSWORD_PER_EMAIL = RateLimit("forgotUserPassword:email", limit=10, window_seconds=HOUR)
EMAIL_VERIFICATION_PER_USER = RateLimit("sendUserEmailVerification:user", limit=10, window_seconds=HOUR)
# Anonymous registration creates an account and mails a link (signed-in callers are not limited).
REGISTER_PER_IP = RateLimit("register:ip", limit=30, window_seconds=HOUR)
WAIT_LIST_PER_IP = RateLimit("createWaitList:ip", limit=60, window_seconds=HOUR)
NOTIFY_EVENT_PER_IP = RateLimit("notifyEvent:ip", limit=60, window_seconds=HOUR)
# Member-id checks: bounds guessing of member ids.
TICKET_RESTRICTION_PER_IP = RateLimit("ticketRestriction:ip", limit=120, window_seconds=HOUR)
# Checkout look-ups by anonymous buyers; BOX_OFFICE+ staff of the context org are exempt.
USER_EXISTS_PER_IP = RateLimit("userExists:ip", limit=120, window_seconds=HOUR)

# The legacy sign-in bridge (SPEC 4.4, shared.domain.sign_in_codes). Each code allows 5 tries;
# these bound the codes sent (SMS pumping, SECURITY 18) and the guesses across codes: at most
# 20 tries per account a day is a 1-in-500 chance of guessing a 4-digit code in a day.
SIGN_IN_CODE_PER_IP = RateLimit("signInCode:ip", limit=30, window_seconds=HOUR)
SIGN_IN_CODE_PER_ACCOUNT = RateLimit("signInCode:account", limit=10, window_seconds=HOUR)
SIGN_IN_CODE_PER_EMAIL = RateLimit("signInCode:email", limit=10, window_seconds=HOUR)
SIGN_IN_CODE_PER_PHONE = RateLimit("signInCode:phone", limit=10, window_seconds=HOUR)
SIGN_IN_TRIES_PER_ACCOUNT = RateLimit("signInTries:account", limit=20, window_seconds=DAY)
SIGN_IN_TRIES_PER_IP = RateLimit("signInTries:ip", limit=60, window_seconds=HOUR)
# Password sign-ins (Firebase throttles too; this stops one address trying many accounts).
LOGIN_PER_IP = RateLimit("login:ip", limit=60, window_seconds=HOUR)
LOGIN_PER_EMAIL = RateLimit("login:email", limit=10, window_seconds=HOUR)


def window_start(now: float, window_seconds: int) -> int:
    """The start (epoch seconds) of the fixed window holding `now`."""
    if window_seconds <= 0:
        raise ValueError("window_seconds must be positive")
    return int(now) // window_seconds * window_seconds


def key_digest(limit: RateLimit, key: str) -> str:
    """The limit's name and the key, hashed: never the raw key. Keys are compared trimmed and
    case-insensitively, so `A@x.com ` and `a@x.com` share one counter."""
    normalized = key.strip().lower()
    return hashlib.sha256(f"{limit.name}\n{normalized}".encode()).hexdigest()


def counter_id(limit: RateLimit, key: str, now: float) -> str:
    """`{digest}~{windowStart}`: one counter per key and window."""
    return f"{key_digest(limit, key)}~{window_start(now, limit.window_seconds)}"


def expire_at(limit: RateLimit, now: float) -> int:
    """When the counter of `now`'s window may be deleted (the TTL field)."""
    return window_start(now, limit.window_seconds) + limit.window_seconds + EXPIRY_GRACE_SECONDS


def allowed(limit: RateLimit, count_after_hit: int) -> bool:
    """A hit is allowed when it is among the first `limit` of its window."""
    return count_after_hit <= limit.limit


def rate_limited() -> DomainError:
    return DomainError(ErrorCode.RATE_LIMITED, RATE_LIMITED_MESSAGE)


class RateLimiter(Protocol):
    def hit(self, limit: RateLimit, key: str) -> bool:
        """Count one hit of `key` against `limit`; False when it is over the limit."""
        ...
