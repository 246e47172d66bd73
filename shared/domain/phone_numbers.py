"""Phone numbers texts go to: E.164 (SPEC R-MSG-4), checked before any provider is called."""

from __future__ import annotations

import re

from shared.errors import DomainError, invalid

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_PUNCTUATION = re.compile(r"[\s().-]")


def e164(raw: str) -> str:
    """The number in E.164 (`+15551234567`); spaces, dots, dashes and parentheses are dropped.
    Anything else is refused with a message that says what a valid number looks like."""
    cleaned = _PUNCTUATION.sub("", raw or "")
    if not _E164.match(cleaned):
        raise invalid_phone()
    return cleaned


def invalid_phone() -> DomainError:
    return invalid(
        "The phone number is not a valid international number (E.164: '+', country code and "
        "7 to 15 digits, e.g. +15551234567).",
        "phoneNumber",
    )
