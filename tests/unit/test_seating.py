"""Reserved seating rules and the seating service's booking and release logic, with a fake
seats.io (no I/O): keys hidden below ADMIN (D-5), seat selection (R-ORD-6), event keys (SPEC 2.2),
idempotent booking by order id, release of only this order's seats, deferred release."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from shared.domain.models import Event, Organization, Role, TicketTier, TicketType, User
from shared.domain.order_builder import CodeUses, OrderRequest, RequestedTicket, build_order
from shared.domain.permissions import Principal
from shared.domain.seating import (
    Seating,
    SeatingEventMissingError,
    SeatState,
    WorkspaceKeys,
    event_key,
    require_hold_token,
    view,
)
from shared.errors import DomainError, ErrorCode
from shared.services.seating import SeatingService

NOW = 1_700_000_000


def principal(role: str | None, org: str = "org1") -> Principal:
    user = User(createdAt=NOW, orgContextId=org)
    roles = [Role(orgId=org, userId=user.id, userEmail="s@example.com", role=role, createdAt=NOW,  # type: ignore[arg-type]
                  createdBy="x", acceptedAt=NOW)] if role else []  # fmt: skip
    return Principal(user=user, token="t", claims={}, roles_loader=lambda _: roles)


RECORD = Seating(_id="org1", orgId="org1", publicKey="pub", secretKey="sec", designerKey="des", createdAt=NOW)


# --- keys (R-SEAT-5, D-5) ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [None, "USER", "SCANNER", "BOX_OFFICE"])
def test_the_secret_and_designer_keys_are_hidden_below_admin(role: str | None) -> None:
    shown = view(RECORD, principal(role) if role else None)
    assert shown == {"publicKey": "pub", "secretKey": None, "designerKey": None}


@pytest.mark.parametrize("role", ["ADMIN", "OWNER"])
def test_admins_of_the_org_see_every_key(role: str) -> None:
    assert view(RECORD, principal(role)) == {"publicKey": "pub", "secretKey": "sec", "designerKey": "des"}


def test_an_admin_of_another_org_does_not_see_the_secret() -> None:
    assert view(RECORD, principal("OWNER", org="other"))["secretKey"] is None  # type: ignore[index]


def test_a_super_user_sees_every_key() -> None:
    assert view(RECORD, principal("SUPER_USER", org="platform"))["secretKey"] == "sec"  # type: ignore[index]


# --- event key (SPEC 2.2) -----------------------------------------------------------------------------


def test_the_seatsio_event_key_replaces_every_underscore_with_samh() -> None:
    assert event_key("ab_c_d") == "abSAMHcSAMHd"
    assert event_key("plain") == "plain"


# --- seat selection (R-ORD-6) -------------------------------------------------------------------------


def seated_event(chart: str = "chart-1") -> Event:
    tier = TicketTier(_id="tier", name="Tier", price=1000, totalQty=10, remainingQty=10)
    ticket_type = TicketType(_id="GA", name="GA", totalQty=10, remainingQty=10, tiers=[tier])
    return Event(_id="e1", orgId="o1", createdAt=1, ticketTypes=[ticket_type], seatingChartKey=chart)


def order_for(event: Event, *seats: str) -> Any:
    request = OrderRequest(
        event_id=event.id, org_id="o1", payment_method="Card Entry",
        tickets=tuple(RequestedTicket("GA", seat=s) for s in seats),
    )  # fmt: skip
    return build_order(event, [], request, caller_level=0, uses=CodeUses(), now=NOW)


def test_every_ticket_of_a_seated_event_needs_a_seat() -> None:
    with pytest.raises(DomainError) as caught:
        order_for(seated_event(), "A-1", "")
    assert caught.value.code == ErrorCode.REFUSED  # shown to the buyer as is
    assert "select seats for all tickets" in caught.value.message
    assert caught.value.fields == ["tickets"]


def test_one_seat_cannot_be_sold_twice_in_one_order() -> None:
    with pytest.raises(DomainError) as caught:
        order_for(seated_event(), "A-1", "A-1")
    assert caught.value.code == ErrorCode.REFUSED


def test_seats_are_kept_on_the_tickets_and_general_admission_needs_none() -> None:
    priced = order_for(seated_event(), "A-1", "A-2")
    assert [t.seat for t in priced.order.tickets] == ["A-1", "A-2"]
    assert order_for(seated_event(chart=""), "", "").order.tickets[0].seat == ""


def test_a_seated_order_without_a_hold_token_timed_out() -> None:
    with pytest.raises(DomainError) as caught:
        require_hold_token("chart-1", "")
    assert caught.value.fields == ["holdToken"]
    require_hold_token("chart-1", "token")
    require_hold_token("", "")  # general admission needs none


# --- the service with a fake seats.io ------------------------------------------------------------------


class FakeSeatsio:
    """Seat states per event key, with seats.io's rules: booking anything not free fails."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, SeatState]] = {}
        self.down = False
        self.calls: list[str] = []
        self.workspaces = 0

    def _check(self, call: str) -> None:
        self.calls.append(call)
        if self.down:
            raise DomainError(ErrorCode.UPSTREAM_FAILED, "Seating is unavailable.")

    def create_workspace(self, name: str) -> WorkspaceKeys:
        self._check("workspace")
        self.workspaces += 1
        return WorkspaceKeys(f"pub{self.workspaces}", f"sec{self.workspaces}")

    def ensure_event(self, secret_key: str, key: str, chart_key: str) -> bool:
        self._check("ensure_event")
        created = key not in self.events
        self.events.setdefault(key, {})
        return created

    def seat_states(self, secret_key: str, key: str, labels: Sequence[str]) -> dict[str, SeatState]:
        self._check("states")
        if key not in self.events:
            raise SeatingEventMissingError
        return {label: self.events[key].get(label, SeatState("free")) for label in labels}

    def book(self, secret_key: str, key: str, labels: Sequence[str], hold_token: str, order_id: str) -> None:
        self._check("book")
        if any(self.events[key].get(label, SeatState("free")).status != "free" for label in labels):
            raise DomainError(ErrorCode.CONFLICT, "That seat is no longer available")
        for label in labels:
            self.events[key][label] = SeatState("booked", order_id)

    def release(self, secret_key: str, key: str, labels: Sequence[str]) -> None:
        self._check("release")
        for label in labels:
            self.events[key].pop(label)

    def extend_hold_token(self, secret_key: str, hold_token: str, minutes: int) -> None:
        self._check("extend")
        if hold_token != "live":
            raise DomainError(ErrorCode.CONFLICT, "That seat is no longer available")


