"""Phone numbers as people type them, stored and texted in E.164 (SPEC R-MSG-4).

The purchase portal sends what the buyer typed, often digits without `+` (`15555550177`) or a
national number (`(555) 555-0177`). Google's libphonenumber (`phonenumbers`) reads those in the
platform's default region (setting DEFAULT_PHONE_REGION, `US`), so one person's number is one
stored value however it was typed. Only a number that cannot be read as a dialable one is
refused, with the field named. Numbers are checked for a possible length, not for a live
allocation: fictional 555 numbers and new ranges must still work.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from shared.errors import DomainError, invalid

DEFAULT_REGION = "US"
# What people type around the digits; letters (vanity numbers, typos) are refused rather than
# silently turned into digits.
_TYPED = re.compile(r"^\+?[\d\s().\-/]+$")
_DIGITS_ONLY = re.compile(r"^\d+$")


def e164(raw: str | None, default_region: str = DEFAULT_REGION, field: str = "phoneNumber") -> str:
    """The number in E.164 (`+15551234567`). `raw` may be international (`+44 20 7946 0958`),
    national in `default_region` (`(555) 555-0177`) or bare digits with the country code and no
    `+` (`15555550177`, `442079460958`). Anything else is refused, naming `field`."""
    typed = (raw or "").strip()
    if not typed or not _TYPED.match(typed):
        raise invalid_phone(field)
    number = _possible(typed, default_region)
    if number is None and _DIGITS_ONLY.match(typed):
        number = _possible("+" + typed, None)  # the country code typed without its '+'
    if number is None:
        raise invalid_phone(field)
    return str(phonenumbers.format_number(number, PhoneNumberFormat.E164))


def optional_e164(raw: str | None, default_region: str = DEFAULT_REGION, field: str = "phoneNumber") -> str:
    """E.164 for a number that may be left empty ("" stays "")."""
    return e164(raw, default_region, field) if (raw or "").strip() else ""


def _possible(typed: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(typed, region)
    except NumberParseException:
        return None
    reason = phonenumbers.is_possible_number_with_reason(number)
    return number if reason == ValidationResult.IS_POSSIBLE else None


def invalid_phone(field: str = "phoneNumber") -> DomainError:
    return invalid(
        "Enter a valid phone number: the national number (e.g. (303) 555-0100) or the international "
        "one with its country code (e.g. +44 20 7946 0958); it is kept in E.164.",
        field,
    )
