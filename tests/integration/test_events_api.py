"""Events through the GraphQL function over HTTP (SPEC R-EV-1..9), with real ID tokens."""

from __future__ import annotations

import copy
from typing import Any

from shared.bootstrap import services
from shared.domain.inventory import CURRENT_LAYOUT, FIRST_SHARD, ticket_type_key, tier_key
from tests.integration.api import data_of, error_of, gql, make_org, staff_of
from tests.integration.events_fixtures import (
    CREATE_EVENT,
    DAY,
    GET_EVENT,
    UPDATE_EVENT,
    event_input,
    make_artist,
    make_fee,
    make_order,
    make_venue,
    now,
    stored_event,
)

HOLD = """mutation($id: String, $h: TicketHoldInput) { holdTicket(eventId: $id, params: $h) {
  _id holds { _id name ticketType ticketTypeId qty totalReleased }
  ticketTypes { _id remainingQty tiers { _id remainingQty } } } }"""
PUBLISH = (
    "mutation($id: String!, $p: Boolean) { publishEvent(eventId: $id, published: $p) { _id published } }"
)
DELETE = """mutation($org: String!, $id: String!) { deleteEvent(orgId: $org, eventId: $id) {
  ordersCount ordersRefundedCount deleted } }"""
DUPLICATE = """mutation($id: String!) { duplicateEvent(eventId: $id) {
  _id name published schedule { announceAt ticketsAt ticketsEndAt startsAt endsAt }
  performances { _id schedule { doorsAt startsAt endsAt } }
  ticketTypes { _id totalQty remainingQty performanceIds tiers { _id totalQty remainingQty } }
  upgrades { _id totalQty remainingQty ticketTypeIds } holds { _id } fees { name } } }"""
EVENTS = "query($q: EventQueryInput, $p: PaginationInput) { events(query: $q, pagination: $p) { _id name } }"


def _org_with_admin() -> tuple[str, Any, str]:
    org = make_org()
    admin = staff_of(org.id, "ADMIN")
    venue = make_venue(org.id)
    return org.id, admin, venue.id


def _create(admin: Any, venue_id: str, artist_ids: list[str] | None = None, **over: Any) -> dict[str, Any]:
    data = event_input(venue_id, artist_ids, **over)
    created: dict[str, Any] = data_of(admin.gql(CREATE_EVENT, {"e": data}))["createEvent"]
    return created


def _take(event_id: str, wants: dict[str, int]) -> None:
    event = stored_event(event_id)
    services().store.inventory.take(event_id, event.inventoryShards, wants)


def _remaining(event: dict[str, Any]) -> dict[str, int]:
    """remainingQty by item name (ticket types, tiers, upgrades) of a returned event."""
    found: dict[str, int] = {}
    for ticket_type in event["ticketTypes"]:
        found[ticket_type["name"]] = ticket_type["remainingQty"]
        for tier in ticket_type["tiers"]:
            found[tier["name"]] = tier["remainingQty"]
    for upgrade in event["upgrades"]:
        found[upgrade["name"]] = upgrade["remainingQty"]
    return found


def test_create_event_starts_full_and_copies_the_orgs_enabled_fees():
    org_id, admin, venue_id = _org_with_admin()
    make_fee(org_id, "Service fee", value=250)
    make_fee(org_id, "Old fee", disabled=True)
    make_fee(make_org().id, "Someone else's fee")
    created = _create(admin, venue_id)
    assert created["orgId"] == org_id
    assert created["published"] is False and created["active"] is True
    assert all(t["_id"] for t in created["ticketTypes"])
    assert all(tier["_id"] for t in created["ticketTypes"] for tier in t["tiers"])
    # the client's remainingQty (3 for GA) is ignored: new items start at their totals
    expected = {"GA": 100, "Early": 40, "Regular": 60, "VIP": 20, "VIP 1": 10, "VIP 2": 10, "Parking": 50}
    assert _remaining(created) == expected
    assert created["promotions"][0]["remainingQty"] == 10
    read = data_of(gql(GET_EVENT, {"id": created["_id"]}))["event"]  # public, live stock
    assert _remaining(read) == expected
    assert [(f["name"], f["eventId"], f["value"]) for f in read["fees"]] == [
        ("Service fee", created["_id"], 250)
    ]
    stored = stored_event(created["_id"])
    assert stored.inventoryShards > FIRST_SHARD and stored.inventoryLayout == CURRENT_LAYOUT
    totals = services().store.inventory.live_stock([stored_event(created["_id"])])[created["_id"]]
    assert totals[ticket_type_key(created["ticketTypes"][0]["_id"])] == 100


