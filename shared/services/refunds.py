"""Refunds and cancellations (SPEC 5.11 R-REF-1..9, R-CAN-1, R-RALL-1; R-INV-5; D-4, D-19,
D-20, D-25, D-31; SECURITY 2-5, 7). Amounts and states: shared.domain.refund_rules.

A refund moves money, so it is recorded before Stripe is asked and settled exactly once:
1. `refunds/{refundId}` is created in state `pending` (the id derives from the order, the sorted
   item ids and the fee flags: the same request twice maps to the same record) together with
   `refundLocks/{orderId}` — one refund of an order in flight at a time, so two different
   overlapping requests cannot both pass the "never more than paid" check — and only if the
   order is still at the version its plan was read from. A plan made before another refund or
   a cancellation committed fails that precondition and is made again from a new read (which
   skips what was refunded meanwhile); it is never sent to Stripe.
2. Stripe refunds on the connected account with idempotency key `<refundId>~<attempt>` and
   metadata `refundId` (by payment_intent, or by charge for legacy `ch_` orders).
3. Settlement — from Stripe's answer, or from the `charge.refunded` / `charge.refund.updated`
   webhook when that answer was lost — applies the stored plan to the order, gives stock (and,
   once the order is fully Refunded/Canceled, the promotion uses) back, adds the refund to the
   buyer's metrics (R-USR-7) and deletes the lock, in one compare-and-set batch guarded by the
   record still being `pending` (shared.adapters.refund_store).
4. After it commits, the buyer is told (`refund_notice`, keyed by the refund id) and, once nothing
   of the order is live, its pending ticket deliveries are cancelled.
A request finding its record still pending (answer lost, or a duplicate in flight) re-asks Stripe
with the same key once the record is older than RESUME_AFTER seconds; Stripe answers with the
same refund, never a second one.

Refund-all (`refundEventOrders`) fans out one Cloud Task per order (`refunds` queue, key
`refund-all~<eventId>~<orderId>`); progress is `refundRuns/{eventId}` (the run) and
`refundRuns/{eventId}/orders/{orderId}` (`queued`, `done`, `skipped`, `failed` + error).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.domain import customer_metrics, inventory, member_tickets, refund_rules, season_orders
from shared.domain.models import Order, TicketedListing
from shared.domain.permissions import ADMIN, BOX_OFFICE, Principal, require_level
from shared.domain.ports import (
    AlreadySettledError,
    OrderChange,
    RefundPayments,
    RefundRecords,
    RefundState,
    Settlement,
    StaleOrderError,
    TaskQueue,
)
from shared.domain.refund_rules import DEFAULT_REFUND_ALL_REASON, NO_CHARGE_METHODS, RefundRecord
from shared.errors import DomainError, ErrorCode

log = logging.getLogger("sellout.refunds")

RESUME_AFTER = 20  # seconds before a pending refund may be re-asked of Stripe (same key)
WAIT_FOR_PEER = 10.0  # seconds a duplicate request waits for the one in flight
MAX_REPLANS = 10  # a refund's plan made again after the order moved under it, at most
QUEUE = "refunds"
FUNCTION = "refund"
TASK_PATH = "/tasks/refund-order"
PERMANENT = {ErrorCode.CONFLICT, ErrorCode.REFUSED, ErrorCode.NOT_FOUND, ErrorCode.PAYMENT_FAILED}
SETTLE_STATUSES = ("succeeded", "pending", "requires_action")  # the refund is committed on Stripe


def _check_client_key(key: str) -> None:
    """A refund's Idempotency-Key names its record: bounded, printable."""
    if len(key) > 200 or any(ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        raise DomainError(ErrorCode.INVALID_INPUT, "This idempotency key is not valid.", ["Idempotency-Key"])


class RefundReactions(Protocol):
    """What happens after a refund or cancellation is committed (SPEC 5.21 OrderRefunded). Each
    may be called again for the same change (retries): they must be idempotent."""

    def order_refunded(self, order_id: str) -> object:
        """No item of the order is live any more: cancel what is pending for it."""

    def refund_notice(self, order_id: str, key: str, refunded_amount: int) -> object:
        """Tell the buyer (R-REF-8): `orderRefund`, or `orderCanceled` when nothing was paid back.
        `key` names this refund or cancellation; the same key sends at most one e-mail."""

    def stock_returned(self, order: Order) -> object:
        """Items of `order` went back on sale: public listings (Webflow) show the new count."""


class SeatRelease(Protocol):
    """R-SEAT-4: frees the seats of newly cancelled tickets; idempotent, retried on its own."""

    def release_tickets(self, order: Order, ticket_ids: list[str]) -> object: ...


class _NoSeats:
    def release_tickets(self, order: Order, ticket_ids: list[str]) -> object:
        return None


@dataclass
class _Applied:
    """What applying a refund or cancellation to an order newly did."""

    tickets: list[str]
    upgrades: list[str]
    metrics: customer_metrics.MetricsChange | None = None
    # A season order's children this change cancelled items of: (child, its tickets, upgrades).
    children: list[tuple[Order, list[str], list[str]]] = field(default_factory=list)


class RefundService:
    def __init__(  # noqa: PLR0917 - the service's collaborators, wired once in bootstrap
        self,
        store: Any,
        records: RefundRecords,
        payments: RefundPayments,
        tasks: TaskQueue,
        reactions: RefundReactions,
        clock: Callable[[], float] = time.time,
        seats: SeatRelease | None = None,
    ) -> None:
        self.seats = seats or _NoSeats()
        self.store = store
        self.records = records
        self.payments = payments
        self.tasks = tasks
        self.reactions = reactions
        self.clock = clock

    def now(self) -> int:
        return int(self.clock())

    # --- reads ---------------------------------------------------------------------------------

    def _order(self, order_id: str) -> Order:
        order = self.store.orders.get(order_id)
        if order is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Order not found.")
        return order  # type: ignore[no-any-return]

    def record(self, refund_id: str) -> RefundRecord | None:
        return self.records.record(refund_id)

    def _listing(self, order: Order) -> TicketedListing | None:
        """Whose stock and promotions the order holds: its event, or its season (R-T3-2)."""
        if order.eventId:
            return self.store.events.get(order.eventId)  # type: ignore[no-any-return]
        if order.seasonId:
            return self.store.seasons.get(order.seasonId)  # type: ignore[no-any-return]
        return None

    def _per_order_discount(self, order: Order, event: TicketedListing | None) -> bool:
        if not order.discountCode or event is None:
            return False
        code = order.discountCode.lower()
        return any(p.code.lower() == code and p.appliesTo == "Per Order" for p in event.promotions)

    # --- refundOrder -----------------------------------------------------------------------------

    def refund_order(
        self,
        principal: Principal | None,
        order_id: str,
        ticket_ids: Sequence[str] = (),
        upgrade_ids: Sequence[str] = (),
        *,
        processing_fee: bool = False,
        promoter_fee: bool = False,
        reason: str = "",
        refund_amount: int | None = None,
        client_key: str = "",
    ) -> Order:
        order = self._order(order_id)
        caller = require_level(principal, BOX_OFFICE, order.orgId)
        caller.ensure_not_revoked()
        return self.refund(
            order, ticket_ids, upgrade_ids, processing_fee=processing_fee, promoter_fee=promoter_fee,
            reason=reason, by=caller.user_id, refund_amount=refund_amount, client_key=client_key,
        )  # fmt: skip

    def refund(
        self,
        order: Order,
        ticket_ids: Sequence[str],
        upgrade_ids: Sequence[str],
        *,
        processing_fee: bool,
        promoter_fee: bool,
        reason: str,
        by: str,
        refund_amount: int | None = None,
        client_key: str = "",
    ) -> Order:
        """Refund (money + records), idempotent per client key, else per (order, items, fee
        flags) (README, Refunds: request semantics). `order` names the order only: the plan is
        made from a versioned read of it, and the claim commits only if the order is still at
        that version; otherwise the plan is made again (never sent to Stripe)."""
        _check_client_key(client_key)
        tickets, upgrades = sorted(set(ticket_ids)), sorted(set(upgrade_ids))
        request = refund_rules.refund_request(tickets, upgrades, processing_fee, promoter_fee)
        rid = refund_rules.refund_id(
            order.id, tickets, upgrades, processing_fee, promoter_fee, client_key=client_key
        )
        for _ in range(MAX_REPLANS):
            existing = self.record(rid)
            if existing is not None and existing.request and existing.request != request:
                raise DomainError(
                    ErrorCode.CONFLICT, "This idempotency key was used for another refund of this order."
                )
            if existing is not None and existing.state == "succeeded":
                self._notify(order.id, existing.id, existing.amount)  # again: the first may be lost
                return self._order(order.id)
            if existing is not None and existing.state == "pending":
                return self._resume(existing)
            current, version = self._versioned_order(order.id)
            try:
                record = self._planned(
                    current, rid, tickets, upgrades, processing_fee=processing_fee,
                    promoter_fee=promoter_fee, reason=reason, by=by, existing=existing,
                    refund_amount=refund_amount,
                )  # fmt: skip
            except refund_rules.NothingToRefundError:
                if refund_rules.already_refunded(current, tickets, upgrades):
                    return current  # asked again after it was done: the result that is there
                raise
            record.request = request
            try:
                claimed = self.records.claim(record, version, replacing=existing is not None)
            except StaleOrderError:
                continue  # the order moved after the plan's read: plan again from a new read
            if not claimed:
                outcome = self._after_lost_claim(record)
                if outcome is None:
                    continue  # the lock was freed meanwhile: plan again
                return outcome
            if not record.stripeAccount:
                return self._settle_or_current(record.id, "api")
            return self._ask_stripe(record)
        raise DomainError(ErrorCode.BUSY, "The order is busy. Please try again.")

    def _versioned_order(self, order_id: str) -> tuple[Order, Any]:
        found = self.records.order(order_id)
        if found is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Order not found.")
        return found

    def _planned(
        self,
        order: Order,
        rid: str,
        tickets: list[str],
        upgrades: list[str],
        *,
        processing_fee: bool,
        promoter_fee: bool,
        reason: str,
        by: str,
        existing: RefundRecord | None,
        refund_amount: int | None,
    ) -> RefundRecord:
        """The refund record planned from `order` as read (R-REF-1..7), not yet claimed."""
        if order.state != "Refunded":  # R-REF-1's refusal of a Refunded order comes first
            refund_rules.check_requested_amount(order, refund_amount)
        event = self._listing(order)
        plan = refund_rules.plan_refund(
            order, tickets, upgrades, processing_fee=processing_fee, promoter_fee=promoter_fee,
            reason=reason, per_order_discount=self._per_order_discount(order, event),
        )  # fmt: skip
        payment = order.payments[0] if order.payments else None
        method = payment.paymentMethodType if payment else "None"
        charge_id = order.stripeChargeId
        intent_id = payment.paymentIntentId if payment else ""
        uses_stripe = plan.total > 0 and method not in NO_CHARGE_METHODS and bool(charge_id or intent_id)
        account = ""
        if uses_stripe:
            org = self.store.organizations.get(order.orgId)
            account = org.stripeId if org is not None else ""
            if not account:
                raise DomainError(ErrorCode.REFUSED, "The organization has no Stripe account to refund from.")
        record = RefundRecord(
            id=rid, orderId=order.id, orgId=order.orgId, eventId=order.eventId, plan=plan,
            amount=plan.total, refundApplicationFee=plan.refunds_processing_fee and uses_stripe,
            stripeAccount=account,
            chargeId=charge_id if charge_id.startswith("ch_") else "",
            paymentIntentId="" if charge_id.startswith("ch_") else intent_id,
            attempt=(existing.attempt + 1) if existing is not None else 0,
            createdAt=self.now(), createdBy=by,
        )  # fmt: skip
        if not uses_stripe:
            record.chargeId = record.paymentIntentId = ""
        return record

    def _after_lost_claim(self, record: RefundRecord) -> Order | None:
        """Someone holds the order's refund lock: the same refund (wait for it / resume it) or
        another one (refuse, unless it is stale: then finish it first and refuse politely).
        None when nobody holds it any more: the caller plans again from a new read."""
        deadline = time.monotonic() + WAIT_FOR_PEER
        while time.monotonic() < deadline:
            holder = self.records.lock_holder(record.orderId)
            mine = self.record(record.id)
            if mine is not None and mine.state == "succeeded":
                return self._order(record.orderId)
            if not holder:
                return None
            held = self.record(holder)
            if held is not None and self.now() - held.createdAt >= RESUME_AFTER:
                self._resume(held)
                if holder != record.id:
                    raise DomainError(
                        ErrorCode.CONFLICT, "The order changed while refunding. Please try again."
                    )
                return self._order(record.orderId)
            if holder != record.id:
                raise DomainError(ErrorCode.CONFLICT, "Another refund of this order is in progress.")
            time.sleep(0.2)
        raise DomainError(ErrorCode.CONFLICT, "This refund is in progress. Please check again shortly.")

    def _resume(self, record: RefundRecord) -> Order:
        """A pending record: re-ask Stripe with the same key (never a second refund), or wait for
        the request in flight when the record is fresh."""
        if self.now() - record.createdAt < RESUME_AFTER:
            waited = self._after_lost_claim(record) if self.records.lock_holder(record.orderId) else None
            return waited or self._order(record.orderId)
        if not record.stripeAccount:
            return self._settle_or_current(record.id, "api")
        return self._ask_stripe(record)

    def _ask_stripe(self, record: RefundRecord) -> Order:
        try:
            refund = self.payments.refund(
                record.stripeAccount,
                payment_intent=record.paymentIntentId or None,
                charge=record.chargeId or None,
                amount=record.amount,
                refund_application_fee=record.refundApplicationFee,
                idempotency_key=record.idempotency_key,
                metadata={"refundId": record.id, "orderId": record.orderId},
            )
        except DomainError as error:
            if error.code == ErrorCode.REFUSED:  # final: nothing moved, nothing saved
                self.mark_failed(record.id, error.message)
            raise  # otherwise unknown outcome: the record stays pending (webhook or retry settles)
        return self._from_stripe(record, refund, "api")

    def _from_stripe(self, record: RefundRecord, refund: RefundState, by: str) -> Order:
        if refund.status not in SETTLE_STATUSES:
            self.mark_failed(record.id, f"Stripe refund {refund.id} {refund.status}")
            raise DomainError(
                ErrorCode.PAYMENT_FAILED, "The refund failed at the bank. Nothing was refunded."
            )
        order = self._settle_or_current(record.id, by, stripe_refund_id=refund.id)
        self._return_whole_application_fee(record, refund.charge)
        return order

    def _return_whole_application_fee(self, record: RefundRecord, charge_id: str) -> None:
        """R-REF-7: the whole application fee, not only Stripe's proportional share (idempotent:
        it refunds only what is left of the fee, under a key derived from the refund)."""
        if not record.refundApplicationFee or not charge_id:
            return
        try:
            self.payments.refund_rest_of_application_fee(
                record.stripeAccount, charge_id, f"{record.idempotency_key}~fee"
            )
        except DomainError:
            log.exception("application fee rest not refunded", extra={"refundId": record.id})

    def mark_failed(self, refund_id: str, reason: str) -> None:
        """A refund that will not happen: the record says why and the order's lock is freed."""
        self.records.mark_failed(refund_id, reason, self.now())

    # --- settlement --------------------------------------------------------------------------------

    def _settle_or_current(self, refund_id: str, by: str, stripe_refund_id: str = "") -> Order:
        record = self.record(refund_id)
        if record is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Refund not found.")
        return self.settle(record, by, stripe_refund_id) or self._order(record.orderId)

    def settle(self, record: RefundRecord, by: str, stripe_refund_id: str = "") -> Order | None:
        """Apply a pending refund to its order, once. None when it was already settled."""
        fields: dict[str, Any] = {"state": "succeeded", "settledAt": self.now(), "settledBy": by}
        if stripe_refund_id:
            fields["stripeRefundId"] = stripe_refund_id

        def mutate(order: Order) -> _Applied:
            was_refunded = order.state == "Refunded"
            tickets, upgrades = refund_rules.apply_plan(
                order, record.plan, by=record.createdBy, at=record.createdAt
            )
            if order.refundPending == record.id:
                order.refundPending = ""
            metrics = customer_metrics.refund(
                order, amount=record.amount, tickets=len(tickets), upgrades=len(upgrades),
                became_refunded=not was_refunded and order.state == "Refunded", at=self.now(),
            )  # fmt: skip
            return _Applied(tickets, upgrades, metrics)

        try:
            order, _ = self._change_order(record.orderId, mutate, settlement=Settlement(record, fields))
        except AlreadySettledError:
            return None
        self._notify(record.orderId, record.id, record.amount)
        return order

    def _notify(self, order_id: str, key: str, amount: int) -> None:
        try:
            self.reactions.refund_notice(order_id, key, amount)
        except Exception:  # the money moved and the order says so; the e-mail can be resent
            log.exception("refund notice not queued", extra={"orderId": order_id, "key": key})

    def _change_order(
        self,
        order_id: str,
        mutate: Callable[[Order], _Applied],
        *,
        settlement: Settlement | None = None,
        refuse_while_refunding: bool = False,
        external_refund: RefundRecord | None = None,
    ) -> tuple[Order, _Applied]:
        """Change the order, give back the stock of the items it newly cancels (and its codes when
        it just died), with the settlement and metrics of the change, atomically; re-planned when
        the order moved meanwhile."""
        for _ in range(20):
            found = self.records.order(order_id)
            if found is None:
                raise DomainError(ErrorCode.NOT_FOUND, "Order not found.")
            order, version = found
            if refuse_while_refunding and order.refundPending:
                raise DomainError(ErrorCode.CONFLICT, "A refund of this order is in progress.")
            was_dead = refund_rules.is_dead(order)
            applied = mutate(order)
            died = not was_dead and refund_rules.is_dead(order)
            event = self._listing(order)
            children = self._mirrored_children(order, applied)
            # A season's child orders took no stock of their events: they give none back.
            stock = event if event is not None and not order.parentSeasonOrderId else None
            change = OrderChange(
                order=order, version=version, event_id=stock.id if stock else "",
                shard_count=stock.inventoryShards if stock else 0,
                units=self._units(order, stock, applied.tickets, applied.upgrades, died=died),
                return_code_uses=died, settlement=settlement, metrics=applied.metrics,
                children=[(child, child_version) for child, child_version, _, _ in children],
                member_uses=member_tickets.released_uses(order, applied.tickets),
                external_refund=external_refund,
            )  # fmt: skip
            try:
                self.records.commit(change)
            except StaleOrderError:
                continue
            applied.children = [(child, tickets, upgrades) for child, _, tickets, upgrades in children]
            self._after_commit(order, applied)
            return order, applied
        raise DomainError(ErrorCode.BUSY, "The order is busy. Please try again.")

    def _mirrored_children(
        self, parent: Order, applied: _Applied
    ) -> list[tuple[Order, Any, list[str], list[str]]]:
        """R-T3-2 (new): a refund or cancellation of a season order cancels the same items of
        its hidden child orders, in the same write as the parent (so it happens exactly when the
        parent's does, once). Only children that change are written."""
        if not season_orders.is_season_parent(parent) or not (applied.tickets or applied.upgrades):
            return []
        changed = []
        for child, version in self.records.children(parent.id):
            tickets, upgrades = season_orders.mirror_parent(parent, child)
            if tickets or upgrades:
                changed.append((child, version, tickets, upgrades))
        return changed

    def _after_commit(self, order: Order, applied: _Applied) -> None:
        """The reactions of a committed change (SPEC 5.21 OrderRefunded). None of them may undo
        it: each failure is logged, and each reaction is idempotent or re-checks before acting.
        A season order's cancelled children get theirs (seats, pending deliveries), not notices:
        the buyer hears about the season order once."""
        for child, tickets, _ in applied.children:
            self._after_child_commit(child, tickets)
        self._release_seats(order, applied.tickets)
        if applied.tickets or applied.upgrades:
            try:
                self.reactions.stock_returned(order)
            except Exception:  # a public page shows a stale count until its next re-sync
                log.exception("stock_returned hook failed", extra={"orderId": order.id})
        self._if_ended(order)

    def _if_ended(self, order: Order) -> None:
        """OrderRefunded: once nothing of the order admits, its pending deliveries are cancelled."""
        if not order.has_live_items():
            try:
                self.reactions.order_refunded(order.id)
            except Exception:  # delivery tasks re-check the order before sending anyway
                log.exception("order_refunded hook failed", extra={"orderId": order.id})

    def _after_child_commit(self, child: Order, tickets: list[str]) -> None:
        self._release_seats(child, tickets)
        self._if_ended(child)

    def _release_seats(self, order: Order, tickets: list[str]) -> None:
        """R-SEAT-4: the newly cancelled tickets' seats."""
        if tickets:
            try:
                self.seats.release_tickets(order, tickets)
            except Exception:  # the refund stands; a seat left booked can be released by hand
                log.exception("seat release failed", extra={"orderId": order.id})

    @staticmethod
    def _units(
        order: Order, event: TicketedListing | None, tickets: list[str], upgrades: list[str], *, died: bool
    ) -> dict[str, int]:
        units: dict[str, int] = {}

        def add(key: str) -> None:
            units[key] = units.get(key, 0) + 1

        for ticket in order.tickets:
            if ticket.id in tickets:
                add(inventory.ticket_type_key(ticket.ticketTypeId))
                add(inventory.tier_key(ticket.ticketTierId))
        for upgrade in order.upgrades:
            if upgrade.id in upgrades:
                add(inventory.upgrade_key(upgrade.upgradeId))
        if died and event is not None:
            for code in (order.promotionCode, order.discountCode):
                promotion = next(
                    (p for p in event.promotions if code and p.code.lower() == code.lower()), None
                )
                if promotion is not None:
                    add(inventory.promotion_key(promotion.id))
        return units

    # --- cancelOrder -------------------------------------------------------------------------------

    def cancel_order(
        self,
        principal: Principal | None,
        order_id: str,
        ticket_ids: Sequence[str] = (),
        upgrade_ids: Sequence[str] = (),
        reason: str = "",
    ) -> Order:
        order = self._order(order_id)
        caller = require_level(principal, BOX_OFFICE, order.orgId)
        caller.ensure_not_revoked()
        return self.cancel(order_id, ticket_ids, upgrade_ids, reason=reason)

    def cancel(
        self, order_id: str, ticket_ids: Sequence[str], upgrade_ids: Sequence[str], *, reason: str,
        keep_state: bool = False,
    ) -> Order:  # fmt: skip
        def mutate(order: Order) -> _Applied:
            return _Applied(
                *refund_rules.apply_cancel(
                    order, ticket_ids, upgrade_ids, reason=reason, keep_state=keep_state
                )
            )

        order, applied = self._change_order(order_id, mutate, refuse_while_refunding=True)
        if cancelled := applied.tickets + applied.upgrades:
            self._notify(order_id, refund_rules.cancel_id(order_id, cancelled), 0)
        return order

    # --- webhook -------------------------------------------------------------------------------------

    def reconcile_stripe_refund(self, account: str, refund_id: str) -> str:
        """charge.refund.updated / charge.refunded: re-read the refund on Stripe and settle (or
        fail) our record named in its metadata. Idempotent."""
        refund = self.payments.retrieve_refund(account, refund_id)
        ours = refund.metadata.get("refundId", "")
        if not ours:
            return self._record_external(account, refund)
        record = self.record(ours)
        if record is None:
            return "not ours"
        if record.state != "pending":
            if record.state == "succeeded" and refund.status in ("failed", "canceled"):
                log.error(
                    "settled refund failed at Stripe", extra={"refundId": record.id, "stripe": refund.id}
                )
                self.records.flag_stripe_status(record.id, refund.status)
                return f"refund {record.id} failed after settlement (flagged)"
            return f"refund {record.id} already {record.state}"
        if refund.status in SETTLE_STATUSES:
            self.settle(record, "webhook", refund.id)
            self._return_whole_application_fee(record, refund.charge)
            return f"refund {record.id} settled"
        self.mark_failed(record.id, f"Stripe refund {refund.id} {refund.status}")
        return f"refund {record.id} failed"

    def _record_external(self, account: str, refund: RefundState) -> str:
        """A refund of one of our charges made outside Sellout (the Stripe dashboard): recorded
        once (`refunds/rx_<Stripe refund id>`, in the same versioned write as the order change
        of refund_rules.apply_external_refund), so refundedAmount always equals what Stripe
        refunded and no later refund can pay back more than is left."""
        if refund.status not in SETTLE_STATUSES:
            return f"refund {refund.id} {refund.status}: nothing to record"
        order_id = self.records.order_for_charge(refund.charge, refund.payment_intent)
        org = self.store.organizations.get(order.orgId) if (order := self._maybe_order(order_id)) else None
        if order is None or org is None or org.stripeId != account:
            return "not ours"
        now = self.now()
        record = RefundRecord(
            id=f"rx_{refund.id}", orderId=order.id, orgId=order.orgId, eventId=order.eventId,
            state="succeeded", plan=refund_rules.RefundPlan(orderId=order.id), amount=refund.amount,
            stripeAccount=account, chargeId=refund.charge, stripeRefundId=refund.id, external=True,
            createdAt=now, createdBy="stripe-dashboard", settledAt=now, settledBy="webhook",
        )  # fmt: skip

        def mutate(current: Order) -> _Applied:
            tickets, upgrades = refund_rules.apply_external_refund(current, refund.amount)
            metrics = customer_metrics.refund(
                current, amount=refund.amount, tickets=0, upgrades=0, became_refunded=False, at=now
            )
            return _Applied(tickets, upgrades, metrics)

        try:
            self._change_order(order.id, mutate, external_refund=record)
        except AlreadySettledError:
            return f"dashboard refund {refund.id} already recorded"
        log.warning(
            "refund made outside Sellout recorded",
            extra={"orderId": order.id, "stripeRefundId": refund.id, "amount": refund.amount},
        )
        return f"dashboard refund {refund.id} recorded on order {order.id}"

    def _maybe_order(self, order_id: str | None) -> Order | None:
        return self.store.orders.get(order_id) if order_id else None  # type: ignore[no-any-return]

    def reconcile_charge(self, account: str, charge_id: str) -> str:
        refunds = self.payments.refunds_of_charge(account, charge_id)
        outcomes = [self.reconcile_stripe_refund(account, r.id) for r in refunds]
        return "; ".join(outcomes) or "no refunds"

    # --- refundEventOrders ------------------------------------------------------------------------------

    def refund_event_orders(
        self,
        principal: Principal | None,
        event_id: str,
        *,
        dry_run: bool,
        reason: str = "",
        event_type: str = "",
    ) -> dict[str, Any]:
        event = self.store.events.get(event_id)
        if event is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Event not found.")
        caller = require_level(principal, ADMIN, event.orgId)
        orders = self.store.orders.find(("eventId", "==", event_id))
        count, amount, fees = refund_rules.quote(orders)
        live = [o for o in orders if o.state != "Refunded"]
        response = {"allRefunded": not live, "refundCount": count, "refundAmount": amount,
                    "feeAmount": fees, "dryRun": dry_run}  # fmt: skip
        if dry_run:
            return response
        caller.ensure_not_revoked()
        reason = reason or DEFAULT_REFUND_ALL_REASON
        self.records.start_run(
            event_id,
            {"eventId": event_id, "startedAt": self.now(), "startedBy": caller.user_id,
             "refundReason": reason, "eventType": event_type or "", "orders": len(live),
             "state": "running"},
        )  # fmt: skip
        for order in live:
            self.records.queue_run_order(event_id, order.id, self.now())
            payload = {"eventId": event_id, "orderId": order.id, "refundReason": reason,
                       "eventType": event_type or "", "by": caller.user_id}  # fmt: skip
            self.tasks.enqueue(
                QUEUE, FUNCTION, payload, path=TASK_PATH, key=f"refund-all~{event_id}~{order.id}"
            )
        self.store.events.update(event_id, {"cancel": True})
        return response

    def run_refund_task(self, payload: dict[str, Any]) -> str:
        """One order of a refund-all run. Idempotent: a Refunded order (or one whose refund is the
        same record) is done already. Permanent refusals are recorded and answered as done."""
        event_id, order_id = str(payload.get("eventId", "")), str(payload.get("orderId", ""))
        try:
            order = self._order(order_id)
            if order.eventId != event_id:
                raise DomainError(ErrorCode.NOT_FOUND, "Order not found.")
            if payload.get("eventType") == "WithoutRefund":  # R-REF-9
                self.cancel(order_id, [], [], reason=str(payload.get("refundReason", "")), keep_state=True)
                outcome = "canceled"
            elif order.state == "Refunded":
                outcome = "skipped"
            else:
                self.refund(
                    order, [t.id for t in order.tickets if not t.refund.refunded],
                    [u.id for u in order.upgrades if not u.refund.refunded], processing_fee=True,
                    promoter_fee=True, reason=str(payload.get("refundReason", "")),
                    by=str(payload.get("by", "")),
                )  # fmt: skip
                outcome = "done"
        except DomainError as error:
            if error.code not in PERMANENT:
                self.records.set_run_order(
                    event_id, order_id, {"state": "retrying", "error": error.message, "at": self.now()}
                )
                raise
            self.records.set_run_order(
                event_id, order_id, {"state": "failed", "error": error.message, "at": self.now()}
            )
            return f"failed: {error.message}"
        self.records.set_run_order(event_id, order_id, {"state": outcome, "at": self.now()})
        return outcome

    def run_status(self, event_id: str) -> dict[str, int]:
        return self.records.run_counts(event_id)
