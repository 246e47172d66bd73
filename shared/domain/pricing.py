"""Order pricing (SPEC §2.4, §5.5 R-PR-6, §5.6 R-FEE-3..10, §5.7 R-ORD-4, §7 item 3). Pure.

One function, `calculate`, prices a cart for all three callers — the `eventFeeCalculation`
quote, `createOrderPaymentIntent` (the amount charged) and `createOrder` (payment record and fee
snapshot) — so they agree to the cent (R-FEE-7). The callers resolve prices (current tier,
stored upgrades, D-1), the discount promotion (from the stored event) and the applicable fees;
nothing here reads storage or trusts a client-sent amount.

Arithmetic: every intermediate is an exact `Fraction` (fee and discount values, stored as
floats, are read through their decimal text: 2.9 is 29/10, not 2.89999…). `round_half_up` is
the SPEC's `round` (half-up to the cent, never banker's rounding) and is applied exactly where
R-FEE-6 says, nowhere else.

Decisions where the SPEC leaves room:
- An order with nothing to pay (subtotal S = 0: every item free or discounted to 0) carries no
  fees, like Complimentary orders (R-FEE-3). Otherwise the Stripe gross-up alone would charge
  f / (1 − p) ≈ 31¢ for a free order, while R-ORD-13 expects a 100 % discount to total 0.
- Per-ticket discounts are rounded per ticket (an order ticket's `price` is whole cents).
- `discountAmount` for a Per Order discount is the reduction actually taken, Σ prices − S,
  so `subTotal + discountAmount = Σ prices` always holds (it equals round(D) except that at
  an exact half cent the half goes to the promoter, as in S = round(T − D)).
- The Sales tax fee is the first fee named exactly `Sales tax`, whoever applies it; further
  ones are ignored. It is never a promoter or platform fee and is grouped with the
  Organization fees in the snapshot (R-FEE-9).
- Filters: only a fee's *first* filter makes it a guest fee (R-FEE-4); a guest fee is charged
  per guest ticket whatever its `appliedTo`. `Seated` restricts per-ticket charges (guest fees
  included); it has no meaning for upgrades, order fees or the platform percent on PT.
- Stripe fees ignore filters, windows and `appliedTo`: only the first Percent and the first
  Flat Stripe fee count (R-FEE-6 step 9).

rollFees (R-FEE-10): all-inclusive pricing is a product decision still to be confirmed. Until
it is, fees are added on top exactly as for any other item; the flag is stored on the order
items only and never read here (the same observable behaviour as the original, D-9).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from shared.domain.models import SALES_TAX_FEE_NAME, EventPromotion, EventUpgrade, Fee, TicketedListing
from shared.domain.validation import MAX_ORDER_TOTAL_CENTS
from shared.errors import DomainError, ErrorCode

HALF = Fraction(1, 2)


def round_half_up(amount: Fraction | int) -> int:
    """The SPEC's round(x): half-up to a whole cent, floor(x + ½) (never banker's rounding)."""
    return math.floor(amount + HALF)


def exact(value: float | int) -> Fraction:
    """A stored number as the decimal that was entered: 2.9 → 29/10, not the binary float."""
    return Fraction(str(value))


def percent_of(amount: Fraction | int, percent: float | int) -> Fraction:
    """`amount × percent / 100`, exactly."""
    return amount * exact(percent) / 100


# --- which fees apply to an order (R-FEE-3) ---------------------------------------------------------

# Fee payment-method labels are not the order's method names (D-15): map them before comparing.
FEE_METHOD_TO_ORDER_METHOD: Mapping[str, str] = MappingProxyType(
    {
        "Manual Card Entry": "Card Entry",
        "Card Reader": "Card Reader",
        "Card Reader (Wifi)": "Card Reader",
        "Card Reader (Bluetooth)": "Card Reader",
        "Cash": "Cash",
        "Check": "Check",
        "None": "None",
    }
)
FEE_CARRYING_ORDER_TYPES = frozenset({"Paid", "Season"})


def fee_accepts_method(fee: Fee, payment_method: str) -> bool:
    """An empty `paymentMethods` list means every method (R-FEE-3)."""
    return not fee.paymentMethods or any(
        FEE_METHOD_TO_ORDER_METHOD.get(label) == payment_method for label in fee.paymentMethods
    )


def applicable_fees(fees: Iterable[Fee], order_type: str, payment_method: str) -> list[Fee]:
    """The event's fees an order carries (R-FEE-1, R-FEE-3): none for Complimentary and RSVP
    orders; otherwise the enabled fees whose payment methods include the order's (D-15)."""
    if order_type not in FEE_CARRYING_ORDER_TYPES:
        return []
    return [f for f in fees if not f.disabled and fee_accepts_method(f, payment_method)]


