"""Sales-report subscriptions end to end (SPEC R-RP-5): GraphQL on the local functions, Firestore,
the tasks emulator calling send-email, the SendGrid stand-in's inbox and the private reports
bucket."""

from __future__ import annotations

import time
from typing import Any

import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from emulator import config
from shared.bootstrap import services
from shared.domain import sales_report as rules
from shared.domain.models import Event, Organization
from shared.services.sales_reports import TASK_PATH
from tests.integration.api import Caller, data_of, error_of, gql, make_org, staff_of, wait_for
from tests.integration.inbox import subject_of, with_subject
from tests.integration.orders_fixtures import make_order, ticket, upgrade
from tests.integration.test_delivery import DELIVERY_TIMEOUT, delivery_doc, queued_tasks

HOUR, DAY = 3600, 86_400
SUBSCRIBE = """mutation($p: SalesReportInput) {
  salesReport(params: $p) { _id subscription { _id email frequency } } }"""
UNSUBSCRIBE = """mutation($e: String, $s: String) {
  deleteSubscription(eventId: $e, subscriptionId: $s) { _id subscription { _id email } } }"""
SUBSCRIBERS = """query($e: String) { event(eventId: $e) { _id subscription { _id email frequency } } }"""
DENIED = "You do not have permission to do this."
TASK_URL = f"{config.FUNCTIONS_URL}/send-email{TASK_PATH}"


def make_event(org: Organization, ends_in: int = 20 * DAY, name: str = "Owls Reunion") -> Event:
    now = int(time.time())
    event = Event.model_validate({
        "orgId": org.id, "createdAt": now, "name": name, "published": True,
        "schedule": {"announceAt": now - DAY, "ticketsAt": now - DAY, "ticketsEndAt": now + ends_in - DAY,
                     "startsAt": now + ends_in - 4 * HOUR, "endsAt": now + ends_in},
    })  # fmt: skip
    return services().events.writer.create(event)


def subscribe(admin: Caller, event: Event, email: str, frequency: str = "Weekly") -> dict[str, Any]:
    return admin.gql(SUBSCRIBE, {"p": {"email": email, "frequency": frequency, "eventId": event.id}})


def tasks_of(subscription_id: str) -> dict[str, dict[str, Any]]:
    query = (
        services()
        .store.client.collection("tasks")
        .where(filter=FieldFilter("subscription._id", "==", subscription_id))
    )
    return {s.id: s.to_dict() or {} for s in query.stream()}


def plain(mail: dict[str, Any]) -> str:
    return str({c["type"]: c["value"] for c in mail["content"]}["text/plain"])


def link_in(mail: dict[str, Any]) -> str:
    (line,) = [line for line in plain(mail).splitlines() if line.startswith("http")]
    return line.strip()


