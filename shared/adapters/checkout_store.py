"""Firestore writes of checkout, each atomic with the stock it takes or gives back:
`reservations/{id}` and `orders/{id}` change only in the same batch as their inventory shards,
and every reservation state change is a compare-and-set, so a duplicated webhook, task or
client retry can never fulfil or release the same reservation twice."""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.adapters.customer_metrics_store import FirestoreCustomerMetrics
from shared.adapters.inventory_store import FirestoreInventory
from shared.adapters.io_stats import record_reads, record_writes
from shared.adapters.member_use_store import FirestoreMemberUses
from shared.domain import customer_metrics
from shared.domain.inventory import Allocation, StockKey
from shared.domain.member_tickets import MemberUse
from shared.domain.models import Order
from shared.domain.reservations import (
    AlreadyRecordedError,
    CodeClaim,
    Reservation,
    StaleReservationError,
)
from shared.errors import DomainError, ErrorCode


class FirestoreCheckoutStore:
    def __init__(self, client: firestore.Client, inventory: FirestoreInventory) -> None:
        self.client = client
        self.inventory = inventory
        self.reservations = client.collection("reservations")
        self.orders = client.collection("orders")
        self.code_uses = client.collection("codeUses")
        self.metrics = FirestoreCustomerMetrics(client)
        self.member_uses = FirestoreMemberUses(client)

    # --- reads ------------------------------------------------------------------------------

    def reservation(self, reservation_id: str) -> tuple[Reservation, Any] | None:
        snapshot = self.reservations.document(reservation_id).get()
        record_reads(1)
        if not snapshot.exists:
            return None
        return Reservation.model_validate(snapshot.to_dict()), snapshot.update_time

    def reservation_for_intent(self, intent_id: str) -> tuple[Reservation, Any] | None:
        query = self.reservations.where(filter=FieldFilter("paymentIntentId", "==", intent_id)).limit(1)
        snapshots = list(query.stream())
        record_reads(1)
        if not snapshots:
            return None
        return Reservation.model_validate(snapshots[0].to_dict()), snapshots[0].update_time

    def order(self, order_id: str) -> Order | None:
        snapshot = self.orders.document(order_id).get()
        record_reads(1)
        return Order.model_validate(snapshot.to_dict()) if snapshot.exists else None

    # --- per-buyer code uses (R-PR-4/5: useLimit, race-free) -------------------------------------

    def code_use_counts(self, doc_ids: list[str]) -> dict[str, int]:
        if not doc_ids:
            return {}
        snapshots = list(self.client.get_all([self.code_uses.document(d) for d in doc_ids]))
        record_reads(len(doc_ids))
        return {s.id: int((s.to_dict() or {}).get("count", 0)) for s in snapshots if s.exists}

    def _counter(self, doc_id: str) -> firestore.DocumentReference:
        ref = self.code_uses.document(doc_id)
        try:
            ref.create({"count": 0})
            record_writes(1)
        except google_exceptions.AlreadyExists:
            pass
        return ref

    def _claim_uses(self, batch: firestore.WriteBatch, claims: list[CodeClaim]) -> None:
        """One more use of each code by this buyer, in the same batch as the order or reservation:
        a buyer's concurrent checkouts cannot together exceed the code's use limit."""
        for claim in claims:
            ref = self._counter(claim.doc_id)
            snapshot = ref.get()
            record_reads(1)
            count = int((snapshot.to_dict() or {}).get("count", 0))
            if count >= claim.limit:
                raise DomainError(
                    ErrorCode.LIMIT_EXCEEDED, "You have already used this code the maximum number of times."
                )
            batch.update(
                ref,
                {"count": count + 1},
                option=self.client.write_option(last_update_time=snapshot.update_time),
            )

    def return_uses(self, batch: firestore.WriteBatch, doc_ids: list[str]) -> None:
        """One use fewer on each counter, in the caller's batch (released orders and refunds)."""
        for doc_id in doc_ids:
            snapshot = self.code_uses.document(doc_id).get()
            record_reads(1)
            if snapshot.exists:
                count = int((snapshot.to_dict() or {}).get("count", 0))
                batch.update(
                    snapshot.reference,
                    {"count": max(0, count - 1)},
                    option=self.client.write_option(last_update_time=snapshot.update_time),
                )

    # --- writes with stock --------------------------------------------------------------------

    def create_reservation(
        self,
        reservation: Reservation,
        wants: dict[StockKey, int],
        claims: list[CodeClaim],
        member_uses: list[MemberUse] | None = None,
    ) -> Reservation:
        """Take the stock (and the buyer's code uses and member-id claims) and create the
        reservation holding them; the order it becomes holds them after it (refunds return them)."""
        ref = self.reservations.document(reservation.id)
        reservation.codeUses = [c.doc_id for c in claims]
        reservation.memberUses = list(member_uses or [])
        reservation.order.codeUses = list(reservation.codeUses)
        reservation.order.memberUses = [u.docId for u in reservation.memberUses]

        def write(batch: firestore.WriteBatch, allocation: Allocation) -> None:
            reservation.allocation = Reservation.stored_allocation(allocation)
            self._claim_uses(batch, claims)
            self.member_uses.claim(batch, reservation.memberUses)
            batch.create(ref, reservation.doc())

        try:
            self.inventory.take(reservation.stock_id, reservation.shardCount, wants, extra_writes=write)
        except google_exceptions.AlreadyExists as error:
            raise AlreadyRecordedError from error
        return reservation

    def create_order(
        self,
        order: Order,
        event_id: str,
        shard_count: int,
        wants: dict[StockKey, int],
        claims: list[CodeClaim],
        *,
        member_uses: list[MemberUse] | None = None,
        children: list[Order] | None = None,
    ) -> Order:
        """Box-office and free orders: take the stock, the buyer's code uses and the member-id
        claims and write the order (and count it in the buyer's metrics), in one batch."""
        ref = self.orders.document(order.id)
        order.codeUses = [c.doc_id for c in claims]
        order.memberUses = [u.docId for u in member_uses or []]

        def write(batch: firestore.WriteBatch, _: Allocation) -> None:
            self._claim_uses(batch, claims)
            self.member_uses.claim(batch, member_uses or [])
            batch.create(ref, order.doc())
            self._create_children(batch, children or [])
            self.metrics.add(batch, customer_metrics.purchase(order))

        try:
            self.inventory.take(event_id, shard_count, wants, extra_writes=write)
        except google_exceptions.AlreadyExists as error:
            raise AlreadyRecordedError from error
        return order

    def set_payment_intent(self, reservation_id: str, intent_id: str, account: str) -> None:
        self.reservations.document(reservation_id).update(
            {"paymentIntentId": intent_id, "stripeAccount": account}
        )
        record_writes(1)

    def fulfil(self, reservation: Reservation, version: Any, order: Order) -> None:
        """Write the order (counted in the buyer's metrics) and mark the reservation fulfilled,
        only if nobody touched it since."""
        batch = self.client.batch()
        batch.create(self.orders.document(order.id), order.doc())
        self._create_children(batch, reservation.children)
        batch.update(
            self.reservations.document(reservation.id),
            {"state": "fulfilled", "orderId": order.id},
            option=self.client.write_option(last_update_time=version),
        )
        self.metrics.add(batch, customer_metrics.purchase(order))
        self._commit(batch)
        record_writes(len(batch))

    def _create_children(self, batch: firestore.WriteBatch, children: list[Order]) -> None:
        """A season order's hidden child orders (R-T3-2), created in their parent's batch: neither
        exists without the other. No metrics: the parent is the sale."""
        for child in children:
            batch.create(self.orders.document(child.id), child.doc())

    def _guard(
        self, batch: firestore.WriteBatch, reservation_id: str, expected: str, fields: dict[str, Any]
    ) -> None:
        """Update the reservation in `batch` only if it is still in state `expected` — re-read on
        every attempt, so losing a race on a stock shard retries while losing it on the
        reservation itself stops at once."""
        current = self.reservation(reservation_id)
        if current is None or current[0].state != expected:
            raise StaleReservationError
        batch.update(
            self.reservations.document(reservation_id),
            fields,
            option=self.client.write_option(last_update_time=current[1]),
        )

    def release(self, reservation: Reservation) -> None:
        """Give the stock and code uses back and mark the reservation released, once."""

        def write(batch: firestore.WriteBatch) -> None:
            self._guard(batch, reservation.id, "held", {"state": "released"})
            self.return_uses(batch, reservation.codeUses)
            self.member_uses.release(batch, reservation.memberUses)

        self.inventory.release(reservation.stock_id, reservation.held_allocation(), extra_writes=write)

    def retake(self, reservation: Reservation) -> Reservation:
        """A payment that arrived after its reservation expired: hold the stock again if it's there."""

        def write(batch: firestore.WriteBatch, allocation: Allocation) -> None:
            reservation.allocation = Reservation.stored_allocation(allocation)
            self._guard(
                batch, reservation.id, "released", {"state": "held", "allocation": reservation.allocation}
            )
            self._claim_uses(
                batch, [CodeClaim(doc_id, limit) for doc_id, limit in reservation.codeLimits.items()]
            )
            self.member_uses.claim(batch, reservation.memberUses)

        self.inventory.take(
            reservation.stock_id, reservation.shardCount, dict(reservation.wants), extra_writes=write
        )
        reservation.state = "held"
        return reservation

    def _commit(self, batch: firestore.WriteBatch) -> None:
        try:
            batch.commit()
        except _LOST_RACE as error:
            raise StaleReservationError from error


_LOST_RACE = (
    google_exceptions.FailedPrecondition,
    google_exceptions.AlreadyExists,
    google_exceptions.Aborted,
)
