"""`ordersChargeUpdate` (SPEC 4.2, SUPER_USER‡): back-fill `stripeChargeId` from PaymentIntents.

Orders written before checkout recorded the charge, or imported from the original platform,
have a card payment (`payments[].paymentIntentId`) but no `stripeChargeId`; disputes are matched
by charge id, so those orders are invisible to them. For each such order this looks up the
intent's `latest_charge` on the organization's connected account and stores it.

- Idempotent: only orders whose `stripeChargeId` is still empty are read, and the write is a
  compare-and-set on that emptiness, so a second run (or two at once) changes nothing twice.
- Bounded: at most `max_lookups` Stripe look-ups and `max_scanned` orders per call. A cursor
  remembers the last order examined, so the next call goes on from there, past orders that never
  get a charge (cash, complimentary, an intent that was never charged); the pass ends, and the
  cursor starts over, when the scan reaches the last order. The message says how many orders
  were updated and whether more remain.
- A Stripe refusal for one order (intent unknown on that account) skips it; Stripe being down
  stops the call (the orders already written stay written; the next call resumes).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from shared.domain.models import Organization
from shared.domain.permissions import SUPER_USER, Principal, require_level
from shared.domain.ports import Repository
from shared.errors import DomainError, ErrorCode

log = logging.getLogger(__name__)

MAX_LOOKUPS = 50
MAX_SCANNED = 2000
PAGE_SIZE = 200


@dataclass(frozen=True)
class ChargelessOrder:
    id: str
    org_id: str
    intent_id: str  # "" when the order has no card payment


class ChargeBackfillStore(Protocol):
    def orders_without_charge(self, after: str, limit: int) -> list[ChargelessOrder]:
        """Orders with an empty `stripeChargeId`, by id, after the id `after` ("" = from the start)."""
        ...

    def set_charge_if_empty(self, order_id: str, charge_id: str) -> bool: ...

    def cursor(self) -> str: ...

    def save_cursor(self, after: str) -> None: ...


class IntentReader(Protocol):
    def retrieve(self, account: str, intent_id: str) -> _Intent: ...


class _Intent(Protocol):
    @property
    def latest_charge(self) -> str: ...


@dataclass
class BackfillResult:
    updated: int = 0
    skipped: int = 0
    more: bool = False

    @property
    def message(self) -> str:
        orders = "order" if self.updated == 1 else "orders"
        rest = "more orders remain: run it again." if self.more else "no more orders remain."
        return f"Updated {self.updated} {orders}; {rest}"


class ChargeBackfillService:
    def __init__(
        self,
        store: ChargeBackfillStore,
        organizations: Repository[Organization],
        payments: IntentReader,
        *,
        max_lookups: int = MAX_LOOKUPS,
        max_scanned: int = MAX_SCANNED,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.store = store
        self.organizations = organizations
        self.payments = payments
        self.max_lookups = max_lookups
        self.max_scanned = max_scanned
        self.page_size = page_size

    def update_charges(self, principal: Principal | None) -> dict[str, str]:
        require_level(principal, SUPER_USER, None)
        result = self.run()
        return {"message": result.message}

    def run(self) -> BackfillResult:
        result = BackfillResult()
        accounts: dict[str, str] = {}
        after = self.store.cursor()
        lookups = scanned = 0
        while not result.more:
            page = self.store.orders_without_charge(after, self.page_size)
            for order in page:
                if lookups >= self.max_lookups or scanned >= self.max_scanned:
                    result.more = True
                    break
                scanned += 1
                if order.intent_id:
                    lookups += 1
                    self._fill(order, accounts, result)
                after = order.id  # only after it was handled: a failure above retries it next call
            if len(page) < self.page_size:
                break
        self.store.save_cursor(after if result.more else "")
        log.info(
            "charge back-fill",
            extra={
                "updated": result.updated,
                "skipped": result.skipped,
                "scanned": scanned,
                "more": result.more,
            },
        )
        return result

    def _fill(self, order: ChargelessOrder, accounts: dict[str, str], result: BackfillResult) -> None:
        if order.org_id not in accounts:
            org = self.organizations.get(order.org_id) if order.org_id else None
            accounts[order.org_id] = org.stripeId if org is not None else ""
        account = accounts[order.org_id]
        if not account:
            result.skipped += 1
            return
        try:
            charge = self.payments.retrieve(account, order.intent_id).latest_charge
        except DomainError as error:
            if error.code == ErrorCode.UPSTREAM_FAILED:
                raise  # Stripe is down: stop here, the next call resumes at this order
            log.info("intent not found for back-fill", extra={"orderId": order.id})
            result.skipped += 1
            return
        if charge and self.store.set_charge_if_empty(order.id, charge):
            result.updated += 1
        else:
            result.skipped += 1
