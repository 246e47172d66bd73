"""Order lists read the createdShard lanes and merge them (shared.domain.models.CREATED_SHARDS):
a flash sale's orders append to CREATED_SHARDS index ranges instead of one, and every list still
sees every order, newest first, whatever lane it landed in."""

from __future__ import annotations

import time

from shared.bootstrap import services
from shared.domain.models import CREATED_SHARDS, created_shard
from tests.integration.api import make_org
from tests.integration.orders_fixtures import make_event, make_order


def _orders_in_every_lane(per_lane: int = 3) -> tuple[str, list[str]]:
    """Orders spread over every lane, with createdAt interleaved across lanes (and one tie)."""
    org = make_org()
    event = make_event(org.id)
    start = int(time.time()) - 1000
    ids = []
    for i in range(per_lane * CREATED_SHARDS):
        created = start if i < 2 else start + i  # two orders in the same second
        ids.append(make_order(event, created_at=created, createdShard=i % CREATED_SHARDS).id)
    return org.id, ids


def test_a_limited_list_returns_the_newest_orders_of_all_lanes() -> None:
    org_id, ids = _orders_in_every_lane()
    newest = services().order_store.find_orders(org_ids=[org_id], limit=5)
    assert [o.id for o in newest] == list(reversed(ids))[:5]
    assert {o.createdShard for o in newest} == set(range(CREATED_SHARDS))


def test_pages_merge_the_lanes_without_gaps_repeats_or_disorder() -> None:
    org_id, ids = _orders_in_every_lane()
    pages = list(services().order_store.order_pages(org_ids=[org_id], page_size=5))
    read = [o for page in pages for o in page]
    assert [len(p) for p in pages] == [5, 5, 2]
    assert sorted(o.id for o in read) == sorted(ids)
    created = [o.createdAt for o in read]
    assert created == sorted(created, reverse=True)


def test_the_checkout_spreads_orders_over_the_lanes_and_lists_them_all() -> None:
    org = make_org()
    event = make_event(org.id)
    orders = [make_order(event) for _ in range(40)]  # an Order built as the checkout builds one
    lanes = {o.createdShard for o in orders}
    assert lanes <= set(range(CREATED_SHARDS))
    assert len(lanes) >= 3  # lanes from random ids: all 40 in two of four would be a 1-in-10^11 draw
    assert all(o.createdShard == created_shard({"id": o.id}) for o in orders)  # the same if built again
    listed = services().order_store.find_orders(org_ids=[org.id])
    assert sorted(o.id for o in listed) == sorted(o.id for o in orders)