def is_sales_tax(fee: Fee) -> bool:
    return fee.name.strip() == SALES_TAX_FEE_NAME


def sales_tax_fee(fees: Iterable[Fee]) -> Fee | None:
    """The fee whose value is the sales-tax percent (R-FEE-6 step 6): the first named `Sales tax`."""
    return next((f for f in fees if is_sales_tax(f)), None)


def sales_tax_percent(fees: Iterable[Fee]) -> float:
    """`Order.tax`: the sales-tax percent applied (§3.9, §7 item 6), 0 without a Sales tax fee."""
    fee = sales_tax_fee(fees)
    return fee.value if fee else 0


def is_guest_fee(fee: Fee) -> bool:
    """R-FEE-4: a fee whose first filter is `Guest ticket` is charged on guest tickets only."""
    return bool(fee.filters) and fee.filters[0] == "Guest ticket"


def in_price_window(fee: Fee, price: int) -> bool:
    """R-FEE-5: min ≤ price ≤ max, where a null/0 min is 0 and a null/0 max is unbounded."""
    low = fee.minAppliedToPrice or 0
    high = fee.maxAppliedToPrice or None
    return low <= price and (high is None or price <= high)


# --- cart lines and the discount (R-PR-6) ------------------------------------------------------------


@dataclass(frozen=True)
class LineTicket:
    """One ticket of the cart: its tier price before any discount (`origionalPrice`)."""

    ticket_type_id: str
    tier_id: str
    original_price: int
    seat: str = ""
    guest: bool = False


@dataclass(frozen=True)
class LineUpgrade:
    """One upgrade unit of the cart at its stored price (0 for complimentary ones)."""

    upgrade_id: str
    price: int


@dataclass(frozen=True)
class Discounted:
    """The effect of the order's discount code: ticket prices after the per-ticket reduction
    (same order as the tickets), the per-order reduction taken from the subtotal (D), and the
    `discountAmount` recorded on the order and its payment."""

    ticket_prices: list[int]
    per_order_discount: int
    discount_amount: int


def _discount_value(promotion: EventPromotion | None) -> Fraction:
    if promotion is None or promotion.type != "Discount" or promotion.discountValue is None:
        return Fraction(0)
    if promotion.discountType is None or promotion.appliesTo is None:
        return Fraction(0)
    return exact(promotion.discountValue)


def apply_discount(
    tickets: Sequence[LineTicket], upgrades: Sequence[LineUpgrade], promotion: EventPromotion | None
) -> Discounted:
    """R-PR-6 for the one Discount promotion of the order (D-8: exactly one, its own terms only;
    anything but a Discount promotion, or one without terms, changes nothing).

    - Per Ticket: each eligible ticket (type listed, or every ticket when the list is empty) is
      reduced by round(value) cents (Flat) or round(origionalPrice × value / 100) (Percent),
      rounded half-up *per ticket* and never below 0. discountAmount = Σ reductions taken.
    - Per Order: D = value (Flat) or (Σ ticket + Σ upgrade prices) × value / 100 (Percent); the
      order owes S = max(0, round(T + U − D)) (R-FEE-6 step 3, U being whole cents), and the
      reduction taken — Σ prices − S — is both `per_order_discount` and `discountAmount`.
    """
    prices = [t.original_price for t in tickets]
    value = _discount_value(promotion)
    if promotion is None or value == 0:
        return Discounted(prices, 0, 0)
    if promotion.appliesTo == "Per Ticket":
        eligible = set(promotion.ticketTypeIds)
        reductions = [
            min(
                t.original_price, _ticket_reduction(t.original_price, value, promotion.discountType == "Flat")
            )
            if not eligible or t.ticket_type_id in eligible
            else 0
            for t in tickets
        ]
        return Discounted([p - r for p, r in zip(prices, reductions, strict=True)], 0, sum(reductions))
    gross = sum(prices) + sum(u.price for u in upgrades)
    reduction = value if promotion.discountType == "Flat" else gross * value / 100
    owed = max(0, round_half_up(gross - reduction))
    return Discounted(prices, gross - owed, gross - owed)


