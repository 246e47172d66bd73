"""Ticket delivery end to end on the real emulators: order_created plans Cloud Tasks, the tasks
emulator calls deliver-tickets / send-email / send-sms over HTTP, QR images land in the private
bucket, e-mail reaches the SendGrid stand-in (or moto's SES) and texts the Plivo stand-in."""

from __future__ import annotations

import base64
import concurrent.futures
import time
import uuid
from typing import Any
from urllib.parse import urlparse

import grpc
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage, tasks_v2  # type: ignore[attr-defined]
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

from emulator import config
from shared.bootstrap import services
from shared.domain.models import (
    Address,
    Event,
    EventSchedule,
    Order,
    OrderTicket,
    Organization,
    Payment,
    Performance,
    PerformanceSchedule,
    User,
    Venue,
)
from tests.integration.api import data_of, error_of, new_user, staff_of, user_id_of, wait_for
from tests.integration.inbox import emails, subject_of, texts, with_subject

FUNCTIONS = config.FUNCTIONS_URL
HOUR, DAY = 3600, 86400


DELIVERY_TIMEOUT = 40.0  # deliveries go through the Tasks emulator's serial queue


def ses_messages() -> list[dict[str, Any]]:
    data = requests.get(f"{config.SES_URL}/moto-api/data.json", timeout=5).json()
    return list(data["ses"]["RawMessage"])


def task_docs(order_id: str) -> dict[str, dict[str, Any]]:
    client = services().store.client
    return {
        s.id: s.to_dict() or {}
        for s in client.collection("tasks").where(filter=FieldFilter("orderId", "==", order_id)).stream()
    }


def delivery_doc(record_id: str) -> dict[str, Any] | None:
    snapshot = services().store.client.collection("deliveries").document(record_id).get()
    return snapshot.to_dict() if snapshot.exists else None


def queued_tasks() -> dict[str, Any]:
    channel = grpc.insecure_channel(config.TASKS_HOST)
    try:
        client = tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
        parent = client.queue_path(config.PROJECT_ID, config.TASKS_LOCATION, "delivery")
        return {t.name: t for t in client.list_tasks(parent=parent)}
    finally:
        channel.close()


def post(function: str, payload: dict[str, Any]) -> requests.Response:
    return requests.post(f"{FUNCTIONS}/{function}/", json=payload, timeout=30)


class World:
    """An organization, its venue in Denver, an event, a buyer and an order, in Firestore."""

    def __init__(
        self,
        *,
        send_qr: str = "Upon order",
        starts_in: int = 3 * DAY,
        days: int = 1,
        phone: str | None = None,
        delivery_type: str = "Digital only",
        event_name: str = "Night Owls",
        buyer_id: str | None = None,
    ) -> None:
        store = services().store
        now = int(time.time())
        # A number of its own, so texts from other tests' orders never count as this buyer's.
        self.phone = phone if phone is not None else f"+1555{uuid.uuid4().int % 10**7:07d}"
        self.org = Organization(
            userId="owner",
            createdAt=now,
            orgName="Owl Presents",
            orgColorHex="#336699",
            email="hello@owl.example",
        )
        store.organizations.create(self.org)
        self.venue = Venue(
            orgId=self.org.id,
            name="The Roost",
            createdAt=now,
            createdBy="owner",
            address=Address(
                address1="1 Main St", city="Denver", state="CO", zip="80202", timezone="America/Denver"
            ),
        )
        store.venues.create(self.venue)
        start = now + starts_in
        self.day_starts = [start + i * DAY for i in range(days)]
        schedule = [
            PerformanceSchedule(doorsAt=d - HOUR, startsAt=d, endsAt=d + 3 * HOUR) for d in self.day_starts
        ]
        self.event = Event(
            orgId=self.org.id,
            createdAt=now,
            name=event_name,
            venueId=self.venue.id,
            sendQRCode=send_qr,
            ticketDeliveryType=delivery_type,
            isMultipleDays=days > 1,  # type: ignore[arg-type]
            schedule=EventSchedule(startsAt=start, endsAt=self.day_starts[-1] + 3 * HOUR),
            performances=[Performance(name="Main", schedule=schedule)],
        )
        store.events.create(self.event)
        self.buyer = User(
            _id=buyer_id or f"u{uuid.uuid4().hex[:12]}",
            createdAt=now,
            firstName="Ada",
            email=f"ada-{uuid.uuid4().hex[:6]}@example.com",
            phoneNumber=self.phone,
        )
        if store.users.get(self.buyer.id) is None:
            store.users.create(self.buyer)
        day_ids = [str(d) for d in self.day_starts] if days > 1 else []
        self.order = Order(
            orgId=self.org.id,
            eventName=self.event.name,
            eventId=self.event.id,
            userId=self.buyer.id,
            createdAt=now,
            createdBy=self.buyer.id,
            venueIds=[self.venue.id],
            tickets=[
                OrderTicket(
                    name="GA",
                    ticketTypeId="tt",
                    ticketTierId="tier",
                    price=2500,
                    origionalPrice=2500,
                    dayIds=day_ids,
                )
                for _ in range(2)
            ],
            payments=[Payment(amount=5300, paymentMethodType="Card Entry")],
        )
        store.orders.create(self.order)

    def stored_order(self) -> Order:
        order = services().store.orders.get(self.order.id)
        assert order is not None
        return order


