"""Large CSV reports built in the background and e-mailed (SPEC 5.18 R-RP-1..3, R-MSG-2
`orderSheet` / `customerSheet`): the job rules, and the export service on fakes — one task per
export, a double click joins the first job, a task delivered twice mails once, a demoted caller
gets nothing, a crash after the build mails without rebuilding, failed builds are recorded."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pytest

from shared.domain import report_jobs
from shared.domain.models import Order, Organization, Role, User
from shared.domain.permissions import Principal
from shared.domain.report_jobs import ReportJob
from shared.domain.reports import Report
from shared.domain.tasks import Delivery
from shared.services.mailer import Email, Sent
from shared.services.report_exports import EXPORT_PATH, NOT_ADMIN, QUEUE, ReportExports
from shared.services.reports import ReportService

NOW = 1_767_225_600  # 2026-01-01 00:00 UTC


# --- rules -----------------------------------------------------------------------------------------


def job(**fields: Any) -> ReportJob:
    base = {"_id": "j1", "kind": "orders", "orgId": "org", "userId": "me", "createdAt": NOW}
    return ReportJob.model_validate({**base, **fields})


def test_the_stored_query_has_no_unset_criteria_and_never_an_org() -> None:
    q = report_jobs.normalized_query(
        {"orgId": ["theirs"], "eventIds": ["e"], "userQuery": None, "any": False}
    )
    assert q == {"any": False, "eventIds": ["e"]}
    assert report_jobs.normalized_query(None) == {}


def test_job_ids_name_one_export_per_caller_org_kind_query_and_window() -> None:
    slot = report_jobs.slot_of(NOW)
    first = report_jobs.job_id("me", "org", "orders", {"a": 1, "b": [2]}, slot)
    assert first == report_jobs.job_id("me", "org", "orders", {"b": [2], "a": 1}, slot)  # key order
    others = {
        report_jobs.job_id("you", "org", "orders", {"a": 1, "b": [2]}, slot),
        report_jobs.job_id("me", "org2", "orders", {"a": 1, "b": [2]}, slot),
        report_jobs.job_id("me", "org", "activity", {"a": 1, "b": [2]}, slot),
        report_jobs.job_id("me", "org", "orders", {"a": 2, "b": [2]}, slot),
        report_jobs.job_id("me", "org", "orders", {"a": 1, "b": [2]}, slot + 1),
    }
    assert first not in others and len(others) == 5


@pytest.mark.parametrize(
    ("fields", "decision"),
    [
        ({}, "build"),
        ({"status": "building", "startedAt": NOW - 10, "attempts": 1}, "busy"),
        ({"status": "building", "startedAt": NOW - report_jobs.BUILD_LEASE, "attempts": 1}, "build"),
        ({"status": "building", "startedAt": NOW - report_jobs.BUILD_LEASE, "attempts": 3}, "give up"),
        ({"status": "built", "objectName": "reports/org/x.csv"}, "mail"),
        ({"status": "sent"}, "done"),
        ({"status": "refused"}, "done"),
        ({"status": "failed"}, "done"),
    ],
)
def test_what_a_delivery_of_the_task_does(fields: dict[str, Any], decision: str) -> None:
    assert report_jobs.start(job(**fields), NOW) == decision


def test_a_failed_build_is_retried_until_the_last_attempt_then_failed_for_good() -> None:
    assert report_jobs.build_failed(job(attempts=1), NOW, "boom") == {"status": "queued", "error": "boom"}
    assert report_jobs.build_failed(job(attempts=3), NOW, "boom") == {
        "status": "failed", "error": "boom", "endedAt": NOW,
    }  # fmt: skip


def test_the_mailed_link_lasts_as_long_as_a_v4_signed_url_may_and_the_bucket_keeps_reports() -> None:
    assert 6 * 24 * 3600 < report_jobs.EMAILED_URL_SECONDS < 7 * 24 * 3600


# --- the export service on fakes ---------------------------------------------------------------------


class Jobs:
    """FirestoreReportJobs' contract in memory."""

    def __init__(self) -> None:
        self.items: dict[str, ReportJob] = {}

    def create(self, j: ReportJob) -> bool:
        if j.id in self.items:
            return False
        self.items[j.id] = j
        return True

    def get(self, job_id: str) -> ReportJob | None:
        return self.items.get(job_id)

    def claim(self, job_id: str, now: int) -> tuple[report_jobs.Start, ReportJob | None]:
        j = self.items.get(job_id)
        if j is None:
            return "done", None
        decision = report_jobs.start(j, now)
        if decision == "build":
            self.update(job_id, report_jobs.build_claimed(j, now))
        if decision == "give up":
            self.update(job_id, {"status": "failed", "error": report_jobs.GAVE_UP, "endedAt": now})
        return decision, self.items[job_id]

    def update(self, job_id: str, fields: Mapping[str, Any]) -> None:
        self.items[job_id] = self.items[job_id].model_copy(update=dict(fields))


