"""QR ticket images in Cloud Storage (SPEC R-QR-2): a private bucket, reached through signed URLs.

Signing needs a private key. In production the function signs as its own service account
through IAM signBlob (no key file anywhere; Terraform's `signs_urls` grants it
iam.serviceAccountTokenCreator on itself). Locally STORAGE_SIGNING_KEY_FILE names a throwaway
service-account key made in .stack/ (the storage emulator does not verify signatures).

V4 signed URLs live at most 7 days; a ticket link must last until the event ends, which can be
months away, so links longer than that are V2 signed URLs (still accepted by Cloud Storage,
with no such cap). Both are signed with the same key.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from google.api_core import exceptions as google_exceptions

from shared.settings import Settings

V4_MAX_SECONDS = 7 * 24 * 3600


class TicketStorageError(RuntimeError):
    """Cloud Storage refused or failed; the caller's task retries."""


class CloudTicketStorage:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._client: Any = None
        self._signer: Any = None

    # Clients are built on first use: importing google.cloud.storage costs ~250 ms of cold start.
    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                from google.cloud import storage  # type: ignore[attr-defined]

                if self.settings.storage_emulator_host:
                    from google.auth.credentials import AnonymousCredentials

                    self._client = storage.Client(
                        project=self.settings.gcp_project, credentials=AnonymousCredentials()
                    )
                else:
                    self._client = storage.Client(project=self.settings.gcp_project)
            return self._client

    def put_png(self, name: str, data: bytes) -> None:
        blob = self.client.bucket(self.settings.tickets_bucket).blob(name)
        blob.cache_control = "private, max-age=86400"
        try:
            blob.upload_from_string(data, content_type="image/png")
        except google_exceptions.GoogleAPICallError as error:
            raise TicketStorageError(f"upload of {name} failed: {error}") from error

    def get(self, name: str) -> bytes:
        return bytes(self.client.bucket(self.settings.tickets_bucket).blob(name).download_as_bytes())

    def signed_url(self, name: str, expires_at: int, now: int) -> str:
        blob = self.client.bucket(self.settings.tickets_bucket).blob(name)
        expiration = datetime.fromtimestamp(expires_at, UTC)
        version = "v4" if expires_at - now <= V4_MAX_SECONDS else "v2"
        return str(
            blob.generate_signed_url(expiration=expiration, method="GET", version=version, **self._signing())
        )

    def _signing(self) -> dict[str, Any]:
        if self.settings.storage_signing_key_file:
            with self._lock:
                if self._signer is None:
                    from google.oauth2 import service_account

                    self._signer = service_account.Credentials.from_service_account_file(
                        self.settings.storage_signing_key_file
                    )
            return {"credentials": self._signer}
        # The function's own identity: a metadata-server token, used to call IAM signBlob.
        import google.auth
        from google.auth.transport import requests as google_requests

        with self._lock:
            if self._signer is None:
                self._signer, _ = google.auth.default(
                    scopes=["https://www.googleapis.com/auth/cloud-platform"]
                )
            if not self._signer.valid:
                self._signer.refresh(google_requests.Request())
        return {
            "service_account_email": self._signer.service_account_email,
            "access_token": self._signer.token,
        }
