# ruff: noqa: N815 - stored shapes keep the clients' camelCase field names (SPEC 2.1)
"""Large CSV exports built in the background and e-mailed (SPEC 5.18 R-RP-1..3, D-32): the rules
of a `reportJobs/{id}` record. Pure; the service (shared.services.report_exports) does the I/O.

A job is what an admin asked for — kind, org, caller and the normalized query — recorded when
a report is too large to build inside the GraphQL request. One Cloud Task then builds it. The
job record is the truth, the task only wakes the builder:

    queued ──claim──▶ building ──stored──▶ built ──mailed──▶ sent
       ▲                 │                                    (done)
       └── build failed ◀┘ (error recorded; the queue retries; after MAX_ATTEMPTS: failed, done)
    queued/built ──caller no longer ADMIN──▶ refused (done, nothing mailed)

- The job id is a hash of caller, org, kind, query and a DEDUPE_WINDOW slot: a double click
  schedules one export (the service also looks at the previous slot, so a click just after a
  slot boundary finds the first one).
- A build is claimed with a lease: a second delivery of the task while the first is building is
  "busy" and plans one more task for the end of the lease (answering 2xx: the queue's few
  retries would otherwise all land inside the lease); a claim older than the lease is a crashed
  or timed-out attempt and is taken over, so a crash mid-build rebuilds — up to MAX_ATTEMPTS
  builds, then the job is failed for good.
- Once the CSV is stored (`built`) a retry never rebuilds; it only mails, and the mail itself is
  claimed once per job (ClaimedMail), so nothing is mailed twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field

from shared.domain.models import Identified
from shared.domain.ticket_email import Brand

ExportKind = Literal["orders", "activity", "customers"]
JobStatus = Literal["queued", "building", "built", "sent", "refused", "failed"]
SheetTemplate = Literal["orderSheet", "customerSheet"]

SCHEDULED_MESSAGE = "Export scheduled; it will be e-mailed when complete."
DEDUPE_WINDOW = 300  # seconds: the same export asked again within this slot is the same job
BUILD_LEASE = 360  # longer than send-email's timeout (300 s): a younger "building" claim is alive
MAX_ATTEMPTS = 3  # builds tried before the job is failed for good (the queue's max_attempts)
GAVE_UP = "The export did not finish after several attempts."
# The mailed link lives as long as a V4 signed URL may (7 days), less an hour so a clock a
# little ahead never asks for more than Cloud Storage signs. The bucket deletes reports after
# 7 days anyway (terraform/storage.tf), so a longer link would only lead to a 404.
EMAILED_URL_SECONDS = 7 * 24 * 3600 - 3600

DONE: frozenset[str] = frozenset({"sent", "refused", "failed"})
_TITLES: dict[str, str] = {"orders": "orders", "activity": "sales activity", "customers": "customers"}


class ReportJob(Identified):
    kind: ExportKind
    orgId: str
    userId: str
    query: dict[str, Any] = Field(default_factory=dict)
    createdAt: int
    status: JobStatus = "queued"
    attempts: int = 0
    startedAt: int | None = None
    objectName: str = ""
    rows: int | None = None
    error: str = ""
    endedAt: int | None = None
    cloudTaskName: str = ""


def normalized_query(query: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the job keeps of a GraphQL query input: no unset criteria and never `orgId` (the
    org is the caller's context org, stored apart; a client-chosen org never reaches a job)."""
    return {k: v for k, v in sorted((query or {}).items()) if v is not None and k != "orgId"}


def job_id(user_id: str, org_id: str, kind: ExportKind, query: Mapping[str, Any], slot: int) -> str:
    """Deterministic per (caller, org, kind, query, DEDUPE_WINDOW slot), and opaque."""
    material = json.dumps([user_id, org_id, kind, query, slot], sort_keys=True, separators=(",", ":"))
    return "rj" + hashlib.sha256(material.encode()).hexdigest()[:30]


def slot_of(now: int) -> int:
    return now // DEDUPE_WINDOW


def recent(job: ReportJob, now: int) -> bool:
    """An earlier request of the same export that a repeat should join."""
    return now - job.createdAt < DEDUPE_WINDOW


Start = Literal["build", "mail", "busy", "give up", "done"]


def start(job: ReportJob, now: int) -> Start:
    """What a delivery of the job's task does now."""
    if job.status in DONE:
        return "done"
    if job.status == "built":
        return "mail"
    if job.status == "building":
        if job.startedAt is not None and now - job.startedAt < BUILD_LEASE:
            return "busy"
        if job.attempts >= MAX_ATTEMPTS:  # every attempt died without a word
            return "give up"
    return "build"


def lease_end(job: ReportJob) -> int:
    """When a build claimed at `startedAt` counts as dead."""
    return (job.startedAt or 0) + BUILD_LEASE


def build_claimed(job: ReportJob, now: int) -> dict[str, Any]:
    return {"status": "building", "startedAt": now, "attempts": job.attempts + 1, "error": ""}


def build_failed(job: ReportJob, now: int, error: str) -> dict[str, Any]:
    """After a failed build (job.attempts counts it): queued again for the queue's retry, or
    failed for good once MAX_ATTEMPTS builds have failed."""
    if job.attempts >= MAX_ATTEMPTS:
        return {"status": "failed", "error": error, "endedAt": now}
    return {"status": "queued", "error": error}


def template_of(kind: ExportKind) -> SheetTemplate:
    return "customerSheet" if kind == "customers" else "orderSheet"


@dataclass(frozen=True)
class SheetMessage:
    subject: str
    context: dict[str, Any]


def sheet_message(
    job: ReportJob, brand: Brand, *, first_name: str, link: str, rows: int, expires_at: int
) -> SheetMessage:
    """R-MSG-2 `orderSheet` ([ORDER SHEET]) / `customerSheet` ([CUSTOMER SHEET])."""
    tag = "[CUSTOMER SHEET]" if job.kind == "customers" else "[ORDER SHEET]"
    org_name = " ".join(brand.name.split())  # a line break in a header would end the header
    title = _TITLES[job.kind]
    subject = f"{tag} {org_name} {title} export"
    return SheetMessage(subject, {
        "subject": subject,
        "heading": f"Your {title} export is ready",
        "brand": brand,
        "first_name": first_name.strip() or "there",
        "title": title,
        "rows": rows,
        "link": link,
        "expires": f"{datetime.fromtimestamp(expires_at, UTC):%B %-d, %Y} (UTC)",
        "requested": f"{datetime.fromtimestamp(job.createdAt, UTC):%B %-d, %Y at %H:%M} (UTC)",
    })  # fmt: skip
