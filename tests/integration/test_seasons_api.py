"""Seasons through the GraphQL function over HTTP (SPEC 3.7, R-T3-1, 4.8): the promoter side
(create, update, publish with the event rules) and the reads (staff and public, GraphQL and REST).
Season orders (R-T3-2) are not served yet and are not tested here."""

from __future__ import annotations

import copy
from typing import Any

import requests

from emulator import config
from shared.bootstrap import services
from shared.domain.models import Event, Season
from tests.integration.api import Caller, data_of, error_of, gql, make_org, new_user, staff_of
from tests.integration.events_fixtures import (
    CREATE_EVENT,
    DAY,
    event_input,
    make_fee,
    make_order,
    make_venue,
    now,
)

FEEDS = f"{config.FUNCTIONS_URL}/graphql"
SEASON_FIELDS = """
  _id orgId type name published active createdAt eventIds numberOfEvent
  schedule { announceAt ticketsAt ticketsEndAt startsAt endsAt }
  ticketTypes { _id name totalQty remainingQty purchaseLimit tiers { _id name price totalQty remainingQty } }
  upgrades { _id name totalQty remainingQty }
  promotions { _id code type totalQty remainingQty }
  holds { _id ticketTypeId qty }
  fees { _id name seasonId value }
"""
CREATE = f"mutation($s: SeasonInput!) {{ createSeason(season: $s) {{ {SEASON_FIELDS} }} }}"
UPDATE = f"mutation($s: SeasonInput!) {{ updateSeason(season: $s) {{ {SEASON_FIELDS} }} }}"
PUBLISH = (
    "mutation($id: String!, $p: Boolean) { publishSeason(seasonId: $id, published: $p) { _id published } }"
)
SEASON = "query($id: String) { season(seasonId: $id) { _id name published events { _id } } }"
SEASONS = (
    "query($q: SeasonQueryInput, $p: PaginationInput) { seasons(query: $q, pagination: $p) { _id name } }"
)
SEASON_EVENTS = "query($id: String) { seasonEvents(seasonId: $id) { _id } }"
SEASON_FEES = "query($id: String!) { seasonFees(seasonId: $id) { _id name seasonId } }"
SEASON_TICKETS = """query($id: String, $code: String) { seasonTickets(seasonId: $id, promoCode: $code) {
  promoType remainingQty active startsAt endsAt seasonTickets { _id name } } }"""
EVENT_TICKETS = """query($id: String, $code: String) { eventTickets(eventId: $id, promoCode: $code) {
  promoType remainingQty active startsAt endsAt eventTickets { name } } }"""


class Org:
    def __init__(self) -> None:
        self.id = make_org().id
        self.admin = staff_of(self.id, "ADMIN")
        self.venue_id = make_venue(self.id).id

    def event(self, published: bool = True, **over: Any) -> Event:
        created = data_of(self.admin.gql(CREATE_EVENT, {"e": event_input(self.venue_id, **over)}))
        event_id = created["createEvent"]["_id"]
        if published:
            services().store.events.update(event_id, {"published": True, "publishable": True})
        stored = services().store.events.get(event_id)
        assert stored is not None
        return stored


def season_input(venue_id: str, event_ids: list[str], **over: Any) -> dict[str, Any]:
    """The event fixture's listing and ticketing as a SeasonInput (2 ticket types × 2 tiers, an
    upgrade, a Discount promotion), admitting to `event_ids`."""
    data = event_input(venue_id)  # every key it sets is a SeasonInput key too (type: Concert)
    data["name"] = "Spring Season"
    data["eventIds"] = event_ids
    data.update(over)
    return data


def create(caller: Caller, data: dict[str, Any]) -> dict[str, Any]:
    created: dict[str, Any] = data_of(caller.gql(CREATE, {"s": data}))["createSeason"]
    return created


def stored_season(season_id: str) -> Season:
    season = services().store.seasons.get(season_id)
    assert season is not None
    return season


def publish(org: Org, season_id: str) -> None:
    services().store.seasons.update(season_id, {"publishable": True})
    data_of(org.admin.gql(PUBLISH, {"id": season_id}))


def get(path: str, **params: str) -> requests.Response:
    return requests.get(f"{FEEDS}{path}", params=params, timeout=30)


# --- promoter side -----------------------------------------------------------------------------


