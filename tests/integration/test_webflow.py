"""Webflow publishing end to end (SPEC R-WF-1..7): GraphQL -> Cloud Tasks -> webflow-push -> the
real `webflow` SDK -> the local Webflow stand-in (emulator/webflow_standin.py), whose stored
items and site publishes the tests read back."""

from __future__ import annotations

import time
from typing import Any

import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from emulator import config
from shared.bootstrap import services
from shared.domain import webflow as fields
from shared.domain.tasks import Task
from tests.integration.api import Caller, data_of, error_of, gql, make_org, new_user, staff_of, wait_for
from tests.integration.events_fixtures import CREATE_EVENT, UPDATE_EVENT, event_input, make_artist, make_venue

WEBFLOW = f"{config.SAAS_URL}/webflow"
PUSH_URL = f"{config.FUNCTIONS_URL}/webflow-push/"
PUSH_TIMEOUT = 30.0  # a push is several Webflow calls behind a Cloud Task

SITE_FIELDS = "_id name webFlowId enabled previewUrl domains { name lastPublishedAt } createdAt updatedAt"
WEB_FLOW_FIELDS = f"""_id orgId createdAt updatedAt sites {{ {SITE_FIELDS} }}
  entities {{ _id entityType name selloutId alwaysPublishTo
              webFlowIds {{ webFlowSiteId webFlowEntityId slug webFlowSite {{ name }} }} }}"""
CREATE_SITE = f"""mutation($w: String!, $o: String!) {{
  createWebFlowSite(webFlowId: $w, orgId: $o) {{ {WEB_FLOW_FIELDS} }} }}"""
PUBLISH = """mutation($e: String!, $p: [String], $u: [String], $pub: Boolean) {
  publishEvent(eventId: $e, publishSiteIds: $p, unpublishSiteIds: $u, published: $pub) {
    _id published webFlowEntity { _id alwaysPublishTo } } }"""
ENTITY_OF_EVENT = """query($id: String) { event(eventId: $id) { _id
  webFlowEntity { _id entityType selloutId
    webFlowIds { webFlowSiteId webFlowEntityId slug
                 webFlowSite { _id name domains { name lastPublishedAt } } } }
  venue { webFlowEntity { selloutId webFlowIds { webFlowEntityId } } } } }"""


def stand_in_site(name: str = "Denver Shows") -> dict[str, Any]:
    response = requests.post(
        f"{WEBFLOW}/_sites", json={"displayName": name, "customDomains": ["shows.example.com"]}, timeout=10
    )
    response.raise_for_status()
    site: dict[str, Any] = response.json()
    return site


