"""Wait list and notify-me (SPEC R-T3-3, R-T3-4, R-RP-4): the pure rules, the e-mails, and the
service over in-memory fakes (task scheduling, claims, visibility of search results)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from shared.domain import waitlist as rules
from shared.domain.models import Event, EventSchedule, Organization, Role, User, WaitListEntry
from shared.domain.permissions import Principal
from shared.domain.reports import Report
from shared.errors import DomainError, ErrorCode
from shared.services.mailer import Email, EmailRenderer, Sent
from shared.services.waitlist import SEARCH_RESULT_KEY, WaitListService
from tests.unit.fakes import InMemoryTaskRecords, Repo

NOW = 1_767_225_600  # 2026-01-01 00:00 UTC
HOUR, DAY = 3600, 86400


def entry(name: str = "Ada Lovelace", email: str = "ada@example.com", phone: str = "") -> WaitListEntry:
    return rules.new_entry({"name": name, "email": email, "phoneNumber": phone}, NOW)


def event(tickets_at: int = NOW + 3 * DAY, waiting: Sequence[WaitListEntry] = (), **extra: Any) -> Event:
    return Event(_id="ev1", orgId="org", createdAt=NOW - DAY, name="Night Owls",
                 schedule=EventSchedule(ticketsAt=tickets_at, startsAt=NOW + 10 * DAY),
                 waitList=list(waiting), **extra)  # fmt: skip


# --- input and duplicates -------------------------------------------------------------------------


def test_a_new_entry_is_trimmed_and_its_phone_stored_in_e164() -> None:
    params = {"name": "  Ada   Lovelace ", "email": " Ada@Example.com ", "phoneNumber": "+1 (555) 555-0123"}
    made = rules.new_entry(params, NOW)
    assert (made.name, made.email, made.phoneNumber, made.createdAt) == (
        "Ada Lovelace", "Ada@Example.com", "+15555550123", NOW,
    )  # fmt: skip


def test_the_phone_is_optional() -> None:
    assert entry(phone="").phoneNumber == ""


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"name": "", "email": "a@b.co"}, "name"),
        ({"name": "x" * 201, "email": "a@b.co"}, "name"),
        ({"name": "Ada", "email": "not-an-address"}, "email"),
        ({"name": "Ada", "email": "a@b"}, "email"),
        ({"name": "Ada", "email": "a" * 250 + "@b.co"}, "email"),
        ({"name": "Ada", "email": "a@b.co", "phoneNumber": "555"}, "phoneNumber"),
        ({"name": "Ada", "email": "a@b.co", "phoneNumber": "call me"}, "phoneNumber"),
    ],
)
def test_invalid_input_names_the_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(DomainError) as raised:
        rules.new_entry(params, NOW)
    assert raised.value.code == ErrorCode.INVALID_INPUT and raised.value.fields == [field]


def test_an_email_already_listed_is_refused_whatever_its_case() -> None:
    listed = [entry(email="ada@example.com")]
    with pytest.raises(DomainError) as raised:
        rules.ensure_not_listed(listed, entry(name="Other", email="ADA@Example.COM"))
    assert raised.value.code == ErrorCode.CONFLICT
    assert raised.value.message == "This e-mail address is already on the wait list."


def test_a_phone_already_listed_is_refused_however_it_was_typed() -> None:
    listed = [entry(phone="+15555550123")]
    again = entry(name="Other", email="other@example.com", phone="+1 555.555.0123")
    assert rules.duplicate_reason(listed, again) == "This phone number is already on the wait list."


def test_different_people_may_join() -> None:
    listed = [entry(phone="+15555550123")]
    other_phone = entry(name="Bo", email="bo@example.com", phone="+15555550124")
    assert rules.duplicate_reason(listed, other_phone) == ""
    assert rules.duplicate_reason(listed, entry(name="Cy", email="cy@example.com")) == ""  # no phone at all


# --- search ---------------------------------------------------------------------------------------

LISTED = [
    entry("Ada Lovelace", "ada@example.com", "+15555550123"),
    entry("Grace Hopper", "grace@navy.example", "+15555550999"),
    entry("Alan Turing", "alan@example.org"),
]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (None, ["Ada Lovelace", "Grace Hopper", "Alan Turing"]),
        ("", ["Ada Lovelace", "Grace Hopper", "Alan Turing"]),
        ("hopper", ["Grace Hopper"]),  # name, case-insensitive
        ("EXAMPLE.ORG", ["Alan Turing"]),  # e-mail
        ("+1555555", ["Ada Lovelace", "Grace Hopper"]),  # phone as stored
        ("555-0999", ["Grace Hopper"]),  # phone as typed: its digits
        ("a", ["Ada Lovelace", "Grace Hopper", "Alan Turing"]),
        ("nobody", []),
    ],
)
def test_search_matches_name_email_or_phone(text: str | None, names: list[str]) -> None:
    assert [e.name for e in rules.search(LISTED, {"name": text})] == names


# --- notify-me times ------------------------------------------------------------------------------


def test_notify_me_is_due_an_hour_before_sales_start() -> None:
    assert rules.plan_notify(event(tickets_at=NOW + 3 * DAY), NOW).at == NOW + 3 * DAY - HOUR


def test_inside_that_hour_notify_me_is_due_now() -> None:
    assert rules.plan_notify(event(tickets_at=NOW + 10 * 60), NOW).at == NOW


@pytest.mark.parametrize("tickets_at", [NOW, NOW - DAY, 0])
def test_once_sales_started_there_is_nothing_to_announce(tickets_at: int) -> None:
    assert rules.plan_notify(event(tickets_at=tickets_at), NOW).on_sale


def test_the_notify_task_id_is_one_per_event_and_address_and_hides_it() -> None:
    first = rules.notify_task_id("ev1", "Ada@Example.com")
    assert first == rules.notify_task_id("ev1", " ada@example.com ")
    assert first != rules.notify_task_id("ev2", "ada@example.com")
    assert "ada" not in first


def test_the_portal_link_opens_the_event() -> None:
    assert (
        rules.portal_link("https://tickets.example/portal", "ev 1")
        == "https://tickets.example/portal?eventId=ev+1"
    )
    assert (
        rules.portal_link("https://t.example/?mode=checkout", "e")
        == "https://t.example/?mode=checkout&eventId=e"
    )
    assert rules.portal_link("", "e") == "" and rules.portal_link("javascript:alert(1)", "e") == ""


# --- report ---------------------------------------------------------------------------------------


def test_the_report_lists_entries_in_the_venue_zone_and_guards_formulas() -> None:
    rows = [entry("=HYPERLINK()", "ada@example.com", "+15555550123")]
    csv = rules.wait_list_report(rows, event(), None).csv_bytes().decode("utf-8-sig").splitlines()
    assert csv[0] == "Name,Email,Phone Number,Date for Waiting List"
    assert csv[1] == "'=HYPERLINK(),ada@example.com,'+15555550123,\"12/31/2025, 5:00pm(MST)\""


def test_an_empty_report_is_its_header() -> None:
    assert rules.wait_list_report([], event(), None).csv_bytes().decode("utf-8-sig") == (
        "Name,Email,Phone Number,Date for Waiting List\r\n"
    )


# --- e-mails --------------------------------------------------------------------------------------


HEADINGS = {"waitList": "You're on the wait list", "notifyMe": "Tickets go on sale soon",
            "immediateNotifyMe": "We'll let you know"}  # fmt: skip


@pytest.mark.parametrize(
    ("template", "subject", "says"),
    [
        ("waitList", "[WAIT LIST] Night Owls", "You're on the wait list for Night Owls"),
        ("notifyMe", "[NOTIFY ME] Night Owls", "go on sale Sat, Jan 3rd at 5:00 PM"),
        ("immediateNotifyMe", "[NOTIFY ME] Night Owls", "about an hour before tickets go on sale"),
    ],
)
def test_the_mails_render_with_their_subjects(template: rules.EmailTemplate, subject: str, says: str) -> None:
    app, fakes = service([event()], portal="https://portal.example")
    mail = app._compose(template, fakes.events.items[0], "ada@example.com", "Ada Lovelace")
    assert mail.subject == subject and mail.from_name == "Owl & Co" and says in mail.text
    assert mail.text.startswith(f"{HEADINGS[template]}, Ada\n")  # greeted by first name
    link = "https://portal.example?eventId=ev1"
    assert (link in mail.text and link in mail.html) == (template == "notifyMe")


def test_a_hostile_event_name_is_escaped_in_html_and_kept_on_one_subject_line() -> None:
    app, fakes = service([event().model_copy(update={"name": "<b>Owls</b>\nLive"})])
    mail = app._compose("waitList", fakes.events.items[0], "a@b.co", "Ada")
    assert mail.subject == "[WAIT LIST] <b>Owls</b> Live"
    assert "<b>Owls</b>" not in mail.html and "&lt;b&gt;Owls&lt;/b&gt;" in mail.html


# --- the service over fakes -----------------------------------------------------------------------


Check = Callable[[Event, Sequence[WaitListEntry]], None]


class Fakes(InMemoryTaskRecords):
    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.events = Repo(events)
        self.organizations = Repo([Organization(_id="org", userId="u", createdAt=0, orgName="Owl & Co")])
        self.enqueued: list[tuple[str, dict[str, Any], str | None, int | None]] = []
        self.sent: list[Email] = []

    # WaitListRecords: the compare-and-set is the adapter's; here the check and the append
    def add_entry(self, event_id: str, new: WaitListEntry, check: Check) -> None:
        current = self.events.get(event_id)
        if current is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Event not found.")
        check(current, current.waitList)
        current.waitList.append(new)

    # TaskQueue and mailer
    def enqueue(self, queue: str, function: str, payload: dict[str, Any], *, path: str = "/",
                key: str | None = None, run_at: int | None = None) -> str:  # fmt: skip
        self.enqueued.append((path, payload, key, run_at))
        return f"task-{len(self.enqueued)}"

    def send(self, email: Email) -> Sent:
        self.sent.append(email)
        return Sent("fake", f"m{len(self.sent)}")


def service(events: list[Event], portal: str = "", now: int = NOW) -> tuple[WaitListService, Fakes]:
    fakes = Fakes(events)
    app = WaitListService(
        events=fakes.events, venues=Repo([]), organizations=fakes.organizations, wait_list=fakes,  # type: ignore[arg-type]
        records=fakes, tasks=fakes, mailer=lambda: fakes, email_from="tickets@sellout.example",  # type: ignore[arg-type,return-value]
        portal_url=portal, renderer=EmailRenderer(), clock=lambda: now,
    )  # fmt: skip
    return app, fakes


def staff(role: str | None, org: str = "org") -> Principal:
    user = User(createdAt=NOW)
    roles = [Role(orgId=org, userId=user.id, userEmail="s@example.com", role=role, createdAt=NOW,  # type: ignore[arg-type]
                  createdBy="x", acceptedAt=NOW)] if role else []  # fmt: skip
    return Principal(user=user, token="t", claims={}, roles_loader=lambda _: roles)


def test_joining_stores_the_entry_and_queues_its_confirmation_by_ids() -> None:
    app, fakes = service([event()])
    app.join({"name": "Ada", "email": "ada@example.com"}, "ev1", "org")
    (stored,) = fakes.events.items[0].waitList
    ((path, payload, key, _),) = fakes.enqueued
    assert path == "/tasks/wait-list-email" and payload == {
        "template": "waitList",
        "eventId": "ev1",
        "entryId": stored.id,
    }
    assert key == f"waitList~ev1~{stored.id}"
    assert app.run_email_task(payload).startswith("sent") and app.run_email_task(payload) == "already sent"
    assert [m.to for m in fakes.sent] == ["ada@example.com"]


def test_joining_refuses_another_orgs_id_a_cancelled_event_and_a_duplicate() -> None:
    app, _ = service([event(), event(cancel=True).model_copy(update={"id": "ev2"})])
    app.join({"name": "Ada", "email": "ada@example.com"}, "ev1", None)
    for args, code in [
        (({"name": "Bo", "email": "bo@example.com"}, "ev1", "other-org"), ErrorCode.NOT_FOUND),
        (({"name": "Bo", "email": "bo@example.com"}, "ev2", None), ErrorCode.REFUSED),
        (({"name": "Ada L", "email": "ADA@example.com"}, "ev1", None), ErrorCode.CONFLICT),
    ]:
        with pytest.raises(DomainError) as raised:
            app.join(*args)
        assert raised.value.code == code


def test_notify_me_schedules_one_task_an_hour_before_sales_and_confirms_now() -> None:
    app, fakes = service([event(tickets_at=NOW + 3 * DAY)])
    app.notify("ev1", "Ada@Example.com")
    app.notify("ev1", "ada@example.com")  # the same person again: nothing scheduled twice
    (task,) = fakes.tasks.values()
    assert (task.taskType, task.executeAt, task.email, task.cloudTaskName) == (
        "NotifyEvent", NOW + 3 * DAY - HOUR, "Ada@Example.com", "task-1",
    )  # fmt: skip
    scheduled = [(p, k, r) for _, p, k, r in fakes.enqueued if p["template"] == "notifyMe"]
    key = f"notifyMe~{task.id}~{task.executeAt}"
    assert scheduled == [({"template": "notifyMe", "taskId": task.id}, key, task.executeAt)]
    confirmations = [p for _, p, _, _ in fakes.enqueued if p["template"] == "immediateNotifyMe"]
    assert len(confirmations) == 2  # queued on each call; the claim below sends it once
    assert [app.run_email_task(p) for p in confirmations] == ["sent via fake", "already sent"]
    assert [m.subject for m in fakes.sent] == ["[NOTIFY ME] Night Owls"]


def test_inside_the_last_hour_notify_me_is_queued_for_now() -> None:
    app, fakes = service([event(tickets_at=NOW + 600)])
    app.notify("ev1", "ada@example.com")
    (task,) = fakes.tasks.values()
    assert task.executeAt == NOW
    assert [r for _, p, _, r in fakes.enqueued if p["template"] == "notifyMe"] == [NOW]


def test_once_on_sale_notify_me_only_confirms() -> None:
    app, fakes = service([event(tickets_at=NOW - HOUR)])
    app.notify("ev1", "ada@example.com")
    (task,) = fakes.tasks.values()
    assert task.endedAt == NOW and task.outcome == "sales already started"
    assert [p["template"] for _, p, _, _ in fakes.enqueued] == ["immediateNotifyMe"]


def test_the_notify_task_sends_once_when_delivered_twice() -> None:
    app, fakes = service([event(tickets_at=NOW + 3 * DAY)])
    app.notify("ev1", "ada@example.com")
    task_id = next(iter(fakes.tasks))
    late, _ = service([], now=NOW + 3 * DAY - HOUR)
    late.events, late.records, late.mailer, late.tasks = fakes.events, fakes, lambda: fakes, fakes  # type: ignore[assignment,return-value]
    payload = {"template": "notifyMe", "taskId": task_id}
    assert late.run_email_task(payload) == "sent via fake"
    assert late.run_email_task(payload) == "already done"
    assert [m.subject for m in fakes.sent] == ["[NOTIFY ME] Night Owls"]
    assert fakes.tasks[task_id].success is True


def test_a_notify_task_that_wakes_early_reschedules_itself() -> None:
    app, fakes = service([event(tickets_at=NOW + 40 * DAY)])
    app.notify("ev1", "ada@example.com")
    task_id = next(iter(fakes.tasks))
    first_run = [r for _, p, _, r in fakes.enqueued if p["template"] == "notifyMe"]
    assert first_run == [NOW + 30 * DAY - HOUR]  # Cloud Tasks schedules at most 30 days ahead
    later, _ = service([], now=NOW + 30 * DAY - HOUR)
    later.events, later.records, later.tasks = fakes.events, fakes, fakes  # type: ignore[assignment]
    assert later.run_email_task({"template": "notifyMe", "taskId": task_id}) == "rescheduled"
    assert fakes.enqueued[-1][3] == NOW + 40 * DAY - HOUR and not fakes.sent


def test_search_shows_matches_to_scanners_and_marks_them_authorized() -> None:
    app, _ = service([event(waiting=LISTED)])
    view = app.search(staff("SCANNER"), {"name": "a"}, "ev1", {"pageSize": 2, "pageNumber": 2})
    assert [e["name"] for e in view["waitList"]] == ["Alan Turing"] and view[SEARCH_RESULT_KEY] is True
    for caller, code in [(None, ErrorCode.UNAUTHENTICATED), (staff(None), ErrorCode.FORBIDDEN),
                         (staff("ADMIN", org="other"), ErrorCode.FORBIDDEN)]:  # fmt: skip
        with pytest.raises(DomainError) as raised:
            app.search(caller, {}, "ev1")
        assert raised.value.code == code


def test_the_report_is_for_admins_of_the_event_org() -> None:
    stored: list[tuple[str, str, bytes]] = []
    app, _ = service([event(waiting=LISTED)])

    def store(org: str, kind: str, report: Report) -> dict[str, Any]:
        stored.append((org, kind, report.csv_bytes()))
        return {"url": "u"}

    app.store_report = store
    assert app.report(staff("ADMIN"), {"name": "grace"}, "ev1") == {"url": "u"}
    ((org, kind, data),) = stored
    assert (org, kind) == ("org", "waitlist") and data.decode("utf-8-sig").count("\r\n") == 2
    with pytest.raises(DomainError) as raised:
        app.report(staff("SCANNER"), None, "ev1")
    assert raised.value.code == ErrorCode.FORBIDDEN
