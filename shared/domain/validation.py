"""Turns pydantic's validation errors into the one domain error the clients understand:
"Invalid Fields" with the offending input keys (SPEC 2.7)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.errors import DomainError, ErrorCode

M = TypeVar("M", bound=BaseModel)


def _path(loc: tuple[int | str, ...]) -> str:
    # Unions and validators add parts such as "literal['Flat','Percent']"; keep the input keys.
    return ".".join(str(part) for part in loc if not any(c in str(part) for c in "[(-"))


def field_paths(error: ValidationError, prefix: str = "") -> list[str]:
    paths: list[str] = []
    for problem in error.errors():
        path = _path(problem["loc"])
        path = f"{prefix}.{path}" if prefix and path else prefix or path
        if path not in paths:
            paths.append(path)
    return paths


def describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = _path(first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def build(model: type[M], data: Mapping[str, Any], prefix: str = "") -> M:
    """Validate `data` into `model`, or raise INVALID_INPUT naming every bad field."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        raise DomainError(ErrorCode.INVALID_INPUT, describe(error), field_paths(error, prefix)) from None


def without_nones(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """GraphQL sends explicit nulls for omitted optional fields; treat them as absent."""
    return {k: v for k, v in (data or {}).items() if v is not None}


# ---- Input bounds (SECURITY: hostile callers) ------------------------------------------------
# Every id, string and number a client sends is checked against these before any read, so an
# unusable id or an oversized value is a clear "Invalid Fields", never a Firestore failure, stored
# garbage or an order total past the GraphQL Int range.

MAX_ID_LENGTH = 128
# Our ids are 14-20 letters and digits; Firebase uids, Stripe ids (`pi_…`), seats.io and Webflow
# ids fit too. Firestore refuses "." and "..", ids matching __.*__ and anything with "/".
_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_ID_LENGTH}}}")
_RESERVED_ID = re.compile(r"__.*__")


def is_usable_id(value: str) -> bool:
    """A document id the store can read: letters, digits, '_' and '-', at most 128, not __x__."""
    return bool(_ID.fullmatch(value)) and not _RESERVED_ID.fullmatch(value)


# C0 controls (tab, newline and carriage return allowed only in multi-line text), DEL, C1
# controls, bidi embeddings/overrides/isolates (text that displays in another order than it is
# stored: a name that impersonates another) and lone surrogates (not UTF-8: Firestore fails).
_FORBIDDEN_ANYWHERE = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_FORBIDDEN_SINGLE_LINE = re.compile(f"[\t\n\r{_FORBIDDEN_ANYWHERE}]")
_FORBIDDEN_MULTI_LINE = re.compile(f"[{_FORBIDDEN_ANYWHERE}]")


@dataclass(frozen=True)
class TextBound:
    max_length: int
    multi_line: bool = False


NAME = TextBound(200)
LONG_TEXT = TextBound(20_000, multi_line=True)
NOTE = TextBound(2_000, multi_line=True)
URL = TextBound(2_048)
EMAIL = TextBound(254)
PHONE = TextBound(32)
CODE = TextBound(64)
SECRET = TextBound(512)  # passwords, one-time codes and tokens minted elsewhere (Stripe, seats.io)
SEARCH = TextBound(200)
SHORT = TextBound(32)
DEFAULT_TEXT = TextBound(1_000)

