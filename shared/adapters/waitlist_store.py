"""Firestore side of the wait list (SPEC 3.11): entries live in `events/{id}.waitList`.

A sign-up reads the event, checks the new entry against its list (e-mail, phone) and appends it
with ArrayUnion under a compare-and-set on the document's update time — the codebase's pattern
instead of a transaction, whose locks queue up on the emulator (README, "Stock"). Only the
`waitList` field is written, so a concurrent event edit is never overwritten; when two sign-ups
race, the loser's precondition fails and it re-reads and re-checks the winner's list, so both
land and a duplicate is still refused. Sign-ups are rare next to sales, and stock lives in its
own shard documents, so this does not make the event a write hot spot.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore

from shared.adapters.io_stats import record_reads, record_writes
from shared.domain.models import Event, WaitListEntry
from shared.errors import DomainError, ErrorCode, not_found

Check = Callable[[Event, Sequence[WaitListEntry]], None]


class FirestoreWaitListStore:
    def __init__(self, client: firestore.Client, max_attempts: int = 20) -> None:
        self.client = client
        self.events = client.collection("events")
        self.max_attempts = max_attempts

    def add_entry(self, event_id: str, entry: WaitListEntry, check: Check) -> None:
        """Append `entry` to the event's wait list once `check(event, entries)` passes (it raises
        to refuse), with the check made on exactly the list the write is based on."""
        if not event_id or "/" in event_id:
            raise not_found("Event")
        ref = self.events.document(event_id)
        for tries in range(self.max_attempts):
            snapshot = ref.get()
            record_reads(1)
            if not snapshot.exists:
                raise not_found("Event")
            event = Event.model_validate(snapshot.to_dict())
            check(event, event.waitList)
            try:
                ref.update(
                    {"waitList": firestore.ArrayUnion([entry.doc()])},
                    option=self.client.write_option(last_update_time=snapshot.update_time),
                )
            except (google_exceptions.FailedPrecondition, google_exceptions.Aborted):
                time.sleep(random.uniform(0.005, 0.02 * (tries + 1)))  # noqa: S311 - jitter, not crypto
                continue
            record_writes(1)
            return
        raise DomainError(ErrorCode.BUSY, "Many people are signing up right now. Please try again.")