def _ticket_reduction(original_price: int, value: Fraction, flat: bool) -> int:
    return round_half_up(value if flat else original_price * value / 100)


# --- the calculation (R-FEE-6) -----------------------------------------------------------------------


@dataclass(frozen=True)
class FeeQuote:
    """R-FEE-6 step 11 outputs, all integer cents, plus what the order records: ticket and upgrade
    prices charged, the cents each applied fee contributed (R-FEE-9) and the applied fee ids."""

    sub_total: int
    promoter_fees: int
    order_subtotal: int
    sales_tax: int
    sellout_fees: int
    stripe_fees: int
    total: int
    total_fees: int
    total_without_tax_fees: int
    guest_fee_for_promoter: int
    guest_fee_for_sellout: int
    discount_amount: int
    ticket_prices: list[int]
    upgrade_prices: list[int]
    fee_amounts: dict[str, int]
    applied_fee_ids: list[str]


@dataclass(frozen=True)
class _Charge:
    """What one fee adds to the order, exact; `guest` marks guest-fee charges (step 11)."""

    fee: Fee
    cents: Fraction
    guest: bool = False


@dataclass(frozen=True)
class _Cart:
    tickets: list[tuple[LineTicket, int]]  # each ticket with its price after per-ticket discount
    upgrade_prices: list[int]

    def ticket_prices_for(self, fee: Fee) -> list[int]:
        """Prices of the tickets a per-ticket fee is charged on (R-FEE-4, R-FEE-5)."""
        guest_only = is_guest_fee(fee)
        seated_only = "Seated" in fee.filters
        return [
            price
            for line, price in self.tickets
            if (line.guest or not guest_only)
            and (line.seat or not seated_only)
            and in_price_window(fee, price)
        ]

    def upgrade_prices_for(self, fee: Fee) -> list[int]:
        return [price for price in self.upgrade_prices if in_price_window(fee, price)]


def _per_item(fee: Fee, prices: list[int]) -> Fraction:
    """A per-item fee summed over the items it applies to: `value` each, or price × value / 100."""
    if fee.type == "Flat":
        return exact(fee.value) * len(prices)
    return sum((percent_of(price, fee.value) for price in prices), Fraction(0))


def _item_charge(fee: Fee, prices: list[int], *, round_sum: bool = False) -> list[_Charge]:
    """The charge of a per-item fee, or nothing when no item qualifies (the fee is not applied)."""
    if not prices:
        return []
    cents = _per_item(fee, prices)
    return [_Charge(fee, Fraction(round_half_up(cents)) if round_sum else cents, guest=is_guest_fee(fee))]


