"""Firestore side of sales-report subscriptions (SPEC R-RP-5): subscribers live in
`events/{id}.subscription`, their runs in `tasks` (one document per run, `subscription._id` set).

The list changes under a compare-and-set on the event document's update time, as the wait list
does (shared.adapters.event_field_cas): only the `subscription` field is written, and a writer
that lost a race re-reads and re-checks the winner's list, so two admins subscribing the same
address at once get one subscription and one clear refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.adapters.event_field_cas import change_event_field
from shared.adapters.io_stats import record_reads
from shared.domain.models import Event, SubscriptionSalesReport
from shared.domain.tasks import Task

Change = Callable[[Event], list[SubscriptionSalesReport] | None]


class FirestoreSalesReportStore:
    def __init__(self, client: firestore.Client, max_attempts: int = 20) -> None:
        self.client = client
        self.tasks = client.collection("tasks")
        self.max_attempts = max_attempts

    def add_subscription(
        self, event_id: str, subscription: SubscriptionSalesReport, check: Callable[[Event], None]
    ) -> None:
        """Append `subscription` once `check(event)` passes (it raises to refuse), checked on
        exactly the list the write is based on."""

        def append(event: Event) -> list[SubscriptionSalesReport]:
            check(event)
            return [*event.subscription, subscription]

        self._change(event_id, append)

    def remove_subscription(self, event_id: str, subscription_id: str) -> bool:
        """Remove the subscriber; False when it was not there (already removed)."""
        removed = False

        def without(event: Event) -> list[SubscriptionSalesReport] | None:
            nonlocal removed
            kept = [s for s in event.subscription if s.id != subscription_id]
            removed = len(kept) < len(event.subscription)
            return kept if removed else None

        self._change(event_id, without)
        return removed

    def tasks_of_subscription(self, subscription_id: str) -> list[Task]:
        query = self.tasks.where(filter=FieldFilter("subscription._id", "==", subscription_id))
        snapshots = list(query.stream())
        record_reads(max(1, len(snapshots)))
        return [Task.model_validate(s.to_dict()) for s in snapshots]

    def _change(self, event_id: str, change: Change) -> None:
        """Write `change(event)` as the event's subscribers (None: nothing to write)."""

        def subscribers(event: Event) -> list[dict[str, Any]] | None:
            changed = change(event)
            return None if changed is None else [s.doc() for s in changed]

        change_event_field(self.client, event_id, "subscription", subscribers, max_attempts=self.max_attempts,
                           busy="This event is being changed right now. Please try again.")  # fmt: skip
