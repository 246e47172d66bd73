"""The purchase portal's public event reads: one event with everything it shows in a bounded
number of Firestore round trips (no N+1), promo and discount codes (R-PR-3/5), and the fee quote
that never trusts client prices or promotion terms (R-FEE-7, D-1)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import functions_framework
import pytest

from shared.adapters.io_stats import counting_io
from shared.bootstrap import services
from shared.domain.inventory import FIRST_SHARD, ticket_type_key, tier_key
from tests.integration.api import data_of, error_of, gql, make_org, staff_of
from tests.integration.events_fixtures import (
    CREATE_EVENT,
    DAY,
    UPDATE_EVENT,
    event_input,
    make_artist,
    make_fee,
    make_order,
    make_venue,
    now,
    stored_event,
)

PORTAL_EVENT = """query($id: String) { event(eventId: $id) {
  _id name description posterImageUrl
  schedule { announceAt ticketsAt ticketsEndAt startsAt endsAt }
  venue { _id name address { city timezone } }
  organization { orgName orgLogoUrl tegSecret }
  fees { _id name type value appliedTo appliedBy paymentMethods filters }
  artists { _id name }
  performances { _id name headliningArtists { _id name } openingArtists { _id name } }
  ticketTypes { _id name remainingQty purchaseLimit tiers { _id name price remainingQty startsAt endsAt } }
  upgrades { _id name price remainingQty }
} }"""


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    app = functions_framework.create_app("handle", "functions/graphql/main.py")
    yield app.test_client()


def _portal_shape(n: int) -> tuple[str, int]:
    """An event with n artists, n fees and n ticket types; returns (event id, shard count)."""
    org = make_org()
    admin = staff_of(org.id, "ADMIN")
    venue = make_venue(org.id)
    artists = [make_artist(org.id, f"Artist {i}").id for i in range(n)]
    for i in range(n):
        make_fee(org.id, f"Fee {i}")
    data = event_input(venue.id, artists)
    template = data["ticketTypes"][0]
    data["ticketTypes"] = [{**template, "name": f"Type {i}", "totalQty": 10,
                            "tiers": [{**tier, "totalQty": 5} for tier in template["tiers"]]}
                           for i in range(n)]  # fmt: skip
    data["upgrades"] = []
    data["promotions"] = []
    created = data_of(admin.gql(CREATE_EVENT, {"e": data}))["createEvent"]
    return created["_id"], stored_event(created["_id"]).inventoryShards - FIRST_SHARD


def _portal_read(client: Any, event_id: str) -> tuple[dict[str, Any], Any]:
    with counting_io() as stats:
        response = client.post("/graphql", json={"query": PORTAL_EVENT, "variables": {"id": event_id}})
    body = response.get_json()
    assert "errors" not in body, body
    return body["data"]["event"], stats


def test_the_portal_event_query_costs_the_same_round_trips_for_1_or_10_of_everything(client: Any) -> None:
    small_id, small_shards = _portal_shape(1)
    large_id, large_shards = _portal_shape(10)
    small, small_stats = _portal_read(client, small_id)
    large, large_stats = _portal_read(client, large_id)
    assert (len(small["artists"]), len(small["fees"]), len(small["ticketTypes"])) == (1, 1, 1)
    assert (len(large["artists"]), len(large["fees"]), len(large["ticketTypes"])) == (10, 10, 10)
    assert large["performances"][0]["headliningArtists"] == [
        {"_id": large["artists"][0]["_id"], "name": "Artist 0"}
    ]
    assert len(large["performances"][0]["openingArtists"]) == 9
    assert all(t["remainingQty"] == 10 for t in large["ticketTypes"])
    assert large["organization"]["tegSecret"] is None
    print(
        f"\nportal event query: 1 of each -> {small_stats.round_trips} round trips, "
        f"{small_stats.document_reads} reads; 10 of each -> {large_stats.round_trips} round trips, "
        f"{large_stats.document_reads} reads"
    )
    assert small_stats.round_trips == large_stats.round_trips <= 8
    # event + its stock shards + venue + organization + the fees query + one artists batch
    for stats, shards, n in ((small_stats, small_shards, 1), (large_stats, large_shards, 10)):
        assert stats.document_reads == 1 + shards + 1 + 1 + n + n
        assert stats.document_writes == 0


TICKETS = """query($id: String, $code: String) { eventTickets(eventId: $id, promoCode: $code) {
  promoType remainingQty active overRideMax ticketTypeIds
  eventTickets { _id name } eventUpgrades { _id } } }"""
DISCOUNTS = """query($id: String, $code: String, $user: String, $sel: [String]) {
  eventDiscounts(eventId: $id, discountCode: $code, userId: $user, selectedTicket: $sel) {
    promoType discountType discountValue appliesTo ticketTypeIds selectedTicket } }"""
QUOTE = """query($q: PaymentCalculationInput) { eventFeeCalculation(query: $q) {
  salesTax total promoterFees stripeFees selloutFees orderSubtotal subTotal totalFees
  totalWithoutTaxFees guestFeeForPromoter guestFeeForSellout discountAmount } }"""


def _promo_event(fees: bool = False) -> dict[str, Any]:
    """An event with a Discount code, a Presale code, an expired code and a VIP-only code."""
    org = make_org()
    admin = staff_of(org.id, "ADMIN")
    if fees:
        make_fee(org.id, "Ticket fee", value=150)
        make_fee(org.id, "Cash only fee", value=999, paymentMethods=["Cash"])
    t = now()
    data = event_input(make_venue(org.id).id)
    base = {"totalQty": 10, "active": True, "startsAt": t - DAY, "endsAt": t + DAY, "useLimit": 1}
    data["promotions"] = [
        {**base, "code": "Spring10", "type": "Discount", "discountType": "Percent", "discountValue": 10,
         "appliesTo": "Per Order"},
        {**base, "code": "EarlyBird", "type": "Presale"},
        {**base, "code": "OldCode", "type": "Discount", "discountType": "Flat", "discountValue": 500,
         "appliesTo": "Per Order", "startsAt": t - 3 * DAY, "endsAt": t - 2 * DAY},
        {**base, "code": "VipOnly", "type": "Discount", "discountType": "Flat", "discountValue": 500,
         "appliesTo": "Per Ticket"},
    ]  # fmt: skip
    created = data_of(admin.gql(CREATE_EVENT, {"e": data}))["createEvent"]
    vip_id = created["ticketTypes"][1]["_id"]
    promotions = [
        p | {"ticketTypeIds": [vip_id]} if p["code"] == "VipOnly" else p for p in created["promotions"]
    ]
    updated: dict[str, Any] = data_of(
        admin.gql(UPDATE_EVENT, {"e": {"_id": created["_id"], "promotions": promotions}})
    )["updateEvent"]
    updated["_org"] = org.id
    return updated


def test_event_tickets_match_promo_codes_case_insensitively():
    event = _promo_event()
    found = data_of(gql(TICKETS, {"id": event["_id"], "code": "earlybird"}))["eventTickets"]
    assert len(found) == 1
    assert (
        found[0]["promoType"] == "Presale" and found[0]["remainingQty"] == 10 and found[0]["active"] is True
    )
    assert [t["name"] for t in found[0]["eventTickets"]] == ["GA", "VIP"]  # empty lists = everything
    error = error_of(gql(TICKETS, {"id": event["_id"], "code": "nope"}))
    assert error["extensions"]["code"] == 404
    assert "promo code" in error["message"]


def test_event_discounts_check_window_eligibility_and_use_limit():
    event = _promo_event()
    ga, vip = (t["_id"] for t in event["ticketTypes"])
    ok = data_of(gql(DISCOUNTS, {"id": event["_id"], "code": "SPRING10", "sel": [ga]}))["eventDiscounts"]
    assert ok == [{"promoType": "Discount", "discountType": "Percent", "discountValue": 10.0,
                   "appliesTo": "Per Order", "ticketTypeIds": [], "selectedTicket": [ga]}]  # fmt: skip
    expired = error_of(gql(DISCOUNTS, {"id": event["_id"], "code": "oldcode", "sel": [ga]}))
    assert "expired" in expired["message"]
    wrong = error_of(gql(DISCOUNTS, {"id": event["_id"], "code": "viponly", "sel": [ga]}))
    assert "cannot be applied" in wrong["message"]
    assert data_of(gql(DISCOUNTS, {"id": event["_id"], "code": "viponly", "sel": [ga, vip]}))[
        "eventDiscounts"
    ]
    make_order(event["_id"], event["_org"], "Refunded", userId="buyer-1", discountCode="Spring10")
    variables = {"id": event["_id"], "code": "spring10", "user": "buyer-1", "sel": [ga]}
    assert data_of(gql(DISCOUNTS, variables))["eventDiscounts"]  # refunded orders do not count
    make_order(event["_id"], event["_org"], "Active", userId="buyer-1", discountCode="Spring10")
    assert error_of(gql(DISCOUNTS, variables))["message"]
    other_user = {**variables, "user": "buyer-2"}
    assert data_of(gql(DISCOUNTS, other_user))["eventDiscounts"]


def test_fee_quote_uses_stored_prices_fees_and_promotion_terms():
    event = _promo_event(fees=True)
    ga = event["ticketTypes"][0]
    ticket = {
        "ticketTypeId": ga["_id"],
        "ticketTierId": ga["tiers"][1]["_id"],
        "price": 1,
        "origionalPrice": 1,
    }

    def quote(**query: Any) -> dict[str, Any]:
        result: dict[str, Any] = data_of(gql(QUOTE, {"q": {"eventId": event["_id"], **query}}))[
            "eventFeeCalculation"
        ]
        return result

    plain = quote(tickets=[ticket])
    assert plain["subTotal"] == "2000"  # the current tier's price (Early), not the client's 1 cent
    assert plain["promoterFees"] == "150"  # the event's copy of the org fee; the Cash-only fee is out
    assert plain["total"] == "2150"
    cash = quote(tickets=[ticket], paymentMethodType="Cash")
    assert cash["promoterFees"] == str(150 + 999)
    forged = {"code": "spring10", "discountType": "Flat", "discountValue": 1999, "appliesTo": "Per Order"}
    discounted = quote(tickets=[ticket], promotions=[forged])
    assert discounted["discountAmount"] == 200  # the stored 10 %, not the client's 1999 cents
    assert discounted["subTotal"] == "1800"
    by_id = quote(tickets=[ticket], promotions=[{"_id": event["promotions"][0]["_id"], "discountValue": 100}])
    assert by_id["discountAmount"] == 200
    upgrade = event["upgrades"][0]
    with_upgrade = quote(tickets=[ticket], upgrades=[{"upgradeId": upgrade["_id"], "price": 1}])
    assert with_upgrade["subTotal"] == str(2000 + 1500)

    early = ga["tiers"][0]
    stock = stored_event(event["_id"])
    services().store.inventory.take(event["_id"], stock.inventoryShards,
                                    {ticket_type_key(ga["_id"]): 40, tier_key(early["_id"]): 40})  # fmt: skip
    assert quote(tickets=[ticket])["subTotal"] == "2500"  # Early sold out: the next tier's price

    empty = quote(tickets=[], upgrades=[])
    assert set(empty.values()) == {None}