def _promoter_charges(fees: Sequence[Fee], cart: _Cart, subtotal: int) -> list[_Charge]:
    """R-FEE-6 step 4: fees applied by the Organization, except the Sales tax fee. Each Order /
    Percent fee is a percent of S, so the SPEC's "flat order fees before percent ones" cannot
    change the result and needs no sorting here."""
    charges: list[_Charge] = []
    for fee in fees:
        if fee.appliedBy != "Organization" or is_sales_tax(fee):
            continue
        if is_guest_fee(fee):
            charges += _item_charge(fee, cart.ticket_prices_for(fee))
        elif fee.appliedTo == "Ticket":
            # Ticket / Percent: Σ over eligible tickets, then rounded (per fee).
            charges += _item_charge(fee, cart.ticket_prices_for(fee), round_sum=fee.type == "Percent")
        elif fee.appliedTo == "Upgrade":
            charges += _item_charge(fee, cart.upgrade_prices_for(fee))
        elif fee.type == "Flat":
            charges.append(_Charge(fee, exact(fee.value)))
        else:
            charges.append(_Charge(fee, Fraction(round_half_up(percent_of(subtotal, fee.value)))))
    return charges


def _platform_charges(fees: Sequence[Fee], cart: _Cart, promoter_total: int) -> list[_Charge]:
    """R-FEE-6 step 8: fees applied by Sellout. A Percent fee on Order or Ticket is a percent of
    PT; a Percent fee on Upgrade is charged on upgrades only (D-16: never also on PT)."""
    charges: list[_Charge] = []
    for fee in fees:
        if fee.appliedBy != "Sellout" or is_sales_tax(fee):
            continue
        if is_guest_fee(fee):
            charges += _item_charge(fee, cart.ticket_prices_for(fee))
        elif fee.appliedTo == "Upgrade":
            charges += _item_charge(fee, cart.upgrade_prices_for(fee))
        elif fee.type == "Percent":
            charges.append(_Charge(fee, percent_of(promoter_total, fee.value)))
        elif fee.appliedTo == "Ticket":
            charges += _item_charge(fee, cart.ticket_prices_for(fee))
        else:
            charges.append(_Charge(fee, exact(fee.value)))
    return charges


def _first_stripe_fee(fees: Sequence[Fee], fee_type: str) -> Fee | None:
    return next(
        (f for f in fees if f.appliedBy == "Stripe" and f.type == fee_type and not is_sales_tax(f)), None
    )


def _stripe_gross_up(pre: int, percent_fee: Fee | None, flat_fee: Fee | None) -> Fraction:
    """R-FEE-6 step 9: G = (pre + f) / (1 − p/100) − pre, so that after Stripe keeps p % + f of
    the charge, `pre` is left."""
    p = exact(percent_fee.value) if percent_fee else Fraction(0)
    f = exact(flat_fee.value) if flat_fee else Fraction(0)
    if p >= 100:
        # fee_rules refuses such a fee; a stored one must not divide by zero or go negative.
        raise DomainError(ErrorCode.INTERNAL, "This event's processing fee is misconfigured.")
    return (pre + f) / (1 - p / 100) - pre


def _stripe_charges(percent_fee: Fee | None, flat_fee: Fee | None, gross_up: Fraction) -> list[_Charge]:
    """R-FEE-9: the Stripe Flat fee contributed its value f, the Stripe Percent fee the rest of G."""
    flat = exact(flat_fee.value) if flat_fee else Fraction(0)
    charges = [_Charge(flat_fee, flat)] if flat_fee else []
    if percent_fee:
        charges.append(_Charge(percent_fee, gross_up - flat))
    return charges


def _sum(charges: Iterable[_Charge]) -> Fraction:
    return sum((c.cents for c in charges), Fraction(0))


def _apportion(charges: Sequence[_Charge], target: int) -> dict[str, int]:
    """R-FEE-9: whole cents per fee id summing exactly to `target` (the group's rounded total).
    Each fee gets its own rounded amount; the rounding remainder goes to the largest fee of the
    group (ties: the first listed). A negative remainder larger than that fee moves on to the
    next largest, so no amount is ever negative."""
    exact_by_id: dict[str, Fraction] = {}
    for charge in charges:
        exact_by_id[charge.fee.id] = exact_by_id.get(charge.fee.id, Fraction(0)) + charge.cents
    amounts = {fee_id: round_half_up(cents) for fee_id, cents in exact_by_id.items()}
    remainder = target - sum(amounts.values())
    for fee_id in sorted(exact_by_id, key=lambda i: exact_by_id[i], reverse=True):
        if remainder == 0:
            break
        adjusted = max(0, amounts[fee_id] + remainder)
        remainder -= adjusted - amounts[fee_id]
        amounts[fee_id] = adjusted
    if remainder != 0:
        raise ValueError(f"cannot apportion {target} cents over {len(amounts)} fees")
    return amounts


