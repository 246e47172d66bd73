# ruff: noqa: N815 - stored shapes keep the clients' camelCase field names (SPEC 2.1)
"""Delayed jobs (SPEC 3.10 Task, R-TASK-1): a `tasks` document mirrored by a Cloud Task.

The document is the truth: the Cloud Task only wakes its handler, which re-reads the document
and does nothing when it is cancelled or already ended (Cloud Tasks may deliver twice, and the
emulator cannot delete a task).
"""

from __future__ import annotations

from pydantic import Field

from shared.domain.models import Identified, Model, SubscriptionSalesReport


class Task(Identified):
    taskType: str
    createdAt: int
    executeAt: int
    startedAt: int | None = None
    endedAt: int | None = None
    success: bool | None = None
    canceledAt: int | None = None
    userId: str = ""
    orgId: str = ""
    eventId: str = ""
    orderId: str = ""
    venueIds: list[str] = Field(default_factory=list)
    artistIds: list[str] = Field(default_factory=list)
    subscription: SubscriptionSalesReport | None = None
    email: str = ""
    cloudTaskName: str = ""
    # Not in the original: the event day a TicketOnDayofEvent reminder is for, and why a task
    # ended without doing its work (e.g. the order was refunded in the meantime).
    day: int | None = None
    outcome: str = ""

    @property
    def pending(self) -> bool:
        return self.canceledAt is None and self.endedAt is None


class Delivery(Model):
    """One message sent (or being sent) to a buyer: `deliveries/{orderId}~{key}~{channel}`."""

    orderId: str
    channel: str  # "email" | "sms"
    key: str  # what this message is: "receipt", a task id, "resend-..."
    template: str
    status: str  # "sending" | "sent" | "failed" | "unknown"
    claimedAt: int
    attempts: int = 1
    provider: str = ""
    providerMessageId: str = ""
    sentAt: int | None = None
    error: str = ""
