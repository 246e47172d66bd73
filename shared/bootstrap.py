"""Builds the real adapters and the services on top of them, once per function instance.

This is the only module that chooses implementations: tests and benchmarks build the same
graph from the same settings, pointed at the emulators.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from shared.adapters.charge_backfill_store import FirestoreChargeBackfillStore
from shared.adapters.delivery_store import FirestoreDeliveryStore
from shared.adapters.email_verification_store import FirestoreEmailVerifications
from shared.adapters.event_store import FirestoreEventWriter
from shared.adapters.fee_store import FirestoreFeeWriter
from shared.adapters.firebase_auth import FirebaseAuthenticator
from shared.adapters.firestore_store import FirestoreRepository, FirestoreStore, firestore_client
from shared.adapters.ipstack_geo import IpstackLocator
from shared.adapters.order_store import FirestoreOrderStore
from shared.adapters.rate_limit_store import FirestoreRateLimiter
from shared.adapters.reconciliation_store import FirestoreReconciliationBooks
from shared.adapters.refund_store import FirestoreRefundStore
from shared.adapters.report_job_store import FirestoreReportJobs
from shared.adapters.sales_report_store import FirestoreSalesReportStore
from shared.adapters.sign_in_code_store import FirestoreSignInCodes
from shared.adapters.stripe_cards import StripeSavedCards, StripeTerminal
from shared.adapters.stripe_gateway import StripeGateway
from shared.adapters.stripe_payments import StripeConnect, StripePayments, StripeRefunds
from shared.adapters.task_queue import CloudTaskQueue
from shared.adapters.waitlist_store import FirestoreWaitListStore
from shared.adapters.webflow_store import FirestoreWebFlowStore
from shared.domain.identity import IdentityService
from shared.domain.models import Order, Season
from shared.domain.seating import Seating
from shared.domain.ticket_codes import TicketSigner, private_key_from_setting
from shared.services.account_emails import AccountEmailService
from shared.services.accounts import AccountService
from shared.services.analytics import AnalyticsService
from shared.services.catalog import CatalogService
from shared.services.checkout import CheckoutService
from shared.services.delivery import DeliveryService
from shared.services.events import EventService
from shared.services.fees import FeeService
from shared.services.geolocation import GeolocationService
from shared.services.mailer import FallbackMailer
from shared.services.member_tickets import MemberDirectory, MemberTicketService
from shared.services.orders import OrderService
from shared.services.orders_backfill import ChargeBackfillService
from shared.services.printing import BreakApartService
from shared.services.public_events import PublicEventService
from shared.services.reconciliation import ReconciliationService, StripeLedger
from shared.services.refunds import RefundService
from shared.services.report_exports import ReportExports
from shared.services.reports import ReportService
from shared.services.roles import RoleService
from shared.services.sales_reports import SalesReportService
from shared.services.saved_cards import SavedCardService
from shared.services.scanning import ScanService, signing_keys
from shared.services.seasons import SeasonService
from shared.services.seating import SeatingService, SeatsioPort
from shared.services.sign_in_bridge import LegacySignInService
from shared.services.stripe_webhooks import StripeWebhookService
from shared.services.terminal import TerminalService
from shared.services.texting import TextSender
from shared.services.uploads import UploadService
from shared.services.waitlist import WaitListService
from shared.services.webflow import WebflowPort, WebflowService
from shared.settings import Settings, get_settings

if TYPE_CHECKING:
    from shared.adapters.report_storage import CloudReportStorage
    from shared.domain.sales_report import ReportDocument
    from shared.services.delivery import TicketImages
    from shared.services.uploads import UploadStorage

T = TypeVar("T")
log = logging.getLogger("sellout.bootstrap")


@dataclass
class Services:
    settings: Settings

    @cached_property
    def store(self) -> FirestoreStore:
        return FirestoreStore(
            firestore_client(self.settings.gcp_project),
            stock_summary_seconds=self.settings.stock_summary_seconds,
        )

    @cached_property
    def authenticator(self) -> FirebaseAuthenticator:
        return FirebaseAuthenticator(self.settings)

    @cached_property
    def rate_limiter(self) -> FirestoreRateLimiter:
        return FirestoreRateLimiter(self.store.client)

    @cached_property
    def identity(self) -> IdentityService:
        return IdentityService(self.store.users, self.store.user_profiles, self.store.roles)

    @cached_property
    def catalog(self) -> CatalogService:
        return CatalogService(self.store, on_updated=self.entity_updated)

    @cached_property
    def fees(self) -> FeeService:
        return FeeService(self.store, writer=FirestoreFeeWriter(self.store.client))

    @cached_property
    def stripe(self) -> StripeGateway:
        return StripeGateway(self.settings)

    @cached_property
    def accounts(self) -> AccountService:
        return AccountService(
            self.store, self.fees, self.stripe, self.authenticator, self.settings,
            on_org_updated=lambda org_id: self.entity_updated(org_id, "ORGANIZATION", org_id),
            emails=self.account_emails, on_org_created=self.organization_created,
        )  # fmt: skip

    @cached_property
    def roles(self) -> RoleService:
        return RoleService(self.store, on_created=self.account_emails.queue_invitation)

    @cached_property
    def saved_cards(self) -> SavedCardService:
        return SavedCardService(self.store.user_profiles, self.stripe, StripeSavedCards(self.settings))

    @cached_property
    def terminal(self) -> TerminalService:
        return TerminalService(self.store.organizations, StripeTerminal(self.settings))

    @cached_property
    def task_queue(self) -> CloudTaskQueue:
        return CloudTaskQueue(self.settings)

    @cached_property
    def stripe_connect(self) -> StripeConnect:
        return StripeConnect(self.settings)

    @cached_property
    def payments(self) -> StripePayments:
        return StripePayments(self.settings)

    @cached_property
    def checkout(self) -> CheckoutService:
        return CheckoutService(
            self.store,
            self.payments,
            self.task_queue,
            self.fees.event_fees,
            on_order_created=self.order_created,
            seats=self.seating,
            cards=self.saved_cards,
            members=self.member_tickets,
        )

    @cached_property
    def member_tickets(self) -> MemberTicketService:
        """Member-linked and guest tickets (R-T3-5/6, R-ORD-7): the org's member API is called over
        HTTP, its tokens cached per org by the one adapter this instance keeps."""
        settings = self.settings

        def directory() -> MemberDirectory:
            from shared.adapters.member_api import MemberApi

            return MemberApi(settings)

        return MemberTicketService(self.store, self.store.checkout.member_uses, _once(directory))

    def order_created(self, order: Order) -> None:
        """OrderCreated reactions (SPEC 5.21), after the order is committed; each is idempotent
        because a retried createOrder or a webhook racing the client calls this again."""
        self.delivery.plan_for(order)
        self.geolocation.order_created(order)
        self.resync_listing(order)

    def resync_listing(self, order: Order) -> None:
        """A sale or refund changed what is left: re-sync the event's Webflow item (debounced).
        Never fails the order: a stale count is fixed by the next re-sync."""
        try:
            self.webflow.resync_event(order.orgId, order.eventId)
        except Exception:
            log.exception("webflow re-sync not scheduled", extra={"eventId": order.eventId})

    def organization_created(self, org_id: str) -> None:
        """OrganizationCreated reactions beyond the fees (SPEC 5.21): never fail the new org."""
        try:
            self.webflow.organization_created(org_id)
        except Exception:
            log.exception("webflow record not created", extra={"orgId": org_id})
        self.seating.organization_created(org_id)

    def entity_updated(self, org_id: str, kind: str, item_id: str) -> None:
        """VenueUpdated / ArtistUpdated / OrganizationUpdated: re-push its Webflow items."""
        try:
            self.webflow.entity_updated(org_id, kind, item_id)
        except Exception:
            log.exception("webflow re-push not queued", extra={"orgId": org_id, "kind": kind})

    @cached_property
    def geolocation(self) -> GeolocationService:
        settings = self.settings

        def locator() -> IpstackLocator:
            return IpstackLocator(settings)

        return GeolocationService(self.store.orders, self.task_queue, _once(locator))

    @cached_property
    def stripe_webhooks(self) -> StripeWebhookService:
        secrets = [self.settings.stripe_webhook_secret, self.settings.stripe_connect_webhook_secret]
        return StripeWebhookService(
            self.store, self.checkout, [s.get_secret_value() for s in secrets], refunds=self.refunds
        )

    @cached_property
    def refunds(self) -> RefundService:
        payments = StripeRefunds(self.settings)
        reactions = _AfterRefund(self.delivery, self.resync_listing)
        return RefundService(
            self.store, self.refund_store, payments, self.task_queue, reactions, seats=self.seating
        )

    @cached_property
    def task_records(self) -> FirestoreDeliveryStore:
        """`tasks` and `deliveries` (R-TASK-1): shared by delivery, Webflow and wait-list work."""
        return FirestoreDeliveryStore(self.store.client)

    @cached_property
    def refund_store(self) -> FirestoreRefundStore:
        store = self.store
        return FirestoreRefundStore(store.client, store.inventory, store.checkout, store.checkout.metrics)

    @cached_property
    def events(self) -> EventService:
        return EventService(
            self.store, FirestoreEventWriter(self.store.client, self.store.inventory), self.fees,
            webflow=self.webflow, seating=self.seating,
        )  # fmt: skip

    @cached_property
    def seating(self) -> SeatingService:
        # The seats.io SDK is imported when seats.io is first called: most requests never do.
        settings = self.settings

        def api() -> SeatsioPort:
            from shared.adapters.seatsio_api import SeatsioApi

            return SeatsioApi(settings)

        store = self.store
        return SeatingService(
            FirestoreRepository(store.client, "seatings", Seating), store.organizations, _once(api),
            self.task_queue,
        )  # fmt: skip

    @cached_property
    def webflow(self) -> WebflowService:
        # The Webflow SDK is imported when a push first runs: the GraphQL function only enqueues.
        settings = self.settings

        def api() -> WebflowPort:
            from shared.adapters.webflow_api import WebflowApi

            return WebflowApi(settings)

        store = self.store
        return WebflowService(
            records=FirestoreWebFlowStore(store.client), events=store.events, venues=store.venues,
            artists=store.artists, organizations=store.organizations,
            # A lambda, not self.events.event: EventService is built with this service.
            live_event=lambda event_id: self.events.event(event_id),  # noqa: PLW0108
            tasks=self.task_queue,
            task_records=self.task_records, api=_once(api),
        )  # fmt: skip

    @cached_property
    def order_store(self) -> FirestoreOrderStore:
        return FirestoreOrderStore(self.store.client)

    @cached_property
    def orders(self) -> OrderService:
        return OrderService(self.store, self.order_store, live_events=self.events.live)

    @cached_property
    def reports(self) -> ReportService:
        settings = self.settings

        def storage() -> CloudReportStorage:
            # Imported when first used: google.cloud.storage would add to every cold start.
            from shared.adapters.report_storage import CloudReportStorage

            return CloudReportStorage(settings)

        return ReportService(
            self.store, self.orders.matching_org_orders, _once(storage),
            find_customers=self.accounts.org_customers, metrics_of=self.accounts.org_metrics,
            order_pages=self.orders.matching_org_order_pages, exports=self.report_exports,
        )  # fmt: skip

    @cached_property
    def report_exports(self) -> ReportExports:
        """Reports too large for a request (R-RP-1..3): scheduled by graphql, built and mailed
        by send-email."""
        store = self.store
        return ReportExports(
            jobs=FirestoreReportJobs(store.client), tasks=self.task_queue,
            reports=lambda: self.reports, users=store.users, roles=store.roles,
            organizations=store.organizations, claims=self.task_records, mailer=self.mailer,
            email_from=self.settings.email_from,
        )  # fmt: skip

    @cached_property
    def scanning(self) -> ScanService:
        keys = signing_keys(self.settings.ticket_signing_key.get_secret_value())
        return ScanService(self.store, self.order_store, keys)

    @cached_property
    def mailer(self) -> Callable[[], FallbackMailer]:
        """SendGrid with SES as fallback, built when a mail is first sent: only send-email sends
        (and holds the keys), and the SDKs would add to every function's cold start."""
        settings = self.settings

        def build() -> FallbackMailer:
            from shared.adapters.sendgrid_mail import SendGridMail
            from shared.adapters.ses_mail import SesMail

            return FallbackMailer(SendGridMail(settings), SesMail(settings))

        return _once(build)

    @cached_property
    def account_emails(self) -> AccountEmailService:
        store = self.store
        return AccountEmailService(
            users=store.users, profiles=store.user_profiles, roles=store.roles,
            organizations=store.organizations,
            verifications=FirestoreEmailVerifications(store.client), claims=self.task_records,
            tasks=self.task_queue, directory=self.authenticator, mailer=self.mailer,
            email_from=self.settings.email_from, backstage_url=self.settings.backstage_url,
        )  # fmt: skip

    @cached_property
    def sign_in(self) -> LegacySignInService:
        """The legacy sign-in bridge (SPEC 4.4, LEGACY_SIGN_IN)."""
        settings = self.settings

        def texts() -> TextSender:
            from shared.adapters.plivo_sms import PlivoSms

            return PlivoSms(settings)

        return LegacySignInService(
            enabled=settings.legacy_sign_in, users=self.store.users, identity=self.identity,
            directory=self.authenticator, codes=FirestoreSignInCodes(self.store.client),
            limiter=self.rate_limiter, tasks=self.task_queue, claims=self.task_records,
            mailer=self.mailer, texts=_once(texts), email_from=settings.email_from,
            phone_region=settings.default_phone_region,
        )  # fmt: skip

    @cached_property
    def delivery(self) -> DeliveryService:
        # Provider adapters are imported when first used: SendGrid, Plivo, boto3, Cloud Storage
        # and the QR renderer would otherwise add to every function's cold start.
        settings = self.settings

        def images() -> TicketImages:
            from shared.adapters.ticket_storage import CloudTicketStorage

            return CloudTicketStorage(settings)

        def signer() -> TicketSigner:
            return TicketSigner(private_key_from_setting(settings.ticket_signing_key.get_secret_value()))

        def texts() -> TextSender:
            from shared.adapters.plivo_sms import PlivoSms

            return PlivoSms(settings)

        store = self.store
        return DeliveryService(
            orders=store.orders, events=store.events, venues=store.venues,
            organizations=store.organizations, users=store.users,
            records=self.task_records, tasks=self.task_queue,
            images=_once(images), signer=_once(signer), mailer=self.mailer, texts=_once(texts),
            email_from=settings.email_from, refund_records=self.refund_store, seasons=self.store.seasons,
            phone_region=settings.default_phone_region,
        )  # fmt: skip

    @cached_property
    def printing(self) -> BreakApartService:
        """Break-apart printing (R-QR-8) on delivery's code issuing."""
        return BreakApartService(
            orders=self.order_store, events=self.store.events, issue_codes=self.delivery.issue_codes,
            records=self.task_records,
        )  # fmt: skip

    @cached_property
    def public_events(self) -> PublicEventService:
        """The public website feeds (SPEC 4.8): eventsList / eventsDetails, getEventList / getEventDetail."""
        return PublicEventService(self.store.events, live=self.events.live)

    @cached_property
    def seasons(self) -> SeasonService:
        """Seasons (R-T3-1): the event writer and listing rules on the `seasons` collection."""
        writer = FirestoreEventWriter(
            self.store.client, self.store.inventory, collection="seasons", model=Season
        )
        return SeasonService(self.store, writer, self.fees, live_events=self.events.live)

    @cached_property
    def public_seasons(self) -> PublicEventService[Season]:
        """The website's season feeds (SPEC 4.8): seasonsList / seasonsDetails, getSeasonList /
        getSeasonDetail."""
        return PublicEventService(self.store.seasons, live=self.seasons.live, noun="Season")

    @cached_property
    def waitlist(self) -> WaitListService:
        settings = self.settings
        store = self.store
        return WaitListService(
            events=store.events, venues=store.venues, organizations=store.organizations,
            wait_list=FirestoreWaitListStore(store.client), records=self.task_records,
            tasks=self.task_queue, mailer=self.mailer, email_from=settings.email_from,
            portal_url=settings.purchase_portal_url, live_event=self.events.event,
            store_report=self.reports.store, phone_region=settings.default_phone_region,
        )  # fmt: skip

    @cached_property
    def analytics(self) -> AnalyticsService:
        return AnalyticsService(self.store)

    @cached_property
    def sales_reports(self) -> SalesReportService:
        """Sales-report subscriptions (R-RP-5): GraphQL subscribes, send-email runs the reports."""
        settings = self.settings

        def storage() -> CloudReportStorage:
            from shared.adapters.report_storage import CloudReportStorage

            return CloudReportStorage(settings)

        def render_pdf(document: ReportDocument) -> bytes:
            # fpdf2 is imported when a report is first rendered: only send-email renders.
            from shared.adapters.sales_report_pdf import render_sales_report

            return render_sales_report(document)

        store = self.store
        return SalesReportService(
            events=store.events, venues=store.venues, organizations=store.organizations,
            subscriptions=FirestoreSalesReportStore(store.client), records=self.task_records,
            tasks=self.task_queue, event_orders=self.analytics.event_orders, storage=_once(storage),
            render_pdf=render_pdf, mailer=self.mailer, email_from=settings.email_from,
            live_event=self.events.event,
        )  # fmt: skip

    @cached_property
    def uploads(self) -> UploadService:
        settings = self.settings

        def storage() -> UploadStorage:
            # Imported when first used: google.cloud.storage would add to every cold start.
            from shared.adapters.upload_storage import CloudUploadStorage

            return CloudUploadStorage(settings)

        return UploadService(
            _once(storage), max_files=settings.upload_max_files, max_bytes=settings.upload_max_bytes
        )

    @cached_property
    def orders_backfill(self) -> ChargeBackfillService:
        return ChargeBackfillService(
            FirestoreChargeBackfillStore(self.store.client), self.store.organizations, self.payments
        )

    @cached_property
    def reconciliation(self) -> ReconciliationService:
        """Daily reconciliation with Stripe: the refund function runs it, GraphQL reads it."""
        settings = self.settings

        def ledger() -> StripeLedger:
            from shared.adapters.stripe_ledger import StripeLedger as StripeApiLedger

            return StripeApiLedger(settings)

        return ReconciliationService(
            ledger=_once(ledger), books=FirestoreReconciliationBooks(self.store.client),
            organizations=self.store.organizations, tasks=self.task_queue,
        )  # fmt: skip


@dataclass
class _AfterRefund:
    """RefundReactions (SPEC 5.21 OrderRefunded): delivery's, and the listing re-sync."""

    delivery: DeliveryService
    resync: Callable[[Order], None]

    def order_refunded(self, order_id: str) -> object:
        return self.delivery.order_refunded(order_id)

    def refund_notice(self, order_id: str, key: str, refunded_amount: int) -> object:
        self.delivery.refund_notice(order_id, key, refunded_amount)
        return None

    def stock_returned(self, order: Order) -> object:
        self.resync(order)
        return None


def _once(factory: Callable[[], T]) -> Callable[[], T]:
    """`factory`, called at most once (the adapters hold clients worth reusing)."""
    return functools.cache(factory)


_lock = threading.Lock()
_services: Services | None = None


def services() -> Services:
    """The process-wide service graph (a function instance serves many requests)."""
    global _services  # noqa: PLW0603 - one lazily built graph per process, by design
    with _lock:
        if _services is None:
            _services = Services(get_settings())
        return _services