def test_create_applies_the_event_defaults_starts_full_and_copies_the_orgs_enabled_fees() -> None:
    org = Org()
    make_fee(org.id, "Service fee")
    make_fee(org.id, "Old fee", disabled=True)
    first, second = org.event(), org.event(published=False)

    season = create(org.admin, season_input(org.venue_id, [first.id, second.id, first.id]))

    assert season["orgId"] == org.id and season["type"] == "General Event"  # the input said Concert
    assert season["published"] is False and season["active"] is True
    assert season["eventIds"] == [first.id, second.id] and season["numberOfEvent"] == 2
    for ticket_type in season["ticketTypes"]:
        assert ticket_type["_id"] and ticket_type["remainingQty"] == ticket_type["totalQty"]
        assert all(t["_id"] and t["remainingQty"] == t["totalQty"] for t in ticket_type["tiers"])
    assert season["upgrades"][0]["remainingQty"] == 50
    assert season["promotions"][0]["remainingQty"] == 10
    assert [(f["name"], f["seasonId"], f["value"]) for f in season["fees"]] == [
        ("Service fee", season["_id"], 100.0)
    ]
    assert stored_season(season["_id"]).inventoryShards >= 1


def test_invalid_input_names_the_fields_and_stores_nothing() -> None:
    org = Org()
    data = season_input(org.venue_id, [])
    data["ticketTypes"][0]["totalQty"] = 0
    data["schedule"]["ticketsEndAt"] = data["schedule"]["endsAt"] + DAY

    error = error_of(org.admin.gql(CREATE, {"s": data}))

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert set(error["extensions"]["invalidArgs"]) == {
        "season.ticketTypes.0.totalQty",
        "season.schedule.ticketsEndAt",
    }
    assert services().store.seasons.find(("orgId", "==", org.id)) == []


def test_event_ids_must_be_active_events_of_the_same_org() -> None:
    org, other = Org(), Org()
    own, foreign = org.event(), other.event()
    deleted = org.event()
    services().store.events.update(deleted.id, {"active": False})

    for event_ids in ([own.id, foreign.id], [deleted.id], ["no-such-event"]):
        error = error_of(org.admin.gql(CREATE, {"s": season_input(org.venue_id, event_ids)}))
        assert error["extensions"]["invalidArgs"] == ["season.eventIds"], event_ids
    season = create(org.admin, season_input(org.venue_id, [own.id]))
    error = error_of(org.admin.gql(UPDATE, {"s": {"_id": season["_id"], "eventIds": [foreign.id]}}))

    assert error["extensions"]["invalidArgs"] == ["season.eventIds"]
    assert stored_season(season["_id"]).eventIds == [own.id]
    assert len(services().store.seasons.find(("orgId", "==", org.id))) == 1


def test_update_replaces_fields_and_keeps_held_units_out_of_sale() -> None:
    org = Org()
    data = season_input(org.venue_id, [])
    created = create(org.admin, data)
    ga = created["ticketTypes"][0]
    change = copy.deepcopy(data)
    change.update({"_id": created["_id"], "name": "Renamed Season", "ticketTypes": created["ticketTypes"]})
    change["ticketTypes"][0]["totalQty"] = 150
    services().store.inventory.take(
        created["_id"], stored_season(created["_id"]).inventoryShards, {f"t:{ga['_id']}": 10}
    )  # ten units already taken (e.g. held)

    updated = data_of(org.admin.gql(UPDATE, {"s": change}))["updateSeason"]

    assert updated["name"] == "Renamed Season" and updated["_id"] == created["_id"]
    assert updated["ticketTypes"][0]["totalQty"] == 150
    assert updated["ticketTypes"][0]["remainingQty"] == 140
    change["ticketTypes"][0]["totalQty"] = 5
    error = error_of(org.admin.gql(UPDATE, {"s": change}))
    assert error["extensions"]["invalidArgs"] == ["season.ticketTypes.0.totalQty"]
    assert stored_season(created["_id"]).ticketTypes[0].totalQty == 150


def test_publish_lists_what_is_missing_then_sets_published() -> None:
    org = Org()
    draft = create(org.admin, season_input(org.venue_id, [], posterImageUrl="", description=""))

    error = error_of(org.admin.gql(PUBLISH, {"id": draft["_id"]}))

    assert "poster image" in error["message"] and "description" in error["message"]
    assert stored_season(draft["_id"]).published is False
    ready = create(org.admin, season_input(org.venue_id, []))
    assert data_of(org.admin.gql(PUBLISH, {"id": ready["_id"]}))["publishSeason"]["published"] is True
    assert data_of(org.admin.gql(PUBLISH, {"id": ready["_id"], "p": False}))["publishSeason"] == {
        "_id": ready["_id"],
        "published": False,
    }


