"""File uploads from Backstage (SPEC 5.22 R-UP-1 `uploadFiles`; AUTH): posters, logos, images.

Images only (new): the type is decided by the file's own first bytes (PNG, JPEG, GIF, WebP),
never by the client's filename or mimetype, and that sniffed type is what the object is stored
and served as. SVG is refused on purpose: it is XML that can carry script, and a public bucket
serving it would host that script for anyone.

Every file of a request is read and checked before the first one is stored, so a bad file
refuses the whole request with nothing written; if storing fails halfway, the objects already
stored are deleted again (best effort) before the error is answered.

Objects are named `<orgId or 'user'>/<userId>/<random>.<ext>`: the org prefix only when the
caller holds a role in its context org (an arbitrary X-Org-Id must not let anyone write under
another organization's prefix), a random unguessable part so names never collide or overwrite.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.domain.models import new_id
from shared.domain.permissions import Principal, require_user
from shared.errors import DomainError, ErrorCode, invalid

log = logging.getLogger(__name__)

ALLOWED_TYPES = "PNG, JPEG, GIF or WebP"
# The multipart part's transfer encoding as the original's busboy reported it; browsers send none.
DEFAULT_ENCODING = "7bit"
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


@dataclass(frozen=True)
class ImageType:
    mimetype: str
    extension: str


PNG = ImageType("image/png", "png")
JPEG = ImageType("image/jpeg", "jpg")
GIF = ImageType("image/gif", "gif")
WEBP = ImageType("image/webp", "webp")


def sniff_image(head: bytes) -> ImageType | None:
    """The image type the bytes' signature proves, or None for anything else (SVG, text, HTML)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def object_name(org_id: str | None, user_id: str, image: ImageType, random_part: str | None = None) -> str:
    """`<orgId or 'user'>/<userId>/<random>.<ext>`; ids that are not plain ids never reach a path."""
    prefix = org_id if org_id and _SAFE_ID.match(org_id) else "user"
    if not _SAFE_ID.match(user_id):
        raise DomainError(ErrorCode.INTERNAL, "Unexpected user id.")
    return f"{prefix}/{user_id}/{random_part or new_id(20)}.{image.extension}"


def display_filename(filename: str | None) -> str:
    """The client's name without any directory part (some browsers send `C:\\fakepath\\x.png`)."""
    name = re.split(r"[\\/]", filename or "")[-1].strip()
    return name[:255] or "upload"


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


class IncomingFile(Protocol):
    """One multipart file part (werkzeug's FileStorage fits)."""

    filename: str | None

    def read(self, size: int = -1) -> bytes: ...


class UploadStorage(Protocol):
    def put_public(self, name: str, data: bytes, content_type: str) -> None:
        """Create `name` (never overwriting); raises on failure."""
        ...

    def delete(self, name: str) -> None: ...

    def public_url(self, name: str) -> str: ...


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    encoding: str
    image: ImageType
    data: bytes


class UploadService:
    def __init__(self, storage: Callable[[], UploadStorage], *, max_files: int, max_bytes: int) -> None:
        self.storage = storage
        self.max_files = max_files
        self.max_bytes = max_bytes

    def upload_files(self, principal: Principal | None, files: Sequence[Any] | None) -> list[dict[str, str]]:
        caller = require_user(principal)
        checked = self.check_files(files)
        org_id = caller.org_context_id
        prefix_org = org_id if org_id and caller.level_in(org_id) > 0 else None
        storage = self.storage()
        stored: list[str] = []
        results: list[dict[str, str]] = []
        try:
            for item in checked:
                name = object_name(prefix_org, caller.user_id, item.image)
                storage.put_public(name, item.data, item.image.mimetype)
                stored.append(name)
                results.append(
                    {
                        "filename": item.filename,
                        "mimetype": item.image.mimetype,
                        "encoding": item.encoding,
                        "url": storage.public_url(name),
                    }
                )
        except Exception:
            log.exception("upload failed; removing what was stored", extra={"stored": len(stored)})
            self._remove(storage, stored)
            raise DomainError(
                ErrorCode.UPSTREAM_FAILED, "The files could not be stored. Please try again."
            ) from None
        # Names and sizes only: the files may be anything the user chose.
        log.info(
            "files uploaded",
            extra={
                "count": len(stored),
                "bytes": sum(len(i.data) for i in checked),
                "userId": caller.user_id,
            },
        )
        return results

    def check_files(self, files: Sequence[Any] | None) -> list[CheckedFile]:
        """Read and check every file before anything is stored (all or nothing)."""
        if not files:
            raise invalid("Choose at least one image to upload.", "files")
        if len(files) > self.max_files:
            raise DomainError(ErrorCode.LIMIT_EXCEEDED, f"Upload at most {self.max_files} files at a time.")
        return [self._check(file) for file in files]

    def _check(self, file: Any) -> CheckedFile:
        # A JSON request can put any value where an Upload belongs; only multipart parts are files.
        if not callable(getattr(file, "read", None)):
            raise invalid("Send the files as a multipart upload.", "files")
        filename = display_filename(getattr(file, "filename", None))
        seek = getattr(file, "seek", None)
        if callable(seek):
            seek(0)  # the same part mapped to two variables is read twice
        data = bytes(file.read(self.max_bytes + 1))
        if len(data) > self.max_bytes:
            raise DomainError(
                ErrorCode.LIMIT_EXCEEDED,
                f"{filename} is larger than {megabytes(self.max_bytes)}; upload a smaller image.",
            )
        if not data:
            raise invalid(f"{filename} is empty.", "files")
        image = sniff_image(data[:16])
        if image is None:
            raise invalid(f"{filename} is not a {ALLOWED_TYPES} image.", "files")
        headers = getattr(file, "headers", None)
        encoding = headers.get("Content-Transfer-Encoding") if headers is not None else None
        return CheckedFile(
            filename=filename, encoding=str(encoding or DEFAULT_ENCODING), image=image, data=data
        )

    @staticmethod
    def _remove(storage: UploadStorage, names: list[str]) -> None:
        for name in names:
            try:
                storage.delete(name)
            except Exception:
                log.exception("could not remove a partly uploaded file", extra={"object": name})
