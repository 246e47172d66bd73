"""Order pricing (SPEC R-FEE-3..9, R-PR-6, R-ORD-4, §7 item 3). Expected values are worked out by
hand in the comments (cents; ≈ marks a decimal cut short), never recomputed with pricing code."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.models import Event, EventPromotion, EventUpgrade, Fee, TicketTier, TicketType
from shared.domain.pricing import (
    FeeQuote,
    LineTicket,
    LineUpgrade,
    applicable_fees,
    apply_discount,
    calculate,
    complimentary_upgrades,
    fee_snapshot,
    in_price_window,
    payment_amounts,
    quote_to_graphql,
    round_half_up,
    sales_tax_percent,
)
from shared.errors import DomainError

AUDIT = {"createdBy": "u1", "createdAt": 1, "updatedBy": "u1", "updatedAt": 1}


def fee(
    fee_id: str, type_: str, value: float, applied_to: str = "Ticket", by: str = "Organization", **extra: Any
) -> Fee:
    return Fee.model_validate(
        {"_id": fee_id, "name": extra.pop("name", fee_id), "type": type_, "value": value,
         "appliedTo": applied_to, "appliedBy": by, **AUDIT, **extra}
    )  # fmt: skip


def sales_tax(value: float) -> Fee:
    return fee("tax", "Percent", value, "Order", name="Sales tax")


def stripe() -> list[Fee]:
    """Stripe's card pricing: 2.9 % + 30¢."""
    return [fee("stripe%", "Percent", 2.9, "Order", "Stripe"), fee("stripe$", "Flat", 30, "Order", "Stripe")]


def tickets(*prices: int, type_id: str = "GA") -> list[LineTicket]:
    return [LineTicket(type_id, "tier1", price) for price in prices]


def discount(
    discount_type: str, applies_to: str, value: float, ticket_type_ids: list[str] | None = None
) -> EventPromotion:
    return EventPromotion(
        code="SAVE", type="Discount", totalQty=10, remainingQty=10, discountType=discount_type,  # type: ignore[arg-type]
        appliesTo=applies_to, discountValue=value, ticketTypeIds=ticket_type_ids or [],  # type: ignore[arg-type]
    )  # fmt: skip


def quote_of(
    ticket_lines: list[LineTicket],
    fees: list[Fee],
    upgrades: list[LineUpgrade] | None = None,
    promotion: EventPromotion | None = None,
) -> FeeQuote:
    quote = calculate(ticket_lines, upgrades or [], fees, promotion)
    assert quote is not None
    return quote


# --- worked examples ---------------------------------------------------------------------------------


