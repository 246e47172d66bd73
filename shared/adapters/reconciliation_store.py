"""Firestore side of the daily reconciliation (shared.services.reconciliation): the orders and
refund records Stripe's charges and refunds are compared with, and the mismatches found,
`reconciliationMismatches/{day}~{kind}~{object}` (server-owned; clients are denied).

A mismatch is created if absent: its id names the day, the kind and the object, so a rerun of
the same day (a retried task, a run by hand, two at once) stores each one once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.adapters.io_stats import record_reads, record_writes
from shared.adapters.order_store import by_lane
from shared.domain.models import Order, newest_first
from shared.domain.reconciliation import Mismatch
from shared.domain.refund_rules import RefundRecord

COLLECTION = "reconciliationMismatches"
IN_LIMIT = 30  # values one Firestore `in` filter may carry


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    unique = sorted({v for v in values if v})
    for at in range(0, len(unique), IN_LIMIT):
        yield unique[at : at + IN_LIMIT]


class FirestoreReconciliationBooks:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client
        self.orders = client.collection("orders")
        self.refunds = client.collection("refunds")
        self.mismatch_docs = client.collection(COLLECTION)

    def _stream(self, query: Any) -> list[dict[str, Any]]:
        found = [snapshot.to_dict() or {} for snapshot in query.stream()]
        record_reads(max(1, len(found)))
        return found

    def orders_for_charges(self, charge_ids: Iterable[str]) -> dict[str, Order]:
        found: dict[str, Order] = {}
        for chunk in _chunks(charge_ids):
            for doc in self._stream(self.orders.where(filter=FieldFilter("stripeChargeId", "in", chunk))):
                order = Order.model_validate(doc)
                if not order.parentSeasonOrderId:  # a season's children share their parent's charge
                    found[order.stripeChargeId] = order
        return found

    def refund_records(self, refund_ids: Iterable[str]) -> dict[str, RefundRecord]:
        ids = sorted({i for i in refund_ids if i})
        if not ids:
            return {}
        snapshots = self.client.get_all([self.refunds.document(i) for i in ids])
        found = {s.id: RefundRecord.model_validate(s.to_dict()) for s in snapshots if s.exists}
        record_reads(len(ids))
        return found

    def records_for_stripe_refunds(self, stripe_refund_ids: Iterable[str]) -> dict[str, RefundRecord]:
        found: dict[str, RefundRecord] = {}
        for chunk in _chunks(stripe_refund_ids):
            for doc in self._stream(self.refunds.where(filter=FieldFilter("stripeRefundId", "in", chunk))):
                record = RefundRecord.model_validate(doc)
                found[record.stripeRefundId] = record
        return found

    def orders_created(self, org_id: str, start: int, end: int) -> list[Order]:
        # The order list's composite index (orgId, createdShard, createdAt desc), lane by lane.
        query = (
            self.orders.where(filter=FieldFilter("orgId", "==", org_id))
            .where(filter=FieldFilter("createdAt", ">=", start))
            .where(filter=FieldFilter("createdAt", "<", end))
        )
        return newest_first(
            Order.model_validate(doc) for lane in by_lane(query) for doc in self._stream(lane)
        )

    def refunds_created(self, account: str, start: int, end: int) -> list[RefundRecord]:
        query = (
            self.refunds.where(filter=FieldFilter("stripeAccount", "==", account))
            .where(filter=FieldFilter("createdAt", ">=", start))
            .where(filter=FieldFilter("createdAt", "<", end))
            .order_by("createdAt", direction=firestore.Query.DESCENDING)
        )
        return [RefundRecord.model_validate(doc) for doc in self._stream(query)]

    def add_mismatch(self, mismatch: Mismatch) -> bool:
        try:
            self.mismatch_docs.document(mismatch.id).create(mismatch.doc())
        except google_exceptions.AlreadyExists:
            return False
        record_writes(1)
        return True

    def mismatches(self, day: str) -> list[Mismatch]:
        query = self.mismatch_docs.where(filter=FieldFilter("date", "==", day))
        return [Mismatch.model_validate(doc) for doc in self._stream(query)]