class FakeRecords:
    def __init__(self, *records: Seating) -> None:
        self.items = {r.id: r for r in records}

    def get(self, item_id: str) -> Seating | None:
        return self.items.get(item_id)

    def get_many(self, item_ids: Any) -> dict[str, Seating]:
        return {i: self.items[i] for i in item_ids if i in self.items}

    def create(self, item: Seating) -> Seating:
        if item.id in self.items:
            raise DomainError(ErrorCode.CONFLICT, "That record already exists.")
        self.items[item.id] = item
        return item


class FakeOrgs:
    def get(self, item_id: str) -> Organization | None:
        return Organization(_id=item_id, userId="u", createdAt=NOW, orgName="Org") if item_id else None


class FakeTasks:
    def __init__(self) -> None:
        self.enqueued: list[tuple[str, str, dict[str, Any], str, str | None]] = []

    def enqueue(self, queue: str, function: str, payload: dict[str, Any], *, path: str = "/",
                key: str | None = None, run_at: int | None = None) -> str:  # fmt: skip
        self.enqueued.append((queue, function, payload, path, key))
        return "task"


def service(*records: Seating) -> tuple[SeatingService, FakeSeatsio, FakeTasks]:
    api, tasks = FakeSeatsio(), FakeTasks()
    return (
        SeatingService(FakeRecords(*records), FakeOrgs(), lambda: api, tasks, clock=lambda: NOW),
        api,
        tasks,
    )


def book(seating: SeatingService, labels: list[str], order_id: str) -> None:
    seating.book("org1", "e_1", labels, chart_key="chart", order_id=order_id, hold_token="tok")


def test_booking_creates_a_missing_seatsio_event_and_books_for_the_order() -> None:
    seating, api, _ = service(RECORD)
    book(seating, ["A-1", "A-2"], "o1")
    assert api.events["eSAMH1"] == {"A-1": SeatState("booked", "o1"), "A-2": SeatState("booked", "o1")}


def test_booking_the_same_order_again_is_a_no_op() -> None:
    seating, api, _ = service(RECORD)
    book(seating, ["A-1"], "o1")
    api.calls.clear()
    book(seating, ["A-1"], "o1")
    assert api.calls == ["states"]  # seen booked for this order: nothing booked twice


