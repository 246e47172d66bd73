"""Firestore records of background report exports: `reportJobs/{id}` (shared.domain.report_jobs).

Server-owned (firestore.rules deny clients every collection). Jobs are created if absent (the id
is deterministic, so a double click finds the first job) and a build is claimed with a
compare-and-set on the document's update time, without a transaction: two deliveries of one
task racing here never wait on a lock; the loser sees "busy" and its queue retries later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore

from shared.adapters.io_stats import record_reads, record_writes
from shared.domain import report_jobs
from shared.domain.report_jobs import ReportJob

COLLECTION = "reportJobs"


class FirestoreReportJobs:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client
        self.collection = client.collection(COLLECTION)

    def create(self, job: ReportJob) -> bool:
        """Store a new job; False when one with this id exists (the same export asked again)."""
        try:
            self.collection.document(job.id).create(job.doc())
        except google_exceptions.AlreadyExists:
            return False
        record_writes(1)
        return True

    def get(self, job_id: str) -> ReportJob | None:
        snapshot = self.collection.document(job_id).get()
        record_reads(1)
        return ReportJob.model_validate(snapshot.to_dict()) if snapshot.exists else None

    def claim(self, job_id: str, now: int) -> tuple[report_jobs.Start, ReportJob | None]:
        """What this delivery does (report_jobs.start), with the job as it now stands; a "build"
        has been written as claimed (status building, one more attempt) and a "give up" as
        failed before it is returned."""
        ref = self.collection.document(job_id)
        snapshot = ref.get()
        record_reads(1)
        if not snapshot.exists:
            return "done", None
        job = ReportJob.model_validate(snapshot.to_dict())
        decision = report_jobs.start(job, now)
        if decision not in ("build", "give up"):
            return decision, job
        fields = (
            report_jobs.build_claimed(job, now)
            if decision == "build"
            else {"status": "failed", "error": report_jobs.GAVE_UP, "endedAt": now}
        )
        try:
            ref.update(fields, option=self.client.write_option(last_update_time=snapshot.update_time))
        except google_exceptions.FailedPrecondition:
            return "busy", job  # another delivery claimed it between our read and write
        record_writes(1)
        return decision, job.model_copy(update=fields)

    def update(self, job_id: str, fields: Mapping[str, Any]) -> None:
        self.collection.document(job_id).update(dict(fields))
        record_writes(1)