def items(collection: str | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = requests.get(f"{WEBFLOW}/_items", timeout=10).json()
    return [i for i in found if collection is None or i["collection"] == collection]


def publishes() -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = requests.get(f"{WEBFLOW}/_publishes", timeout=10).json()
    return result


class World:
    """An org with an ADMIN, a venue, two artists, a publishable Concert and a Webflow site."""

    def __init__(self) -> None:
        self.org = make_org("Good Shows")
        self.admin = staff_of(self.org.id, "ADMIN")
        self.root = new_user(superUser=True)
        self.venue = make_venue(self.org.id)
        self.headliner = make_artist(self.org.id, "Headliner")
        self.opener = make_artist(self.org.id, "Opener")
        created = data_of(
            self.admin.gql(
                CREATE_EVENT, {"e": event_input(self.venue.id, [self.headliner.id, self.opener.id])}
            )
        )
        self.event_id = str(created["createEvent"]["_id"])
        self.site = stand_in_site()
        self.site_id = str(self.site["id"])

    def add_site(self) -> dict[str, Any]:
        result = data_of(self.root.gql(CREATE_SITE, {"w": self.site_id, "o": self.org.id}))
        web_flow: dict[str, Any] = result["createWebFlowSite"]
        return web_flow

    def publish(self, caller: Caller | None = None, **variables: Any) -> dict[str, Any]:
        return (caller or self.admin).gql(PUBLISH, {"e": self.event_id, **variables})

    def event_item(self) -> dict[str, Any] | None:
        return next((i for i in items("events") if i["fieldData"]["sellout-id"] == self.event_id), None)


def _published_once(world: World) -> dict[str, Any]:
    """After publishing to the site: the event item, once the site publish that ends the push ran."""
    wait_for(lambda: any(p["siteId"] == world.site_id for p in publishes()), PUSH_TIMEOUT)
    item = world.event_item()
    assert item is not None
    return item


def test_a_super_user_adds_a_site_read_from_webflow():
    world = World()
    web_flow = world.add_site()
    assert web_flow["orgId"] == world.org.id
    [site] = web_flow["sites"]
    assert site["webFlowId"] == world.site_id and site["name"] == "Denver Shows" and site["enabled"] is True
    assert site["previewUrl"] == world.site["previewUrl"]
    assert site["domains"] == [{"name": "shows.example.com", "lastPublishedAt": None}]

    stored = services().webflow.of_orgs([world.org.id])[world.org.id].sites[0]
    assert stored.eventCollectionId == world.site["collections"]["events"]
    assert stored.venueCollectionId == world.site["collections"]["venues"]
    assert stored.artistCollectionId == world.site["collections"]["artists"]
    assert stored.organizationCollectionId == world.site["collections"]["organizations"]
    assert stored.eventTypeCollectionId == world.site["collections"]["event-types"]

    # The org's admins read it; the super user lists every site; remapping re-reads it.
    mine = data_of(world.admin.gql(f"{{ webFlow {{ {WEB_FLOW_FIELDS} }} }}"))["webFlow"]
    assert mine["_id"] == web_flow["_id"] and mine["sites"][0]["webFlowId"] == world.site_id
    sites = data_of(world.root.gql(f"{{ webFlowSites {{ {SITE_FIELDS} }} }}"))["webFlowSites"]
    assert [s["webFlowId"] for s in sites] == [world.site_id]
    remapped = data_of(
        world.root.gql(
            f"mutation($w: String!) {{ remapWebFlowSite(webFlowId: $w) {{ {WEB_FLOW_FIELDS} }} }}",
            {"w": world.site_id},
        )
    )["remapWebFlowSite"]
    assert [r["orgId"] for r in remapped] == [world.org.id]
    org_view = data_of(world.admin.gql("{ organization { webFlow { _id sites { webFlowId } } } }"))
    assert org_view["organization"]["webFlow"]["sites"] == [{"webFlowId": world.site_id}]

    unknown = error_of(world.root.gql(CREATE_SITE, {"w": "no-such-site", "o": world.org.id}))
    assert unknown["extensions"]["errorCode"] == "NOT_FOUND"


def test_publishing_pushes_venue_artists_org_and_event_then_publishes_the_site():
    world = World()
    world.add_site()
    published = data_of(world.publish(p=[world.site_id], pub=True))["publishEvent"]
    assert published["published"] is True

    event_item = _published_once(world)
    by_kind = {kind: items(kind) for kind in ("venues", "artists", "organizations", "events")}
    assert [len(by_kind[k]) for k in ("venues", "artists", "organizations", "events")] == [1, 2, 1, 1]
    [venue_item], [org_item] = by_kind["venues"], by_kind["organizations"]
    artist_items = {i["fieldData"]["sellout-id"]: i for i in by_kind["artists"]}

    data = event_item["fieldData"]
    assert event_item["isDraft"] is False and event_item["isArchived"] is False and event_item["live"]
    assert data["name"] == "Spring Show" and data["sellout-id"] == world.event_id
    assert data["slug"] == fields.event_slug(world.event_id)
    assert data["plain-text-description"] == "Live"
    assert data["venue"] == venue_item["id"] and data["organization"] == org_item["id"]
    assert data["headlining-performers"] == [artist_items[world.headliner.id]["id"]]
    assert data["opening-performers"] == [artist_items[world.opener.id]["id"]]
    assert data["headlining-performer-name"] == "Headliner"
    assert (data["event-status"], data["button-text"]) == ("On Sale", "Get Tickets")
    assert data["lowest-price"] == 20.0
    assert data["remaining-ticket-quantity"] == 120
    assert (
        venue_item["fieldData"]["city"] == "Denver"
        and venue_item["fieldData"]["sellout-id"] == world.venue.id
    )
    assert org_item["fieldData"]["name"] == "Good Shows"

    # Every item's id and slug is recorded per site; the site's domains carry the publish time.
    entity = data_of(world.admin.gql(ENTITY_OF_EVENT, {"id": world.event_id}))["event"]
    [recorded] = entity["webFlowEntity"]["webFlowIds"]
    assert recorded["webFlowSiteId"] == world.site_id
    assert recorded["webFlowEntityId"] == event_item["id"] and recorded["slug"] == data["slug"]
    assert recorded["webFlowSite"]["name"] == "Denver Shows"
    assert recorded["webFlowSite"]["domains"][0]["lastPublishedAt"] is not None
    assert entity["venue"]["webFlowEntity"]["webFlowIds"] == [{"webFlowEntityId": venue_item["id"]}]
    [publish] = [p for p in publishes() if p["siteId"] == world.site_id]
    assert publish["publishToWebflowSubdomain"] is True and len(publish["customDomains"]) == 1

    # Future schedule times got their status re-sync tasks (R-WF-6), one second after each.
    by_event = FieldFilter("eventId", "==", world.event_id)
    stored_tasks = services().store.client.collection("tasks").where(filter=by_event).stream()
    synced = sorted(Task.model_validate(t.to_dict()).executeAt for t in stored_tasks)
    event = services().store.events.get(world.event_id)
    assert event is not None
    assert synced == fields.resync_times(event, int(time.time()) - 60)


def test_publishing_again_updates_the_same_items():
    world = World()
    world.add_site()
    data_of(world.publish(p=[world.site_id]))
    first = _published_once(world)
    before = {i["id"] for i in items()}

    renamed = event_input(world.venue.id, [world.headliner.id, world.opener.id], name="Summer Show")
    data_of(world.admin.gql(UPDATE_EVENT, {"e": {**renamed, "_id": world.event_id}}))
    data_of(world.publish(p=[world.site_id]))
    wait_for(lambda: len([p for p in publishes() if p["siteId"] == world.site_id]) == 2, PUSH_TIMEOUT)

    assert {i["id"] for i in items()} == before  # updated, not duplicated
    item = world.event_item()
    assert item is not None and item["id"] == first["id"]
    assert item["fieldData"]["name"] == "Summer Show"


def test_unpublishing_removes_the_event_item_and_the_site_from_the_entity():
    world = World()
    world.add_site()
    data_of(world.publish(p=[world.site_id]))
    _published_once(world)

    data_of(world.publish(u=[world.site_id], pub=False))
    wait_for(lambda: world.event_item() is None, PUSH_TIMEOUT)
    entity = data_of(world.admin.gql(ENTITY_OF_EVENT, {"id": world.event_id}))["event"]["webFlowEntity"]
    wait_for(
        lambda: (
            not data_of(world.admin.gql(ENTITY_OF_EVENT, {"id": world.event_id}))["event"]["webFlowEntity"][
                "webFlowIds"
            ]
        ),
        PUSH_TIMEOUT,
    )
    assert entity["selloutId"] == world.event_id
    assert len(items("venues")) == 1  # the venue, artists and org stay for other events


def test_a_venue_always_published_to_a_site_takes_its_events_there():
    world = World()
    world.add_site()
    updated = data_of(
        world.admin.gql(
            "mutation($v: String, $s: [String]) { updateVenuePublishing(venueId: $v, alwaysPublishTo: $s) "
            "{ entities { entityType selloutId alwaysPublishTo } } }",
            {"v": world.venue.id, "s": [world.site_id]},
        )
    )["updateVenuePublishing"]
    assert {
        "entityType": "VENUE",
        "selloutId": world.venue.id,
        "alwaysPublishTo": [world.site_id],
    } in updated["entities"]
    data_of(world.publish(pub=True))  # no site named: the venue's site applies
    assert _published_once(world)["fieldData"]["sellout-id"] == world.event_id


def test_webflow_operations_refuse_callers_without_the_role():
    world = World()
    box_office = staff_of(world.org.id, "BOX_OFFICE")
    outsider = staff_of(make_org("Other").id, "ADMIN")

    def refused(result: dict[str, Any]) -> bool:
        return bool(error_of(result)["extensions"]["code"] == "UNAUTHENTICATED")

    assert refused(box_office.gql("mutation { createWebFlow { _id } }"))
    assert refused(box_office.gql("{ webFlow { _id } }"))
    assert refused(world.admin.gql(CREATE_SITE, {"w": world.site_id, "o": world.org.id}))  # SUPER_USER only
    assert refused(world.admin.gql("{ webFlowSites { _id } }"))
    assert refused(world.admin.gql("mutation($w: String!) { remapWebFlowSite(webFlowId: $w) { _id } }",
                                   {"w": world.site_id}))  # fmt: skip
    venue_publishing = (
        "mutation($v: String) { updateVenuePublishing(venueId: $v, alwaysPublishTo: []) { _id } }"
    )
    assert refused(outsider.gql(venue_publishing, {"v": world.venue.id}))
    assert refused(gql(venue_publishing, {"v": world.venue.id}))
    assert refused(gql(venue_publishing, {"v": "no-such-venue"}))
    assert error_of(world.admin.gql(venue_publishing, {"v": "no-such-venue"}))["extensions"]["errorCode"] == (
        "NOT_FOUND"
    )
    assert refused(box_office.gql(PUBLISH, {"e": world.event_id, "p": [world.site_id]}))

    # The org's ADMIN may: its WebFlow record is created once, however often it is asked for.
    first = data_of(world.admin.gql("mutation { createWebFlow { _id orgId } }"))["createWebFlow"]
    again = data_of(world.admin.gql("mutation { createWebFlow { _id orgId } }"))["createWebFlow"]
    assert first == again and first["orgId"] == world.org.id
    # An unknown site is refused before anything changes.
    unknown = error_of(world.publish(p=["not-a-site"]))
    assert unknown["extensions"]["errorCode"] == "INVALID_INPUT"
    assert unknown["extensions"]["invalidArgs"] == ["publishSiteIds"]
    assert not items()


def test_a_push_or_resync_delivered_twice_changes_the_same_items():
    world = World()
    world.add_site()
    payload = {"action": "publish", "orgId": world.org.id, "siteId": world.site_id, "eventId": world.event_id}
    for _ in range(2):  # Cloud Tasks may deliver a task twice
        response = requests.post(PUSH_URL, json=payload, timeout=60)
        assert response.status_code == 200, response.text
        assert response.json()["result"] == "published"
    assert [len(items(k)) for k in ("venues", "artists", "organizations", "events")] == [1, 2, 1, 1]
    item_ids = {i["id"] for i in items()}

    # A retry after a crash between Webflow's create and our record finds the item by its slug.
    services().store.client.collection("webFlows").document(world.org.id).update({"entities": []})
    assert requests.post(PUSH_URL, json=payload, timeout=60).json()["result"] == "published"
    assert {i["id"] for i in items()} == item_ids

    # An UpdateWebFlowEvent re-sync runs once, however often it is delivered.
    now = int(time.time())
    task = Task(_id=f"{world.event_id}~wfsync~test", taskType="UpdateWebFlowEvent", createdAt=now,
                executeAt=now, orgId=world.org.id, eventId=world.event_id)  # fmt: skip
    services().store.client.collection("tasks").document(task.id).create(task.doc())
    services().store.events.update(world.event_id, {"published": True})
    results = [
        requests.post(PUSH_URL, json={"taskId": task.id}, timeout=60).json()["result"] for _ in range(2)
    ]
    assert results == ["synced", "already done"]
    assert {i["id"] for i in items()} == item_ids


def test_a_busy_webflow_is_retried_without_duplicates_and_a_refusal_is_not_retried():
    world = World()
    world.add_site()
    payload = {"action": "publish", "orgId": world.org.id, "siteId": world.site_id, "eventId": world.event_id}
    # Webflow answers 503 to the third create (venue and two artists made, the org item not).
    fail = {"status": 503, "count": 1, "method": "POST", "after": 3}
    requests.post(f"{WEBFLOW}/_fail", json=fail, timeout=10).raise_for_status()
    busy = requests.post(PUSH_URL, json=payload, timeout=60)
    # 503: the queue delivers the push again
    assert busy.status_code == 503 and busy.json()["error"]["code"] == "BUSY"
    assert [len(items(k)) for k in ("venues", "artists", "organizations", "events")] == [1, 2, 0, 0]

    again = requests.post(PUSH_URL, json=payload, timeout=60)
    assert again.status_code == 200 and again.json()["result"] == "published"
    assert [len(items(k)) for k in ("venues", "artists", "organizations", "events")] == [1, 2, 1, 1]

    # A refusal that no retry can fix (here the site publish) is answered as done, not retried.
    requests.post(f"{WEBFLOW}/_fail", json={"status": 400, "count": 1, "method": "POST"}, timeout=10)
    refused = requests.post(PUSH_URL, json=payload, timeout=60)
    assert refused.status_code == 200
    assert refused.json()["result"] == "failed: Webflow refused to publish the site."


def test_an_event_update_resyncs_its_item_through_a_debounced_task():
    world = World()
    world.add_site()
    data_of(world.publish(p=[world.site_id]))
    first = _published_once(world)

    renamed = event_input(world.venue.id, [world.headliner.id, world.opener.id], name="Autumn Show")
    for _ in range(2):  # two updates in a row share one pending re-sync
        data_of(world.admin.gql(UPDATE_EVENT, {"e": {**renamed, "_id": world.event_id}}))
    by_event = FieldFilter("eventId", "==", world.event_id)
    stored = [Task.model_validate(t.to_dict()) for t in services().store.client.collection("tasks")
              .where(filter=by_event).stream()]  # fmt: skip
    assert 1 <= len([t for t in stored if "~wfsync~" in t.id]) <= 2  # 2 only across a 15 s boundary

    # The task runs 15-30 s later through Cloud Tasks and webflow-push, and updates the same item.
    item = wait_for(lambda: (i := world.event_item()) and i["fieldData"]["name"] == "Autumn Show" and i, 60.0)
    assert item["id"] == first["id"]
    assert len(items("events")) == 1


UPDATE_VENUE = "mutation($venue: VenueInput!) { updateVenue(venue: $venue) { _id name } }"
SELL = "mutation($p: OrderInput!) { createOrder(params: $p) { _id tickets { _id } } }"
REFUND = "mutation($o: String!, $t: [String]) { refundOrder(orderId: $o, ticketIds: $t) { _id } }"


def _resync_tasks(event_id: str) -> set[str]:
    by_event = FieldFilter("eventId", "==", event_id)
    docs = services().store.client.collection("tasks").where(filter=by_event).stream()
    return {d.id for d in docs if "~wfsync~" in d.id}


def test_a_renamed_venue_is_re_pushed_and_a_sale_or_refund_schedules_a_resync():
    world = World()
    world.add_site()
    data_of(world.publish(p=[world.site_id]))
    _published_once(world)

    data_of(world.admin.gql(UPDATE_VENUE, {"venue": {"_id": world.venue.id, "name": "The New Fillmore"}}))
    wait_for(lambda: any(i["fieldData"]["name"] == "The New Fillmore" for i in items("venues")), PUSH_TIMEOUT)
    assert len(items("venues")) == 1  # the same item, updated

    assert _resync_tasks(world.event_id) == set()
    event = services().store.events.get(world.event_id)
    assert event is not None
    ticket_type = event.ticketTypes[0]
    line = {"ticketTypeId": ticket_type.id, "ticketTierId": ticket_type.tiers[0].id, "price": 1}
    clerk = staff_of(world.org.id, "BOX_OFFICE")
    params = {"orgId": world.org.id, "eventId": world.event_id, "channel": "Box Office",
              "paymentMethodType": "Cash", "type": "Paid", "tickets": [line]}  # fmt: skip
    order = data_of(clerk.gql(SELL, {"p": params}))["createOrder"]
    after_sale = _resync_tasks(world.event_id)
    assert len(after_sale) == 1  # the remaining count changed: one debounced re-sync
    services().store.client.collection("tasks").document(next(iter(after_sale))).delete()
    data_of(clerk.gql(REFUND, {"o": order["_id"], "t": [order["tickets"][0]["_id"]]}))
    assert len(_resync_tasks(world.event_id)) == 1  # and the refund put a ticket back on sale