def calculate(
    tickets: Sequence[LineTicket],
    upgrades: Sequence[LineUpgrade],
    fees: Sequence[Fee],
    promotion: EventPromotion | None,
) -> FeeQuote | None:
    """Price a cart (R-FEE-6 steps 1-11). `fees` are the applicable ones (`applicable_fees`);
    `promotion` is the order's checked Discount promotion, or None. None for an empty cart.

    S = round(T − D) + U                     subtotal (step 3)
    P = Σ promoter charges                   (step 4)
    O = round(S + P);  X = O × tax% / 100    order subtotal, sales tax (steps 5, 6)
    PT = O + round(X)                        promoter total (step 7)
    F = round(Σ platform charges)            (step 8)
    G = (PT + F + f) / (1 − p/100) − (PT + F) Stripe gross-up (step 9)
    total = (PT + F) + round(G)              (step 10)
    """
    if not tickets and not upgrades:
        return None
    discounted = apply_discount(tickets, upgrades, promotion)
    cart = _Cart(list(zip(tickets, discounted.ticket_prices, strict=True)), [u.price for u in upgrades])
    subtotal = sum(discounted.ticket_prices) + sum(cart.upgrade_prices) - discounted.per_order_discount
    charged = list(fees) if subtotal > 0 else []  # nothing to pay ⇒ nothing to charge fees on

    promoter = _promoter_charges(charged, cart, subtotal)
    promoter_exact = _sum(promoter)
    order_subtotal = round_half_up(subtotal + promoter_exact)
    tax_fee = sales_tax_fee(charged)
    tax_exact = percent_of(order_subtotal, tax_fee.value) if tax_fee else Fraction(0)
    promoter_total = order_subtotal + round_half_up(tax_exact)

    platform = _platform_charges(charged, cart, promoter_total)
    platform_exact = _sum(platform)
    sellout_fees = round_half_up(platform_exact)
    pre_stripe = promoter_total + sellout_fees
    stripe_percent, stripe_flat = _first_stripe_fee(charged, "Percent"), _first_stripe_fee(charged, "Flat")
    gross_up = _stripe_gross_up(pre_stripe, stripe_percent, stripe_flat)

    organization_group = [
        *promoter,
        *([_Charge(tax_fee, Fraction(round_half_up(tax_exact)))] if tax_fee else []),
    ]
    stripe_group = _stripe_charges(stripe_percent, stripe_flat, gross_up)
    fee_amounts = {
        **_apportion(organization_group, round_half_up(promoter_exact) + round_half_up(tax_exact)),
        **_apportion([*platform, *stripe_group], sellout_fees + round_half_up(gross_up)),
    }
    applied = {c.fee.id for c in [*organization_group, *platform, *stripe_group]}
    total = pre_stripe + round_half_up(gross_up)
    if total > MAX_ORDER_TOTAL_CENTS:
        # Also guards prices stored before prices were bounded: a total past the GraphQL Int
        # range could be neither returned nor read back.
        limit = f"${MAX_ORDER_TOTAL_CENTS // 100:,}"
        raise DomainError(ErrorCode.LIMIT_EXCEEDED, f"An order can total at most {limit}; buy fewer at once.")
    return FeeQuote(
        sub_total=subtotal,
        promoter_fees=round_half_up(promoter_exact),
        order_subtotal=order_subtotal,
        sales_tax=round_half_up(tax_exact),
        sellout_fees=sellout_fees,
        stripe_fees=round_half_up(gross_up),
        total=total,
        total_fees=round_half_up(promoter_exact + gross_up + sellout_fees + tax_exact),
        total_without_tax_fees=round_half_up(promoter_exact + gross_up + sellout_fees),
        guest_fee_for_promoter=round_half_up(_sum(c for c in promoter if c.guest)),
        guest_fee_for_sellout=round_half_up(_sum(c for c in platform if c.guest)),
        discount_amount=discounted.discount_amount,
        ticket_prices=list(discounted.ticket_prices),
        upgrade_prices=list(cart.upgrade_prices),
        fee_amounts=fee_amounts,
        applied_fee_ids=list(dict.fromkeys(f.id for f in charged if f.id in applied)),
    )