class Queue:
    def __init__(self) -> None:
        self.tasks: list[dict[str, Any]] = []

    def enqueue(self, queue: str, function: str, payload: dict[str, Any], *, path: str = "/",
                key: str | None = None, run_at: int | None = None) -> str:  # fmt: skip
        self.tasks.append({"queue": queue, "function": function, "payload": payload, "path": path,
                           "key": key, "run_at": run_at})  # fmt: skip
        return f"tasks/{len(self.tasks)}"


class Repo:
    def __init__(self, items: Iterable[Any]) -> None:
        self.items = {i.id: i for i in items}

    def get(self, item_id: str) -> Any:
        return self.items.get(item_id)

    def find(self, *where: tuple[str, str, Any], **_: Any) -> list[Any]:
        return [i for i in self.items.values() if all(getattr(i, f) == v for f, _, v in where)]


class Claims:
    def __init__(self) -> None:
        self.records: dict[str, Delivery] = {}

    def claim(self, record_id: str, record: Delivery, *, lease: int, retry_stale: bool) -> str:
        existing = self.records.get(record_id)
        if existing is None:
            self.records[record_id] = record
            return "claimed"
        return "busy" if existing.status == "sending" else "done"

    def finish(self, record_id: str, fields: dict[str, object]) -> None:
        self.records[record_id] = self.records[record_id].model_copy(update=fields)

    def release(self, record_id: str) -> None:
        del self.records[record_id]


class Mailer:
    def __init__(self, failures: int = 0) -> None:
        self.sent: list[Email] = []
        self.failures = failures

    def send(self, email: Email) -> Sent:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("provider down")
        self.sent.append(email)
        return Sent("sendgrid", f"m{len(self.sent)}")


class Builder:
    def __init__(self, failures: int = 0) -> None:
        self.builds: list[tuple[str, str, Mapping[str, Any] | None]] = []
        self.failures = failures

    def build_report(self, org_id: str, kind: str, query: Mapping[str, Any] | None) -> Report:
        self.builds.append((org_id, kind, query))
        if self.failures:
            self.failures -= 1
            raise RuntimeError("firestore unavailable")
        return Report(["orderId"], [["o1"], ["o2"], ["o3"]])

    def write(self, org_id: str, kind: str, report: Report) -> str:
        return f"reports/{org_id}/{kind}-{len(self.builds)}.csv"

    def signed_url(self, name: str, expires_at: int) -> str:
        return f"https://signed/{name}?expires={expires_at}"


def role(level: str, org: str = "org", accepted: bool = True) -> Role:
    return Role.model_validate({"_id": f"r-{level}-{org}", "orgId": org, "userId": "me",
                                "userEmail": "me@x.io", "role": level, "createdAt": 0, "createdBy": "x",
                                "acceptedAt": 1 if accepted else None})  # fmt: skip


