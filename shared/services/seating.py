"""Reserved seating with seats.io (SPEC 5.14 R-SEAT-1..5, D-5; rules in shared.domain.seating).

- Each org has one seats.io workspace (seats.io's successor of sub-accounts) whose keys are kept
  in `seatings/{orgId}`; a SUPER_USER creates it, or the first seated event of the org does.
- Saving a seated event creates its seats.io event server-side (R-SEAT-2), so the secret key
  never reaches a browser; booking creates it too if that step failed.
- Checkout books an order's seats with the buyer's hold token and the order id as seats.io
  `orderId`, so booking is idempotent: seats already booked for this order count as booked
  (a client retry and Stripe's webhook may both try).
- Refunds, cancellations and released reservations free the seats still booked for that order
  (never a seat that was since sold to someone else). If seats.io is down the release is retried
  by a Cloud Task instead of failing the refund.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from shared.domain import seating as rules
from shared.domain.models import Event, Order, Organization
from shared.domain.permissions import SUPER_USER, Principal, require_level
from shared.domain.seating import Seating, SeatingEventMissingError, SeatState, WorkspaceKeys
from shared.errors import DomainError, ErrorCode, not_found

log = logging.getLogger("sellout.seating")

RELEASE_QUEUE = "reservations"
RELEASE_FUNCTION = "checkout"
RELEASE_PATH = "/tasks/release-seats"
WORKSPACE_QUEUE = "background"
WORKSPACE_PATH = "/tasks/organization-seating"


class SeatsioPort(Protocol):
    def create_workspace(self, name: str) -> WorkspaceKeys: ...
    def ensure_event(self, secret_key: str, event_key: str, chart_key: str) -> bool: ...
    def seat_states(self, secret_key: str, event_key: str, labels: Sequence[str]) -> dict[str, SeatState]: ...
    def book(
        self, secret_key: str, event_key: str, labels: Sequence[str], hold_token: str, order_id: str
    ) -> None: ...
    def release(self, secret_key: str, event_key: str, labels: Sequence[str]) -> None: ...
    def extend_hold_token(self, secret_key: str, hold_token: str, minutes: int) -> None: ...


class SeatingRecords(Protocol):
    def get(self, item_id: str) -> Seating | None: ...
    def get_many(self, item_ids: Any) -> dict[str, Seating]: ...
    def create(self, item: Seating) -> Seating: ...


class OrganizationReader(Protocol):
    def get(self, item_id: str) -> Organization | None: ...


class TaskQueue(Protocol):
    def enqueue(self, queue: str, function: str, payload: dict[str, Any], *, path: str = "/",
                key: str | None = None, run_at: int | None = None) -> str: ...  # fmt: skip


class SeatingService:
    def __init__(
        self,
        records: SeatingRecords,
        organizations: OrganizationReader,
        api: Callable[[], SeatsioPort],
        tasks: TaskQueue,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.records = records
        self.organizations = organizations
        self.api = api  # built on first use: most requests never talk to seats.io
        self.tasks = tasks
        self.clock = clock

    # --- keys (GraphQL) ---------------------------------------------------------------------

    def seating(self, principal: Principal | None, org_id: str | None) -> dict[str, Any] | None:
        """seating(orgId) (R-SEAT-5): public; secret and designer keys only for ADMIN+ (D-5)."""
        target = org_id or (principal.org_context_id if principal else "")
        return rules.view(self.records.get(target), principal) if target else None

    def public_key(self, org_id: str) -> str | None:
        record = self.records.get(org_id) if org_id else None
        return record.publicKey if record else None

    def of_orgs(self, org_ids: list[str]) -> dict[str, Seating]:
        """The records of many orgs in one read (nested GraphQL fields batch through this)."""
        return self.records.get_many(org_ids)

    def view(self, record: Seating | None, principal: Principal | None) -> dict[str, Any] | None:
        return rules.view(record, principal)

    def create_organization_seating(self, principal: Principal | None, org_id: str) -> dict[str, Any] | None:
        """createOrganizationSeating (R-SEAT-1): SUPER_USER; returns the existing keys if any."""
        require_level(principal, SUPER_USER, org_id)
        return rules.view(self.ensure_seating(org_id), principal)

    def ensure_seating(self, org_id: str) -> Seating:
        existing = self.records.get(org_id)
        if existing is not None:
            return existing
        org = self.organizations.get(org_id)
        if org is None:
            raise not_found("Organization")
        keys = self.api().create_workspace(f"{org.orgName or 'Organization'} ({org.id})")
        record = Seating(
            _id=org.id,
            orgId=org.id,
            publicKey=keys.public_key,
            secretKey=keys.secret_key,
            # seats.io workspaces have no separate designer key: the embeddable designer takes
            # the workspace secret key, so the org's designer key is that key.
            designerKey=keys.secret_key,
            createdAt=int(self.clock()),
        )
        try:
            self.records.create(record)
        except DomainError:  # a concurrent call stored its keys first; theirs win
            winner = self.records.get(org_id)
            if winner is None:
                raise
            log.warning("unused seats.io workspace left by a concurrent create", extra={"orgId": org_id})
            return winner
        log.info("seating created", extra={"orgId": org_id})
        return record

    def organization_created(self, org_id: str) -> None:
        """OrganizationCreated (R-SEAT-1, SPEC 5.21): the org's seats.io workspace, made by a task
        so that createOrganization neither waits for nor fails with seats.io."""
        try:
            self.tasks.enqueue(WORKSPACE_QUEUE, RELEASE_FUNCTION, {"orgId": org_id}, path=WORKSPACE_PATH,
                               key=f"org-seating~{org_id}")  # fmt: skip
        except Exception:
            # The org exists; a SUPER_USER's createOrganizationSeating, or the first seated
            # event, makes the workspace later.
            log.exception("seats.io workspace not scheduled", extra={"orgId": org_id})

    def run_workspace_task(self, payload: dict[str, Any]) -> str:
        """The workspace of a new org; raises (→ retried) while seats.io is unavailable, and
        makes nothing twice (ensure_seating finds the stored keys)."""
        try:
            self.ensure_seating(str(payload.get("orgId") or ""))
        except DomainError as error:
            if error.code == ErrorCode.UNAVAILABLE:  # no seats.io company key in this deployment
                return "seating not configured"
            if error.code == ErrorCode.NOT_FOUND:
                return "organization not found"
            raise
        return "seating ready"

    def extend_hold_token(self, org_id: str, hold_token: str) -> bool:
        """extendSeatingHoldToken (public): the hold lasts 15 more minutes; False if it is gone."""
        record = self.records.get(org_id)
        if record is None:
            raise not_found("Seating")
        try:
            self.api().extend_hold_token(record.secretKey, hold_token, rules.HOLD_MINUTES)
        except DomainError as error:
            if error.code != ErrorCode.CONFLICT:
                raise
            return False
        return True

    # --- events (R-SEAT-2) ------------------------------------------------------------------------

    def event_saved(self, event: Event) -> None:
        """EventCreated / EventUpdated of a seated event: its seats.io event exists afterwards.
        A seats.io failure does not undo the save: booking creates the event if still missing."""
        if not rules.is_seated(event.seatingChartKey):
            return
        try:
            record = self.ensure_seating(event.orgId)
            self.api().ensure_event(record.secretKey, rules.event_key(event.id), event.seatingChartKey)
        except DomainError as error:
            log.warning(
                "seated event not set up on seats.io", extra={"eventId": event.id, "code": error.code}
            )

    # --- booking (R-SEAT-3) -----------------------------------------------------------------------

    def _record_for_booking(self, org_id: str) -> Seating:
        record = self.records.get(org_id)
        if record is None:
            raise DomainError(ErrorCode.CONFLICT, "Reserved seating is not set up for this organization.")
        return record

    def _states(
        self, record: Seating, key: str, chart_key: str, labels: Sequence[str]
    ) -> dict[str, SeatState]:
        api = self.api()
        try:
            return api.seat_states(record.secretKey, key, labels)
        except SeatingEventMissingError:
            if not chart_key:
                return {}
            api.ensure_event(record.secretKey, key, chart_key)
            return {label: SeatState("free") for label in labels}

    def book(
        self,
        org_id: str,
        event_id: str,
        labels: Sequence[str],
        *,
        chart_key: str,
        order_id: str,
        hold_token: str,
    ) -> None:
        """Book `labels` for `order_id`, all or none. Seats already booked for this order count
        (retries, a webhook and a client racing); any other holder → CONFLICT."""
        if not labels:
            return
        record = self._record_for_booking(org_id)
        key = rules.event_key(event_id)

        def missing() -> list[str]:
            states = self._states(record, key, chart_key, labels)
            return [
                label
                for label in labels
                if not ((s := states.get(label)) and s.status == "booked" and s.order_id == order_id)
            ]

        todo = missing()
        if not todo:
            return
        try:
            self.api().book(record.secretKey, key, todo, hold_token, order_id)
        except DomainError as error:
            if error.code != ErrorCode.CONFLICT or missing():
                raise
            return  # the same order's other attempt booked them meanwhile
        log.info("seats booked", extra={"eventId": event_id, "orderId": order_id, "seats": len(todo)})

    # --- release (R-SEAT-4) -----------------------------------------------------------------------

    def release(self, org_id: str, event_id: str, labels: Sequence[str], order_id: str) -> int:
        """Free the seats of `labels` still booked for `order_id`; how many were freed. Raises
        UPSTREAM_FAILED when seats.io cannot be reached (the caller retries)."""
        record = self.records.get(org_id) if labels else None
        if record is None:
            return 0
        key = rules.event_key(event_id)
        for _ in range(3):
            states = self._states(record, key, "", labels)
            ours = [
                label
                for label in labels
                if (s := states.get(label)) and s.status == "booked" and s.order_id == order_id
            ]
            if not ours:
                return 0
            try:
                self.api().release(record.secretKey, key, ours)
            except DomainError as error:
                if error.code != ErrorCode.CONFLICT:
                    raise
                continue  # a seat changed between the read and the release: look again
            log.info("seats released", extra={"eventId": event_id, "orderId": order_id, "seats": len(ours)})
            return len(ours)
        raise DomainError(ErrorCode.BUSY, "The seats are busy. Please try again.")

    def release_or_retry(self, org_id: str, event_id: str, labels: Sequence[str], order_id: str) -> None:
        """Release now, or leave it to a Cloud Task when seats.io is unavailable: the refund,
        cancellation or expiry that asked has already happened and must not fail for this."""
        if not labels:
            return
        try:
            self.release(org_id, event_id, labels, order_id)
        except DomainError as error:
            payload = {"orgId": org_id, "eventId": event_id, "orderId": order_id, "seats": list(labels)}
            log.warning("seat release deferred", extra={"orderId": order_id, "code": error.code})
            self.tasks.enqueue(
                RELEASE_QUEUE, RELEASE_FUNCTION, payload, path=RELEASE_PATH,
                key=f"release-seats~{order_id}~{'|'.join(sorted(labels))}",
            )  # fmt: skip

    def release_tickets(self, order: Order, ticket_ids: Sequence[str]) -> None:
        """After a refund or cancellation committed (R-SEAT-4): the newly cancelled tickets' seats."""
        self.release_or_retry(order.orgId, order.eventId, rules.seat_labels(order, ticket_ids), order.id)

    def run_release_task(self, payload: dict[str, Any]) -> str:
        """The deferred release; raises (→ the task is retried) while seats.io is unavailable."""
        seats = [str(s) for s in payload.get("seats") or []]
        freed = self.release(
            str(payload.get("orgId") or ""),
            str(payload.get("eventId") or ""),
            seats,
            str(payload.get("orderId") or ""),
        )
        return f"released {freed}"