# --- what the callers store and return ----------------------------------------------------------------


def payment_amounts(quote: FeeQuote) -> dict[str, Any]:
    """R-FEE-8: the Payment record's money fields (keys are `Payment` field names)."""
    return {
        "amount": quote.total,
        "transferAmount": quote.total - quote.total_fees,
        "feeAmount": quote.sellout_fees,
        "tax": quote.sales_tax,
        "discount": quote.discount_amount,
        "feeIds": list(quote.applied_fee_ids),
    }


def fee_snapshot(fees: Iterable[Fee], quote: FeeQuote | None) -> list[dict[str, Any]]:
    """R-FEE-9: `order.fees` — a copy of every applied fee with `amount` = the cents it
    contributed, as a string. Refunds, receipts and reports read this, never recompute."""
    if quote is None:
        return []
    snapshot: dict[str, dict[str, Any]] = {}
    for fee in fees:
        if fee.id in quote.fee_amounts and fee.id not in snapshot:
            snapshot[fee.id] = {**fee.doc(), "amount": str(quote.fee_amounts[fee.id])}
    return list(snapshot.values())


_GRAPHQL_STRING_FIELDS = {
    "subTotal": "sub_total",
    "promoterFees": "promoter_fees",
    "orderSubtotal": "order_subtotal",
    "salesTax": "sales_tax",
    "selloutFees": "sellout_fees",
    "stripeFees": "stripe_fees",
    "total": "total",
    "totalFees": "total_fees",
    "totalWithoutTaxFees": "total_without_tax_fees",
    "guestFeeForPromoter": "guest_fee_for_promoter",
    "guestFeeForSellout": "guest_fee_for_sellout",
}


def quote_to_graphql(quote: FeeQuote | None) -> dict[str, Any]:
    """`PaymentCalculationType` (§7 item 3): integer cents as decimal strings, `discountAmount`
    an Int; an empty cart gives an object whose every field is null."""
    if quote is None:
        return {**dict.fromkeys(_GRAPHQL_STRING_FIELDS), "discountAmount": None}
    result: dict[str, Any] = {
        name: str(getattr(quote, attr)) for name, attr in _GRAPHQL_STRING_FIELDS.items()
    }
    result["discountAmount"] = quote.discount_amount
    return result


# --- complimentary upgrades (R-ORD-4) ----------------------------------------------------------------


def complimentary_upgrades(
    event: TicketedListing, ticket_type_ids_in_order: Sequence[str]
) -> list[tuple[EventUpgrade, int]]:
    """R-ORD-4: the free upgrades an order gets automatically, with quantities. An upgrade with
    `complimentary=true` comes when the order has a ticket of one of its `ticketTypeIds` (any
    ticket when empty): `complimentaryQty` per order (`complimentaryWith=Order`) or per such
    ticket (`Ticket`). `ticket_type_ids_in_order` holds one entry per ticket. Stock is the
    caller's to check, like for any other item."""
    result: list[tuple[EventUpgrade, int]] = []
    for upgrade in event.upgrades:
        if not upgrade.complimentary:
            continue
        restricted_to = set(upgrade.ticketTypeIds)
        matching = sum(1 for t in ticket_type_ids_in_order if not restricted_to or t in restricted_to)
        if matching == 0:
            continue
        quantity = upgrade.complimentaryQty * (matching if upgrade.complimentaryWith == "Ticket" else 1)
        if quantity > 0:
            result.append((upgrade, quantity))
    return result
