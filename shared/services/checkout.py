"""Checkout (SPEC 5.7-5.10): reservations, card payments through Stripe Connect, and orders.

Card orders: `start_card_payment` validates and prices the cart, holds its stock in a
reservation (15 minutes, released by a Cloud Task), and opens an uncaptured PaymentIntent on the
organization's account (with a saved card's clone on that account when the buyer picked one).
Once the buyer has paid, `complete_card_payment` — called by the client's createOrder or by
Stripe's webhook, whichever comes first — re-checks the intent, captures it and writes the order.
Box-office cash/check, complimentary and RSVP orders take their stock and write the order in one
step. Every path is idempotent: a retried request, a duplicated webhook or task returns the same
order and never charges or takes stock twice.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal, Protocol, TypeVar

from shared.domain import inventory, promotions, season_orders, seating
from shared.domain.identity import contact_email
from shared.domain.member_tickets import MemberUse
from shared.domain.models import Event, Fee, Order, Organization, Season, TicketedListing, new_id
from shared.domain.order_builder import CodeUses, OrderRequest, PricedOrder, RequestedTicket, build_order
from shared.domain.payment_methods import SavedCard
from shared.domain.permissions import BOX_OFFICE, Principal, require_owner_or_level, require_unrevoked_user
from shared.domain.promotions import DISCOUNT_TYPES, ORDER_PROMOTION_TYPES
from shared.domain.reservations import (
    HOLD_SECONDS,
    AlreadyRecordedError,
    CodeClaim,
    Reservation,
    StaleReservationError,
    code_use_id,
)
from shared.errors import DomainError, ErrorCode, not_found

log = logging.getLogger("sellout.checkout")

_T = TypeVar("_T")
# A held reservation: the listing, its priced order, the org paid, the reservation, the saved card clone.
_Held = tuple[TicketedListing, PricedOrder, Organization, Reservation, str | None]
_Read = dict[str, Any]  # what one checkout read once and re-prices with: "listing", "fees"
REPRICES = 8  # a take found an item short: price again (each time knowing one more exact count)

# What a checkout sells: an event, or a season (R-T3-2) — priced, held and paid the same way; a
# season order also writes one hidden child order per event of the season, with the order.
ListingKind = Literal["event", "season"]


class Payments(Protocol):
    def create_payment_intent(
        self,
        *,
        account: str,
        amount: int,
        application_fee: int,
        description: str,
        metadata: dict[str, str],
        idempotency_key: str,
        payment_method: str | None = None,
    ) -> Any: ...
    def retrieve(self, account: str, intent_id: str) -> Any: ...
    def capture(self, account: str, intent_id: str, idempotency_key: str) -> Any: ...
    def cancel(self, account: str, intent_id: str, idempotency_key: str) -> Any: ...


class SeatBooking(Protocol):
    """seats.io (shared.services.seating): book an order's seats with the buyer's hold token,
    idempotently by order id; release the seats still booked for an order (never fails)."""

    def book(
        self, org_id: str, event_id: str, labels: Sequence[str], *, chart_key: str, order_id: str,
        hold_token: str,
    ) -> None: ...  # fmt: skip
    def release_or_retry(self, org_id: str, event_id: str, labels: Sequence[str], order_id: str) -> None: ...


class NoSeats:
    """No reserved seating wired (tests of unseated checkout)."""

    def book(self, *_: Any, **__: Any) -> None:
        return None

    def release_or_retry(self, *_: Any, **__: Any) -> None:
        return None


class CheckoutCards(Protocol):
    """Saved cards at checkout (shared.services.saved_cards): whose card may pay, its clone on the
    org's connected account, and the buyer's ephemeral key."""

    def checkout_card(
        self, caller: Principal, payment_method_id: str, *, buyer_user_id: str, org_id: str
    ) -> SavedCard: ...
    def clone_to_account(self, card: SavedCard, account: str, idempotency_key: str) -> str: ...
    def ephemeral_key(self, caller: Principal, buyer_user_id: str, idempotency_key: str) -> str | None: ...


class NoSavedCards:
    """No saved cards wired (tests of plain card checkout): a named card cannot be found."""

    def checkout_card(self, *_: Any, **__: Any) -> SavedCard:
        raise not_found("Card")

    def clone_to_account(self, *_: Any, **__: Any) -> str:
        raise not_found("Card")

    def ephemeral_key(self, *_: Any, **__: Any) -> str | None:
        return None


class MemberTickets(Protocol):
    """Member-linked and guest tickets (shared.services.member_tickets, R-ORD-7): validates the
    order's member ids (setting their validity from the member API) and returns the claims the
    order makes, written atomically with it."""

    def order_member_uses(self, event: Event, order: Order) -> list[MemberUse]: ...


class TaskQueue(Protocol):
    def enqueue(self, queue: str, function: str, payload: dict[str, Any], *, path: str = "/",
                key: str | None = None, run_at: int | None = None) -> str: ...  # fmt: skip


def derived_id(prefix: str, *parts: str) -> str:
    """A stable id from our own keys: the same checkout retried maps to the same records."""
    return prefix + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:22]


def _preparing() -> DomainError:
    """The checkout's first request is still opening its payment (a double click)."""
    return DomainError(ErrorCode.BUSY, "Your checkout is being prepared. Please try again.")


