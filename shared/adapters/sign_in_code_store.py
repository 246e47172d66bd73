"""Firestore side of the bridge's sign-in codes (shared.domain.sign_in_codes): `signInCodes`.

A try is judged against the document as read and written back under a compare-and-set on that
read's update time, so concurrent guesses of one code are each counted: ten at once get at most
`MAX_TRIES` judgements, never ten. An accepted code is deleted in the same way, so it signs in
once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore

from shared.adapters.io_stats import record_reads, record_writes
from shared.domain.sign_in_codes import Outcome, SignInCode
from shared.errors import DomainError, ErrorCode

COLLECTION = "signInCodes"


class FirestoreSignInCodes:
    def __init__(self, client: firestore.Client, max_attempts: int = 10) -> None:
        self.client = client
        self.codes = client.collection(COLLECTION)
        self.max_attempts = max_attempts

    def replace(self, record: SignInCode) -> None:
        """The account's new code request; any earlier code of the account stops working."""
        self.codes.document(record.id).set(record.doc())
        record_writes(1)

    def get(self, user_id: str) -> SignInCode | None:
        snapshot = self.codes.document(user_id).get()
        record_reads(1)
        return SignInCode.model_validate(snapshot.to_dict()) if snapshot.exists else None

    def record_code(self, user_id: str, request_id: str, salt: str, code_hash: str, expires_at: int) -> bool:
        """Store the hash of the code about to be sent, if `request_id` is still the account's
        live request (False: a newer request replaced it, so this code must not go out)."""
        ref = self.codes.document(user_id)
        for tries in range(self.max_attempts):
            snapshot = ref.get()
            record_reads(1)
            if not snapshot.exists or (snapshot.to_dict() or {}).get("requestId") != request_id:
                return False
            fields = {"salt": salt, "codeHash": code_hash, "expiresAt": expires_at, "tries": 0}
            try:
                ref.update(fields, option=self.client.write_option(last_update_time=snapshot.update_time))
            except (google_exceptions.FailedPrecondition, google_exceptions.Aborted):
                time.sleep(random.uniform(0.005, 0.02 * (tries + 1)))  # noqa: S311 - jitter
                continue
            record_writes(1)
            return True
        raise DomainError(ErrorCode.BUSY, "Please try again.")

    def attempt(self, user_id: str, judge: Callable[[SignInCode | None], Outcome]) -> Outcome:
        """Judge one try against the stored code: a wrong one is counted, an accepted one
        deleted, each only if the document is unchanged since it was read."""
        ref = self.codes.document(user_id)
        for tries in range(self.max_attempts):
            snapshot = ref.get()
            record_reads(1)
            stored = snapshot.to_dict() if snapshot.exists else None
            record = SignInCode.model_validate(stored) if stored else None
            outcome = judge(record)  # raises for a missing, expired or used-up code
            assert record is not None
            unchanged = self.client.write_option(last_update_time=snapshot.update_time)
            try:
                if outcome == "accepted":
                    ref.delete(option=unchanged)
                else:
                    ref.update({"tries": record.tries + 1}, option=unchanged)
            except (
                google_exceptions.FailedPrecondition,
                google_exceptions.Aborted,
                google_exceptions.NotFound,
            ):
                time.sleep(random.uniform(0.005, 0.02 * (tries + 1)))  # noqa: S311 - jitter
                continue
            record_writes(1)
            return outcome
        raise DomainError(ErrorCode.BUSY, "Please try again.")
