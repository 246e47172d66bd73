"""Firestore side of refunds and cancellations (the flow is in shared.services.refunds):
`refunds/{refundId}` records, the per-order lock `refundLocks/{orderId}`, and the one atomic
write that changes an order together with the stock, promotion uses and customer metrics it
gives back — compare-and-set on the order's update time, so two changes never interleave.

A claimed refund also stamps `refundPending` on its order. That bumps the order's update time,
so a cancellation planned before the claim fails its compare-and-set, re-reads the order, sees
the stamp and stops: a cancel can never slip in between a refund's claim and its settlement.
"""

from __future__ import annotations

import contextlib
from typing import Any

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.adapters.checkout_store import FirestoreCheckoutStore
from shared.adapters.customer_metrics_store import FirestoreCustomerMetrics
from shared.adapters.inventory_store import FirestoreInventory
from shared.adapters.io_stats import record_reads, record_writes
from shared.domain.models import Order
from shared.domain.ports import AlreadySettledError, OrderChange, Settlement, StaleOrderError
from shared.domain.refund_rules import RefundRecord

__all__ = ["AlreadySettledError", "FirestoreRefundStore", "OrderChange", "Settlement", "StaleOrderError"]

ORDER_FIELDS = ("tickets", "upgrades", "state", "refundedAmount", "refundReason", "cancelReason",
                "processingFee", "promoterFee", "refundPending", "externalRefundedAmount")  # fmt: skip


