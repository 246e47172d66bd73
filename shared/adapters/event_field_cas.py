"""One field of an event document changed under a compare-and-set on the document's update time:
the codebase's pattern instead of a transaction, whose locks queue up on the emulator (README,
"Stock"). Only that field is written, so a concurrent edit of the event's other fields is never
overwritten; when two writers race, the loser's precondition fails and it re-reads and re-decides
on the winner's value. Used for the lists other people append to: the wait list (SPEC 3.11) and
sales-report subscribers (R-RP-5)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore

from shared.adapters.io_stats import record_reads, record_writes
from shared.domain.models import Event
from shared.errors import DomainError, ErrorCode, not_found

# What to write to the field, decided on the event as read (None: nothing to write). It may raise
# to refuse, and is then deciding on exactly the value the write would be based on.
Decide = Callable[[Event], Any]


def change_event_field(
    client: firestore.Client, event_id: str, field: str, decide: Decide, *, busy: str, max_attempts: int = 20
) -> None:
    if not event_id or "/" in event_id:
        raise not_found("Event")
    ref = client.collection("events").document(event_id)
    for tries in range(max_attempts):
        snapshot = ref.get()
        record_reads(1)
        if not snapshot.exists:
            raise not_found("Event")
        value = decide(Event.model_validate(snapshot.to_dict()))
        if value is None:
            return
        try:
            ref.update({field: value}, option=client.write_option(last_update_time=snapshot.update_time))
        except (google_exceptions.FailedPrecondition, google_exceptions.Aborted):
            time.sleep(random.uniform(0.005, 0.02 * (tries + 1)))  # noqa: S311 - jitter, not crypto
            continue
        record_writes(1)
        return
    raise DomainError(ErrorCode.BUSY, busy)
