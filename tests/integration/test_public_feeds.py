"""The public website feeds (SPEC 4.8) on the real emulators: GraphQL `eventsList` /
`eventsDetails` and the REST `GET /getEventList`, `GET /getEventDetail` of the graphql function,
anonymous, showing only listed events and nothing private about them."""

from __future__ import annotations

import time
from typing import Any

import requests

from emulator import config
from shared.bootstrap import services
from shared.domain.models import Event, Organization
from tests.integration.api import data_of, error_of, gql, make_org, staff_of

FEEDS = f"{config.FUNCTIONS_URL}/graphql"
HOUR = 3600
ORG_SECRETS = {"tegSecret": "teg-secret-value", "stripeId": "acct_private123", "tegClientID": "teg-client"}
WAITER_EMAIL = "waiting-fan@example.com"
UNLOCK_CODE = "SECRETUNLOCK"


def org_with_secrets(name: str) -> Organization:
    org = make_org(name)
    services().store.organizations.update(org.id, ORG_SECRETS)
    return org


def public_event(org_id: str, name: str, **over: Any) -> Event:
    now = int(time.time())
    schedule = {"announceAt": now - HOUR, "startsAt": now + 24 * HOUR, "endsAt": now + 27 * HOUR}
    data: dict[str, Any] = {
        "orgId": org_id, "createdAt": now, "name": name, "stub": name.lower().replace(" ", "-"),
        "published": True, "publishable": True,
        "waitList": [{"name": "Fan", "email": WAITER_EMAIL, "phoneNumber": "+15555550100"}],
        "promotions": [{"code": UNLOCK_CODE, "type": "Unlock", "totalQty": 5, "remainingQty": 5,
                        "startsAt": now - HOUR, "endsAt": now + HOUR, "useLimit": 1}],
    }  # fmt: skip
    data["schedule"] = {**schedule, **over.pop("schedule", {})}
    data.update(over)
    return services().store.events.create(Event.model_validate(data))


def get(path: str, **params: str) -> requests.Response:
    return requests.get(f"{FEEDS}{path}", params=params, timeout=30)


def test_the_list_shows_only_published_announced_upcoming_events_of_every_org_soonest_first() -> None:
    org, other = org_with_secrets("Owl"), org_with_secrets("Lark")
    now = int(time.time())
    later = public_event(
        org.id, "Later Show", schedule={"startsAt": now + 48 * HOUR, "endsAt": now + 50 * HOUR}
    )
    sooner = public_event(other.id, "Sooner Show", schedule={"startsAt": now + 2 * HOUR})
    running = public_event(org.id, "Running Now", schedule={"startsAt": now - HOUR, "endsAt": now + HOUR})
    hidden_events: list[tuple[str, dict[str, Any]]] = [
        ("Draft", {"published": False}),
        ("Not Publishable", {"publishable": False}),
        ("Deleted", {"active": False}),
        ("Cancelled", {"cancel": True}),
        ("Unannounced", {"schedule": {"announceAt": now + HOUR}}),
        ("Over", {"schedule": {"startsAt": now - 5 * HOUR, "endsAt": now - HOUR}}),
    ]
    for name, over in hidden_events:
        public_event(org.id, name, **over)
    expected = [running.id, sooner.id, later.id]

    listed = data_of(gql("{ eventsList { _id name } }"))["eventsList"]
    everyone = get("/getEventList")
    one_org = get("/getEventList", orgId=org.id)

    assert [e["_id"] for e in listed] == expected
    assert everyone.status_code == 200 and everyone.json()["status"] == 200
    assert [e["_id"] for e in everyone.json()["events"]] == expected
    assert [e["_id"] for e in one_org.json()["events"]] == [running.id, later.id]
    assert get("/getEventList", orgId="no-such-org").json() == {"status": 200, "events": []}


def test_detail_by_id_or_stub_and_not_found_for_what_the_website_does_not_show() -> None:
    org = org_with_secrets("Owl")
    shown = public_event(org.id, "Spring Show")
    cancelled = public_event(org.id, "Called Off", cancel=True)  # keeps its page, says cancelled
    draft = public_event(org.id, "Secret Draft", published=False)

    by_id = get("/getEventDetail", id=shown.id)
    by_stub = get("/getEventDetail", name="spring-show")
    over_graphql = data_of(
        gql("query($id: String) { eventsDetails(eventId: $id) { _id name } }", {"id": shown.id})
    )

    assert by_id.status_code == 200 and by_id.json()["status"] == 200
    assert by_id.json()["event"]["_id"] == shown.id and by_id.json()["event"]["name"] == "Spring Show"
    assert by_stub.json()["event"]["_id"] == shown.id
    assert over_graphql["eventsDetails"] == {"_id": shown.id, "name": "Spring Show"}
    assert get("/getEventDetail", id=cancelled.id).json()["event"]["cancel"] is True
    for params in ({"id": draft.id}, {"name": "secret-draft"}, {"id": "no-such-event"}):
        hidden = get("/getEventDetail", **params)
        assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "NOT_FOUND"
    error = error_of(gql("query($id: String) { eventsDetails(eventId: $id) { _id } }", {"id": draft.id}))
    assert error["extensions"]["errorCode"] == "NOT_FOUND"
    assert get("/getEventDetail").status_code == 422


def test_public_payloads_carry_no_private_fields_even_for_a_signed_in_admin() -> None:
    org = org_with_secrets("Owl")
    event = public_event(org.id, "Spring Show")
    admin = staff_of(org.id, "ADMIN")
    admin_header = {"Authorization": f"Bearer {admin.token}"}

    rest_list = requests.get(f"{FEEDS}/getEventList", headers=admin_header, timeout=30).text
    rest_detail = requests.get(
        f"{FEEDS}/getEventDetail", params={"id": event.id}, headers=admin_header, timeout=30
    )
    graphql = gql(
        "{ eventsList { _id waitList { email } organization { tegSecret orgName } analytics { label } } }"
    )

    for body in (rest_list, rest_detail.text):
        for private in (*ORG_SECRETS.values(), WAITER_EMAIL, UNLOCK_CODE, "waitList", "promotions"):
            assert private not in body
    detail = rest_detail.json()["event"]
    assert detail["organization"]["orgName"] == "Owl" and detail["venue"] is None
    assert detail["ticketTypes"] == [] and detail["schedule"]["startsAt"] == event.schedule.startsAt
    (listed,) = data_of(graphql)["eventsList"]
    assert listed["waitList"] == [] and listed["organization"] == {"tegSecret": None, "orgName": "Owl"}
    assert listed["analytics"] is None


def test_the_feeds_are_cacheable_and_open_to_any_website() -> None:
    org = org_with_secrets("Owl")
    public_event(org.id, "Spring Show")
    response = requests.get(
        f"{FEEDS}/getEventList", headers={"Origin": "https://promoter.example"}, timeout=30
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    preflight = requests.options(f"{FEEDS}/getEventDetail", timeout=30)
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert requests.post(f"{FEEDS}/getEventList", timeout=30).status_code != 200  # read-only
