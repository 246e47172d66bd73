"""A reservation holds stock for one checkout while the buyer pays (SPEC 5.8, SECURITY 14).

held ──paid and recorded──▶ fulfilled
  │                             ▲
  └──expired or payment failed──▶ released ──paid late, stock still there──┘

The reservation carries the fully priced order it will become, so the amount charged, the
order written and the stock held can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from shared.domain.inventory import Allocation
from shared.domain.member_tickets import MemberUse
from shared.domain.models import Identified, Order

HOLD_SECONDS = 15 * 60

ReservationState = Literal["held", "fulfilled", "released"]


class Reservation(Identified):
    orgId: str
    eventId: str
    userId: str
    createdAt: int
    expiresAt: int
    state: ReservationState = "held"
    order: Order
    wants: dict[str, int] = Field(default_factory=dict)
    # Firestore map keys are strings: shard index -> stock key -> units.
    allocation: dict[str, dict[str, int]] = Field(default_factory=dict)
    shardCount: int
    amount: int
    applicationFee: int = 0
    stripeAccount: str = ""
    paymentIntentId: str = ""
    orderId: str = ""
    # The buyer's per-code use counters this reservation holds, and their limits (re-claimed if a
    # late payment re-takes an expired reservation).
    codeUses: list[str] = Field(default_factory=list)
    codeLimits: dict[str, int] = Field(default_factory=dict)
    # The member-id claims this reservation holds (R-ORD-7), with their limits, for the same reason.
    memberUses: list[MemberUse] = Field(default_factory=list)
    # Seated events (R-SEAT-3): the seat labels this checkout books on seats.io under the order's
    # id (booked once the buyer's hold token arrives with createOrder; freed on release).
    seats: list[str] = Field(default_factory=list)
    seatingChartKey: str = ""
    # Season checkouts (R-T3-2): the stock held is the season's (`eventId` stays empty), and the
    # hidden child orders, built and checked before any money moved, are written with the order.
    seasonId: str = ""
    children: list[Order] = Field(default_factory=list)

    @property
    def stock_id(self) -> str:
        """The listing whose stock shards hold this reservation's units: the event or the season."""
        return self.seasonId or self.eventId

    def held_allocation(self) -> Allocation:
        return {int(index): dict(parts) for index, parts in self.allocation.items()}

    @staticmethod
    def stored_allocation(allocation: Allocation) -> dict[str, dict[str, int]]:
        return {str(index): dict(parts) for index, parts in allocation.items()}


@dataclass(frozen=True)
class CodeClaim:
    """One use of a promotion or discount code by one buyer, and the code's per-buyer limit."""

    doc_id: str
    limit: int


def code_use_id(event_id: str, promotion_id: str, user_id: str) -> str:
    return f"{event_id}~{promotion_id}~{user_id}"


class StaleReservationError(Exception):
    """Someone else changed the reservation first: re-read it and decide again."""


class AlreadyRecordedError(Exception):
    """The reservation or order with this id exists already (a retried request)."""
