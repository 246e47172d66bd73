"""Member-linked and guest tickets, "TEG" (SPEC R-T3-5, R-T3-6, R-ORD-7). Pure rules: nothing
here reads or writes anything.

A ticket may carry the member id of a member of the organization (`teiMemberId`). Without
`guestTicket` it is that member's own ticket: one per member per event. With `guestTicket` it is a
guest the member brings: on an `isGuestTicketSale` event, at most `guestTicketPerMember` per member
per event. Both counts live in one claim document per (event or season, member id),
`memberUses/{scope}~{digest of the member id}` = {guests, members}, changed in the same atomic
write as the order or reservation that holds them (as promotion-code uses are), given back when
the reservation is released or the ticket refunded. So concurrent buyers can never together pass
a member's limits, and `ticketRestriction` reads one small document per member id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.domain.models import Event, Model, Order, OrderTicket, TeiMemberInfo
from shared.errors import DomainError, ErrorCode, invalid

MAX_MEMBER_ID_LENGTH = 100
MAX_RESTRICTION_IDS = 50  # member ids per ticketRestriction call: one document read each


def normalize_member_id(raw: object) -> str:
    """The stored spelling of a member id: trimmed (ids are compared exactly otherwise)."""
    member_id = str(raw or "").strip()
    if len(member_id) > MAX_MEMBER_ID_LENGTH:
        raise invalid("That member id is too long.", "teiMemberId")
    return member_id


def event_scope(event_id: str) -> str:
    return f"e-{event_id}"


def season_scope(season_id: str) -> str:
    return f"s-{season_id}"


def member_use_id(scope: str, member_id: str) -> str:
    """The claim document of one member id in one event or season. Member ids are free text from
    another system (they may hold '/'), so the document id carries a digest of it."""
    digest = hashlib.sha256(member_id.encode()).hexdigest()[:32]
    return f"{scope}~{digest}"


def guest_limit(event: Event) -> int:
    """Guest tickets one member may bring to `event`: none unless it is a guest-ticket sale; a
    missing or unreadable `guestTicketPerMember` allows none rather than any number."""
    if not event.isGuestTicketSale:
        return 0
    try:
        return max(0, int(str(event.guestTicketPerMember).strip() or "0"))
    except ValueError:
        return 0


class MemberUse(Model):
    """What one order or reservation holds on one member id's claim document: its guest tickets,
    its member's own ticket, and the event's guest limit (stored with a reservation, so a late
    payment claims the same again). Stored shape: the clients' camelCase, as in models."""

    docId: str  # noqa: N815
    teiMemberId: str  # noqa: N815
    scope: str
    guests: int = 0
    members: int = 0
    guestLimit: int = 0  # noqa: N815


@dataclass(frozen=True)
class MemberCounts:
    """A member id's live uses in one event or season."""

    guests: int = 0
    members: int = 0


@dataclass(frozen=True)
class MemberCheck:
    """What the member API said about one id: None info = not a member."""

    member_id: str
    info: TeiMemberInfo | None


def member_uses(event: Event, tickets: Sequence[OrderTicket]) -> list[MemberUse]:
    """The claims an order's tickets make (R-T3-5, R-ORD-7), checked within the order itself:
    a guest ticket names its host member and needs a guest-ticket sale; a member's own ticket
    appears once; no member brings more guests than the event allows. Counts already held by
    other orders are checked when the claims are written (`check_claim`)."""
    scope = event_scope(event.id)
    limit = guest_limit(event)
    by_member: dict[str, MemberUse] = {}
    for ticket in tickets:
        if ticket.guestTicket and not ticket.teiMemberId:
            raise invalid("A guest ticket needs the member id of the member who brings the guest.", "tickets")
        if not ticket.teiMemberId:
            continue
        if ticket.guestTicket and limit == 0:
            raise DomainError(ErrorCode.REFUSED, "This event does not sell guest tickets.")
        use = by_member.setdefault(
            ticket.teiMemberId,
            MemberUse(
                docId=member_use_id(scope, ticket.teiMemberId), teiMemberId=ticket.teiMemberId,
                scope=scope, guestLimit=limit,
            ),
        )  # fmt: skip
        if ticket.guestTicket:
            use.guests += 1
        else:
            use.members += 1
    for use in by_member.values():
        check_claim(use, MemberCounts())
    return list(by_member.values())


def check_claim(use: MemberUse, held: MemberCounts) -> None:
    """Whether `use` still fits beside what other live orders hold on the same member id."""
    if use.members and held.members + use.members > 1:
        raise DomainError(
            ErrorCode.CONFLICT, f"Member id {use.teiMemberId} already has a ticket to this event."
        )
    if use.guests and held.guests + use.guests > use.guestLimit:
        left = max(0, use.guestLimit - held.guests)
        raise DomainError(
            ErrorCode.LIMIT_EXCEEDED,
            f"Member {use.teiMemberId} may bring {use.guestLimit} guest(s) to this event; {left} left.",
        )


def apply_member_checks(tickets: Iterable[OrderTicket], checks: Sequence[MemberCheck]) -> None:
    """R-T3-6: each ticket's validity and member details come from the member API, never from the
    client. An id the API does not know refuses the order."""
    by_id = {c.member_id: c for c in checks}
    for ticket in tickets:
        if not ticket.teiMemberId:
            ticket.isMemberIdValid, ticket.teiMemberInfo = False, None
            continue
        check = by_id.get(ticket.teiMemberId)
        if check is None or check.info is None:
            raise invalid(f"Member id {ticket.teiMemberId} is not valid.", "tickets")
        ticket.isMemberIdValid, ticket.teiMemberInfo = True, check.info.model_copy()


def released_uses(order: Order, ticket_ids: Iterable[str]) -> list[MemberUse]:
    """The claims given back when these tickets of `order` are refunded or cancelled: only claims
    the order holds (orders written before member claims existed hold none)."""
    held = set(order.memberUses)
    wanted = set(ticket_ids)
    scope = event_scope(order.eventId)
    releases: dict[str, MemberUse] = {}
    for ticket in order.tickets:
        if ticket.id not in wanted or not ticket.teiMemberId:
            continue
        doc_id = member_use_id(scope, ticket.teiMemberId)
        if doc_id not in held:
            continue
        use = releases.setdefault(
            doc_id, MemberUse(docId=doc_id, teiMemberId=ticket.teiMemberId, scope=scope)
        )
        if ticket.guestTicket:
            use.guests += 1
        else:
            use.members += 1
    return list(releases.values())


def restriction(member_ids: Sequence[str], counts: dict[str, MemberCounts]) -> list[dict[str, object]]:
    """GuestTicketCounts of ticketRestriction (R-T3-5), in the order asked."""
    return [
        {
            "teiMemberId": member_id,
            "count": counts.get(member_id, MemberCounts()).guests,
            "inValid": counts.get(member_id, MemberCounts()).members > 0,
        }
        for member_id in member_ids
    ]


def requested_member_ids(raw: Iterable[object] | None) -> list[str]:
    """The distinct, non-empty member ids of a ticketRestriction query, bounded."""
    seen: dict[str, None] = {}
    for value in raw or []:
        member_id = normalize_member_id(value)
        if member_id:
            seen.setdefault(member_id, None)
    if len(seen) > MAX_RESTRICTION_IDS:
        raise invalid(f"Ask about at most {MAX_RESTRICTION_IDS} member ids at a time.", "teiMemberId")
    return list(seen)