# --- immediate delivery --------------------------------------------------------------------------


def test_upon_order_sends_qr_email_with_calendar_and_an_mms_with_the_image() -> None:
    world = World()

    services().delivery.order_created(world.order.id)

    (mail,) = wait_for(lambda: with_subject("[TICKET ARRIVAL]", world.buyer.email), timeout=DELIVERY_TIMEOUT)
    (text,) = wait_for(lambda: texts(world.phone), timeout=DELIVERY_TIMEOUT)
    order = world.stored_order()
    assert len(order.secretId) == 72
    assert order.qrCodeUrl and all(t.qrCodeUrl for t in order.tickets)
    assert subject_of(mail) == "[TICKET ARRIVAL] Night Owls tickets"
    assert mail["from"] == {"email": "tickets@sellout.local", "name": "Owl Presents"}
    contents = {c["type"]: c["value"] for c in mail["content"]}
    assert order.qrCodeUrl.replace("&", "&amp;") in contents["text/html"]
    assert "Hi" not in contents["text/plain"] and "Ada" in contents["text/plain"]
    assert "2 x GA" in contents["text/plain"] and "$53.00" in contents["text/plain"]
    (ics,) = mail["attachments"]
    assert (ics["filename"], ics["type"]) == ("iCalendar.ics", "text/calendar")
    calendar = base64.b64decode(ics["content"]).decode()
    assert calendar.count("BEGIN:VEVENT") == 1 and "DTSTART;TZID=America/Denver:" in calendar
    assert "1 Main St" in calendar
    assert text["text"] == "Here are your tickets to Night Owls"
    assert (text["type"], text["dst"]) == ("mms", world.phone)
    assert text["media_urls"] == [order.qrCodeUrl]
    record = delivery_doc(f"{order.id}~tickets~email")
    assert record and record["status"] == "sent" and record["provider"] == "sendgrid"
    assert record["providerMessageId"]


def test_the_qr_image_is_a_png_in_the_private_tickets_bucket_behind_a_signed_url() -> None:
    world = World()
    services().delivery.order_created(world.order.id)
    wait_for(lambda: with_subject("[TICKET ARRIVAL]", world.buyer.email), timeout=DELIVERY_TIMEOUT)
    order = world.stored_order()

    url = urlparse(order.qrCodeUrl)
    image = requests.get(order.qrCodeUrl, timeout=10)

    assert url.path == f"/{config.TICKETS_BUCKET}/tickets/{world.event.id}/{order.id}/order.png"
    assert "X-Goog-Signature=" in url.query or "Signature=" in url.query
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG\r\n\x1a\n")
    bucket = storage.Client(project=config.PROJECT_ID, credentials=AnonymousCredentials()).bucket(
        config.TICKETS_BUCKET
    )
    names = {b.name for b in bucket.list_blobs(prefix=f"tickets/{world.event.id}/{order.id}/")}
    assert names == {
        f"tickets/{world.event.id}/{order.id}/order.png",
        *(f"tickets/{world.event.id}/{order.id}/ticket-{t.id}.png" for t in order.tickets),
    }
    assert order.secretId not in order.qrCodeUrl  # the scannable secret never appears in a link


# --- schedules ---------------------------------------------------------------------------------