def test_only_admins_of_the_seasons_org_may_write_it() -> None:
    org, other = Org(), Org()
    season = create(org.admin, season_input(org.venue_id, []))
    change = {"_id": season["_id"], "name": "Mine now"}
    box_office, scanner = staff_of(org.id, "BOX_OFFICE"), staff_of(org.id, "SCANNER")

    for caller in (box_office, scanner, other.admin):
        for query, variables in [(UPDATE, {"s": change}), (PUBLISH, {"id": season["_id"]})]:
            error = error_of(caller.gql(query, variables))
            assert error["extensions"]["code"] == "UNAUTHENTICATED", (caller, query, error)
    for caller in (box_office, scanner):
        error = error_of(caller.gql(CREATE, {"s": season_input(org.venue_id, [])}))
        assert error["extensions"]["code"] == "UNAUTHENTICATED", (caller, error)
    # another org's admin creates in its own org only: our venue is not theirs to use
    error = error_of(other.admin.gql(CREATE, {"s": season_input(org.venue_id, [])}))
    assert error["extensions"]["invalidArgs"] == ["season.venueId"]
    # ...and `orgId` in the input never moves a season to another org
    theirs = create(other.admin, season_input(other.venue_id, [], orgId=org.id))
    for query, variables in [(CREATE, {"s": season_input(org.venue_id, [])}), (UPDATE, {"s": change})]:
        assert error_of(gql(query, variables))["message"] == "Authentication Required."

    assert theirs["orgId"] == other.id
    assert stored_season(season["_id"]).name == "Spring Season"
    assert len(services().store.seasons.find(("orgId", "==", org.id))) == 1


def test_season_fees_are_administered_by_the_seasons_org_only() -> None:
    org, other = Org(), Org()
    season = create(org.admin, season_input(org.venue_id, []))
    fee = {"name": "Season fee", "type": "Flat", "value": 250, "seasonId": season["_id"]}
    create_fee = "mutation($f: FeeInput!) { createFee(fee: $f) { _id seasonId orgId } }"

    created = data_of(org.admin.gql(create_fee, {"f": fee}))["createFee"]
    refused = error_of(other.admin.gql(create_fee, {"f": fee}))

    assert created["seasonId"] == season["_id"] and created["orgId"] == org.id
    assert refused["extensions"]["code"] == "UNAUTHENTICATED"
    publish(org, season["_id"])
    names = [f["name"] for f in data_of(gql(SEASON_FEES, {"id": season["_id"]}))["seasonFees"]]
    assert names == ["Season fee"]


# --- reads -------------------------------------------------------------------------------------


def test_public_reads_show_published_seasons_and_only_their_published_events() -> None:
    org = Org()
    shown, draft_event = org.event(), org.event(published=False)
    season = create(org.admin, season_input(org.venue_id, [shown.id, draft_event.id]))
    scanner = staff_of(org.id, "SCANNER")
    stranger = new_user()
    season_id = season["_id"]

    for caller_gql in (gql, stranger.gql):  # a draft is unknown to the public
        assert data_of(caller_gql(SEASON, {"id": season_id}))["season"] is None
        for query in (SEASON_EVENTS, SEASON_FEES):
            assert error_of(caller_gql(query, {"id": season_id}))["extensions"]["code"] == 404
    staff_view = data_of(scanner.gql(SEASON, {"id": season_id}))["season"]
    assert {e["_id"] for e in staff_view["events"]} == {shown.id, draft_event.id}

    publish(org, season_id)

    public_view = data_of(gql(SEASON, {"id": season_id}))["season"]
    assert public_view["published"] is True
    assert [e["_id"] for e in public_view["events"]] == [shown.id]
    assert data_of(gql(SEASON_EVENTS, {"id": season_id}))["seasonEvents"] == [{"_id": shown.id}]
    staff_events = data_of(scanner.gql(SEASON_EVENTS, {"id": season_id}))["seasonEvents"]
    assert {e["_id"] for e in staff_events} == {shown.id, draft_event.id}


