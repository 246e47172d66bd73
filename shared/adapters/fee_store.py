"""Batched fee writes: copy-downs and the platform-fee re-apply write many fee documents at once.

Each group (one organization's changes, one event's copies) goes into a single batch, so it
lands all or nothing; groups are packed together up to Firestore's 500 writes per batch. A group
larger than that is split (it cannot be atomic); every plan that uses this is idempotent, so a
re-run completes whatever a failure left half done.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.cloud import firestore

from shared.adapters.io_stats import record_writes
from shared.domain.fee_rules import OrgFeeChanges

MAX_BATCH_WRITES = 500


class FirestoreFeeWriter:
    def __init__(self, client: firestore.Client, max_batch: int = MAX_BATCH_WRITES) -> None:
        self.client = client
        self.fees = client.collection("fees")
        self.max_batch = max_batch

    def write(self, groups: Sequence[OrgFeeChanges]) -> None:
        batch: Any = None
        pending = 0
        for group in groups:
            ops: list[tuple[Any, dict[str, object] | None]] = [
                *((self.fees.document(f.id), f.doc()) for f in group.saves),
                *((self.fees.document(i), None) for i in group.deletes),
            ]
            if pending and pending + len(ops) > self.max_batch:  # keep the group in one batch
                self._commit(batch, pending)
                batch, pending = None, 0
            for ref, data in ops:
                if batch is None:
                    batch = self.client.batch()
                if data is None:
                    batch.delete(ref)
                else:
                    batch.set(ref, data)
                pending += 1
                if pending == self.max_batch:
                    self._commit(batch, pending)
                    batch, pending = None, 0
        if pending:
            self._commit(batch, pending)

    @staticmethod
    def _commit(batch: Any, writes: int) -> None:
        batch.commit()
        record_writes(writes)
