"""Firestore records of ticket delivery:

    tasks/{id}          delayed jobs (SPEC 3.10, R-TASK-1), mirrored by Cloud Tasks
    deliveries/{id}     one per message sent to a buyer: `{orderId}~{key}~{channel}`
    orders/{id}         only `secretId`, the `qrCodeUrl` fields and `printed`, each changed in a
                        transaction or as a single field, so a concurrent refund, scan or second
                        delivery is never overwritten

A delivery record is claimed before its message is sent (create-if-absent, or a compare-and-set
on a stale claim), which is what makes a task delivered twice send once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.adapters.io_stats import record_reads, record_writes
from shared.domain.tasks import Delivery, Task

ClaimOutcome = Literal["claimed", "done", "busy"]


class FirestoreDeliveryStore:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client
        self.tasks = client.collection("tasks")
        self.deliveries = client.collection("deliveries")
        self.orders = client.collection("orders")

    # --- tasks ------------------------------------------------------------------------------

    def create_task(self, task: Task) -> bool:
        """Store a new task; False if one with this id exists (the same work planned again)."""
        try:
            self.tasks.document(task.id).create(task.doc())
        except google_exceptions.AlreadyExists:
            return False
        record_writes(1)
        return True

    def task(self, task_id: str) -> Task | None:
        if not task_id or "/" in task_id:
            return None
        snapshot = self.tasks.document(task_id).get()
        record_reads(1)
        return Task.model_validate(snapshot.to_dict()) if snapshot.exists else None

    def update_task(self, task_id: str, fields: Mapping[str, Any]) -> None:
        self.tasks.document(task_id).update(dict(fields))
        record_writes(1)

    def tasks_of_order(self, order_id: str) -> list[Task]:
        snapshots = list(self.tasks.where(filter=FieldFilter("orderId", "==", order_id)).stream())
        record_reads(max(1, len(snapshots)))
        return [Task.model_validate(s.to_dict()) for s in snapshots]

    # --- deliveries -------------------------------------------------------------------------

    def delivery(self, record_id: str) -> Delivery | None:
        snapshot = self.deliveries.document(record_id).get()
        record_reads(1)
        return Delivery.model_validate(snapshot.to_dict()) if snapshot.exists else None

    def claim(self, record_id: str, record: Delivery, *, lease: int, retry_stale: bool) -> ClaimOutcome:
        """Take the right to send this message.

        claimed  nobody had it (or, with `retry_stale`, a previous attempt died mid-send more
                 than `lease` seconds ago): send it now
        done     it was sent, failed for good, or (without `retry_stale`) its outcome is
                 unknown after a crash: never send it again
        busy     another attempt is sending it right now: try again later
        """
        ref = self.deliveries.document(record_id)
        now = record.claimedAt
        # Create-if-absent, then compare-and-set on the update time: no transaction, so two
        # deliveries of one task racing here never wait on (or time out on) a lock; the loser
        # sees "busy" and its queue retries later.
        try:
            ref.create(record.doc())
            record_writes(1)
            return "claimed"
        except google_exceptions.AlreadyExists:
            pass
        snapshot = ref.get()
        record_reads(1)
        if not snapshot.exists:  # given back a moment ago by a failed attempt
            return "busy"
        existing = Delivery.model_validate(snapshot.to_dict())
        if existing.status != "sending":
            return "done"
        if existing.claimedAt + lease > now:
            return "busy"
        fields: dict[str, Any] = (
            {"claimedAt": now, "attempts": existing.attempts + 1} if retry_stale else {"status": "unknown"}
        )
        try:
            ref.update(fields, option=self.client.write_option(last_update_time=snapshot.update_time))
        except google_exceptions.FailedPrecondition:
            return "busy"  # another attempt took over the stale claim first
        record_writes(1)
        return "claimed" if retry_stale else "done"

    def finish(self, record_id: str, fields: Mapping[str, Any]) -> None:
        self.deliveries.document(record_id).update(dict(fields))
        record_writes(1)

    def release(self, record_id: str) -> None:
        """Give the claim back: the message was certainly not sent, a retry may send it."""
        self.deliveries.document(record_id).delete()
        record_writes(1)

    # --- the order's QR fields --------------------------------------------------------------

    def assign_secret_id(self, order_id: str, candidate: str) -> str:
        """The order's secretId: the stored one, or `candidate` stored now. Two deliveries
        racing agree on one value."""
        ref = self.orders.document(order_id)

        @firestore.transactional
        def attempt(transaction: firestore.Transaction) -> str:
            snapshot = ref.get(transaction=transaction)
            current = str((snapshot.to_dict() or {}).get("secretId") or "")
            if current:
                return current
            transaction.update(ref, {"secretId": candidate})
            return candidate

        secret = str(attempt(self.client.transaction()))
        record_reads(1)
        return secret

    def save_qr_urls(self, order_id: str, order_url: str | None, item_urls: Mapping[str, str]) -> None:
        """Set `qrCodeUrl` on the order (unless `order_url` is None) and on the tickets/upgrades
        in `item_urls` (by `_id`) that are still Active at commit time, leaving every other field
        of the order exactly as it is: a refund committed meanwhile keeps its item untouched."""
        ref = self.orders.document(order_id)

        @firestore.transactional
        def attempt(transaction: firestore.Transaction) -> None:
            data = ref.get(transaction=transaction).to_dict() or {}
            changes: dict[str, Any] = {} if order_url is None else {"qrCodeUrl": order_url}
            for field in ("tickets", "upgrades"):
                items = [dict(item) for item in data.get(field) or []]
                touched = False
                for item in items:
                    if item.get("_id") in item_urls and item.get("state", "Active") == "Active":
                        item["qrCodeUrl"] = item_urls[item["_id"]]
                        touched = True
                if touched:
                    changes[field] = items
            if changes:
                transaction.update(ref, changes)

        attempt(self.client.transaction())
        record_reads(1)
        record_writes(1)

    def mark_printed(self, order_id: str) -> None:
        """`printed=true` (R-QR-8), a single-field write that cannot overwrite anything else."""
        self.orders.document(order_id).update({"printed": True})
        record_writes(1)