def deliver_again(task_id: str) -> Any:
    response = requests.post(TASK_URL, json={"taskId": task_id}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def first_report(admin: Caller, event: Event, email: str, frequency: str) -> tuple[dict[str, Any], str]:
    """Subscribe and wait for the first run to end: (the subscription, its first task id)."""
    (subscription,) = data_of(subscribe(admin, event, email, frequency))["salesReport"]["subscription"]
    wait_for(lambda: with_subject("[SALES REPORT]", email), timeout=DELIVERY_TIMEOUT)

    def ended() -> str | None:
        done = [k for k, t in tasks_of(subscription["_id"]).items() if t.get("endedAt")]
        return done[0] if done else None

    first = wait_for(ended, timeout=DELIVERY_TIMEOUT)
    return subscription, first


def test_a_subscriber_gets_a_link_to_a_real_pdf_and_the_next_weekly_run_is_planned() -> None:
    org = make_org("Owl Records")
    event = make_event(org, ends_in=20 * DAY)
    make_order(event, tickets=[ticket(), ticket()], upgrades=[upgrade()],
               payments=[{"amount": 5500, "paymentMethodType": "Card Entry"}])  # fmt: skip
    admin = staff_of(org.id, "ADMIN")

    subscription, first = first_report(admin, event, "Owner@Example.com", "Weekly")

    assert (subscription["email"], subscription["frequency"]) == ("Owner@Example.com", "Weekly")
    (mail,) = with_subject("[SALES REPORT]", "owner@example.com")
    assert subject_of(mail) == "[SALES REPORT] Owls Reunion"
    assert mail["from"]["name"] == "Owl Records"  # the org's real name (D-27)
    assert "Tickets sold: 2" in plain(mail) and "Total sales: $55.00" in plain(mail)
    link = link_in(mail)
    assert f"/{config.REPORTS_BUCKET}/reports/{org.id}/" in link and "X-Goog-Signature=" in link
    pdf = requests.get(link, timeout=10)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")

    tasks = tasks_of(subscription["_id"])
    done = tasks[first]
    assert (done["taskType"], done["success"], done["eventId"]) == ("SalesReport", True, event.id)
    assert delivery_doc(f"{first}~salesReport~email")["status"] == "sent"  # type: ignore[index]
    following = rules.task_id(subscription["_id"], done["executeAt"] + 7 * DAY)
    assert sorted(tasks) == sorted([first, following])
    pending = tasks[following]
    assert pending["executeAt"] == done["executeAt"] + 7 * DAY and pending["endedAt"] is None
    queued = queued_tasks()
    assert pending["cloudTaskName"] in queued
    assert queued[pending["cloudTaskName"]].schedule_time.timestamp() == pending["executeAt"]

    # Only the event's admins see who subscribed.
    listed = data_of(admin.gql(SUBSCRIBERS, {"e": event.id}))["event"]["subscription"]
    assert [s["email"] for s in listed] == ["Owner@Example.com"]
    scanner = staff_of(org.id, "SCANNER")
    assert data_of(scanner.gql(SUBSCRIBERS, {"e": event.id}))["event"]["subscription"] == []


def test_the_same_address_twice_is_refused_whatever_its_case() -> None:
    org = make_org()
    event = make_event(org)
    admin = staff_of(org.id, "ADMIN")
    data_of(subscribe(admin, event, "ada@example.com"))

    again = error_of(subscribe(admin, event, "ADA@Example.com", "Daily"))
    bad = error_of(subscribe(admin, event, "ada2@example.com", "Monthly"))

    assert again["message"] == rules.ALREADY_SUBSCRIBED
    assert bad["message"] == "Invalid Fields" and bad["extensions"]["invalidArgs"] == ["frequency"]
    stored = services().store.events.get(event.id)
    assert stored is not None and [s.email for s in stored.subscription] == ["ada@example.com"]


def test_a_run_delivered_again_sends_once_and_plans_the_next_run_once() -> None:
    org = make_org()
    event = make_event(org, ends_in=5 * DAY)
    admin = staff_of(org.id, "ADMIN")
    subscription, first = first_report(admin, event, "grace@example.com", "Daily")

    assert deliver_again(first) == "already done"
    # Delivered again while the first delivery was still running (not ended yet):
    services().store.client.collection("tasks").document(first).update({"endedAt": None})
    assert deliver_again(first) == "already sent"

    assert len(with_subject("[SALES REPORT]", "grace@example.com")) == 1
    tasks = tasks_of(subscription["_id"])
    assert len(tasks) == 2 and tasks[first]["endedAt"]
    (following,) = [t for k, t in tasks.items() if k != first]
    assert following["executeAt"] == tasks[first]["executeAt"] + DAY  # Daily
    pending = [t for t in queued_tasks().values() if following["_id"].encode() in t.http_request.body]
    assert len(pending) == 1  # enqueued once


def test_deleting_a_subscription_cancels_its_pending_run_and_a_late_delivery_sends_nothing() -> None:
    org = make_org()
    event = make_event(org)
    admin = staff_of(org.id, "ADMIN")
    subscription, first = first_report(admin, event, "alan@example.com", "Weekly")
    (pending_id,) = [k for k in tasks_of(subscription["_id"]) if k != first]

    answered = data_of(admin.gql(UNSUBSCRIBE, {"e": event.id, "s": subscription["_id"]}))

    assert answered["deleteSubscription"] == {"_id": event.id, "subscription": []}
    assert tasks_of(subscription["_id"])[pending_id]["canceledAt"]
    assert deliver_again(pending_id) == "cancelled"
    # Even a run not marked cancelled (planned while the delete ran) finds the subscriber gone.
    services().store.client.collection("tasks").document(pending_id).update({"canceledAt": None})
    assert deliver_again(pending_id) == "subscription deleted"
    assert len(with_subject("[SALES REPORT]", "alan@example.com")) == 1
    gone = error_of(admin.gql(UNSUBSCRIBE, {"e": event.id, "s": subscription["_id"]}))
    assert gone["message"] == "This address does not receive sales reports for this event."


def test_only_an_admin_of_the_events_org_subscribes_or_unsubscribes() -> None:
    org = make_org()
    event = make_event(org)
    admin = staff_of(org.id, "ADMIN")
    (subscription,) = data_of(subscribe(admin, event, "owner@example.org"))["salesReport"]["subscription"]
    strangers = [staff_of(make_org().id, "ADMIN"), staff_of(org.id, "BOX_OFFICE")]

    for caller in strangers:
        assert error_of(subscribe(caller, event, "spy@example.com"))["message"] == DENIED
        assert (
            error_of(caller.gql(UNSUBSCRIBE, {"e": event.id, "s": subscription["_id"]}))["message"] == DENIED
        )
    anonymous = gql(SUBSCRIBE, {"p": {"email": "spy@example.com", "frequency": "Daily", "eventId": event.id}})
    assert error_of(anonymous)["message"] == "Authentication Required."
    assert error_of(gql(UNSUBSCRIBE, {"e": event.id, "s": subscription["_id"]}))["message"] == (
        "Authentication Required."
    )
    assert data_of(gql(SUBSCRIBERS, {"e": event.id}))["event"]["subscription"] == []
    stored = services().store.events.get(event.id)
    assert stored is not None and [s.email for s in stored.subscription] == ["owner@example.org"]