def test_plain_order_with_percent_and_flat_fees_tax_platform_fee_and_stripe_gross_up():
    fees = [
        fee("facility", "Percent", 5),  # promoter, 5 % per ticket
        fee("order", "Flat", 150, "Order"),  # promoter, $1.50 per order
        sales_tax(8.25),
        fee("platform", "Percent", 3, "Order", "Sellout"),
        *stripe(),
    ]
    quote = quote_of(tickets(2000, 2000), fees)
    # S = 4000; P = 5 % × 4000 = 200 + 150 = 350; O = 4350
    # X = 4350 × 8.25 % = 358.875 → 359; PT = 4709
    # F = 4709 × 3 % = 141.27 → 141; pre = 4850
    # G = (4850 + 30) / 0.971 − 4850 = 5025.7466… − 4850 = 175.7466… → 176; total = 5026
    assert (quote.sub_total, quote.promoter_fees, quote.order_subtotal) == (4000, 350, 4350)
    assert (quote.sales_tax, quote.sellout_fees, quote.stripe_fees, quote.total) == (359, 141, 176, 5026)
    # totalFees = round(350 + 175.7466 + 141 + 358.875) = round(1025.62) = 1026
    # totalWithoutTaxFees = round(350 + 175.7466 + 141) = round(666.75) = 667
    assert (quote.total_fees, quote.total_without_tax_fees) == (1026, 667)
    assert (quote.discount_amount, quote.guest_fee_for_promoter, quote.guest_fee_for_sellout) == (0, 0, 0)
    # Snapshot: Organization 200 + 150 + 359 = 709 = 350 + 359; Sellout/Stripe: 141 + 30 +
    # round(175.7466 − 30 = 145.7466) = 146 → 317 = 141 + 176.
    assert quote.fee_amounts == {
        "facility": 200,
        "order": 150,
        "tax": 359,
        "platform": 141,
        "stripe$": 30,
        "stripe%": 146,
    }
    assert quote.applied_fee_ids == ["facility", "order", "tax", "platform", "stripe%", "stripe$"]
    assert payment_amounts(quote) == {
        "amount": 5026,
        "transferAmount": 4000,  # 5026 − 1026
        "feeAmount": 141,
        "tax": 359,
        "discount": 0,
        "feeIds": ["facility", "order", "tax", "platform", "stripe%", "stripe$"],
    }
    assert quote_to_graphql(quote) == {
        "subTotal": "4000", "promoterFees": "350", "orderSubtotal": "4350", "salesTax": "359",
        "selloutFees": "141", "stripeFees": "176", "total": "5026", "totalFees": "1026",
        "totalWithoutTaxFees": "667", "guestFeeForPromoter": "0", "guestFeeForSellout": "0",
        "discountAmount": 0,
    }  # fmt: skip


def test_fee_snapshot_copies_applied_fees_with_their_cents_as_strings():
    fees = [fee("facility", "Flat", 100), fee("seated", "Flat", 50, filters=["Seated"]), sales_tax(10)]
    quote = quote_of(tickets(1000), fees)
    # facility 100; seated: no seated ticket ⇒ not applied; tax: O = 1100 × 10 % = 110
    snapshot = fee_snapshot(fees, quote)
    assert [(f["_id"], f["amount"]) for f in snapshot] == [("facility", "100"), ("tax", "110")]
    assert Fee.model_validate(snapshot[0]).amount == "100"
    assert fee_snapshot(fees, None) == []


def test_rounding_remainder_goes_to_the_largest_fee_of_the_group():
    fees = [fee("small", "Flat", 10.5), fee("large", "Flat", 20.5)]
    quote = quote_of(tickets(1000), fees)
    # P = 10.5 + 20.5 = 31 exactly; one by one they round to 11 + 21 = 32, one cent too many,
    # which is taken from the largest fee: 11 + 20 = 31.
    assert quote.promoter_fees == 31
    assert quote.fee_amounts == {"small": 11, "large": 20}


def test_per_order_percent_discount_is_applied_next_to_flat_and_percent_order_fees():
    # D-8: the original's `flat || 0 + percent || 0` kept only the flat part when it was non-zero.
    fees = [fee("order$", "Flat", 200, "Order"), fee("order%", "Percent", 10, "Order")]
    quote = quote_of(
        tickets(2500, 2500), fees, [LineUpgrade("parking", 1000)], discount("Percent", "Per Order", 15)
    )
    # gross = 2500 + 2500 + 1000 = 6000; D = 15 % = 900; S = 5100
    # P = 200 + round(10 % × 5100 = 510) = 710; O = total = 5810
    assert (quote.sub_total, quote.discount_amount, quote.promoter_fees, quote.total) == (
        5100,
        900,
        710,
        5810,
    )
    assert quote.ticket_prices == [2500, 2500]  # a per-order discount leaves ticket prices alone
    assert quote.upgrade_prices == [1000]


def test_per_ticket_percent_discount_is_rounded_per_ticket_and_only_on_eligible_types():
    lines = [LineTicket("VIP", "t", 1999), LineTicket("VIP", "t", 1999), LineTicket("GA", "t", 1000)]
    result = apply_discount(lines, [], discount("Percent", "Per Ticket", 12.5, ["VIP"]))
    # 12.5 % × 1999 = 249.875 → 250 per VIP ticket; GA is not eligible.
    assert result.ticket_prices == [1749, 1749, 1000]
    assert (result.per_order_discount, result.discount_amount) == (0, 500)


