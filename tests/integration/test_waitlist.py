"""Wait list and notify-me end to end (SPEC R-T3-3, R-T3-4, R-RP-4): GraphQL on the local
functions, Firestore, the tasks emulator calling send-email, the SendGrid stand-in's inbox and the
reports bucket."""

from __future__ import annotations

import concurrent.futures
import csv
import io
import time
from typing import Any

import requests

from emulator import config
from shared.bootstrap import services
from shared.domain import waitlist as rules
from shared.domain.models import Event, EventSchedule, Organization, Venue
from tests.integration.api import data_of, error_of, gql, make_org, staff_of, wait_for
from tests.integration.inbox import subject_of, with_subject
from tests.integration.test_delivery import DELIVERY_TIMEOUT, delivery_doc, queued_tasks

HOUR, DAY = 3600, 86400
JOIN = """mutation($p: WaitListInput, $e: String, $o: String) {
  createWaitList(params: $p, eventId: $e, type: "waitList", orgId: $o) { _id name waitList { name } } }"""
WAIT_LIST = (
    """query($e: String) { event(eventId: $e) { _id waitList { name email phoneNumber createdAt orgId } } }"""
)
SEARCH = """query($q: WaitListQueryInput, $e: String) {
  searchEvents(query: $q, eventId: $e) { _id waitList { name email phoneNumber } } }"""
PAGE = """query($q: WaitListQueryInput, $e: String, $p: PaginationInput) {
  eventQuery(query: $q, eventId: $e, pagination: $p) { _id waitList { name } } }"""
NOTIFY = """query($e: String, $m: String) { notifyEvent(eventId: $e, email: $m) { _id name } }"""
REPORT = """mutation($q: WaitListQueryInput, $e: String) {
  generateWaitListReport(query: $q, eventId: $e) { url message } }"""
DENIED = "You do not have permission to do this."


def make_event(org: Organization, tickets_in: int = 3 * DAY, name: str = "Owls Reunion") -> Event:
    now = int(time.time())
    venue = services().store.venues.create(
        Venue.model_validate({"orgId": org.id, "name": "Harbor Hall", "createdAt": now, "createdBy": "t",
                              "address": {"timezone": "America/New_York"}})
    )  # fmt: skip
    event = Event(
        orgId=org.id, createdAt=now, name=name, published=True, venueId=venue.id,
        schedule=EventSchedule(announceAt=now - HOUR, ticketsAt=now + tickets_in, ticketsEndAt=now + 9 * DAY,
                               startsAt=now + 10 * DAY, endsAt=now + 10 * DAY + 4 * HOUR),
    )  # fmt: skip
    return services().events.writer.create(event)


def join(event: Event, name: str, email: str, phone: str = "") -> dict[str, Any]:
    params = {"name": name, "email": email, "phoneNumber": phone}
    return gql(JOIN, {"p": params, "e": event.id, "o": event.orgId})  # anonymous: the portal's sign-up


def stored_list(event: Event) -> list[dict[str, Any]]:
    stored = services().store.events.get(event.id)
    assert stored is not None
    return [e.doc() for e in stored.waitList]


def plain(mail: dict[str, Any]) -> str:
    return str({c["type"]: c["value"] for c in mail["content"]}["text/plain"])


def test_anyone_joins_once_and_gets_the_confirmation_mail() -> None:
    org = make_org("Owl Records")
    event = make_event(org)

    joined = data_of(join(event, "Ada Lovelace", "ada@example.com", "+1 (555) 555-0123"))["createWaitList"]

    assert joined["_id"] == event.id and joined["waitList"] == []  # the list itself is not public
    (entry,) = stored_list(event)
    assert (entry["name"], entry["email"], entry["phoneNumber"]) == (
        "Ada Lovelace",
        "ada@example.com",
        "+15555550123",
    )
    assert abs(entry["createdAt"] - time.time()) < 120 and entry["_id"]
    (mail,) = wait_for(lambda: with_subject("[WAIT LIST]", "ada@example.com"), timeout=DELIVERY_TIMEOUT)
    assert subject_of(mail) == "[WAIT LIST] Owls Reunion"
    assert mail["personalizations"][0]["to"][0]["email"] == "ada@example.com"
    assert mail["from"]["name"] == "Owl Records"
    assert "You're on the wait list, Ada" in plain(mail) and "Harbor Hall" in plain(mail)
    record = delivery_doc(f"waitList~{event.id}~{entry['_id']}~email")
    assert record and record["status"] == "sent" and record["template"] == "waitList"

    # The same address in other letters, or the same phone spelled differently: refused.
    again = error_of(join(event, "Ada L.", "ADA@Example.com"))
    assert again["message"] == "This e-mail address is already on the wait list."
    phone = error_of(join(event, "Someone", "someone@example.com", "+15555550123"))
    assert phone["message"] == "This phone number is already on the wait list."
    bad = error_of(join(event, "Bo", "not-an-address"))
    assert bad["message"] == "Invalid Fields" and bad["extensions"]["invalidArgs"] == ["email"]
    assert len(stored_list(event)) == 1
    assert len(with_subject("[WAIT LIST]", "ada@example.com")) == 1


