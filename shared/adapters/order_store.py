"""Firestore side of order reads and check-ins that the generic repository does not cover.

Check-ins (SPEC R-SCAN-4, D-3; SECURITY 22) are a compare-and-set on the order document: read it
with its update time, let the caller plan the change, then write only if nobody changed the
document since the read (`write_option(last_update_time=...)`). A scanner that lost a race
re-reads and re-plans, and then sees the winner's mark ("already scanned"). No lock is held,
so ten devices on one ticket never queue behind a transaction lock (see inventory_store).

Queries and the composite indexes they need (firestore.indexes.json). Lists newest first read
each of the CREATED_SHARDS lanes (`createdShard ==`, shared.domain.models) and merge them, so
no index range takes every new order of an org at its end:
    orders: orgId ==, [eventId in], createdShard ==, [createdAt range], order by createdAt desc
        -> (orgId ASC, createdShard ASC, createdAt DESC),
           (orgId ASC, eventId ASC, createdShard ASC, createdAt DESC)
    orders: orgId in [..30], createdShard ==, [createdAt range], order by createdAt desc
        -> (orgId ASC, createdShard ASC, createdAt DESC)
    orders: userId ==, createdShard ==, [createdAt range], order by createdAt desc
        -> (userId ASC, createdShard ASC, createdAt DESC)
    (`createdAt` alone is not indexed: a single-field index on it would be one such range.)
    orders: eventId ==, state == (orderDetails, projected to tickets/upgrades)
        -> (eventId ASC, state ASC) (the emulator would merge single-field indexes; production
           gets the composite so the query is a single index scan)
    orders: secretId == (single-field index, automatic)
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import ValidationError

from shared.adapters.io_stats import record_reads, record_writes
from shared.domain.models import (
    CREATED_SHARDS,
    Order,
    OrderTicket,
    OrderUpgrade,
    newest_first,
    newest_first_key,
)
from shared.errors import DomainError, ErrorCode

COLLECTION = "orders"
IN_QUERY_LIMIT = 30
R = TypeVar("R")


def busy_error() -> DomainError:
    return DomainError(ErrorCode.BUSY, "The scanner is busy right now. Please try again.")


def _load(data: dict[str, Any] | None) -> Order:
    try:
        return Order.model_validate(data or {})
    except ValidationError as error:
        raise DomainError(ErrorCode.INTERNAL, "Stored data is invalid.") from error


def by_lane(query: Any) -> list[Any]:
    """`query` once per `createdShard` lane, each newest first: the lanes together are the
    query's result (see the module docstring)."""
    return [
        query.where(filter=FieldFilter("createdShard", "==", lane)).order_by(
            "createdAt", direction=firestore.Query.DESCENDING
        )
        for lane in range(CREATED_SHARDS)
    ]


def changed_fields(before: Order, after: Order) -> dict[str, Any]:
    """Top-level document fields that differ (each is written whole)."""
    old, new = before.doc(), after.doc()
    return {k: v for k, v in new.items() if old.get(k) != v}