def test_per_ticket_flat_discount_never_makes_a_ticket_negative():
    result = apply_discount(tickets(500, 3000), [], discount("Flat", "Per Ticket", 1000))
    assert result.ticket_prices == [0, 2000]
    assert result.discount_amount == 1500  # 500 (all of the first ticket) + 1000


def test_per_order_flat_discount_larger_than_the_order_clamps_at_zero():
    result = apply_discount(tickets(1000), [LineUpgrade("u", 500)], discount("Flat", "Per Order", 5000))
    assert (result.per_order_discount, result.discount_amount) == (1500, 1500)


def test_per_order_discount_at_half_a_cent_rounds_the_amount_owed_up():
    result = apply_discount(tickets(1001), [], discount("Percent", "Per Order", 50))
    # D = 500.5; S = round(1001 − 500.5 = 500.5) = 501, so the reduction taken is 500.
    assert (result.per_order_discount, result.discount_amount) == (500, 500)


def test_only_a_discount_promotion_with_terms_discounts():
    presale = EventPromotion(code="EARLY", type="Presale", totalQty=1, remainingQty=1, discountValue=50)
    assert apply_discount(tickets(1000), [], presale).ticket_prices == [1000]
    assert apply_discount(tickets(1000), [], None).discount_amount == 0


def test_percent_platform_fee_on_upgrades_is_charged_on_upgrades_only():
    # D-16: the original also charged it on the whole promoter total.
    fees = [
        fee("platform", "Percent", 2, "Order", "Sellout"),
        fee("addon", "Percent", 10, "Upgrade", "Sellout"),
    ]
    quote = quote_of(tickets(3000), fees, [LineUpgrade("parking", 1500)])
    # S = PT = 4500; F = 2 % × 4500 = 90 + 10 % × 1500 = 150 → 240 (the original added 450 more)
    assert (quote.sellout_fees, quote.total) == (240, 4740)
    assert quote.fee_amounts == {"platform": 90, "addon": 150}


def test_flat_and_percent_promoter_upgrade_fees_are_per_upgrade():
    fees = [fee("u$", "Flat", 75, "Upgrade"), fee("u%", "Percent", 10, "Upgrade")]
    quote = quote_of([], fees, [LineUpgrade("a", 1000), LineUpgrade("b", 2000)])
    # 75 × 2 = 150; 10 % × (1000 + 2000) = 300; P = 450
    assert (quote.sub_total, quote.promoter_fees, quote.total) == (3000, 450, 3450)


def test_manual_card_entry_fee_applies_to_card_entry_orders():
    # D-15: fee labels are mapped to order methods before comparing.
    card = fee("card", "Flat", 100, paymentMethods=["Manual Card Entry"])
    reader = fee("reader", "Flat", 100, paymentMethods=["Card Reader (Bluetooth)"])
    anywhere = fee("any", "Flat", 100)
    off = fee("off", "Flat", 100, disabled=True)
    fees = [card, reader, anywhere, off]
    assert [f.id for f in applicable_fees(fees, "Paid", "Card Entry")] == ["card", "any"]
    assert [f.id for f in applicable_fees(fees, "Paid", "Card Reader")] == ["reader", "any"]
    assert [f.id for f in applicable_fees(fees, "Season", "Cash")] == ["any"]
    assert applicable_fees(fees, "Complimentary", "None") == []
    assert applicable_fees(fees, "RSVP", "None") == []


