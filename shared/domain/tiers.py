"""Price tiers of a ticket type (SPEC R-INV-1, R-INV-2, D-12). Pure: the caller passes a ticket
type whose `remainingQty` values are already the live numbers (inventory merged before calling).

Decisions where the SPEC is silent:
- A tier's `startsAt` does not affect its status. R-INV-1 defines status from the tier's own
  quantity and end date and from its predecessor only; when *when* a ticket type goes on sale is
  the event's `schedule.ticketsAt` (R-ORD-2). Gating on `startsAt` too would stall quantity-based
  roll-over: an early-bird tier that sells out before the next tier's `startsAt` would leave the
  ticket type unpurchasable until then.
- `endsAt == 0` means "no end date" (the stored default of a tier created without one), not
  "ended in 1970": read literally it would make every such tier Past.
"""

from __future__ import annotations

from typing import Literal

from shared.domain.models import TicketTier, TicketType

TierStatus = Literal["In Progress", "Past", "Not Started"]


def is_past(tier: TicketTier, now: int) -> bool:
    """R-INV-1: sold out, or its own end date has passed (D-12: the original ignored `endsAt`)."""
    return tier.remainingQty == 0 or (tier.endsAt != 0 and tier.endsAt < now)


def tier_statuses(ticket_type: TicketType, now: int) -> list[TierStatus]:
    """The status of every tier, in order (R-INV-1): a tier is In Progress when it is not Past
    and the tier before it is Past (or it is the first); otherwise it is Not Started."""
    statuses: list[TierStatus] = []
    previous_past = True  # the first tier has no predecessor to wait for
    for tier in ticket_type.tiers:
        past = is_past(tier, now)
        if past:
            statuses.append("Past")
        elif previous_past:
            statuses.append("In Progress")
        else:
            statuses.append("Not Started")
        previous_past = past
    return statuses


def tier_status(ticket_type: TicketType, index: int, now: int) -> TierStatus:
    """Status of tier `index` of `ticket_type` (R-INV-1; see the module docstring for `startsAt`
    and `endsAt == 0`). Raises IndexError for an index outside the tier list."""
    return tier_statuses(ticket_type, now)[index]


def current_tier(ticket_type: TicketType, now: int) -> TicketTier | None:
    """The first In-Progress tier: the one online orders sell from (R-INV-1, R-INV-2). None means
    the ticket type is not purchasable right now."""
    statuses = tier_statuses(ticket_type, now)
    return next((t for t, s in zip(ticket_type.tiers, statuses, strict=True) if s == "In Progress"), None)


def box_office_tiers(ticket_type: TicketType, now: int) -> list[TicketTier]:
    """The tiers the box office may sell from: every tier that is not Past (R-INV-2)."""
    return [t for t in ticket_type.tiers if not is_past(t, now)]
