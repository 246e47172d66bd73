"""One-time sign-in codes of the legacy sign-in bridge (SPEC 4.4, setting LEGACY_SIGN_IN).

Both unmodified clients take exactly 4 digits, so the codes are short; what keeps them safe is
everything around them (SPEC D-23 answered for the bridge):
- one live code per account (`signInCodes/{userId}`); a new request replaces the old code;
- the code is drawn by the function that sends it (send-email / send-sms) and only its salted
  hash is stored: no task payload, database document or log line holds a code;
- a code expires 10 minutes after it was drawn and allows 5 tries, then a new one is needed;
- requests and tries are rate-limited per account, phone, e-mail and address
  (shared.domain.rate_limits), which bounds guessing across codes as well.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

from pydantic import Field

from shared.domain.models import Model
from shared.errors import DomainError, ErrorCode

CODE_DIGITS = 4
CODE_TTL_SECONDS = 600
MAX_TRIES = 5

Channel = Literal["email", "sms"]

WRONG_CODE = "The code you entered is incorrect."  # the original's wording; the clients show it
NO_CODE = "This code has expired. Please request a new one."
TOO_MANY_TRIES = "Too many incorrect codes. Please request a new one."
NOT_SENT_YET = "The code is on its way. Please try again in a moment."


class SignInCode(Model):
    """`signInCodes/{userId}`: the account's one live sign-in code (hash only)."""

    id: str = Field(alias="_id")  # the user id
    requestId: str  # this request; a task for an older one sends nothing
    channel: Channel
    address: str  # where it goes: the e-mail given, or the account's phone (E.164)
    requestedAt: int
    salt: str = ""
    codeHash: str = ""  # "" until the sending function draws the code
    expiresAt: int = 0
    tries: int = 0


def new_code() -> str:
    """4 random digits, leading zeros kept."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def new_salt() -> str:
    return secrets.token_hex(16)


def code_hash(salt: str, code: str) -> str:
    return hmac.new(bytes.fromhex(salt), code.strip().encode(), hashlib.sha256).hexdigest()


Outcome = Literal["accepted", "wrong"]


def judge(record: SignInCode | None, typed: str, now: int) -> Outcome:
    """Whether `typed` is the live code of `record` at `now`. Expired, used up or never sent
    codes are refused outright (DomainError); a wrong code is "wrong" (the caller counts it)."""
    if record is None:
        raise DomainError(ErrorCode.REFUSED, NO_CODE)
    if not record.codeHash:
        raise DomainError(ErrorCode.BUSY, NOT_SENT_YET)
    if record.expiresAt <= now:
        raise DomainError(ErrorCode.REFUSED, NO_CODE)
    if record.tries >= MAX_TRIES:
        raise DomainError(ErrorCode.REFUSED, TOO_MANY_TRIES)
    if not hmac.compare_digest(code_hash(record.salt, typed), record.codeHash):
        return "wrong"
    return "accepted"
