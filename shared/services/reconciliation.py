"""Daily reconciliation with Stripe (issue 12). Rules: shared.domain.reconciliation.

Cloud Scheduler posts to the refund function's `POST /tasks/reconcile` shortly after midnight
UTC with `{}`: that run plans one Cloud Task per Stripe account (the platform's own, and each
connected account of an organization) on the `refunds` queue, named `reconcile~<day>~<account>`,
each `{"date", "account"}` back to the same route. One account's run:

1. lists the account's charges and refunds created on that UTC day (stripe-python, auto-paging,
   `created[gte|lt]`, `Stripe-Account` for a connected account);
2. pairs them with the orders that record those charges and the refund records behind those
   refunds (metadata `refundId`, else the Stripe refund id we stored at settlement): the
   account's orders and refund records of that day are read once, and only what they do not
   pair is looked up one by one (recorded on another day, or by nobody);
3. for a connected account, also checks that Stripe has every card order and settled refund we
   recorded that day (fetching those it did not list: captured since, or near midnight);
4. stores each Mismatch create-if-absent under `<day>~<kind>~<object>` and logs the new ones at
   ERROR, once each: an operator must look, and the error-log alert pages them. A rerun (the
   task retried, or run again by hand) finds the same names and stores and logs nothing new.

Super users read a day's mismatches through GraphQL (`reconciliationMismatches(date)`). By hand:
`make reconcile DATE=YYYY-MM-DD` (shared.run_reconciliation) runs every account in-process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.domain import reconciliation as rules
from shared.domain.models import Order, Organization
from shared.domain.permissions import SUPER_USER, Principal, require_level
from shared.domain.ports import Repository
from shared.domain.reconciliation import AccountUnreadableError, Mismatch, StripeCharge, StripeRefund
from shared.domain.refund_rules import RefundRecord
from shared.services.scheduled_tasks import TaskQueue

log = logging.getLogger("sellout.reconciliation")

QUEUE = "refunds"  # paced for Stripe's rate limits already
FUNCTION = "refund"  # holds the Stripe key and reads orders and refunds
TASK_PATH = "/tasks/reconcile"


class StripeLedger(Protocol):
    """What Stripe holds, per account ("" = the platform)."""

    def charges(self, account: str, start: int, end: int) -> Iterable[StripeCharge]:
        """Charges created in [start, end), every page."""
        ...

    def refunds(self, account: str, start: int, end: int) -> Iterable[StripeRefund]:
        """Refunds created in [start, end), every page."""
        ...

    def charge(self, account: str, charge_id: str) -> StripeCharge | None: ...

    def intent_charge(self, account: str, intent_id: str) -> StripeCharge | None:
        """The latest charge of a PaymentIntent (None: no such intent, or never charged)."""
        ...

    def refund(self, account: str, refund_id: str) -> StripeRefund | None: ...

    def refunds_of(self, account: str, charge_id: str, intent_id: str) -> list[StripeRefund]: ...


class ReconciliationBooks(Protocol):
    """Our side: orders, refund records, and the stored mismatches."""

    def orders_for_charges(self, charge_ids: Iterable[str]) -> dict[str, Order]:
        """The (non-child) order recording each charge id, for those that have one."""
        ...

    def refund_records(self, refund_ids: Iterable[str]) -> dict[str, RefundRecord]: ...

    def records_for_stripe_refunds(self, stripe_refund_ids: Iterable[str]) -> dict[str, RefundRecord]:
        """Our records by the Stripe refund id stored at settlement."""
        ...

    def orders_created(self, org_id: str, start: int, end: int) -> list[Order]: ...

    def refunds_created(self, account: str, start: int, end: int) -> list[RefundRecord]: ...

    def add_mismatch(self, mismatch: Mismatch) -> bool:
        """Store it unless one of that id exists; True when this call stored it."""
        ...

    def mismatches(self, day: str) -> list[Mismatch]: ...


@dataclass
class AccountResult:
    account: str
    found: list[Mismatch] = field(default_factory=list)
    new: list[Mismatch] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"{rules.account_label(self.account)}: {len(self.found)} mismatches, {len(self.new)} new"


class ReconciliationService:
    def __init__(
        self,
        *,
        ledger: Callable[[], StripeLedger],
        books: ReconciliationBooks,
        organizations: Repository[Organization],
        tasks: TaskQueue,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # A factory: the GraphQL function builds this service only to read mismatches.
        self.ledger, self.books, self.organizations = ledger, books, organizations
        self.tasks, self.clock = tasks, clock

    # --- refund function (Cloud Scheduler, Cloud Tasks) -----------------------------------------

    def run_task(self, payload: Mapping[str, Any]) -> str:
        """`{}` or `{"date"}`: plan the day's accounts; `{"date", "account"}`: reconcile one."""
        day = str(payload.get("date") or rules.previous_day(self.clock()))
        rules.day_bounds(day)  # a malformed date is refused before anything runs
        if "account" not in payload:
            return self.plan_day(day)
        return self.reconcile_account(day, _account(str(payload.get("account") or ""))).summary

    def plan_day(self, day: str) -> str:
        """One task per account, so each stays within the function's timeout and a Stripe
        outage on one account retries only that account."""
        accounts = self.accounts()
        for account in accounts:
            label = rules.account_label(account)
            self.tasks.enqueue(
                QUEUE, FUNCTION, {"date": day, "account": label}, path=TASK_PATH,
                key=f"reconcile~{day}~{label}",
            )  # fmt: skip
        log.info("reconciliation planned", extra={"date": day, "accounts": len(accounts)})
        return f"planned {len(accounts)} accounts for {day}"

    def reconcile_day(self, day: str) -> list[AccountResult]:
        """Every account in this process (by hand: make reconcile)."""
        rules.day_bounds(day)
        return [self.reconcile_account(day, account) for account in self.accounts()]

    def accounts(self) -> list[str]:
        """The platform ("") and every connected account an organization holds."""
        connected = {org.stripeId for org in self.organizations.find(("stripeId", "!=", "")) if org.stripeId}
        return ["", *sorted(connected)]

    def reconcile_account(self, day: str, account: str) -> AccountResult:
        start, end = rules.day_bounds(day)
        ledger = self.ledger()
        orgs = (
            sorted(org.id for org in self.organizations.find(("stripeId", "==", account))) if account else []
        )
        books = _Day(day, account)
        try:
            books.charges = {c.id: c for c in ledger.charges(account, start, end)}
            books.refunds = {r.id: r for r in ledger.refunds(account, start, end)}
            # Our records of the day are read once: they pair with most of what Stripe listed.
            books.orders = [order for org in orgs for order in self.books.orders_created(org, start, end)]
            books.records = self.books.refunds_created(account, start, end) if account else []
            found = self._check_stripe_side(ledger, books)
            found += self._check_our_side(ledger, books)
        except AccountUnreadableError:
            # Retrying cannot help: recorded (and alerted) once, and the task ends.
            found = [rules.account_unreadable(day, account, orgs)]
        result = self._store(day, account, found)
        log.info("reconciled", extra={"date": day, "stripeAccount": rules.account_label(account),
                                      "charges": len(books.charges), "refunds": len(books.refunds),
                                      "mismatches": len(found), "new": len(result.new)})  # fmt: skip
        return result

    def _check_stripe_side(self, ledger: StripeLedger, books: _Day) -> list[Mismatch]:
        """Every charge and refund Stripe made that day against our record of it."""
        found: list[Mismatch] = []
        orders = {o.stripeChargeId: o for o in books.orders if o.stripeChargeId and not o.parentSeasonOrderId}
        taken = [c.id for c in books.charges.values() if c.took_money and c.id not in orders]
        orders.update(self.books.orders_for_charges(taken))  # recorded on another day, or by nobody
        for charge in books.charges.values():
            found += rules.check_charge(books.day, charge, orders.get(charge.id))
        refunded = self._charges_of(ledger, books.account, books.refunds.values(), books.charges)
        records = self._records_of(books.refunds.values(), books.records)
        for refund in books.refunds.values():
            of = refunded.get(refund.charge)
            if of is not None and of.took_money:  # a released authorisation refunds nothing
                found += rules.check_refund(books.day, refund, records.get(refund.id))
        return found

    def _check_our_side(self, ledger: StripeLedger, books: _Day) -> list[Mismatch]:
        """Every card order and settled refund we recorded that day on the account against
        Stripe, for those its listings did not already pair with them."""
        found: list[Mismatch] = []
        for order in books.orders:
            listed = books.charges.get(order.stripeChargeId)
            if not rules.expects_charge(order) or (listed is not None and listed.took_money):
                continue  # no card payment, or its charge was compared above
            # Fetched again even when listed uncaptured: it may have been captured since.
            charge = self._order_charge(ledger, books.account, order)
            found += rules.check_order(books.day, books.account, order, charge)
        for record in books.records:
            listed_refund = books.refunds.get(record.stripeRefundId)
            if record.state != "succeeded" or (listed_refund is not None and listed_refund.counts):
                continue  # in flight or failed, or compared above
            refund = listed_refund or self._record_refund(ledger, books.account, record)
            found += rules.check_record(books.day, record, refund)
        return found

    def _store(self, day: str, account: str, found: list[Mismatch]) -> AccountResult:
        """Each mismatch stored once; the ones this run stored first are logged at ERROR."""
        result = AccountResult(account, found=found)
        now = int(self.clock())
        for mismatch in found:
            mismatch.foundAt = now
            if self.books.add_mismatch(mismatch):
                result.new.append(mismatch)
                log.error(
                    "reconciliation mismatch: %s", mismatch.message,
                    extra={"kind": mismatch.kind, "date": day, "stripeAccount": mismatch.stripeAccount,
                           "objectId": mismatch.objectId, "orderId": mismatch.orderId},
                )  # fmt: skip
        return result

    def _charges_of(
        self,
        ledger: StripeLedger,
        account: str,
        refunds: Iterable[StripeRefund],
        listed: dict[str, StripeCharge],
    ) -> dict[str, StripeCharge]:
        """The charges the refunds are of: listed that day, or fetched (charged earlier)."""
        found = dict(listed)
        for refund in refunds:
            if refund.charge and refund.charge not in found:
                charge = ledger.charge(account, refund.charge)
                if charge is not None:
                    found[charge.id] = charge
        return found

    def _records_of(
        self, refunds: Iterable[StripeRefund], day_records: list[RefundRecord]
    ) -> dict[str, RefundRecord]:
        """Our record of each Stripe refund, by Stripe refund id: the day's records first, then
        by the id in its metadata, then by the Stripe refund id stored at settlement."""
        listed = list(refunds)
        ours = {record.id: record for record in day_records}
        ours.update(self.books.refund_records(r.our_refund_id for r in listed if r.our_refund_id not in ours))
        found = {r.id: ours[r.our_refund_id] for r in listed if r.our_refund_id in ours}
        settled = {record.stripeRefundId: record for record in day_records if record.stripeRefundId}
        found.update({r.id: settled[r.id] for r in listed if r.id not in found and r.id in settled})
        found.update(self.books.records_for_stripe_refunds(r.id for r in listed if r.id not in found))
        return found

    @staticmethod
    def _order_charge(ledger: StripeLedger, account: str, order: Order) -> StripeCharge | None:
        if order.stripeChargeId:
            return ledger.charge(account, order.stripeChargeId)
        intent = next((p.paymentIntentId for p in order.payments if p.paymentIntentId), "")
        return ledger.intent_charge(account, intent) if intent else None

    @staticmethod
    def _record_refund(ledger: StripeLedger, account: str, record: RefundRecord) -> StripeRefund | None:
        if record.stripeRefundId:
            return ledger.refund(account, record.stripeRefundId)
        mine = ledger.refunds_of(account, record.chargeId, record.paymentIntentId)
        return next((r for r in mine if r.our_refund_id == record.id), None)

    # --- GraphQL ----------------------------------------------------------------------------------

    def mismatches(self, principal: Principal | None, day: str | None) -> list[Mismatch]:
        """reconciliationMismatches (SUPER_USER): what a day's runs found, oldest kind first."""
        require_level(principal, SUPER_USER, None)
        rules.day_bounds(str(day or ""))
        return sorted(self.books.mismatches(str(day)), key=lambda m: (m.kind, m.stripeAccount, m.objectId))


@dataclass
class _Day:
    """One account's day: what Stripe listed and what we recorded."""

    day: str
    account: str
    charges: dict[str, StripeCharge] = field(default_factory=dict)
    refunds: dict[str, StripeRefund] = field(default_factory=dict)
    orders: list[Order] = field(default_factory=list)
    records: list[RefundRecord] = field(default_factory=list)


def _account(label: str) -> str:
    return "" if label == rules.PLATFORM else label
