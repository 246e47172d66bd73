"""Door scanning (SPEC R-SCAN-1..5, D-3; SECURITY 20-22, 28) through the scan function and
GraphQL `scanOrder`, on the real emulators with real ID tokens."""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from emulator import config
from shared.adapters.order_store import changed_fields
from shared.bootstrap import services
from shared.domain import scan_rules, ticket_codes
from shared.domain.models import Order
from shared.errors import DomainError
from tests.integration.api import Caller, data_of, error_of, gql, make_org, new_user, staff_of, user_id_of
from tests.integration.orders_fixtures import (
    DAY,
    code_for,
    local_noon,
    make_event,
    make_order,
    signer,
    ticket,
    upgrade,
)

SCAN_URL = f"{config.FUNCTIONS_URL}/scan/"
SCAN_ORDER = """mutation($o: String!, $t: [String]!, $u: [String]!) {
  scanOrder(orderId: $o, ticketIds: $t, upgradeIds: $u, name: "ignored", pagination: {pageSize: 1}) }"""
ALREADY = "Ticket already scanned."


def scan(
    caller: Caller | None, code: str, tickets: list[str] | None = None, upgrades: list[str] | None = None
) -> requests.Response:
    headers = {"Authorization": f"Bearer {caller.token}"} if caller else {}
    body: dict[str, Any] = {"code": code, "ticketIds": tickets or [], "upgradeIds": upgrades or []}
    return requests.post(SCAN_URL, json=body, headers=headers, timeout=60)


