"""Break-apart printing (SPEC R-QR-8): which codes are missing, and the service's rules —
BOX_OFFICE of each order's org, a batch checked whole before anything is issued, nothing issued
twice, refunded and cancelled items left alone."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.models import Event, Order, OrderTicket, OrderUpgrade, Role, User
from shared.domain.permissions import Principal
from shared.domain.qr_plans import MAX_BATCH, CodePlan, all_codes, batch_keys, missing_codes
from shared.errors import DomainError, ErrorCode
from shared.services.printing import BreakApartService

T0 = 1_900_000_000


def ticket(tid: str, *, state: str = "Active", url: str = "") -> OrderTicket:
    fields = {"name": "GA", "ticketTypeId": "tt", "ticketTierId": "t", "price": 100, "origionalPrice": 100}
    return OrderTicket.model_validate({"_id": tid, **fields, "state": state, "qrCodeUrl": url})


def upgrade(uid: str, *, state: str = "Active", url: str = "") -> OrderUpgrade:
    return OrderUpgrade.model_validate(
        {"_id": uid, "name": "Parking", "upgradeId": "u", "price": 100, "state": state, "qrCodeUrl": url}
    )


def order(
    oid: str = "o1", *, org: str = "org", secret: str = "s" * 72, url: str = "", **fields: Any
) -> Order:
    data: dict[str, Any] = {"_id": oid, "orgId": org, "eventId": "e1", "eventName": "Show", "createdAt": T0,
                            "createdBy": "clerk", "secretId": secret, "qrCodeUrl": url, **fields}  # fmt: skip
    return Order.model_validate(data)


# --- which codes -----------------------------------------------------------------------------


def test_a_fresh_order_misses_its_own_code_and_every_live_items_code() -> None:
    o = order(tickets=[ticket("t1"), ticket("t2")], upgrades=[upgrade("u1")])
    assert missing_codes(o) == CodePlan(order_code=True, ticket_ids=("t1", "t2"), upgrade_ids=("u1",))


def test_refunded_and_cancelled_items_get_no_code() -> None:
    o = order(
        tickets=[ticket("t1"), ticket("t2", state="Canceled")], upgrades=[upgrade("u1", state="Canceled")]
    )
    plan = missing_codes(o)
    assert plan.ticket_ids == ("t1",) and plan.upgrade_ids == ()
    assert all_codes(o).ticket_ids == ("t1",) and all_codes(o).upgrade_ids == ()


def test_items_that_already_have_a_code_are_not_issued_again() -> None:
    o = order(url="https://x/o", tickets=[ticket("t1", url="https://x/t1"), ticket("t2")],
              upgrades=[upgrade("u1", url="https://x/u1")])  # fmt: skip
    assert missing_codes(o) == CodePlan(order_code=False, ticket_ids=("t2",), upgrade_ids=())


def test_a_fully_issued_order_needs_nothing() -> None:
    o = order(
        url="https://x/o", tickets=[ticket("t1", url="https://x/t1")], upgrades=[upgrade("u1", url="u")]
    )
    assert missing_codes(o).empty


def test_an_order_with_nothing_live_gets_nothing_not_even_its_own_code() -> None:
    o = order(
        state="Refunded", tickets=[ticket("t1", state="Canceled")], upgrades=[upgrade("u1", state="Canceled")]
    )
    assert missing_codes(o).empty


def test_without_a_secret_stored_urls_are_not_trusted_and_everything_live_is_issued() -> None:
    o = order(secret="", url="https://x/o", tickets=[ticket("t1", url="https://x/t1")])
    assert missing_codes(o) == CodePlan(order_code=True, ticket_ids=("t1",), upgrade_ids=())


def test_batch_keys_drop_blanks_and_repeats_and_are_bounded() -> None:
    assert batch_keys(["a", None, " ", "b", "a", " b "]) == ["a", "b"]
    with pytest.raises(DomainError) as empty:
        batch_keys([None, ""])
    assert empty.value.code == ErrorCode.INVALID_INPUT and empty.value.fields == ["orderId"]
    batch_keys([f"o{i}" for i in range(MAX_BATCH)])
    with pytest.raises(DomainError):
        batch_keys([f"o{i}" for i in range(MAX_BATCH + 1)])


# --- the service -----------------------------------------------------------------------------


class FakeOrders:
    def __init__(self, *orders: Order) -> None:
        self.by_id = {o.id: o for o in orders}

    def by_id_or_secret(self, key: str) -> Order | None:
        return self.by_id.get(key) or next((o for o in self.by_id.values() if o.secretId == key), None)


class FakeEvents:
    def __init__(self, *events: Event) -> None:
        self.items = {e.id: e for e in events}

    def get_many(self, ids: Any) -> dict[str, Event]:
        return {i: self.items[i] for i in ids if i in self.items}


class Recorder:
    """issue_codes and mark_printed: what they were asked, applied to the fake store."""

    def __init__(self, orders: FakeOrders) -> None:
        self.orders = orders
        self.issued: list[tuple[str, CodePlan]] = []
        self.printed: list[str] = []

    def issue_codes(self, order: Order, event: Event, plan: CodePlan) -> Order:
        if plan.empty:
            return order
        self.issued.append((order.id, plan))
        tickets = [t.model_copy(update={"qrCodeUrl": f"u/{t.id}"}) if t.id in plan.ticket_ids else t
                   for t in order.tickets]  # fmt: skip
        upgrades = [u.model_copy(update={"qrCodeUrl": f"u/{u.id}"}) if u.id in plan.upgrade_ids else u
                    for u in order.upgrades]  # fmt: skip
        updated = order.model_copy(update={"tickets": tickets, "upgrades": upgrades,
                                           "qrCodeUrl": order.qrCodeUrl or "u/order"})  # fmt: skip
        self.orders.by_id[order.id] = updated
        return updated

    def mark_printed(self, order_id: str) -> None:
        self.printed.append(order_id)
        self.orders.by_id[order_id] = self.orders.by_id[order_id].model_copy(update={"printed": True})


def staff(role: str | None, org: str = "org") -> Principal:
    user = User(createdAt=T0)
    roles = [Role(orgId=org, userId=user.id, userEmail="s@example.com", role=role, createdAt=T0,  # type: ignore[arg-type]
                  createdBy="x", acceptedAt=T0)] if role else []  # fmt: skip
    return Principal(user=user, token="t", claims={}, roles_loader=lambda _: roles)


def service(*orders: Order) -> tuple[BreakApartService, Recorder]:
    store = FakeOrders(*orders)
    recorder = Recorder(store)
    events = FakeEvents(Event(_id="e1", orgId="org", createdAt=T0))
    return BreakApartService(store, events, recorder.issue_codes, recorder), recorder  # type: ignore[arg-type]


def test_break_apart_issues_the_missing_codes_once() -> None:
    svc, rec = service(
        order(tickets=[ticket("t1"), ticket("t2", state="Canceled")], upgrades=[upgrade("u1")])
    )
    first = svc.break_apart(staff("BOX_OFFICE"), "o1")
    assert [t.qrCodeUrl for t in first.tickets] == ["u/t1", ""] and first.upgrades[0].qrCodeUrl == "u/u1"
    again = svc.break_apart(staff("BOX_OFFICE"), "o1")
    assert again == first
    assert rec.issued == [("o1", CodePlan(order_code=True, ticket_ids=("t1",), upgrade_ids=("u1",)))]


def test_an_order_can_be_named_by_its_secret_and_counts_once() -> None:
    svc, _ = service(order(tickets=[ticket("t1")]))
    result = svc.break_apart_many(staff("BOX_OFFICE"), ["o1", "s" * 72])
    assert [o.id for o in result] == ["o1"]


@pytest.mark.parametrize("role", [None, "SCANNER"])
def test_below_box_office_is_refused_and_nothing_is_issued(role: str | None) -> None:
    svc, rec = service(order(tickets=[ticket("t1")]))
    with pytest.raises(DomainError) as refused:
        svc.break_apart(staff(role), "o1")
    assert refused.value.code == ErrorCode.FORBIDDEN and rec.issued == []


def test_anonymous_callers_are_asked_to_sign_in_before_learning_whether_an_order_exists() -> None:
    svc, _ = service()
    with pytest.raises(DomainError) as refused:
        svc.break_apart(None, "nope")
    assert refused.value.code == ErrorCode.UNAUTHENTICATED


def test_a_batch_with_one_bad_order_changes_no_order() -> None:
    ours = order("o1", tickets=[ticket("t1")])
    theirs = order("o2", org="other", secret="x" * 72, tickets=[ticket("t2")])
    svc, rec = service(ours, theirs)
    for ids, code in ((["o1", "missing"], ErrorCode.NOT_FOUND), (["o1", "o2"], ErrorCode.FORBIDDEN)):
        with pytest.raises(DomainError) as refused:
            svc.break_apart_many(staff("BOX_OFFICE"), ids, printed=True)
        assert refused.value.code == code
    assert rec.issued == [] and rec.printed == []


def test_an_order_whose_event_is_gone_is_not_found() -> None:
    svc, rec = service(order(eventId="gone", tickets=[ticket("t1")]))
    with pytest.raises(DomainError) as refused:
        svc.break_apart(staff("BOX_OFFICE"), "o1")
    assert refused.value.code == ErrorCode.NOT_FOUND and rec.issued == []


def test_batch_print_marks_live_orders_printed_once_and_leaves_dead_ones_alone() -> None:
    live = order("o1", tickets=[ticket("t1")])
    dead = order("o2", secret="y" * 72, state="Refunded", tickets=[ticket("t2", state="Canceled")])
    svc, rec = service(live, dead)
    result = svc.break_apart_many(staff("ADMIN"), ["o1", "o2"], printed=True)
    assert [(o.id, o.printed) for o in result] == [("o1", True), ("o2", False)]
    svc.break_apart_many(staff("ADMIN"), ["o1", "o2"], printed=True)
    assert rec.printed == ["o1"] and [i for i, _ in rec.issued] == ["o1"]


def test_multiple_break_apart_does_not_mark_printed() -> None:
    svc, rec = service(order(tickets=[ticket("t1")]))
    assert not svc.break_apart_many(staff("BOX_OFFICE"), ["o1"])[0].printed
    assert rec.printed == []