def test_two_weeks_before_show_sends_the_receipt_now_and_schedules_the_tickets() -> None:
    world = World(send_qr="Two weeks before show", starts_in=20 * DAY)

    services().delivery.order_created(world.order.id)

    buyer = world.buyer.email
    (receipt,) = wait_for(lambda: with_subject("[TICKET CONFIRMATION]", buyer), timeout=DELIVERY_TIMEOUT)
    assert subject_of(receipt).startswith("[TICKET CONFIRMATION] Night Owls - ")
    assert [a["filename"] for a in receipt["attachments"]] == ["iCalendar.ics"]
    tasks = task_docs(world.order.id)
    task = tasks[f"{world.order.id}~tickets"]
    assert task["taskType"] == "SendOrderQrCodeEmail"
    assert task["executeAt"] == world.day_starts[0] - 14 * DAY
    assert task["canceledAt"] is None and task["endedAt"] is None
    cloud_task = queued_tasks()[task["cloudTaskName"]]
    assert int(cloud_task.schedule_time.timestamp()) == task["executeAt"]
    assert len(tasks) == 1
    time.sleep(2)
    assert with_subject("[TICKET ARRIVAL]", world.buyer.email) == [] and texts(world.phone) == []


def test_a_delivery_more_than_30_days_ahead_is_enqueued_at_the_cap() -> None:
    world = World(send_qr="Two weeks before show", starts_in=60 * DAY)
    before = int(time.time())

    services().delivery.order_created(world.order.id)

    task = task_docs(world.order.id)[f"{world.order.id}~tickets"]
    assert task["executeAt"] == world.day_starts[0] - 14 * DAY
    scheduled = int(queued_tasks()[task["cloudTaskName"]].schedule_time.timestamp())
    assert before + 29 * DAY < scheduled <= int(time.time()) + 30 * DAY
    assert scheduled < task["executeAt"]
    # When that early wake-up arrives, the handler re-enqueues instead of delivering.
    response = post("deliver-tickets", {"taskId": task["_id"]})
    assert response.json() == {"result": "rescheduled"}
    assert task_docs(world.order.id)[task["_id"]]["endedAt"] is None


def test_a_multi_day_event_gets_one_day_of_task_per_day() -> None:
    world = World(days=3, starts_in=2 * DAY)

    services().delivery.order_created(world.order.id)

    tasks = task_docs(world.order.id)
    day_of = sorted(
        (t for t in tasks.values() if t["taskType"] == "TicketOnDayofEvent"), key=lambda t: t["day"]
    )
    assert [t["day"] for t in day_of] == world.day_starts
    assert [t["executeAt"] for t in day_of] == [d - 8 * HOUR for d in world.day_starts]
    queued = queued_tasks()
    assert all(t["cloudTaskName"] in queued for t in day_of)
    (mail,) = wait_for(lambda: with_subject("[TICKET ARRIVAL]", world.buyer.email), timeout=DELIVERY_TIMEOUT)
    calendar = base64.b64decode(mail["attachments"][0]["content"]).decode()
    assert calendar.count("BEGIN:VEVENT") == 3


def test_a_day_of_task_sends_the_day_of_email_and_text() -> None:
    world = World(starts_in=4 * HOUR)  # too close for a reminder: none is planned
    services().delivery.order_created(world.order.id)
    wait_for(lambda: with_subject("[TICKET ARRIVAL]", world.buyer.email), timeout=DELIVERY_TIMEOUT)
    assert [t["taskType"] for t in task_docs(world.order.id).values()] == ["SendOrderQrCodeEmail"]
    # Simulate the reminder of a later day arriving (as the queue would deliver it).
    delivery = services().delivery
    task = delivery._task(
        world.stored_order(),
        task_type="TicketOnDayofEvent",
        task_id=f"{world.order.id}~day~{world.day_starts[0]}",
        execute_at=int(time.time()),
        now=int(time.time()),
        day=world.day_starts[0],
    )
    delivery.records.create_task(task)

    assert post("deliver-tickets", {"taskId": task.id}).json() == {"result": "sent"}

    wait_for(lambda: len(texts(world.phone)) == 2, timeout=DELIVERY_TIMEOUT)
    assert texts(world.phone)[-1]["text"] == "Today is the day! Here are your tickets to Night Owls"
    wait_for(lambda: len(with_subject("[TICKET ARRIVAL]", world.buyer.email)) == 2, timeout=DELIVERY_TIMEOUT)
    assert delivery_doc(f"{world.order.id}~day~{world.day_starts[0]}~email")


# --- idempotency -------------------------------------------------------------------------------