class World:
    def __init__(
        self, roles: list[Role] | None = None, *, mail_failures: int = 0, build_failures: int = 0
    ) -> None:
        self.now = NOW
        self.jobs, self.queue, self.claims = Jobs(), Queue(), Claims()
        self.mailer, self.builder = Mailer(mail_failures), Builder(build_failures)
        self.roles = Repo(roles if roles is not None else [role("ADMIN")])
        me = User.model_validate(
            {"_id": "me", "createdAt": 0, "email": "ada@example.com", "firstName": "Ada"}
        )
        org = Organization.model_validate(
            {"_id": "org", "orgName": "Harbor Hall Presents", "createdAt": 0, "userId": "x"}
        )
        self.exports = ReportExports(
            jobs=self.jobs, tasks=self.queue, reports=lambda: self.builder, users=Repo([me]),  # type: ignore[arg-type]
            roles=self.roles, organizations=Repo([org]), claims=self.claims,  # type: ignore[arg-type]
            mailer=lambda: self.mailer, email_from="tickets@sellout.io", clock=lambda: self.now,  # type: ignore[arg-type,return-value]
        )  # fmt: skip

    def schedule(self, kind: str = "orders", query: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.exports.schedule("me", "org", kind, query)  # type: ignore[arg-type]

    def run(self) -> str:
        [job_id] = {t["payload"]["jobId"] for t in self.queue.tasks}
        return self.exports.run_export_task({"jobId": job_id})

    @property
    def job(self) -> ReportJob:
        [only] = self.jobs.items.values()
        return only


def test_a_large_report_is_scheduled_as_one_job_and_one_background_task() -> None:
    world = World()
    answer = world.schedule("orders", {"orgId": ["theirs"], "eventIds": ["e"], "userQuery": None})
    assert answer == {"url": None, "message": "Export scheduled; it will be e-mailed when complete."}
    job = world.job
    assert (job.userId, job.orgId, job.kind, job.query, job.status) == (
        "me", "org", "orders", {"eventIds": ["e"]}, "queued",
    )  # fmt: skip
    [task] = world.queue.tasks
    assert (task["queue"], task["function"], task["path"], task["payload"]) == (
        QUEUE, "send-email", EXPORT_PATH, {"jobId": job.id},
    )  # fmt: skip
    assert job.cloudTaskName == "tasks/1"


def test_a_double_click_schedules_one_export_even_across_a_window_boundary() -> None:
    world = World()
    world.now = (
        NOW // report_jobs.DEDUPE_WINDOW + 1
    ) * report_jobs.DEDUPE_WINDOW - 1  # last second of a slot
    world.schedule("orders", {"eventIds": ["e"]})
    world.now += 2  # the next slot
    world.schedule("orders", {"eventIds": ["e"], "orgId": ["ignored"]})
    assert len(world.jobs.items) == 1 and len(world.queue.tasks) == 1
    world.schedule("activity", {"eventIds": ["e"]})  # another export
    assert len(world.jobs.items) == 2 and len(world.queue.tasks) == 2
    world.now += report_jobs.DEDUPE_WINDOW  # asked again later: a new export
    world.schedule("orders", {"eventIds": ["e"]})
    assert len(world.jobs.items) == 3


def test_the_task_builds_stores_and_mails_a_signed_link_once_even_when_delivered_twice() -> None:
    world = World()
    world.schedule("activity", {"eventIds": ["e"]})
    assert world.run().startswith("sent via")
    assert world.run() == "already sent"
    assert world.builder.builds == [("org", "activity", {"eventIds": ["e"]})]
    [mail] = world.mailer.sent
    assert (mail.to, mail.from_name) == ("ada@example.com", "Harbor Hall Presents")
    assert mail.subject == "[ORDER SHEET] Harbor Hall Presents sales activity export"
    expires = NOW + report_jobs.EMAILED_URL_SECONDS
    link = f"https://signed/reports/org/activity-1.csv?expires={expires}"
    assert link in mail.text and link.replace("&", "&amp;") in mail.html
    assert "3 rows" in mail.text and "Hi Ada" in mail.text
    assert (world.job.status, world.job.rows, world.job.attempts) == ("sent", 3, 1)


def test_a_customer_export_is_mailed_as_a_customer_sheet() -> None:
    world = World()
    world.schedule("customers", {"name": "ada"})
    world.run()
    [mail] = world.mailer.sent
    assert mail.subject == "[CUSTOMER SHEET] Harbor Hall Presents customers export"


@pytest.mark.parametrize(
    "roles",
    [[], [role("BOX_OFFICE")], [role("ADMIN", org="elsewhere")], [role("ADMIN", accepted=False)]],
    ids=["removed", "demoted", "admin-elsewhere", "not-accepted"],
)
def test_a_caller_no_longer_admin_gets_nothing(roles: list[Role]) -> None:
    world = World()
    world.schedule()
    world.roles.items = {r.id: r for r in roles}
    assert world.run().startswith("refused")
    assert (world.builder.builds, world.mailer.sent) == ([], [])
    assert (world.job.status, world.job.error) == ("refused", NOT_ADMIN)
    assert world.run() == "already refused"


def test_owners_and_super_user_records_still_pass_the_recheck() -> None:
    for level in ("OWNER", "SUPER_USER"):
        world = World([role(level, org="org" if level == "OWNER" else "platform")])
        world.schedule()
        world.run()
        assert len(world.mailer.sent) == 1


def test_a_crash_after_the_build_mails_on_retry_without_rebuilding_and_only_once() -> None:
    world = World(mail_failures=1)
    world.schedule()
    with pytest.raises(RuntimeError):
        world.run()
    assert world.job.status == "built" and world.mailer.sent == []
    world.run()
    world.run()
    assert len(world.builder.builds) == 1 and len(world.mailer.sent) == 1


def test_a_failed_build_records_its_error_and_the_queue_retries_until_it_gives_up() -> None:
    world = World(build_failures=5)
    world.schedule()
    for attempt in (1, 2):
        with pytest.raises(RuntimeError):
            world.run()
        assert (world.job.status, world.job.attempts) == ("queued", attempt)
        assert world.job.error == "RuntimeError: firestore unavailable"
    assert world.run() == "failed"  # the last attempt: answered 2xx, nothing more to retry
    assert (world.job.status, world.job.endedAt, world.mailer.sent) == ("failed", NOW, [])


def test_a_second_delivery_while_building_looks_again_when_the_lease_ends() -> None:
    world = World()
    world.schedule()
    world.jobs.update(world.job.id, {"status": "building", "startedAt": NOW - 5, "attempts": 1})
    assert world.run().startswith("busy")
    assert world.builder.builds == []
    follow_up = world.queue.tasks[-1]
    assert follow_up["run_at"] == NOW - 5 + report_jobs.BUILD_LEASE and follow_up["payload"] == {
        "jobId": world.job.id
    }
    world.now = follow_up["run_at"]  # the first attempt died: this one rebuilds
    world.exports.run_export_task(follow_up["payload"])
    assert len(world.builder.builds) == 1 and len(world.mailer.sent) == 1


def test_a_task_for_an_unknown_job_does_nothing() -> None:
    world = World()
    assert world.exports.run_export_task({"jobId": "nope"}) == "no such export"


# --- ReportService: the size rule -------------------------------------------------------------------


def principal() -> Principal:
    user = User(_id="me", createdAt=0, orgContextId="org")
    return Principal(user=user, token="t", claims={}, roles_loader=lambda _: [role("ADMIN")])


def order(order_id: str, org: str = "org") -> Order:
    return Order.model_validate({"_id": order_id, "orgId": org, "eventId": "", "userId": "", "createdAt": NOW,
                                 "email": "guest@example.com", "state": "Active", "eventName": "Show",
                                 "createdBy": "x"})  # fmt: skip


class NoRows(Repo):
    """Buyers, events and venues: none (guest orders without an event do for these rows)."""

    def get_many(self, ids: Iterable[str]) -> dict[str, Any]:
        return {}


class Catalog:
    users = events = venues = NoRows([])


class Scheduler:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def schedule(
        self, user_id: str, org_id: str, kind: str, query: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        self.calls.append((user_id, org_id, kind, query))
        return {"url": None, "message": report_jobs.SCHEDULED_MESSAGE}


class Storage:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_csv(self, name: str, data: bytes, filename: str) -> None:
        self.objects[name] = data

    def report_url(self, name: str, expires_at: int) -> str:
        return f"https://signed/{name}"


def reports(
    orders: list[Order], pages: list[list[Order]] | None = None
) -> tuple[ReportService, Scheduler, Storage]:
    catalog = Catalog()
    scheduler, storage = Scheduler(), Storage()

    def paged(org_id: str, query: Mapping[str, Any] | None, size: int) -> Iterator[list[Order]]:
        yield from pages or []

    svc = ReportService(catalog, lambda org, q, cap: orders, lambda: storage, order_pages=paged,  # type: ignore[arg-type]
                        exports=scheduler, sync_limit=2, clock=lambda: NOW)  # fmt: skip
    return svc, scheduler, storage


def test_above_the_limit_the_report_is_scheduled_not_built() -> None:
    svc, scheduler, storage = reports([order("a"), order("b"), order("c")])
    answer = svc.order_report(principal(), {"eventIds": ["e"], "orgId": ["theirs"]})
    assert answer == {"url": None, "message": report_jobs.SCHEDULED_MESSAGE}
    assert scheduler.calls == [("me", "org", "orders", {"eventIds": ["e"], "orgId": ["theirs"]})]
    assert storage.objects == {}


def test_at_the_limit_the_report_is_built_in_the_request_as_before() -> None:
    svc, scheduler, storage = reports([order("a"), order("b")])
    answer = svc.activity_report(principal(), None)
    assert answer["message"] == "Your report is ready." and answer["url"].startswith(
        "https://signed/reports/org/"
    )
    assert scheduler.calls == [] and len(storage.objects) == 1


def test_the_background_build_reads_page_by_page_with_the_same_rows_and_only_this_orgs_orders() -> None:
    pages = [[order("a"), order("x", org="other")], [order("b")], [order("c")]]
    svc, _, _ = reports([], pages)
    built = svc.build_report("org", "orders", {})
    assert [r[0] for r in built.rows] == ["a", "b", "c"]
    in_request = reports([order("a"), order("b"), order("c")])[0]
    in_request.sync_limit = 10
    in_request.order_report(principal(), None)
    assert built.csv_bytes() == next(iter(in_request.storage().objects.values()))  # type: ignore[attr-defined]
