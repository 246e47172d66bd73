"""The authorization matrix (SPEC 2.9, Role column of 4.3): every covered mutation × every caller
(anonymous, signed in without a role, SCANNER / BOX_OFFICE / ADMIN / OWNER of the target org, the
same roles held only in another org, and a super user for the SUPER_USER-only fields), with zero
unauthorized successes.

Each mutation gets fresh fixtures: org A (venue, artist, on-sale event with stock, an org fee, an
event fee, a cash order with one ticket, an extra role) and org B. The variables always target org
A's objects. Every caller below the required level is refused with `extensions.code`
"UNAUTHENTICATED" (SPEC 2.7: the code for both a missing sign-in and a too-low role) and no data for
the field. Last, the lowest allowed caller makes the same call and must succeed, which proves the
variables were valid and so the refusals meaningful.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from shared.bootstrap import services
from shared.domain.models import ROLE_LEVELS, Event, Fee, Order, Organization, Role
from tests.integration.api import Caller, data_of, gql, make_org, new_user, staff_of
from tests.integration.checkout_fixtures import clerk, connected_org, on_sale_event, ticket
from tests.integration.events_fixtures import (
    CREATE_EVENT,
    UPDATE_EVENT,
    event_input,
    make_artist,
    make_fee,
    make_venue,
)

STAFF_ROLES = ("SCANNER", "BOX_OFFICE", "ADMIN", "OWNER")
REFUSED = "UNAUTHENTICATED"
# A foreign caller may instead be told the object does not exist (hiding its existence, SPEC 2.7
# maps NOT_FOUND to code 404). That is still a refusal; the cases where it happened are reported.
HIDDEN = 404
# A foreign ADMIN/OWNER acting in its own context org B on a create that names A's objects (e.g.
# createEvent with A's venue) may be answered "Invalid Fields": A's object is unknown in B. Also a
# refusal (nothing is written, checked through the org A snapshot); reported like the 404s.
UNKNOWN_IN_B = "BAD_USER_INPUT"

TOTALS: Counter[str] = Counter()
HIDDEN_SEEN: set[str] = set()

FEE_FIELDS = "_id orgId eventId name value disabled"
CREATE_ORDER = """mutation($p: OrderInput!) { createOrder(params: $p) { _id orgId } }"""


@dataclass
class World:
    a: Organization
    b: Organization
    venue_id: str
    artist_id: str
    event: Event
    org_fee: Fee
    event_fee: Fee
    order: Order
    extra_role_id: str
    setup_admin: Caller  # an ADMIN of A used only to build fixtures through the API
    super_user: Caller
    extra: dict[str, Any] = field(default_factory=dict)


def _world() -> World:
    a, b = connected_org("Org A"), make_org("Org B")
    venue = make_venue(a.id)
    artist = make_artist(a.id)
    event = on_sale_event(a, capacity=50, venueId=venue.id)
    org_fee = make_fee(a.id, "Org facility fee")
    event_fee = make_fee(a.id, "Event fee", eventId=event.id)
    cash = {"orgId": a.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
            "type": "Paid", "tickets": [ticket(event)]}  # fmt: skip
    order_id = data_of(clerk(a).gql(CREATE_ORDER, {"p": cash}))["createOrder"]["_id"]
    services().store.orders.update(order_id, {"email": "buyer@example.com"})  # for the QR e-mail
    order = services().store.orders.get(order_id)
    assert order is not None and len(order.tickets) == 1
    extra = staff_of(a.id, "SCANNER")
    roles = services().store.roles.find(("userEmail", "==", extra.email))
    assert len(roles) == 1
    return World(
        a=a,
        b=b,
        venue_id=venue.id,
        artist_id=artist.id,
        event=event,
        org_fee=org_fee,
        event_fee=event_fee,
        order=order,
        extra_role_id=roles[0].id,
        setup_admin=staff_of(a.id, "ADMIN"),
        super_user=new_user(superUser=True),
    )


# --- the mutations ------------------------------------------------------------------------------


@dataclass
class Case:
    name: str  # the mutation field
    query: str
    level: str  # the minimum role (SPEC 4.3), SUPER_USER for the platform-only fields
    variables: Callable[[World], dict[str, Any]]
    # For mutations that act on the caller's *context* org (X-Org-Id) rather than on a named
    # object: the org the result belongs to. A foreign ADMIN acting in its own org B may succeed
    # there, provided nothing in org A was touched (checked through this).
    context_org_of: Callable[[dict[str, Any]], str] | None = None


def _platform_fee(w: World) -> str:
    created = data_of(
        w.super_user.gql(
            f"mutation($f: FeeInput!) {{ createPlatformFee(fee: $f) {{ {FEE_FIELDS} }} }}",
            {"f": {"name": "Sellout", "type": "Flat", "value": 100}},
        )
    )["createPlatformFee"]
    return str(created["_id"])


def _api_event(w: World) -> dict[str, Any]:
    """An event created through the API, turned into a valid EventInput for updateEvent."""
    created = data_of(w.setup_admin.gql(CREATE_EVENT, {"e": event_input(w.venue_id, [w.artist_id])}))
    change: dict[str, Any] = copy.deepcopy(created["createEvent"])
    for key in ("fees", "orgId", "published", "active", "createdAt"):
        change.pop(key)
    change["name"] = "Renamed"
    return change


FLAT = {
    "name": "Facility fee",
    "type": "Flat",
    "value": 150,
    "appliedTo": "Ticket",
    "appliedBy": "Organization",
}

CASES = [
    Case(
        "createVenue",
        "mutation($v: VenueInput!) { createVenue(venue: $v) { _id orgId } }",
        "ADMIN",
        lambda w: {"v": {"name": "New Hall", "orgId": w.a.id}},
        context_org_of=lambda d: str(d["orgId"]),
    ),
    Case(
        "updateVenue",
        "mutation($v: VenueInput!) { updateVenue(venue: $v) { _id orgId name } }",
        "ADMIN",
        lambda w: {"v": {"_id": w.venue_id, "name": "Renamed Hall", "orgId": w.a.id}},
    ),
    Case(
        "createArtist",
        "mutation($a: ArtistInput!) { createArtist(artist: $a) { _id orgId } }",
        "ADMIN",
        lambda w: {"a": {"name": "New Band", "orgId": w.a.id}},
        context_org_of=lambda d: str(d["orgId"]),
    ),
    Case(
        "updateArtist",
        "mutation($a: ArtistInput!) { updateArtist(artist: $a) { _id orgId name } }",
        "ADMIN",
        lambda w: {"a": {"_id": w.artist_id, "name": "Renamed Band", "orgId": w.a.id}},
    ),
    Case(
        "createEvent",
        CREATE_EVENT,
        "ADMIN",
        lambda w: {"e": event_input(w.venue_id, [w.artist_id], orgId=w.a.id)},
        context_org_of=lambda d: str(d["orgId"]),
    ),
    Case("updateEvent", UPDATE_EVENT, "ADMIN", lambda w: {"e": _api_event(w)}),
    Case(
        "publishEvent",
        "mutation($id: String!, $p: Boolean) { publishEvent(eventId: $id, published: $p) { _id published } }",
        "ADMIN",
        lambda w: {"id": w.event.id, "p": False},
    ),
    Case(
        "holdTicket",
        """mutation($id: String, $h: TicketHoldInput) { holdTicket(eventId: $id, params: $h) {
             _id holds { _id qty } } }""",
        "ADMIN",
        lambda w: {
            "id": w.event.id,
            "h": {"_id": "band-hold", "name": "Band", "ticketTypeId": w.event.ticketTypes[0].id, "qty": 2},
        },
    ),
    Case(
        "deleteEvent",
        """mutation($org: String!, $id: String!) { deleteEvent(orgId: $org, eventId: $id) {
             ordersCount deleted } }""",
        "ADMIN",
        lambda w: {"org": w.a.id, "id": w.event.id},
    ),
    Case(
        "duplicateEvent",
        "mutation($id: String!) { duplicateEvent(eventId: $id) { _id orgId } }",
        "ADMIN",
        lambda w: {"id": w.event.id},
    ),
    Case(
        "createFee",  # an event fee on A's event: the event names the org, whatever the context
        f"mutation($f: FeeInput!) {{ createFee(fee: $f) {{ {FEE_FIELDS} }} }}",
        "ADMIN",
        lambda w: {"f": {**FLAT, "eventId": w.event.id}},
    ),
    Case(
        "updateFee",
        f"mutation($f: FeeInput!) {{ updateFee(fee: $f) {{ {FEE_FIELDS} }} }}",
        "ADMIN",
        lambda w: {"f": {"_id": w.org_fee.id, "value": 175}},
    ),
    Case(
        "disableFee",
        "mutation($id: String!) { disableFee(feeId: $id) }",
        "ADMIN",
        lambda w: {"id": w.event_fee.id},
    ),
    Case(
        "createOrganizationFee",
        "mutation($o: String!, $f: FeeInput!) "
        f"{{ createOrganizationFee(orgId: $o, fee: $f) {{ {FEE_FIELDS} }} }}",
        "SUPER_USER",
        lambda w: {"o": w.a.id, "f": FLAT},
    ),
    Case(
        "updateOrganizationFee",
        "mutation($o: String!, $f: FeeInput!) "
        f"{{ updateOrganizationFee(orgId: $o, fee: $f) {{ {FEE_FIELDS} }} }}",
        "SUPER_USER",
        lambda w: {"o": w.a.id, "f": {"_id": w.org_fee.id, "value": 175}},
    ),
    Case(
        "deleteOrganizationFee",
        "mutation($o: String!, $id: String!) { deleteOrganizationFee(orgId: $o, feeId: $id) }",
        "SUPER_USER",
        lambda w: {"o": w.a.id, "id": w.org_fee.id},
    ),
    Case(
        "createPlatformFee",
        f"mutation($f: FeeInput!) {{ createPlatformFee(fee: $f) {{ {FEE_FIELDS} }} }}",
        "SUPER_USER",
        lambda w: {"f": {"name": "Platform", "type": "Flat", "value": 100}},
    ),
    Case(
        "updatePlatformFee",
        f"mutation($f: FeeInput!) {{ updatePlatformFee(fee: $f) {{ {FEE_FIELDS} }} }}",
        "SUPER_USER",
        lambda w: {"f": {"_id": _platform_fee(w), "value": 125}},
    ),
    Case(
        "deletePlatformFee",
        "mutation($id: String!) { deletePlatformFee(feeId: $id) }",
        "SUPER_USER",
        lambda w: {"id": _platform_fee(w)},
    ),
    Case(
        "applyPlatformFeesToAllOrganizations",
        "mutation { applyPlatformFeesToAllOrganizations }",
        "SUPER_USER",
        lambda w: {},
    ),
    Case(
        "updateOrganization",
        "mutation($o: OrganizationInput!) { updateOrganization(organization: $o) { _id orgName } }",
        "ADMIN",
        lambda w: {"o": {"orgName": "Renamed Org"}},
        context_org_of=lambda d: str(d["_id"]),
    ),
    Case(
        "createRole",
        "mutation($r: RoleInput!) { createRole(role: $r) { _id orgId role } }",
        "ADMIN",
        lambda w: {"r": {"orgId": w.a.id, "userEmail": "invitee@example.com", "role": "SCANNER"}},
    ),
    Case(
        "deleteRole",
        "mutation($id: String!) { deleteRole(roleId: $id) }",
        "ADMIN",
        lambda w: {"id": w.extra_role_id},
    ),
    Case(
        "updateOrder",
        "mutation($p: UpdateOrderInput) { updateOrder(params: $p) { _id email } }",
        "BOX_OFFICE",
        lambda w: {"p": {"orderId": w.order.id, "email": "changed@example.com"}},
    ),
    Case(
        "refundOrder",
        """mutation($o: String!, $t: [String]) { refundOrder(orderId: $o, ticketIds: $t,
             refundReason: "matrix") { _id state } }""",
        "BOX_OFFICE",
        lambda w: {"o": w.order.id, "t": [w.order.tickets[0].id]},
    ),
    Case(
        "cancelOrder",
        """mutation($o: String!, $t: [String]) { cancelOrder(orderId: $o, ticketIds: $t,
             cancelReason: "matrix") { _id state } }""",
        "BOX_OFFICE",
        lambda w: {"o": w.order.id, "t": [w.order.tickets[0].id]},
    ),
    Case(
        "refundEventOrders",
        """mutation($e: String!, $d: Boolean!) { refundEventOrders(eventId: $e, dryRun: $d) {
             refundCount dryRun } }""",
        "ADMIN",
        lambda w: {"e": w.event.id, "d": True},
    ),
    Case(
        "scanOrder",
        """mutation($o: String!, $t: [String]!, $u: [String]!) {
             scanOrder(orderId: $o, ticketIds: $t, upgradeIds: $u) }""",
        "SCANNER",
        lambda w: {"o": w.order.id, "t": [w.order.tickets[0].id], "u": []},
    ),
    Case(
        "sendOrderQRCodeEmail",
        "mutation($id: String!) { sendOrderQRCodeEmail(orderId: $id) }",
        "ADMIN",
        lambda w: {"id": w.order.id},
    ),
    Case(
        "createOrder",  # a box-office cash sale: BOX_OFFICE of the event's org (R-ORD-8)
        CREATE_ORDER,
        "BOX_OFFICE",
        lambda w: {
            "p": {
                "orgId": w.a.id,
                "eventId": w.event.id,
                "channel": "Box Office",
                "paymentMethodType": "Cash",
                "type": "Paid",
                "tickets": [ticket(w.event)],
            }
        },
    ),
]


# --- the callers --------------------------------------------------------------------------------


@dataclass
class Attempt:
    label: str
    token: str | None
    org_header: str
    level_in_a: int
    level_in_header_org: int


def _attempts(w: World) -> list[Attempt]:
    anyone = new_user()
    found = [
        Attempt("anonymous", None, w.a.id, 0, 0),
        Attempt("signed in, no role", anyone.token, w.a.id, 0, 0),
    ]
    for role in STAFF_ROLES:
        level = ROLE_LEVELS[role]
        own = staff_of(w.a.id, role)
        found.append(Attempt(f"own {role}", own.token, w.a.id, level, level))
        foreign = staff_of(w.b.id, role)
        found.append(Attempt(f"foreign {role} (X-Org-Id=B)", foreign.token, w.b.id, 0, level))
        found.append(Attempt(f"foreign {role} (X-Org-Id=A)", foreign.token, w.a.id, 0, 0))
    return found


def _lowest_allowed(w: World, level: str) -> Caller:
    if level == "SUPER_USER":
        return w.super_user
    return staff_of(w.a.id, level)


@pytest.fixture(scope="module", autouse=True)
def report_totals() -> Iterator[None]:
    yield
    print(
        f"\nauthorization matrix: {TOTALS['calls']} calls, {TOTALS['refusals']} refusals "
        f"({TOTALS['hidden']} as 404 / unknown-in-B for foreign callers: {sorted(HIDDEN_SEEN)}), "
        f"{TOTALS['own_org_b']} foreign-context successes confined to org B, "
        f"{TOTALS['successes']} allowed successes, {TOTALS['unauthorized']} unauthorized successes"
    )


def _a_snapshot(w: World) -> dict[str, Any]:
    """Org A's own records that a context-org mutation acting on B must leave alone."""
    store = services().store
    org = store.organizations.get(w.a.id)
    return {
        "org": org.doc() if org else None,
        "venues": sorted(v.id for v in store.venues.find(("orgId", "==", w.a.id))),
        "artists": sorted(a.id for a in store.artists.find(("orgId", "==", w.a.id))),
        "events": sorted(e.id for e in store.events.find(("orgId", "==", w.a.id))),
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_only_the_required_role_of_the_owning_org_may_call(case: Case) -> None:
    started = time.monotonic()
    w = _world()
    variables = case.variables(w)
    required = ROLE_LEVELS[case.level]
    before = _a_snapshot(w)
    unauthorized: list[str] = []

    for attempt in _attempts(w):
        may_act_in_header_org = case.context_org_of is not None and attempt.level_in_header_org >= required
        if attempt.org_header == w.a.id and attempt.level_in_a >= required:
            continue  # allowed in A: only the lowest allowed caller calls, last (it mutates)
        result = gql(case.query, variables, token=attempt.token, org_id=attempt.org_header)
        TOTALS["calls"] += 1
        value = (result.get("data") or {}).get(case.name)
        if may_act_in_header_org and not result.get("errors"):
            # A foreign ADMIN/OWNER acting in its own context org B: legitimate only inside B.
            assert case.context_org_of is not None
            acted_on = case.context_org_of(value) if value is not None else None
            if acted_on != w.b.id:
                unauthorized.append(f"{attempt.label}: acted on {acted_on}")
                TOTALS["unauthorized"] += 1
                continue
            TOTALS["own_org_b"] += 1
            continue
        errors = result.get("errors") or []
        if not errors or value is not None:
            unauthorized.append(f"{attempt.label}: {result}")
            TOTALS["unauthorized"] += 1
            continue
        code = errors[0].get("extensions", {}).get("code")
        foreign = attempt.label.startswith("foreign")
        allowed_codes = {REFUSED, HIDDEN} if foreign else {REFUSED}
        if may_act_in_header_org:
            allowed_codes.add(UNKNOWN_IN_B)
        assert code in allowed_codes, f"{case.name} / {attempt.label}: unexpected error {errors[0]}"
        if code in (HIDDEN, UNKNOWN_IN_B):
            TOTALS["hidden"] += 1
            HIDDEN_SEEN.add(f"{case.name}/{attempt.label}: {code}")
        TOTALS["refusals"] += 1

    assert unauthorized == [], f"{case.name}: unauthorized successes: {unauthorized}"
    if case.context_org_of is not None:
        assert _a_snapshot(w) == before, f"{case.name}: a foreign caller changed org A"

    # Last, the lowest allowed caller: the same variables must succeed.
    allowed = _lowest_allowed(w, case.level)
    result = allowed.gql(case.query, variables, org_id=w.a.id)
    TOTALS["calls"] += 1
    assert not result.get("errors"), f"{case.name} as {case.level} of A failed: {result['errors']}"
    assert result["data"][case.name] is not None
    if case.context_org_of is not None:
        assert case.context_org_of(result["data"][case.name]) == w.a.id
    TOTALS["successes"] += 1
    print(f"{case.name}: {time.monotonic() - started:.1f}s")


def test_a_pending_role_grants_nothing() -> None:
    """SPEC 2.9: a role counts only once accepted; an unaccepted ADMIN invite is refused."""
    w = _world()
    invitee = new_user()
    user = services().identity.user_for_claims(
        {"uid": invitee.uid, "email": invitee.email, "email_verified": True}
    )
    services().store.roles.create(
        Role(
            orgId=w.a.id,
            userId=user.id,
            userEmail=invitee.email,
            role="ADMIN",
            createdAt=int(time.time()),
            createdBy="t",
        )
    )
    result = invitee.gql(
        "mutation($v: VenueInput!) { createVenue(venue: $v) { _id } }",
        {"v": {"name": f"Hall {uuid.uuid4().hex[:4]}"}},
        org_id=w.a.id,
    )
    assert result.get("errors") and result["errors"][0]["extensions"]["code"] == REFUSED
    assert (result.get("data") or {}).get("createVenue") is None
