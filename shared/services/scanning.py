"""Door scanning (SPEC R-SCAN-1..5, D-3; SECURITY 20-22): the scanner app's codes, the org check,
and the all-or-nothing check-in, written as a compare-and-set so that of two devices scanning
the same ticket at the same moment exactly one admits it.

A code is an order `_id`, a `secretId`, or a QR payload (shared.domain.ticket_codes). A signed
payload must verify against one of our public keys and still match the order's current secret
(a refund or reissue changes it); an unsigned legacy `{"orderId": "<secretId>"}` is only a
look-up key, exactly like passing the secret itself, and grants nothing more.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.domain import scan_rules, ticket_codes
from shared.domain.models import Event, Order, Venue
from shared.domain.permissions import SCANNER, Principal, require_level, require_user
from shared.domain.ports import Repository
from shared.errors import DomainError, ErrorCode, invalid, not_found

INVALID_CODE = "This ticket code is not valid."
_SIGNED_KEYS = ("sig", "k", "v", "e")


class ScanOrders(Protocol):
    def by_id_or_secret(self, key: str) -> Order | None: ...

    def modify(
        self, order_id: str, change: Callable[[Order], tuple[Order, list[str]]]
    ) -> tuple[Order, list[str]]: ...


class ScanCatalog(Protocol):
    @property
    def events(self) -> Repository[Event]: ...

    @property
    def venues(self) -> Repository[Venue]: ...


def signing_keys(private_key_setting: str) -> dict[str, Ed25519PublicKey]:
    """The verifier's keys: the public half of the signing key (more once keys rotate)."""
    signer = ticket_codes.TicketSigner(ticket_codes.private_key_from_setting(private_key_setting))
    return {signer.key_id: signer.public_key}


@dataclass(frozen=True)
class ScanResult:
    order: Order
    admitted: list[str]


@dataclass(frozen=True)
class _Code:
    key: str  # order _id or secretId to look up
    identity: ticket_codes.TicketIdentity | None = None  # set for verified signed codes


def bad_code() -> DomainError:
    return DomainError(ErrorCode.BAD_SIGNATURE, INVALID_CODE)


class ScanService:
    def __init__(
        self,
        catalog: ScanCatalog,
        orders: ScanOrders,
        public_keys: Mapping[str, Ed25519PublicKey],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        self.orders = orders
        self.public_keys = dict(public_keys)
        self.clock = clock

    def public_key_texts(self) -> dict[str, str]:
        """For offline scanners: {keyId: base64url raw public key}."""
        return {kid: ticket_codes.public_key_text(key) for kid, key in self.public_keys.items()}

    def _read_code(self, code: str) -> _Code:
        text = (code or "").strip()
        if not text:
            raise invalid("Scan a ticket code.", "orderId")
        if not text.startswith("{"):
            return _Code(text)
        try:
            body = ticket_codes.parse(text)
        except ticket_codes.InvalidTicketCodeError:
            raise bad_code() from None
        if not any(k in body for k in _SIGNED_KEYS):
            return _Code(body["orderId"])  # legacy unsigned code: a look-up key, nothing more
        try:
            identity = ticket_codes.verify(text, self.public_keys)
        except ticket_codes.InvalidTicketCodeError:
            raise bad_code() from None
        return _Code(identity.secret_id, identity)

    def _order_for(self, principal: Principal | None, code: str) -> tuple[Principal, Order, _Code]:
        caller = require_user(principal)
        read = self._read_code(code)
        order = self.orders.by_id_or_secret(read.key)
        if order is None:
            raise not_found("Order")
        if read.identity is not None and (
            order.secretId != read.identity.secret_id or order.eventId != read.identity.event_id
        ):
            raise bad_code()  # a code of a reissued secret, or signed for another event
        require_level(caller, SCANNER, order.orgId)  # D-3: the order's own org
        if order.seasonId and not order.eventId:
            # R-T3-2: a season order admits through its child order at each event, never itself
            # (it names no event, so one scan of it would pass any door of the season).
            raise DomainError(ErrorCode.REFUSED, "This is a season order: scan the ticket for this event.")
        return caller, order, read

    def _zone_and_start(self, order: Order) -> tuple[ZoneInfo, int]:
        """The venue's zone and the event start, read only when some ticket needs them."""
        if all(len(t.scan) == 1 for t in order.tickets):
            return scan_rules.zone(None), 0
        event = self.catalog.events.get(order.eventId) if order.eventId else None
        venue = None
        if event is not None and event.venueId and not (event.location and event.location.timezone):
            venue = self.catalog.venues.get(event.venueId)
        starts_at = event.schedule.startsAt if event is not None else 0
        return scan_rules.venue_zone(event, venue), int(starts_at or 0)

    def scan(
        self,
        principal: Principal | None,
        code: str,
        ticket_ids: Sequence[str | None] = (),
        upgrade_ids: Sequence[str | None] = (),
    ) -> ScanResult:
        caller, order, read = self._order_for(principal, code)
        tickets = list(dict.fromkeys(t for t in ticket_ids if t))
        upgrades = list(dict.fromkeys(u for u in upgrade_ids if u))
        if not tickets and not upgrades and read.identity is not None:
            if read.identity.kind == "ticket":
                tickets = [read.identity.item_id]
            elif read.identity.kind == "upgrade":
                upgrades = [read.identity.item_id]
        tz, starts_at = self._zone_and_start(order)

        def change(current: Order) -> tuple[Order, list[str]]:
            plan = scan_rules.plan_scan(
                current,
                tickets,
                upgrades,
                now=self.clock(),
                tz=tz,
                caller_id=caller.user_id,
                default_starts_at=starts_at,
            )
            return plan.order, plan.admitted

        updated, admitted = self.orders.modify(order.id, change)
        return ScanResult(updated, admitted)