TEXT_BOUNDS: dict[str, TextBound] = {
    **dict.fromkeys(
        [
            "name",
            "firstName",
            "lastName",
            "orgName",
            "label",
            "title",
            "company",
            "subtitle",
            "placeName",
            "address1",
            "address2",
            "city",
            "state",
            "ticketType",
            "stub",
            "totalDays",
            "guestTicketPerMember",
            "complimentaryWith",
            "scannedBy",
            "seat",
        ],
        NAME,
    ),
    **dict.fromkeys(["description", "bio", "userAgreement", "physicalDeliveryInstructions"], LONG_TEXT),
    **dict.fromkeys(["refundReason", "cancelReason", "value", "values", "options"], NOTE),
    **dict.fromkeys(
        [
            "url",
            "imageUrl",
            "posterImageUrl",
            "orgLogoUrl",
            "videoLink",
            "songLink",
            "link",
            "tegURL",
            "orgUrls",
            "imageUrls",
            "posterImageUrls",
        ],
        URL,
    ),
    **dict.fromkeys(["email", "userEmail", "newEmail"], EMAIL),
    **dict.fromkeys(["phone", "phoneNumber", "newPhoneNumber"], PHONE),
    **dict.fromkeys(
        [
            "promoCode",
            "discountCode",
            "code",
            "promotionCode",
            "zip",
            "country",
            "timezone",
            "orgColorHex",
            "tegClientID",
            "registrationCode",
            "teiMemberId",
            "placeId",
            "facebookPixelId",
            "googleAnalyticsId",
            "selectedTicket",
        ],
        CODE,
    ),
    **dict.fromkeys(
        [
            "password",
            "oldPassword",
            "newPassword",
            "tegSecret",
            "connectCode",
            "stripeToken",
            "holdToken",
            "forgotPasswordCode",
            "emailVerificationToken",
            "phoneVerificationToken",
        ],
        SECRET,
    ),
    **dict.fromkeys(["userQuery", "eventQuery", "orgQuery"], SEARCH),
}
# Names ending in "Id"/"Ids" are ids, except these, which are other systems' codes (not ours to
# read a document by).
NOT_DOCUMENT_IDS = frozenset({"teiMemberId", "placeId", "facebookPixelId", "googleAnalyticsId"})


def is_id_name(name: str) -> bool:
    return name not in NOT_DOCUMENT_IDS and (name == "_id" or name.endswith(("Id", "Ids")))


def text_bound(name: str) -> TextBound:
    return TEXT_BOUNDS.get(name) or (SHORT if name.endswith(("Type", "type")) else DEFAULT_TEXT)


def text_problem(value: str, bound: TextBound) -> str | None:
    """Why `value` cannot be stored under `bound`, or None. Control and bidi-override characters
    are refused (never stripped: a changed value would be stored without the caller knowing)."""
    if len(value) > bound.max_length:
        return f"at most {bound.max_length} characters"
    forbidden = _FORBIDDEN_MULTI_LINE if bound.multi_line else _FORBIDDEN_SINGLE_LINE
    if forbidden.search(value):
        return "contains control or bidirectional-override characters"
    return None


# Money in cents and counts of things. A ticket, add-on or fee costs at most $100,000 and an
# order holds at most MAX_ORDER_ITEMS tickets and as many add-ons; pricing also refuses a total
# above MAX_ORDER_TOTAL_CENTS, so no total, fee or refund can pass the GraphQL Int range.
MAX_PRICE_CENTS = 10_000_000
MAX_QUANTITY = 1_000_000
MAX_ORDER_ITEMS = 200
MAX_ORDER_TOTAL_CENTS = 1_000_000_000  # $10,000,000, half the Int range
MAX_LIST_ITEMS = 500
MAX_PAGE_SIZE = 100
MAX_PAGE_NUMBER = 1_000

INT_BOUNDS: dict[str, tuple[int, int]] = {
    **dict.fromkeys(
        [
            "price",
            "origionalPrice",
            "amount",
            "minAppliedToPrice",
            "maxAppliedToPrice",
            "refundAmount",
            "discountAmount",
            "discount",
        ],
        (0, MAX_PRICE_CENTS),
    ),
    **dict.fromkeys(
        [
            "totalQty",
            "remainingQty",
            "qty",
            "purchaseLimit",
            "complimentaryQty",
            "useLimit",
            "totalHeld",
            "totalCheckedIn",
            "totalReleased",
            "totalOutstanding",
            "overRideMax",
            "overRideMaxUpg",
            "capacity",
            "numberOfEvent",
        ],
        (0, MAX_QUANTITY),
    ),
    "percent": (0, 100),
    "pageSize": (1, MAX_PAGE_SIZE),
    "pageNumber": (0, MAX_PAGE_NUMBER),
}
FLOAT_BOUNDS: dict[str, tuple[float, float]] = {
    "value": (0, MAX_PRICE_CENTS),  # a fee: percent or cents
    "discountValue": (0, MAX_PRICE_CENTS),
    "lat": (-90, 90),
    "lng": (-180, 180),
}
LIST_BOUNDS: dict[str, int] = {"tickets": MAX_ORDER_ITEMS, "upgrades": MAX_ORDER_ITEMS}


def number_problem(name: str, value: float, is_int: bool) -> str | None:
    bounds = INT_BOUNDS.get(name) if is_int else FLOAT_BOUNDS.get(name)
    if bounds is None:
        return None
    low, high = bounds
    return None if low <= value <= high else f"must be between {low} and {high}"