def test_guest_fees_apply_to_guest_tickets_only_and_are_reported_apart():
    lines = [LineTicket("GA", "t", 2000, guest=True), LineTicket("GA", "t", 2000)]
    fees = [
        fee("guest$", "Flat", 300, filters=["Guest ticket"]),  # promoter guest fee
        fee("guest%", "Percent", 5, by="Sellout", filters=["Guest ticket"]),  # platform guest fee
        fee("facility", "Flat", 100),  # an ordinary fee: every ticket, guests included
    ]
    quote = quote_of(lines, fees)
    # P = 300 (one guest) + 100 × 2 = 500; O = PT = 4500; F = 5 % × 2000 = 100; total 4600
    assert (quote.promoter_fees, quote.sellout_fees, quote.total) == (500, 100, 4600)
    assert (quote.guest_fee_for_promoter, quote.guest_fee_for_sellout) == (300, 100)


def test_guest_ticket_as_a_later_filter_does_not_make_a_guest_fee():
    # R-FEE-4: only the first filter decides.
    lines = [LineTicket("GA", "t", 1000, seat="A-1")]
    quote = quote_of(lines, [fee("f", "Flat", 100, filters=["Seated", "Guest ticket"])])
    assert (quote.promoter_fees, quote.guest_fee_for_promoter) == (100, 0)


def test_seated_fees_apply_to_seated_tickets_only():
    lines = [LineTicket("GA", "t", 2000, seat="A-1"), LineTicket("GA", "t", 2000)]
    fees = [
        fee("seat$", "Flat", 150, by="Sellout", filters=["Seated"]),
        fee("seat%", "Percent", 10, filters=["Seated"]),
        fee("reader", "Flat", 40, filters=["Card Reader Wifi"]),  # no pricing effect (R-FEE-4)
    ]
    quote = quote_of(lines, fees)
    # P = 10 % × 2000 (seated only) = 200 + 40 × 2 = 280; F = 150 (seated only)
    assert (quote.promoter_fees, quote.sellout_fees) == (280, 150)
    # A Seated filter on an order fee has nothing to filter.
    assert quote_of(tickets(1000), [fee("o", "Flat", 99, "Order", filters=["Seated"])]).promoter_fees == 99


def test_price_window_with_null_and_zero_bounds():
    windowed = fee("w", "Flat", 100, minAppliedToPrice=1000, maxAppliedToPrice=5000)
    quote = quote_of(tickets(500, 1000, 5000, 6000), [windowed])
    assert quote.promoter_fees == 200  # 1000 and 5000 only: bounds are inclusive
    unbounded = fee("u", "Flat", 100, minAppliedToPrice=0, maxAppliedToPrice=0)
    assert in_price_window(unbounded, 10**9)
    assert in_price_window(fee("n", "Flat", 1), 0)  # null min/max
    assert not in_price_window(fee("m", "Flat", 1, minAppliedToPrice=1), 0)


def test_price_window_reads_the_price_after_the_per_ticket_discount():
    windowed = fee("w", "Flat", 100, minAppliedToPrice=1000)
    quote = quote_of(tickets(1500), [windowed], promotion=discount("Flat", "Per Ticket", 600))
    # 1500 − 600 = 900 < 1000: no fee; S = 900
    assert (quote.promoter_fees, quote.total, quote.discount_amount) == (0, 900, 600)


def test_round_half_up_is_not_bankers_rounding():
    assert [round_half_up(Fraction(n, 2)) for n in (1, 3, 5, 53)] == [1, 2, 3, 27]
    assert round_half_up(Fraction(26499, 1000)) == 26


def test_half_cent_fee_rounds_up():
    quote = quote_of(tickets(1060), [fee("f", "Percent", 2.5)])
    # 2.5 % × 1060 = 26.5 → 27 (banker's rounding would give 26)
    assert quote.promoter_fees == 27


def test_fee_values_are_read_as_decimals_not_binary_floats():
    quote = quote_of(tickets(3000), [fee("f", "Percent", 1.15)])
    # 1.15 % × 3000 = 34.5 exactly → 35 (as floats: 34.4999… → 34)
    assert quote.promoter_fees == 35


