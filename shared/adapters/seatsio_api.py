"""seats.io through its official SDK (`seatsio`): org workspaces (seats.io's successor of
sub-accounts), events, hold tokens and seat status changes.

Every failure becomes a DomainError with a stable code: a seat booked or held by someone else →
CONFLICT "That seat is no longer available"; seats.io unreachable, slow or failing → UPSTREAM_FAILED.
Keys are never logged: the SDK puts them in the Authorization header only, and our log lines
carry event keys and seat labels, nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import seatsio
from seatsio.exceptions import SeatsioException

from shared.domain.seating import SEAT_TAKEN, SeatingEventMissingError, SeatState, WorkspaceKeys
from shared.errors import DomainError, ErrorCode
from shared.settings import Settings

log = logging.getLogger("sellout.seatsio")

T = TypeVar("T")

TIMEOUT_SECONDS = 8  # a checkout waits on this; the function's own deadline is longer
MAX_RATE_LIMIT_RETRIES = 1  # the SDK sleeps between 429 retries: keep a buyer's wait short
DEFAULT_REGION = "na"  # where the original's sub-accounts live
# seats.io error codes meaning "someone else has (some of) these seats" or "your hold is gone".
TAKEN_CODES = {"ILLEGAL_STATUS_CHANGE", "HOLD_TOKEN_EXPIRED", "HOLD_TOKEN_NOT_FOUND", "INVALID_HOLD_TOKEN"}
NOT_FOUND_CODES = {"EVENT_NOT_FOUND"}


def _codes(error: SeatsioException) -> set[str]:
    return {str(e.get("code")) for e in (error.errors or []) if isinstance(e, dict)}


class SeatsioApi:
    def __init__(self, settings: Settings) -> None:
        self.base_url = settings.seatsio_api_base or seatsio.Region.url_for_id(DEFAULT_REGION)
        self.company_key = settings.seatsio_secret_key.get_secret_value()
        self._clients: dict[str, Any] = {}

    def _client(self, secret_key: str) -> Any:
        """One SDK client per key (it is a thin holder of the key and base URL)."""
        client = self._clients.get(secret_key)
        if client is None:
            client = seatsio.Client(
                seatsio.Region(self.base_url), secret_key, max_retries=MAX_RATE_LIMIT_RETRIES
            )
            client.http_client.timeout = TIMEOUT_SECONDS
            self._clients[secret_key] = client
        return client

    def _call(self, what: str, action: Callable[[], T]) -> T:
        try:
            return action()
        except SeatsioException as error:
            codes = _codes(error)
            if codes & NOT_FOUND_CODES:
                raise SeatingEventMissingError from None
            if codes & TAKEN_CODES:
                raise DomainError(ErrorCode.CONFLICT, SEAT_TAKEN) from None
            # No codes: seats.io did not answer (network, timeout, 5xx page) — worth a retry.
            log.warning("seats.io call failed", extra={"call": what, "codes": sorted(codes)})
            raise DomainError(
                ErrorCode.UPSTREAM_FAILED, "Seating is unavailable. Please try again."
            ) from None

    # --- company level ----------------------------------------------------------------------------

    def create_workspace(self, name: str) -> WorkspaceKeys:
        if not self.company_key:
            raise DomainError(ErrorCode.UNAVAILABLE, "Reserved seating is not configured.")
        workspace = self._call(
            "create workspace", lambda: self._client(self.company_key).workspaces.create(name)
        )
        return WorkspaceKeys(public_key=str(workspace.key), secret_key=str(workspace.secret_key))

    # --- one org's workspace (its secret key) ------------------------------------------------------

    def ensure_event(self, secret_key: str, event_key: str, chart_key: str) -> bool:
        """Create the seats.io event for `chart_key` unless it exists; True when created."""
        client = self._client(secret_key)
        try:
            existing = self._call("retrieve event", lambda: client.events.retrieve(event_key))
        except SeatingEventMissingError:
            existing = None
        if existing is not None:
            if existing.chart_key != chart_key:
                # seats.io cannot move an event to another chart; booked seats would lose meaning.
                log.warning("seated event keeps its first chart", extra={"eventKey": event_key})
            return False
        try:
            self._call("create event", lambda: client.events.create(chart_key, event_key=event_key))
        except DomainError:
            # Two saves or bookings racing: the other one created it (whatever seats.io's code
            # for a taken key, the event is there now). Otherwise the first error stands.
            try:
                self._call("retrieve event", lambda: client.events.retrieve(event_key))
            except (DomainError, SeatingEventMissingError):
                pass
            else:
                return False
            raise
        return True

    def seat_states(self, secret_key: str, event_key: str, labels: Sequence[str]) -> dict[str, SeatState]:
        client = self._client(secret_key)
        infos = self._call(
            "object infos", lambda: client.events.retrieve_object_infos(event_key, list(labels))
        )
        return {
            label: SeatState(str(info.status or "free"), str(info.order_id or ""), str(info.hold_token or ""))
            for label, info in infos.items()
        }

    def book(
        self, secret_key: str, event_key: str, labels: Sequence[str], hold_token: str, order_id: str
    ) -> None:
        """Book all of `labels` or none (seats.io applies a status change atomically)."""
        client = self._client(secret_key)
        self._call(
            "book",
            lambda: client.events.book(
                event_key, list(labels), hold_token=hold_token or None, order_id=order_id
            ),
        )

    def release(self, secret_key: str, event_key: str, labels: Sequence[str]) -> None:
        client = self._client(secret_key)
        self._call("release", lambda: client.events.release(event_key, list(labels)))

    def extend_hold_token(self, secret_key: str, hold_token: str, minutes: int) -> None:
        client = self._client(secret_key)
        self._call("extend hold token", lambda: client.hold_tokens.expire_in_minutes(hold_token, minutes))
