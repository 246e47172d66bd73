"""Promotion codes (SPEC §5.5 R-PR-1..5, R-ORD-3 limits, D-7, D-29). Pure: no storage access;
the caller passes the event (with live `remainingQty`), the clock and the buyer's use counts.

Codes match case-insensitively everywhere (R-PR-3 "new"); results carry the event's own spelling.

Decisions where the SPEC leaves room:
- Presale coverage follows R-PR-2 literally: both lists empty ⇒ every item; otherwise only the
  listed ticket types and upgrades (so a Presale listing only ticket types covers no upgrade).
  `eventTickets` for a Presale expands "all" to the *visible* items: hidden ones are revealed
  only by Unlock codes (R-PR-2, R-ORD-3), so listing them would offer what the order refuses.
- Limit Override: an empty list means every item of that kind (§3.6 "=[] = all"); a null
  `overRideMax`/`overRideMaxUpg` overrides nothing; an override never *lowers* a limit.
- Unlock reveals only what it lists (R-PR-2 "listed in the promotion").
- Several promotions may share a code (R-PR-3 returns one entry per match). The order-time
  checks accept the first match that passes; when none does, the first match's error is raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from shared.domain.models import EventPromotion, EventUpgrade, TicketedListing, TicketType
from shared.errors import DomainError, ErrorCode

ORDER_PROMOTION_TYPES = frozenset({"Presale", "Unlock", "Limit Override"})  # R-PR-4
DISCOUNT_TYPES = frozenset({"Discount"})  # R-PR-5

INVALID_PROMO_CODE = "Please enter a valid promo code."
INVALID_DISCOUNT_CODE = "Please enter a valid discount code."


def normalize_code(code: str | None) -> str:
    """The comparison form of a code: surrounding blanks dropped, case folded."""
    return (code or "").strip().casefold()


def find_promotions(
    event: TicketedListing, code: str | None, types: Iterable[str] | None = None
) -> list[EventPromotion]:
    """The event's promotions whose code matches `code` case-insensitively (optionally only of
    `types`), in stored order. A blank code matches nothing."""
    wanted = normalize_code(code)
    if not wanted:
        return []
    allowed = None if types is None else set(types)
    return [
        p
        for p in event.promotions
        if normalize_code(p.code) == wanted and (allowed is None or p.type in allowed)
    ]


def in_window(promo: EventPromotion, now: int) -> bool:
    """R-PR-1's open window, both ends exclusive."""
    return promo.startsAt < now < promo.endsAt


def is_active(promo: EventPromotion, now: int) -> bool:
    """R-PR-1: switched on, uses left, and inside its window."""
    return promo.active and promo.remainingQty > 0 and in_window(promo, now)


# --- eventTickets (R-PR-3) -------------------------------------------------------------------------


Item = TypeVar("Item", TicketType, EventUpgrade)


def _listed_or_all_visible(items: list[Item], listed: list[str], everything: bool) -> list[Item]:
    if everything:
        return [item for item in items if item.visible]
    wanted = set(listed)
    return [item for item in items if item.id in wanted]


def covered_items(
    event: TicketedListing, promo: EventPromotion
) -> tuple[list[TicketType], list[EventUpgrade]]:
    """The ticket types and upgrades a promotion offers (R-PR-3): for a Presale with both lists
    empty every visible item, otherwise the listed ones (in the event's order)."""
    everything = promo.type == "Presale" and not promo.ticketTypeIds and not promo.upgradeIds
    return (
        _listed_or_all_visible(event.ticketTypes, promo.ticketTypeIds, everything),
        _listed_or_all_visible(event.upgrades, promo.upgradeIds, everything),
    )


def _event_tickets(
    promo: EventPromotion,
    *,
    active: bool,
    ticket_types: list[TicketType],
    upgrades: list[EventUpgrade],
    selected: list[str] | None,
) -> dict[str, Any]:
    """One GraphQL `EventTickets` object."""
    return {
        "promoType": promo.type,
        "overRideMax": promo.overRideMax,
        "overRideMaxUpg": promo.overRideMaxUpg,
        "remainingQty": promo.remainingQty,
        "active": active,
        "startsAt": promo.startsAt,
        "endsAt": promo.endsAt,
        "eventTickets": [t.doc() for t in ticket_types],
        "eventUpgrades": [u.doc() for u in upgrades],
        "discountType": promo.discountType,
        "discountValue": promo.discountValue,
        "appliesTo": promo.appliesTo,
        "ticketTypeIds": list(promo.ticketTypeIds),
        "selectedTicket": selected,
    }