def test_sign_ups_at_the_same_moment_all_land() -> None:
    event = make_event(make_org())
    people = [(f"Fan {n}", f"fan{n}@example.com") for n in range(6)]

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(people)) as pool:
        results = list(pool.map(lambda p: join(event, *p), people))

    assert all("errors" not in r for r in results), [r.get("errors") for r in results]
    assert sorted(e["email"] for e in stored_list(event)) == sorted(email for _, email in people)
    # The same person twice at once: exactly one lands.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        twice = list(pool.map(lambda n: join(event, n, "twin@example.com"), ["Twin A", "Twin B"]))
    assert sorted("errors" in r for r in twice) == [False, True]
    assert [e["email"] for e in stored_list(event)].count("twin@example.com") == 1


def test_only_admins_see_the_wait_list_and_scanners_search_it() -> None:
    org = make_org()
    event = make_event(org)
    for name, email, phone in [("Ada Lovelace", "ada@example.com", "+15555550123"),
                               ("Grace Hopper", "grace@navy.example", "+15555550999"),
                               ("Alan Turing", "alan@example.org", "")]:  # fmt: skip
        data_of(join(event, name, email, phone))
    admin, scanner = staff_of(org.id, "ADMIN"), staff_of(org.id, "SCANNER")
    stranger = staff_of(make_org().id, "ADMIN")

    assert data_of(gql(WAIT_LIST, {"e": event.id}))["event"]["waitList"] == []
    assert data_of(scanner.gql(WAIT_LIST, {"e": event.id}))["event"]["waitList"] == []
    assert data_of(stranger.gql(WAIT_LIST, {"e": event.id}))["event"]["waitList"] == []
    listed = data_of(admin.gql(WAIT_LIST, {"e": event.id}))["event"]["waitList"]
    assert [e["name"] for e in listed] == ["Ada Lovelace", "Grace Hopper", "Alan Turing"]
    assert listed[0]["orgId"] is None  # never stored (SPEC 7.21)

    found = data_of(scanner.gql(SEARCH, {"q": {"name": "555-0999"}, "e": event.id}))["searchEvents"]
    assert found["waitList"] == [
        {"name": "Grace Hopper", "email": "grace@navy.example", "phoneNumber": "+15555550999"}
    ]
    by_mail = data_of(scanner.gql(SEARCH, {"q": {"name": "EXAMPLE.ORG"}, "e": event.id}))["searchEvents"]
    assert [e["name"] for e in by_mail["waitList"]] == ["Alan Turing"]

    def page(number: int) -> list[str]:
        result = scanner.gql(
            PAGE, {"q": {"name": "a"}, "e": event.id, "p": {"pageSize": 2, "pageNumber": number}}
        )
        return [e["name"] for e in data_of(result)["eventQuery"]["waitList"]]

    assert (page(1), page(2), page(3)) == (["Ada Lovelace", "Grace Hopper"], ["Alan Turing"], [])

    assert error_of(gql(PAGE, {"e": event.id}))["message"] == "Authentication Required."
    assert error_of(stranger.gql(SEARCH, {"e": event.id}))["message"] == DENIED


def test_notify_me_schedules_one_task_and_confirms_at_once() -> None:
    event = make_event(make_org(), tickets_in=3 * DAY)

    first = data_of(gql(NOTIFY, {"e": event.id, "m": "Ada@Example.com"}))["notifyEvent"]
    data_of(gql(NOTIFY, {"e": event.id, "m": "ada@example.com"}))  # signed up twice

    assert first["_id"] == event.id
    task_id = rules.notify_task_id(event.id, "ada@example.com")
    task = services().store.client.collection("tasks").document(task_id).get().to_dict()
    assert task is not None
    assert (task["taskType"], task["executeAt"], task["email"]) == (
        "NotifyEvent", event.schedule.ticketsAt - HOUR, "Ada@Example.com",
    )  # fmt: skip
    assert task["cloudTaskName"] and task["endedAt"] is None
    pending = queued_tasks()
    assert task["cloudTaskName"] in pending
    assert pending[task["cloudTaskName"]].schedule_time.timestamp() == event.schedule.ticketsAt - HOUR
    assert sum(b"notifyMe" in t.http_request.body for t in pending.values()) == 1  # not scheduled twice

    # The delivery queue is serial: once a wait-list mail queued after both confirmations has
    # arrived, a second confirmation would have arrived too.
    data_of(join(event, "Later", "later@example.com"))
    wait_for(lambda: with_subject("[WAIT LIST]", "later@example.com"), timeout=DELIVERY_TIMEOUT)
    (mail,) = with_subject("[NOTIFY ME]", "ada@example.com")
    assert subject_of(mail) == "[NOTIFY ME] Owls Reunion"
    assert mail["personalizations"][0]["to"][0]["email"] == "Ada@Example.com"
    assert "about an hour before tickets go on sale" in plain(mail)
    record = delivery_doc(f"{task_id}~immediateNotifyMe~email")
    assert record and record["status"] == "sent"