def test_a_seat_booked_by_another_order_is_a_conflict() -> None:
    seating, _, _ = service(RECORD)
    book(seating, ["A-1"], "o1")
    with pytest.raises(DomainError) as caught:
        book(seating, ["A-2", "A-1"], "o2")
    assert caught.value.code == ErrorCode.CONFLICT
    assert caught.value.message == "That seat is no longer available"


def test_booking_needs_the_orgs_seating() -> None:
    seating, _, _ = service()
    with pytest.raises(DomainError) as caught:
        book(seating, ["A-1"], "o1")
    assert caught.value.code == ErrorCode.CONFLICT


def test_release_frees_only_the_seats_still_booked_for_that_order() -> None:
    seating, api, _ = service(RECORD)
    book(seating, ["A-1"], "o1")
    book(seating, ["A-2"], "o2")
    assert seating.release("org1", "e_1", ["A-1", "A-2"], "o1") == 1
    assert api.events["eSAMH1"] == {"A-2": SeatState("booked", "o2")}
    assert seating.release("org1", "e_1", ["A-1"], "o1") == 0  # again: nothing left to free


def test_a_release_while_seatsio_is_down_is_deferred_to_a_task() -> None:
    seating, api, tasks = service(RECORD)
    book(seating, ["A-1"], "o1")
    api.down = True
    seating.release_or_retry("org1", "e_1", ["A-1"], "o1")
    ((queue, function, payload, path, key),) = tasks.enqueued
    assert (queue, function, path) == ("reservations", "checkout", "/tasks/release-seats")
    assert payload == {"orgId": "org1", "eventId": "e_1", "orderId": "o1", "seats": ["A-1"]}
    assert key
    api.down = False
    assert seating.run_release_task(payload) == "released 1"
    assert api.events["eSAMH1"] == {}


def test_the_deferred_release_raises_while_seatsio_is_still_down() -> None:
    seating, api, _ = service(RECORD)
    book(seating, ["A-1"], "o1")
    api.down = True
    with pytest.raises(DomainError) as caught:
        seating.run_release_task({"orgId": "org1", "eventId": "e_1", "orderId": "o1", "seats": ["A-1"]})
    assert caught.value.code == ErrorCode.UPSTREAM_FAILED  # → 5xx → Cloud Tasks retries


def test_a_seated_event_save_creates_the_seating_and_the_seatsio_event() -> None:
    seating, api, _ = service()
    seating.event_saved(seated_event().model_copy(update={"orgId": "org2", "id": "ev_9"}))
    assert seating.records.get("org2") is not None
    assert "evSAMH9" in api.events
    api.calls.clear()
    seating.event_saved(seated_event(chart="").model_copy(update={"orgId": "org2"}))
    assert api.calls == []  # general admission: nothing on seats.io


def test_a_failed_event_save_hook_does_not_fail_the_save() -> None:
    seating, api, _ = service(RECORD)
    api.down = True
    seating.event_saved(seated_event().model_copy(update={"orgId": "org1"}))  # logs, no raise


def test_creating_the_seating_twice_keeps_the_first_keys() -> None:
    seating, api, _ = service()
    first = seating.create_organization_seating(principal("SUPER_USER", org="platform"), "org3")
    again = seating.create_organization_seating(principal("SUPER_USER", org="platform"), "org3")
    assert first == again
    assert api.workspaces == 1


def test_only_a_super_user_creates_an_orgs_seating() -> None:
    seating, _, _ = service()
    with pytest.raises(DomainError) as caught:
        seating.create_organization_seating(principal("OWNER", org="org3"), "org3")
    assert caught.value.code == ErrorCode.FORBIDDEN


def test_extending_a_hold_token_answers_whether_it_still_holds() -> None:
    seating, _, _ = service(RECORD)
    assert seating.extend_hold_token("org1", "live") is True
    assert seating.extend_hold_token("org1", "gone") is False


def test_no_key_is_ever_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    seating, api, _ = service()
    seating.create_organization_seating(principal("SUPER_USER", org="platform"), "org1")
    seating.event_saved(seated_event().model_copy(update={"orgId": "org1"}))
    seating.book("org1", "e1", ["A-1"], chart_key="chart", order_id="o1", hold_token="tok")
    api.down = True
    seating.release_or_retry("org1", "e1", ["A-1"], "o1")
    seating.event_saved(seated_event().model_copy(update={"orgId": "org1"}))
    assert caplog.records  # something was logged: the check below is not vacuous
    logged = " ".join(str(value) for record in caplog.records for value in vars(record).values())
    assert "sec1" not in logged and "pub1" not in logged