class FirestoreOrderStore:
    def __init__(self, client: firestore.Client, max_attempts: int = 20) -> None:
        self.client = client
        self.collection = client.collection(COLLECTION)
        self.max_attempts = max_attempts

    # --- look-ups -------------------------------------------------------------------------

    def by_id_or_secret(self, key: str) -> Order | None:
        """SPEC 2.2: an order by `_id`, else by `secretId`."""
        key = key.strip()
        if not key:
            return None
        if "/" not in key:
            snapshot = self.collection.document(key).get()
            record_reads(1)
            if snapshot.exists:
                return _load(snapshot.to_dict())
        found = list(self.collection.where(filter=FieldFilter("secretId", "==", key)).limit(1).stream())
        record_reads(1)
        return _load(found[0].to_dict()) if found else None

    def season_children(self, parent_id: str) -> list[Order]:
        """A season order's hidden child orders (R-T3-2), in their events' order of ids."""
        query = self.collection.where(filter=FieldFilter("parentSeasonOrderId", "==", parent_id))
        snapshots = list(query.stream())
        record_reads(max(1, len(snapshots)))
        children = [o for s in snapshots if (o := _load(s.to_dict())) is not None]
        return sorted(children, key=lambda o: o.id)

    def find_orders(
        self,
        *,
        org_ids: Sequence[str] = (),
        user_id: str = "",
        event_ids: Sequence[str] = (),
        created_from: int | None = None,
        created_to: int | None = None,
        limit: int | None = None,
    ) -> list[Order]:
        """Orders of some orgs (or of one buyer), newest first, with the filters Firestore can
        apply itself; `event_ids` only with a single org (one disjunction per query). One query
        per lane, each with the whole `limit`, merged."""
        lanes = by_lane(self._orders_query(org_ids, user_id, event_ids, created_from, created_to))
        snapshots = [s for lane in lanes for s in (lane if limit is None else lane.limit(limit)).stream()]
        record_reads(max(1, len(snapshots)))
        orders = newest_first(_load(s.to_dict()) for s in snapshots)
        return orders if limit is None else orders[:limit]

    def order_pages(
        self,
        *,
        org_ids: Sequence[str],
        event_ids: Sequence[str] = (),
        created_from: int | None = None,
        created_to: int | None = None,
        page_size: int = 300,
    ) -> Iterator[list[Order]]:
        """find_orders' orders a page at a time (background exports): each lane is read in short
        queries resumed after the last document read, so neither a long stream (which Firestore
        times out) nor the whole result is held, and the lanes are merged as they are read."""
        lanes = by_lane(self._orders_query(org_ids, "", event_ids, created_from, created_to))
        merged = heapq.merge(
            *(self._paged(lane, page_size) for lane in lanes), key=newest_first_key, reverse=True
        )
        page: list[Order] = []
        for order in merged:
            page.append(order)
            if len(page) == page_size:
                yield page
                page = []
        if page:
            yield page

    @staticmethod
    def _paged(query: Any, page_size: int) -> Iterator[Order]:
        last: Any = None
        while True:
            page = (query if last is None else query.start_after(last)).limit(page_size)
            snapshots = list(page.stream())
            record_reads(max(1, len(snapshots)))
            yield from (_load(s.to_dict()) for s in snapshots)
            if len(snapshots) < page_size:
                return
            last = snapshots[-1]

    def _orders_query(
        self,
        org_ids: Sequence[str],
        user_id: str,
        event_ids: Sequence[str],
        created_from: int | None,
        created_to: int | None,
    ) -> Any:
        query: Any = self.collection
        if user_id:
            query = query.where(filter=FieldFilter("userId", "==", user_id))
        if len(org_ids) == 1:
            query = query.where(filter=FieldFilter("orgId", "==", org_ids[0]))
        elif org_ids:
            query = query.where(filter=FieldFilter("orgId", "in", list(org_ids)[:IN_QUERY_LIMIT]))
        if event_ids:
            query = query.where(filter=FieldFilter("eventId", "in", list(event_ids)[:IN_QUERY_LIMIT]))
        if created_from is not None:
            query = query.where(filter=FieldFilter("createdAt", ">=", created_from))
        if created_to is not None:
            query = query.where(filter=FieldFilter("createdAt", "<=", created_to))
        return query  # by_lane adds each lane and the order

    def active_items(self, event_id: str) -> tuple[list[OrderTicket], list[OrderUpgrade]]:
        """Tickets and upgrades of the event's Active orders: one query, projected to the two
        lists (R-SCAN-6)."""
        query = (
            self.collection.where(filter=FieldFilter("eventId", "==", event_id))
            .where(filter=FieldFilter("state", "==", "Active"))
            .select(["tickets", "upgrades"])
        )
        tickets: list[OrderTicket] = []
        upgrades: list[OrderUpgrade] = []
        count = 0
        for snapshot in query.stream():
            count += 1
            data = snapshot.to_dict() or {}
            tickets += [OrderTicket.model_validate(t) for t in data.get("tickets") or []]
            upgrades += [OrderUpgrade.model_validate(u) for u in data.get("upgrades") or []]
        record_reads(max(1, count))
        return tickets, upgrades

    # --- compare-and-set ------------------------------------------------------------------

    def read_versioned(self, order_id: str) -> tuple[Order, Any] | None:
        snapshot = self.collection.document(order_id).get()
        record_reads(1)
        return (_load(snapshot.to_dict()), snapshot.update_time) if snapshot.exists else None

    def write_if_unchanged(self, before: Order, after: Order, update_time: Any) -> bool:
        """Write the changed fields only if the document is still as read. False = lost a race."""
        fields = changed_fields(before, after)
        if not fields:
            return True
        try:
            self.collection.document(before.id).update(
                fields, option=self.client.write_option(last_update_time=update_time)
            )
        except (google_exceptions.FailedPrecondition, google_exceptions.Aborted):
            return False
        except google_exceptions.NotFound:
            raise DomainError(ErrorCode.NOT_FOUND, "Order not found.") from None
        record_writes(1)
        return True

    def modify(self, order_id: str, change: Callable[[Order], tuple[Order, R]]) -> tuple[Order, R]:
        """Apply `change` to the current order atomically: `change` sees the latest stored order
        and returns the new order plus a result; it may raise to refuse (nothing is written).
        Retried on a lost race, so `change` must be a pure function of the order it is given."""
        for tries in range(self.max_attempts):
            current = self.read_versioned(order_id)
            if current is None:
                raise DomainError(ErrorCode.NOT_FOUND, "Order not found.")
            order, update_time = current
            updated, result = change(order)
            if self.write_if_unchanged(order, updated, update_time):
                return updated, result
            time.sleep(random.uniform(0.002, min(0.1, 0.01 * (tries + 1))))  # noqa: S311 - jitter
        raise busy_error()
