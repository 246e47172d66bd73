"""One e-mail that is not a ticket delivery (wait list, account mails), sent at most once per key
barring a crash mid-send, and at least once across such a crash.

The message is claimed in `deliveries/{key}~email` before the provider is called (the claim of
FirestoreDeliveryStore, as ticket e-mails are): a task delivered twice sends once, a second
attempt while the first is sending gets BUSY (its queue retries), and a claim left "sending" by a
crash is taken over after the lease, because an e-mail sent twice is better than one lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal, Protocol

from shared.domain.tasks import Delivery
from shared.errors import DomainError, ErrorCode
from shared.services.mailer import Email, FallbackMailer

EMAIL_LEASE = 300  # longer than send-email's timeout, as for ticket e-mails

ClaimOutcome = Literal["claimed", "done", "busy"]


class DeliveryClaims(Protocol):
    def claim(self, record_id: str, record: Delivery, *, lease: int, retry_stale: bool) -> ClaimOutcome: ...
    def finish(self, record_id: str, fields: dict[str, object]) -> None: ...
    def release(self, record_id: str) -> None: ...


class ClaimedMail:
    def __init__(
        self,
        records: DeliveryClaims,
        mailer: Callable[[], FallbackMailer],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.records = records
        # A factory: services that only enqueue must not import (or need keys for) SendGrid/SES.
        self.mailer = mailer
        self.clock = clock

    def send(self, key: str, template: str, compose: Callable[[], Email], *, order_id: str = "") -> str:
        """Send what `compose()` builds, once per `key` (an order's mails are recorded as
        `{order_id}~{key}~email`). `compose` runs only after the claim, so work it does (minting a
        link's token) happens once per attempt that really sends."""
        record_id = f"{order_id}~{key}~email" if order_id else f"{key}~email"
        claim = Delivery(
            orderId=order_id,
            channel="email",
            key=key,
            template=template,
            status="sending",
            claimedAt=int(self.clock()),
        )
        outcome = self.records.claim(record_id, claim, lease=EMAIL_LEASE, retry_stale=True)
        if outcome == "done":
            return "already sent"
        if outcome == "busy":
            raise DomainError(ErrorCode.BUSY, "This e-mail is being sent.")
        try:
            sent = self.mailer().send(compose())
        except Exception:
            self.records.release(record_id)  # nothing left the building: a retry may send it
            raise
        done = {"status": "sent", "provider": sent.provider, "providerMessageId": sent.message_id}
        self.records.finish(record_id, {**done, "sentAt": int(self.clock())})
        return f"sent via {sent.provider}"
