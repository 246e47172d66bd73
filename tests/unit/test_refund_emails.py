"""Refund and cancellation e-mails (SPEC R-REF-8, R-CAN-1, R-MSG-2): subjects, which items one
notice lists, the rendered content, and the delivery service's choices, with in-memory fakes."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.models import Order, OrderUpgrade, Refund, Role, User
from shared.domain.permissions import Principal
from shared.domain.refund_email import (
    cancellation,
    latest_refund,
    refund_email_context,
    refund_subject,
    refund_template,
)
from shared.domain.refund_rules import RefundPlan, RefundRecord
from shared.domain.tasks import Delivery
from shared.errors import DomainError, ErrorCode
from shared.services.delivery import DeliveryService
from shared.services.mailer import Email, EmailRenderer, Sent
from tests.unit.test_ticket_emails import HOSTILE, world

AT = 1_767_000_000


def _refunded(amount: int, at: int = AT, reason: str = "") -> Refund:
    return Refund(
        refunded=True, refundedAt=at, refundedBy="admin", refundedAmount=amount, refundReason=reason
    )


def order_with_two_refunds() -> Order:
    """Ticket 1 refunded first ($25), then ticket 2 with both fee groups ("Show moved")."""
    order: Order = world()[3]
    first, second = order.tickets
    first.state = second.state = "Canceled"
    first.refund = _refunded(2500, AT - 600, "Can't come")
    second.refund = _refunded(2500, AT, "Show moved")
    order.processingFee.refund = _refunded(0, AT, "Show moved")
    order.promoterFee.refund = _refunded(550, AT, "Show moved")
    order.refundedAmount = 5550
    order.state = "Refunded"
    return order


def render(template: str, order: Order, plan: RefundPlan) -> tuple[str, str]:
    org, venue, event, _ = world()
    context = refund_email_context(
        template,  # type: ignore[arg-type]
        order=order, plan=plan, event=event, venue=venue, org=org, buyer=User(createdAt=0, firstName="Ada"),
    )  # fmt: skip
    return EmailRenderer().render(template, context)


# --- pure rules ------------------------------------------------------------------------------------


def test_subjects_follow_the_spec_and_cannot_break_the_header() -> None:
    _, _, event, _ = world()
    assert refund_subject("orderRefund", event) == "[ORDER REFUNDED] Night Owls"
    assert refund_subject("orderCanceled", event) == "[ORDER CANCELED] Night Owls"
    assert "\n" not in refund_subject("orderRefund", event.model_copy(update={"name": "A\r\nBcc: x@y"}))


def test_nothing_paid_back_is_a_cancellation_notice() -> None:
    assert [refund_template(1), refund_template(0)] == ["orderRefund", "orderCanceled"]


def test_the_latest_refund_is_rebuilt_from_the_items_and_fees_sharing_its_time() -> None:
    order = order_with_two_refunds()
    plan = latest_refund(order)
    assert plan is not None
    assert plan.ticketAmounts == {order.tickets[1].id: 2500}
    assert (plan.processingFeeAmount, plan.promoterFeeAmount) == (0, 550)
    assert plan.total == 3050 and plan.refundReason == "Show moved"
    assert latest_refund(world()[3]) is None  # never refunded


def test_a_cancellation_lists_the_cancelled_items_that_gave_nothing_back() -> None:
    _, _, _, order = world()
    order.tickets[0].state = "Canceled"
    order.upgrades = [OrderUpgrade(name="Parking", upgradeId="p", price=800, state="Canceled")]
    order.cancelReason = "Duplicate order"
    plan = cancellation(order)
    assert plan.ticketAmounts == {order.tickets[0].id: 0}
    assert plan.upgradeAmounts == {order.upgrades[0].id: 0}
    assert plan.total == 0 and plan.refundReason == "Duplicate order"
    # A ticket refunded for money is a refund, not part of a cancellation notice.
    order.tickets[1].state, order.tickets[1].refund = "Canceled", _refunded(2500)
    assert order.tickets[1].id not in cancellation(order).ticketAmounts


# --- rendered content ------------------------------------------------------------------------------


def test_the_refund_email_shows_this_refund_the_total_and_that_the_tickets_no_longer_admit() -> None:
    _, _, _, order = world()
    order.tickets[0].state, order.tickets[0].refund = "Canceled", _refunded(2500, reason="Can't come")
    order.refundedAmount, order.state = 2500, "Partial Refund"
    plan = RefundPlan(orderId=order.id, ticketAmounts={order.tickets[0].id: 2500}, refundReason="Can't come")
    html, text = render("orderRefund", order, plan)
    for part in (html, text):
        assert "Ada" in part and "Night Owls" in part and "The Roost" in part and "ord1" in part
        assert "1 x GA" in part and "A refund of" in part and "$25.00" in part
        assert "Can't come" in part or "Can&#39;t come" in part
        assert "no longer valid" in part and "1 other item of your order remains valid" in part
    assert "Refunded now: $25.00" in text and "Total refunded on this order: $25.00" in text
    assert "Processing fee:" not in text.split("Confirmation code")[0]  # no fee was refunded
    assert "#336699" in html and "Owl &amp; Co" in html


def test_fee_refunds_and_the_running_total_are_listed() -> None:
    order = order_with_two_refunds()
    plan = latest_refund(order)
    assert plan is not None
    _, text = render("orderRefund", order, plan)
    refund_part = text.split("Confirmation code")[0]
    assert "1 x GA  $25.00" in refund_part and "Fees and sales tax: $5.50" in refund_part
    assert "Refunded now: $30.50" in refund_part and "Total refunded on this order: $55.50" in refund_part
    assert "remains valid" not in refund_part  # nothing of the order admits any more


def test_the_cancellation_email_lists_the_items_and_says_nothing_was_refunded() -> None:
    _, _, _, order = world()
    for ticket in order.tickets:
        ticket.state = "Canceled"
    order.cancelReason, order.state = "Duplicate order", "Canceled"
    html, text = render("orderCanceled", order, cancellation(order))
    for part in (html, text):
        assert "Your cancellation is confirmed" in part and "2 x GA" in part and "$25.00 each" in part
        assert "No payment was refunded" in part and "Duplicate order" in part
    assert "Refunded now: $0.00" in text and "Canceled:" in text


def test_a_hostile_reason_and_event_name_are_escaped_in_html() -> None:
    _, _, _, order = world(HOSTILE)
    order.tickets[0].state = "Canceled"
    order.cancelReason = HOSTILE
    org, venue, event, _ = world(HOSTILE)
    context = refund_email_context("orderCanceled", order=order, plan=cancellation(order), event=event,
                                   venue=venue, org=org, buyer=None)  # fmt: skip
    html, _ = EmailRenderer().render("orderCanceled", context)
    assert "<script>" not in html and "&lt;script&gt;" in html


# --- the delivery service, with fakes --------------------------------------------------------------


class Repo:
    def __init__(self, *items: Any) -> None:
        self.items = {i.id: i for i in items}

    def get(self, item_id: str) -> Any:
        return self.items.get(item_id)


class RefundStore:
    def __init__(self, *records: RefundRecord) -> None:
        self.records = {r.id: r for r in records}

    def record(self, refund_id: str) -> RefundRecord | None:
        return self.records.get(refund_id)


class Records:
    def __init__(self) -> None:
        self.deliveries: dict[str, Delivery] = {}

    def claim(self, record_id: str, record: Delivery, *, lease: int, retry_stale: bool) -> str:
        if record_id in self.deliveries:
            return "done"
        self.deliveries[record_id] = record
        return "claimed"

    def finish(self, record_id: str, fields: dict[str, Any]) -> None:
        self.deliveries[record_id] = self.deliveries[record_id].model_copy(update=fields)

    def release(self, record_id: str) -> None:
        del self.deliveries[record_id]


class Queue:
    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}

    def enqueue(self, queue: str, function: str, payload: dict[str, Any], *, path: str = "/",
                key: str | None = None, run_at: int | None = None) -> str:  # fmt: skip
        assert key is not None
        self.tasks.setdefault(key, payload)  # a named task is created once
        return key


class Outbox:
    def __init__(self) -> None:
        self.sent: list[Email] = []

    def send(self, email: Email) -> Sent:
        self.sent.append(email)
        return Sent("fake", f"m{len(self.sent)}")


def service(order: Order, records: tuple[RefundRecord, ...] = ()) -> tuple[DeliveryService, Queue, Outbox]:
    org, venue, event, _ = world()
    buyer = User(_id="buyer", createdAt=0, firstName="Ada", email="ada@example.com")
    order.userId = buyer.id
    queue, outbox = Queue(), Outbox()

    def unused() -> Any:
        raise AssertionError("refund e-mails need no QR images, signer or texts")

    delivery = DeliveryService(
        orders=Repo(order), events=Repo(event), venues=Repo(venue), organizations=Repo(org),  # type: ignore[arg-type]
        users=Repo(buyer), records=Records(), tasks=queue, images=unused, signer=unused,  # type: ignore[arg-type]
        mailer=lambda: outbox, texts=unused, email_from="tickets@sellout.example",  # type: ignore[arg-type, return-value]
        refund_records=RefundStore(*records),
    )  # fmt: skip
    return delivery, queue, outbox


def test_a_notice_queues_one_email_per_key_refund_or_cancellation_by_amount() -> None:
    delivery, queue, _ = service(order_with_two_refunds())
    delivery.refund_notice("ord1", "rf_a", 3050)
    delivery.refund_notice("ord1", "rf_a", 3050)  # a retry of the same refund
    delivery.refund_notice("ord1", "cn_b", 0)
    assert queue.tasks == {
        "email~ord1~rf_a": {"orderId": "ord1", "template": "orderRefund", "key": "rf_a"},
        "email~ord1~cn_b": {"orderId": "ord1", "template": "orderCanceled", "key": "cn_b"},
    }


def test_the_refund_email_lists_its_own_refund_record_even_after_a_later_refund() -> None:
    order = order_with_two_refunds()
    first = RefundRecord(
        _id="rf_first", orderId="ord1", orgId="org", state="succeeded", amount=2500, createdAt=AT - 600,
        createdBy="admin",
        plan=RefundPlan(orderId="ord1", ticketAmounts={order.tickets[0].id: 2500}, refundReason="Can't come"),
    )  # fmt: skip
    delivery, _, outbox = service(order, (first,))

    assert delivery.send_email("ord1", "orderRefund", "rf_first") == "sent via fake"
    assert delivery.send_email("ord1", "orderRefund", "rf_first") == "already sent"

    (mail,) = outbox.sent
    refund_part = mail.text.split("Confirmation code")[0]
    assert mail.subject == "[ORDER REFUNDED] Night Owls" and mail.to == "ada@example.com"
    assert "Refunded now: $25.00" in refund_part and "Can't come" in refund_part
    assert "Fees and sales tax" not in refund_part  # those came with the later refund
    assert mail.attachments == ()  # no calendar on a refund notice


def test_without_its_record_a_notice_lists_the_latest_refund_of_the_order() -> None:
    delivery, _, outbox = service(order_with_two_refunds())
    assert delivery.send_email("ord1", "orderRefund", "rf_unknown") == "sent via fake"
    assert "Refunded now: $30.50" in outbox.sent[0].text


def test_a_cancellation_email_goes_to_a_cancelled_order_of_a_cancelled_event() -> None:
    _, _, _, order = world()
    for ticket in order.tickets:
        ticket.state = "Canceled"
    order.state = "Canceled"
    delivery, _, outbox = service(order)
    event = delivery.events.get("e")
    assert event is not None
    delivery.events.items["e"] = event.model_copy(update={"cancel": True})  # type: ignore[attr-defined]
    assert delivery.send_email("ord1", "orderCanceled", "cn_x") == "sent via fake"
    assert outbox.sent[0].subject == "[ORDER CANCELED] Night Owls"
    # A ticket e-mail to the same order is still refused.
    assert delivery.send_email("ord1", "orderQRCode", "tickets") == "order refunded or canceled"


def admin_of(org_id: str) -> Principal:
    user = User(_id="admin", createdAt=0)
    role = Role(orgId=org_id, userId=user.id, userEmail="a@x", role="ADMIN", createdAt=0, createdBy="x",
                acceptedAt=1)  # fmt: skip
    return Principal(user=user, token="t", claims={}, roles_loader=lambda _: [role])


def test_a_resend_sends_the_latest_notice_again_under_a_fresh_key() -> None:
    delivery, queue, _ = service(order_with_two_refunds())
    assert delivery.resend_refund_notice(admin_of("org"), "ord1") is True
    assert delivery.resend_refund_notice(admin_of("org"), "ord1") is True
    assert [p["template"] for p in queue.tasks.values()] == ["orderRefund", "orderRefund"]
    assert len({p["key"] for p in queue.tasks.values()}) == 2


def test_a_resend_for_an_order_never_refunded_or_cancelled_is_a_conflict() -> None:
    delivery, queue, _ = service(world()[3])
    with pytest.raises(DomainError) as raised:
        delivery.resend_refund_notice(admin_of("org"), "ord1")
    assert raised.value.code == ErrorCode.CONFLICT and queue.tasks == {}
