"""Wait list and notify-me (SPEC R-T3-3, R-T3-4, R-RP-4; e-mails `waitList`, `notifyMe`,
`immediateNotifyMe` of R-MSG-2; task `NotifyEvent` of 5.20). Rules: shared.domain.waitlist.

Sign-ups are public. `createWaitList` appends to `event.waitList` (compare-and-set, see
shared.adapters.waitlist_store) and queues the `waitList` confirmation; `notifyEvent` records a
`NotifyEvent` task (`tasks/notify~<event>~<hash of the address>`: a repeated sign-up finds it
and schedules nothing twice) mirrored by a Cloud Task at ticketsAt − 1 h, and queues the
`immediateNotifyMe` confirmation.

Every mail is sent by the send-email function (`POST /tasks/wait-list-email`), never by the
GraphQL function: only send-email holds the SendGrid key, and a provider hiccup then costs a
queue retry instead of a failed sign-up. Task payloads carry ids, not addresses. Each mail is
claimed in `deliveries/{key}~email` before the provider call (FirestoreDeliveryStore.claim,
as ticket e-mails are), so a task delivered twice sends once; like ticket e-mails they are at
least once across a crash mid-send. Confirmations are keyed per address and event, so the
public mutation cannot be used to flood someone's inbox with copies.

Visibility: `Event.waitList` is for ADMIN+ of the event's org; `searchEvents` / `eventQuery`
(SCANNER+) answer the event with the matching entries and mark it as an authorized search
result (SEARCH_RESULT_KEY) so the field resolver shows them to the scanner who searched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from shared.domain import waitlist as rules
from shared.domain.delivery_schedule import is_due
from shared.domain.listing import paginate
from shared.domain.models import Event, Organization, Venue, WaitListEntry
from shared.domain.permissions import ADMIN, SCANNER, Principal, require_level, require_user
from shared.domain.phone_numbers import DEFAULT_REGION
from shared.domain.ports import Repository
from shared.domain.reports import Report
from shared.domain.tasks import Task
from shared.domain.ticket_email import brand_of, format_date, format_time, show_context, venue_timezone
from shared.errors import DomainError, ErrorCode, invalid, not_found
from shared.services.claimed_mail import ClaimedMail, DeliveryClaims
from shared.services.mailer import Email, EmailRenderer, FallbackMailer
from shared.services.scheduled_tasks import ScheduledTasks, TaskQueue, TaskRoute

log = logging.getLogger("sellout.waitlist")

QUEUE = "delivery"
EMAIL_FUNCTION = "send-email"
EMAIL_PATH = "/tasks/wait-list-email"
NOTIFY_ME_ROUTE = TaskRoute(QUEUE, EMAIL_FUNCTION, name="notifyMe", path=EMAIL_PATH,
                            payload={"template": "notifyMe"})  # fmt: skip
SEARCH_RESULT_KEY = "_waitListSearch"


class WaitListRecords(Protocol):
    def add_entry(self, event_id: str, entry: WaitListEntry,
                  check: Callable[[Event, Sequence[WaitListEntry]], None]) -> None: ...  # fmt: skip


class TaskRecords(DeliveryClaims, Protocol):
    def create_task(self, task: Task) -> bool: ...
    def task(self, task_id: str) -> Task | None: ...
    def update_task(self, task_id: str, fields: dict[str, Any]) -> None: ...


ReportStore = Callable[[str, str, Report], dict[str, Any]]


class WaitListService:
    def __init__(
        self,
        *,
        events: Repository[Event],
        venues: Repository[Venue],
        organizations: Repository[Organization],
        wait_list: WaitListRecords,
        records: TaskRecords,
        tasks: TaskQueue,
        mailer: Callable[[], FallbackMailer],
        email_from: str,
        portal_url: str = "",
        live_event: Callable[[str], Event | None] | None = None,
        store_report: ReportStore | None = None,
        renderer: EmailRenderer | None = None,
        clock: Callable[[], float] = time.time,
        phone_region: str = DEFAULT_REGION,
    ) -> None:
        self.phone_region = phone_region  # where a number typed without '+' is read
        self.events, self.venues, self.organizations = events, venues, organizations
        self.wait_list, self.records, self.tasks = wait_list, records, tasks
        # A factory: the GraphQL function builds this service only to enqueue, and must not
        # import (or need credentials for) SendGrid or SES.
        self.mailer = mailer
        self.email_from = email_from
        self.portal_url = portal_url
        self.live_event = live_event or self.events.get
        self.store_report = store_report
        self.renderer = renderer or EmailRenderer()
        self.clock = clock

    @property
    def scheduled(self) -> ScheduledTasks:
        """NotifyEvent tasks (R-TASK-1) on this service's current records and queue."""
        return ScheduledTasks(self.records, self.tasks, NOTIFY_ME_ROUTE)

    def now(self) -> int:
        return int(self.clock())

    # --- GraphQL ------------------------------------------------------------------------------

    def join(
        self, params: Mapping[str, Any] | None, event_id: str | None, org_id: str | None = None
    ) -> Event:
        """createWaitList (public, R-T3-3). `orgId`, when given, must be the event's org; the
        client's `type` is ignored (SPEC 7.17)."""
        entry = rules.new_entry(params, self.now(), self.phone_region)

        def check(event: Event, entries: Sequence[WaitListEntry]) -> None:
            if not event.active or (org_id and org_id != event.orgId):
                raise not_found("Event")
            if event.cancel:
                raise DomainError(ErrorCode.REFUSED, "This event was cancelled.")
            rules.ensure_not_listed(entries, entry)

        self.wait_list.add_entry(event_id or "", entry, check)
        self._enqueue_email({"template": "waitList", "eventId": event_id, "entryId": entry.id},
                            key=f"waitList~{event_id}~{entry.id}")  # fmt: skip
        return self._live(event_id or "")

    def notify(self, event_id: str | None, email: str | None) -> Event:
        """notifyEvent (public, R-T3-4): the NotifyEvent task (once per event and address) and
        the `immediateNotifyMe` confirmation."""
        address = rules.normalize_email(email)
        event = self.events.get(event_id or "")
        if event is None or not event.active:
            raise not_found("Event")
        if event.cancel:
            raise DomainError(ErrorCode.REFUSED, "This event was cancelled.")
        now = self.now()
        plan = rules.plan_notify(event, now)
        task = Task(_id=rules.notify_task_id(event.id, address), taskType=rules.NOTIFY_EVENT, createdAt=now,
                    executeAt=plan.at or now, orgId=event.orgId, eventId=event.id, email=address)  # fmt: skip
        if plan.on_sale:  # nothing to announce: recorded as done, so it never looks pending
            task = task.model_copy(
                update={"endedAt": now, "success": False, "outcome": "sales already started"}
            )
        task = self.scheduled.plan(task, now)  # signed up before: that task stands, planned once
        self._enqueue_email({"template": "immediateNotifyMe", "taskId": task.id},
                            key=f"immediateNotifyMe~{task.id}")  # fmt: skip
        return self._live(event.id)

    def search(
        self, principal: Principal | None, query: Mapping[str, Any] | None, event_id: str | None,
        pagination: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """searchEvents / eventQuery (SCANNER of the event's org): the event with its wait list
        filtered by `query.name` and sliced by `pagination` (none = all)."""
        event = self._event_for(principal, event_id, SCANNER)
        entries = paginate(rules.search(event.waitList, query), pagination)
        view = self._live(event.id).doc()
        view["waitList"] = [e.doc() for e in entries]
        view[SEARCH_RESULT_KEY] = True
        return view

    def report(
        self, principal: Principal | None, query: Mapping[str, Any] | None, event_id: str | None
    ) -> dict[str, Any]:
        """generateWaitListReport (ADMIN of the event's org, R-RP-4): the CSV of the entries
        matching `query.name` (all when none), stored privately; answers `{url, message}`."""
        event = self._event_for(principal, event_id, ADMIN)
        if self.store_report is None:
            raise DomainError(ErrorCode.UNAVAILABLE, "Wait-list reports are not available.")
        venue = self.venues.get(event.venueId) if event.venueId else None
        report = rules.wait_list_report(rules.search(event.waitList, query), event, venue)
        return self.store_report(event.orgId, "waitlist", report)

    # --- send-email (Cloud Tasks) ----------------------------------------------------------------

    def run_email_task(self, payload: Mapping[str, Any]) -> str:
        """One wait-list / notify-me mail: `{template: "waitList", eventId, entryId}` or
        `{template: "notifyMe" | "immediateNotifyMe", taskId}`."""
        template = str(payload.get("template") or "")
        if template == "waitList":
            return self._send_wait_list(str(payload.get("eventId") or ""), str(payload.get("entryId") or ""))
        if template == "immediateNotifyMe":
            task = self.records.task(str(payload.get("taskId") or ""))
            if task is None:
                return "no such task"
            event = self.events.get(task.eventId)
            if event is None or not event.active:
                return "event not found"
            return self._send(f"{task.id}~immediateNotifyMe", "immediateNotifyMe", task.email, "", event)
        if template == "notifyMe":
            return self._run_notify(str(payload.get("taskId") or ""))
        raise invalid("Unknown e-mail template.", "template")

    def _send_wait_list(self, event_id: str, entry_id: str) -> str:
        event = self.events.get(event_id)
        if event is None or not event.active:
            return "event not found"
        entry = next((e for e in event.waitList if e.id == entry_id), None)
        if entry is None:
            return "not on the wait list"
        return self._send(f"waitList~{event.id}~{entry.id}", "waitList", entry.email, entry.name, event)

    def _run_notify(self, task_id: str) -> str:
        """The NotifyEvent task (R-TASK-1): re-reads the task and the event; skips a cancelled
        or finished task and a cancelled/deleted event; follows a sales start that moved later."""
        task = self.scheduled.begin(task_id)
        if isinstance(task, str):
            return task
        now = self.now()
        event = self.events.get(task.eventId)
        if event is None or not event.active or event.cancel:
            self.scheduled.end(task.id, now, success=False, outcome="event cancelled")
            return "event cancelled"
        plan = rules.plan_notify(event, now)
        if plan.at is not None and not is_due(plan.at, now):
            # Sales start moved later, or it was more than 30 days (the Cloud Tasks limit) away.
            task = task.model_copy(update={"executeAt": plan.at})
            self.records.update_task(task.id, {"executeAt": plan.at})
            self.scheduled.enqueue(task, now)
            return "rescheduled"
        if task.startedAt is None:
            self.records.update_task(task.id, {"startedAt": now})
        # Sent also when the queue ran late and sales have just started: the link still helps.
        outcome = self._send(f"{task.id}~notifyMe", "notifyMe", task.email, "", event)
        self.scheduled.end(task.id, self.now(), success=True, outcome=outcome)
        return outcome

    # --- helpers -----------------------------------------------------------------------------------

    def _live(self, event_id: str) -> Event:
        event = self.live_event(event_id)
        if event is None:
            raise not_found("Event")
        return event

    def _event_for(self, principal: Principal | None, event_id: str | None, level: int) -> Event:
        event = self.events.get(event_id or "")
        if event is None or not event.active:
            require_user(principal)  # anonymous callers learn nothing about which ids exist
            raise not_found("Event")
        require_level(principal, level, event.orgId)
        return event

    def _enqueue_email(self, payload: dict[str, Any], *, key: str) -> None:
        try:
            self.tasks.enqueue(QUEUE, EMAIL_FUNCTION, payload, path=EMAIL_PATH, key=key)
        except Exception:
            # The sign-up is stored, which is what the caller asked for; the confirmation is a
            # courtesy. Ids only in the log: the address is personal data.
            log.exception("wait-list e-mail not queued", extra={"template": payload.get("template")})

    def _send(self, key: str, template: rules.EmailTemplate, to: str, name: str, event: Event) -> str:
        if not to:
            return "no e-mail address"
        return ClaimedMail(self.records, self.mailer, self.clock).send(
            key, template, lambda: self._compose(template, event, to, name)
        )

    def _compose(self, template: rules.EmailTemplate, event: Event, to: str, name: str) -> Email:
        venue = self.venues.get(event.venueId) if event.venueId else None
        org = self.organizations.get(event.orgId)
        tz = venue_timezone(venue, event)
        start = event.schedule.ticketsAt
        context = rules.email_context(
            template, show=show_context(event=event, venue=venue, org=org, buyer=None), event=event,
            name=name, portal_url=self.portal_url,
            tickets_at=f"{format_date(start, tz)} at {format_time(start, tz)}" if start else "",
        )  # fmt: skip
        html, text = self.renderer.render(template, context)
        return Email(to=to, from_email=self.email_from, from_name=brand_of(org).name,
                     subject=str(context["subject"]), html=html, text=text)  # fmt: skip