def test_sales_tax_covers_promoter_fees_but_not_platform_or_stripe_fees():
    fees = [fee("f", "Flat", 100), sales_tax(10), fee("p", "Flat", 500, "Order", "Sellout")]
    quote = quote_of(tickets(1000), fees)
    # O = 1100; X = 110; F = 500
    assert (quote.sales_tax, quote.total) == (110, 1710)
    assert sales_tax_percent(fees) == 10
    assert sales_tax_percent([]) == 0


def test_only_the_first_stripe_fee_of_each_kind_counts():
    fees = [*stripe(), fee("s2", "Percent", 50, "Order", "Stripe"), fee("s3", "Flat", 500, "Order", "Stripe")]
    quote = quote_of(tickets(1000), fees)
    # G = (1000 + 30) / 0.971 − 1000 = 60.7621… → 61
    assert quote.stripe_fees == 61
    assert "s2" not in quote.applied_fee_ids and "s3" not in quote.applied_fee_ids


def test_stripe_percent_of_100_is_refused_rather_than_divided_by():
    with pytest.raises(DomainError):
        calculate(tickets(1000), [], [fee("s", "Percent", 100, "Order", "Stripe")], None)


def test_empty_cart_gives_no_quote_and_an_all_null_graphql_object():
    assert calculate([], [], stripe(), None) is None
    shape = quote_to_graphql(None)
    assert set(shape) == {
        "subTotal", "promoterFees", "orderSubtotal", "salesTax", "selloutFees", "stripeFees", "total",
        "totalFees", "totalWithoutTaxFees", "guestFeeForPromoter", "guestFeeForSellout", "discountAmount",
    }  # fmt: skip
    assert all(value is None for value in shape.values())


def test_a_100_percent_discount_totals_zero_even_with_flat_fees():
    fees = [fee("f", "Flat", 100), fee("o", "Flat", 250, "Order", "Sellout"), *stripe(), sales_tax(8)]
    quote = quote_of(tickets(2000, 2000), fees, promotion=discount("Percent", "Per Ticket", 100))
    assert (quote.total, quote.total_fees, quote.discount_amount) == (0, 0, 4000)
    assert quote.applied_fee_ids == [] and quote.fee_amounts == {}
    assert payment_amounts(quote)["amount"] == 0


def test_roll_fees_items_still_get_fees_on_top():
    # R-FEE-10 is pending product confirmation: the flag is stored only, prices are not reversed.
    assert quote_of(tickets(1000), [fee("f", "Flat", 100)]).total == 1100


# --- complimentary upgrades (R-ORD-4) -----------------------------------------------------------------


def _event(*upgrades: EventUpgrade) -> Event:
    tier = TicketTier(name="Tier", price=1000, totalQty=10, remainingQty=10)
    types = [TicketType(_id=i, name=i, totalQty=10, remainingQty=10, tiers=[tier]) for i in ("GA", "VIP")]
    return Event(orgId="o", createdAt=1, ticketTypes=types, upgrades=list(upgrades))


def _upgrade(upgrade_id: str, **extra: Any) -> EventUpgrade:
    return EventUpgrade.model_validate({"_id": upgrade_id, "name": upgrade_id, "price": 500, "totalQty": 10,
                                        "remainingQty": 10, **extra})  # fmt: skip


def test_complimentary_upgrades_per_order_and_per_matching_ticket():
    event = _event(
        _upgrade("poster", complimentary=True, complimentaryQty=1),  # per order, any ticket
        _upgrade(
            "drink", complimentary=True, complimentaryWith="Ticket", complimentaryQty=2, ticketTypeIds=["VIP"]
        ),
        _upgrade("lounge", complimentary=True, ticketTypeIds=["VIP"]),
        _upgrade("parking"),  # not complimentary
    )
    result = complimentary_upgrades(event, ["VIP", "VIP", "GA"])
    assert [(u.id, n) for u, n in result] == [("poster", 1), ("drink", 4), ("lounge", 1)]
    assert [(u.id, n) for u, n in complimentary_upgrades(event, ["GA"])] == [("poster", 1)]
    assert complimentary_upgrades(event, []) == []


