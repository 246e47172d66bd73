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

from collections.abc import Callable, Sequence
from typing import Any

from google.cloud import firestore

from shared.adapters.event_field_cas import change_event_field
from shared.domain.models import Event, WaitListEntry

Check = Callable[[Event, Sequence[WaitListEntry]], None]


class FirestoreWaitListStore:
    def __init__(self, client: firestore.Client, max_attempts: int = 20) -> None:
        self.client = client
        self.max_attempts = max_attempts

    def add_entry(self, event_id: str, entry: WaitListEntry, check: Check) -> None:
        """Append `entry` to the event's wait list once `check(event, entries)` passes (it raises
        to refuse), with the check made on exactly the list the write is based on."""

        def append(event: Event) -> Any:
            check(event, event.waitList)
            return firestore.ArrayUnion([entry.doc()])

        change_event_field(self.client, event_id, "waitList", append, max_attempts=self.max_attempts,
                           busy="Many people are signing up right now. Please try again.")  # fmt: skip
