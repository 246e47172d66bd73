import pytest

from shared.domain.inventory import (
    FIRST_SHARD,
    MAX_SHARDS,
    UNITS_PER_SHARD,
    InventoryConflictError,
    Shard,
    SoldOutError,
    apply_release,
    apply_take,
    initial_shards,
    plan_resize,
    plan_take,
    remaining,
    shard_count,
    split,
    ticket_type_key,
    tier_key,
    with_live_stock,
)
from shared.domain.models import Event, TicketTier, TicketType


def _event(total=100, tiers=(60, 40)):
    return Event(
        orgId="o",
        createdAt=0,
        ticketTypes=[
            TicketType(_id="ga", name="GA", totalQty=total, remainingQty=total,
                       tiers=[TicketTier(_id=f"t{i}", name=f"T{i}", price=100, totalQty=q, remainingQty=q)
                              for i, q in enumerate(tiers)])
        ],
    )  # fmt: skip


def test_split_spreads_the_remainder_over_the_first_shards():
    assert split(10, 4) == [3, 3, 2, 2]
    assert split(3, 5) == [1, 1, 1, 0, 0]
    assert sum(split(1001, 16)) == 1001


def test_shard_count_grows_with_capacity_so_no_shard_sells_more_than_ten_units():
    assert shard_count(_event(10, (10,))) == 1
    assert shard_count(_event(1000, (1000,))) == 100
    assert shard_count(_event(20_000, (20_000,))) == 2_000
    assert shard_count(_event(10**7, (10**7,))) == MAX_SHARDS
    for shard in initial_shards(_event(1000, (1000,))):
        assert shard.capacity[ticket_type_key("ga")] <= UNITS_PER_SHARD


def test_initial_shards_hold_every_items_capacity():
    shards = initial_shards(_event())
    assert remaining(shards) == {ticket_type_key("ga"): 100, tier_key("t0"): 60, tier_key("t1"): 40}


def test_a_take_served_by_the_first_shard_touches_only_it():
    shards = initial_shards(_event())
    first = FIRST_SHARD + 1
    allocation = plan_take({ticket_type_key("ga"): 2, tier_key("t0"): 2}, shards, first=first)
    assert allocation == {first: {ticket_type_key("ga"): 2, tier_key("t0"): 2}}


def test_a_take_larger_than_any_shard_spreads_over_several():
    shards = initial_shards(_event(20, (20,)))  # 2 shards of 10
    allocation = plan_take({ticket_type_key("ga"): 15}, shards, first=0)
    assert sum(parts[ticket_type_key("ga")] for parts in allocation.values()) == 15
    apply_take(shards, allocation)
    assert remaining(shards)[ticket_type_key("ga")] == 5


def test_more_than_remains_is_sold_out_with_the_number_left():
    shards = initial_shards(_event(20, (20,)))
    apply_take(shards, plan_take({ticket_type_key("ga"): 18}, shards))
    with pytest.raises(SoldOutError) as caught:
        plan_take({ticket_type_key("ga"): 3}, shards, first=0)
    assert caught.value.available == 2
    assert "only 2" in caught.value.message


def test_release_gives_units_back_to_their_shards_and_never_below_zero():
    shards = initial_shards(_event())
    allocation = plan_take({ticket_type_key("ga"): 4}, shards, first=0)
    apply_take(shards, allocation)
    apply_release(shards, allocation)
    apply_release(shards, allocation)  # a duplicate release cannot create stock
    assert remaining(shards)[ticket_type_key("ga")] == 100


def test_resize_keeps_sold_units_and_refuses_to_cut_below_them():
    shards = initial_shards(_event())
    apply_take(shards, plan_take({ticket_type_key("ga"): 30, tier_key("t0"): 30}, shards))
    plan_resize(shards, {ticket_type_key("ga"): 50, tier_key("t0"): 60, tier_key("t1"): 40})
    assert remaining(shards)[ticket_type_key("ga")] == 20  # 50 total - 30 sold (R-EV-3)
    with pytest.raises(InventoryConflictError):
        plan_resize(shards, {ticket_type_key("ga"): 29, tier_key("t0"): 60, tier_key("t1"): 40})
    with pytest.raises(InventoryConflictError):
        plan_resize(shards, {ticket_type_key("ga"): 50, tier_key("t1"): 40})  # t0 has sales


def test_resize_can_add_and_remove_unsold_items():
    shards = initial_shards(_event())
    plan_resize(shards, {ticket_type_key("ga"): 100, tier_key("t0"): 60, "u:parking": 7})
    assert remaining(shards) == {ticket_type_key("ga"): 100, tier_key("t0"): 60, "u:parking": 7}


def test_live_stock_overrides_stored_remaining_quantities():
    event = _event()
    live = with_live_stock(event, {ticket_type_key("ga"): 12, tier_key("t0"): 0, tier_key("t1"): 12})
    assert live.ticketTypes[0].remainingQty == 12
    assert [t.remainingQty for t in live.ticketTypes[0].tiers] == [0, 12]
    assert event.ticketTypes[0].remainingQty == 100  # the stored event is untouched


def test_shards_never_hand_out_units_they_do_not_have():
    shard = Shard(0, {"t:x": 1}, {"t:x": 1})
    with pytest.raises(SoldOutError):
        plan_take({"t:x": 1}, [shard], first=0)


def test_a_capacity_raise_goes_into_new_small_shards_and_a_cut_into_the_existing_ones():
    from shared.domain.inventory import plan_growth

    shards = initial_shards(_event(100, (60, 40)))  # 10 shards of 10
    keep, new = plan_growth(shards, {ticket_type_key("ga"): 150, tier_key("t0"): 110, tier_key("t1"): 30})
    assert keep == {ticket_type_key("ga"): 100, tier_key("t0"): 60, tier_key("t1"): 30}
    assert len(new) == 5 and min(s.index for s in new) == max(s.index for s in shards) + 1
    assert remaining(new) == {ticket_type_key("ga"): 50, tier_key("t0"): 50}
    assert all(s.capacity[ticket_type_key("ga")] == s.capacity[tier_key("t0")] == 10 for s in new)
