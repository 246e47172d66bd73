"""Large CSV reports built in the background and e-mailed (SPEC 5.18 R-RP-1..3, R-MSG-2
`orderSheet` / `customerSheet`) on the emulators.

How: the size rule is 500 rows, and the stack's GraphQL function builds with that limit (the
other report tests rely on it). Rather than creating 500 orders, these tests call the report
service in-process — the same service graph as the GraphQL function (shared.bootstrap.Services),
against the same emulators — with only `sync_limit` lowered. Everything after the schedule is
real: the job in Firestore, the Cloud Task on the tasks emulator, the send-email function
building the CSV over HTTP, the storage emulator, the SendGrid stand-in's inbox and the signed
link downloaded from the mail. Where a test must act between scheduling and the task's run (a
demotion), it records the enqueue instead and delivers the task to send-email itself.
"""

from __future__ import annotations

import csv
import io
import re
import time
from typing import Any

import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from emulator import config
from shared.bootstrap import Services, services
from shared.domain.models import Event, Organization, UserProfile
from shared.domain.report_jobs import SCHEDULED_MESSAGE, ReportJob
from shared.services.reports import ReportService
from shared.settings import get_settings
from tests.integration.api import Caller, data_of, make_org, principal_of, staff_of, user_id_of, wait_for
from tests.integration.inbox import subject_of, with_subject
from tests.integration.orders_fixtures import make_event, make_order

EXPORT_TASK_URL = f"{config.FUNCTIONS_URL}/send-email/tasks/report-export"
LIMIT = 2


