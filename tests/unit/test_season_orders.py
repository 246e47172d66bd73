"""Season orders (R-T3-2): the hidden child orders, their refusal before money moves, and how a
refund or cancellation of the season order reaches them; delivery and receipt rules."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain import refund_rules, season_email, season_orders
from shared.domain.delivery_schedule import plan_order_delivery, wants_delivery
from shared.domain.models import (
    Event,
    EventSchedule,
    EventUpgrade,
    Order,
    OrderTicket,
    OrderUpgrade,
    Payment,
    Season,
    TicketTier,
    TicketType,
)
from shared.errors import DomainError, ErrorCode
from shared.services.mailer import EmailRenderer

NOW = 1_900_000_000
DAY = 86400


def ticket_type(name: str, *, type_id: str = "", day_ids: list[str] | None = None) -> TicketType:
    tier = TicketTier(name="GA", price=0, totalQty=100, remainingQty=100)
    return TicketType(
        _id=type_id or f"tt-{name}", name=name, totalQty=100, remainingQty=100, tiers=[tier],
        dayIds=day_ids or [],
    )  # fmt: skip


def event(event_id: str, *, types: list[str], upgrades: tuple[str, ...] = (), **over: Any) -> Event:
    fields: dict[str, Any] = {
        "_id": event_id, "orgId": "org", "createdAt": NOW, "name": f"Show {event_id}",
        "schedule": EventSchedule(startsAt=NOW + 10 * DAY, endsAt=NOW + 10 * DAY + 3 * 3600),
        "ticketTypes": [ticket_type(n, type_id=f"{event_id}-{n}") for n in types],
        "upgrades": [EventUpgrade(_id=f"{event_id}-u-{n}", name=n, price=0, totalQty=10, remainingQty=10)
                     for n in upgrades],
        **over,
    }  # fmt: skip
    return Event.model_validate(fields)


def season(*event_ids: str) -> Season:
    return Season(_id="season-1", orgId="org", createdAt=NOW, name="Winter Season", eventIds=list(event_ids))


def parent(*names: str, upgrades: tuple[str, ...] = (), state: str = "Active") -> Order:
    payment = Payment(_id="pay", amount=5000, paymentMethodType="Card Entry")
    return Order(
        _id="parent-1", orgId="org", eventName="Winter Season", seasonId="season-1", userId="buyer",
        createdAt=NOW, createdBy="buyer", state=state,  # type: ignore[arg-type]
        tickets=[
            OrderTicket(_id=f"t{i}", name=n, ticketTypeId=f"season-{n}", ticketTierId="tier", price=2500,
                        origionalPrice=2500, paymentId=payment.id)
            for i, n in enumerate(names)
        ],
        upgrades=[OrderUpgrade(_id=f"u{i}", name=n, upgradeId=f"su-{n}", price=500, paymentId=payment.id)
                  for i, n in enumerate(upgrades)],
        payments=[payment],
    )  # fmt: skip


def test_one_hidden_free_child_per_event_with_same_named_types() -> None:
    events = {
        "e1": event("e1", types=["Adult", "Child"]),
        "e2": event("e2", types=["adult ", "Child"], schedule=EventSchedule(startsAt=NOW + 20 * DAY)),
    }
    children = season_orders.build_children(parent("Adult", "Adult"), season("e1", "e2"), events)

    assert [c.eventId for c in children] == ["e1", "e2"]
    for child in children:
        assert child.type == "Complimentary" and child.hidden and child.parentSeasonOrderId == "parent-1"
        assert child.userId == "buyer" and child.seasonId == "" and child.fees == []
        assert all(t.price == 0 and t.origionalPrice == 0 for t in child.tickets)
        assert [p.amount for p in child.payments] == [0]
    assert [t.ticketTypeId for t in children[0].tickets] == ["e1-Adult", "e1-Adult"]
    # names match without case and surrounding blanks
    assert [t.ticketTypeId for t in children[1].tickets] == ["e2-adult ", "e2-adult "]
    # R-ORD-9: one slot at each event's own start
    assert [t.scan[0].startsAt for t in children[1].tickets] == [NOW + 20 * DAY] * 2


def test_children_are_the_same_records_when_built_again() -> None:
    events = {"e1": event("e1", types=["Adult"])}
    first = season_orders.build_children(parent("Adult"), season("e1"), events)
    again = season_orders.build_children(parent("Adult"), season("e1"), events)
    assert [c.doc() for c in first] == [c.doc() for c in again]


def test_multi_day_event_types_get_one_slot_per_day() -> None:
    days = [str(NOW + DAY), str(NOW + 2 * DAY)]
    e1 = event("e1", types=[])
    e1.ticketTypes = [ticket_type("Adult", type_id="e1-Adult", day_ids=days)]
    (child,) = season_orders.build_children(parent("Adult"), season("e1"), {"e1": e1})
    assert [s.startsAt for s in child.tickets[0].scan] == [int(d) for d in days]


def test_event_without_a_same_named_ticket_type_refuses_the_season() -> None:
    events = {"e1": event("e1", types=["Adult"]), "e2": event("e2", types=["Grown-up"])}
    with pytest.raises(DomainError) as error:
        season_orders.build_children(parent("Adult"), season("e1", "e2"), events)
    assert error.value.code == ErrorCode.CONFLICT
    assert "Show e2" in error.value.message and '"Adult"' in error.value.message


def test_add_ons_need_a_same_named_add_on_at_every_event() -> None:
    events = {"e1": event("e1", types=["Adult"], upgrades=("Parking",)), "e2": event("e2", types=["Adult"])}
    with pytest.raises(DomainError, match="Parking"):
        season_orders.build_children(parent("Adult", upgrades=("Parking",)), season("e1", "e2"), events)
    (child,) = season_orders.build_children(parent("Adult", upgrades=("Parking",)), season("e1"), events)
    assert [(u.upgradeId, u.price) for u in child.upgrades] == [("e1-u-Parking", 0)]


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ({}, "no longer available"),
        ({"e1": event("e1", types=["Adult"], active=False)}, "no longer available"),
        ({"e1": event("e1", types=["Adult"], orgId="other")}, "no longer available"),
        ({"e1": event("e1", types=["Adult"], cancel=True)}, "cancelled"),
    ],
)
def test_a_season_with_an_event_that_cannot_admit_is_refused(events: dict[str, Event], message: str) -> None:
    with pytest.raises(DomainError, match=message):
        season_orders.build_children(parent("Adult"), season("e1"), events)


def test_a_season_order_too_large_for_its_reservation_document_is_refused_before_money() -> None:
    ids = [f"e{i}" for i in range(150)]
    events = {i: event(i, types=["Adult"]) for i in ids}
    many = season(*ids)

    assert len(season_orders.build_children(parent(*["Adult"] * 2), many, events)) == 150
    with pytest.raises(DomainError) as refused:
        season_orders.build_children(parent(*["Adult"] * 10), many, events)
    assert (refused.value.code, refused.value.message) == (ErrorCode.LIMIT_EXCEEDED, season_orders.TOO_LARGE)


def test_a_season_without_events_is_refused() -> None:
    with pytest.raises(DomainError, match="no events"):
        season_orders.build_children(parent("Adult"), season(), {})


def _children(order: Order) -> list[Order]:
    events = {e: event(e, types=["Adult"], upgrades=("Parking",)) for e in ("e1", "e2")}
    return season_orders.build_children(order, season("e1", "e2"), events)


def test_a_partial_refund_of_the_parent_refunds_the_same_ticket_of_each_child_for_nothing() -> None:
    order = parent("Adult", "Adult", upgrades=("Parking",))
    children = _children(order)
    plan = refund_rules.plan_refund(
        order, ["t0"], [], processing_fee=False, promoter_fee=False, reason="sick", per_order_discount=False
    )
    refund_rules.apply_plan(order, plan, by="clerk", at=NOW)

    for child in children:
        tickets, upgrades = season_orders.mirror_parent(order, child)
        assert tickets == [season_orders.child_item_id("t0", child.eventId)] and upgrades == []
        assert [t.state for t in child.tickets] == ["Canceled", "Active"]
        assert child.tickets[0].refund.refunded and child.tickets[0].refund.refundedAmount == 0
        assert child.tickets[0].refund.refundReason == "sick"
        assert child.state == "Partial Refund" and child.refundedAmount == 0
        assert season_orders.mirror_parent(order, child) == ([], [])  # idempotent


def test_a_full_refund_or_a_cancel_of_the_parent_ends_every_child() -> None:
    refunded = parent("Adult", upgrades=("Parking",))
    plan = refund_rules.plan_refund(
        refunded, ["t0"], ["u0"], processing_fee=True, promoter_fee=True, reason="", per_order_discount=False
    )
    refund_rules.apply_plan(refunded, plan, by="clerk", at=NOW)
    cancelled = parent("Adult", upgrades=("Parking",))
    refund_rules.apply_cancel(cancelled, [], [], reason="moved")

    for order, state in ((refunded, "Refunded"), (cancelled, "Canceled")):
        for child in _children(parent("Adult", upgrades=("Parking",))):
            season_orders.mirror_parent(order, child)
            assert child.state == state
            assert {t.state for t in child.tickets} | {u.state for u in child.upgrades} == {"Canceled"}
            assert child.tickets[0].refund.refunded is (state == "Refunded")


def test_a_parent_change_never_revives_a_child_cancelled_on_its_own() -> None:
    order = parent("Adult", "Adult")
    (child, _) = _children(order)
    refund_rules.apply_cancel(child, [], [], reason="staff")
    refund_rules.apply_cancel(order, ["t0"], [], reason="one less")
    assert season_orders.mirror_parent(order, child) == ([], [])
    assert child.state == "Canceled" and child.cancelReason == "staff"


def test_children_are_delivered_without_a_receipt_of_their_own() -> None:
    order = parent("Adult")
    day_of_show = event("e1", types=["Adult"], sendQRCode="Day of Show")
    (child,) = season_orders.build_children(order, season("e1"), {"e1": day_of_show})

    assert wants_delivery(child)
    assert not wants_delivery(child.model_copy(update={"parentSeasonOrderId": ""}))  # other hidden orders
    plan = plan_order_delivery(child, day_of_show, NOW)
    assert not plan.send_receipt_now and [d.task_type for d in plan.deliveries] == ["SendOrderQrCodeEmail"]


def test_season_receipt_lists_the_events_and_the_season_totals() -> None:
    order = parent("Adult")
    events = [event("e1", types=["Adult"]), event("e2", types=["Adult"], sendQRCode="Day of Show")]
    context = season_email.season_receipt_context(
        order=order, season=season("e1", "e2"), shows=[(e, None) for e in events], venue=None, org=None,
        buyer=None,
    )  # fmt: skip
    html, text = EmailRenderer().render(season_email.TEMPLATE, context)

    assert context["subject"] == "[TICKET ARRIVAL] Winter Season tickets"
    for output in (html, text):
        assert "Show e1" in output and "Show e2" in output and "parent-1" in output and "$50.00" in output