def refusal(response: requests.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["message"]


def stored(order: Order) -> Order:
    found = services().store.orders.get(order.id)
    assert found is not None
    return found


def scanned_flags(order: Order) -> list[list[bool]]:
    current = stored(order)
    return [[s.scanned for s in t.scan] for t in current.tickets] + [
        [u.scan.scanned] for u in current.upgrades
    ]


def test_scan_order_over_graphql_admits_once_then_refuses():
    org = make_org()
    order = make_order(make_event(org.id), tickets=[ticket(), ticket()], upgrades=[upgrade()])
    scanner = staff_of(org.id, "SCANNER")
    variables = {"o": order.id, "t": [order.tickets[0].id], "u": [order.upgrades[0].id]}
    assert data_of(scanner.gql(SCAN_ORDER, variables))["scanOrder"] is True
    current = stored(order)
    assert current.tickets[0].scan[0].scanned and current.tickets[0].scan[0].scannedBy == user_id_of(scanner)
    assert current.tickets[0].scan[0].scannedAt > 0 and current.upgrades[0].scan.scanned
    assert not current.tickets[1].scan[0].scanned
    again = error_of(scanner.gql(SCAN_ORDER, {**variables, "o": order.secretId, "u": []}))
    assert again["message"] == ALREADY and again["extensions"]["code"] == 409
    assert error_of(gql(SCAN_ORDER, variables))["message"] == "Authentication Required."


def test_the_scan_function_admits_by_secret_signed_and_legacy_codes_and_answers_no_secret():
    org = make_org()
    order = make_order(make_event(org.id), tickets=[ticket(), ticket(), ticket()], upgrades=[upgrade()])
    scanner = staff_of(org.id, "SCANNER")
    t1, t2, t3 = (t.id for t in order.tickets)
    first = scan(scanner, order.secretId, [t1])
    assert first.status_code == 200
    assert first.json() == {
        "admitted": [t1],
        "order": {"_id": order.id, "eventName": order.eventName, "state": "Active"},
    }
    assert order.secretId not in first.text
    per_item = scan(scanner, code_for(order, "ticket", t2))  # no ids: the code's own item
    assert per_item.json()["admitted"] == [t2]
    assert refusal(scan(scanner, code_for(order, "ticket", t2))) == (409, ALREADY)
    legacy = scan(scanner, json.dumps({"orderId": order.secretId}))  # whole order: what is left
    assert legacy.json()["admitted"] == [t3, order.upgrades[0].id]
    assert refusal(scan(scanner, code_for(order))) == (409, ALREADY)
    assert scanned_flags(order) == [[True]] * 4
    assert refusal(scan(None, order.id)) == (401, "Authentication Required.")


def test_keys_endpoint_serves_the_verifying_key():
    keys = requests.get(f"{SCAN_URL}keys", timeout=10).json()
    current = signer()
    assert keys == {current.key_id: ticket_codes.public_key_text(current.public_key)}


def test_forged_and_tampered_codes_are_refused():
    org = make_org()
    order = make_order(make_event(org.id), tickets=[ticket(), ticket()])
    scanner = staff_of(org.id, "SCANNER")
    t1, t2 = (t.id for t in order.tickets)
    # Forged: a well-formed code signed by a key that is not ours, but claiming our key id.
    other_key = Ed25519PrivateKey.generate()
    raw = other_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    forger = ticket_codes.TicketSigner(ticket_codes.private_key_from_setting(base64.b64encode(raw).decode()))
    identity = ticket_codes.TicketIdentity(order.eventId, order.secretId, "ticket", t1)
    forged = json.loads(forger.payload(identity)) | {"k": signer().key_id}
    assert refusal(scan(scanner, json.dumps(forged))) == (400, "This ticket code is not valid.")
    assert refusal(scan(scanner, forger.payload(identity))) == (
        400,
        "This ticket code is not valid.",
    )  # unknown key
    # Tampered: a genuine code for t1 with the ticket id changed to t2.
    tampered = json.loads(code_for(order, "ticket", t1)) | {"ticketId": t2}
    assert refusal(scan(scanner, json.dumps(tampered))) == (400, "This ticket code is not valid.")
    stripped = {k: v for k, v in tampered.items() if k != "sig"}  # signature removed, rest kept
    assert refusal(scan(scanner, json.dumps(stripped))) == (400, "This ticket code is not valid.")
    other_event = json.loads(code_for(order, "ticket", t1)) | {"e": "another-event"}
    assert refusal(scan(scanner, json.dumps(other_event)))[0] == 400
    assert refusal(scan(scanner, "{not json"))[0] == 400
    assert scanned_flags(order) == [[False], [False]]  # nothing was admitted
    # A code whose secret was reissued (refund / reissue) no longer finds the order.
    genuine = code_for(order, "ticket", t1)
    services().store.orders.update(order.id, {"secretId": ticket_codes.new_secret_id()})
    assert refusal(scan(scanner, genuine))[0] == 404


def test_multi_day_tickets_admit_todays_slot_only():
    org = make_org()
    tz = "Pacific/Auckland"  # far from UTC: "today" must be the venue's date
    event = make_event(org.id, timezone=tz)
    days = [local_noon(-1, tz), local_noon(0, tz), local_noon(1, tz)]
    not_today = [local_noon(2, tz), local_noon(3, tz)]
    order = make_order(event, tickets=[ticket(slots=days), ticket(slots=not_today)])
    scanner = staff_of(org.id, "SCANNER")
    multi, later = (t.id for t in order.tickets)
    assert scan(scanner, order.id, [multi]).json()["admitted"] == [multi]
    assert scanned_flags(order)[0] == [False, True, False]
    assert refusal(scan(scanner, order.id, [multi])) == (409, ALREADY)
    assert refusal(scan(scanner, order.id, [later])) == (409, "This ticket is not valid today.")
    assert scanned_flags(order)[1] == [False, False]


def test_refunded_and_canceled_items_and_orders_are_refused_with_a_reason():
    org = make_org()
    event = make_event(org.id)
    refunded = ticket(state="Canceled", refund={"refunded": True, "refundedAt": 1, "refundedAmount": 2500})
    order = make_order(
        event,
        tickets=[ticket(), refunded, ticket(state="Canceled")],
        upgrades=[upgrade(state="Canceled")],
        state="Partial Refund",
    )
    scanner = staff_of(org.id, "SCANNER")
    ok, gone, canceled = (t.id for t in order.tickets)
    assert refusal(scan(scanner, order.id, [ok, gone])) == (409, "Ticket refunded.")
    assert refusal(scan(scanner, order.id, [canceled, ok])) == (409, "Ticket canceled.")
    assert refusal(scan(scanner, order.id, [ok], [order.upgrades[0].id])) == (409, "Ticket canceled.")
    assert refusal(scan(scanner, order.id, [ok, "nope"])) == (404, "That ticket is not part of this order.")
    assert scanned_flags(order) == [[False]] * 4  # all or nothing
    for state, reason in (
        ("Refunded", "This order has been refunded."),
        ("Canceled", "This order has been canceled."),
    ):
        closed = make_order(event, state=state)
        assert refusal(scan(scanner, closed.secretId, [closed.tickets[0].id])) == (409, reason)
    assert scan(scanner, order.id).json()["admitted"] == [ok]  # whole order: only the live ticket


def test_a_scanner_of_another_org_is_refused():
    org = make_org()
    order = make_order(make_event(org.id))
    for caller in (staff_of(make_org().id, "OWNER"), new_user(), staff_of(org.id, "USER")):
        assert refusal(scan(caller, order.secretId))[0] == 403
        assert (
            error_of(caller.gql(SCAN_ORDER, {"o": order.id, "t": [], "u": []}))["extensions"]["code"]
            == "UNAUTHENTICATED"
        )
    assert scanned_flags(order) == [[False]]


SCANNERS = 10


def test_control_a_naive_read_then_write_admits_the_same_ticket_more_than_once():
    """SECURITY 28: with the compare-and-set removed the race is real."""
    org = make_org()
    order = make_order(make_event(org.id))
    ref = services().store.client.collection("orders").document(order.id)
    start = threading.Barrier(SCANNERS)
    tz = scan_rules.zone(None)

    def naive_scan(i: int) -> bool:
        start.wait(timeout=30)
        current = Order.model_validate(ref.get().to_dict())
        try:
            plan = scan_rules.plan_scan(
                current, [order.tickets[0].id], [], now=1.0 * DAY, tz=tz, caller_id=f"s{i}"
            )
        except DomainError:
            return False
        ref.update(changed_fields(current, plan.order))  # no precondition: last writer wins
        return True

    with ThreadPoolExecutor(max_workers=SCANNERS) as pool:
        admitted = sum(pool.map(naive_scan, range(SCANNERS)))
    assert admitted > 1, "the race did not show: the control proves nothing"


def test_compare_and_set_admits_once_even_when_every_scanner_read_before_any_wrote():
    """The worst interleaving, forced: all ten read the unscanned ticket, then all ten write.
    Without the compare-and-set every one of them would admit (the control above)."""
    org = make_org()
    order = make_order(make_event(org.id))
    order_store = services().order_store
    all_read = threading.Barrier(SCANNERS)
    tz = scan_rules.zone(None)

    def guarded_scan(i: int) -> str:
        first_try = [True]

        def change(current: Order) -> tuple[Order, list[str]]:
            plan = scan_rules.plan_scan(
                current, [order.tickets[0].id], [], now=1.0 * DAY, tz=tz, caller_id=f"s{i}"
            )
            if first_try.pop() if first_try else False:
                all_read.wait(timeout=30)  # nobody writes before everybody has read
            return plan.order, plan.admitted

        try:
            order_store.modify(order.id, change)
        except DomainError as error:
            return error.message
        return "admitted"

    with ThreadPoolExecutor(max_workers=SCANNERS) as pool:
        outcomes = Counter(pool.map(guarded_scan, range(SCANNERS)))
    assert outcomes == Counter({"admitted": 1, ALREADY: SCANNERS - 1})


ROUNDS = 4  # one HTTP round catches a missing compare-and-set only about one time in three


def test_ten_scanners_on_one_ticket_admit_it_exactly_once():
    org = make_org()
    scanners = [staff_of(org.id, "SCANNER") for _ in range(3)]
    event = make_event(org.id)
    for caller in scanners:  # warm up: each caller's user and roles exist before the race
        assert refusal(scan(caller, make_order(event).id, ["warm-up"]))[0] == 404
    totals: Counter[tuple[int, str]] = Counter()
    for _ in range(ROUNDS):
        order = make_order(event, tickets=[ticket(slots=[local_noon(0, "America/Denver")])])
        code = code_for(order, "ticket", order.tickets[0].id)
        start = threading.Barrier(SCANNERS)

        def door(i: int, code: str = code, start: threading.Barrier = start) -> tuple[int, str]:
            start.wait(timeout=30)
            response = scan(scanners[i % len(scanners)], code)
            return response.status_code, response.json().get("error", {}).get("message", "admitted")

        with ThreadPoolExecutor(max_workers=SCANNERS) as pool:
            outcomes = Counter(pool.map(door, range(SCANNERS)))
        print("scan outcomes:", dict(outcomes))
        assert outcomes == Counter({(200, "admitted"): 1, (409, ALREADY): SCANNERS - 1})
        slot = stored(order).tickets[0].scan[0]
        assert slot.scanned and slot.scannedBy in {user_id_of(s) for s in scanners}
        totals += outcomes
    assert not any(status >= 500 for status, _ in totals)