def test_a_task_delivered_twice_sends_one_email_and_one_text() -> None:
    world = World()
    services().delivery.order_created(world.order.id)
    wait_for(lambda: with_subject("[TICKET ARRIVAL]", world.buyer.email), timeout=DELIVERY_TIMEOUT)
    wait_for(lambda: texts(world.phone), timeout=DELIVERY_TIMEOUT)
    task_id = f"{world.order.id}~tickets"

    again = post("deliver-tickets", {"taskId": task_id})
    email_again = post("send-email", {"orderId": world.order.id, "template": "orderQRCode", "key": "tickets"})
    text_again = post("send-sms", {"orderId": world.order.id, "message": "tickets", "key": "tickets"})

    assert again.json() == {"result": "already done"}
    assert email_again.json() == {"result": "already sent"}
    assert text_again.json() == {"result": "already sent"}
    time.sleep(1.5)
    assert len(with_subject("[TICKET ARRIVAL]", world.buyer.email)) == 1
    assert len(texts(world.phone)) == 1


def test_the_same_email_task_arriving_twice_at_once_sends_once() -> None:
    world = World(send_qr="Two weeks before show", starts_in=20 * DAY)  # nothing sent yet
    payload = {"orderId": world.order.id, "template": "orderReceipt", "key": "receipt-race"}

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: post("send-email", payload), range(4)))

    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) >= 1 and set(statuses) <= {200, 503}
    assert [a.json()["result"] for a in answers if a.status_code == 200].count("sent via sendgrid") == 1
    assert len(with_subject("[TICKET CONFIRMATION]", world.buyer.email)) == 1


# --- failures and cancellations ----------------------------------------------------------------


def test_when_sendgrid_is_down_the_email_goes_out_through_ses() -> None:
    requests.post(f"{config.SAAS_URL}/_control/sendgrid", json={"status": 503}, timeout=5).raise_for_status()
    world = World()

    services().delivery.order_created(world.order.id)

    (raw,) = wait_for(ses_messages, timeout=DELIVERY_TIMEOUT)
    assert "[TICKET ARRIVAL] Night Owls tickets" in raw["raw_data"]
    assert "iCalendar.ics" in raw["raw_data"]
    assert set(raw["destinations"]) == {world.buyer.email}
    assert emails(world.buyer.email) == []
    record = wait_for(lambda: delivery_doc(f"{world.order.id}~tickets~email"), timeout=DELIVERY_TIMEOUT)
    assert record["provider"] == "ses" and record["status"] == "sent"
    # The text does not depend on the e-mail provider (and must not arrive in the next test).
    assert wait_for(lambda: len(texts(world.phone)) == 1, timeout=DELIVERY_TIMEOUT)


def test_a_refunded_order_cancels_its_pending_task_which_then_sends_nothing() -> None:
    world = World(send_qr="Two weeks before show", starts_in=20 * DAY)
    delivery = services().delivery
    delivery.order_created(world.order.id)
    wait_for(lambda: with_subject("[TICKET CONFIRMATION]", world.buyer.email), timeout=DELIVERY_TIMEOUT)
    order = world.stored_order()
    tickets = [{**t.doc(), "state": "Canceled"} for t in order.tickets]
    services().store.orders.update(order.id, {"state": "Refunded", "tickets": tickets})

    cancelled = delivery.order_refunded(order.id)

    task_id = f"{order.id}~tickets"
    assert cancelled == 1 and task_docs(order.id)[task_id]["canceledAt"] is not None
    assert post("deliver-tickets", {"taskId": task_id}).json() == {"result": "cancelled"}
    assert post("send-email", {"orderId": order.id, "template": "orderQRCode", "key": "tickets"}).json() == {
        "result": "order refunded or canceled"
    }
    time.sleep(1.5)
    assert with_subject("[TICKET ARRIVAL]", world.buyer.email) == [] and texts(world.phone) == []


def test_a_task_for_an_order_refunded_without_cancellation_is_skipped_and_recorded() -> None:
    world = World(send_qr="Two weeks before show", starts_in=20 * DAY)
    services().delivery.order_created(world.order.id)
    services().store.orders.update(world.order.id, {"state": "Canceled"})

    answer = post("deliver-tickets", {"taskId": f"{world.order.id}~tickets"})

    assert answer.json() == {"result": "order refunded or canceled"}
    task = task_docs(world.order.id)[f"{world.order.id}~tickets"]
    assert task["success"] is False and task["outcome"] == "order refunded or canceled"