# --- properties ------------------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=50_000)
percent_values = st.integers(min_value=0, max_value=3000).map(lambda n: n / 100)  # 0 … 30 %, two decimals


@st.composite
def fees_strategy(draw: st.DrawFn, *, max_window: bool = True) -> Fee:
    by = draw(st.sampled_from(["Organization", "Sellout", "Stripe"]))
    type_ = draw(st.sampled_from(["Flat", "Percent"]))
    value = draw(percent_values if type_ == "Percent" else st.integers(0, 2000).map(lambda n: n / 4))
    filters = draw(st.sampled_from([[], ["Seated"], ["Guest ticket"], ["Card Entry"]]))
    low = draw(st.none() | st.integers(0, 5000))
    high = draw(st.none() | st.integers(0, 50_000)) if max_window else None
    applied_to = draw(st.sampled_from(["Order", "Ticket", "Upgrade"]))
    return fee(
        f"f{draw(st.integers(0, 10**9))}", type_, value, applied_to, by,
        name=draw(st.sampled_from(["Fee", "Fee", "Fee", "Sales tax"])),
        filters=filters, minAppliedToPrice=low, maxAppliedToPrice=high,
    )  # fmt: skip


line_tickets = st.builds(
    LineTicket,
    ticket_type_id=st.sampled_from(["GA", "VIP"]),
    tier_id=st.just("t"),
    original_price=cents,
    seat=st.sampled_from(["", "A-1"]),
    guest=st.booleans(),
)
line_upgrades = st.builds(LineUpgrade, upgrade_id=st.just("u"), price=cents)
carts = st.tuples(st.lists(line_tickets, max_size=6), st.lists(line_upgrades, max_size=3)).filter(
    lambda cart: bool(cart[0] or cart[1])
)
discounts = st.none() | st.builds(
    discount,
    st.sampled_from(["Flat", "Percent"]),
    st.sampled_from(["Per Ticket", "Per Order"]),
    st.integers(0, 10_000).map(lambda n: n / 100),
    st.sampled_from([[], ["GA"], ["VIP"]]),
)


def _unique_ids(fees: list[Fee]) -> list[Fee]:
    return [f.model_copy(update={"id": f"{f.id}-{i}"}) for i, f in enumerate(fees)]


def _stripe_terms(fees: list[Fee]) -> tuple[Fraction, Fraction]:
    """The first Stripe Percent and Flat values, read independently of the code under test."""
    stripe_fees = [f for f in fees if f.appliedBy == "Stripe" and f.name != "Sales tax"]
    p = next((Fraction(str(f.value)) for f in stripe_fees if f.type == "Percent"), Fraction(0))
    f = next((Fraction(str(f.value)) for f in stripe_fees if f.type == "Flat"), Fraction(0))
    return p, f


