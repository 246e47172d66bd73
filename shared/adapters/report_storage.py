"""Reports in Cloud Storage (SPEC R-RP-1..5: CSV exports, sales-report PDFs): private objects,
handed out as short-lived signed URLs.

Reports hold buyers' names, e-mails and phone numbers, so they go to their own private bucket
(uniform access, public access prevented, data-access audit logs, objects deleted after a week)
under `reports/<orgId>/`, never to a public place; only the GraphQL function and send-email (the
reports it mails) may write there.
The client and the URL signing (IAM signBlob in production, a throwaway key for the emulator)
are the ticket-image adapter's: one way to sign in the code base.
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.api_core import exceptions as google_exceptions

from shared.adapters.ticket_storage import CloudTicketStorage
from shared.settings import Settings


class ReportStorageError(RuntimeError):
    """Cloud Storage refused or failed the upload."""


class CloudReportStorage(CloudTicketStorage):
    def __init__(self, settings: Settings, bucket: str | None = None) -> None:
        super().__init__(settings)
        self.bucket = bucket or settings.reports_bucket

    def put_csv(self, name: str, data: bytes, filename: str) -> None:
        self._put(name, data, filename, "text/csv; charset=utf-8")

    def _put(self, name: str, data: bytes, filename: str, content_type: str) -> None:
        blob = self.client.bucket(self.bucket).blob(name)
        blob.cache_control = "private, no-store"
        # The browser saves the download under a readable name instead of the random object id.
        blob.content_disposition = f'attachment; filename="{filename}"'
        try:
            blob.upload_from_string(data, content_type=content_type)
        except google_exceptions.GoogleAPICallError as error:
            raise ReportStorageError(f"upload of {name} failed: {error}") from error

    def put_pdf(self, name: str, data: bytes, filename: str) -> None:
        """A sales-report PDF (R-RP-5), stored like the CSVs."""
        self._put(name, data, filename, "application/pdf")

    def report_url(self, name: str, expires_at: int) -> str:
        """A V4 signed GET URL (exports are fetched right away, e-mailed sales reports within days;
        V4 caps links at 7 days)."""
        blob = self.client.bucket(self.bucket).blob(name)
        return str(
            blob.generate_signed_url(
                expiration=datetime.fromtimestamp(expires_at, UTC),
                method="GET",
                version="v4",
                **self._signing(),
            )
        )
