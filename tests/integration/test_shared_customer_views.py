"""Issue 15 (1): org-scoped views of a shared customer, in the authorization-matrix style.

Org A and org B each have a venue, an artist and an on-sale event; one customer buys from both at
their box offices. Every role of org A (and nobody else) then reads the customer through every path
that shows a profile: `userProfiles`, `userProfilesAdmin`, `order { userProfile }`,
`orders { userProfile }` and `order { user { userProfile } }`. No answer may carry anything of
org B (its org, event, venue or artist id, or its metrics); BOX_OFFICE and above must see org A's
part (so an empty answer cannot pass), SCANNER sees the order but none of the customer's org-bound
lists. Controls: the customer and a super user see both orgs' parts through the same fields.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest

from shared.bootstrap import services
from shared.domain.models import Organization, Role
from tests.integration.api import Caller, data_of, new_user, staff_of, user_id_of
from tests.integration.checkout_fixtures import clerk, connected_org, on_sale_event, ticket
from tests.integration.events_fixtures import make_artist, make_venue

PROFILE = "orgIds eventIds venueIds artistIds metrics { orgId }"
CREATE_ORDER = "mutation($p: OrderInput!) { createOrder(params: $p) { _id } }"
PATHS = {
    "userProfiles": f"query($q: UserProfileQueryInput) {{ userProfiles(query: $q) {{ userId {PROFILE} }} }}",
    "userProfilesAdmin": (
        f"query($q: UserProfileQueryInput) {{ userProfilesAdmin(query: $q) {{ userId {PROFILE} }} }}"
    ),
    "order.userProfile": f"query($o: String) {{ order(orderId: $o) {{ _id userProfile {{ {PROFILE} }} }} }}",
    "orders.userProfile": (
        f"query($e: [String]) {{ orders(query: {{eventIds: $e}}) {{ _id userProfile {{ {PROFILE} }} }} }}"
    ),
    "order.user.userProfile": (
        f"query($o: String) {{ order(orderId: $o) {{ _id user {{ userProfile {{ {PROFILE} }} }} }} }}"
    ),
    # The customer's orders (with the address geolocated from each): only this org's.
    "customerOrders": "query($u: [String]) { orders(query: {userIds: $u}) { _id orgId address { city } } }",
    # The customer also works for org B: where they work is not org A's business.
    "order.user": "query($o: String) { order(orderId: $o) { user { orgContextId orgRole role { orgId } } } }",
}
LISTS = ("userProfiles", "userProfilesAdmin")


@dataclass
class Side:
    org: Organization
    event_id: str
    venue_id: str
    artist_id: str
    order_id: str

    @property
    def ids(self) -> set[str]:
        return {self.org.id, self.event_id, self.venue_id, self.artist_id}


@dataclass
class World:
    a: Side
    b: Side
    customer: Caller
    customer_id: str


def _side(name: str, customer_id: str) -> Side:
    org = connected_org(name)
    venue, artist = make_venue(org.id), make_artist(org.id, f"{name} Band")
    performance = {"headliningArtistIds": [artist.id], "venueId": venue.id}
    event = on_sale_event(org, venueId=venue.id, performances=[performance])
    params = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
              "type": "Paid", "userId": customer_id, "tickets": [ticket(event)]}  # fmt: skip
    order_id = data_of(clerk(org).gql(CREATE_ORDER, {"p": params}))["createOrder"]["_id"]
    return Side(org, event.id, venue.id, artist.id, order_id)


@pytest.fixture
def world() -> World:
    customer = new_user()
    customer_id = user_id_of(customer)
    a, b = _side("Hall A", customer_id), _side("Hall B", customer_id)
    now = int(time.time())
    services().store.roles.create(
        Role(orgId=b.org.id, userId=customer_id, userEmail=customer.email, role="OWNER", createdAt=now,
             createdBy=customer_id, acceptedAt=now)
    )  # fmt: skip
    services().store.users.update(customer_id, {"orgContextId": b.org.id, "orgRole": "OWNER"})
    return World(a, b, customer, customer_id)


def _read(caller: Caller, path: str, world: World) -> dict[str, Any]:
    variables = {
        "q": {"userIds": [world.customer_id]}, "o": world.a.order_id, "e": [world.a.event_id],
        "u": [world.customer_id],
    }  # fmt: skip
    return caller.gql(PATHS[path], variables, org_id=world.a.org.id)


def _profiles(path: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    root = data[path.split(".", maxsplit=1)[0]]
    rows = root if isinstance(root, list) else [root]
    if path in LISTS:
        return rows
    if path == "order.user.userProfile":
        return [row["user"]["userProfile"] for row in rows if row["user"]["userProfile"] is not None]
    return [row["userProfile"] for row in rows]


def _visible_ids(profile: dict[str, Any]) -> set[str]:
    return {
        *profile["orgIds"], *profile["eventIds"], *profile["venueIds"], *profile["artistIds"],
        *(m["orgId"] for m in profile["metrics"] or []),
    }  # fmt: skip


@pytest.mark.parametrize("role", ["SCANNER", "BOX_OFFICE", "ADMIN", "OWNER"])
def test_staff_of_one_org_see_only_their_orgs_part_of_a_shared_customer(world: World, role: str) -> None:
    staff = staff_of(world.a.org.id, role)
    for path in PATHS:
        result = _read(staff, path, world)
        if role == "SCANNER" and path in LISTS:
            assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", path
            continue
        assert not (world.b.ids & set(json.dumps(result).split('"'))), (role, path, result)
        if path == "customerOrders":
            assert [o["_id"] for o in data_of(result)["orders"]] == [world.a.order_id], (role, result)
            continue
        if path == "order.user":
            assert data_of(result)["order"]["user"] == {"orgContextId": None, "orgRole": None, "role": None}
            continue
        profiles = _profiles(path, data_of(result))
        if role == "SCANNER":
            assert all(_visible_ids(p) == set() for p in profiles), (path, profiles)
        else:
            assert [_visible_ids(p) for p in profiles] == [world.a.ids], (role, path, profiles)


def test_the_customer_and_a_super_user_see_both_orgs_through_the_same_fields(world: World) -> None:
    mine = data_of(world.customer.gql(f"{{ userProfile {{ {PROFILE} }} }}"))["userProfile"]
    assert _visible_ids(mine) == world.a.ids | world.b.ids
    me = data_of(world.customer.gql("{ user { orgContextId orgRole role { orgId } } }"))["user"]
    assert me == {"orgContextId": world.b.org.id, "orgRole": "OWNER", "role": {"orgId": world.b.org.id}}
    super_user = new_user(superUser=True)
    for path in ("order.userProfile", "order.user.userProfile"):
        profiles = _profiles(path, data_of(_read(super_user, path, world)))
        assert [_visible_ids(p) for p in profiles] == [world.a.ids | world.b.ids], path


def test_staff_of_both_orgs_see_both_parts(world: World) -> None:
    both = staff_of(world.a.org.id, "BOX_OFFICE")
    user = services().identity.user_for_claims({"uid": both.uid, "email": both.email, "email_verified": True})
    services().store.roles.create(
        Role(orgId=world.b.org.id, userId=user.id, userEmail=both.email, role="BOX_OFFICE",
             createdAt=int(time.time()), createdBy=user.id, acceptedAt=int(time.time()))
    )  # fmt: skip
    profiles = _profiles("order.userProfile", data_of(_read(both, "order.userProfile", world)))
    assert [_visible_ids(p) for p in profiles] == [world.a.ids | world.b.ids]