class RecordedQueue:
    """Cloud Tasks stand-in for the tests that deliver the task themselves."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    def enqueue(self, queue: str, function: str, payload: dict[str, Any], *, path: str = "/",
                key: str | None = None, run_at: int | None = None) -> str:  # fmt: skip
        assert (queue, function, path) == ("background", "send-email", "/tasks/report-export")
        self.payloads.append(payload)
        return f"recorded/{len(self.payloads)}"


def small_limit_reports(queue: RecordedQueue | None = None) -> ReportService:
    """The production wiring with a sync limit of LIMIT rows."""
    app = Services(get_settings())
    if queue is not None:
        app.task_queue = queue  # type: ignore[assignment]
    app.reports.sync_limit = LIMIT
    return app.reports


def job_records(org: Organization) -> list[ReportJob]:
    jobs = services().store.client.collection("reportJobs")
    found = jobs.where(filter=FieldFilter("orgId", "==", org.id)).get()
    return [ReportJob.model_validate(s.to_dict()) for s in found]


def admin_named(org: Organization, first_name: str = "Ada") -> Caller:
    admin = staff_of(org.id, "ADMIN")
    services().store.users.update(user_id_of(admin), {"firstName": first_name})
    return admin


def orders_of(event: Event, count: int) -> list[str]:
    start = int(time.time()) - 1000
    return [make_order(event, created_at=start + n).id for n in range(count)]


def mailed_link(mail: dict[str, Any]) -> str:
    text = {c["type"]: c["value"] for c in mail["content"]}["text/plain"]
    found = re.search(r"^(https?://\S+)$", text, re.MULTILINE)
    assert found, text
    return found.group(1)


def download(link: str) -> list[dict[str, str]]:
    response = requests.get(link, timeout=10)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_large_order_report_is_mailed_with_a_signed_link_to_this_orgs_matching_orders() -> None:
    org, other = make_org("Harbor Hall Presents"), make_org("Elsewhere")
    event = make_event(org.id)
    ours = orders_of(event, 4)
    orders_of(make_event(org.id, name="Other show"), 1)  # filtered out by the query
    their_event = make_event(other.id)
    theirs = orders_of(their_event, 1)
    admin = admin_named(org)

    # query.orgId names the other org: ignored, the report is of the caller's context org
    answer = small_limit_reports().order_report(principal_of(admin), {"eventIds": [event.id, their_event.id],
                                                                       "orgId": [other.id]})  # fmt: skip

    assert answer == {"url": None, "message": SCHEDULED_MESSAGE}
    [mail] = wait_for(lambda: with_subject("[ORDER SHEET]", admin.email), timeout=30)
    assert subject_of(mail) == "[ORDER SHEET] Harbor Hall Presents orders export"
    link = mailed_link(mail)
    assert f"/{config.REPORTS_BUCKET}/reports/{org.id}/" in link and "X-Goog-Signature=" in link
    rows = download(link)
    assert [r["orderId"] for r in rows] == list(reversed(ours))  # newest first, only ours
    assert theirs[0] not in {r["orderId"] for r in rows}
    assert {r["eventName"] for r in rows} == {"Show"}
    [job] = job_records(org)
    assert (job.status, job.rows, job.kind) == ("sent", 4, "orders")
    assert job.query == {"eventIds": [event.id, their_event.id]}  # no orgId kept
    assert job.userId == user_id_of(admin) and job.orgId == org.id


def test_the_same_task_delivered_twice_and_a_double_click_send_one_mail() -> None:
    org = make_org("Harbor Hall Presents")
    orders_of(make_event(org.id), 3)
    admin = admin_named(org)
    reports = small_limit_reports()

    reports.activity_report(principal_of(admin), None)
    wait_for(lambda: with_subject("[ORDER SHEET]", admin.email), timeout=30)
    [job] = job_records(org)

    again = requests.post(EXPORT_TASK_URL, json={"jobId": job.id}, timeout=60)
    assert again.status_code == 200 and again.json()["result"] == "already sent"
    assert reports.activity_report(principal_of(admin), None)["url"] is None  # the same export again
    assert [j.id for j in job_records(org)] == [job.id]  # joined the first job: nothing new queued
    assert len(with_subject("[ORDER SHEET]", admin.email)) == 1
    rows = download(mailed_link(with_subject("[ORDER SHEET]", admin.email)[0]))
    assert [r["Sale/Refund/Cancel"] for r in rows] == ["Sale"] * 3


def test_an_admin_demoted_before_the_export_runs_gets_no_mail() -> None:
    org = make_org()
    orders_of(make_event(org.id), 3)
    admin = admin_named(org)
    queue = RecordedQueue()
    small_limit_reports(queue).order_report(principal_of(admin), None)
    [payload] = queue.payloads
    store = services().store
    [role] = store.roles.find(("userId", "==", user_id_of(admin)))
    store.roles.update(role.id, {"role": "BOX_OFFICE"})

    delivered = requests.post(EXPORT_TASK_URL, json=payload, timeout=60)

    assert delivered.status_code == 200 and delivered.json()["result"].startswith("refused")
    [job] = job_records(org)
    assert (job.status, job.objectName) == ("refused", "")  # nothing built
    assert with_subject("[ORDER SHEET]", admin.email) == []
    # the task delivered again later still sends nothing
    assert requests.post(EXPORT_TASK_URL, json=payload, timeout=60).json()["result"] == "already refused"


def test_a_large_customer_report_is_mailed_as_a_customer_sheet() -> None:
    org = make_org("Harbor Hall Presents")
    store = services().store
    for name in ("Cy", "Ada", "Bo"):
        profile = UserProfile(userId=f"p-{name}", firstName=name, lastName="Buyer",
                              email=f"{name.lower()}@example.com", orgIds=[org.id])  # fmt: skip
        store.user_profiles.create(profile)
    admin = admin_named(org)

    assert small_limit_reports().customer_report(principal_of(admin), {})["url"] is None

    [mail] = wait_for(lambda: with_subject("[CUSTOMER SHEET]", admin.email), timeout=30)
    rows = download(mailed_link(mail))
    assert [(r["Name"], r["Email"]) for r in rows] == [
        ("Ada Buyer", "ada@example.com"), ("Bo Buyer", "bo@example.com"), ("Cy Buyer", "cy@example.com"),
    ]  # fmt: skip


def test_at_the_limit_the_report_is_still_built_in_the_request() -> None:
    org = make_org()
    ours = orders_of(make_event(org.id), LIMIT)
    admin = admin_named(org)

    answer = small_limit_reports().order_report(principal_of(admin), None)

    assert answer["message"] == "Your report is ready."
    assert sorted(r["orderId"] for r in download(answer["url"])) == sorted(ours)
    assert job_records(org) == []
    # and through GraphQL on the stack (limit 500) the same request is answered in place
    result = data_of(admin.gql("mutation { generateOrderReport { url message } }"))["generateOrderReport"]
    assert result["message"] == "Your report is ready." and len(download(result["url"])) == LIMIT


def test_orders_are_read_a_page_at_a_time_without_gaps_or_repeats() -> None:
    org = make_org()
    event = make_event(org.id)
    same_second = int(time.time()) - 50
    ids = [make_order(event, created_at=same_second).id for _ in range(3)] + orders_of(event, 2)

    pages = list(services().order_store.order_pages(org_ids=[org.id], page_size=2))

    assert [len(p) for p in pages] == [2, 2, 1]
    read = [o.id for p in pages for o in p]
    assert sorted(read) == sorted(ids)  # ties on createdAt neither skipped nor read twice
    assert [o.createdAt for p in pages for o in p] == sorted(
        (o.createdAt for p in pages for o in p), reverse=True
    )