def test_an_invalid_phone_number_sends_no_text_and_records_a_clear_error() -> None:
    world = World(phone="555-0123")

    services().delivery.order_created(world.order.id)

    wait_for(lambda: with_subject("[TICKET ARRIVAL]", world.buyer.email), timeout=DELIVERY_TIMEOUT)
    record = wait_for(lambda: delivery_doc(f"{world.order.id}~tickets~sms"), timeout=DELIVERY_TIMEOUT)
    assert record["status"] == "failed"
    assert "E.164" in record["error"]
    assert texts(world.phone) == []


def test_will_call_only_events_get_the_email_but_no_text() -> None:
    world = World(delivery_type="Will-call only")

    services().delivery.order_created(world.order.id)

    (mail,) = wait_for(lambda: with_subject("[TICKET ARRIVAL]", world.buyer.email), timeout=DELIVERY_TIMEOUT)
    assert "Will-call only" in {c["type"]: c["value"] for c in mail["content"]}["text/plain"]
    time.sleep(1.5)
    assert texts(world.phone) == []


# --- resends over GraphQL ----------------------------------------------------------------------

RESEND_TICKETS = "mutation($id: String!) { sendOrderQRCodeEmail(orderId: $id) }"
RESEND_RECEIPT = "mutation($id: String!) { sendOrderReceiptEmail(orderId: $id) }"


def test_an_admin_resend_sends_the_tickets_again() -> None:
    world = World()
    services().delivery.order_created(world.order.id)
    wait_for(lambda: with_subject("[TICKET ARRIVAL]", world.buyer.email), timeout=DELIVERY_TIMEOUT)
    admin = staff_of(world.org.id, "ADMIN")

    assert data_of(admin.gql(RESEND_TICKETS, {"id": world.order.id})) == {"sendOrderQRCodeEmail": True}

    wait_for(lambda: len(with_subject("[TICKET ARRIVAL]", world.buyer.email)) == 2, timeout=DELIVERY_TIMEOUT)
    wait_for(lambda: len(texts(world.phone)) == 2, timeout=DELIVERY_TIMEOUT)


def test_box_office_cannot_resend_tickets_but_the_buyer_can_resend_the_receipt() -> None:
    buyer = new_user()
    world = World(buyer_id=user_id_of(buyer))
    box_office = staff_of(world.org.id, "BOX_OFFICE")

    refused = error_of(box_office.gql(RESEND_TICKETS, {"id": world.order.id}))
    own_receipt = buyer.gql(RESEND_RECEIPT, {"id": world.order.id})
    stranger = error_of(new_user().gql(RESEND_RECEIPT, {"id": world.order.id}))

    assert refused["message"] == "You do not have permission to do this."
    assert data_of(own_receipt) == {"sendOrderReceiptEmail": True}
    assert stranger["message"] == "You do not have permission to do this."
    assert wait_for(lambda: with_subject("[TICKET CONFIRMATION]", buyer.email), timeout=DELIVERY_TIMEOUT)


# --- crash between the provider call and the record --------------------------------------------


def _stale_claim(record_id: str, order_id: str, channel: str) -> None:
    services().store.client.collection("deliveries").document(record_id).set(
        {
            "orderId": order_id,
            "channel": channel,
            "key": "crash",
            "template": "x",
            "status": "sending",
            "claimedAt": int(time.time()) - 3600,
            "attempts": 1,
        }
    )


def test_after_a_crash_mid_send_email_is_sent_again_but_a_text_is_not() -> None:
    world = World(send_qr="Two weeks before show", starts_in=20 * DAY)
    delivery = services().delivery
    delivery.issue_codes(world.stored_order(), world.event)
    _stale_claim(f"{world.order.id}~crash~email", world.order.id, "email")
    _stale_claim(f"{world.order.id}~crash~sms", world.order.id, "sms")

    email = post("send-email", {"orderId": world.order.id, "template": "orderQRCode", "key": "crash"})
    text = post("send-sms", {"orderId": world.order.id, "message": "tickets", "key": "crash"})

    assert email.json() == {"result": "sent via sendgrid"}  # at least once
    assert text.json() == {"result": "already sent"}  # at most once
    assert delivery_doc(f"{world.order.id}~crash~email")["attempts"] == 2  # type: ignore[index]
    assert delivery_doc(f"{world.order.id}~crash~sms")["status"] == "unknown"  # type: ignore[index]
    assert texts(world.phone) == []
