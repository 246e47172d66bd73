"""Firestore side of the sharded stock (shared.domain.inventory): one document per shard,
`inventory/{eventId}~{index}` = {eventId, index, capacity: {item: n}, taken: {item: n}}.

Takes and releases use optimistic concurrency: read the shard, plan, then write it only if it is
unchanged since the read (a precondition on its update time), in one atomic batch with the
caller's own documents. Nobody holds a lock, so a crowd of buyers never queues on one; a buyer
who lost a race re-reads and retries after a few milliseconds. (Firestore transactions take
pessimistic locks here: 32 buyers on two shards timed out on the emulator's lock queue.)
"""

from __future__ import annotations

import random
import time
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
    def __init__(self, client: firestore.Client, max_attempts: int = 40) -> None:
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
        return [shard for shard, _ in self._read_versioned(event_id, indexes, transaction)]

    def _read_versioned(
        self, event_id: str, indexes: Iterable[int], transaction: firestore.Transaction | None = None
    ) -> list[tuple[Shard, Any]]:
        refs = [self.ref(event_id, i) for i in indexes]
        snapshots = list(self.client.get_all(refs, transaction=transaction))
        record_reads(len(refs))
        return [(_from_doc(s.to_dict() or {}), s.update_time) for s in snapshots if s.exists]

    def _commit_if_unchanged(
        self,
        event_id: str,
        shards: list[tuple[Shard, Any]],
        extra_writes: Callable[[firestore.WriteBatch], None] | None,
    ) -> bool:
        """Write the shards only if nobody changed them since we read them (compare-and-set on
        update time), together with the caller's writes, atomically. False = lost a race."""
        batch = self.client.batch()
        for shard, update_time in shards:
            batch.update(
                self.ref(event_id, shard.index),
                {"taken": shard.taken},
                option=self.client.write_option(last_update_time=update_time),
            )
        if extra_writes:
            extra_writes(batch)
        try:
            batch.commit()
        except (google_exceptions.FailedPrecondition, google_exceptions.Aborted, google_exceptions.NotFound):
            return False
        record_writes(len(batch))  # the shards and every write the caller added
        return True

    def _retrying(self, attempt: Callable[[], R | None]) -> R:
        """Optimistic concurrency: a buyer who lost a race re-reads and tries again after a short
        random pause; no locks are held, so a crowd never stalls on a lock queue."""
        for tries in range(self.max_attempts):
            result = attempt()
            if result is not None:
                return result
            time.sleep(random.uniform(0.002, min(0.25, 0.01 * (tries + 1))))  # noqa: S311 - jitter, not security
        raise busy_error()

    def take(
        self,
        event_id: str,
        shard_count: int,
        wants: Mapping[StockKey, int],
        extra_writes: Callable[[firestore.WriteBatch, Allocation], None] | None = None,
    ) -> Allocation:
        """Take `wants` from the event's shards and commit `extra_writes` (the order or
        reservation that owns the units) in the same atomic batch. SOLD_OUT when they don't exist."""
        wants = {k: q for k, q in wants.items() if q > 0}

        def attempt() -> Allocation | None:
            first = random.randrange(shard_count)  # noqa: S311 - load spreading, not security
            versioned = self._read_versioned(event_id, [first])
            try:
                allocation = plan_take(wants, [s for s, _ in versioned], first)
            except DomainError:
                versioned = self._read_versioned(event_id, range(shard_count))
                allocation = plan_take(wants, [s for s, _ in versioned], None)
            touched = {s.index for s in apply_take([s for s, _ in versioned], allocation)}
            writes = (lambda batch: extra_writes(batch, allocation)) if extra_writes else None
            changed = [(s, t) for s, t in versioned if s.index in touched]
            return allocation if self._commit_if_unchanged(event_id, changed, writes) else None

        return self._retrying(attempt)

    def release(
        self,
        event_id: str,
        allocation: Allocation,
        extra_writes: Callable[[firestore.WriteBatch], None] | None = None,
    ) -> None:
        """Give an allocation's units back, with the caller's writes (e.g. the reservation marked
        released) in the same atomic batch, so a unit is never released twice."""

        def attempt() -> bool | None:
            versioned = self._read_versioned(event_id, sorted(allocation))
            apply_release([s for s, _ in versioned], allocation)
            return True if self._commit_if_unchanged(event_id, versioned, extra_writes) else None

        if allocation or extra_writes:
            self._retrying(attempt)

    def return_units(
        self,
        event_id: str,
        shard_count: int,
        units: Mapping[StockKey, int],
        extra_writes: Callable[[firestore.WriteBatch], None] | None = None,
    ) -> None:
        """Give `units` back when we no longer know which shards they came from (refunds: orders
        do not keep their allocation): each unit goes to a shard whose `taken` covers it. Atomic
        with the caller's writes (which must guard themselves, so nothing is returned twice);
        compare-and-set on every shard touched, re-read and retried on a lost race."""
        wanted = {k: q for k, q in units.items() if q > 0}

        def attempt() -> bool | None:
            versioned = self._read_versioned(event_id, range(shard_count)) if wanted else []
            allocation: Allocation = {}
            for key, quantity in wanted.items():
                left = quantity
                for shard, _ in versioned:
                    part = min(left, shard.taken.get(key, 0))
                    if part:
                        allocation.setdefault(shard.index, {})[key] = part
                        left -= part
                    if not left:
                        break
            touched = {s.index for s in apply_release([s for s, _ in versioned], allocation)}
            changed = [(s, t) for s, t in versioned if s.index in touched]
            return True if self._commit_if_unchanged(event_id, changed, extra_writes) else None

        if wanted or extra_writes:
            self._retrying(attempt)

    def resize(self, event_id: str, shard_count: int, new_caps: Mapping[StockKey, int]) -> None:
        def attempt() -> bool | None:
            versioned = self._read_versioned(event_id, range(shard_count))
            plan_resize([s for s, _ in versioned], new_caps)
            batch = self.client.batch()
            for shard, update_time in versioned:
                batch.update(
                    self.ref(event_id, shard.index),
                    {"capacity": shard.capacity, "taken": shard.taken},
                    option=self.client.write_option(last_update_time=update_time),
                )
            try:
                batch.commit()
            except (google_exceptions.FailedPrecondition, google_exceptions.Aborted):
                return None
            record_writes(len(versioned))
            return True

        self._retrying(attempt)

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
