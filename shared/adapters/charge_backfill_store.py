"""Firestore side of the `stripeChargeId` back-fill (shared.services.orders_backfill).

Orders without a charge id are read in document-name order from a cursor kept in
`backfills/ordersChargeUpdate`, so each bounded call goes on where the previous one stopped
instead of re-reading the same cash and complimentary orders (which never get a charge id).
An equality filter ordered by document name is served by Firestore's single-field index: no
composite index is needed.
"""

from __future__ import annotations

import time
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.adapters.io_stats import record_reads, record_writes
from shared.services.orders_backfill import ChargelessOrder

CURSOR_DOC = ("backfills", "ordersChargeUpdate")


class FirestoreChargeBackfillStore:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client
        self.orders = client.collection("orders")
        self.cursor_ref = client.collection(CURSOR_DOC[0]).document(CURSOR_DOC[1])

    def orders_without_charge(self, after: str, limit: int) -> list[ChargelessOrder]:
        query: Any = self.orders.where(filter=FieldFilter("stripeChargeId", "==", "")).order_by("__name__")
        if after:
            query = query.start_after({"__name__": after})
        snapshots = list(query.limit(limit).stream())
        record_reads(max(1, len(snapshots)))
        # Only the three fields the back-fill needs, read leniently: old documents that no longer
        # fit the Order model must not stop an ops back-fill written for old documents.
        return [_chargeless(s.id, s.to_dict() or {}) for s in snapshots]

    def set_charge_if_empty(self, order_id: str, charge_id: str) -> bool:
        """Write the charge id unless the order has one by now (or is gone); True if written."""
        ref = self.orders.document(order_id)

        @firestore.transactional  # type: ignore[untyped-decorator]
        def apply(transaction: Any) -> bool:
            snapshot = ref.get(transaction=transaction)
            record_reads(1)
            if not snapshot.exists or (snapshot.to_dict() or {}).get("stripeChargeId"):
                return False
            transaction.update(ref, {"stripeChargeId": charge_id})
            record_writes(1)
            return True

        return bool(apply(self.client.transaction()))

    def cursor(self) -> str:
        snapshot = self.cursor_ref.get()
        record_reads(1)
        return str((snapshot.to_dict() or {}).get("after", "")) if snapshot.exists else ""

    def save_cursor(self, after: str) -> None:
        self.cursor_ref.set({"after": after, "updatedAt": int(time.time())})
        record_writes(1)


def _chargeless(order_id: str, data: dict[str, Any]) -> ChargelessOrder:
    payments = data.get("payments")
    intents = [
        str(p.get("paymentIntentId") or "")
        for p in (payments if isinstance(payments, list) else [])
        if isinstance(p, dict)
    ]
    return ChargelessOrder(
        id=order_id, org_id=str(data.get("orgId") or ""), intent_id=next((i for i in intents if i), "")
    )
