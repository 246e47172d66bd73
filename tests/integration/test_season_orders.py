"""Season orders (R-T3-2) through GraphQL over HTTP on the emulators and the local Stripe: the
season's price, fees and stock; one hidden child order per event, written with the parent and
scanned at each event's door; refunds reaching the children; who may do what."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.cloud.firestore_v1.base_query import FieldFilter

from shared.bootstrap import services
from shared.domain import season_orders
from shared.domain.models import (
    Event,
    EventSchedule,
    Fee,
    Order,
    Organization,
    Season,
    TicketTier,
    TicketType,
)
from tests.integration.api import Caller, data_of, error_of, new_user, staff_of, wait_for
from tests.integration.checkout_fixtures import DAY, clerk, connected_org, on_sale_event, stripe_client
from tests.integration.inbox import with_subject

PASS = "Season Pass"
ORDER_FIELDS = """_id state type channel seasonId eventId hidden parentSeasonOrderId
  tickets { _id name price state } payments { amount feeAmount paymentIntentId paymentMethodType }"""
START = """mutation($p: OrderSeasonPaymentIntentInput!) {
  createSeasonOrderPaymentIntent(params: $p) { paymentIntentId clientSecret } }"""
CREATE = f"""mutation($p: OrderSeasonInput!) {{ createSeasonOrder(params: $p) {{ {ORDER_FIELDS} }} }}"""
CREATE_EVENT_ORDER = """mutation($p: OrderInput!) { createOrder(params: $p) { _id } }"""
SCAN = """mutation($o: String!) { scanOrder(orderId: $o, ticketIds: [], upgradeIds: []) }"""
REFUND = """mutation($o: String!, $t: [String], $pf: Boolean, $mf: Boolean) {
  refundOrder(orderId: $o, ticketIds: $t, processingFee: $pf, promoterFee: $mf) { _id state } }"""
CANCEL = """mutation($o: String!) { cancelOrder(orderId: $o, ticketIds: [], upgradeIds: []) { state } }"""
RECEIPT = """mutation($o: String!) { sendSeasonOrderReceiptEmail(orderId: $o) }"""
BREAK_APART = """mutation($o: String!) { breakApartSeasonOrder(orderId: $o) {
  _id eventId hidden tickets { _id qrCodeUrl } } }"""
MULTIPLE_BREAK_APART = """mutation($o: [String]!) { multipleBreakApartSeasonOrder(orderId: $o) { _id } }"""


def event_with_pass(org: Organization, name: str, starts_in: int) -> Event:
    """An event of the season: its own GA tickets and a same-named `Season Pass` type."""
    event = on_sale_event(org, name=name)
    now = int(time.time())
    tier = TicketTier(name="Holders", price=0, totalQty=500, remainingQty=500)
    passes = TicketType(name=PASS, totalQty=500, remainingQty=500, tiers=[tier], visible=False)
    event = event.model_copy(
        update={
            "ticketTypes": [*event.ticketTypes, passes],
            "schedule": EventSchedule(announceAt=now - 60, ticketsAt=now - 60, ticketsEndAt=now + starts_in,
                                      startsAt=now + starts_in, endsAt=now + starts_in + 3 * 3600),
        }
    )  # fmt: skip
    services().store.events.save(event)
    return event


def make_season(
    org: Organization, events: list[Event], *, capacity: int = 50, price: int = 5000, type_name: str = PASS,
    promotions: list[dict[str, Any]] | None = None,
) -> Season:  # fmt: skip
    now = int(time.time())
    tier = TicketTier(name="Full season", price=price, totalQty=capacity, remainingQty=capacity)
    season = Season.model_validate({
        "orgId": org.id, "createdAt": now, "name": "Winter Series", "published": True,
        "eventIds": [e.id for e in events], "numberOfEvent": len(events),
        "ticketTypes": [TicketType(name=type_name, totalQty=capacity, remainingQty=capacity,
                                   tiers=[tier]).doc()],
        "schedule": EventSchedule(announceAt=now - 60, ticketsAt=now - 60, ticketsEndAt=now + 30 * DAY,
                                  startsAt=now + DAY, endsAt=now + 30 * DAY).doc(),
        "promotions": promotions or [],
    })  # fmt: skip
    season = services().seasons.listings.writer.create(season)
    for name, kind, applied_to, applied_by, value in (
        ("Service fee", "Flat", "Ticket", "Organization", 150),
        ("Sellout fee", "Flat", "Order", "Sellout", 100),
    ):
        services().store.fees.save(Fee.model_validate({
            "name": name, "orgId": org.id, "seasonId": season.id, "type": kind, "value": value,
            "appliedTo": applied_to, "appliedBy": applied_by,
            "createdBy": "t", "createdAt": now, "updatedBy": "t", "updatedAt": now,
        }))  # fmt: skip
    return season


def world(**season_fields: Any) -> tuple[Organization, Season, list[Event]]:
    org = connected_org("Season Presents")
    events = [event_with_pass(org, "Opening Night", 2 * DAY), event_with_pass(org, "Closing Night", 9 * DAY)]
    return org, make_season(org, events, **season_fields), events


def passes(season: Season, count: int) -> list[dict[str, Any]]:
    ticket_type = season.ticketTypes[0]
    return [{"ticketTypeId": ticket_type.id, "ticketTierId": ticket_type.tiers[0].id, "price": 1}] * count


def card_params(org: Organization, season: Season, count: int = 1, **extra: Any) -> dict[str, Any]:
    return {"orgId": org.id, "seasonId": season.id, "channel": "Online", "tickets": passes(season, count),
            **extra}  # fmt: skip


def cash_params(org: Organization, season: Season, count: int = 1, **extra: Any) -> dict[str, Any]:
    return {"orgId": org.id, "seasonId": season.id, "channel": "Box Office", "paymentMethodType": "Cash",
            "type": "Paid", "tickets": passes(season, count), **extra}  # fmt: skip


def season_sold(season: Season) -> int:
    totals = services().store.inventory.taken_totals(season.id, season.inventoryShards)
    return totals.get(f"t:{season.ticketTypes[0].id}", 0)


def children_of(parent_id: str) -> list[Order]:
    found = services().store.orders.find(("parentSeasonOrderId", "==", parent_id))
    return sorted(found, key=lambda o: o.eventId)


def confirm(org: Organization, intent_id: str) -> None:
    stripe_client().v1.payment_intents.confirm(
        intent_id, params={"payment_method": "pm_card_visa"}, options={"stripe_account": org.stripeId}
    )


def card_season_order(buyer: Caller, org: Organization, season: Season, count: int = 1) -> dict[str, Any]:
    intent_id = data_of(buyer.gql(START, {"p": card_params(org, season, count)}))[
        "createSeasonOrderPaymentIntent"
    ]["paymentIntentId"]
    confirm(org, intent_id)
    order: dict[str, Any] = data_of(
        buyer.gql(CREATE, {"p": {**card_params(org, season, count), "paymentIntentId": intent_id}})
    )["createSeasonOrder"]
    return order


def test_a_card_season_order_charges_the_season_price_and_admits_at_every_event_door() -> None:
    org, season, events = world(price=5000)
    buyer = new_user()

    started = data_of(buyer.gql(START, {"p": card_params(org, season, 2)}))["createSeasonOrderPaymentIntent"]
    intent = stripe_client().v1.payment_intents.retrieve(
        started["paymentIntentId"], options={"stripe_account": org.stripeId}
    )
    # 2 x 5000 + 150 service fee per ticket (promoter) + 100 Sellout order fee, from the season's fees
    assert (intent.amount, intent.application_fee_amount, intent.capture_method) == (10400, 100, "manual")
    assert season_sold(season) == 2  # held while the buyer pays
    confirm(org, intent.id)
    parent = data_of(buyer.gql(CREATE, {"p": {**card_params(org, season, 2), "paymentIntentId": intent.id}}))[
        "createSeasonOrder"
    ]

    assert (parent["seasonId"], parent["eventId"], parent["type"], parent["hidden"]) == (
        season.id, "", "Paid", False
    )  # fmt: skip
    assert parent["payments"][0]["amount"] == 10400 and parent["payments"][0]["paymentIntentId"] == intent.id
    assert [t["price"] for t in parent["tickets"]] == [5000, 5000]
    captured = stripe_client().v1.payment_intents.retrieve(
        intent.id, options={"stripe_account": org.stripeId}
    )
    assert captured.status == "succeeded" and captured.amount_received == 10400
    children = children_of(parent["_id"])
    assert [c.eventId for c in children] == sorted(e.id for e in events)
    for child in children:
        event = next(e for e in events if e.id == child.eventId)
        assert child.id == season_orders.child_order_id(parent["_id"], event.id)
        assert (child.type, child.hidden, child.parentSeasonOrderId, child.fees) == (
            "Complimentary", True, parent["_id"], []
        )  # fmt: skip
        assert [(t.ticketTypeId, t.price) for t in child.tickets] == [(event.ticketTypes[1].id, 0)] * 2
        assert [t.scan[0].startsAt for t in child.tickets] == [event.schedule.startsAt] * 2
    # The children took none of their events' own stock (the season's stock is the sale).
    for event in events:
        taken = services().store.inventory.taken_totals(event.id, event.inventoryShards)
        assert taken.get(f"t:{event.ticketTypes[1].id}", 0) == 0
    scanner = staff_of(org.id, "SCANNER")
    for child in children:
        assert data_of(scanner.gql(SCAN, {"o": child.id}))["scanOrder"] is True
    refused = error_of(scanner.gql(SCAN, {"o": parent["_id"]}))
    assert "season order" in refused["message"]


def test_a_retried_season_order_returns_the_same_orders_and_charges_once() -> None:
    org, season, _ = world()
    buyer = new_user()
    checkout = card_params(org, season, _id=f"cart-{uuid.uuid4().hex}")
    intent_id = data_of(buyer.gql(START, {"p": checkout}))["createSeasonOrderPaymentIntent"][
        "paymentIntentId"
    ]
    again = data_of(buyer.gql(START, {"p": checkout}))["createSeasonOrderPaymentIntent"]
    confirm(org, intent_id)
    params = {**checkout, "paymentIntentId": intent_id}

    first = data_of(buyer.gql(CREATE, {"p": params}))["createSeasonOrder"]
    second = data_of(buyer.gql(CREATE, {"p": params}))["createSeasonOrder"]

    assert again["paymentIntentId"] == intent_id  # the same checkout holds and charges once
    assert first["_id"] == second["_id"]
    assert len(children_of(first["_id"])) == 2
    assert season_sold(season) == 1
    # The event checkout does not complete a season's payment (nor the other way round).
    wrong = error_of(buyer.gql(CREATE_EVENT_ORDER, {"p": {"orgId": org.id, "eventId": "x", "paymentIntentId":
                                                            intent_id}}))  # fmt: skip
    assert "not found" in wrong["message"].lower()


def test_a_box_office_retry_with_the_same_key_is_one_order() -> None:
    org, season, _ = world()
    seller = clerk(org)
    params = cash_params(org, season, 2, _id=f"bo-{uuid.uuid4().hex}")

    first = data_of(seller.gql(CREATE, {"p": params}))["createSeasonOrder"]
    second = data_of(seller.gql(CREATE, {"p": params}))["createSeasonOrder"]

    assert first["_id"] == second["_id"] and first["channel"] == "Box Office"
    assert first["payments"][0]["paymentMethodType"] == "Cash" and first["payments"][0]["amount"] == 10400
    assert season_sold(season) == 2
    assert len(children_of(first["_id"])) == 2


def test_concurrent_buyers_cannot_oversell_the_season() -> None:
    org, season, _ = world(capacity=5)
    seller = clerk(org)

    def buy(i: int) -> str:
        result = seller.gql(CREATE, {"p": cash_params(org, season, _id=f"rush-{uuid.uuid4().hex}-{i}")})
        if result.get("errors"):
            return str(result["errors"][0]["extensions"].get("errorCode"))
        return "sold"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = Counter(pool.map(buy, range(12)))

    assert outcomes["sold"] == 5
    assert outcomes["SOLD_OUT"] == 7
    assert season_sold(season) == 5
    parents = services().store.orders.find(("seasonId", "==", season.id))
    assert len(parents) == 5
    assert all(len(children_of(p.id)) == 2 for p in parents)


def test_an_event_without_the_season_ticket_type_is_refused_before_any_charge() -> None:
    org = connected_org("Season Presents")
    events = [event_with_pass(org, "Opening Night", 2 * DAY), on_sale_event(org, name="No Pass Night")]
    season = make_season(org, events)
    buyer = new_user()

    refused = error_of(buyer.gql(START, {"p": card_params(org, season)}))
    at_box_office = error_of(clerk(org).gql(CREATE, {"p": cash_params(org, season)}))

    for error in (refused, at_box_office):
        assert "No Pass Night" in error["message"] and PASS in error["message"]
    assert season_sold(season) == 0
    assert services().store.orders.find(("seasonId", "==", season.id)) == []
    reservations = services().store.client.collection("reservations")
    assert list(reservations.where(filter=FieldFilter("seasonId", "==", season.id)).stream()) == []


def test_refunding_the_season_order_refunds_its_children_once_and_their_codes_stop_scanning() -> None:
    org, season, _ = world()
    buyer = new_user()
    parent = card_season_order(buyer, org, season, 2)
    admin = staff_of(org.id, "ADMIN")
    scanner = staff_of(org.id, "SCANNER")
    first_ticket = parent["tickets"][0]["_id"]

    data_of(admin.gql(REFUND, {"o": parent["_id"], "t": [first_ticket]}))
    for child in children_of(parent["_id"]):
        assert [t.state for t in child.tickets] == ["Canceled", "Active"]
        assert child.tickets[0].refund.refunded and child.tickets[0].refund.refundedAmount == 0
    assert season_sold(season) == 1  # the refunded pass went back on sale, once

    rest = [t["_id"] for t in parent["tickets"][1:]]
    full = data_of(admin.gql(REFUND, {"o": parent["_id"], "t": rest, "pf": True, "mf": True}))["refundOrder"]
    again = data_of(admin.gql(REFUND, {"o": parent["_id"], "t": rest, "pf": True, "mf": True}))["refundOrder"]
    other = error_of(admin.gql(REFUND, {"o": parent["_id"], "t": [first_ticket], "pf": True}))

    assert full["state"] == again["state"] == "Refunded"  # the same refund asked twice is one refund
    assert "already" in other["message"]
    assert season_sold(season) == 0
    children = children_of(parent["_id"])
    assert [c.state for c in children] == ["Refunded", "Refunded"]
    for child in children:
        refused = error_of(scanner.gql(SCAN, {"o": child.id}))
        assert refused["extensions"]["errorCode"] == "CONFLICT"
    refunds = stripe_client().v1.refunds.list(
        params={"payment_intent": parent["payments"][0]["paymentIntentId"]},
        options={"stripe_account": org.stripeId},
    )
    assert sorted(r.amount for r in refunds.data) == [5000, 5400]  # the children moved no money


def test_cancelling_the_season_order_cancels_every_child() -> None:
    org, season, _ = world()
    order = data_of(clerk(org).gql(CREATE, {"p": cash_params(org, season)}))["createSeasonOrder"]

    cancelled = data_of(staff_of(org.id, "ADMIN").gql(CANCEL, {"o": order["_id"]}))["cancelOrder"]

    assert cancelled["state"] == "Canceled"
    assert [c.state for c in children_of(order["_id"])] == ["Canceled", "Canceled"]
    assert season_sold(season) == 0


def test_the_buyer_gets_the_season_receipt_and_each_event_tickets_with_the_child_codes() -> None:
    org, season, events = world()
    buyer = new_user()
    parent = card_season_order(buyer, org, season)

    wait_for(lambda: with_subject("[TICKET ARRIVAL] Winter Series tickets", buyer.email), timeout=60)
    for name in (e.name for e in events):
        wait_for(lambda: with_subject(f"[TICKET ARRIVAL] {name} tickets", buyer.email), timeout=60)  # noqa: B023
    assert all(c.qrCodeUrl and c.secretId for c in children_of(parent["_id"]))

    assert data_of(buyer.gql(RECEIPT, {"o": parent["_id"]}))["sendSeasonOrderReceiptEmail"] is True
    wait_for(
        lambda: len(with_subject("[TICKET ARRIVAL] Winter Series tickets", buyer.email)) == 2, timeout=60
    )


def test_who_may_do_what_with_season_orders() -> None:
    org, season, _ = world()
    buyer, stranger = new_user(), new_user()
    comp = {**card_params(org, season), "type": "Complimentary", "paymentMethodType": "None"}
    assert error_of(buyer.gql(CREATE, {"p": comp}))["message"] == "You do not have permission to do this."
    cash_online = error_of(buyer.gql(CREATE, {"p": {**cash_params(org, season), "channel": "Online"}}))
    assert cash_online["extensions"]["code"] == "BAD_USER_INPUT"
    assert season_sold(season) == 0

    comp_params = {**cash_params(org, season), "type": "Complimentary", "paymentMethodType": "None"}
    comped = data_of(clerk(org).gql(CREATE, {"p": comp_params}))["createSeasonOrder"]
    assert comped["type"] == "Complimentary" and comped["payments"][0]["amount"] == 0
    parent = card_season_order(buyer, org, season)

    assert error_of(stranger.gql(RECEIPT, {"o": parent["_id"]}))["extensions"]["code"] == "UNAUTHENTICATED"
    assert data_of(clerk(org).gql(RECEIPT, {"o": parent["_id"]}))["sendSeasonOrderReceiptEmail"] is True
    assert error_of(buyer.gql(BREAK_APART, {"o": parent["_id"]}))["extensions"]["code"] == "UNAUTHENTICATED"
    other_clerk = clerk(connected_org("Elsewhere"))
    assert (
        error_of(other_clerk.gql(BREAK_APART, {"o": parent["_id"]}))["extensions"]["code"]
        == "UNAUTHENTICATED"
    )
    assert error_of(staff_of(org.id, "ADMIN").gql(REFUND, {"o": parent["_id"]}))  # nothing chosen: refused
    assert error_of(buyer.gql(REFUND, {"o": parent["_id"]}))["extensions"]["code"] == "UNAUTHENTICATED"

    broken = data_of(clerk(org).gql(BREAK_APART, {"o": parent["_id"]}))["breakApartSeasonOrder"]
    assert [o["_id"] for o in broken] == sorted(c.id for c in children_of(parent["_id"]))
    assert all(o["hidden"] and all(t["qrCodeUrl"] for t in o["tickets"]) for o in broken)
    both = data_of(clerk(org).gql(MULTIPLE_BREAK_APART, {"o": [parent["_id"], comped["_id"]]}))
    assert len(both["multipleBreakApartSeasonOrder"]) == 4
    not_season = error_of(clerk(org).gql(BREAK_APART, {"o": broken[0]["_id"]}))
    assert "not found" in not_season["message"].lower()