def test_seasons_list_is_for_the_scanners_org_with_event_and_published_filters() -> None:
    org, other = Org(), Org()
    event = org.event()
    with_event = create(org.admin, season_input(org.venue_id, [event.id], name="Alpha Season"))
    without = create(org.admin, season_input(org.venue_id, [], name="Beta Season"))
    create(other.admin, season_input(other.venue_id, [], name="Other Season"))
    services().store.seasons.update(with_event["_id"], {"createdAt": now() - DAY})  # the older one
    publish(org, without["_id"])
    scanner = staff_of(org.id, "SCANNER")

    everything = data_of(scanner.gql(SEASONS, {}))["seasons"]
    by_event = data_of(scanner.gql(SEASONS, {"q": {"eventIds": [event.id]}}))["seasons"]
    published = data_of(scanner.gql(SEASONS, {"q": {"published": True}}))["seasons"]
    by_name = data_of(scanner.gql(SEASONS, {"q": {"name": "alpha"}}))["seasons"]
    page_two = data_of(scanner.gql(SEASONS, {"p": {"pageSize": 1, "pageNumber": 2}}))["seasons"]

    assert {s["_id"] for s in everything} == {with_event["_id"], without["_id"]}
    assert [s["_id"] for s in by_event] == [with_event["_id"]]
    assert [s["_id"] for s in published] == [without["_id"]]
    assert [s["_id"] for s in by_name] == [with_event["_id"]]
    assert [s["_id"] for s in page_two] == [with_event["_id"]]  # newest first
    assert error_of(gql(SEASONS, {}))["message"] == "Authentication Required."
    assert error_of(new_user().gql(SEASONS, {}, org_id=org.id))["extensions"]["code"] == "UNAUTHENTICATED"


def test_season_tickets_answers_a_promo_code_like_event_tickets() -> None:
    org = Org()
    t = now()
    promos = [
        {"code": "EarlyBird", "type": "Presale", "totalQty": 5, "active": True, "startsAt": t - DAY,
         "endsAt": t + DAY, "useLimit": 1},
    ]  # fmt: skip
    event = org.event(promotions=promos)
    season = create(org.admin, season_input(org.venue_id, [], promotions=promos))
    publish(org, season["_id"])

    from_season = data_of(gql(SEASON_TICKETS, {"id": season["_id"], "code": "earlybird"}))["seasonTickets"]
    from_event = data_of(gql(EVENT_TICKETS, {"id": event.id, "code": "earlybird"}))["eventTickets"]
    unknown = error_of(gql(SEASON_TICKETS, {"id": season["_id"], "code": "nope"}))

    assert len(from_season) == 1
    for key in ("promoType", "remainingQty", "active", "startsAt", "endsAt"):
        assert from_season[0][key] == from_event[0][key], key
    assert [t["name"] for t in from_season[0]["seasonTickets"]] == ["GA", "VIP"]
    assert [t["name"] for t in from_season[0]["seasonTickets"]] == [
        t["name"] for t in from_event[0]["eventTickets"]
    ]
    assert unknown["extensions"]["code"] == 404 and "promo code" in unknown["message"]


def test_order_season_resolves_the_stored_season() -> None:
    org = Org()
    season = create(org.admin, season_input(org.venue_id, []))
    order = make_order("", org.id, seasonId=season["_id"], type="Season")
    box_office = staff_of(org.id, "BOX_OFFICE")

    found = data_of(box_office.gql("query($id: String!) { order(orderId: $id) { season { _id name } } }",
                                   {"id": order.id}))["order"]  # fmt: skip

    assert found["season"] == {"_id": season["_id"], "name": "Spring Season"}


# --- public website feeds (REST) -----------------------------------------------------------------


def test_rest_feeds_list_and_detail_published_seasons_without_private_fields() -> None:
    org = Org()
    services().store.organizations.update(org.id, {"tegSecret": "teg-secret-value"})
    event = org.event()
    listed = create(org.admin, season_input(org.venue_id, [event.id], name="Listed Season"))
    draft = create(org.admin, season_input(org.venue_id, [], name="Draft Season"))
    publish(org, listed["_id"])

    in_list = get("/getSeasonList", orgId=org.id)
    detail = get("/getSeasonDetail", id=listed["_id"])
    hidden = get("/getSeasonDetail", id=draft["_id"])
    over_graphql = error_of(gql("query($id: String) { seasonsDetails(seasonId: $id) { _id } }",
                                {"id": draft["_id"]}))  # fmt: skip

    assert in_list.status_code == 200 and in_list.json()["status"] == 200
    assert [s["_id"] for s in in_list.json()["seasons"]] == [listed["_id"]]
    body = detail.json()
    assert body["status"] == 200 and body["season"]["_id"] == listed["_id"]
    assert [e["_id"] for e in body["season"]["events"]] == [event.id]
    assert "promotions" not in body["season"] and "holds" not in body["season"]
    assert "Spring10" not in detail.text and "teg-secret-value" not in detail.text
    assert hidden.status_code == 404
    assert over_graphql["extensions"]["code"] == 404
