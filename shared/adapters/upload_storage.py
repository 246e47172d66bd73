"""Uploaded images in Cloud Storage (SPEC R-UP-1): the public uploads bucket, read by anyone
through plain object URLs (posters on the portal, on Webflow pages and in e-mails must never
expire, so no signed URLs here).

Public reading is the bucket's business (uniform bucket-level access, `allUsers` object
viewer), not a per-object ACL: `make_public()` would fail on a uniform-access bucket.

The URL is `https://storage.googleapis.com/<bucket>/<name>` in production and
`<STORAGE_EMULATOR_HOST>/<bucket>/<name>` locally: the storage emulator serves objects at the
same path without credentials, so the same code path is tested end to end.
"""

from __future__ import annotations

import contextlib
from urllib.parse import quote

from google.api_core import exceptions as google_exceptions

from shared.adapters.ticket_storage import CloudTicketStorage
from shared.settings import Settings

PUBLIC_HOST = "https://storage.googleapis.com"
# Names are random and never reused, so a cached copy can never go stale.
CACHE_CONTROL = "public, max-age=31536000, immutable"


class UploadStorageError(RuntimeError):
    """Cloud Storage refused or failed the upload."""


class CloudUploadStorage:
    def __init__(self, settings: Settings, bucket: str | None = None) -> None:
        self.settings = settings
        self.bucket = bucket or settings.uploads_bucket
        # The lazily built Storage client of the ticket-image adapter: one way to reach Storage
        # (and the emulator) in the code base.
        self._storage = CloudTicketStorage(settings)

    def put_public(self, name: str, data: bytes, content_type: str) -> None:
        blob = self._storage.client.bucket(self.bucket).blob(name)
        blob.cache_control = CACHE_CONTROL
        try:
            # if_generation_match=0: create only, so a name can never replace someone's file.
            blob.upload_from_string(data, content_type=content_type, if_generation_match=0)
        except google_exceptions.GoogleAPICallError as error:
            raise UploadStorageError(f"upload of {name} failed: {error}") from error

    def delete(self, name: str) -> None:
        with contextlib.suppress(google_exceptions.NotFound):  # already gone: what the caller wanted
            self._storage.client.bucket(self.bucket).blob(name).delete()

    def public_url(self, name: str) -> str:
        host = (self.settings.storage_emulator_host or PUBLIC_HOST).rstrip("/")
        return f"{host}/{self.bucket}/{quote(name)}"