@settings(max_examples=300, deadline=None)
@given(cart=carts, fee_list=st.lists(fees_strategy(), max_size=8).map(_unique_ids), promotion=discounts)
def test_quote_invariants(cart, fee_list, promotion):
    quote = calculate(cart[0], cart[1], fee_list, promotion)
    assert quote is not None
    money = [
        quote.sub_total, quote.promoter_fees, quote.order_subtotal, quote.sales_tax, quote.sellout_fees,
        quote.stripe_fees, quote.total, quote.total_fees, quote.total_without_tax_fees,
        quote.guest_fee_for_promoter, quote.guest_fee_for_sellout, quote.discount_amount,
        *quote.ticket_prices, *quote.upgrade_prices, *quote.fee_amounts.values(),
    ]  # fmt: skip
    assert all(type(value) is int and value >= 0 for value in money)

    # Step 10: total = PT + F + round(G), with PT = orderSubtotal + salesTax.
    assert quote.total == quote.order_subtotal + quote.sales_tax + quote.sellout_fees + quote.stripe_fees
    # The gross-up leaves the pre-Stripe amount after Stripe keeps p % + f (within rounding).
    p, f = _stripe_terms(fee_list)
    if quote.sub_total:
        kept = quote.total * (1 - p / 100) - f
        assert abs(kept - (quote.total - quote.stripe_fees)) <= 1

    # R-FEE-9 group sums.
    by_id = {x.id: x for x in fee_list}
    org = sum(
        n
        for i, n in quote.fee_amounts.items()
        if by_id[i].appliedBy == "Organization" or by_id[i].name == "Sales tax"
    )
    platform = sum(
        n
        for i, n in quote.fee_amounts.items()
        if by_id[i].appliedBy != "Organization" and by_id[i].name != "Sales tax"
    )
    assert org == quote.promoter_fees + quote.sales_tax
    assert platform == quote.sellout_fees + quote.stripe_fees
    assert set(quote.fee_amounts) == set(quote.applied_fee_ids)

    # R-FEE-8: the promoter's share plus all fees is what is charged, and it is about the subtotal.
    paid = payment_amounts(quote)
    assert paid["transferAmount"] + quote.total_fees == quote.total == paid["amount"]
    assert abs(paid["transferAmount"] - quote.sub_total) <= 2

    # The discount is exactly what the subtotal lost against the listed prices (R-PR-6).
    listed = sum(t.original_price for t in cart[0]) + sum(u.price for u in cart[1])
    assert quote.sub_total + quote.discount_amount == listed

    # Same inputs ⇒ same outputs, also through fresh copies of the models.
    again = calculate(list(cart[0]), list(cart[1]), [x.model_copy() for x in fee_list], promotion)
    assert again == quote
    graphql = quote_to_graphql(quote)
    assert all(isinstance(v, str) and v.isdigit() for k, v in graphql.items() if k != "discountAmount")


@settings(max_examples=300, deadline=None)
@given(
    cart=carts,
    fee_list=st.lists(fees_strategy(), max_size=6).map(_unique_ids),
    extra=fees_strategy(),
    promotion=discounts,
)
def test_adding_a_fee_never_lowers_the_total(cart, fee_list, extra, promotion):
    # Appended last: an earlier Sales tax or Stripe fee of the same kind keeps taking precedence.
    before = calculate(cart[0], cart[1], fee_list, promotion)
    after = calculate(cart[0], cart[1], [*fee_list, extra.model_copy(update={"id": "extra"})], promotion)
    assert before is not None and after is not None
    assert after.total >= before.total


@settings(max_examples=300, deadline=None)
@given(
    cart=carts,
    # No upper price bounds: a discount may lower a ticket *into* a max-bounded fee's window
    # (R-FEE-5 reads the discounted price), which can legitimately cost more than it saves.
    fee_list=st.lists(fees_strategy(max_window=False), max_size=6).map(_unique_ids),
    promotion=discounts.filter(lambda p: p is not None),
)
def test_a_discount_never_raises_the_total(cart, fee_list, promotion):
    full = calculate(cart[0], cart[1], fee_list, None)
    discounted = calculate(cart[0], cart[1], fee_list, promotion)
    assert full is not None and discounted is not None
    assert discounted.total <= full.total
    assert discounted.sub_total <= full.sub_total


def test_an_order_total_past_the_bound_is_refused_so_it_always_fits_a_graphql_int():
    from shared.domain.validation import MAX_ORDER_TOTAL_CENTS

    at_bound = quote_of(tickets(MAX_ORDER_TOTAL_CENTS // 2, MAX_ORDER_TOTAL_CENTS // 2), [])
    assert at_bound.total == MAX_ORDER_TOTAL_CENTS
    # Two tickets of a tier stored at the Int maximum (before prices were bounded).
    with pytest.raises(DomainError) as refused:
        calculate(tickets(2**31 - 1, 2**31 - 1), [], stripe(), None)
    assert refused.value.code == "LIMIT_EXCEEDED"
    with pytest.raises(DomainError):
        calculate(tickets(MAX_ORDER_TOTAL_CENTS // 2, MAX_ORDER_TOTAL_CENTS // 2), [], stripe(), None)
