"""Promotion codes and event availability (SPEC R-PR-1..5, R-ORD-3 limits, R-EV-10)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.availability import event_availability
from shared.domain.models import Event, EventPromotion, EventSchedule, EventUpgrade, TicketTier, TicketType
from shared.domain.promotions import (
    check_discount_code,
    check_order_promotion,
    discount_result,
    event_locked,
    event_tickets_for_code,
    find_promotions,
    is_active,
    normalize_code,
    order_codes,
    presale_covers,
    purchase_limits,
    visible_item_ids,
)
from shared.errors import DomainError, ErrorCode

NOW = 1_700_000_000
DAY = 86_400


def promo(code: str, type_: str, **extra: Any) -> EventPromotion:
    return EventPromotion.model_validate(
        {"_id": extra.pop("_id", f"{code}-{type_}"), "code": code, "type": type_, "totalQty": 10,
         "remainingQty": 10, "startsAt": NOW - DAY, "endsAt": NOW + DAY, **extra}
    )  # fmt: skip


def ticket_type(type_id: str, *, visible: bool = True, limit: int = 8) -> TicketType:
    tier = TicketTier(_id=f"{type_id}-t", name="Tier", price=1000, totalQty=10, remainingQty=10)
    return TicketType(
        _id=type_id,
        name=type_id,
        totalQty=10,
        remainingQty=10,
        tiers=[tier],
        visible=visible,
        purchaseLimit=limit,
    )


def upgrade(upgrade_id: str, *, visible: bool = True) -> EventUpgrade:
    return EventUpgrade(
        _id=upgrade_id, name=upgrade_id, price=500, totalQty=10, remainingQty=10, visible=visible
    )


def event(*promotions: EventPromotion, **extra: Any) -> Event:
    return Event(
        _id="e1",
        orgId="o1",
        createdAt=1,
        ticketTypes=[ticket_type("GA"), ticket_type("VIP", limit=4), ticket_type("SECRET", visible=False)],
        upgrades=[upgrade("parking"), upgrade("backstage", visible=False)],
        promotions=list(promotions),
        **extra,
    )


def error_of(call: Any, *args: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args)
    return caught.value


# --- matching and activity ------------------------------------------------------------------------------


def test_codes_match_case_insensitively_and_ignore_surrounding_blanks():
    ev = event(promo("EarlyBird", "Presale"), promo("VIP", "Unlock"))
    assert normalize_code("  EARLYbird ") == "earlybird"
    assert [p.code for p in find_promotions(ev, " earlybird ")] == ["EarlyBird"]
    assert find_promotions(ev, "earlybird", {"Unlock"}) == []
    assert find_promotions(ev, "") == []


def test_active_means_switched_on_uses_left_and_inside_the_window():
    assert is_active(promo("A", "Presale"), NOW)
    assert not is_active(promo("A", "Presale", active=False), NOW)
    assert not is_active(promo("A", "Presale", remainingQty=0), NOW)
    assert not is_active(promo("A", "Presale", endsAt=NOW), NOW)  # window ends are exclusive
    assert not is_active(promo("A", "Presale", startsAt=NOW), NOW)


# --- eventTickets (R-PR-3) -------------------------------------------------------------------------------


def test_event_tickets_returns_one_entry_per_matching_promotion():
    ev = event(
        promo("FAN", "Presale"),  # both lists empty: every visible item
        promo("fan", "Unlock", ticketTypeIds=["SECRET"], upgradeIds=["backstage"]),
        promo("other", "Presale"),
    )
    found = event_tickets_for_code(ev, "Fan")
    assert [e["promoType"] for e in found] == ["Presale", "Unlock"]
    presale, unlock = found
    assert [t["_id"] for t in presale["eventTickets"]] == ["GA", "VIP"]
    assert [u["_id"] for u in presale["eventUpgrades"]] == ["parking"]
    assert [t["_id"] for t in unlock["eventTickets"]] == ["SECRET"]
    assert [u["_id"] for u in unlock["eventUpgrades"]] == ["backstage"]
    assert set(presale) == {
        "promoType", "overRideMax", "overRideMaxUpg", "remainingQty", "active", "startsAt", "endsAt",
        "eventTickets", "eventUpgrades", "discountType", "discountValue", "appliesTo", "ticketTypeIds",
        "selectedTicket",
    }  # fmt: skip


def test_event_tickets_lists_only_the_listed_items_of_a_restricted_presale():
    ev = event(promo("FAN", "Presale", ticketTypeIds=["VIP"]))
    (entry,) = event_tickets_for_code(ev, "fan", NOW)
    assert [t["_id"] for t in entry["eventTickets"]] == ["VIP"]
    assert entry["eventUpgrades"] == []


def test_event_tickets_active_reflects_the_order_time_check_when_given_the_time():
    ev = event(promo("FAN", "Presale", endsAt=NOW - 1))
    assert event_tickets_for_code(ev, "fan")[0]["active"] is True  # the stored flag
    assert event_tickets_for_code(ev, "fan", NOW)[0]["active"] is False


def test_unknown_promo_code_is_not_found():
    error = error_of(event_tickets_for_code, event(promo("FAN", "Presale")), "nope", NOW)
    assert error.code == ErrorCode.NOT_FOUND
    assert error.message == "Please enter a valid promo code."


# --- promotionCode on an order (R-PR-4) ---------------------------------------------------------------


def test_order_promotion_returns_the_events_spelling():
    ev = event(promo("EarlyBird", "Presale"))
    assert check_order_promotion(ev, "EARLYBIRD", NOW, 0).code == "EarlyBird"


def test_order_promotion_refusals():
    def refusal(p: EventPromotion, uses: int = 0) -> DomainError:
        return error_of(check_order_promotion, event(p), "CODE", NOW, uses)

    assert refusal(promo("CODE", "Presale", endsAt=NOW - 1)).message == "This promo code is expired."
    assert refusal(promo("CODE", "Presale", startsAt=NOW + 1)).message == "This promo code is not active yet."
    assert refusal(promo("CODE", "Presale", active=False)).code == ErrorCode.REFUSED
    assert refusal(promo("CODE", "Presale", remainingQty=0)).code == ErrorCode.SOLD_OUT
    assert refusal(promo("CODE", "Presale", useLimit=2), uses=2).code == ErrorCode.LIMIT_EXCEEDED
    assert check_order_promotion(event(promo("CODE", "Presale", useLimit=2)), "code", NOW, 1)
    # A Discount code is not a promotion code.
    assert (
        refusal(promo("CODE", "Discount", discountType="Flat", appliesTo="Per Order")).code
        == ErrorCode.NOT_FOUND
    )


def test_shared_code_takes_the_first_usable_promotion():
    ev = event(promo("X", "Presale", endsAt=NOW - 1), promo("X", "Unlock", ticketTypeIds=["SECRET"]))
    assert check_order_promotion(ev, "x", NOW, 0).type == "Unlock"


# --- discountCode (R-PR-5) -----------------------------------------------------------------------------


def discount(**extra: Any) -> EventPromotion:
    terms = {"discountType": "Percent", "discountValue": 10, "appliesTo": "Per Ticket"}
    return promo("SAVE10", "Discount", **{**terms, **extra})


def test_discount_code_checks_and_result():
    ev = event(discount(ticketTypeIds=["VIP"]))
    found = check_discount_code(ev, "save10", NOW, ["GA", "VIP"], 0)
    assert found.code == "SAVE10"
    result = discount_result(found, ["GA", "VIP"])
    assert (result["discountType"], result["discountValue"], result["appliesTo"]) == (
        "Percent",
        10,
        "Per Ticket",
    )
    assert (result["ticketTypeIds"], result["selectedTicket"]) == (["VIP"], ["GA", "VIP"])


def test_discount_code_refusals_use_the_spec_wording():
    ev = event(discount(ticketTypeIds=["VIP"], useLimit=1))
    not_eligible = error_of(check_discount_code, ev, "SAVE10", NOW, ["GA"], None)
    assert "cannot be applied to your current order" in not_eligible.message
    expired = error_of(check_discount_code, event(discount(endsAt=NOW - 1)), "SAVE10", NOW, ["GA"], None)
    assert "code is expired" in expired.message
    used = error_of(check_discount_code, ev, "SAVE10", NOW, ["VIP"], 1)
    assert used.code == ErrorCode.LIMIT_EXCEEDED
    assert error_of(check_discount_code, ev, "SAVE20", NOW, ["VIP"], None).code == ErrorCode.NOT_FOUND
    # Anonymous buyers (None) are not counted; a Per Order code fits any cart.
    assert check_discount_code(ev, "SAVE10", NOW, ["VIP"], None)
    per_order = event(discount(appliesTo="Per Order", ticketTypeIds=["VIP"]))
    assert check_discount_code(per_order, "SAVE10", NOW, ["GA"], 0)


def test_discount_window_is_inclusive():
    ev = event(discount(startsAt=NOW, endsAt=NOW))
    assert check_discount_code(ev, "SAVE10", NOW, ["GA"], 0)


def test_switched_off_or_used_up_discount_codes_are_refused():
    off = event(discount(active=False))
    assert error_of(check_discount_code, off, "SAVE10", NOW, ["GA"], 0).code == ErrorCode.REFUSED
    used_up = event(discount(remainingQty=0))
    assert error_of(check_discount_code, used_up, "SAVE10", NOW, ["GA"], 0).code == ErrorCode.SOLD_OUT


# --- what a code changes (R-PR-2, R-ORD-3) -------------------------------------------------------------


def test_hidden_items_are_visible_only_through_a_matching_unlock():
    ev = event()
    assert visible_item_ids(ev, None) == ({"GA", "VIP"}, {"parking"})
    unlock = promo("VIP", "Unlock", ticketTypeIds=["SECRET"], upgradeIds=["backstage"])
    assert visible_item_ids(ev, unlock) == ({"GA", "VIP", "SECRET"}, {"parking", "backstage"})
    presale = promo("P", "Presale", ticketTypeIds=["SECRET"])
    assert visible_item_ids(ev, presale) == ({"GA", "VIP"}, {"parking"})


def test_limit_override_raises_listed_limits_only():
    ev = event()
    assert purchase_limits(ev, None) == ({"GA": 8, "VIP": 4, "SECRET": 8}, {"parking": 8, "backstage": 8})
    override = promo("BULK", "Limit Override", ticketTypeIds=["VIP"], upgradeIds=["parking"], overRideMax=20,
                     overRideMaxUpg=12)  # fmt: skip
    assert purchase_limits(ev, override) == (
        {"GA": 8, "VIP": 20, "SECRET": 8},
        {"parking": 12, "backstage": 8},
    )


def test_limit_override_with_empty_lists_covers_every_item_and_never_lowers():
    ev = event()
    override = promo("BULK", "Limit Override", overRideMax=6)
    types, upgrades = purchase_limits(ev, override)
    assert types == {"GA": 8, "VIP": 6, "SECRET": 8}  # GA/SECRET keep their higher 8
    assert upgrades == {"parking": 8, "backstage": 8}  # no overRideMaxUpg: unchanged


def test_other_promotion_types_do_not_change_limits():
    unlock = promo("U", "Unlock", ticketTypeIds=["VIP"], overRideMax=50)
    assert purchase_limits(event(), unlock)[0]["VIP"] == 4


def test_presale_coverage():
    everything = promo("P", "Presale")
    assert presale_covers(everything, ["GA", "SECRET"], ["parking"])
    vip_only = promo("P", "Presale", ticketTypeIds=["VIP"])
    assert presale_covers(vip_only, ["VIP", "VIP"], [])
    assert not presale_covers(vip_only, ["VIP", "GA"], [])
    assert not presale_covers(vip_only, ["VIP"], ["parking"])  # R-PR-2: only the listed items
    with_parking = promo("P", "Presale", ticketTypeIds=["VIP"], upgradeIds=["parking"])
    assert presale_covers(with_parking, ["VIP"], ["parking"])


def test_event_is_locked_when_active_unlocks_cover_every_ticket_type():
    partial = promo("A", "Unlock", ticketTypeIds=["GA", "VIP"])
    rest = promo("B", "Unlock", ticketTypeIds=["SECRET"])
    assert not event_locked(event(partial), NOW)
    assert event_locked(event(partial, rest), NOW)
    expired_rest = promo("B", "Unlock", ticketTypeIds=["SECRET"], endsAt=NOW - 1)
    assert not event_locked(event(partial, expired_rest), NOW)
    presale = promo("C", "Presale", ticketTypeIds=["SECRET"])
    assert not event_locked(event(partial, presale), NOW)


# --- availability (R-EV-10) -----------------------------------------------------------------------------


def on_sale_schedule(**changes: int) -> EventSchedule:
    times = {"announceAt": NOW - 2 * DAY, "ticketsAt": NOW - DAY, "ticketsEndAt": NOW + DAY, **changes}
    return EventSchedule(**times)


def test_published_announced_event_on_sale_is_available():
    availability = event_availability(event(published=True, schedule=on_sale_schedule()), NOW)
    assert availability == {
        "announced": True, "on_sale": True, "sale_ended": False, "locked": False, "available": True,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "flag"),
    [
        ({"published": False}, None),
        ({"cancel": True}, None),
        ({"schedule": on_sale_schedule(announceAt=NOW + 1, ticketsAt=NOW + 2)}, "announced"),
        ({"schedule": on_sale_schedule(ticketsAt=NOW + 1)}, "on_sale"),
        ({"schedule": on_sale_schedule(ticketsEndAt=NOW - 1)}, "on_sale"),
    ],
)
def test_unavailable_events(changes: dict[str, Any], flag: str | None):
    availability = event_availability(
        event(**{"published": True, "schedule": on_sale_schedule(), **changes}), NOW
    )
    assert availability["available"] is False
    if flag:
        assert availability[flag] is False  # type: ignore[literal-required]


def test_sale_ended_and_locked_flags():
    ended = event_availability(event(published=True, schedule=on_sale_schedule(ticketsEndAt=NOW - 1)), NOW)
    assert ended["sale_ended"] is True
    everything = promo("ALL", "Unlock", ticketTypeIds=["GA", "VIP", "SECRET"])
    locked = event_availability(event(everything, published=True, schedule=on_sale_schedule()), NOW)
    assert (locked["locked"], locked["available"]) == (True, False)


def test_unset_schedule_times_do_not_close_the_sale():
    availability = event_availability(event(published=True), NOW)  # every schedule time 0
    assert availability["available"] is True
    assert availability["sale_ended"] is False


# --- codes as the purchase portal sends them ------------------------------------------------------------


@pytest.mark.parametrize(
    ("promotion_code", "discount_code", "expected"),
    [
        ("SAVE10", "SAVE10", ("", "SAVE10")),  # event checkout: promotionCode || discountCode
        ("save10", "", ("", "save10")),  # season checkout: the discount only in promotionCode
        ("", "SAVE10", ("", "SAVE10")),
        ("EARLY", "SAVE10", ("EARLY", "SAVE10")),  # a real presale code stays one
        ("SAVE10", "OTHER", ("", "OTHER")),  # discountCode names the discount, as in the original
        ("NOPE", "", ("NOPE", "")),  # unknown: left to be refused as an invalid promo code
    ],
)
def test_a_discount_code_sent_as_the_promotion_code_is_the_orders_discount(
    promotion_code: str, discount_code: str, expected: tuple[str, str]
) -> None:
    listing = event(promo("SAVE10", "Discount"), promo("OTHER", "Discount"), promo("EARLY", "Presale"))
    assert order_codes(listing, promotion_code, discount_code) == expected


def test_a_code_shared_by_a_presale_and_a_discount_stays_the_promotion_code() -> None:
    listing = event(promo("BOTH", "Discount"), promo("BOTH", "Presale"))
    assert order_codes(listing, "BOTH", "") == ("BOTH", "")