def _client_key(params: Mapping[str, Any], header_key: str) -> str:
    """The client's idempotency key (the Idempotency-Key header, else the input's `_id`). Ids are
    derived from it joined with a control character, so keys carrying control characters are
    refused: one could otherwise be spelled to derive another checkout kind's ids."""
    key = header_key or str(params.get("_id") or "")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in key) or len(key) > 200:
        raise DomainError(ErrorCode.INVALID_INPUT, "This checkout id is not valid.", ["_id"])
    return key


def _kind_part(kind: ListingKind) -> tuple[str, ...]:
    """Season checkouts derive their ids in a space of their own: a client key reused for an
    event checkout never finds the season's records (events keep their original ids)."""
    return ("season",) if kind == "season" else ()


def order_request(
    params: Mapping[str, Any], *, channel: str, created_by: str, buyer: str, ip: str
) -> OrderRequest:
    """The fields of OrderInput / OrderPaymentIntentInput that count; prices and totals sent by the
    client are deliberately not read (D-1)."""
    tickets = tuple(
        RequestedTicket(
            ticket_type_id=str(t.get("ticketTypeId") or ""),
            tier_id=str(t.get("ticketTierId") or ""),
            seat=str(t.get("seat") or ""),
            day_ids=tuple(str(d) for d in (t.get("dayIds") or [])),
            guest=bool(t.get("guestTicket")),
            tei_member_id=str(t.get("teiMemberId") or ""),
        )
        for t in params.get("tickets") or []
    )
    return OrderRequest(
        event_id=str(params.get("eventId") or ""),
        org_id=str(params.get("orgId") or ""),
        channel=channel,
        order_type=str(params.get("type") or "Paid"),
        payment_method=str(params.get("paymentMethodType") or "Card Entry"),
        tickets=tickets,
        upgrade_ids=tuple(str(u.get("upgradeId") or "") for u in params.get("upgrades") or []),
        promotion_code=str(params.get("promotionCode") or ""),
        discount_code=str(params.get("discountCode") or ""),
        custom_fields=tuple(params.get("customFields") or []),
        buyer_user_id=buyer,
        created_by=created_by,
        ip_address=ip,
    )


