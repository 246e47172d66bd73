"""Break-apart printing (SPEC R-QR-8) over GraphQL on the real emulators: the box office asks for
an order's per-item QR codes, which are delivery's signed codes with their PNGs in the private
tickets bucket; asking again changes nothing; refunded items, other orgs' orders, unknown ids
and half-valid batches are refused or left alone."""

from __future__ import annotations

from typing import Any

import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage  # type: ignore[attr-defined]

from emulator import config
from shared.bootstrap import services
from shared.domain.models import Order
from shared.domain.qr_images import qr_png
from shared.domain.ticket_codes import TicketIdentity
from tests.integration.api import data_of, error_of, gql, make_org, staff_of
from tests.integration.orders_fixtures import make_event, make_order, signer, stored_order, ticket, upgrade

ORDER_FIELDS = "_id printed qrCodeUrl state tickets { _id state qrCodeUrl } upgrades { _id state qrCodeUrl }"
BREAK_APART = f"mutation($o: String!) {{ breakApartOrder(orderId: $o) {{ {ORDER_FIELDS} }} }}"
MULTIPLE = f"mutation($o: [String]!) {{ multipleBreakApartOrder(orderId: $o) {{ {ORDER_FIELDS} }} }}"
BATCH_PRINT = f"mutation($o: [String]!) {{ batchPrintBreakApartOrder(orderId: $o) {{ {ORDER_FIELDS} }} }}"
REFUNDED: dict[str, Any] = {"state": "Canceled", "refund": {"refunded": True, "refundedAmount": 2500}}


def box_office_order(org_id: str, **fields: Any) -> Order:
    """A box-office sale nobody received tickets for: no secretId, no codes yet."""
    fields.setdefault("tickets", [ticket(), ticket(), ticket(**REFUNDED)])
    fields.setdefault("upgrades", [upgrade(), upgrade(**REFUNDED)])
    return make_order(make_event(org_id), secretId="", channel="Box Office", **fields)


def update_time(order_id: str) -> Any:
    return services().store.client.collection("orders").document(order_id).get().update_time


def bucket() -> Any:
    client = storage.Client(project=config.PROJECT_ID, credentials=AnonymousCredentials())
    return client.bucket(config.TICKETS_BUCKET)


def test_break_apart_gives_every_live_ticket_and_upgrade_its_own_signed_code() -> None:
    org = make_org()
    order = box_office_order(org.id)
    clerk = staff_of(org.id, "BOX_OFFICE")

    result = data_of(clerk.gql(BREAK_APART, {"o": order.id}))["breakApartOrder"]

    stored = stored_order(order.id)
    assert len(stored.secretId) == 72 and stored.secretId not in str(result)
    live_tickets, refunded_ticket = stored.tickets[:2], stored.tickets[2]
    live_upgrade, refunded_upgrade = stored.upgrades
    assert all(t.qrCodeUrl for t in live_tickets) and live_upgrade.qrCodeUrl and stored.qrCodeUrl
    assert refunded_ticket == order.tickets[2] and refunded_upgrade == order.upgrades[1]  # untouched
    assert result["tickets"] == [
        {"_id": t.id, "state": t.state, "qrCodeUrl": t.qrCodeUrl} for t in stored.tickets
    ]
    assert result["upgrades"][0]["qrCodeUrl"] == live_upgrade.qrCodeUrl and not result["printed"]
    # Each image is the item's own signed code, stored privately and reachable by its signed URL.
    folder = f"tickets/{order.eventId}/{order.id}"
    names = {b.name for b in bucket().list_blobs(prefix=f"{folder}/")}
    assert names == {f"{folder}/order.png", f"{folder}/upgrade-{live_upgrade.id}.png",
                     *(f"{folder}/ticket-{t.id}.png" for t in live_tickets)}  # fmt: skip
    identity = TicketIdentity(order.eventId, stored.secretId, "ticket", live_tickets[0].id)
    image = bucket().blob(f"{folder}/ticket-{live_tickets[0].id}.png").download_as_bytes()
    assert image == qr_png(signer().payload(identity))
    fetched = requests.get(live_tickets[0].qrCodeUrl, timeout=10)
    assert fetched.status_code == 200 and fetched.content == image


