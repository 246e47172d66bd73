"""Ticket delivery by e-mail and text, at the time the promoter chose (SPEC R-QR-2..7,
R-MSG-1..4, R-TASK-1, 5.21 OrderCreated / OrderRefunded).

Flow. `order_created` only plans: a receipt e-mail now when the tickets come later, and a
`tasks` document + Cloud Task for the ticket delivery and each day-of reminder. The task wakes
the deliver-tickets function (`run_task`), which re-reads everything, issues the signed QR codes
and their images, and queues one e-mail (send-email -> `send_email`) and one text (send-sms ->
`send_text`). Each queue hop carries ids only; every handler re-reads the order and does nothing
for a refunded/cancelled order or a cancelled event. `order_refunded` cancels what is pending.

Refund and cancellation notices (`refund_notice`, R-REF-8, R-CAN-1) take the same send-email
path, keyed by the refund (`rf_…`) or cancellation (`cn_…`) they tell about, so a retried notice
sends once. They are the one kind of e-mail a refunded order, or a cancelled event, still gets;
they need no QR code and carry no calendar. What one notice lists: shared.domain.refund_email.

Exactly-once is impossible across a provider call, so each channel picks its side
(`deliveries/{orderId}~{key}~{channel}` is claimed — create-if-absent, or compare-and-set on a
stale claim — BEFORE the provider call and completed with the provider's message id after it):
- e-mail is AT LEAST ONCE. A crash between the provider accepting the message and our record
  leaves the claim "sending"; once its lease (longer than the function timeout) has passed, a
  retry sends again. A buyer who gets the ticket e-mail twice is fine; one who never gets it
  cannot get in. Neither SendGrid nor SES takes an idempotency key that would do better.
- a text is AT MOST ONCE. A claim whose outcome is unknown (crash or timeout after the request
  left) is marked "unknown" and never resent: every text costs money and repeats annoy, and
  the e-mail carries the same tickets. Failures known to have sent nothing (connection refused,
  Plivo 5xx) give the claim back and are retried.
A retry while another attempt holds a fresh claim answers 503, so the queue tries again later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol

from shared.domain import season_email, season_orders
from shared.domain.calendar_invite import ICS_FILENAME, calendar_invite, events_calendar_invite
from shared.domain.delivery_schedule import (
    DAY,
    DAY_OF,
    SEND_TICKETS,
    ScheduledDelivery,
    day_of_reminders,
    delivery_time,
    event_ends_at,
    is_due,
    plan_order_delivery,
    wants_delivery,
)
from shared.domain.identity import contact_email
from shared.domain.models import Event, Order, Organization, Season, User, Venue, new_id
from shared.domain.permissions import ADMIN, BOX_OFFICE, Principal, require_level, require_owner_or_level
from shared.domain.phone_numbers import DEFAULT_REGION, e164
from shared.domain.ports import Repository
from shared.domain.qr_images import qr_png
from shared.domain.qr_plans import CodePlan, all_codes
from shared.domain.refund_email import (
    REFUND_TEMPLATES,
    RefundTemplate,
    cancellation,
    latest_refund,
    refund_email_context,
    refund_template,
)
from shared.domain.refund_rules import RefundPlan, RefundRecord
from shared.domain.tasks import Delivery, Task
from shared.domain.ticket_codes import TicketIdentity, TicketSigner, new_secret_id
from shared.domain.ticket_email import TICKET_TEMPLATES, TemplateKey, brand_of, ticket_email_context
from shared.errors import DomainError, ErrorCode, invalid, not_found
from shared.services.claimed_mail import ClaimedMail
from shared.services.mailer import Attachment, Email, EmailRenderer, FallbackMailer
from shared.services.scheduled_tasks import ScheduledTasks, TaskRoute
from shared.services.texting import SmsOutcomeUnknownError, SmsRejectedError, SmsUnavailableError, TextSender

log = logging.getLogger("sellout.delivery")

QUEUE = "delivery"
DELIVER_FUNCTION = "deliver-tickets"
EMAIL_FUNCTION = "send-email"
SMS_FUNCTION = "send-sms"
# Longer than send-email's timeout (120 s): a claim older than this belongs to a dead attempt.
DELIVER_ROUTE = TaskRoute(QUEUE, DELIVER_FUNCTION, name="deliver")
EMAIL_LEASE = 300
SMS_LEASE = 120
# Ticket links stay valid this long after the event ends (late scans, support look-ups).
URL_MARGIN = 2 * DAY
DEAD_ORDER_STATES = ("Refunded", "Canceled")

EmailTemplate = TemplateKey | RefundTemplate
TextKind = Literal["tickets", "dayOf"]
TEXTS: dict[TextKind, str] = {
    "tickets": "Here are your tickets to {event}",
    "dayOf": "Today is the day! Here are your tickets to {event}",
}
ClaimOutcome = Literal["claimed", "done", "busy"]


class TaskQueue(Protocol):
    def enqueue(self, queue: str, function: str, payload: dict[str, Any], *, path: str = "/",
                key: str | None = None, run_at: int | None = None) -> str: ...  # fmt: skip


class DeliveryRecords(Protocol):
    def create_task(self, task: Task) -> bool: ...
    def task(self, task_id: str) -> Task | None: ...
    def update_task(self, task_id: str, fields: dict[str, Any]) -> None: ...
    def tasks_of_order(self, order_id: str) -> list[Task]: ...
    def claim(self, record_id: str, record: Delivery, *, lease: int, retry_stale: bool) -> ClaimOutcome: ...
    def finish(self, record_id: str, fields: dict[str, Any]) -> None: ...
    def release(self, record_id: str) -> None: ...
    def assign_secret_id(self, order_id: str, candidate: str) -> str: ...
    def save_qr_urls(self, order_id: str, order_url: str | None, item_urls: dict[str, str]) -> None: ...


class RefundRecords(Protocol):
    def record(self, refund_id: str) -> RefundRecord | None: ...


class TicketImages(Protocol):
    def put_png(self, name: str, data: bytes) -> None: ...
    def signed_url(self, name: str, expires_at: int, now: int) -> str: ...


def retry_later(message: str) -> DomainError:
    return DomainError(ErrorCode.BUSY, message)


def skip_reason(order: Order, event: Event | None) -> str:
    """Why tickets must not go out for this order now ("" when they may)."""
    if order.state in DEAD_ORDER_STATES or not order.has_live_items():
        return "order refunded or canceled"
    if event is None:
        return "event not found"
    if event.cancel or not event.active:
        return "event cancelled"
    return ""


def _delivery_key(task: Task) -> str:
    """What a task's messages are called in `deliveries`: `tickets`, `day~<ts>`, `resend~<id>`."""
    return task.id.removeprefix(f"{task.orderId}~")


