"""Firestore side of member-id claims (shared.domain.member_tickets): `memberUses/{scope}~{digest}`
= {scope, teiMemberId, guests, members}. One small document per member and event, so buyers of
different members never contend, and ticketRestriction reads exactly one document per id.

Claims and releases are writes in the caller's batch (the order, reservation or refund they
belong to), each a compare-and-set on the document's update time: the batch of a buyer who lost a
race fails as a whole, and the inventory's retry loop re-reads and decides again.
"""

from __future__ import annotations

from collections.abc import Sequence

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore

from shared.adapters.io_stats import record_reads, record_writes
from shared.domain.member_tickets import MemberCounts, MemberUse, check_claim, member_use_id

COLLECTION = "memberUses"


class FirestoreMemberUses:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client
        self.collection = client.collection(COLLECTION)

    def counts(self, scope: str, member_ids: Sequence[str]) -> dict[str, MemberCounts]:
        """Live uses of each member id in `scope` (absent ids: none)."""
        if not member_ids:
            return {}
        by_doc = {member_use_id(scope, m): m for m in member_ids}
        snapshots = list(self.client.get_all([self.collection.document(d) for d in by_doc]))
        record_reads(len(by_doc))
        return {by_doc[s.id]: _counts(s.to_dict() or {}) for s in snapshots if s.exists and s.id in by_doc}

    def _existing(self, use: MemberUse) -> firestore.DocumentReference:
        """The claim document, created empty first if needed, so every claim can be a
        compare-and-set on an existing document's update time."""
        ref = self.collection.document(use.docId)
        try:
            ref.create({"scope": use.scope, "teiMemberId": use.teiMemberId, "guests": 0, "members": 0})
            record_writes(1)
        except google_exceptions.AlreadyExists:
            pass
        return ref

    def claim(self, batch: firestore.WriteBatch, uses: Sequence[MemberUse]) -> None:
        """Add `uses` to their documents in `batch`, refusing (DomainError) what would pass a
        member's limits beside the live uses already held."""
        for use in uses:
            ref = self._existing(use)
            snapshot = ref.get()
            record_reads(1)
            held = _counts(snapshot.to_dict() or {})
            check_claim(use, held)
            batch.update(
                ref,
                {"guests": held.guests + use.guests, "members": held.members + use.members},
                option=self.client.write_option(last_update_time=snapshot.update_time),
            )

    def release(self, batch: firestore.WriteBatch, uses: Sequence[MemberUse]) -> None:
        """Give `uses` back in `batch` (a released reservation, a refunded ticket). The caller's
        own guard (reservation state, order version) makes sure this happens once."""
        for use in uses:
            snapshot = self.collection.document(use.docId).get()
            record_reads(1)
            if not snapshot.exists:
                continue
            held = _counts(snapshot.to_dict() or {})
            batch.update(
                snapshot.reference,
                {"guests": max(0, held.guests - use.guests), "members": max(0, held.members - use.members)},
                option=self.client.write_option(last_update_time=snapshot.update_time),
            )


def _counts(data: dict[str, object]) -> MemberCounts:
    return MemberCounts(guests=int(str(data.get("guests") or 0)), members=int(str(data.get("members") or 0)))
