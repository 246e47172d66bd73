"""Firestore side of e-mail verification (shared.domain.account_emails): `emailVerifications`.

Using a link marks its request used and applies the change to the user (and the profile's
mirror of the address) in one batch, each write under a compare-and-set on the update time the
decision was based on: two clicks of the same link, or a click racing the user's own edit,
cannot both apply — the loser re-reads and sees the link used.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.adapters.io_stats import record_reads, record_writes
from shared.domain.account_emails import EmailVerification, check_usable
from shared.domain.models import User
from shared.errors import DomainError, ErrorCode

Decide = Callable[[EmailVerification, User], dict[str, Any]]


class FirestoreEmailVerifications:
    def __init__(self, client: firestore.Client, max_attempts: int = 5) -> None:
        self.client = client
        self.requests = client.collection("emailVerifications")
        self.users = client.collection("users")
        self.profiles = client.collection("userProfiles")
        self.max_attempts = max_attempts

    def create(self, request: EmailVerification) -> bool:
        """Record the request unless one with its id exists (a repeat within the resend window)."""
        try:
            self.requests.document(request.id).create(request.doc())
        except google_exceptions.AlreadyExists:
            return False
        record_writes(1)
        return True

    def get(self, request_id: str) -> EmailVerification | None:
        if not request_id or "/" in request_id:
            return None
        snapshot = self.requests.document(request_id).get()
        record_reads(1)
        return EmailVerification.model_validate(snapshot.to_dict()) if snapshot.exists else None

    def record_token(self, request_id: str, token_hash: str, sent_at: int) -> None:
        """The hash of the token about to be mailed; a later send replaces it (and voids the
        earlier link)."""
        self.requests.document(request_id).update({"tokenHash": token_hash, "sentAt": sent_at})
        record_writes(1)

    def by_token(self, token_hash: str) -> EmailVerification | None:
        found = list(self.requests.where(filter=FieldFilter("tokenHash", "==", token_hash)).limit(1).stream())
        record_reads(max(1, len(found)))
        return EmailVerification.model_validate(found[0].to_dict()) if found else None

    def use(
        self, request_id: str, now: int, decide: Decide
    ) -> tuple[EmailVerification, User, dict[str, Any]]:
        """Mark the request used and apply `decide(request, user)`'s changes to the user. Returns
        the request, the user as it was, and the changes."""
        request_ref = self.requests.document(request_id)
        for tries in range(self.max_attempts):
            request_snapshot = request_ref.get()
            stored = request_snapshot.to_dict() if request_snapshot.exists else None
            request = check_usable(EmailVerification.model_validate(stored) if stored else None, now)
            user_ref = self.users.document(request.userId)
            user_snapshot = user_ref.get()
            record_reads(2)
            if not user_snapshot.exists:
                raise DomainError(ErrorCode.INVALID_INPUT, "This account no longer exists.")
            user = User.model_validate(user_snapshot.to_dict())
            changes = decide(request, user)
            batch = self.client.batch()
            unchanged_since = self.client.write_option
            batch.update(
                request_ref,
                {"usedAt": now},
                option=unchanged_since(last_update_time=request_snapshot.update_time),
            )
            batch.update(
                user_ref, changes, option=unchanged_since(last_update_time=user_snapshot.update_time)
            )
            mirrored = {k: v for k, v in changes.items() if k == "email"}
            profile_ref = self.profiles.document(user.id)
            if mirrored and profile_ref.get().exists:
                batch.update(profile_ref, mirrored)
            try:
                batch.commit()
            except (google_exceptions.FailedPrecondition, google_exceptions.Aborted):
                time.sleep(random.uniform(0.005, 0.02 * (tries + 1)))  # noqa: S311 - jitter, not crypto
                continue
            record_writes(2 + bool(mirrored))
            return request, user, changes
        raise DomainError(ErrorCode.BUSY, "Your account is being updated. Please try again.")
