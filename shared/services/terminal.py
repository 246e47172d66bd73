"""Stripe Terminal for the box office (SPEC R-PAY-5, §2.9).

Readers, their Location and the connection tokens the Terminal SDK uses all live on the
organization's connected account (`organization.stripeId`), where the box office's card-present
PaymentIntents are created too, so a reader can only ever take payments for its own org.
Reading, removing and connecting to readers is BOX_OFFICE of the context org; registering a
new reader is ADMIN. The Location is built from the org's address (Stripe requires a real one)
and remembered as `organization.locationId`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

from shared.domain.models import Organization
from shared.domain.payment_methods import (
    LocationAddress,
    TerminalReader,
    location_address,
    location_name,
    reader_view,
)
from shared.domain.permissions import ADMIN, BOX_OFFICE, Principal, require_context_org
from shared.domain.ports import Repository
from shared.errors import DomainError, ErrorCode, invalid, not_found

CONNECT_STRIPE_FIRST = "Connect your organization's Stripe account before setting up card readers."


class TerminalGateway(Protocol):
    """Stripe Terminal on a connected account (adapter: StripeTerminal)."""

    def connection_token(self, account: str) -> str: ...

    def location_exists(self, account: str, location_id: str) -> bool: ...

    def create_location(self, account: str, name: str, address: LocationAddress, key: str) -> str: ...

    def readers(self, account: str) -> list[TerminalReader]: ...

    def register_reader(self, account: str, code: str, label: str, location: str) -> TerminalReader: ...

    def delete_reader(self, account: str, reader_id: str) -> None: ...


def location_key(org: Organization, address: LocationAddress) -> str:
    """Idempotency key of the org's Location: two racing requests (or a retry) create one, and
    a changed address or a newly connected account gets a new one."""
    material = json.dumps([org.id, org.stripeId, address.params()], sort_keys=True)
    return "terminal-location-" + hashlib.sha256(material.encode()).hexdigest()[:40]


class TerminalService:
    def __init__(self, organizations: Repository[Organization], terminal: TerminalGateway) -> None:
        self.organizations = organizations
        self.terminal = terminal

    def _org(self, principal: Principal | None, level: int) -> Organization:
        _, org_id = require_context_org(principal, level)
        org = self.organizations.get(org_id)
        if org is None:
            raise not_found("Organization")
        return org

    def _connected(self, org: Organization) -> str:
        if not org.stripeId:
            raise DomainError(ErrorCode.REFUSED, CONNECT_STRIPE_FIRST)
        return org.stripeId

    def _ensure_location(self, org: Organization) -> str:
        """The org's Location: the stored one while Stripe still has it, else a new one from
        the org's address (which must be filled in either way: Stripe needs it for readers)."""
        account = self._connected(org)
        address = location_address(org)
        if org.locationId and self.terminal.location_exists(account, org.locationId):
            return org.locationId
        location_id = self.terminal.create_location(
            account, location_name(org), address, location_key(org, address)
        )
        self.organizations.update(org.id, {"locationId": location_id})
        return location_id

    def create_location(self, principal: Principal | None) -> str:
        """createStripeLocationId: the org's Location id (created when missing)."""
        return self._ensure_location(self._org(principal, BOX_OFFICE))

    def connection_token(self, principal: Principal | None) -> str:
        org = self._org(principal, BOX_OFFICE)
        return self.terminal.connection_token(self._connected(org))

    def readers(self, principal: Principal | None) -> list[dict[str, Any]]:
        org = self._org(principal, BOX_OFFICE)
        if not org.stripeId:
            return []  # nothing can be registered before Stripe is connected
        return [reader_view(r) for r in self.terminal.readers(org.stripeId)]

    def register_reader(
        self, principal: Principal | None, label: str | None, registration_code: str | None
    ) -> dict[str, Any]:
        org = self._org(principal, ADMIN)
        code = (registration_code or "").strip()
        if not code:
            raise invalid("Enter the registration code shown on the reader.", "registrationCode")
        location = self._ensure_location(org)
        reader = self.terminal.register_reader(org.stripeId, code, (label or "").strip()[:100], location)
        return reader_view(reader)

    def delete_reader(self, principal: Principal | None, reader_id: str) -> bool:
        """Only a reader of this org's account can be found (Stripe scopes readers per account)."""
        org = self._org(principal, BOX_OFFICE)
        reader_id = (reader_id or "").strip()
        if not reader_id.startswith("tmr_"):
            raise not_found("Card reader")
        self.terminal.delete_reader(self._connected(org), reader_id)
        return True
