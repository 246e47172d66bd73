"""Member-linked and guest tickets ("TEG", SPEC R-T3-5, R-T3-6, R-ORD-7; rules in
shared.domain.member_tickets).

Checkout asks `order_member_uses` for the claims an order's tickets make: the member ids are
checked with the org's member API when it has `validateMemberId` (their validity and details then
come from that API, never from the client), and against the live uses of each id; the claims are
then written atomically with the order or reservation. `ticket_restriction` answers the portal's
question before the buyer pays: how many guest tickets each member id already brought, and whether
its own ticket was already bought.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from shared.domain import member_tickets
from shared.domain.member_tickets import MemberCheck, MemberCounts, MemberUse
from shared.domain.models import Event, Order, Organization, Season
from shared.domain.permissions import SCANNER, Principal
from shared.errors import invalid, not_found


class MemberDirectory(Protocol):
    """The org's member API (adapter: shared.adapters.member_api.MemberApi)."""

    def check_members(self, org: Organization, member_ids: Sequence[str]) -> list[MemberCheck]: ...


class MemberUseCounts(Protocol):
    """Live uses per member id (adapter: shared.adapters.member_use_store.FirestoreMemberUses)."""

    def counts(self, scope: str, member_ids: Sequence[str]) -> dict[str, MemberCounts]: ...


class MemberTicketService:
    def __init__(self, store: Any, uses: MemberUseCounts, directory: Callable[[], MemberDirectory]) -> None:
        self.store = store
        self.uses = uses
        self.directory = directory

    def order_member_uses(self, event: Event, order: Order) -> list[MemberUse]:
        """R-ORD-7: validate the order's member ids (R-T3-6) and return the claims it makes, after
        a friendly early check against the uses already held (the claim write re-checks
        atomically). Sets each ticket's `isMemberIdValid` / `teiMemberInfo` from the member API."""
        for ticket in order.tickets:
            ticket.teiMemberId = member_tickets.normalize_member_id(ticket.teiMemberId)
        uses = member_tickets.member_uses(event, order.tickets)
        org = self._organization(event.orgId) if uses else None
        checks = self._checks(org, [u.teiMemberId for u in uses]) if org and org.validateMemberId else None
        if checks is None:  # nothing vouches for an id: the client's word is never stored as valid
            for ticket in order.tickets:
                ticket.isMemberIdValid, ticket.teiMemberInfo = False, None
        else:
            member_tickets.apply_member_checks(order.tickets, checks)
        held = self.uses.counts(member_tickets.event_scope(event.id), [u.teiMemberId for u in uses])
        for use in uses:
            member_tickets.check_claim(use, held.get(use.teiMemberId, MemberCounts()))
        return uses

    def ticket_restriction(
        self, principal: Principal | None, query: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """ticketRestriction (R-T3-5, public): per requested member id, the guest tickets already
        bought with it and whether a member's own ticket used it, over the live orders (and held
        checkouts) of the event or season; with `validateMemberId`, the ids the member API does not
        know are listed in `invalidTeiMemberIds` (R-T3-6)."""
        q = query or {}
        event_id, season_id = str(q.get("eventId") or ""), str(q.get("seasonId") or "")
        member_ids = member_tickets.requested_member_ids(q.get("teiMemberId"))
        if bool(event_id) == bool(season_id):
            raise invalid("Name either an event or a season.", "eventId", "seasonId")
        listing: Event | Season | None = (
            self.store.events.get(event_id) if event_id else self.store.seasons.get(season_id)
        )
        if listing is None or not listing.active or not self._visible(principal, listing):
            raise not_found("Event" if event_id else "Season")
        scope = (
            member_tickets.event_scope(listing.id) if event_id else member_tickets.season_scope(listing.id)
        )
        invalid_ids: list[str] = []
        org = self._organization(listing.orgId)
        if org.validateMemberId and member_ids:
            invalid_ids = [c.member_id for c in self._checks(org, member_ids) if c.info is None]
        counts = self.uses.counts(scope, member_ids)
        return {
            "eventId": event_id or None,
            "seasonId": season_id or None,
            "teiMemberId": member_ids,
            "invalidTeiMemberIds": invalid_ids,
            "guestTicketCounts": member_tickets.restriction(member_ids, counts),
        }

    # --- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _visible(principal: Principal | None, listing: Event | Season) -> bool:
        """Published listings are public; drafts only to the org's own staff."""
        return listing.published or (principal is not None and principal.level_in(listing.orgId) >= SCANNER)

    def _organization(self, org_id: str) -> Organization:
        org: Organization | None = self.store.organizations.get(org_id)
        if org is None:
            raise not_found("Organization")
        return org

    def _checks(self, org: Organization, member_ids: Sequence[str]) -> list[MemberCheck]:
        return self.directory().check_members(org, member_ids) if member_ids else []
