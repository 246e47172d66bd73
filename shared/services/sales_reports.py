"""Sales-report subscriptions (SPEC R-RP-5; e-mail `salesReport` of R-MSG-2; task `SalesReport`
of 5.20). Rules and numbers: shared.domain.sales_report.

`salesReport` (ADMIN of the event's org) appends `{_id, email, frequency}` to
`event.subscription` (compare-and-set, shared.adapters.sales_report_store; the same address
twice, in any case, is refused) and plans the first `SalesReport` task, due now (R-TASK-1: a
`tasks` document mirrored by a Cloud Task on the delivery queue, ScheduledTasks).
`deleteSubscription` removes the subscriber and cancels its pending tasks.

Each run is one task document, `tasks/salesReport~<subscription>~<scheduled time>`, delivered
to send-email (`POST /tasks/sales-report`), which holds the mail keys and may write (create
only) to the private reports bucket. A run re-reads the task, the event and the subscriber: a
cancelled or finished task, a deleted subscriber or a cancelled or deleted event ends it without
a mail. It then renders the PDF, stores it and mails a signed link, claimed once per run
(ClaimedMail, key `<task id>~salesReport`), plans the next run (an id derived from the next
scheduled time: planned once however often the run is delivered) and ends the task. The PDF is
built only after the claim, so a duplicated delivery renders and sends nothing.

A crash between storing the subscriber and planning its first task would leave a subscriber
without reports; a failure to plan it is compensated (the subscriber is removed again and the
caller gets the error), so the admin can simply retry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from shared.domain import sales_report as rules
from shared.domain.delivery_schedule import is_due
from shared.domain.models import Event, Order, Organization, SubscriptionSalesReport, Venue, new_id
from shared.domain.permissions import ADMIN, Principal, require_level, require_user
from shared.domain.ports import Repository
from shared.domain.tasks import Task
from shared.domain.ticket_email import brand_of
from shared.errors import DomainError, ErrorCode, invalid, not_found
from shared.services.claimed_mail import ClaimedMail, DeliveryClaims
from shared.services.mailer import Email, EmailRenderer, FallbackMailer
from shared.services.scheduled_tasks import ScheduledTasks, TaskQueue, TaskRoute

log = logging.getLogger("sellout.sales_reports")

EMAIL_FUNCTION = "send-email"
TASK_PATH = "/tasks/sales-report"
ROUTE = TaskRoute("delivery", EMAIL_FUNCTION, name=rules.SALES_REPORT, path=TASK_PATH)
LINK_SECONDS = 7 * 86_400  # the longest a V4 signed URL lives; the bucket keeps objects a week
NOT_SUBSCRIBED = "This address does not receive sales reports for this event."


class Subscriptions(Protocol):
    def add_subscription(self, event_id: str, subscription: SubscriptionSalesReport,
                         check: Callable[[Event], None]) -> None: ...  # fmt: skip
    def remove_subscription(self, event_id: str, subscription_id: str) -> bool: ...
    def tasks_of_subscription(self, subscription_id: str) -> list[Task]: ...


class TaskRecords(DeliveryClaims, Protocol):
    def create_task(self, task: Task) -> bool: ...
    def task(self, task_id: str) -> Task | None: ...
    def update_task(self, task_id: str, fields: dict[str, Any]) -> None: ...


class ReportFiles(Protocol):
    def put_pdf(self, name: str, data: bytes, filename: str) -> None: ...
    def report_url(self, name: str, expires_at: int) -> str: ...


class SalesReportService:
    def __init__(
        self,
        *,
        events: Repository[Event],
        venues: Repository[Venue],
        organizations: Repository[Organization],
        subscriptions: Subscriptions,
        records: TaskRecords,
        tasks: TaskQueue,
        event_orders: Callable[[Event], list[Order]],
        storage: Callable[[], ReportFiles],
        render_pdf: Callable[[rules.ReportDocument], bytes],
        mailer: Callable[[], FallbackMailer],
        email_from: str,
        live_event: Callable[[str], Event | None] | None = None,
        renderer: EmailRenderer | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.events, self.venues, self.organizations = events, venues, organizations
        self.subscriptions, self.records, self.tasks = subscriptions, records, tasks
        self.event_orders = event_orders
        # Factories: the GraphQL function builds this service only to subscribe, and must not
        # import fpdf2, Cloud Storage or the mail SDKs.
        self.storage, self.render_pdf, self.mailer = storage, render_pdf, mailer
        self.email_from = email_from
        self.live_event = live_event or self.events.get
        self.renderer = renderer or EmailRenderer()
        self.clock = clock

    @property
    def scheduled(self) -> ScheduledTasks:
        return ScheduledTasks(self.records, self.tasks, ROUTE)

    def now(self) -> int:
        return int(self.clock())

    # --- GraphQL ------------------------------------------------------------------------------

    def subscribe(self, principal: Principal | None, params: Mapping[str, Any] | None) -> Event:
        """salesReport (ADMIN of the event's org): add the subscriber, plan its first run now."""
        caller = require_user(principal)
        event_id, subscription = rules.new_subscription(params)
        event = self._event_for(principal, event_id)

        def check(current: Event) -> None:
            if not current.active or current.orgId != event.orgId:
                raise not_found("Event")
            if current.cancel:
                raise DomainError(ErrorCode.REFUSED, "This event was cancelled.")
            rules.ensure_not_subscribed(current.subscription, subscription.email)

        self.subscriptions.add_subscription(event.id, subscription, check)
        now = self.now()
        first = Task(_id=rules.task_id(subscription.id, now), taskType=rules.SALES_REPORT, createdAt=now,
                     executeAt=now, userId=caller.user_id, orgId=event.orgId,
                     eventId=event.id, subscription=subscription, email=subscription.email)  # fmt: skip
        try:
            self.scheduled.plan(first, now)
        except Exception:
            # Without its task the subscriber would silently never get a report: take it back,
            # so the admin sees the failure and can simply try again.
            self.subscriptions.remove_subscription(event.id, subscription.id)
            self._cancel_pending(subscription.id, now)
            raise
        return self._live(event.id)

    def unsubscribe(
        self, principal: Principal | None, event_id: str | None, subscription_id: str | None
    ) -> Event:
        """deleteSubscription (ADMIN of the event's org): remove the subscriber and cancel its
        pending runs. A run already on its way finds the subscriber gone and sends nothing."""
        event = self._event_for(principal, event_id)
        wanted = str(subscription_id or "").strip()
        if not wanted:
            raise invalid("Choose the subscription to delete.", "subscriptionId")
        if rules.subscriber(event, wanted) is None:
            raise DomainError(ErrorCode.NOT_FOUND, NOT_SUBSCRIBED)
        self.subscriptions.remove_subscription(event.id, wanted)
        self._cancel_pending(wanted, self.now())
        return self._live(event.id)

    # --- send-email (Cloud Tasks) ----------------------------------------------------------------

    def run_task(self, payload: Mapping[str, Any]) -> str:
        """One `SalesReport` run (R-TASK-1), `{taskId}`; answers what happened."""
        task = self.scheduled.begin(str(payload.get("taskId") or ""))
        if isinstance(task, str):
            return task
        now = self.now()
        event = self.events.get(task.eventId)
        if event is None or not event.active or event.cancel:
            self.scheduled.end(task.id, now, success=False, outcome="event cancelled")
            return "event cancelled"
        wanted = task.subscription.id if task.subscription else ""
        subscription = rules.subscriber(event, wanted)
        if subscription is None:
            self.scheduled.end(task.id, now, success=False, outcome="subscription deleted")
            return "subscription deleted"
        if not is_due(task.executeAt, now):  # more than 30 days away when it was enqueued
            self.scheduled.enqueue(task, now)
            return "rescheduled"
        if task.startedAt is None:
            self.records.update_task(task.id, {"startedAt": now})
        outcome = ClaimedMail(self.records, self.mailer, self.clock).send(
            f"{task.id}~{rules.TEMPLATE}", rules.TEMPLATE, lambda: self._compose(event, subscription)
        )
        self._plan_next(task, event, subscription, now)
        self.scheduled.end(task.id, self.now(), success=True, outcome=outcome)
        return outcome

    def _plan_next(self, task: Task, event: Event, subscription: SubscriptionSalesReport, now: int) -> None:
        at = rules.next_run(subscription.frequency, task.executeAt, rules.event_end(event))
        if at is None:
            return
        following = task.model_copy(update={
            "id": rules.task_id(subscription.id, at), "createdAt": now, "executeAt": at,
            "startedAt": None, "endedAt": None, "success": None, "canceledAt": None,
            "cloudTaskName": "", "outcome": "", "subscription": subscription, "email": subscription.email,
        })  # fmt: skip
        self.scheduled.plan(following, now)

    def _compose(self, event: Event, subscription: SubscriptionSalesReport) -> Email:
        """The report of this moment: PDF rendered, stored privately, linked (after the claim)."""
        now = self.now()
        venue = self.venues.get(event.venueId) if event.venueId else None
        org = self.organizations.get(event.orgId)
        brand = brand_of(org)  # the org's real name (D-27), the platform's when it has none
        summary = rules.summarize(event, self.event_orders(event))
        pdf = self.render_pdf(rules.report_document(summary, event, venue, brand.name, now))
        name = f"reports/{event.orgId}/{new_id()}.pdf"
        storage = self.storage()
        storage.put_pdf(name, pdf, rules.file_name(now, event, venue))
        link = storage.report_url(name, now + LINK_SECONDS)
        subject = rules.subject(event)
        context = {
            "subject": subject, "heading": f"Your {subscription.frequency.lower()} sales report",
            "brand": brand, "event_name": " ".join(event.name.split()), "link": link,
            "link_days": LINK_SECONDS // 86_400, "orders": summary.orders,
            "tickets_sold": summary.tickets_sold, "upgrades_sold": summary.upgrades_sold,
            "total_sales": rules.money(summary.total_sales), "net": rules.money(summary.net),
        }  # fmt: skip
        html, text = self.renderer.render(rules.TEMPLATE, context)
        # Counts only: the address is personal data.
        log.info("sales report built", extra={"eventId": event.id, "orders": summary.orders})
        return Email(to=subscription.email, from_email=self.email_from, from_name=brand.name,
                     subject=subject, html=html, text=text)  # fmt: skip

    # --- helpers -----------------------------------------------------------------------------------

    def _cancel_pending(self, subscription_id: str, now: int) -> int:
        """Cancel the subscriber's pending runs (a run that already started re-reads the
        subscriber)."""
        return self.scheduled.cancel_pending(self.subscriptions.tasks_of_subscription(subscription_id), now)

    def _event_for(self, principal: Principal | None, event_id: str | None) -> Event:
        event = self.events.get(str(event_id or ""))
        if event is None or not event.active:
            require_user(principal)  # anonymous callers learn nothing about which ids exist
            raise not_found("Event")
        require_level(principal, ADMIN, event.orgId)
        return event

    def _live(self, event_id: str) -> Event:
        event = self.live_event(event_id)
        if event is None:
            raise not_found("Event")
        return event
