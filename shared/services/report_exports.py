"""Large CSV reports built in the background and e-mailed (SPEC 5.18 R-RP-1..3, R-MSG-2
`orderSheet` / `customerSheet`, D-32). Job rules: shared.domain.report_jobs.

The GraphQL function only records the job and enqueues ONE Cloud Task (queue `background`); the
send-email function (`POST /tasks/report-export`) builds, stores and mails, because it holds the
mail keys and a big build must not hold up a request. The task carries the job id only; the job
holds the caller, the org (the caller's context org, never one named in the query) and the
normalized query.

The handler re-reads everything: the job (done? being built?), the caller's accepted roles (an
admin who was removed or demoted since asking gets nothing), then builds with ReportService's
row code, uploads to the private reports bucket, and mails a signed link to the caller's primary
address through ClaimedMail (claimed once per job). A failed build records its error on the job
and is retried by the queue; after MAX_ATTEMPTS it is failed for good and answered 2xx.

Who may: role records decide (SUPER_USER records included). A super user known only by the
Firebase custom claim is not seen by the re-check (send-email does not read Firebase claims)
and gets a refusal recorded on the job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from shared.domain import report_jobs
from shared.domain.models import Organization, Role, User
from shared.domain.permissions import ADMIN, Principal
from shared.domain.ports import Repository
from shared.domain.report_jobs import ExportKind, ReportJob
from shared.domain.reports import Report
from shared.domain.ticket_email import brand_of
from shared.errors import DomainError, ErrorCode, invalid
from shared.services.claimed_mail import EMAIL_LEASE, ClaimedMail, DeliveryClaims
from shared.services.mailer import Email, EmailRenderer, FallbackMailer
from shared.services.scheduled_tasks import TaskQueue

log = logging.getLogger("sellout.report_exports")

QUEUE = "background"
EXPORT_FUNCTION = "send-email"
EXPORT_PATH = "/tasks/report-export"
NOT_ADMIN = "The person who asked is no longer an admin of this organization."


class ReportJobs(Protocol):
    def create(self, job: ReportJob) -> bool: ...
    def get(self, job_id: str) -> ReportJob | None: ...
    def claim(self, job_id: str, now: int) -> tuple[report_jobs.Start, ReportJob | None]: ...
    def update(self, job_id: str, fields: Mapping[str, Any]) -> None: ...


class ReportBuilder(Protocol):
    """ReportService: the rows, the private object, the signed link."""

    def build_report(self, org_id: str, kind: ExportKind, query: Mapping[str, Any] | None) -> Report: ...
    def write(self, org_id: str, kind: str, report: Report) -> str: ...
    def signed_url(self, name: str, expires_at: int) -> str: ...


class ReportExports:
    def __init__(
        self,
        *,
        jobs: ReportJobs,
        tasks: TaskQueue,
        reports: Callable[[], ReportBuilder],
        users: Repository[User],
        roles: Repository[Role],
        organizations: Repository[Organization],
        claims: DeliveryClaims,
        mailer: Callable[[], FallbackMailer],
        email_from: str,
        renderer: EmailRenderer | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.jobs, self.tasks = jobs, tasks
        # A factory: ReportService is built with this scheduler, so it is looked up when used.
        self.reports = reports
        self.users, self.roles, self.organizations = users, roles, organizations
        self.mail = ClaimedMail(claims, mailer, clock)
        self.email_from = email_from
        self.renderer = renderer or EmailRenderer()
        self.clock = clock

    def now(self) -> int:
        return int(self.clock())

    # --- GraphQL: schedule ------------------------------------------------------------------------

    def schedule(
        self, user_id: str, org_id: str, kind: ExportKind, query: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """Record the export (the caller has been authorized as ADMIN of `org_id`) and enqueue its
        task. The same export asked again within DEDUPE_WINDOW joins the first job."""
        now = self.now()
        q = report_jobs.normalized_query(query)
        slot = report_jobs.slot_of(now)
        earlier = self.jobs.get(report_jobs.job_id(user_id, org_id, kind, q, slot - 1))
        if earlier is not None and report_jobs.recent(earlier, now):
            job = earlier
        else:
            job = ReportJob(_id=report_jobs.job_id(user_id, org_id, kind, q, slot), kind=kind, orgId=org_id,
                            userId=user_id, query=q, createdAt=now)  # fmt: skip
            if not self.jobs.create(job):
                job = self.jobs.get(job.id) or job
        # A job found without its task is one whose scheduler died before enqueueing: enqueue now.
        # Two clicks racing here may both enqueue; the task name and the job's claim make it one.
        if not job.cloudTaskName and job.status not in report_jobs.DONE:
            name = self.tasks.enqueue(
                QUEUE, EXPORT_FUNCTION, {"jobId": job.id}, path=EXPORT_PATH, key=f"report-export~{job.id}"
            )
            self.jobs.update(job.id, {"cloudTaskName": name})
        log.info("report export scheduled", extra={"jobId": job.id, "orgId": org_id, "kind": kind})
        return {"url": None, "message": report_jobs.SCHEDULED_MESSAGE}

    # --- send-email (Cloud Tasks) -----------------------------------------------------------------

    def run_export_task(self, payload: Mapping[str, Any]) -> str:
        job_id = str(payload.get("jobId") or "")
        if not job_id:
            raise invalid("jobId is required.", "jobId")
        now = self.now()
        decision, job = self.jobs.claim(job_id, now)
        if job is None:
            return "no such export"
        if decision == "done":
            return f"already {job.status}"
        if decision == "give up":
            log.error("report export abandoned", extra={"jobId": job.id, "attempts": job.attempts})
            return "failed"
        if decision == "busy":
            # Another delivery is building (or died building): look again when its lease ends.
            self._retry_at(job, report_jobs.lease_end(job))
            return "busy: checking again when the build's lease ends"
        user = self.users.get(job.userId)
        if user is None or not user.email or not self._still_admin(user, job.orgId):
            self.jobs.update(job.id, {"status": "refused", "error": NOT_ADMIN, "endedAt": now})
            log.info("report export refused", extra={"jobId": job.id, "orgId": job.orgId})
            return "refused: the caller is no longer an admin"
        if decision == "build":
            built = self._build(job)
            if built is None:
                return "failed"
            job = built
        try:
            outcome = self._mail(job, user)
        except DomainError as error:
            if error.code != ErrorCode.BUSY:
                raise
            self._retry_at(job, self.now() + EMAIL_LEASE)  # another delivery is mailing it
            return "busy: the e-mail is being sent"
        self.jobs.update(job.id, {"status": "sent", "endedAt": self.now()})
        return outcome

    def _retry_at(self, job: ReportJob, at: int) -> None:
        self.tasks.enqueue(QUEUE, EXPORT_FUNCTION, {"jobId": job.id}, path=EXPORT_PATH,
                           key=f"report-export~{job.id}~{at}", run_at=at)  # fmt: skip

    def _still_admin(self, user: User, org_id: str) -> bool:
        roles = self.roles.find(("userId", "==", user.id))
        caller = Principal(user=user, token="", claims={}, roles_loader=lambda _: roles)
        return caller.level_in(org_id) >= ADMIN

    def _build(self, job: ReportJob) -> ReportJob | None:
        """Build and store the CSV; the job as built, or None once failed for good. A failure
        before that is raised, so the queue retries (the rebuild starts over)."""
        builder = self.reports()
        try:
            report = builder.build_report(job.orgId, job.kind, job.query)
            name = builder.write(job.orgId, job.kind, report)
        except Exception as error:
            fields = report_jobs.build_failed(job, self.now(), f"{type(error).__name__}: {error}"[:500])
            self.jobs.update(job.id, fields)
            if fields["status"] == "failed":
                log.exception("report export failed for good", extra={"jobId": job.id})
                return None
            raise
        fields = {"status": "built", "objectName": name, "rows": len(report.rows)}
        self.jobs.update(job.id, fields)
        return job.model_copy(update=fields)

    def _mail(self, job: ReportJob, user: User) -> str:
        template = report_jobs.template_of(job.kind)

        def compose() -> Email:
            expires_at = self.now() + report_jobs.EMAILED_URL_SECONDS
            link = self.reports().signed_url(job.objectName, expires_at)
            brand = brand_of(self.organizations.get(job.orgId))
            message = report_jobs.sheet_message(
                job, brand, first_name=user.firstName, link=link, rows=job.rows or 0, expires_at=expires_at
            )
            html, text = self.renderer.render(template, message.context)
            return Email(to=user.email, from_email=self.email_from, from_name=brand.name,
                         subject=message.subject, html=html, text=text)  # fmt: skip

        return self.mail.send(f"report~{job.id}", template, compose)
