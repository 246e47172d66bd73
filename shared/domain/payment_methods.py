"""Saved cards and Terminal readers as the services see them (SPEC 4.5, R-PAY-1, R-PAY-5): plain
values the Stripe adapter fills in, and the pure rules about them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.domain.models import Organization
from shared.domain.permissions import Principal, customer_orgs_of_staff
from shared.errors import DomainError, ErrorCode

FILL_ORG_ADDRESS = (
    "Add your organization's physical address (street, city, state, ZIP code and country) "
    "before setting up card readers."
)


@dataclass(frozen=True)
class SavedCard:
    """A card PaymentMethod (or a legacy card source, `card_...`) of a platform Customer."""

    id: str
    customer: str  # "" when attached to no customer
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    funding: str
    country: str
    type: str = "card"


@dataclass(frozen=True)
class TerminalReader:
    id: str
    label: str
    device_type: str
    location: str
    serial_number: str
    status: str
    ip_address: str


@dataclass(frozen=True)
class LocationAddress:
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    country: str

    def params(self) -> dict[str, str]:
        """Stripe's address hash (empty optional lines left out: Stripe refuses empty strings)."""
        fields = {
            "line1": self.line1, "line2": self.line2, "city": self.city, "state": self.state,
            "postal_code": self.postal_code, "country": self.country,
        }  # fmt: skip
        return {k: v for k, v in fields.items() if v}


def card_view(card: SavedCard) -> dict[str, Any]:
    """GraphQL StripePaymentMethod: expiry as strings there (SPEC §7.8)."""
    return {
        "paymentMethodId": card.id,
        "brand": card.brand,
        "last4": card.last4,
        "expMonth": str(card.exp_month),
        "expYear": str(card.exp_year),
        "funding": card.funding,
        "country": card.country,
        "type": card.type,
    }


def reader_view(reader: TerminalReader) -> dict[str, Any]:
    """GraphQL StripeTerminalReader: Stripe's own id under `id` (SPEC §7.11)."""
    return {
        "id": reader.id,
        "label": reader.label,
        "type": reader.device_type,
        "location": reader.location,
        "serialNumber": reader.serial_number,
        "status": reader.status,
        "ipAddress": reader.ip_address,
    }


def owned_by(card: SavedCard, customer_id: str) -> bool:
    """A card is the caller's only when attached to the caller's own Customer. Anything else is
    answered as if it did not exist, so a guessed id reveals nothing about another user's card."""
    return bool(customer_id) and card.customer == customer_id


def may_pay_with_saved_card_of(
    caller: Principal, buyer_user_id: str, buyer_org_ids: list[str], org_id: str
) -> bool:
    """Whose saved card may pay a checkout of `org_id` (R-PAY-2.1): the buyer's own, always; a
    customer's, only for a box-office sale by BOX_OFFICE+ staff of that org to a customer who
    bought from it before — the same staff who may see that customer's card summaries (SPEC 4.7),
    so a clerk can charge only a card the clerk was allowed to pick. An anonymous sale has no
    customer, hence no saved card."""
    if not buyer_user_id:
        return False
    if buyer_user_id == caller.user_id:
        return True
    return org_id in customer_orgs_of_staff(caller, buyer_org_ids)


def location_address(org: Organization) -> LocationAddress:
    """The org's address as a Terminal Location needs it (R-PAY-5), or a clear error naming
    what to fill in. US addresses need a state; the country defaults to the US, where every
    organization on the platform sells (USD only, SPEC 2.4)."""
    address = org.address
    if address is None:
        raise _fill_address()
    country = (address.country.strip() or "US").upper()
    if country in ("USA", "UNITED STATES", "UNITED STATES OF AMERICA"):
        country = "US"
    values = {
        "address1": address.address1.strip(),
        "city": address.city.strip(),
        "zip": address.zip.strip(),
        "state": address.state.strip(),
    }
    needed = ["address1", "city", "zip"] + (["state"] if country == "US" else [])
    missing = [f"address.{name}" for name in needed if not values[name]]
    if missing or len(country) != 2:
        raise _fill_address()
    return LocationAddress(
        line1=values["address1"],
        line2=address.address2.strip(),
        city=values["city"],
        state=values["state"],
        postal_code=values["zip"],
        country=country,
    )


def _fill_address() -> DomainError:
    # REFUSED, not INVALID_INPUT: the message must reach the user verbatim (INVALID_INPUT
    # becomes "Invalid Fields" on GraphQL), and the fix is in the org's settings, not this call.
    return DomainError(ErrorCode.REFUSED, FILL_ORG_ADDRESS)


def location_name(org: Organization) -> str:
    return (org.orgName.strip() or "Box office")[:100]