def test_asking_again_changes_nothing_and_issues_no_new_secret() -> None:
    org = make_org()
    order = box_office_order(org.id)
    clerk = staff_of(org.id, "BOX_OFFICE")
    first = data_of(clerk.gql(BREAK_APART, {"o": order.id}))["breakApartOrder"]
    after_first, written_at = stored_order(order.id), update_time(order.id)

    again = data_of(clerk.gql(BREAK_APART, {"o": after_first.secretId}))["breakApartOrder"]  # by secret too

    assert again == first
    assert stored_order(order.id) == after_first and update_time(order.id) == written_at


def test_codes_already_delivered_are_kept_and_only_the_missing_ones_are_added() -> None:
    org = make_org()
    order = box_office_order(org.id, upgrades=[upgrade()])
    event = services().store.events.get(order.eventId)
    assert event is not None
    delivered = services().delivery.issue_codes(order, event)  # the buyer's tickets went out
    services().store.orders.update(order.id, {"upgrades": [{**upgrade(), "state": "Active"}]})
    added = stored_order(order.id).upgrades[0]  # an item without a code (sold later, say)

    data_of(staff_of(org.id, "BOX_OFFICE").gql(BREAK_APART, {"o": order.id}))

    stored = stored_order(order.id)
    assert stored.secretId == delivered.secretId and stored.qrCodeUrl == delivered.qrCodeUrl
    assert [t.qrCodeUrl for t in stored.tickets] == [t.qrCodeUrl for t in delivered.tickets]
    assert stored.upgrades[0].id == added.id and stored.upgrades[0].qrCodeUrl


def test_other_orgs_lower_roles_anonymous_callers_and_unknown_ids_are_refused() -> None:
    org, other = make_org(), make_org("Other")
    order = box_office_order(org.id)
    refusals = [
        (staff_of(other.id, "OWNER").gql(BREAK_APART, {"o": order.id}), "UNAUTHENTICATED", "FORBIDDEN"),
        (staff_of(org.id, "SCANNER").gql(BREAK_APART, {"o": order.id}), "UNAUTHENTICATED", "FORBIDDEN"),
        (gql(BREAK_APART, {"o": order.id}), "UNAUTHENTICATED", "UNAUTHENTICATED"),
        (staff_of(org.id, "BOX_OFFICE").gql(BREAK_APART, {"o": "no-such-order"}), 404, "NOT_FOUND"),
    ]
    for result, code, error_code in refusals:
        error = error_of(result)
        assert (error["extensions"]["code"], error["extensions"]["errorCode"]) == (code, error_code)
    assert stored_order(order.id) == order


def test_a_batch_with_one_bad_order_leaves_every_order_as_it_was() -> None:
    org, other = make_org(), make_org("Other")
    ours, also_ours = box_office_order(org.id), box_office_order(org.id)
    theirs = box_office_order(other.id)
    clerk = staff_of(org.id, "BOX_OFFICE")

    for ids in ([ours.id, "no-such-order"], [ours.id, theirs.id, also_ours.id]):
        for mutation in (MULTIPLE, BATCH_PRINT):
            assert error_of(clerk.gql(mutation, {"o": ids}))

    for order in (ours, also_ours, theirs):
        assert stored_order(order.id) == order


def test_batch_print_breaks_apart_and_marks_printed_multiple_only_breaks_apart() -> None:
    org = make_org()
    first, second = box_office_order(org.id), box_office_order(org.id)
    dead = box_office_order(org.id, state="Refunded", tickets=[ticket(**REFUNDED)], upgrades=[])
    clerk = staff_of(org.id, "BOX_OFFICE")

    plain = data_of(clerk.gql(MULTIPLE, {"o": [first.id]}))["multipleBreakApartOrder"]
    assert [o["printed"] for o in plain] == [False] and not stored_order(first.id).printed

    printed = data_of(clerk.gql(BATCH_PRINT, {"o": [second.id, first.id, dead.id, second.id]}))
    results = printed["batchPrintBreakApartOrder"]
    assert [(o["_id"], o["printed"]) for o in results] == [
        (second.id, True),
        (first.id, True),
        (dead.id, False),
    ]
    assert all(t["qrCodeUrl"] for o in results[:2] for t in o["tickets"] if t["state"] == "Active")
    assert stored_order(first.id).printed and stored_order(second.id).printed
    assert stored_order(dead.id) == dead  # nothing live: no code, not printed
