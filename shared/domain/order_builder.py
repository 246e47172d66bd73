"""Turns what a buyer or clerk asked for into a priced Order and the stock it needs (SPEC 5.7,
5.9, 5.10). Pure: the caller supplies the event with live stock, its fees, the caller's role and
the buyer's code-use counts; nothing here reads or writes anything.

Prices, fees and totals come only from the event's own data (D-1): a client's `price`,
`origionalPrice`, `fees`, `discount` and `discountAmount` are accepted by the schema and ignored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.domain import inventory, pricing, promotions, seating, tiers
from shared.domain.models import (
    EventCustomField,
    EventPromotion,
    EventUpgrade,
    Fee,
    Order,
    OrderCustomField,
    OrderTicket,
    OrderUpgrade,
    Payment,
    Scan,
    Season,
    TicketedListing,
    TicketTier,
    TicketType,
    new_id,
)
from shared.domain.permissions import BOX_OFFICE
from shared.errors import DomainError, ErrorCode, invalid

CARD_METHODS = {"Card Entry", "Card Reader"}
BOX_OFFICE_ONLY_METHODS = {"Cash", "Check", "Card Reader"}


@dataclass(frozen=True)
class RequestedTicket:
    ticket_type_id: str
    tier_id: str = ""  # honoured only for box-office sales (R-INV-2)
    seat: str = ""
    day_ids: tuple[str, ...] = ()
    guest: bool = False
    tei_member_id: str = ""


@dataclass(frozen=True)
class OrderRequest:
    """The fields of OrderInput / OrderPaymentIntentInput this service trusts."""

    event_id: str
    org_id: str
    channel: str = "Online"
    order_type: str = "Paid"
    payment_method: str = "Card Entry"
    tickets: tuple[RequestedTicket, ...] = ()
    upgrade_ids: tuple[str, ...] = ()  # one entry per unit, as the clients send them
    promotion_code: str = ""
    discount_code: str = ""
    custom_fields: tuple[Mapping[str, Any], ...] = ()
    buyer_user_id: str = ""
    buyer_email: str = ""
    created_by: str = ""
    ip_address: str = ""


@dataclass(frozen=True)
class CodeUses:
    """How many live orders of this event the buyer already placed with each code (R-PR-4/5)."""

    promotion: int = 0
    discount: int = 0


@dataclass
class PricedOrder:
    order: Order
    wants: dict[inventory.StockKey, int]
    quote: pricing.FeeQuote | None
    total: int
    application_fee: int
    promotion: EventPromotion | None = None
    discount: EventPromotion | None = None
    notes: list[str] = field(default_factory=list)
    # A season order's hidden child orders, one per event (R-T3-2; set by checkout).
    children: list[Order] = field(default_factory=list)


def _check_event(event: TicketedListing, request: OrderRequest) -> None:
    """R-ORD-1 (D-17): the event exists for this org, is live and not cancelled."""
    if not event.active or event.orgId != request.org_id:
        raise DomainError(ErrorCode.NOT_FOUND, "Event not found.")
    if event.cancel:
        raise DomainError(ErrorCode.CONFLICT, "This event has been cancelled.")


def _check_consistency(event: TicketedListing, request: OrderRequest, caller_level: int) -> None:
    """R-ORD-13 (D-33): type, payment method and channel must agree; staff-only paths need staff."""
    box_office = request.channel == "Box Office"
    if request.channel not in ("Online", "Box Office"):
        raise invalid("Unknown sales channel.", "channel")
    if box_office and caller_level < BOX_OFFICE:
        raise DomainError(ErrorCode.FORBIDDEN, "You do not have permission to do this.")
    if request.order_type == "Complimentary":
        if caller_level < BOX_OFFICE:
            raise DomainError(ErrorCode.FORBIDDEN, "You do not have permission to do this.")
    elif request.order_type == "RSVP":
        if event.processAs != "RSVP":
            raise invalid("This event does not take RSVPs.", "type")
    elif request.order_type == "Paid" or (request.order_type == "Season" and isinstance(event, Season)):
        if event.processAs != "Paid":
            raise invalid("This event takes RSVPs, not payments.", "type")
    else:
        raise invalid("Unknown order type.", "type")
    if request.payment_method in BOX_OFFICE_ONLY_METHODS and not box_office:
        raise invalid("That payment method is only available at the box office.", "paymentMethodType")
    if request.payment_method not in {*CARD_METHODS, "Cash", "Check", "None"}:
        raise invalid("Unknown payment method.", "paymentMethodType")


def _check_sale_window(
    event: TicketedListing, request: OrderRequest, presale: EventPromotion | None, now: int
) -> None:
    """R-ORD-2: the box office sells any time; online sales keep to the window (a Presale code
    opens it early, never late)."""
    if request.channel == "Box Office":
        return
    schedule = event.schedule
    if schedule.ticketsEndAt and now > schedule.ticketsEndAt:
        raise DomainError(ErrorCode.CONFLICT, "Tickets are no longer on sale.")
    if schedule.ticketsAt and now < schedule.ticketsAt and presale is None:
        raise DomainError(ErrorCode.CONFLICT, "Tickets are not on sale yet.")


def _assign_tiers(
    ticket_type: TicketType, requested: Sequence[RequestedTicket], box_office: bool, now: int
) -> list[TicketTier]:
    """R-INV-1/2: online tickets take the current tier, rolling to the next tier when this order
    empties it; the box office may pick any tier that is not past."""
    if box_office and all(r.tier_id for r in requested):
        allowed = {t.id: t for t in tiers.box_office_tiers(ticket_type, now)}
        chosen = []
        for r in requested:
            if r.tier_id not in allowed:
                raise invalid(f"That price tier of {ticket_type.name} is no longer available.", "tickets")
            chosen.append(allowed[r.tier_id])
        return chosen
    remaining = {t.id: t.remainingQty for t in ticket_type.tiers}
    chosen = []
    for _ in requested:
        rolled = ticket_type.model_copy(deep=True)
        for tier in rolled.tiers:
            tier.remainingQty = remaining[tier.id]
        current = tiers.current_tier(rolled, now)
        if current is None:
            raise DomainError(ErrorCode.SOLD_OUT, f"Sorry, {ticket_type.name} tickets are sold out.")
        remaining[current.id] -= 1
        chosen.append(next(t for t in ticket_type.tiers if t.id == current.id))
    return chosen


def _check_custom_fields(
    fields: Sequence[EventCustomField], answers: Sequence[Mapping[str, Any]]
) -> list[OrderCustomField]:
    """R-ORD-3: required answers present, lengths, ranges and options respected."""
    by_id = {str(a.get("customFieldId") or ""): a for a in answers}
    stored: list[OrderCustomField] = []
    for custom in (f for f in fields if f.active):
        answer = by_id.get(custom.id)
        value = str((answer or {}).get("value") or "").strip()
        if not value:
            if custom.required:
                raise invalid(f'Please answer "{custom.label}".', "customFields")
            continue
        if custom.type == "Text" and not (custom.minLength <= len(value) <= (custom.maxLength or len(value))):
            raise invalid(f'"{custom.label}" has the wrong length.', "customFields")
        if custom.type == "Number":
            try:
                number = float(value)
            except ValueError:
                raise invalid(f'"{custom.label}" must be a number.', "customFields") from None
            if number < custom.minValue or (custom.maxValue is not None and number > custom.maxValue):
                raise invalid(f'"{custom.label}" is out of range.', "customFields")
        if custom.type == "Dropdown" and custom.options and value not in custom.options:
            raise invalid(f'"{custom.label}" must be one of the offered options.', "customFields")
        stored.append(
            OrderCustomField(label=custom.label, value=value, customFieldId=custom.id, type=custom.type)
        )
    return stored


def _scan_slots(event: TicketedListing, day_ids: Sequence[str]) -> list[Scan]:
    """R-ORD-9: one slot per valid day, or one at the event start."""
    if day_ids:
        return [Scan(startsAt=int(d)) for d in day_ids if str(d).lstrip("-").isdigit()]
    return [Scan(startsAt=event.schedule.startsAt)]


def build_order(
    event: TicketedListing,
    event_fees: Sequence[Fee],
    request: OrderRequest,
    *,
    caller_level: int,
    uses: CodeUses,
    now: int,
    order_id: str | None = None,
) -> PricedOrder:
    """Validate `request` against the live `event` and price it (R-ORD-1..13, R-FEE-6..9)."""
    _check_event(event, request)
    _check_consistency(event, request, caller_level)
    box_office = request.channel == "Box Office"
    if not request.tickets and not request.upgrade_ids:
        raise invalid("Choose at least one ticket or add-on.", "tickets")

    promotion = (
        promotions.check_order_promotion(event, request.promotion_code, now, uses.promotion)
        if request.promotion_code
        else None
    )
    presale = promotion if promotion is not None and promotion.type == "Presale" else None
    _check_sale_window(event, request, presale, now)
    before_sales = bool(event.schedule.ticketsAt) and now < event.schedule.ticketsAt
    if (
        before_sales
        and presale is not None
        and not promotions.presale_covers(
            presale, [t.ticket_type_id for t in request.tickets], list(request.upgrade_ids)
        )
    ):
        raise DomainError(ErrorCode.REFUSED, "That presale code does not cover these tickets.")

    # Items exist, hidden ones are unlocked, limits respected (online only).
    unlock = promotion if promotion is not None and promotion.type == "Unlock" else None
    visible_types, visible_upgrades = promotions.visible_item_ids(event, unlock)
    type_limits, upgrade_limits = promotions.purchase_limits(
        event, promotion if promotion is not None and promotion.type == "Limit Override" else None
    )
    per_type = Counter(t.ticket_type_id for t in request.tickets)
    per_upgrade = Counter(request.upgrade_ids)
    for type_id, quantity in per_type.items():
        ticket_type = event.ticket_type(type_id)
        if ticket_type is None or (not box_office and type_id not in visible_types):
            raise invalid("One of the tickets is not available.", "tickets")
        if quantity > ticket_type.remainingQty:
            raise inventory.SoldOutError(inventory.ticket_type_key(type_id), ticket_type.remainingQty)
        if not box_office and quantity > type_limits.get(type_id, ticket_type.purchaseLimit):
            limit = type_limits.get(type_id, ticket_type.purchaseLimit)
            label = "RSVP limit" if request.order_type == "RSVP" else "limit"
            raise DomainError(
                ErrorCode.LIMIT_EXCEEDED, f"The {label} for {ticket_type.name} is {limit} per order."
            )
    for upgrade_id, quantity in per_upgrade.items():
        upgrade = event.upgrade(upgrade_id)
        if upgrade is None or (not box_office and upgrade_id not in visible_upgrades):
            raise invalid("One of the add-ons is not available.", "upgrades")
        if quantity > upgrade.remainingQty:
            raise inventory.SoldOutError(inventory.upgrade_key(upgrade_id), upgrade.remainingQty)
        if not box_office and quantity > upgrade_limits.get(upgrade_id, upgrade.purchaseLimit):
            limit = upgrade_limits.get(upgrade_id, upgrade.purchaseLimit)
            raise DomainError(ErrorCode.LIMIT_EXCEEDED, f"The limit for {upgrade.name} is {limit} per order.")
        if upgrade.ticketTypeIds and not set(upgrade.ticketTypeIds) & set(per_type):
            raise invalid(f"{upgrade.name} needs a matching ticket in the order.", "upgrades")
    answers = _check_custom_fields(event.customFields, request.custom_fields)
    seating.check_seat_selection(event.seatingChartKey, [t.seat for t in request.tickets])

    free = request.order_type in ("Complimentary", "RSVP")
    discount = (
        promotions.check_discount_code(event, request.discount_code, now, list(per_type), uses.discount)
        if request.discount_code and not free
        else None
    )
    cart = price_cart(
        event,
        event_fees,
        request.tickets,
        request.upgrade_ids,
        discount=discount,
        order_type=request.order_type,
        payment_method=request.payment_method,
        box_office=box_office,
        now=now,
    )
    quote, fees, lines, upgrade_rows = cart.quote, cart.fees, cart.lines, cart.upgrade_rows
    ticket_rows = cart.ticket_rows
    total = quote.total if quote else 0
    if not box_office and request.payment_method == "None" and total != 0:
        raise invalid("This order needs a payment.", "paymentMethodType")

    payment = Payment(
        amount=total,
        paymentMethodType=request.payment_method,  # type: ignore[arg-type]
        createdAt=now,
        createdBy=request.created_by,
        promotionCode=promotion.code if promotion else "",
        discountCode=discount.code if discount else "",
        **({k: v for k, v in pricing.payment_amounts(quote).items() if k != "amount"} if quote else {}),
    )
    ticket_prices = quote.ticket_prices if quote else [line.original_price for line in lines]
    upgrade_prices = quote.upgrade_prices if quote else [price for _, price in upgrade_rows]
    order = Order(
        _id=order_id or new_id(16),
        orgId=event.orgId,
        # A season order (R-T3-2) names its season; its events get hidden child orders.
        eventId="" if isinstance(event, Season) else event.id,
        seasonId=event.id if isinstance(event, Season) else "",
        eventName=event.name,
        userId=request.buyer_user_id,
        email=request.buyer_email,
        createdAt=now,
        createdBy=request.created_by,
        type=request.order_type,  # type: ignore[arg-type]
        channel=request.channel,  # type: ignore[arg-type]
        tickets=[
            OrderTicket(
                name=ticket_type.name,
                ticketTypeId=ticket_type.id,
                ticketTierId=tier.id,
                price=price,
                origionalPrice=0 if free else tier.price,
                rollFees=ticket_type.rollFees,
                paymentId=payment.id,
                seat=wanted.seat,
                scan=_scan_slots(event, wanted.day_ids or tuple(ticket_type.dayIds)),
                values=ticket_type.values,
                description=ticket_type.description,
                dayIds=list(wanted.day_ids or ticket_type.dayIds),
                teiMemberId=wanted.tei_member_id,
                guestTicket=wanted.guest,
            )
            for (ticket_type, tier, wanted), price in zip(ticket_rows, ticket_prices, strict=True)
        ],
        upgrades=[
            OrderUpgrade(
                name=upgrade.name,
                upgradeId=upgrade.id,
                price=price,
                rollFees=upgrade.rollFees,
                paymentId=payment.id,
                description=upgrade.description,
            )
            for (upgrade, _), price in zip(upgrade_rows, upgrade_prices, strict=True)
        ],
        payments=[payment],
        fees=[Fee.model_validate(f) for f in pricing.fee_snapshot(fees, quote)] if quote else [],
        feeIds=list(quote.applied_fee_ids) if quote else [],
        tax=pricing.sales_tax_percent(fees),
        venueIds=[event.venueId] if event.venueId else [],
        artistIds=event.artist_ids(),
        promotionCode=promotion.code if promotion else "",
        discountCode=discount.code if discount else "",
        discountAmount=quote.discount_amount if quote else 0,
        ipAddress=request.ip_address,
        customFields=answers,
    )
    return PricedOrder(
        order=order,
        wants=stock_wanted(order, promotion, discount),
        quote=quote,
        total=total,
        application_fee=quote.sellout_fees if quote else 0,
        promotion=promotion,
        discount=discount,
    )


@dataclass
class PricedCart:
    ticket_rows: list[tuple[TicketType, TicketTier, RequestedTicket]]
    lines: list[pricing.LineTicket]
    upgrade_rows: list[tuple[EventUpgrade, int]]
    fees: list[Fee]
    quote: pricing.FeeQuote | None


def price_cart(
    event: TicketedListing,
    event_fees: Sequence[Fee],
    tickets: Sequence[RequestedTicket],
    upgrade_ids: Sequence[str],
    *,
    discount: EventPromotion | None,
    order_type: str,
    payment_method: str,
    box_office: bool,
    now: int,
) -> PricedCart:
    """Prices a cart from the event alone (R-ORD-4, R-FEE-6): ticket prices from the current tier
    (any non-past tier at the box office), add-on prices as stored, complimentary add-ons added,
    the event's fees that apply to this order type and payment method. The one pricing path of
    the fee quote, the PaymentIntent amount and the order (R-FEE-7)."""
    free = order_type in ("Complimentary", "RSVP")
    per_type = Counter(t.ticket_type_id for t in tickets)
    ticket_rows: list[tuple[TicketType, TicketTier, RequestedTicket]] = []
    lines: list[pricing.LineTicket] = []
    for type_id in per_type:
        ticket_type = event.ticket_type(type_id)
        if ticket_type is None:
            raise invalid("One of the tickets is not available.", "tickets")
        requested = [t for t in tickets if t.ticket_type_id == type_id]
        for tier, wanted in zip(
            _assign_tiers(ticket_type, requested, box_office, now), requested, strict=True
        ):
            ticket_rows.append((ticket_type, tier, wanted))
            lines.append(
                pricing.LineTicket(type_id, tier.id, 0 if free else tier.price, wanted.seat, wanted.guest)
            )
    upgrade_rows: list[tuple[EventUpgrade, int]] = []
    for upgrade_id, quantity in Counter(upgrade_ids).items():
        upgrade = event.upgrade(upgrade_id)
        if upgrade is None:
            raise invalid("One of the add-ons is not available.", "upgrades")
        upgrade_rows += [(upgrade, 0 if free else upgrade.price)] * quantity
    for upgrade, quantity in pricing.complimentary_upgrades(event, list(per_type.elements())):
        upgrade_rows += [(upgrade, 0)] * quantity
    upgrade_lines = [pricing.LineUpgrade(u.id, price) for u, price in upgrade_rows]
    fees = [] if free else pricing.applicable_fees(list(event_fees), order_type, payment_method)
    quote = pricing.calculate(lines, upgrade_lines, fees, None if free else discount)
    return PricedCart(ticket_rows, lines, upgrade_rows, fees, quote)


def stock_wanted(
    order: Order, promotion: EventPromotion | None, discount: EventPromotion | None
) -> dict[inventory.StockKey, int]:
    """The units an order holds: one per ticket (type and tier), per add-on, and one use of each
    code per order (R-INV-3)."""
    wants: Counter[inventory.StockKey] = Counter()
    for ticket in order.tickets:
        wants[inventory.ticket_type_key(ticket.ticketTypeId)] += 1
        wants[inventory.tier_key(ticket.ticketTierId)] += 1
    for upgrade in order.upgrades:
        wants[inventory.upgrade_key(upgrade.upgradeId)] += 1
    for code in (promotion, discount):
        if code is not None:
            wants[inventory.promotion_key(code.id)] += 1
    return dict(wants)
