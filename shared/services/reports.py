"""CSV reports for Backstage (SPEC 5.18 R-RP-1 `generateOrderReport`, R-RP-2
`generateActivityReport`, R-RP-3 `generateUserProfileReport`; ADMIN(‡) of the context org).

The orders are the context org's orders that the `orders` query would list for the same
`OrderQueryInput` (OrderService.matching_org_orders; `query.orgId` is ignored, so a report never
reaches into another org). Reads per report: the order query (one document read per order), then
ONE batched read each for the buyers, the events and the venues of those orders — never one read
per order. The CSV is written to a private bucket object `reports/<orgId>/<id>.csv` and the
caller gets a signed URL valid for `url_seconds`.

Size rule (SPEC 5.18, D-32): up to `sync_limit` (500) orders or customers are built in the
request. A larger report is not built there: the caller gets `{url: null, message}` and the
export is recorded as a job and built by one Cloud Task (shared.services.report_exports), which
e-mails the link (`orderSheet` / `customerSheet`). The count is asked of Firestore as
`sync_limit + 1` whenever Firestore applies every criterion itself, so an oversized report
stops after reading one order too many instead of the whole org. The background build
(`build_report`) uses the same row code, reading the orders a Firestore page at a time and
keeping only the rows. Without an export scheduler (a service wired without one) a large
report answers LIMIT_EXCEEDED as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.domain import reports
from shared.domain.models import Event, Metrics, Order, User, UserProfile, Venue, new_id
from shared.domain.permissions import ADMIN, Principal, require_context_org
from shared.domain.ports import Repository
from shared.domain.report_jobs import ExportKind
from shared.errors import DomainError, ErrorCode

log = logging.getLogger(__name__)

SYNC_LIMIT = 500  # SPEC 5.18: above this the report is e-mailed
URL_SECONDS = 3600
READY_MESSAGE = "Your report is ready."


class ReportCatalog(Protocol):
    @property
    def users(self) -> Repository[User]: ...

    @property
    def events(self) -> Repository[Event]: ...

    @property
    def venues(self) -> Repository[Venue]: ...


class ReportStorage(Protocol):
    def put_csv(self, name: str, data: bytes, filename: str) -> None: ...

    def report_url(self, name: str, expires_at: int) -> str: ...


OrderFinder = Callable[[str, Mapping[str, Any] | None, int | None], list[Order]]
OrderPager = Callable[[str, Mapping[str, Any] | None, int], Iterator[list[Order]]]
CustomerFinder = Callable[[str, Mapping[str, Any] | None], list[UserProfile]]
MetricsOf = Callable[[UserProfile, str], Metrics | None]


class ExportScheduler(Protocol):
    """Records a report too large for the request and has it built and e-mailed."""

    def schedule(
        self, user_id: str, org_id: str, kind: ExportKind, query: Mapping[str, Any] | None
    ) -> dict[str, Any]: ...


PAGE_SIZE = 300  # orders read per Firestore page by a background build


def too_many(limit: int, what: str = "orders") -> DomainError:
    return DomainError(
        ErrorCode.LIMIT_EXCEEDED,
        f"This report would have more than {limit} {what}. Narrow it down (dates, events) and try again.",
    )


class ReportService:
    def __init__(
        self,
        catalog: ReportCatalog,
        find_orders: OrderFinder,
        storage: Callable[[], ReportStorage],
        *,
        find_customers: CustomerFinder | None = None,
        metrics_of: MetricsOf | None = None,
        order_pages: OrderPager | None = None,
        exports: ExportScheduler | None = None,
        clock: Callable[[], float] = time.time,
        sync_limit: int = SYNC_LIMIT,
        url_seconds: int = URL_SECONDS,
    ) -> None:
        self.catalog = catalog
        self.find_orders = find_orders
        self.storage = storage
        self.find_customers = find_customers
        self.metrics_of = metrics_of
        self.order_pages = order_pages
        self.exports = exports
        self.clock = clock
        self.sync_limit = sync_limit
        self.url_seconds = url_seconds

    def order_report(self, principal: Principal | None, query: Mapping[str, Any] | None) -> dict[str, Any]:
        """R-RP-1: one row per matching order."""
        return self._generate(principal, query, "orders")

    def activity_report(self, principal: Principal | None, query: Mapping[str, Any] | None) -> dict[str, Any]:
        """R-RP-2: one row per sale, refund and cancellation of the matching orders."""
        return self._generate(principal, query, "activity")

    def customer_report(self, principal: Principal | None, query: Mapping[str, Any] | None) -> dict[str, Any]:
        """R-RP-3: the org's customers (as `userProfiles` lists them) with this org's LTV."""
        caller, org_id = require_context_org(principal, ADMIN)
        profiles = self._customers(org_id, query)
        if len(profiles) > self.sync_limit:
            return self._schedule(caller, org_id, "customers", query, "customers")
        return self._store(org_id, "customers", self._customer_report(org_id, profiles))

    def _generate(
        self, principal: Principal | None, query: Mapping[str, Any] | None, kind: reports.ReportKind
    ) -> dict[str, Any]:
        caller, org_id = require_context_org(principal, ADMIN)  # also re-checks token revocation
        orders = [o for o in self.find_orders(org_id, query, self.sync_limit + 1) if o.orgId == org_id]
        if len(orders) > self.sync_limit:
            return self._schedule(caller, org_id, kind, query, "orders")
        return self._store(org_id, kind, reports.build(kind, self.report_orders(org_id, orders)))

    def _schedule(
        self, caller: Principal, org_id: str, kind: ExportKind, query: Mapping[str, Any] | None, what: str
    ) -> dict[str, Any]:
        if self.exports is None:
            raise too_many(self.sync_limit, what)
        return self.exports.schedule(caller.user_id, org_id, kind, query)

    def _customers(self, org_id: str, query: Mapping[str, Any] | None) -> list[UserProfile]:
        if self.find_customers is None or self.metrics_of is None:
            raise DomainError(ErrorCode.UNAVAILABLE, "Customer reports are not available.")
        return self.find_customers(org_id, query)

    def _customer_report(self, org_id: str, profiles: list[UserProfile]) -> reports.Report:
        metrics_of = self.metrics_of
        assert metrics_of is not None  # checked by _customers
        return reports.customer_report([(p, metrics_of(p, org_id)) for p in profiles])

    # --- background exports (shared.services.report_exports) -----------------------------------

    def build_report(self, org_id: str, kind: ExportKind, query: Mapping[str, Any] | None) -> reports.Report:
        """The whole report, however large, with the rows the request path writes. Nothing is
        authorized here: the export task re-checked the caller's level in `org_id`. Orders are
        read a page at a time and only their rows are kept; customers are held whole because
        the report lists them by name."""
        if kind == "customers":
            return self._customer_report(org_id, self._customers(org_id, query))
        builder = reports.builder_for(kind)
        for page in self._order_pages(org_id, query):
            builder.add(self.report_orders(org_id, [o for o in page if o.orgId == org_id]))
        return builder.report()

    def _order_pages(self, org_id: str, query: Mapping[str, Any] | None) -> Iterator[list[Order]]:
        if self.order_pages is not None:
            yield from self.order_pages(org_id, query, PAGE_SIZE)
            return
        found = self.find_orders(org_id, query, None)
        for start in range(0, len(found), PAGE_SIZE):
            yield found[start : start + PAGE_SIZE]

    def write(self, org_id: str, kind: str, report: reports.Report) -> str:
        """Upload the CSV as a private object; its name."""
        name = f"reports/{org_id}/{new_id()}.csv"
        filename = f"{kind}-{datetime.fromtimestamp(int(self.clock()), UTC):%Y-%m-%d}.csv"
        self.storage().put_csv(name, report.csv_bytes(), filename)
        # Counts only: the report itself holds personal data and stays out of the logs.
        log.info("report written", extra={"kind": kind, "orgId": org_id, "rows": len(report.rows)})
        return name

    def signed_url(self, name: str, expires_at: int) -> str:
        return self.storage().report_url(name, expires_at)

    def store(self, org_id: str, kind: str, report: reports.Report) -> dict[str, Any]:
        """A report built elsewhere (the wait list's, R-RP-4), stored like these: private object,
        signed URL. The caller has authorized it."""
        return self._store(org_id, kind, report)

    def _store(self, org_id: str, kind: str, report: reports.Report) -> dict[str, Any]:
        name = self.write(org_id, kind, report)
        return {"url": self.signed_url(name, int(self.clock()) + self.url_seconds), "message": READY_MESSAGE}

    def report_orders(self, org_id: str, orders: list[Order]) -> list[reports.ReportOrder]:
        """The orders with their buyers, events and venues: one batched read per kind. Events and
        venues of another org (a corrupt reference) are left out rather than shown."""
        users = self.catalog.users.get_many(list(dict.fromkeys(o.userId for o in orders if o.userId)))
        wanted = list(dict.fromkeys(o.eventId for o in orders if o.eventId))
        events = {k: e for k, e in self.catalog.events.get_many(wanted).items() if e.orgId == org_id}

        def venue_id(order: Order) -> str:
            event = events.get(order.eventId)
            return (event.venueId if event is not None else "") or next(iter(order.venueIds), "")

        wanted = list(dict.fromkeys(v for o in orders if (v := venue_id(o))))
        venues = {k: v for k, v in self.catalog.venues.get_many(wanted).items() if v.orgId == org_id}
        return [
            reports.ReportOrder(
                order=o,
                buyer=users.get(o.userId) if o.userId else None,
                event=events.get(o.eventId),
                venue=venues.get(venue_id(o)),
            )
            for o in orders
        ]