def test_invalid_event_input_names_the_fields():
    _, admin, venue_id = _org_with_admin()
    bad = event_input(venue_id)
    del bad["ticketTypes"][0]["tiers"][0]["price"]
    error = error_of(admin.gql(CREATE_EVENT, {"e": bad}))
    assert error["message"] == "Invalid Fields"
    assert error["extensions"]["invalidArgs"] == ["event.ticketTypes.0.tiers.0.price"]

    rules = event_input(venue_id, isMultipleDays=True)
    rules["ticketTypes"][1]["totalQty"] = 0
    rules["ticketTypes"][0]["dayIds"] = ["1700000000"]
    rules["schedule"]["ticketsAt"] = rules["schedule"]["announceAt"] - 10  # sales before announcement
    rules["upgrades"][0]["totalQty"] = 0
    rules["promotions"][0]["endsAt"] = rules["promotions"][0]["startsAt"] - 1
    day = rules["performances"][0]["schedule"][0]
    day["doorsAt"] = day["startsAt"] + 60
    error = error_of(admin.gql(CREATE_EVENT, {"e": rules}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert set(error["extensions"]["invalidArgs"]) == {
        "event.ticketTypes.1.totalQty",
        "event.ticketTypes.1.dayIds",
        "event.upgrades.0.totalQty",
        "event.promotions.0.startsAt",
        "event.schedule.ticketsAt",
        "event.performances.0.schedule.0.doorsAt",
    }
    assert data_of(admin.gql(EVENTS))["events"] == []  # nothing was written


def test_update_keeps_sold_counts_and_refuses_going_below_them():
    _, admin, venue_id = _org_with_admin()
    created = _create(admin, venue_id)
    ga = created["ticketTypes"][0]
    early = ga["tiers"][0]
    _take(created["_id"], {ticket_type_key(ga["_id"]): 7, tier_key(early["_id"]): 7})

    change = copy.deepcopy(created)
    for key in ("fees", "orgId", "published", "active", "createdAt"):
        change.pop(key)
    change["ticketTypes"][0]["totalQty"] = 120
    change["ticketTypes"][0]["tiers"][0]["totalQty"] = 50
    change["ticketTypes"][0]["remainingQty"] = 999  # ignored
    change["ticketTypes"][1]["tiers"].append(
        {"name": "VIP 3", "price": 12000, "totalQty": 5, "startsAt": 0, "endsAt": 0}
    )
    change["name"] = "Spring Show (moved)"
    updated = data_of(admin.gql(UPDATE_EVENT, {"e": change}))["updateEvent"]
    assert updated["name"] == "Spring Show (moved)"
    remaining = _remaining(updated)
    assert remaining["GA"] == 120 - 7
    assert remaining["Early"] == 50 - 7  # per-tier counters, not the ticket type's (D-13)
    assert remaining["Regular"] == 60
    assert remaining["VIP 3"] == 5
    assert _remaining(data_of(gql(GET_EVENT, {"id": created["_id"]}))["event"]) == remaining

    too_low = copy.deepcopy(change)
    too_low["ticketTypes"][0]["tiers"][0]["totalQty"] = 6  # 7 already sold in this tier
    error = error_of(admin.gql(UPDATE_EVENT, {"e": too_low}))
    assert error["extensions"]["invalidArgs"] == ["event.ticketTypes.0.tiers.0.totalQty"]
    assert _remaining(data_of(gql(GET_EVENT, {"id": created["_id"]}))["event"]) == remaining  # unchanged

    dropped = copy.deepcopy(change)
    dropped["ticketTypes"] = dropped["ticketTypes"][1:]  # GA has sales: it cannot be removed
    error = error_of(admin.gql(UPDATE_EVENT, {"e": dropped}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_holds_take_and_release_stock_and_a_repeated_request_counts_once():
    _, admin, venue_id = _org_with_admin()
    created = _create(admin, venue_id)
    ga = created["ticketTypes"][0]
    hold = {"_id": "band-hold", "name": "Band guests", "ticketTypeId": ga["_id"], "qty": 10}

    def remaining_after(params: dict[str, Any]) -> tuple[int, int, list[Any]]:
        result = data_of(admin.gql(HOLD, {"id": created["_id"], "h": params}))["holdTicket"]
        ticket_type = next(t for t in result["ticketTypes"] if t["_id"] == ga["_id"])
        return ticket_type["remainingQty"], ticket_type["tiers"][0]["remainingQty"], result["holds"]

    assert remaining_after(hold)[:2] == (90, 30)
    ga_left, early_left, holds = remaining_after(hold)  # retried: nothing taken twice
    assert (ga_left, early_left) == (90, 30)
    assert holds == [
        {
            "_id": "band-hold",
            "name": "Band guests",
            "ticketType": "GA",
            "ticketTypeId": ga["_id"],
            "qty": 10,
            "totalReleased": 0,
        }
    ]
    released = {**hold, "totalReleased": 4}
    assert remaining_after(released)[:2] == (94, 34)
    assert remaining_after(released)[:2] == (94, 34)
    assert remaining_after({**hold, "totalReleased": 1})[:2] == (91, 31)  # a decrease holds again
    live = services().store.inventory.live_stock([stored_event(created["_id"])])[created["_id"]]
    assert live[ticket_type_key(ga["_id"])] == 91

    other_admin = staff_of(make_org().id, "ADMIN")
    error = error_of(other_admin.gql(HOLD, {"id": created["_id"], "h": {**hold, "totalReleased": 9}}))
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


def test_update_event_with_is_hold_appends_new_holds_once():
    _, admin, venue_id = _org_with_admin()
    created = _create(admin, venue_id)
    vip = created["ticketTypes"][1]
    change = {
        "_id": created["_id"],
        "isHold": True,
        "holds": [{"name": "Press", "ticketTypeId": vip["_id"], "qty": 3}],
    }
    updated = data_of(admin.gql(UPDATE_EVENT, {"e": change}))["updateEvent"]
    assert [h["qty"] for h in updated["holds"]] == [3]
    assert _remaining(updated)["VIP"] == 17
    again = {"_id": created["_id"], "isHold": True, "holds": updated["holds"]}  # echoed back with its _id
    assert _remaining(data_of(admin.gql(UPDATE_EVENT, {"e": again}))["updateEvent"])["VIP"] == 17


def test_publish_lists_what_is_missing_and_keeps_stubs_unique():
    org_id, admin, venue_id = _org_with_admin()
    artist = make_artist(org_id)
    bare = data_of(
        admin.gql(
            CREATE_EVENT, {"e": {"name": "Draft", "type": "Concert", "performances": [{"name": "Set"}]}}
        )
    )["createEvent"]
    error = error_of(admin.gql(PUBLISH, {"id": bare["_id"]}))
    for item in ("description", "poster image", "venue", "ticket type", "headlining artist"):
        assert item in error["message"], error["message"]

    first = _create(admin, venue_id, [artist.id], stub="spring-show")
    second = _create(admin, venue_id, [artist.id], stub="spring-show")
    assert data_of(admin.gql(PUBLISH, {"id": first["_id"]}))["publishEvent"]["published"] is True
    error = error_of(admin.gql(PUBLISH, {"id": second["_id"]}))
    assert error["message"] == "URL stub already used."
    assert data_of(admin.gql(PUBLISH, {"id": first["_id"], "p": False}))["publishEvent"]["published"] is False
    assert data_of(admin.gql(PUBLISH, {"id": second["_id"]}))["publishEvent"]["published"] is True

    scanner = staff_of(org_id, "SCANNER")
    assert error_of(scanner.gql(PUBLISH, {"id": first["_id"]}))["extensions"]["code"] == "UNAUTHENTICATED"


def test_delete_is_refused_while_orders_are_not_refunded_then_soft_deletes():
    org_id, admin, venue_id = _org_with_admin()
    created = _create(admin, venue_id)
    make_order(created["_id"], org_id, "Refunded")
    live_order = make_order(created["_id"], org_id, "Active")
    make_order("another-event", org_id, "Active")
    refused = data_of(admin.gql(DELETE, {"org": org_id, "id": created["_id"]}))["deleteEvent"]
    assert refused == {"ordersCount": 2, "ordersRefundedCount": 1, "deleted": False}
    assert stored_event(created["_id"]).active is True

    other = make_org()
    both = staff_of(other.id, "ADMIN")
    # an admin of another org naming their own org with this event's id is refused
    assert error_of(both.gql(DELETE, {"org": other.id, "id": created["_id"]}))["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )

    services().store.orders.update(live_order.id, {"state": "Refunded"})
    done = data_of(admin.gql(DELETE, {"org": org_id, "id": created["_id"]}))["deleteEvent"]
    assert done == {"ordersCount": 2, "ordersRefundedCount": 2, "deleted": True}
    assert data_of(gql(GET_EVENT, {"id": created["_id"]}))["event"]["active"] is False
    assert data_of(admin.gql(EVENTS))["events"] == []  # deleted events leave the list


def test_duplicate_gives_new_ids_full_stock_and_an_unpublished_copy():
    org_id, admin, venue_id = _org_with_admin()
    make_fee(org_id, "Service fee")
    artist = make_artist(org_id)
    source = _create(admin, venue_id, [artist.id])
    source_type_ids = [t["_id"] for t in source["ticketTypes"]]
    change = {
        "_id": source["_id"],
        "upgrades": [{**source["upgrades"][0], "ticketTypeIds": source_type_ids[1:]}],
        "ticketTypes": [
            {**t, "performanceIds": [source["performances"][0]["_id"]]} for t in source["ticketTypes"]
        ],
    }
    data_of(admin.gql(UPDATE_EVENT, {"e": change}))
    data_of(admin.gql(PUBLISH, {"id": source["_id"]}))
    ga = source["ticketTypes"][0]
    _take(source["_id"], {ticket_type_key(ga["_id"]): 5, tier_key(ga["tiers"][0]["_id"]): 5})
    data_of(
        admin.gql(
            HOLD, {"id": source["_id"], "h": {"_id": "h", "name": "H", "ticketTypeId": ga["_id"], "qty": 2}}
        )
    )

    copy_ = data_of(admin.gql(DUPLICATE, {"id": source["_id"]}))["duplicateEvent"]
    assert copy_["_id"] != source["_id"]
    assert copy_["name"] == "Copy of Spring Show"
    assert copy_["published"] is False
    assert copy_["holds"] == []
    new_type_ids = [t["_id"] for t in copy_["ticketTypes"]]
    assert not set(new_type_ids) & set(source_type_ids)
    old_tiers = {tier["_id"] for t in source["ticketTypes"] for tier in t["tiers"]}
    assert not {tier["_id"] for t in copy_["ticketTypes"] for tier in t["tiers"]} & old_tiers
    assert copy_["upgrades"][0]["_id"] != source["upgrades"][0]["_id"]
    assert copy_["upgrades"][0]["ticketTypeIds"] == new_type_ids[1:]  # remapped
    assert copy_["performances"][0]["_id"] != source["performances"][0]["_id"]
    assert copy_["ticketTypes"][0]["performanceIds"] == [copy_["performances"][0]["_id"]]
    for item in [
        *copy_["ticketTypes"],
        *[tier for t in copy_["ticketTypes"] for tier in t["tiers"]],
        *copy_["upgrades"],
    ]:
        assert item["remainingQty"] == item["totalQty"]
    schedule = copy_["schedule"]
    assert schedule["startsAt"] - schedule["announceAt"] == 10 * 3600  # 10:00 → 20:00 the same day
    assert schedule["endsAt"] - schedule["startsAt"] == 3 * 3600
    assert schedule["ticketsEndAt"] == schedule["startsAt"]
    assert abs(schedule["startsAt"] - now()) < 2 * DAY
    assert copy_["performances"][0]["schedule"] == [
        {
            "doorsAt": schedule["startsAt"] - 3600,
            "startsAt": schedule["startsAt"],
            "endsAt": schedule["endsAt"],
        }
    ]
    assert [f["name"] for f in copy_["fees"]] == ["Service fee"]
    source_now = data_of(gql(GET_EVENT, {"id": source["_id"]}))["event"]
    assert _remaining(source_now)["GA"] == 93  # the source keeps its sales and hold


def test_events_list_filters_sorts_and_is_scoped_to_the_scanners_org():
    org_id, admin, venue_id = _org_with_admin()
    t = now()

    def at(start: int, name: str, **over: Any) -> dict[str, Any]:
        schedule = {
            "announceAt": start - 5 * DAY,
            "ticketsAt": start - 5 * DAY,
            "ticketsEndAt": start,
            "startsAt": start,
            "endsAt": start + 3600,
        }
        data = event_input(venue_id, name=name, schedule=schedule, performances=[], **over)
        for ticket_type in data["ticketTypes"]:
            for tier in ticket_type["tiers"]:
                tier["startsAt"], tier["endsAt"] = start - 5 * DAY, start
        data["promotions"][0].update(startsAt=start - 5 * DAY, endsAt=start)
        return data

    past = data_of(admin.gql(CREATE_EVENT, {"e": at(t - 20 * DAY, "Winter Jam")}))["createEvent"]
    soon = data_of(admin.gql(CREATE_EVENT, {"e": at(t + 2 * DAY, "Spring Jam")}))["createEvent"]
    later = data_of(admin.gql(CREATE_EVENT, {"e": at(t + 30 * DAY, "Summer Fest", cancel=True)}))[
        "createEvent"
    ]
    data_of(admin.gql(PUBLISH, {"id": soon["_id"]}))
    for age, event in enumerate([later, soon, past]):  # distinct creation times (seconds)
        services().store.events.update(event["_id"], {"createdAt": t - age})
    other_admin = staff_of(make_org().id, "ADMIN")
    other_venue = make_venue(other_admin.org_id or "")
    data_of(other_admin.gql(CREATE_EVENT, {"e": event_input(other_venue.id, name="Spring Jam elsewhere")}))

    scanner = staff_of(org_id, "SCANNER")

    def names(q: dict[str, Any] | None = None, p: dict[str, Any] | None = None) -> list[str]:
        return [e["name"] for e in data_of(scanner.gql(EVENTS, {"q": q, "p": p}))["events"]]

    assert names() == ["Summer Fest", "Spring Jam", "Winter Jam"]  # createdAt descending by default
    assert names({"name": "JAM"}) == ["Spring Jam", "Winter Jam"]
    assert names({"published": True}) == ["Spring Jam"]
    assert names({"startDate": t}) == ["Summer Fest", "Spring Jam"]  # upcoming
    assert names({"endDate": t}) == ["Winter Jam"]  # past
    assert names({"startDate": t, "endDate": t + 10 * DAY}) == ["Spring Jam"]  # starts within
    assert names({"sortBy": "schedule.startsAt", "orderBy": 1}) == ["Winter Jam", "Spring Jam", "Summer Fest"]
    assert names({"name": "winter", "published": True, "any": True}) == ["Spring Jam", "Winter Jam"]
    assert names({"cancel": True}) == ["Summer Fest"]
    assert names({"any": True, "name": "fest"}) == []  # any=true drops cancelled unless asked
    assert names(None, {"pageSize": 2, "pageNumber": 2}) == ["Winter Jam"]

    assert error_of(gql(EVENTS))["message"] == "Authentication Required."
    outsider = staff_of(make_org().id, "SCANNER")
    assert [e["name"] for e in data_of(outsider.gql(EVENTS))["events"]] == []
    refused = error_of(outsider.gql(EVENTS, org_id=org_id))  # naming an org it has no role in
    assert refused["extensions"]["code"] == "UNAUTHENTICATED"


def test_cross_org_admins_are_refused_everywhere():
    _, admin, venue_id = _org_with_admin()
    created = _create(admin, venue_id)
    intruder = staff_of(make_org().id, "ADMIN")
    change = {"_id": created["_id"], "name": "Mine now", "orgId": intruder.org_id}
    for query, variables in [
        (UPDATE_EVENT, {"e": change}),
        (PUBLISH, {"id": created["_id"]}),
        (DUPLICATE, {"id": created["_id"]}),
    ]:
        error = error_of(intruder.gql(query, variables))
        assert error["extensions"]["code"] == "UNAUTHENTICATED", error
    assert stored_event(created["_id"]).name == "Spring Show"
    assert error_of(gql(UPDATE_EVENT, {"e": change}))["message"] == "Authentication Required."


def test_nested_fields_hide_secrets_and_wait_lists_from_the_public():
    org_id, admin, venue_id = _org_with_admin()
    services().store.organizations.update(org_id, {"tegSecret": "s3cret", "orgName": "Org"})
    headliner, opener = make_artist(org_id, "Headliner"), make_artist(org_id, "Opener")
    created = _create(admin, venue_id, [headliner.id, opener.id])
    services().store.events.update(
        created["_id"], {"waitList": [{"_id": "w", "name": "Ann", "email": "a@x"}]}
    )
    query = """query($id: String) { event(eventId: $id) {
      organization { orgName tegSecret } venue { name } hasOrders waitList { name }
      artists { name } performances { headliningArtists { name } openingArtists { name } } } }"""
    public = data_of(gql(query, {"id": created["_id"]}))["event"]
    assert public["organization"] == {"orgName": "Org", "tegSecret": None}
    assert public["venue"] == {"name": "The Fillmore"}
    assert public["waitList"] == []
    assert public["hasOrders"] is False
    assert [a["name"] for a in public["artists"]] == ["Headliner", "Opener"]
    assert public["performances"] == [
        {"headliningArtists": [{"name": "Headliner"}], "openingArtists": [{"name": "Opener"}]}
    ]
    scanner = staff_of(org_id, "SCANNER")
    assert data_of(scanner.gql(query, {"id": created["_id"]}))["event"]["organization"]["tegSecret"] is None
    make_order(created["_id"], org_id)
    as_admin = data_of(admin.gql(query, {"id": created["_id"]}))["event"]
    assert as_admin["organization"]["tegSecret"] == "s3cret"
    assert as_admin["waitList"] == [{"name": "Ann"}]
    assert as_admin["hasOrders"] is True
    count = data_of(gql("query($id: String) { eventOrderCount(eventId: $id) }", {"id": created["_id"]}))
    assert count["eventOrderCount"] == 1