class CheckoutService:
    def __init__(
        self,
        store: Any,
        payments: Payments,
        tasks: TaskQueue,
        event_fees: Callable[[str], list[Fee]],
        *,
        clock: Callable[[], float] = time.time,
        hold_seconds: int = HOLD_SECONDS,
        on_order_created: Callable[[Order], None] = lambda order: None,
        seats: SeatBooking | None = None,
        cards: CheckoutCards | None = None,
        members: MemberTickets | None = None,
    ) -> None:
        self.store = store
        self.checkout = store.checkout
        self.payments = payments
        self.tasks = tasks
        self.event_fees = event_fees
        self.clock = clock
        self.hold_seconds = hold_seconds
        # OrderCreated reactions (ticket delivery). Idempotent, so every path that returns an
        # order runs them again: a retried request or webhook heals a reaction that failed.
        self.on_order_created = on_order_created
        self.seats: SeatBooking = seats or NoSeats()
        self.cards: CheckoutCards = cards or NoSavedCards()
        self.members = members

    # --- shared steps -------------------------------------------------------------------------

    def _live_listing(
        self, kind: ListingKind, listing_id: str, known: Mapping[inventory.StockKey, int], read: _Read
    ) -> TicketedListing:
        """The listing priced optimistically: every item at its full capacity except those a take
        found short (`known`, exact). No stock is read here — the take is exact and answers
        SOLD_OUT or the true count, and the order is priced again with it (`_selling`, which
        keeps the listing it `read` for that). A legacy listing's stock is migrated to the
        current layout first."""
        listing: TicketedListing | None = read.get("listing")
        if listing is None:
            listing = (self.store.events if kind == "event" else self.store.seasons).get(listing_id)
            if listing is None or not listing.active:
                raise DomainError(ErrorCode.NOT_FOUND, f"{kind.capitalize()} not found.")
            listing = self.store.inventory.migrated("events" if kind == "event" else "seasons", listing)
            read["listing"] = listing
        return inventory.with_live_stock(listing, {**inventory.capacities(listing), **known})

    @staticmethod
    def _selling(attempt: Callable[[dict[inventory.StockKey, int], _Read], _T]) -> _T:
        """Price and take until the take agrees with the price: when the take finds an item short
        (a tier that sold out, fewer units left than asked), price again knowing exactly what is
        left — the next tier in order, or SOLD_OUT with the true count. The listing and its fees
        are read once (`read`): only the stock changed, and the take reads that exactly."""
        known: dict[inventory.StockKey, int] = {}
        read: _Read = {}
        for _ in range(REPRICES):
            try:
                return attempt(known, read)
            except inventory.SoldOutError as error:
                if all(known.get(key) == units for key, units in error.shortages.items()):
                    raise  # priced with exactly these counts already: the answer stands
                known.update(error.shortages)
        raise DomainError(ErrorCode.BUSY, "Tickets are in high demand right now. Please try again.")

    def _listing_fees(self, listing: TicketedListing) -> list[Fee]:
        """R-FEE-1: the listing's own non-disabled fees (an event's, or a season's)."""
        if isinstance(listing, Season):
            return [f for f in self.store.fees.find(("seasonId", "==", listing.id)) if not f.disabled]
        return self.event_fees(listing.id)

    def _season_children(self, season: Season, priced: PricedOrder) -> None:
        """R-T3-2: the hidden child orders of a season order, one per event, built (and the ticket
        mapping checked) before any stock is held or money moves."""
        if seating.is_seated(season.seatingChartKey):
            # R-SEAT-3 for seasons (book the same seats in every event) is not built yet: refuse
            # before anything moves rather than sell seats nobody booked.
            raise DomainError(ErrorCode.UNAVAILABLE, "Seated season tickets are not available yet.")
        events = self.store.events.get_many(season.eventIds)
        priced.children = season_orders.build_children(priced.order, season, events)

    def _uses(self, event: TicketedListing, user_id: str, request: OrderRequest) -> CodeUses:
        """How often the buyer already used each code on this event (R-PR-4/5): read from the
        same per-buyer counters the order claims atomically, so the early, friendly refusal
        and the authoritative one agree. Anonymous sales have none."""
        if not user_id:
            return CodeUses()
        wanted = {
            kind: next(iter(promotions.find_promotions(event, code, types)), None)
            for kind, code, types in (
                ("promotion", request.promotion_code, ORDER_PROMOTION_TYPES),
                ("discount", request.discount_code, DISCOUNT_TYPES),
            )
            if code
        }
        ids = {kind: code_use_id(event.id, p.id, user_id) for kind, p in wanted.items() if p is not None}
        counts = self.checkout.code_use_counts(list(ids.values()))
        return CodeUses(**{kind: counts.get(doc_id, 0) for kind, doc_id in ids.items()})

    def _price(  # noqa: PLR0917 - the event checkout's steps, plus which kind of listing it sells
        self, caller: Principal, params: Mapping[str, Any], channel: str, ip: str, order_id: str,
        kind: ListingKind = "event", known: Mapping[inventory.StockKey, int] | None = None,
        read: _Read | None = None,
    ) -> tuple[TicketedListing, PricedOrder]:  # fmt: skip
        listing_id = str(params.get("seasonId" if kind == "season" else "eventId") or "")
        read = {} if read is None else read
        event = self._live_listing(kind, listing_id, known or {}, read)
        if "fees" not in read:
            read["fees"] = self._listing_fees(event)
        level = caller.level_in(event.orgId)
        box_office = channel == "Box Office"
        buyer = str(params.get("userId") or "") if box_office and level >= BOX_OFFICE else caller.user_id
        request = order_request(params, channel=channel, created_by=caller.user_id, buyer=buyer, ip=ip)
        promotion_code, discount_code = promotions.order_codes(
            event, request.promotion_code, request.discount_code
        )
        # The caller's own order goes to the address they gave, verified or not (delivery reads
        # a box-office buyer's from their account).
        email = contact_email(caller.user, caller.claims) if buyer == caller.user_id else ""
        request = replace(
            request, promotion_code=promotion_code, discount_code=discount_code, buyer_email=email
        )
        priced = build_order(
            event,
            read["fees"],
            request,
            caller_level=level,
            uses=self._uses(event, buyer, request),
            now=int(self.clock()),
            order_id=order_id,
        )
        if isinstance(event, Season):
            self._season_children(event, priced)
        return event, priced

    @staticmethod
    def _claims(priced: PricedOrder) -> list[CodeClaim]:
        """The buyer's uses of the order's codes, claimed atomically with the order (R-PR-4/5)."""
        buyer = priced.order.userId
        codes = [p for p in (priced.promotion, priced.discount) if p is not None]
        return (
            [
                CodeClaim(code_use_id(priced.order.eventId or priced.order.seasonId, p.id, buyer), p.useLimit)
                for p in codes
            ]
            if buyer
            else []
        )

    def _member_uses(self, event: TicketedListing, priced: PricedOrder) -> list[MemberUse]:
        """R-ORD-7: an event order's member-id claims, its member ids checked first (the tickets'
        validity is set from the member API, never taken from the client)."""
        if self.members is None or not isinstance(event, Event):
            return []
        return self.members.order_member_uses(event, priced.order)

    def _organization(self, org_id: str) -> Organization:
        org: Organization | None = self.store.organizations.get(org_id)
        if org is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Organization not found.")
        return org

    # --- card payments ----------------------------------------------------------------------

    def start_card_payment(
        self, principal: Principal | None, params: Mapping[str, Any], *, ip: str = "", client_key: str = "",
        kind: ListingKind = "event",
    ) -> dict[str, str | None]:  # fmt: skip
        """createOrderPaymentIntent (R-PAY-2): hold the stock, then open the PaymentIntent.

        With `paymentMethodId` the buyer pays with a saved card (a platform PaymentMethod): it is
        checked to be the buyer's (`CheckoutCards.checkout_card`) before any stock is held, then
        cloned onto the org's connected account — keyed by the reservation, so a retried request
        reuses the clone — and the intent is opened with the clone, ready to confirm."""
        caller = require_unrevoked_user(principal)
        channel = str(params.get("channel") or "Online")
        if stale := str(params.get("stalePaymentIntentId") or ""):
            self.abandon_payment(caller, stale)
        key = _client_key(params, client_key)
        reservation_id = derived_id("r", caller.user_id, *_kind_part(kind), key) if key else new_id(20)
        existing = self.checkout.reservation(reservation_id)
        if existing is not None:
            return self._resumed(caller, existing[0])
        held = self._selling(
            lambda known, read: self._hold(caller, params, channel, ip, reservation_id, kind, known, read)
        )
        if isinstance(held, dict):
            return held
        event, priced, org, reservation, clone = held
        try:
            intent = self.payments.create_payment_intent(
                account=org.stripeId,
                amount=priced.total,
                application_fee=priced.application_fee,
                description=event.name.upper(),
                metadata={
                    "reservationId": reservation.id,
                    "orderId": priced.order.id,
                    ("seasonId" if kind == "season" else "eventId"): event.id,
                    "orgId": event.orgId,
                    "userId": caller.user_id,
                },
                idempotency_key=f"pi-{reservation.id}",
                payment_method=clone,
            )
        except DomainError:
            self._release_quietly(reservation.id)
            raise
        self.checkout.set_payment_intent(reservation.id, intent.id, org.stripeId)
        return self._started(caller, priced.order.userId, reservation.id, intent)

    def _hold(  # noqa: PLR0917 - start_card_payment's request, and what a take found short
        self, caller: Principal, params: Mapping[str, Any], channel: str, ip: str, reservation_id: str,
        kind: ListingKind, known: Mapping[inventory.StockKey, int], read: _Read,
    ) -> dict[str, str | None] | _Held:  # fmt: skip
        """Price the cart and hold its stock in the reservation (or answer at once: nothing to
        charge, or the same checkout asked twice)."""
        event, priced = self._price(
            caller, params, channel, ip, derived_id("o", reservation_id), kind, known, read
        )
        if priced.total == 0:  # nothing to charge: the client creates the order with method None
            return {"paymentIntentId": None, "clientSecret": None, "ephemeralKey": None}
        member_uses = self._member_uses(event, priced)
        org = self._organization(event.orgId)
        if not org.stripeId:
            raise DomainError(ErrorCode.CONFLICT, "This organization cannot take card payments yet.")
        clone = None
        if card_id := str(params.get("paymentMethodId") or "").strip():
            card = self.cards.checkout_card(
                caller, card_id, buyer_user_id=priced.order.userId, org_id=event.orgId
            )
            # Cloned before the stock is held: a refused clone (revoked account, card gone) leaves
            # nothing to release. A clone never used is harmless: it can charge nothing by itself.
            clone = self.cards.clone_to_account(
                card, org.stripeId, idempotency_key=f"clone-{reservation_id}-{card.id}"
            )
        now = int(self.clock())
        reservation = Reservation(
            _id=reservation_id,
            orgId=event.orgId,
            eventId=priced.order.eventId,
            seasonId=priced.order.seasonId,
            children=priced.children,
            userId=caller.user_id,
            createdAt=now,
            expiresAt=now + self.hold_seconds,
            order=priced.order,
            wants=priced.wants,
            shardCount=event.inventoryShards,
            amount=priced.total,
            applicationFee=priced.application_fee,
            stripeAccount=org.stripeId,
            seats=seating.seat_labels(priced.order) if seating.is_seated(event.seatingChartKey) else [],
            seatingChartKey=event.seatingChartKey,
        )
        claims = self._claims(priced)
        reservation.codeLimits = {c.doc_id: c.limit for c in claims}  # fmt: skip
        # The expiry task goes first: if we crash after taking the stock, the task still frees it.
        self.tasks.enqueue(
            "reservations", "checkout", {"reservationId": reservation.id}, path="/tasks/expire-reservation",
            key=f"expire-{reservation.id}", run_at=reservation.expiresAt,
        )  # fmt: skip
        try:
            self.checkout.create_reservation(reservation, priced.wants, claims, member_uses=member_uses)
        except AlreadyRecordedError:  # the same checkout, asked twice at once
            found = self.checkout.reservation(reservation_id)
            if found is None:
                raise _preparing() from None
            return self._resumed(caller, found[0])
        return event, priced, org, reservation, clone

    def _resumed(self, caller: Principal, reservation: Reservation) -> dict[str, str | None]:
        """A checkout key seen before (a retry, a double click): its own payment, whatever state
        it reached — never a second hold. Asking again once the order is placed returns the
        same (paid) intent, which createOrder turns into the same order; an expired checkout
        needs a new key; one still opening its intent is answered when it has one."""
        if reservation.state == "released":
            raise DomainError(ErrorCode.CONFLICT, "This checkout has expired. Please start again.")
        if not reservation.paymentIntentId:
            raise _preparing()
        intent = self.payments.retrieve(reservation.stripeAccount, reservation.paymentIntentId)
        return self._started(caller, reservation.order.userId, reservation.id, intent)

    def _started(
        self, caller: Principal, buyer_user_id: str, reservation_id: str, intent: Any
    ) -> dict[str, str | None]:
        """CreateOrderPaymentIntentResponse. The ephemeral key (R-PAY-2.2) comes with every card
        checkout of a buyer who has a Customer, saved card or not: the portal's payment step reads
        and manages the buyer's saved cards with it (offering them, saving a new one) before the
        buyer has picked one, and SPEC R-PAY-2 makes one on every call. Keyed by the
        reservation, so a retried request gets the same key. A key Stripe will not make costs
        the buyer only the saved-card list, never the payment: it is left null and logged."""
        try:
            ephemeral_key = self.cards.ephemeral_key(caller, buyer_user_id, f"ek-{reservation_id}")
        except DomainError as error:
            log.warning("no ephemeral key", extra={"reservationId": reservation_id, "code": str(error.code)})
            ephemeral_key = None
        return {
            "paymentIntentId": intent.id,
            "clientSecret": intent.client_secret,
            "ephemeralKey": ephemeral_key,
        }

    def complete_card_payment(
        self, principal: Principal | None, intent_id: str, hold_token: str = "", kind: ListingKind = "event"
    ) -> Order:
        """createOrder with a paymentIntentId (R-PAY-4, R-ORD-11): the buyer or box-office staff.
        A seated checkout books its seats with the buyer's hold token first (R-SEAT-3): the
        token only arrives here, OrderPaymentIntentInput has none."""
        caller = require_unrevoked_user(principal)
        found = self.checkout.reservation_for_intent(intent_id)
        if found is None or bool(found[0].seasonId) != (kind == "season"):
            raise not_found("Payment")  # createOrder completes event payments, createSeasonOrder seasons'
        reservation = found[0]
        require_owner_or_level(caller, reservation.userId, BOX_OFFICE, reservation.orgId)
        if reservation.seats and reservation.state != "fulfilled":
            seating.require_hold_token(reservation.seatingChartKey, hold_token)
            try:
                self._book_seats(reservation, hold_token)
            except DomainError as error:
                if error.code == ErrorCode.CONFLICT:  # a booking failure aborts the order
                    self._abort(reservation)
                raise
        order: Order = self.fulfil(reservation.id)
        return order

    def _book_seats(self, reservation: Reservation, hold_token: str = "") -> None:
        """Book the reservation's seats for its order. Without a hold token (Stripe's webhook, the
        expiry task) only seats already booked for this order or free ones can be had."""
        self.seats.book(
            reservation.orgId, reservation.eventId, reservation.seats, chart_key=reservation.seatingChartKey,
            order_id=reservation.order.id, hold_token=hold_token,
        )  # fmt: skip

    def _release_seats(self, reservation: Reservation) -> None:
        if reservation.seats:
            self.seats.release_or_retry(
                reservation.orgId, reservation.eventId, reservation.seats, reservation.order.id
            )

    def _abort(self, reservation: Reservation) -> None:
        """The seats went to someone else: cancel the authorization, free the stock and any of
        the seats this checkout had booked."""
        if reservation.paymentIntentId:
            try:
                if not self._cancel_payment(reservation):
                    return  # captured meanwhile: its order is written, the stock stays with it
            except DomainError:
                log.exception("payment not cancelled", extra={"reservationId": reservation.id})
        if not self._release_quietly(reservation.id):
            self._release_seats(reservation)  # e.g. an expired reservation paid late

    def fulfil(self, reservation_id: str) -> Order:
        """Turn a paid reservation into its order, once, whoever asks (client, webhook, task)."""
        for _ in range(5):
            found = self.checkout.reservation(reservation_id)
            if found is None:
                raise not_found("Reservation")
            reservation, version = found
            if reservation.state == "fulfilled":
                order: Order | None = self.checkout.order(reservation.orderId)
                if order is None:
                    raise DomainError(ErrorCode.INTERNAL, "Order record missing.")
                self.on_order_created(order)
                return order
            if not reservation.paymentIntentId:
                raise DomainError(ErrorCode.CONFLICT, "The payment has not started.")
            intent = self.payments.retrieve(reservation.stripeAccount, reservation.paymentIntentId)
            self._check_intent(reservation, intent)
            try:
                if reservation.state == "released":
                    self._retake_or_refuse(reservation, intent)
                    continue
                if reservation.seats:
                    self._book_seats(reservation)  # no-op when createOrder booked them
                if intent.status == "requires_capture":
                    intent = self.payments.capture(
                        reservation.stripeAccount, intent.id, idempotency_key=f"capture-{reservation.id}"
                    )
                if intent.status != "succeeded" or intent.amount_received != reservation.amount:
                    raise DomainError(ErrorCode.PAYMENT_FAILED, "The payment did not go through.")
                order = reservation.order.model_copy(deep=True)
                order.stripeChargeId = intent.latest_charge
                order.payments[0].paymentIntentId = intent.id
                self.checkout.fulfil(reservation, version, order)
                log.info("order created", extra={"orderId": order.id, "eventId": order.eventId})
                self.on_order_created(order)
                return order
            except StaleReservationError:
                continue  # someone else moved it: look again
        raise DomainError(ErrorCode.BUSY, "Your order is being processed. Please try again.")

    def _check_intent(self, reservation: Reservation, intent: Any) -> None:
        """SECURITY 6: fulfil only the intent we opened, for the amount we priced."""
        if intent.metadata.get("reservationId") != reservation.id or intent.currency != "usd":
            raise DomainError(ErrorCode.PAYMENT_FAILED, "That payment does not belong to this order.")
        if intent.amount != reservation.amount:
            raise DomainError(ErrorCode.PAYMENT_FAILED, "The payment amount does not match the order.")
        if intent.status not in ("requires_capture", "succeeded"):
            raise DomainError(ErrorCode.PAYMENT_FAILED, "The payment has not been authorized.")

    def _retake_or_refuse(self, reservation: Reservation, intent: Any) -> None:
        """Paid after the hold expired (SECURITY 14): take the stock again if it is still there,
        otherwise cancel the authorization so the buyer is never charged for nothing."""
        try:
            self.checkout.retake(reservation)
        except inventory.SoldOutError:
            self._refuse_late(reservation, intent)
            raise DomainError(
                ErrorCode.SOLD_OUT, "Sorry, your reservation expired and the tickets sold out."
            ) from None
        except DomainError as error:
            # Meanwhile another order used the code or member id up to its limit (R-PR-4, R-ORD-7).
            if error.code not in (ErrorCode.LIMIT_EXCEEDED, ErrorCode.CONFLICT):
                raise
            self._refuse_late(reservation, intent)
            raise

    def _refuse_late(self, reservation: Reservation, intent: Any) -> None:
        self._release_seats(reservation)
        if intent.status == "requires_capture":
            self.payments.cancel(
                reservation.stripeAccount, intent.id, idempotency_key=f"cancel-{reservation.id}"
            )

    def abandon_payment(self, caller: Principal, intent_id: str) -> None:
        """A stale PaymentIntent the client replaces (D-18): cancel it and free its stock."""
        found = self.checkout.reservation_for_intent(intent_id)
        if found is None or found[0].userId != caller.user_id or found[0].state != "held":
            return
        if self._cancel_payment(found[0]):
            self._release_quietly(found[0].id)

    def _cancel_payment(self, reservation: Reservation) -> bool:
        """Cancel the reservation's authorization. True when Stripe says it is canceled: only then
        may its stock go back. False when it was captured meanwhile (createOrder or the webhook
        is writing its order): releasing the stock then would let it be sold twice, or leave a
        paid buyer without an order once it sold out (capture x cancel, README)."""
        account, intent_id = reservation.stripeAccount, reservation.paymentIntentId
        state = self.payments.cancel(account, intent_id, idempotency_key=f"cancel-{reservation.id}")
        if state is None:  # not cancelable: already canceled, or captured
            state = self.payments.retrieve(account, intent_id)
        return bool(state.status == "canceled")

    def expire(self, reservation_id: str) -> str:
        """The reservation's expiry task: free unpaid stock; a paid reservation is fulfilled."""
        found = self.checkout.reservation(reservation_id)
        if found is None or found[0].state != "held":
            return "nothing to do"
        reservation = found[0]
        if int(self.clock()) < reservation.expiresAt:
            return "not yet"  # an early or duplicate delivery; the scheduled one comes later
        if reservation.paymentIntentId:
            intent = self.payments.retrieve(reservation.stripeAccount, reservation.paymentIntentId)
            if intent.status in ("requires_capture", "succeeded"):
                try:
                    self.fulfil(reservation.id)
                except DomainError as error:
                    # Paid but never completed, and its seats went elsewhere: the buyer gets nothing
                    # and is not charged.
                    if error.code != ErrorCode.CONFLICT or intent.status != "requires_capture":
                        raise
                    self._abort(reservation)
                    return "released"
                return "fulfilled"
            if not self._cancel_payment(reservation):
                self.fulfil(reservation.id)  # paid between our look and the cancel
                return "fulfilled"
        self._release_quietly(reservation.id)
        return "released"

    def payment_failed(self, intent_id: str) -> None:
        """payment_intent.payment_failed / canceled: the buyer may retry with another card until
        the hold expires; a canceled intent frees the stock now."""
        found = self.checkout.reservation_for_intent(intent_id)
        if found is None or found[0].state != "held":
            return
        intent = self.payments.retrieve(found[0].stripeAccount, intent_id)
        if intent.status == "canceled":
            self._release_quietly(found[0].id)

    def _release_quietly(self, reservation_id: str) -> bool:
        """Free a held reservation's stock and seats; False when it was not held (any more)."""
        found = self.checkout.reservation(reservation_id)
        if found is None or found[0].state != "held":
            return False
        try:
            self.checkout.release(found[0])
        except StaleReservationError:
            log.info("reservation already moved on", extra={"reservationId": reservation_id})
            return False
        self._release_seats(found[0])
        return True

    # --- orders without a card payment ----------------------------------------------------

    def create_order(
        self, principal: Principal | None, params: Mapping[str, Any], *, ip: str = "", client_key: str = "",
        kind: ListingKind = "event",
    ) -> Order:  # fmt: skip
        """createOrder (R-ORD-8): card orders complete their payment; cash, check, complimentary,
        RSVP and zero-total orders take their stock and are written in one step."""
        caller = require_unrevoked_user(principal)
        hold_token = str(params.get("holdToken") or "")
        if intent_id := str(params.get("paymentIntentId") or ""):
            return self.complete_card_payment(caller, intent_id, hold_token, kind)
        channel = str(params.get("channel") or "Online")
        method = str(params.get("paymentMethodType") or "None")
        if method in ("Card Entry", "Card Reader"):
            raise DomainError(
                ErrorCode.INVALID_INPUT, "Card orders need a completed payment.", ["paymentIntentId"]
            )
        key = _client_key(params, client_key)
        order_id = derived_id("o", caller.user_id, *_kind_part(kind), key) if key else new_id(20)
        existing: Order | None = self.checkout.order(order_id) if key else None
        if existing is not None:
            self.on_order_created(existing)
            return existing
        priced_params = {**params, "paymentMethodType": method}
        booked: list[tuple[TicketedListing, list[str]]] = []  # the seats this order booked

        def place(known: Mapping[inventory.StockKey, int], read: _Read) -> Order:
            event, priced = self._price(caller, priced_params, channel, ip, order_id, kind, known, read)
            member_uses = self._member_uses(event, priced)
            seats = seating.seat_labels(priced.order) if seating.is_seated(event.seatingChartKey) else []
            if seats:  # R-SEAT-3: the seats first; taken ones stop the order before any stock moves
                seating.require_hold_token(event.seatingChartKey, hold_token)
                self.seats.book(
                    event.orgId, event.id, seats, chart_key=event.seatingChartKey, order_id=priced.order.id,
                    hold_token=hold_token,
                )  # fmt: skip
                booked[:] = [(event, seats)]
            try:
                placed: Order = self.checkout.create_order(
                    priced.order, event.id, event.inventoryShards, priced.wants, self._claims(priced),
                    member_uses=member_uses, children=priced.children,
                )  # fmt: skip
            except AlreadyRecordedError:
                existing = self.checkout.order(priced.order.id)
                if existing is None:
                    raise DomainError(ErrorCode.BUSY, "Please try again.") from None
                placed = existing  # a retry of this very order: the seats are its own
            return placed

        try:
            created = self._selling(place)
        except Exception:
            # No order was written (sold out, a code's limit, a lost race): its seats go back.
            for event, seats in booked:
                self.seats.release_or_retry(event.orgId, event.id, seats, order_id)
            raise
        self.on_order_created(created)
        return created

    # --- season orders (R-T3-2) --------------------------------------------------------------

    def start_season_card_payment(
        self, principal: Principal | None, params: Mapping[str, Any], *, ip: str = "", client_key: str = ""
    ) -> dict[str, str | None]:
        """createSeasonOrderPaymentIntent: createOrderPaymentIntent on the season's ticket types,
        fees and stock; the season's events are checked to admit every item first."""
        return self.start_card_payment(principal, params, ip=ip, client_key=client_key, kind="season")

    def create_season_order(
        self, principal: Principal | None, params: Mapping[str, Any], *, ip: str = "", client_key: str = ""
    ) -> Order:
        """createSeasonOrder: createOrder for a season; the order and its hidden child orders are
        written in one batch (with the stock, or with the reservation's fulfilment)."""
        return self.create_order(principal, params, ip=ip, client_key=client_key, kind="season")
