"""Firestore side of the sharded stock (shared.domain.inventory): one document per shard,
`inventory/{eventId}~{index}` = {eventId, index, capacity: {item: n}, taken: {item: n}}.

Takes and releases run inside Firestore transactions (pessimistic locks on the shards read), so
concurrent buyers serialise per shard, never per event.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.adapters.io_stats import record_reads, record_writes
from shared.domain.inventory import (
    Allocation,
    Shard,
    StockKey,
    apply_release,
    apply_take,
    plan_resize,
    plan_take,
    remaining,
)
from shared.errors import DomainError, ErrorCode

COLLECTION = "inventory"
IN_QUERY_LIMIT = 30  # Firestore's limit of values in one `in` filter
R = TypeVar("R")


def busy_error() -> DomainError:
    return DomainError(ErrorCode.BUSY, "Tickets are in high demand right now. Please try again.")


def shard_id(event_id: str, index: int) -> str:
    return f"{event_id}~{index:02d}"


def _to_doc(event_id: str, shard: Shard) -> dict[str, Any]:
    return {"eventId": event_id, "index": shard.index, "capacity": shard.capacity, "taken": shard.taken}


def _from_doc(data: Mapping[str, Any]) -> Shard:
    return Shard(int(data["index"]), dict(data.get("capacity") or {}), dict(data.get("taken") or {}))


class FirestoreInventory:
    def __init__(self, client: firestore.Client, max_attempts: int = 10) -> None:
        self.client = client
        self.collection = client.collection(COLLECTION)
        self.max_attempts = max_attempts

    def ref(self, event_id: str, index: int) -> firestore.DocumentReference:
        return self.collection.document(shard_id(event_id, index))

    # --- writes inside a caller's batch or transaction -------------------------------------

    def write_initial(
        self, writer: firestore.WriteBatch | firestore.Transaction, event_id: str, shards: list[Shard]
    ) -> None:
        """Create the shards in the same batch that creates the event, so neither exists alone."""
        for shard in shards:
            writer.create(self.ref(event_id, shard.index), _to_doc(event_id, shard))

    def read_shards(
        self, transaction: firestore.Transaction | None, event_id: str, indexes: Iterable[int]
    ) -> list[Shard]:
        refs = [self.ref(event_id, i) for i in indexes]
        snapshots = list(self.client.get_all(refs, transaction=transaction))
        record_reads(len(refs))
        return [_from_doc(s.to_dict() or {}) for s in snapshots if s.exists]

    def take_in(
        self,
        transaction: firestore.Transaction,
        event_id: str,
        shard_count: int,
        wants: Mapping[StockKey, int],
    ) -> Allocation:
        """Reserve `wants` inside `transaction` (reads happen before any write of the caller's)."""
        if not any(q > 0 for q in wants.values()):
            return {}
        first = random.randrange(shard_count)  # noqa: S311 - load spreading, not security
        shards = self.read_shards(transaction, event_id, [first])
        try:
            allocation = plan_take(wants, shards, first)
        except DomainError:
            shards = self.read_shards(transaction, event_id, range(shard_count))
            allocation = plan_take(wants, shards, None)
        for shard in apply_take(shards, allocation):
            transaction.update(self.ref(event_id, shard.index), {"taken": shard.taken})
        record_writes(len(allocation))
        return allocation

    def release_in(self, transaction: firestore.Transaction, event_id: str, allocation: Allocation) -> None:
        if not allocation:
            return
        shards = self.read_shards(transaction, event_id, sorted(allocation))
        for shard in apply_release(shards, allocation):
            transaction.update(self.ref(event_id, shard.index), {"taken": shard.taken})
        record_writes(len(allocation))

    # --- self-contained operations ----------------------------------------------------------

    def run(self, work: Callable[[firestore.Transaction], R]) -> R:
        """Run `work` in a transaction, retried on contention; a buyer sees "busy", never a 500."""

        @firestore.transactional
        def attempt(transaction: firestore.Transaction) -> R:
            return work(transaction)

        try:
            result: R = attempt(self.client.transaction(max_attempts=self.max_attempts))
            return result
        except (google_exceptions.Aborted, google_exceptions.DeadlineExceeded, ValueError) as error:
            if isinstance(error, ValueError) and "Failed to commit transaction" not in str(error):
                raise
            raise busy_error() from error

    def take(self, event_id: str, shard_count: int, wants: Mapping[StockKey, int]) -> Allocation:
        return self.run(lambda t: self.take_in(t, event_id, shard_count, wants))

    def release(self, event_id: str, allocation: Allocation) -> None:
        self.run(lambda t: self.release_in(t, event_id, allocation))

    def resize(self, event_id: str, shard_count: int, new_caps: Mapping[StockKey, int]) -> None:
        def work(transaction: firestore.Transaction) -> None:
            shards = self.read_shards(transaction, event_id, range(shard_count))
            for shard in plan_resize(shards, new_caps):
                transaction.set(self.ref(event_id, shard.index), _to_doc(event_id, shard))
            record_writes(len(shards))

        self.run(work)

    # --- reads ------------------------------------------------------------------------------

    def live_stock(self, event_ids: Iterable[str]) -> dict[str, dict[StockKey, int]]:
        """Remaining units per item of each event: K documents per event, one query per 30."""
        wanted = list(dict.fromkeys(event_ids))
        by_event: dict[str, list[Shard]] = {e: [] for e in wanted}
        for start in range(0, len(wanted), IN_QUERY_LIMIT):
            chunk = wanted[start : start + IN_QUERY_LIMIT]
            snapshots = list(self.collection.where(filter=FieldFilter("eventId", "in", chunk)).stream())
            record_reads(max(1, len(snapshots)))
            for snapshot in snapshots:
                data = snapshot.to_dict() or {}
                by_event[str(data["eventId"])].append(_from_doc(data))
        return {event_id: remaining(shards) for event_id, shards in by_event.items()}

    def taken_totals(self, event_id: str, shard_count: int) -> dict[StockKey, int]:
        shards = self.read_shards(None, event_id, range(shard_count))
        totals: dict[StockKey, int] = {}
        for shard in shards:
            for key, units in shard.taken.items():
                totals[key] = totals.get(key, 0) + units
        return totals
