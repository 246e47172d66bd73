"""Firestore writes of an event that must stay consistent with its stock shards
(shared.domain.inventory): creation with its shards (in one batch when they fit, else the shards
first and the event last), and hold changes that move units between the shards and the event's
`holds` atomically.

Hold changes use the same optimistic concurrency as sales: read the event and its shards, plan,
then commit only if none of them changed since the read (preconditions on update times); a lost
race re-reads and re-plans. Because a hold records the units it took (per shard), re-planning a
retried request sees the stored hold and changes nothing twice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore

from shared.adapters.inventory_store import BATCH_WRITES, FirestoreInventory, busy_error, shard_fields
from shared.adapters.io_stats import record_reads, record_writes
from shared.domain.inventory import CURRENT_LAYOUT, FIRST_SHARD, Shard, initial_shards
from shared.domain.models import Event, TicketedListing
from shared.errors import DomainError, ErrorCode

EVENTS = "events"
L = TypeVar("L", bound=TicketedListing)

# Given the stored event and its shards: the event to store and the shards changed (None = no-op).
HoldPlanner = Callable[[L, list[Shard]], tuple[L, list[Shard]] | None]


class FirestoreEventWriter(Generic[L]):
    """Events by default; seasons (SPEC 3.7) are the same writes on their own collection."""

    def __init__(
        self,
        client: firestore.Client,
        inventory: FirestoreInventory,
        max_attempts: int = 20,
        *,
        collection: str = EVENTS,
        model: type[L] = Event,  # type: ignore[assignment]  # the default pairs with EVENTS
    ) -> None:
        self.client = client
        self.inventory = inventory
        self.events = client.collection(collection)
        self.model = model
        self.max_attempts = max_attempts

    def create(self, event: L) -> L:
        """The event document and its stock shards: in one batch when they fit, otherwise the
        shards first and the event last, so an event never exists without its stock."""
        shards = initial_shards(event)
        layout = {"inventoryShards": FIRST_SHARD + len(shards), "inventoryLayout": CURRENT_LAYOUT}
        event = event.model_copy(update=layout)
        batch = self.client.batch()
        batch.create(self.events.document(event.id), event.doc())
        try:
            if len(shards) < BATCH_WRITES:
                self.inventory.write_initial(batch, event.id, shards)
            else:  # shard ids derive from the event's: a second creation fails on the first shard
                self.inventory.create_shards(event.id, shards)
            batch.commit()
        except google_exceptions.AlreadyExists:
            raise DomainError(ErrorCode.CONFLICT, "That record already exists.") from None
        record_writes(len(batch))
        return event

    def change_holds(self, event_id: str, plan: HoldPlanner[L]) -> L:
        """Apply `plan` to the stored event and its shards atomically, retrying lost races."""
        for tries in range(self.max_attempts):
            snapshot = self.events.document(event_id).get()
            record_reads(1)
            if not snapshot.exists:
                raise DomainError(ErrorCode.NOT_FOUND, f"{self.model.__name__} not found.")
            event = self.model.model_validate(snapshot.to_dict())
            versioned = self.inventory.all_shards(event_id)
            versions = {shard.index: update_time for shard, update_time in versioned}
            planned = plan(event, [shard for shard, _ in versioned])
            if planned is None:
                return event
            updated, touched = planned
            batch = self.client.batch()
            batch.update(
                self.events.document(event_id),
                {"holds": [h.doc() for h in updated.holds]},
                option=self.client.write_option(last_update_time=snapshot.update_time),
            )
            for shard in touched:
                batch.update(
                    self.inventory.ref(event_id, shard.index),
                    shard_fields(shard),
                    option=self.client.write_option(last_update_time=versions[shard.index]),
                )
            try:
                batch.commit()
            except (google_exceptions.FailedPrecondition, google_exceptions.Aborted):
                time.sleep(random.uniform(0.005, 0.02 * (tries + 1)))  # noqa: S311 - jitter
                continue
            record_writes(1 + len(touched))
            return updated
        raise busy_error()