def event_tickets_for_code(
    event: TicketedListing, code: str | None, now: int | None = None
) -> list[dict[str, Any]]:
    """R-PR-3: one `EventTickets` per promotion (of any type) whose code matches.

    `active` is the stored flag when `now` is None; given `now`, it is R-PR-1 activity (flag,
    uses left, window), so the portal's own check agrees with the one made at order time.
    No match ⇒ NOT_FOUND "Please enter a valid promo code."
    """
    found = find_promotions(event, code)
    if not found:
        raise DomainError(ErrorCode.NOT_FOUND, INVALID_PROMO_CODE)
    results = []
    for promo in found:
        ticket_types, upgrades = covered_items(event, promo)
        active = promo.active if now is None else is_active(promo, now)
        results.append(
            _event_tickets(promo, active=active, ticket_types=ticket_types, upgrades=upgrades, selected=None)
        )
    return results


# --- order-time checks (R-PR-4, R-PR-5) ---------------------------------------------------------------


def order_codes(event: TicketedListing, promotion_code: str, discount_code: str) -> tuple[str, str]:
    """The order's (promotion code, discount code) as the purchase portal means them.

    The portal sends `promotionCode: promotionCode || discountCode` (and, for seasons, no
    `discountCode` at all), and the original matched `promotionCode` against promotions of any
    type. So a `promotionCode` that names no Presale / Unlock / Limit Override but does name a
    Discount is the order's discount code (unless `discountCode` names another discount, which
    then wins, as in the original). Anything else is left for the checks to judge."""
    if not promotion_code or find_promotions(event, promotion_code, ORDER_PROMOTION_TYPES):
        return promotion_code, discount_code
    if not find_promotions(event, promotion_code, DISCOUNT_TYPES):
        return promotion_code, discount_code  # no such code: refused as an invalid promo code
    return "", discount_code or promotion_code


def _first_passing(
    candidates: list[EventPromotion], check: Callable[[EventPromotion], None], not_found: str
) -> EventPromotion:
    """The first candidate `check` accepts; else the first candidate's error (the likeliest meant)."""
    if not candidates:
        raise DomainError(ErrorCode.NOT_FOUND, not_found)
    first_error: DomainError | None = None
    for promo in candidates:
        try:
            check(promo)
        except DomainError as error:
            first_error = first_error or error
        else:
            return promo
    assert first_error is not None
    raise first_error


def check_order_promotion(
    event: TicketedListing, code: str | None, now: int, uses_by_user: int
) -> EventPromotion:
    """R-PR-4: the Presale / Unlock / Limit Override promotion an order's `promotionCode` names.
    It must exist (case-insensitive), be active (R-PR-1) and the buyer's live orders of the
    event with that code (`uses_by_user`, not Refunded/Canceled — D-20) must be under `useLimit`.
    """

    def check(promo: EventPromotion) -> None:
        if not promo.active:
            raise DomainError(ErrorCode.REFUSED, "This promo code is no longer active.")
        if now <= promo.startsAt:
            raise DomainError(ErrorCode.REFUSED, "This promo code is not active yet.")
        if now >= promo.endsAt:
            raise DomainError(ErrorCode.REFUSED, "This promo code is expired.")
        if promo.remainingQty <= 0:
            raise DomainError(ErrorCode.SOLD_OUT, "This promo code has been used up.")
        if uses_by_user >= promo.useLimit:
            raise DomainError(
                ErrorCode.LIMIT_EXCEEDED, "You have already used this promo code the maximum number of times."
            )

    return _first_passing(find_promotions(event, code, ORDER_PROMOTION_TYPES), check, INVALID_PROMO_CODE)


