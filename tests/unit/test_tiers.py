"""Tier status and the current tier (SPEC R-INV-1, R-INV-2, D-12)."""

from __future__ import annotations

import pytest

from shared.domain.models import TicketTier, TicketType
from shared.domain.tiers import box_office_tiers, current_tier, tier_status, tier_statuses

NOW = 1_700_000_000
DAY = 86_400


def tier(tier_id: str, remaining: int = 10, ends_at: int = NOW + DAY, starts_at: int = 0) -> TicketTier:
    return TicketTier(
        _id=tier_id,
        name=tier_id,
        price=1000,
        totalQty=10,
        remainingQty=remaining,
        endsAt=ends_at,
        startsAt=starts_at,
    )


def ticket_type(*tiers: TicketTier) -> TicketType:
    return TicketType(name="GA", totalQty=100, remainingQty=100, tiers=list(tiers))


def test_first_tier_is_in_progress_and_later_ones_wait():
    tt = ticket_type(tier("early"), tier("regular"), tier("door"))
    assert tier_statuses(tt, NOW) == ["In Progress", "Not Started", "Not Started"]
    assert current_tier(tt, NOW) == tt.tiers[0]


def test_roll_over_by_quantity():
    tt = ticket_type(tier("early", remaining=0), tier("regular"), tier("door"))
    assert tier_statuses(tt, NOW) == ["Past", "In Progress", "Not Started"]
    assert current_tier(tt, NOW) == tt.tiers[1]


def test_roll_over_by_date_even_with_stock_left():
    # D-12: the original ignored the tier's own endsAt, so the early tier never ended by date.
    tt = ticket_type(tier("early", remaining=7, ends_at=NOW - 1), tier("regular"))
    assert [tier_status(tt, i, NOW) for i in range(2)] == ["Past", "In Progress"]
    assert current_tier(tt, NOW) == tt.tiers[1]


def test_a_tier_is_still_current_at_its_end_second():
    tt = ticket_type(tier("early", ends_at=NOW), tier("regular"))
    assert tier_status(tt, 0, NOW) == "In Progress"
    assert tier_status(tt, 0, NOW + 1) == "Past"


def test_roll_over_skips_every_past_tier():
    tt = ticket_type(tier("a", remaining=0), tier("b", ends_at=NOW - DAY), tier("c"))
    assert tier_statuses(tt, NOW) == ["Past", "Past", "In Progress"]
    assert current_tier(tt, NOW) == tt.tiers[2]


def test_a_later_tier_after_a_past_one_is_in_progress_but_the_first_in_progress_is_current():
    tt = ticket_type(tier("a"), tier("b", remaining=0), tier("c"))
    assert tier_statuses(tt, NOW) == ["In Progress", "Past", "In Progress"]
    assert current_tier(tt, NOW) == tt.tiers[0]


def test_every_tier_past_means_not_purchasable():
    tt = ticket_type(tier("a", remaining=0), tier("b", ends_at=NOW - 1))
    assert current_tier(tt, NOW) is None
    assert box_office_tiers(tt, NOW) == []


def test_starts_at_does_not_hold_back_a_tier():
    # Decision (module docstring): R-INV-1 ignores startsAt; the event's ticketsAt opens sales.
    tt = ticket_type(tier("early", remaining=0), tier("regular", starts_at=NOW + DAY))
    assert current_tier(tt, NOW) == tt.tiers[1]


def test_zero_end_date_means_no_end():
    tt = ticket_type(tier("only", ends_at=0))
    assert tier_status(tt, 0, NOW) == "In Progress"


def test_box_office_may_sell_any_tier_that_is_not_past():
    tt = ticket_type(tier("a", remaining=0), tier("b"), tier("c"))
    assert [t.id for t in box_office_tiers(tt, NOW)] == ["b", "c"]


def test_index_outside_the_tiers_is_an_error():
    with pytest.raises(IndexError):
        tier_status(ticket_type(tier("a")), 1, NOW)
