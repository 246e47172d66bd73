"""Reserved seating rules (SPEC 2.2, 3.10, 5.14 R-SEAT-1..5, R-ORD-6; D-5). Pure: no I/O.

An org's seats.io keys live in `seatings/{orgId}` (one record per org, so creating it twice at
once cannot leave two). A seated event is one with a `seatingChartKey`; its seats.io event key is
its `_id` with every `_` replaced by `SAMH`, as the original named them (charts and events made
by the original keep working).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.domain.models import Identified, Order
from shared.domain.permissions import ADMIN, Principal
from shared.errors import DomainError, ErrorCode

HOLD_MINUTES = 15  # R-SEAT-1/5: hold period of the org's sub-account, and of an extended token
SEAT_TAKEN = "That seat is no longer available"
ORDER_TIMED_OUT = "Your order timed out. Please start again."


class Seating(Identified):
    """The org's seats.io sub-account (a seats.io workspace today): `publicKey` renders charts in
    the portal; `secretKey` and `designerKey` are secrets (ADMIN+ of the org only, D-5)."""

    orgId: str  # noqa: N815 - stored camelCase, as every model (SPEC 2.1)
    publicKey: str  # noqa: N815 - stored camelCase, as every model (SPEC 2.1)
    secretKey: str  # noqa: N815 - stored camelCase, as every model (SPEC 2.1)
    designerKey: str  # noqa: N815 - stored camelCase, as every model (SPEC 2.1)
    createdAt: int  # noqa: N815 - stored camelCase, as every model (SPEC 2.1)
    updatedAt: int | None = None  # noqa: N815 - stored camelCase, as every model (SPEC 2.1)


@dataclass(frozen=True)
class WorkspaceKeys:
    public_key: str
    secret_key: str


@dataclass(frozen=True)
class SeatState:
    status: str  # seats.io's: "free", "booked", "reservedByToken" or a custom status
    order_id: str = ""
    hold_token: str = ""


class SeatingEventMissingError(Exception):
    """seats.io has no event with that key (e.g. created before the seated-event hook ran)."""


def event_key(event_id: str) -> str:
    """SPEC 2.2: the seats.io event key of a Sellout event."""
    return event_id.replace("_", "SAMH")


def is_seated(chart_key: str | None) -> bool:
    return bool((chart_key or "").strip())


def check_seat_selection(chart_key: str | None, seats: Sequence[str]) -> None:
    """R-ORD-6: on a seated event every ticket names a seat, and no seat twice in one order
    (an order of add-ons only has no seats)."""
    if not is_seated(chart_key):
        return
    labels = [s.strip() for s in seats]
    # REFUSED, not INVALID_INPUT: the portal shows these messages as they are (SPEC 2.7).
    if any(not label for label in labels):
        raise DomainError(ErrorCode.REFUSED, "Please select seats for all tickets.", ["tickets"])
    if any(count > 1 for count in Counter(labels).values()):
        raise DomainError(ErrorCode.REFUSED, "Each seat can only be sold once per order.", ["tickets"])


def require_hold_token(chart_key: str | None, hold_token: str) -> None:
    """R-ORD-6: a seated order without a seats.io hold token started too long ago (or never)."""
    if is_seated(chart_key) and not hold_token.strip():
        raise DomainError(ErrorCode.REFUSED, ORDER_TIMED_OUT, ["holdToken"])


def seat_labels(order: Order, ticket_ids: Sequence[str] | None = None) -> list[str]:
    """The seats of the order's tickets (all, or only `ticket_ids`), in ticket order."""
    wanted = None if ticket_ids is None else set(ticket_ids)
    return [t.seat for t in order.tickets if t.seat and (wanted is None or t.id in wanted)]


def view(seating: Seating | None, principal: Principal | None) -> dict[str, Any] | None:
    """R-SEAT-5 / D-5: everyone may see the public key; the secret and designer keys only ADMIN+
    of the seating's own org (SUPER_USER included)."""
    if seating is None:
        return None
    admin = principal is not None and principal.level_in(seating.orgId) >= ADMIN
    return {
        "publicKey": seating.publicKey,
        "secretKey": seating.secretKey if admin else None,
        "designerKey": seating.designerKey if admin else None,
    }