def check_discount_code(
    event: TicketedListing,
    code: str | None,
    now: int,
    selected_ticket_type_ids: list[str],
    uses_by_user: int | None,
) -> EventPromotion:
    """R-PR-5: the Discount promotion a `discountCode` names, checked for this cart and buyer.

    Errors (DomainError, SPEC wording where it gives one): no such code (NOT_FOUND); switched off
    or out of uses (R-PR-1 / R-INV-4: the order could not take a use anyway); the buyer
    (`uses_by_user`; None = anonymous, not counted) has reached `useLimit` (LIMIT_EXCEEDED); a
    `Per Ticket` code restricted to ticket types none of `selected_ticket_type_ids` has ("cannot
    be applied to your current order"); outside `startsAt ≤ now ≤ endsAt` ("code is expired").
    """
    selected = set(selected_ticket_type_ids)

    def check(promo: EventPromotion) -> None:
        if not promo.active:
            raise DomainError(ErrorCode.REFUSED, "This discount code is no longer active.")
        if not promo.startsAt <= now <= promo.endsAt:
            raise DomainError(ErrorCode.REFUSED, "This discount code is expired.")
        if promo.remainingQty <= 0:
            raise DomainError(ErrorCode.SOLD_OUT, "This discount code has been used up.")
        if uses_by_user is not None and uses_by_user >= promo.useLimit:
            raise DomainError(
                ErrorCode.LIMIT_EXCEEDED,
                "You have already used this discount code the maximum number of times.",
            )
        if (
            promo.appliesTo == "Per Ticket"
            and promo.ticketTypeIds
            and not selected & set(promo.ticketTypeIds)
        ):
            raise DomainError(
                ErrorCode.REFUSED, "This discount code cannot be applied to your current order."
            )

    return _first_passing(find_promotions(event, code, DISCOUNT_TYPES), check, INVALID_DISCOUNT_CODE)


def discount_result(promo: EventPromotion, selected: list[str] | None) -> dict[str, Any]:
    """The single `EventTickets` eventDiscounts returns (R-PR-5): the discount terms, the
    eligible `ticketTypeIds` and the echoed `selectedTicket`."""
    return _event_tickets(
        promo, active=promo.active, ticket_types=[], upgrades=[], selected=list(selected or [])
    )


# --- what a code changes in the cart (R-PR-2, R-ORD-3) --------------------------------------------


def purchase_limits(
    event: TicketedListing, promotion: EventPromotion | None
) -> tuple[dict[str, int], dict[str, int]]:
    """Per-order limits by ticket type id and by upgrade id (R-ORD-3, D-7). A Limit Override
    raises the listed items (all of a kind when its list is empty) to `overRideMax` /
    `overRideMaxUpg`; any other promotion type changes nothing."""
    type_limits = {t.id: t.purchaseLimit for t in event.ticketTypes}
    upgrade_limits = {u.id: u.purchaseLimit for u in event.upgrades}
    if promotion is None or promotion.type != "Limit Override":
        return type_limits, upgrade_limits
    _raise_limits(type_limits, promotion.ticketTypeIds, promotion.overRideMax)
    _raise_limits(upgrade_limits, promotion.upgradeIds, promotion.overRideMaxUpg)
    return type_limits, upgrade_limits


def _raise_limits(limits: dict[str, int], listed: list[str], override: int | None) -> None:
    if override is None:
        return
    for item_id in listed or list(limits):
        if item_id in limits:
            limits[item_id] = max(limits[item_id], override)


def visible_item_ids(event: TicketedListing, unlock: EventPromotion | None) -> tuple[set[str], set[str]]:
    """Ticket type ids and upgrade ids an Online order may contain (R-ORD-3): the visible ones,
    plus hidden ones listed by the order's Unlock promotion (ignored if it is another type)."""
    types = {t.id for t in event.ticketTypes if t.visible}
    upgrades = {u.id for u in event.upgrades if u.visible}
    if unlock is not None and unlock.type == "Unlock":
        types |= {t.id for t in event.ticketTypes if t.id in set(unlock.ticketTypeIds)}
        upgrades |= {u.id for u in event.upgrades if u.id in set(unlock.upgradeIds)}
    return types, upgrades


def event_locked(event: TicketedListing, now: int) -> bool:
    """R-PR-2: the active Unlock promotions together list every ticket type of the event, so it
    shows as locked until a code is entered. An event without ticket types is not locked."""
    if not event.ticketTypes:
        return False
    unlocked: set[str] = set()
    for promo in event.promotions:
        if promo.type == "Unlock" and is_active(promo, now):
            unlocked.update(promo.ticketTypeIds)
    return all(t.id in unlocked for t in event.ticketTypes)


def presale_covers(promo: EventPromotion, ticket_type_ids: Iterable[str], upgrade_ids: Iterable[str]) -> bool:
    """R-PR-2: a Presale covers every item when both of its lists are empty, otherwise exactly
    the listed ticket types and upgrades. True when every ordered item is covered."""
    if not promo.ticketTypeIds and not promo.upgradeIds:
        return True
    return set(ticket_type_ids) <= set(promo.ticketTypeIds) and set(upgrade_ids) <= set(promo.upgradeIds)