class FirestoreRefundStore:
    def __init__(
        self,
        client: firestore.Client,
        inventory: FirestoreInventory,
        checkout: FirestoreCheckoutStore,
        metrics: FirestoreCustomerMetrics,
    ) -> None:
        self.client = client
        self.inventory = inventory
        self.checkout = checkout
        self.metrics = metrics
        self.orders = client.collection("orders")
        self.records = client.collection("refunds")
        self.locks = client.collection("refundLocks")
        self.runs = client.collection("refundRuns")

    # --- records and the per-order lock -------------------------------------------------------

    def record(self, refund_id: str) -> RefundRecord | None:
        snapshot = self.records.document(refund_id).get()
        record_reads(1)
        return RefundRecord.model_validate(snapshot.to_dict()) if snapshot.exists else None

    def lock_holder(self, order_id: str) -> str:
        lock = self.locks.document(order_id).get()
        record_reads(1)
        return str((lock.to_dict() or {}).get("refundId", "")) if lock.exists else ""

    def claim(self, record: RefundRecord, version: Any, *, replacing: bool) -> bool:
        """Create the pending record and the order's lock (and stamp the order) atomically, only
        if the order is still at `version` — the read its plan was made from; False when the lock
        (or this very record) already exists. StaleOrderError when the order moved since: the
        plan may name items another refund or a cancellation took meanwhile, so it must be made
        again from a new read, never sent to Stripe."""
        batch = self.client.batch()
        batch.create(
            self.locks.document(record.orderId), {"refundId": record.id, "createdAt": record.createdAt}
        )
        if replacing:
            batch.set(self.records.document(record.id), record.doc())
        else:
            batch.create(self.records.document(record.id), record.doc())
        batch.update(
            self.orders.document(record.orderId), {"refundPending": record.id},
            option=self.client.write_option(last_update_time=version),
        )  # fmt: skip
        try:
            batch.commit()
        except google_exceptions.AlreadyExists:
            return False
        except google_exceptions.FailedPrecondition as error:
            raise StaleOrderError from error
        record_writes(len(batch))
        return True

    def mark_failed(self, refund_id: str, reason: str, at: int) -> None:
        """A refund that will not happen: the record says why; the lock and stamp are cleared."""
        snapshot = self.records.document(refund_id).get()
        record_reads(1)
        data = snapshot.to_dict() or {}
        if not snapshot.exists or data.get("state") != "pending":
            return
        order_id = str(data["orderId"])
        batch = self.client.batch()
        batch.update(
            snapshot.reference,
            {"state": "failed", "failureReason": reason, "settledAt": at},
            option=self.client.write_option(last_update_time=snapshot.update_time),
        )
        if self.lock_holder(order_id) == refund_id:
            batch.delete(self.locks.document(order_id))
            batch.update(self.orders.document(order_id), {"refundPending": ""})
        with contextlib.suppress(google_exceptions.FailedPrecondition):
            batch.commit()
            record_writes(len(batch))

    def flag_stripe_status(self, refund_id: str, status: str) -> None:
        self.records.document(refund_id).update({"stripeStatus": status})
        record_writes(1)

    # --- the order change ---------------------------------------------------------------------

    def order(self, order_id: str) -> tuple[Order, Any] | None:
        snapshot = self.orders.document(order_id).get()
        record_reads(1)
        if not snapshot.exists:
            return None
        return Order.model_validate(snapshot.to_dict()), snapshot.update_time

    def order_for_charge(self, charge_id: str, intent_id: str) -> str | None:
        """The id of our order paid by this charge (or, before its charge id was recorded, by
        this PaymentIntent's reservation); None when the charge is not ours."""
        if charge_id:
            query = self.orders.where(filter=FieldFilter("stripeChargeId", "==", charge_id)).limit(1)
            snapshots = list(query.stream())
            record_reads(1)
            if snapshots:
                return snapshots[0].id
        if intent_id:
            found = self.checkout.reservation_for_intent(intent_id)
            if found is not None and found[0].orderId:
                return found[0].orderId
        return None

    def children(self, parent_id: str) -> list[tuple[Order, Any]]:
        """A season order's hidden child orders (R-T3-2) with the versions they were read at."""
        query = self.orders.where(filter=FieldFilter("parentSeasonOrderId", "==", parent_id))
        snapshots = list(query.stream())
        record_reads(max(1, len(snapshots)))
        return [(Order.model_validate(s.to_dict()), s.update_time) for s in snapshots]

    def commit(self, change: OrderChange) -> None:
        """Write `change` atomically, or raise StaleOrderError (order or stock moved: re-plan) /
        AlreadySettledError (its refund was settled by someone else meanwhile)."""
        order = change.order

        def writes(batch: firestore.WriteBatch) -> None:
            current = self.orders.document(order.id).get()
            record_reads(1)
            if current.update_time != change.version:
                raise StaleOrderError
            if change.settlement is not None:
                self._settle(batch, change.settlement)
            if change.external_refund is not None:
                external = self.records.document(change.external_refund.id)
                if external.get().exists:
                    raise AlreadySettledError
                record_reads(1)
                batch.create(external, change.external_refund.doc())
            doc = order.doc()
            batch.update(
                self.orders.document(order.id), {k: doc[k] for k in ORDER_FIELDS},
                option=self.client.write_option(last_update_time=change.version),
            )  # fmt: skip
            if change.return_code_uses:
                self.checkout.return_uses(batch, order.codeUses)
            self.checkout.member_uses.release(batch, change.member_uses)
            self.metrics.add(batch, change.metrics)
            for child, child_version in change.children:
                # Checked here, not only by the precondition: a stock shard's lost race retries
                # this function, and a stale child must re-plan the change instead.
                if self.orders.document(child.id).get().update_time != child_version:
                    raise StaleOrderError
                record_reads(1)
                child_doc = child.doc()
                batch.update(
                    self.orders.document(child.id), {k: child_doc[k] for k in ORDER_FIELDS},
                    option=self.client.write_option(last_update_time=child_version),
                )  # fmt: skip

        try:
            if change.event_id:
                self.inventory.return_units(
                    change.event_id, change.shard_count, change.units, extra_writes=writes
                )
            else:
                batch = self.client.batch()
                writes(batch)
                batch.commit()
                record_writes(len(batch))
        except (google_exceptions.FailedPrecondition, google_exceptions.AlreadyExists) as error:
            raise StaleOrderError from error  # re-read: an external refund recorded meanwhile shows

    def _settle(self, batch: firestore.WriteBatch, settlement: Settlement) -> None:
        record = settlement.record
        snapshot = self.records.document(record.id).get()
        record_reads(1)
        if (snapshot.to_dict() or {}).get("state") != "pending":
            raise AlreadySettledError
        batch.update(
            snapshot.reference, settlement.fields,
            option=self.client.write_option(last_update_time=snapshot.update_time),
        )  # fmt: skip
        if self.lock_holder(record.orderId) == record.id:
            batch.delete(self.locks.document(record.orderId))

    # --- refund-all progress (`refundRuns/{eventId}`, `.../orders/{orderId}`) --------------------

    def start_run(self, event_id: str, fields: dict[str, Any]) -> None:
        self.runs.document(event_id).set(fields, merge=True)
        record_writes(1)

    def queue_run_order(self, event_id: str, order_id: str, at: int) -> None:
        with contextlib.suppress(google_exceptions.AlreadyExists):
            self._run_order(event_id, order_id).create({"state": "queued", "queuedAt": at})
            record_writes(1)

    def set_run_order(self, event_id: str, order_id: str, fields: dict[str, Any]) -> None:
        self._run_order(event_id, order_id).set(fields, merge=True)
        record_writes(1)

    def run_counts(self, event_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for snapshot in self.runs.document(event_id).collection("orders").stream():
            record_reads(1)
            state = str((snapshot.to_dict() or {}).get("state", ""))
            counts[state] = counts.get(state, 0) + 1
        return counts

    def _run_order(self, event_id: str, order_id: str) -> Any:
        return self.runs.document(event_id).collection("orders").document(order_id)
