"""Member-linked and guest tickets (SPEC R-T3-5, R-T3-6, R-ORD-7): the pure rules, and the service
with fake collaborators (member API, claim counts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from shared.domain import member_tickets
from shared.domain.member_tickets import MemberCheck, MemberCounts, MemberUse
from shared.domain.models import Event, Order, OrderTicket, Organization, TeiMemberInfo
from shared.errors import DomainError, ErrorCode
from shared.services.member_tickets import MemberTicketService
from shared.services.orders import listed


def _event(guest_sale: bool = True, per_member: str = "2", **fields: Any) -> Event:
    return Event.model_validate({"_id": "ev1", "orgId": "org1", "createdAt": 0, "name": "Gala",
                                 "isGuestTicketSale": guest_sale, "guestTicketPerMember": per_member,
                                 "published": True, **fields})  # fmt: skip


def _ticket(member: str = "", guest: bool = False, **fields: Any) -> OrderTicket:
    return OrderTicket.model_validate({"name": "GA", "ticketTypeId": "tt", "ticketTierId": "tier",
                                       "price": 1000, "origionalPrice": 1000, "teiMemberId": member,
                                       "guestTicket": guest, **fields})  # fmt: skip


def _order(*tickets: OrderTicket, member_uses: Sequence[str] = ()) -> Order:
    return Order.model_validate({"_id": "o1", "orgId": "org1", "eventId": "ev1", "eventName": "Gala",
                                 "createdAt": 0, "createdBy": "u", "tickets": [t.doc() for t in tickets],
                                 "memberUses": list(member_uses)})  # fmt: skip


def _error(call: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


# --- pure rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("guest_sale", "per_member", "limit"),
    [(True, "3", 3), (True, " 2 ", 2), (True, "", 0), (True, "lots", 0), (True, "-1", 0), (False, "5", 0)],
)
def test_the_guest_limit_comes_from_a_guest_ticket_sale_only(
    guest_sale: bool, per_member: str, limit: int
) -> None:
    assert member_tickets.guest_limit(_event(guest_sale, per_member)) == limit


def test_an_orders_tickets_make_one_claim_per_member_with_its_guests_and_own_ticket() -> None:
    tickets = [_ticket("M1"), _ticket("M1", guest=True), _ticket("M1", guest=True), _ticket("M2", guest=True),
               _ticket()]  # fmt: skip

    uses = member_tickets.member_uses(_event(per_member="2"), tickets)

    assert [(u.teiMemberId, u.members, u.guests, u.guestLimit) for u in uses] == [
        ("M1", 1, 2, 2),
        ("M2", 0, 1, 2),
    ]
    assert uses[0].docId == member_tickets.member_use_id("e-ev1", "M1") != uses[1].docId


def test_within_one_order_a_member_has_one_own_ticket_and_at_most_the_guest_limit() -> None:
    twice = _error(lambda: member_tickets.member_uses(_event(), [_ticket("M1"), _ticket("M1")]))
    too_many = _error(lambda: member_tickets.member_uses(_event(per_member="1"), [_ticket("M1", True)] * 2))

    assert twice.code == ErrorCode.CONFLICT and "M1" in twice.message
    assert too_many.code == ErrorCode.LIMIT_EXCEEDED


def test_a_guest_ticket_needs_a_host_member_and_a_guest_ticket_sale() -> None:
    no_host = _error(lambda: member_tickets.member_uses(_event(), [_ticket(guest=True)]))
    no_sale = _error(
        lambda: member_tickets.member_uses(_event(guest_sale=False), [_ticket("M1", guest=True)])
    )

    assert no_host.code == ErrorCode.INVALID_INPUT
    assert no_sale.code == ErrorCode.REFUSED


def test_a_claim_is_checked_against_what_other_orders_hold() -> None:
    own = MemberUse(docId="d", teiMemberId="M1", scope="e-ev1", members=1)
    guests = MemberUse(docId="d", teiMemberId="M1", scope="e-ev1", guests=2, guestLimit=3)

    member_tickets.check_claim(own, MemberCounts(guests=3, members=0))  # guests never block the own ticket
    member_tickets.check_claim(guests, MemberCounts(guests=1, members=1))  # nor the own ticket guests
    assert _error(lambda: member_tickets.check_claim(own, MemberCounts(members=1))).code == ErrorCode.CONFLICT
    over = _error(lambda: member_tickets.check_claim(guests, MemberCounts(guests=2)))
    assert over.code == ErrorCode.LIMIT_EXCEEDED and "1 left" in over.message


def test_refunded_tickets_give_back_only_the_claims_their_order_holds() -> None:
    own, guest, plain, other = _ticket("M1"), _ticket("M1", guest=True), _ticket(), _ticket("M2", guest=True)
    held = [member_tickets.member_use_id("e-ev1", "M1")]  # M2's claim predates claims: never taken
    order = _order(own, guest, plain, other, member_uses=held)

    released = member_tickets.released_uses(order, [guest.id, plain.id, other.id])
    all_of_m1 = member_tickets.released_uses(order, [own.id, guest.id])

    assert [(u.teiMemberId, u.members, u.guests) for u in released] == [("M1", 0, 1)]
    assert [(u.teiMemberId, u.members, u.guests) for u in all_of_m1] == [("M1", 1, 1)]


def test_member_checks_set_validity_and_details_from_the_api_only() -> None:
    forged = TeiMemberInfo(firstName="Forged")
    tickets = [
        _ticket("M1", isMemberIdValid=False, teiMemberInfo=forged.doc()),
        _ticket(isMemberIdValid=True),
    ]
    info = TeiMemberInfo(firstName="Ada", lastName="Lovelace", email="ada@example.com")

    member_tickets.apply_member_checks(tickets, [MemberCheck("M1", info)])

    assert tickets[0].isMemberIdValid is True and tickets[0].teiMemberInfo == info
    assert tickets[1].isMemberIdValid is False and tickets[1].teiMemberInfo is None
    unknown = _error(lambda: member_tickets.apply_member_checks([_ticket("M9")], [MemberCheck("M9", None)]))
    assert unknown.code == ErrorCode.INVALID_INPUT and "M9" in unknown.message


def test_a_restriction_query_names_distinct_trimmed_ids_and_is_bounded() -> None:
    assert member_tickets.requested_member_ids([" M1 ", "M1", "", None, "M2"]) == ["M1", "M2"]
    too_many = [f"M{i}" for i in range(member_tickets.MAX_RESTRICTION_IDS + 1)]
    assert _error(lambda: member_tickets.requested_member_ids(too_many)).code == ErrorCode.INVALID_INPUT
    assert _error(lambda: member_tickets.normalize_member_id("x" * 101)).code == ErrorCode.INVALID_INPUT


def test_member_ids_with_slashes_still_name_one_document() -> None:
    doc_id = member_tickets.member_use_id("e-ev1", "A/B/../C")

    assert "/" not in doc_id and doc_id.startswith("e-ev1~")


# --- the service with fakes ---------------------------------------------------------------------


class _Repo:
    def __init__(self, *items: Any) -> None:
        self.items = {i.id: i for i in items}

    def get(self, item_id: str) -> Any:
        return self.items.get(item_id)


class _Store:
    def __init__(self, org: Organization, event: Event) -> None:
        self.organizations, self.events, self.seasons = _Repo(org), _Repo(event), _Repo()


class _Counts:
    def __init__(self, counts: dict[str, MemberCounts] | None = None) -> None:
        self.data = counts or {}
        self.asked: list[tuple[str, list[str]]] = []

    def counts(self, scope: str, member_ids: Sequence[str]) -> dict[str, MemberCounts]:
        self.asked.append((scope, list(member_ids)))
        return {m: self.data[m] for m in member_ids if m in self.data}


class _Directory:
    def __init__(self, members: dict[str, TeiMemberInfo]) -> None:
        self.members = members
        self.asked: list[list[str]] = []

    def check_members(self, org: Organization, member_ids: Sequence[str]) -> list[MemberCheck]:
        self.asked.append(list(member_ids))
        return [MemberCheck(m, self.members.get(m)) for m in member_ids]


def _service(
    validate: bool, counts: _Counts | None = None, **event_fields: Any
) -> tuple[MemberTicketService, _Directory]:
    org = Organization(_id="org1", userId="u", createdAt=0, isTegIntegration=True, validateMemberId=validate)
    directory = _Directory({"M1": TeiMemberInfo(firstName="Ada")})
    service = MemberTicketService(_Store(org, _event(**event_fields)), counts or _Counts(), lambda: directory)
    return service, directory


def test_checkout_validates_member_ids_with_the_api_when_the_org_asks_for_it() -> None:
    service, directory = _service(validate=True)
    order = _order(_ticket(" M1 "), _ticket("M1", guest=True))

    uses = service.order_member_uses(_event(), order)

    assert directory.asked == [["M1"]]
    assert [t.teiMemberId for t in order.tickets] == ["M1", "M1"]
    assert all(t.isMemberIdValid and t.teiMemberInfo == TeiMemberInfo(firstName="Ada") for t in order.tickets)
    assert [(u.members, u.guests) for u in uses] == [(1, 1)]
    refused = _error(lambda: service.order_member_uses(_event(), _order(_ticket("M2"))))
    assert refused.code == ErrorCode.INVALID_INPUT


def test_without_validation_no_client_value_is_stored_as_valid_but_limits_still_hold() -> None:
    counts = _Counts({"M1": MemberCounts(guests=2, members=1)})
    service, directory = _service(validate=False, counts=counts)
    order = _order(_ticket("M3", isMemberIdValid=True, teiMemberInfo={"firstName": "Forged"}))

    service.order_member_uses(_event(), order)

    assert directory.asked == []
    assert order.tickets[0].isMemberIdValid is False and order.tickets[0].teiMemberInfo is None
    used = _error(lambda: service.order_member_uses(_event(), _order(_ticket("M1"))))
    full = _error(lambda: service.order_member_uses(_event(), _order(_ticket("M1", guest=True))))
    assert (used.code, full.code) == (ErrorCode.CONFLICT, ErrorCode.LIMIT_EXCEEDED)


def test_ticket_restriction_counts_guests_flags_used_ids_and_lists_unknown_members() -> None:
    counts = _Counts({"M1": MemberCounts(guests=2, members=1)})
    service, _ = _service(validate=True, counts=counts)

    answer = service.ticket_restriction(None, {"eventId": "ev1", "teiMemberId": ["M1", "M2", "M1"]})

    assert answer == {
        "eventId": "ev1", "seasonId": None, "teiMemberId": ["M1", "M2"], "invalidTeiMemberIds": ["M2"],
        "guestTicketCounts": [{"teiMemberId": "M1", "count": 2, "inValid": True},
                              {"teiMemberId": "M2", "count": 0, "inValid": False}],
    }  # fmt: skip
    assert counts.asked == [("e-ev1", ["M1", "M2"])]


def test_ticket_restriction_needs_one_visible_listing() -> None:
    service, _ = _service(validate=False, published=False)

    both = _error(
        lambda: service.ticket_restriction(None, {"eventId": "ev1", "seasonId": "s", "teiMemberId": []})
    )
    draft = _error(lambda: service.ticket_restriction(None, {"eventId": "ev1", "teiMemberId": ["M1"]}))

    assert both.code == ErrorCode.INVALID_INPUT
    assert draft.code == ErrorCode.NOT_FOUND


def test_orders_are_found_by_a_member_id_their_tickets_carry() -> None:
    order = _order(_ticket("M-77"), _ticket())

    assert listed(order, {"userQuery": "m-77"})
    assert not listed(order, {"userQuery": "M-78"})