def test_inside_the_last_hour_the_notify_task_runs_now_and_sends_once_when_delivered_again() -> None:
    event = make_event(make_org(), tickets_in=20 * 60)
    data_of(gql(NOTIFY, {"e": event.id, "m": "grace@example.com"}))
    task_id = rules.notify_task_id(event.id, "grace@example.com")

    tasks = services().store.client.collection("tasks")
    done = wait_for(
        lambda: (tasks.document(task_id).get().to_dict() or {}).get("endedAt"), timeout=DELIVERY_TIMEOUT
    )
    assert done
    grace = "grace@example.com"
    # the confirmation and the notice:
    wait_for(lambda: len(with_subject("[NOTIFY ME]", grace)) == 2, timeout=DELIVERY_TIMEOUT)

    # Cloud Tasks may deliver the same task again: the handler answers and sends nothing more.
    for _ in range(2):
        again = requests.post(f"{config.FUNCTIONS_URL}/send-email/tasks/wait-list-email",
                              json={"template": "notifyMe", "taskId": task_id}, timeout=30)  # fmt: skip
        assert again.status_code == 200 and again.json() == {"result": "already done"}
    mails = with_subject("[NOTIFY ME]", grace)
    notices = [m for m in mails if "go on sale" in plain(m) and "Be ready" in plain(m)]
    assert len(notices) == 1 and len(with_subject("[NOTIFY ME]", grace)) == 2
    record = delivery_doc(f"{task_id}~notifyMe~email")
    assert record and record["status"] == "sent"
    assert (tasks.document(task_id).get().to_dict() or {}).get("success") is True


def test_notify_me_on_a_deleted_event_or_with_a_bad_address_is_refused() -> None:
    event = make_event(make_org())
    assert error_of(gql(NOTIFY, {"e": event.id, "m": "nope"}))["message"] == "Invalid Fields"
    assert "not found" in error_of(gql(NOTIFY, {"e": "no-such-event", "m": "a@example.com"}))["message"]


def test_the_wait_list_report_downloads_as_csv_for_admins_only() -> None:
    org = make_org()
    event = make_event(org)
    admin = staff_of(org.id, "ADMIN")
    empty = data_of(admin.gql(REPORT, {"e": event.id}))["generateWaitListReport"]
    body = requests.get(empty["url"], timeout=10)
    assert body.status_code == 200 and body.content.decode("utf-8-sig") == (
        "Name,Email,Phone Number,Date for Waiting List\r\n"
    )
    data_of(join(event, "=cmd|' /C calc'!A0", "eve@example.com", "+15555550100"))
    data_of(join(event, "Ada Lovelace", "ada@example.com"))

    report = data_of(admin.gql(REPORT, {"e": event.id}))["generateWaitListReport"]

    assert report["message"] == "Your report is ready."
    assert (
        f"/{config.REPORTS_BUCKET}/reports/{org.id}/" in report["url"]
        and "X-Goog-Signature=" in report["url"]
    )
    rows = list(
        csv.DictReader(io.StringIO(requests.get(report["url"], timeout=10).content.decode("utf-8-sig")))
    )
    assert [(r["Name"], r["Email"], r["Phone Number"]) for r in rows] == [
        ("'=cmd|' /C calc'!A0", "eve@example.com", "'+15555550100"),
        ("Ada Lovelace", "ada@example.com", ""),
    ]
    assert all(r["Date for Waiting List"].endswith(("(EST)", "(EDT)")) for r in rows)  # the venue's zone
    filtered = data_of(admin.gql(REPORT, {"e": event.id, "q": {"name": "ada"}}))["generateWaitListReport"]
    assert requests.get(filtered["url"], timeout=10).content.decode("utf-8-sig").count("\r\n") == 2
    scanner = staff_of(org.id, "SCANNER")
    assert error_of(scanner.gql(REPORT, {"e": event.id}))["message"] == DENIED
    assert error_of(gql(REPORT, {"e": event.id}))["message"] == "Authentication Required."