class DeliveryService:
    def __init__(
        self,
        *,
        orders: Repository[Order],
        events: Repository[Event],
        venues: Repository[Venue],
        organizations: Repository[Organization],
        users: Repository[User],
        records: DeliveryRecords,
        tasks: TaskQueue,
        images: Callable[[], TicketImages],
        signer: Callable[[], TicketSigner],
        mailer: Callable[[], FallbackMailer],
        texts: Callable[[], TextSender],
        email_from: str,
        renderer: EmailRenderer | None = None,
        refund_records: RefundRecords | None = None,
        clock: Callable[[], float] = time.time,
        seasons: Repository[Season] | None = None,
        phone_region: str = DEFAULT_REGION,
    ) -> None:
        self.phone_region = phone_region  # where a stored number without '+' is read
        # Provider clients are factories: the GraphQL function builds this service to enqueue
        # resends and must not import (or hold credentials for) SendGrid, Plivo or the signer.
        self.orders, self.events, self.venues = orders, events, venues
        self.organizations, self.users = organizations, users
        self.records, self.tasks = records, tasks
        self.images, self.signer, self.mailer, self.texts = images, signer, mailer, texts
        self.email_from = email_from
        self.renderer = renderer or EmailRenderer()
        # `refunds/{id}`: what exactly one refund covered. Without it a notice lists the order's
        # latest refund, rebuilt from the order (the same items unless another refund of the
        # order settled before the notice went out).
        self.refund_records = refund_records
        self.clock = clock
        self.seasons = seasons  # season orders (R-T3-2): their receipt names the season

    @property
    def scheduled(self) -> ScheduledTasks:
        """Delivery and day-of tasks (R-TASK-1) on this service's current records and queue."""
        return ScheduledTasks(self.records, self.tasks, DELIVER_ROUTE)

    def now(self) -> int:
        return int(self.clock())

    @property
    def _claimed_mail(self) -> ClaimedMail:
        """Claim-then-send for an order's e-mails, on this service's current records and mailer."""
        return ClaimedMail(self.records, self.mailer, self.clock)

    # --- reactions (called by checkout / refund after their write commits) -------------------

    def order_created(self, order_id: str) -> None:
        """OrderCreated (R-QR-4): enqueue the receipt and/or the ticket and day-of tasks. Sends
        nothing inline; calling it again for the same order plans nothing twice."""
        order = self.orders.get(order_id)
        if order is None:
            raise not_found("Order")
        self.plan_for(order)

    def plan_for(self, order: Order) -> None:
        """`order_created` for an order the caller holds (checkout has just written it): an
        order nobody receives tickets for (anonymous box office, hidden) costs no read."""
        if self.seasons is not None and season_orders.is_season_parent(order):
            self._plan_season(order)
            return
        if not wants_delivery(order):
            return
        event = self.events.get(order.eventId)
        if event is None:
            log.warning("order without event: no delivery", extra={"orderId": order.id})
            return
        now = self.now()
        plan = plan_order_delivery(order, event, now)
        if plan.send_receipt_now:
            self._enqueue_email(order.id, "orderReceipt", "receipt")
        for delivery in plan.deliveries:
            self._schedule(order, delivery, now)

    def _plan_season(self, parent: Order) -> None:
        """A season order (R-T3-2): its `seasonReceipt` now, and each hidden child order's tickets
        planned like an event order of that event (codes issued for the child, at the event's
        own delivery time, with its day-of reminders). Idempotent like `plan_for`."""
        if not wants_delivery(parent):
            return
        self._enqueue_email(parent.id, season_email.TEMPLATE, "season-receipt")
        for child in self.orders.find(("parentSeasonOrderId", "==", parent.id)):
            self.plan_for(child)

    def resend_season_receipt(self, principal: Principal | None, order_id: str) -> bool:
        """sendSeasonOrderReceiptEmail: the season order's buyer or box office of its org. An
        explicit request sends again, so it gets a delivery key of its own."""
        order = self._order(order_id)
        require_owner_or_level(principal, order.userId, BOX_OFFICE, order.orgId)
        if not season_orders.is_season_parent(order):
            raise DomainError(ErrorCode.CONFLICT, "This is not a season order.", ["orderId"])
        self._enqueue_email(order.id, season_email.TEMPLATE, f"season-receipt-resend~{new_id(10)}")
        return True

    def order_refunded(self, order_id: str) -> int:
        """OrderRefunded (R-QR-7): once no ticket or upgrade is live, cancel every pending
        delivery task of the order. Returns how many were cancelled."""
        order = self.orders.get(order_id)
        if order is None or not skip_reason(order, None).startswith("order"):
            return 0
        return self.scheduled.cancel_pending(self.records.tasks_of_order(order_id), self.now())

    def refund_notice(self, order_id: str, key: str, refunded_amount: int) -> None:
        """OrderRefunded (R-REF-8, R-CAN-1): queue the buyer's `orderRefund` e-mail, or
        `orderCanceled` when nothing was paid back. `key` names the refund (`rf_…`) or the
        cancellation (`cn_…`): calling again for the same key queues and sends nothing twice."""
        self._enqueue_email(order_id, refund_template(refunded_amount), key)

    # --- explicit resends (GraphQL) ----------------------------------------------------------

    def resend_receipt(self, principal: Principal | None, order_id: str) -> bool:
        """sendOrderReceiptEmail: the buyer or box office of the order's org. An explicit
        request sends again, so it gets a delivery key of its own."""
        order = self._order(order_id)
        require_owner_or_level(principal, order.userId, BOX_OFFICE, order.orgId)
        self._enqueue_email(order.id, "orderReceipt", f"receipt-resend~{new_id(10)}")
        return True

    def resend_refund_notice(self, principal: Principal | None, order_id: str) -> bool:
        """sendOrderRefundEmail (ADMIN): the order's latest refund notice again — `orderRefund`
        when money was refunded, else `orderCanceled` when items were cancelled. An explicit
        request sends again, so it gets a delivery key of its own."""
        order = self._order(order_id)
        require_level(principal, ADMIN, order.orgId)
        if order.refundedAmount > 0:
            template: RefundTemplate = "orderRefund"
        elif any(t.state == "Canceled" for t in order.tickets) or any(
            u.state == "Canceled" for u in order.upgrades
        ):
            template = "orderCanceled"
        else:
            raise DomainError(ErrorCode.CONFLICT, "This order has not been refunded or canceled.")
        self._enqueue_email(order.id, template, f"refund-resend~{new_id(10)}")
        return True

    def resend_tickets(self, principal: Principal | None, order_id: str) -> bool:
        """sendOrderQRCodeEmail (R-QR-5, ADMIN): tickets again, by e-mail and text."""
        order = self._order(order_id)
        require_level(principal, ADMIN, order.orgId)
        reason = skip_reason(order, self.events.get(order.eventId))
        if reason:
            raise DomainError(ErrorCode.CONFLICT, f"Tickets cannot be sent: {reason}.")
        now = self.now()
        task = self._task(order, task_type=SEND_TICKETS, task_id=f"{order.id}~resend~{new_id(10)}",
                          execute_at=now, now=now)  # fmt: skip
        self.scheduled.plan(task, now)
        return True

    # --- task handlers -----------------------------------------------------------------------

    def run_task(self, task_id: str) -> str:
        """deliver-tickets: one SendOrderQrCodeEmail / TicketOnDayofEvent task (R-QR-5/6)."""
        task = self.scheduled.begin(task_id)
        if isinstance(task, str):
            return task
        now = self.now()
        order = self.orders.get(task.orderId)
        event = self.events.get(order.eventId) if order else None
        reason = "order not found" if order is None else skip_reason(order, event)
        if reason or order is None or event is None:
            self.scheduled.end(task.id, now, success=False, outcome=reason)
            return reason
        if not is_due(task.executeAt, now):  # more than 30 days ahead when it was enqueued
            self.scheduled.enqueue(task, now)
            return "rescheduled"
        if task.startedAt is None:
            # A run that died after this point is simply run again: every step below is
            # idempotent (codes are deterministic, messages are claimed per delivery key).
            self.records.update_task(task.id, {"startedAt": now})
        order = self.issue_codes(order, event)
        key = _delivery_key(task)
        day_of = task.taskType == DAY_OF
        self._enqueue_email(order.id, "orderQRCodeOnDay" if day_of else "orderQRCode", key)
        if event.ticketDeliveryType != "Will-call only":
            self._enqueue_text(order.id, "dayOf" if day_of else "tickets", key)
        if not day_of:
            for reminder in day_of_reminders(order, event, now):
                self._schedule(order, reminder, now)
        self.scheduled.end(task.id, self.now(), success=True, outcome="sent")
        return "sent"

    def send_email(self, order_id: str, template: str, key: str) -> str:
        """send-email: one ticket, refund or cancellation e-mail, at least once (see the module
        docstring)."""
        if template == season_email.TEMPLATE:
            return self._send_season_receipt(order_id, key)
        if template not in TICKET_TEMPLATES and template not in REFUND_TEMPLATES:
            raise invalid("Unknown e-mail template.", "template")
        template_key: EmailTemplate = template  # type: ignore[assignment]  # checked just above
        tickets = template_key not in REFUND_TEMPLATES and template_key != "orderReceipt"
        order = self.orders.get(order_id)
        event = self._shown_listing(order) if order else None
        if order is None or event is None:
            return "order or event not found"
        if tickets and (reason := skip_reason(order, event)):
            return reason
        buyer = self.users.get(order.userId) if order.userId else None
        to = order.email or contact_email(buyer)
        if not to:
            return "no e-mail address"
        if tickets and not order.qrCodeUrl:
            raise retry_later("The QR code is not issued yet.")
        plan: RefundPlan | None = None
        if template_key in REFUND_TEMPLATES:
            plan = self._refund_plan(order, template_key, key)
            if plan is None:
                return "nothing refunded or canceled"
        return self._claimed_mail.send(
            key, template_key, lambda: self._compose(template_key, order, event, buyer, to, plan=plan),
            order_id=order.id,
        )  # fmt: skip

    def _send_season_receipt(self, order_id: str, key: str) -> str:
        """send-email for `seasonReceipt` (at least once, claimed per key like every e-mail)."""
        order = self.orders.get(order_id)
        season = self.seasons.get(order.seasonId) if order and self.seasons is not None else None
        if order is None or season is None:
            return "order or season not found"
        if order.state in DEAD_ORDER_STATES:
            return "order refunded or canceled"
        buyer = self.users.get(order.userId) if order.userId else None
        to = order.email or contact_email(buyer)
        if not to:
            return "no e-mail address"
        return self._claimed_mail.send(
            key, season_email.TEMPLATE, lambda: self._compose_season_receipt(order, season, buyer, to),
            order_id=order.id,
        )  # fmt: skip

    def _shown_listing(self, order: Order) -> Event | None:
        """What an e-mail about `order` shows: its event; for a season order (R-T3-2), whose
        refund and cancellation notices are the buyer's only ones, its season read as an event
        (name, venue, dates)."""
        if order.eventId or self.seasons is None or not season_orders.is_season_parent(order):
            return self.events.get(order.eventId) if order.eventId else None
        season = self.seasons.get(order.seasonId)
        return Event.model_validate(season.doc()) if season is not None else None

    def _compose_season_receipt(self, order: Order, season: Season, buyer: User | None, to: str) -> Email:
        events = self.events.get_many(season.eventIds)
        shown = [events[e] for e in season.eventIds if e in events]
        venues = self.venues.get_many({v for v in [season.venueId, *(e.venueId for e in shown)] if v})
        org = self.organizations.get(order.orgId)
        shows = [(e, venues.get(e.venueId)) for e in shown]
        context = season_email.season_receipt_context(
            order=order, season=season, shows=shows, venue=venues.get(season.venueId), org=org, buyer=buyer
        )
        html, text = self.renderer.render(season_email.TEMPLATE, context)
        ics = events_calendar_invite(shows, order.id, self.now())
        return Email(
            to=to, from_email=self.email_from, from_name=brand_of(org).name, subject=str(context["subject"]),
            html=html, text=text, attachments=(Attachment(ICS_FILENAME, ics, "text/calendar"),),
        )  # fmt: skip

    def send_text(self, order_id: str, kind: str, key: str) -> str:
        """send-sms: the ticket MMS (R-MSG-4), at most once (see the module docstring)."""
        if kind not in TEXTS:
            raise invalid("Unknown text.", "message")
        order = self.orders.get(order_id)
        event = self.events.get(order.eventId) if order else None
        if order is None or event is None:
            return "order or event not found"
        if reason := skip_reason(order, event):
            return reason
        if event.ticketDeliveryType == "Will-call only":
            return "will-call only: no text"
        buyer = self.users.get(order.userId) if order.userId else None
        # The number the buyer gave, verified or not (see the README, "Who gets the tickets").
        phone = (buyer.phoneNumber or buyer.phoneNumberWaitingForVerify) if buyer else ""
        if not phone:
            return "no phone number"
        if not order.qrCodeUrl:
            raise retry_later("The QR code is not issued yet.")
        record_id = f"{order.id}~{key}~sms"
        claim = Delivery(orderId=order.id, channel="sms", key=key, template=kind, status="sending",
                         claimedAt=self.now())  # fmt: skip
        outcome = self.records.claim(record_id, claim, lease=SMS_LEASE, retry_stale=False)
        if outcome == "done":
            return "already sent"
        if outcome == "busy":
            raise retry_later("This text is being sent.")
        try:
            to = e164(phone, self.phone_region)
        except DomainError as error:
            self.records.finish(record_id, {"status": "failed", "error": error.message})
            log.info("text not sent: invalid phone number", extra={"orderId": order.id})
            return error.message
        text = TEXTS[kind].format(event=event.name)  # type: ignore[index]  # checked above
        try:
            message_id = self.texts().send_mms(to, text, [order.qrCodeUrl])
        except SmsRejectedError as error:
            self.records.finish(record_id, {"status": "failed", "provider": "plivo", "error": str(error)})
            return f"rejected: {error}"
        except SmsUnavailableError:
            self.records.release(record_id)
            raise
        except SmsOutcomeUnknownError as error:
            self.records.finish(record_id, {"status": "unknown", "provider": "plivo", "error": str(error)})
            return "outcome unknown: not retried"
        self.records.finish(record_id, {"status": "sent", "provider": "plivo",
                                        "providerMessageId": message_id, "sentAt": self.now()})  # fmt: skip
        return "sent"

    # --- QR codes (R-QR-1, R-QR-2) -------------------------------------------------------------

    def issue_codes(self, order: Order, event: Event, plan: CodePlan | None = None) -> Order:
        """Sign the codes `plan` names (default: the order's and one per live ticket and
        upgrade), store their PNGs in the private bucket and record signed URLs valid until the
        event ends (+ a margin). Safe to repeat: the secretId is assigned once, signatures and
        images are deterministic, and only the URLs (re-signed) change. An empty plan writes
        nothing."""
        plan = all_codes(order) if plan is None else plan
        if plan.empty:
            return order
        secret = order.secretId or self.records.assign_secret_id(order.id, new_secret_id())
        signer, images, now = self.signer(), self.images(), self.now()
        expires_at = max(event_ends_at(event), now) + URL_MARGIN
        folder = f"tickets/{event.id}/{order.id}"

        def store(name: str, identity: TicketIdentity) -> str:
            images.put_png(f"{folder}/{name}.png", qr_png(signer.payload(identity)))
            return images.signed_url(f"{folder}/{name}.png", expires_at, now)

        item_urls = {
            t: store(f"ticket-{t}", TicketIdentity(event.id, secret, "ticket", t)) for t in plan.ticket_ids
        }
        item_urls |= {
            u: store(f"upgrade-{u}", TicketIdentity(event.id, secret, "upgrade", u)) for u in plan.upgrade_ids
        }
        order_url = store("order", TicketIdentity(event.id, secret)) if plan.order_code else None
        self.records.save_qr_urls(order.id, order_url, item_urls)
        return self.orders.get(order.id) or order

    # --- helpers ---------------------------------------------------------------------------------

    def _order(self, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise not_found("Order")
        return order

    def _refund_plan(self, order: Order, template: str, key: str) -> RefundPlan | None:
        """What a refund/cancellation notice lists: the refund record named by `key` when it is
        readable and settled, else what the order shows (see shared.domain.refund_email)."""
        record = self.refund_records.record(key) if self.refund_records and key.startswith("rf_") else None
        if record is not None and record.orderId == order.id and record.state == "succeeded":
            return record.plan
        if template == "orderRefund":
            return latest_refund(order)
        plan = cancellation(order)
        return plan if plan.ticketAmounts or plan.upgradeAmounts else None

    def _compose(
        self, template: EmailTemplate, order: Order, event: Event, buyer: User | None, to: str, *,
        plan: RefundPlan | None = None,
    ) -> Email:  # fmt: skip
        venue = self.venues.get(event.venueId) if event.venueId else None
        org = self.organizations.get(order.orgId)
        if template == "orderRefund" or template == "orderCanceled":  # noqa: PLR1714 - narrows for mypy
            if plan is None:
                raise ValueError("a refund e-mail needs the refund it is about")
            context = refund_email_context(
                template, order=order, plan=plan, event=event, venue=venue, org=org, buyer=buyer
            )
        else:
            context = ticket_email_context(
                template, order=order, event=event, venue=venue, org=org, buyer=buyer,
                qr_url=order.qrCodeUrl, tickets_at=delivery_time(event, order.createdAt),
            )  # fmt: skip
        html, text = self.renderer.render(template, context)
        attachments: tuple[Attachment, ...] = ()
        if template in ("orderReceipt", "orderQRCode"):  # the "+ics" templates of R-MSG-2
            ics = calendar_invite(event, venue, order.id, self.now())
            attachments = (Attachment(ICS_FILENAME, ics, "text/calendar"),)
        return Email(
            to=to, from_email=self.email_from, from_name=brand_of(org).name, subject=str(context["subject"]),
            html=html, text=text, attachments=attachments,
        )  # fmt: skip

    def _task(self, order: Order, *, task_type: str, task_id: str, execute_at: int, now: int,
              day: int | None = None) -> Task:  # fmt: skip
        return Task(
            _id=task_id, taskType=task_type, createdAt=now, executeAt=execute_at, userId=order.userId,
            orgId=order.orgId, eventId=order.eventId, orderId=order.id, venueIds=order.venueIds,
            artistIds=order.artistIds, email=order.email, day=day,
        )  # fmt: skip

    def _schedule(self, order: Order, delivery: ScheduledDelivery, now: int) -> None:
        """The task for one planned delivery, created once (deterministic id) and enqueued."""
        suffix = "tickets" if delivery.task_type == SEND_TICKETS else f"day~{delivery.day}"
        task = self._task(order, task_type=delivery.task_type, task_id=f"{order.id}~{suffix}",
                          execute_at=delivery.execute_at, now=now, day=delivery.day)  # fmt: skip
        self.scheduled.plan(task, now)

    def _enqueue_email(
        self, order_id: str, template: EmailTemplate | season_email.SeasonTemplate, key: str
    ) -> None:
        payload = {"orderId": order_id, "template": template, "key": key}
        self.tasks.enqueue(QUEUE, EMAIL_FUNCTION, payload, key=f"email~{order_id}~{key}")

    def _enqueue_text(self, order_id: str, kind: TextKind, key: str) -> None:
        payload = {"orderId": order_id, "message": kind, "key": key}
        self.tasks.enqueue(QUEUE, SMS_FUNCTION, payload, key=f"sms~{order_id}~{key}")
