"""Fees: platform, organization, event and season scopes (SPEC 3.8, R-FEE-1, R-FEE-2).

Fees are copied down when an organization or event is created: platform → org, org → event.
Each copy's id is derived from the source fee and the target, so running a copy-down twice (a
retried request, a redelivered task) writes the same documents instead of duplicates.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Protocol

from shared.domain.models import Fee
from shared.domain.ports import Repository


class FeeStore(Protocol):
    @property
    def fees(self) -> Repository[Fee]: ...


def copy_id(source_fee_id: str, target: str) -> str:
    return "c" + hashlib.sha256(f"{source_fee_id}>{target}".encode()).hexdigest()[:19]


class FeeService:
    def __init__(self, store: FeeStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def platform_fees(self) -> list[Fee]:
        return [
            f for f in self.store.fees.find(("orgId", "==", None)) if f.scope == "platform" and not f.disabled
        ]

    def organization_fees(self, org_id: str) -> list[Fee]:
        return [f for f in self.store.fees.find(("orgId", "==", org_id)) if f.scope == "organization"]

    def copy_platform_fees_to_org(self, org_id: str, user_id: str) -> list[Fee]:
        """OrganizationCreated: every platform fee becomes an org fee marked isApplyPlatformFee."""
        now = int(self.clock())
        copies = [
            fee.model_copy(
                update={
                    "id": copy_id(fee.id, org_id),
                    "orgId": org_id,
                    "eventId": None,
                    "seasonId": None,
                    "isApplyPlatformFee": True,
                    "createdBy": user_id,
                    "createdAt": now,
                    "updatedBy": user_id,
                    "updatedAt": now,
                }
            )
            for fee in self.platform_fees()
        ]
        for copy in copies:
            self.store.fees.save(copy)
        return copies

    def copy_org_fees_to_event(
        self, org_id: str, event_id: str, user_id: str, *, season: bool = False
    ) -> list[Fee]:
        """EventCreated / SeasonCreated: the org's enabled fees become the event's own fees."""
        now = int(self.clock())
        scope = {"eventId": None, "seasonId": event_id} if season else {"eventId": event_id, "seasonId": None}
        copies = [
            fee.model_copy(
                update={
                    "id": copy_id(fee.id, event_id),
                    "orgId": org_id,
                    **scope,
                    "createdBy": user_id,
                    "createdAt": now,
                    "updatedBy": user_id,
                    "updatedAt": now,
                }
            )
            for fee in self.organization_fees(org_id)
            if not fee.disabled
        ]
        for copy in copies:
            self.store.fees.save(copy)
        return copies

    def event_fees(self, event_id: str) -> list[Fee]:
        """Non-disabled fees scoped to the event: the only fees its prices use (R-FEE-1)."""
        return [f for f in self.store.fees.find(("eventId", "==", event_id)) if not f.disabled]
