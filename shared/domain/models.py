"""Domain models (SPEC section 3): one pydantic model per stored entity and embedded object.

Field names are the camelCase names the clients and Firestore documents use, so a model dumps to
exactly the document it is stored as and the GraphQL default resolvers read it unchanged. The id
is `id` in Python and `_id` on the wire (`model_dump(by_alias=True)`). Money is integer cents,
times are unix seconds; every non-null GraphQL field has a stored default.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from shared.domain.listing import name_prefixes

_ID_ALPHABET = string.ascii_letters + string.digits


def new_id(length: int = 14) -> str:
    """Short opaque random id (SPEC 2.2): URL-safe, unguessable, never sequential."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


RoleName = Literal["SUPER_USER", "OWNER", "ADMIN", "BOX_OFFICE", "SCANNER", "USER"]
ROLE_LEVELS: dict[str, int] = {
    "SUPER_USER": 5, "OWNER": 4, "ADMIN": 3, "BOX_OFFICE": 2, "SCANNER": 1, "USER": 0,
}  # fmt: skip

EventType = Literal["General Event", "Concert"]
EventAge = Literal["All ages welcome", "18+", "21+"]
TicketDelivery = Literal["Digital only", "Will-call only", "Both digital and will-call"]
ProcessAs = Literal["Paid", "RSVP"]
PromotionType = Literal["Presale", "Unlock", "Discount", "Limit Override"]
DiscountType = Literal["Flat", "Percent"]
AppliesTo = Literal["Per Ticket", "Per Order"]
ComplimentaryWith = Literal["Order", "Ticket"]
ExchangeAllowed = Literal["Always", "Never", "After event is sold out", "After a percent of tickets are sold"]
CustomFieldType = Literal["Text", "Number", "Address", "Dropdown"]
OrderState = Literal["Active", "Refunded", "Partial Refund", "Canceled"]
ItemState = Literal["Active", "Canceled"]
OrderType = Literal["Paid", "Complimentary", "RSVP", "Season"]
OrderChannel = Literal["Online", "Box Office"]
OrderPaymentMethod = Literal["Card Entry", "Card Reader", "Cash", "None", "Check"]
FeeType = Literal["Flat", "Percent"]
FeeAppliedTo = Literal["Order", "Ticket", "Upgrade"]
FeeAppliedBy = Literal["Sellout", "Stripe", "Organization"]
FeeFilter = Literal["Seated", "Card Entry", "Card Reader Wifi", "Card Reader Bluetooth", "Guest ticket"]
FeePaymentMethod = Literal[
    "Manual Card Entry",
    "Card Reader",
    "Card Reader (Wifi)",
    "Card Reader (Bluetooth)",
    "Cash",
    "None",
    "Check",
]
ArtistType = Literal["Individual", "Musical Artist", "Film"]
SocialPlatform = Literal[
    "SoundCloud", "Facebook", "Spotify", "BandCamp", "YouTube", "Apple Music", "Instagram"
]
TicketFormat = Literal["Standard", "RCSC"]
PreferredLogin = Literal["PhoneCode", "Password", "TwoFactor"]

Cents = Annotated[int, Field(ge=0)]
Quantity = Annotated[int, Field(ge=0)]


class Model(BaseModel):
    """Base of every stored shape: ignores unknown stored keys, validates on assignment."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", validate_assignment=True)

    def doc(self) -> dict[str, object]:
        """The Firestore document / GraphQL object of this model."""
        return self.model_dump(by_alias=True, mode="json")


class Identified(Model):
    id: str = Field(default_factory=new_id, alias="_id", min_length=1, max_length=128)


# --- shared value objects ------------------------------------------------------------------------


class Address(Model):
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""
    phone: str = ""
    placeId: str = ""
    placeName: str = ""
    timezone: str = ""
    lat: float | None = None
    lng: float | None = None


DEFAULT_TIMEZONE = "America/Denver"


# --- organizations, users, roles -------------------------------------------------------------


class Organization(Identified):
    userId: str
    createdAt: int
    orgName: str = ""
    orgLogoUrl: str = ""
    orgColorHex: str = ""
    bio: str = ""
    email: str = ""
    phoneNumber: str = ""
    orgUrls: list[str] = Field(default_factory=list)
    address: Address | None = None
    stripeId: str = ""
    authyId: str = ""
    facebookPixelId: str = ""
    googleAnalyticsId: str = ""
    isSeasonTickets: bool = False
    isTegIntegration: bool = False
    validateMemberId: bool = False
    tegClientID: str = ""
    tegSecret: str = ""
    tegURL: str = ""
    ticketFormat: TicketFormat = "Standard"
    locationId: str = ""
    payoutsEnabled: bool = False


class User(Identified):
    createdAt: int
    firebaseUid: str = ""
    email: str = ""
    secondaryEmails: list[str] = Field(default_factory=list)
    firstName: str = ""
    lastName: str = ""
    phoneNumber: str = ""
    emailVerifiedAt: int | None = None
    phoneNumberVerifiedAt: int | None = None
    emailWaitingForVerify: str = ""
    phoneNumberWaitingForVerify: str = ""
    previousEmail: str = ""
    previousPhoneNumber: str = ""
    orgContextId: str = ""
    orgRole: str = ""
    preferredLogin: PreferredLogin = "Password"
    emailVerifyCode: str = ""


class Metrics(Identified):
    orgId: str
    createdAt: int
    eventIds: list[str] = Field(default_factory=list)
    lifeTimeValue: int = 0
    yearToDateValue: int = 0
    lifeTimeValueRefunded: int = 0
    yearToDateValueRefunded: int = 0
    lifeTimeValueComped: int = 0
    yearToDateValueComped: int = 0
    lifeTimeTicketsPurchased: int = 0
    yearToDateTicketsPurchased: int = 0
    lifeTimeTicketsRefunded: int = 0
    yearToDateTicketsRefunded: int = 0
    lifeTimeUpgradesPurchased: int = 0
    yearToDateUpgradesPurchased: int = 0
    lifeTimeUpgradesRefunded: int = 0
    yearToDateUpgradesRefunded: int = 0
    lifeTimeOrdersPurchased: int = 0
    yearToDateOrdersPurchased: int = 0
    lifeTimeOrdersRefunded: int = 0
    yearToDateOrdersRefunded: int = 0


class MetricCounters(Model):
    """One group of customer counters (SPEC 3.12): life-time, or one calendar year."""

    value: int = 0
    valueRefunded: int = 0
    valueComped: int = 0
    ticketsPurchased: int = 0
    ticketsRefunded: int = 0
    upgradesPurchased: int = 0
    upgradesRefunded: int = 0
    ordersPurchased: int = 0
    ordersRefunded: int = 0


class OrgMetrics(Model):
    """`userProfiles/{id}.metricsByOrg.<orgId>`: one buyer's counters in one organization, kept
    with increments (shared.domain.customer_metrics); GraphQL shows them as `metrics`."""

    orgId: str = ""
    createdAt: int = 0  # first order in this org (kept with a minimum transform)
    eventIds: list[str] = Field(default_factory=list)
    lifeTime: MetricCounters = Field(default_factory=MetricCounters)
    years: dict[str, MetricCounters] = Field(default_factory=dict)


class UserProfile(Identified):
    userId: str
    firstName: str = ""
    lastName: str = ""
    email: str = ""
    phoneNumber: str = ""
    imageUrl: str = ""
    authyId: str = ""
    stripeCustomerId: str = ""
    orgIds: list[str] = Field(default_factory=list)
    eventIds: list[str] = Field(default_factory=list)
    venueIds: list[str] = Field(default_factory=list)
    artistIds: list[str] = Field(default_factory=list)
    address: Address | None = None
    metrics: list[Metrics] = Field(default_factory=list)  # as the original stored them (legacy)
    metricsByOrg: dict[str, OrgMetrics] = Field(default_factory=dict)


class Role(Identified):
    orgId: str
    userId: str | None = None
    userEmail: str
    role: RoleName
    createdAt: int
    createdBy: str
    acceptedAt: int | None = None

    @field_validator("userEmail")
    @classmethod
    def _lower_email(cls, value: str) -> str:
        return value.strip().lower()


# --- venues and artists ----------------------------------------------------------------------


class Venue(Identified):
    orgId: str
    name: str = Field(min_length=1)
    description: str = ""
    url: str = ""
    capacity: Quantity = 0
    tax: str = "0"
    imageUrls: list[str] = Field(default_factory=list)
    venueGlobalId: str = ""
    address: Address = Field(default_factory=Address)
    createdAt: int
    createdBy: str

    @computed_field(alias="searchPrefixes")  # type: ignore[prop-decorator]
    @property
    def search_prefixes(self) -> list[str]:
        """Stored, not in GraphQL: what `globalVenues` finds this venue by (R-VA-2)."""
        return name_prefixes(self.name)

    @field_validator("tax")
    @classmethod
    def _numeric_percent(cls, value: str) -> str:
        value = (value or "0").strip()
        try:
            number = float(value)
        except ValueError:
            raise ValueError("tax must be a number (a percent)") from None
        if not 0 <= number <= 100:
            raise ValueError("tax must be between 0 and 100")
        return value


class SocialAccountLink(Identified):
    platform: SocialPlatform | Literal[""] = ""
    link: str = ""


class ArtistPressKit(Identified):
    title: str = ""
    description: str = ""
    posterImageUrls: list[str] = Field(default_factory=list)
    links: list[SocialAccountLink] = Field(default_factory=list)


class ArtistContact(Identified):
    firstName: str = ""
    lastName: str = ""
    title: str = ""
    company: str = ""
    email: str = ""
    phoneNumber: str = ""


class Artist(Identified):
    orgId: str
    name: str = Field(min_length=1)
    artistGlobalId: str = ""
    type: ArtistType | Literal[""] = ""
    genres: list[str] = Field(default_factory=list)
    socialAccounts: list[SocialAccountLink] = Field(default_factory=list)
    pressKits: list[ArtistPressKit] = Field(default_factory=list)
    contacts: list[ArtistContact] = Field(default_factory=list)
    createdAt: int
    createdBy: str

    @computed_field(alias="searchPrefixes")  # type: ignore[prop-decorator]
    @property
    def search_prefixes(self) -> list[str]:
        """Stored, not in GraphQL: what `globalArtists` finds this artist by (R-VA-2)."""
        return name_prefixes(self.name)


# --- events ----------------------------------------------------------------------------------


class EventSchedule(Model):
    announceAt: int = 0
    ticketsAt: int = 0
    ticketsEndAt: int = 0
    startsAt: int = 0
    endsAt: int = 0


class PerformanceSchedule(Model):
    doorsAt: int = 0
    startsAt: int = 0
    endsAt: int = 0


class Performance(Identified):
    name: str = ""
    headliningArtistIds: list[str] = Field(default_factory=list)
    openingArtistIds: list[str] = Field(default_factory=list)
    venueId: str = ""
    venueStageId: str = ""
    price: Cents = 0
    posterImageUrl: str = ""
    videoLink: str = ""
    songLink: str = ""
    schedule: list[PerformanceSchedule] = Field(default_factory=list)


class TicketTier(Identified):
    name: str = Field(min_length=1)
    price: Cents
    startsAt: int = 0
    endsAt: int = 0
    totalQty: Quantity
    remainingQty: Quantity


class TicketType(Identified):
    name: str = Field(min_length=1)
    totalQty: Quantity
    remainingQty: Quantity
    purchaseLimit: int = Field(8, ge=1)
    visible: bool = True
    performanceIds: list[str] = Field(default_factory=list)
    tiers: list[TicketTier] = Field(min_length=1)
    description: str = ""
    rollFees: bool = False
    values: str = "0"
    dayIds: list[str] = Field(default_factory=list)


class TicketHold(Identified):
    name: str = ""
    ticketTypeId: str
    ticketType: str = ""
    qty: Quantity = 0
    totalHeld: int = 0
    totalCheckedIn: int = 0
    totalReleased: int = 0
    totalOutstanding: int = 0
    allocation: dict[int, dict[str, int]] = Field(default_factory=dict)  # not in GraphQL: shard -> units


class EventUpgrade(Identified):
    name: str = Field(min_length=1)
    price: Cents
    totalQty: Quantity
    remainingQty: Quantity
    purchaseLimit: int = Field(8, ge=1)
    complimentary: bool = False
    complimentaryWith: ComplimentaryWith = "Order"
    complimentaryQty: int = Field(1, ge=0)
    ticketTypeIds: list[str] = Field(default_factory=list)
    imageUrl: str = ""
    description: str = ""
    visible: bool = True
    rollFees: bool = False
    values: str = "0"


class EventPromotion(Identified):
    code: str = Field(min_length=1)
    type: PromotionType
    totalQty: Quantity
    remainingQty: Quantity
    ticketTypeIds: list[str] = Field(default_factory=list)
    upgradeIds: list[str] = Field(default_factory=list)
    active: bool = True
    startsAt: int = 0
    endsAt: int = 0
    useLimit: int = Field(1, ge=1)
    discountType: DiscountType | None = None
    discountValue: float | None = Field(None, ge=0)
    appliesTo: AppliesTo | None = None
    overRideMax: int | None = None
    overRideMaxUpg: int | None = None


class EventCustomField(Identified):
    label: str = ""
    type: CustomFieldType
    minLength: int = 0
    maxLength: int | None = None
    minValue: int = 0
    maxValue: int | None = None
    required: bool = False
    options: list[str] = Field(default_factory=list)
    active: bool = True


class TicketExchange(Model):
    allowed: ExchangeAllowed
    percent: int = Field(0, ge=0, le=100)


class SubscriptionSalesReport(Identified):
    email: str
    frequency: Literal["Daily", "Weekly"]


class WaitListEntry(Identified):
    name: str = ""
    email: str = ""
    phoneNumber: str = ""
    createdAt: int = 0


class TicketedListing(Identified):
    """What an event and a season share (SPEC 3.6, 3.7): the listing itself and its ticketing —
    ticket types and tiers, holds, upgrades, promotions, custom fields — so validation, stock,
    promotion codes and the public feeds are one set of rules for both."""

    orgId: str
    createdAt: int
    type: EventType = "General Event"
    name: str = ""
    subtitle: str = ""
    posterImageUrl: str = ""
    venueId: str = ""
    userAgreement: str = ""
    description: str = ""
    publishable: bool = False
    published: bool = False
    cancel: bool = False
    taxDeduction: bool = False
    isGuestTicketSale: bool = False
    active: bool = True
    salesBeginImmediately: bool = True
    seatingChartKey: str = ""
    age: EventAge = "All ages welcome"
    processAs: ProcessAs = "Paid"
    sendQRCode: str = "Upon order"
    location: Address | None = None
    schedule: EventSchedule = Field(default_factory=EventSchedule)
    performances: list[Performance] = Field(default_factory=list)
    ticketTypes: list[TicketType] = Field(default_factory=list)
    holds: list[TicketHold] = Field(default_factory=list)
    upgrades: list[EventUpgrade] = Field(default_factory=list)
    promotions: list[EventPromotion] = Field(default_factory=list)
    customFields: list[EventCustomField] = Field(default_factory=list)
    exchange: TicketExchange | None = None
    # Not in GraphQL: one past the highest stock shard index, and the stock layout
    # (shared.domain.inventory: 1 = legacy, K ≤ 16 big shards; 2 = many small shards). Stored
    # listings without the field predate layout 2 and are migrated on first sale.
    inventoryShards: int = 0
    inventoryLayout: int = 1

    @field_validator("sendQRCode")
    @classmethod
    def _qr_timing(cls, value: str) -> str:
        known = {"upon order": "Upon order", "two weeks before show": "Two weeks before show",
                 "day of show": "Day of Show"}  # fmt: skip
        canonical = known.get(value.strip().lower())
        if canonical is None:
            raise ValueError(f"must be one of {', '.join(known.values())}")
        return canonical

    @property
    def multi_day(self) -> bool:
        """Whether each ticket type must name its valid days (R-EV-2): multi-day events only."""
        return False

    def ticket_type(self, ticket_type_id: str) -> TicketType | None:
        return next((t for t in self.ticketTypes if t.id == ticket_type_id), None)

    def upgrade(self, upgrade_id: str) -> EventUpgrade | None:
        return next((u for u in self.upgrades if u.id == upgrade_id), None)

    def artist_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for performance in self.performances:
            for artist_id in [*performance.headliningArtistIds, *performance.openingArtistIds]:
                seen.setdefault(artist_id, None)
        return list(seen)


class Event(TicketedListing):
    physicalDeliveryInstructions: str = ""
    seasonId: str = ""
    isMultipleDays: bool = False
    totalDays: str = "1"
    guestTicketPerMember: str = "0"
    ticketDeliveryType: TicketDelivery = "Digital only"
    stub: str = ""
    subscription: list[SubscriptionSalesReport] = Field(default_factory=list)
    waitList: list[WaitListEntry] = Field(default_factory=list)

    @property
    def multi_day(self) -> bool:
        return self.isMultipleDays


class Season(TicketedListing):
    """A season ticket (SPEC 3.7, R-T3-1): sold like an event, admitting to `eventIds`."""

    eventIds: list[str] = Field(default_factory=list)
    numberOfEvent: int = Field(0, ge=0)


# --- fees ------------------------------------------------------------------------------------


class Fee(Identified):
    name: str = Field(min_length=1)
    orgId: str | None = None
    eventId: str | None = None
    seasonId: str | None = None
    type: FeeType
    value: float = Field(ge=0)
    appliedTo: FeeAppliedTo = "Ticket"
    appliedBy: FeeAppliedBy = "Organization"
    minAppliedToPrice: int | None = None
    maxAppliedToPrice: int | None = None
    filters: list[FeeFilter] = Field(default_factory=list)
    paymentMethods: list[FeePaymentMethod] = Field(default_factory=list)
    isApplyPlatformFee: bool = False
    disabled: bool = False
    createdBy: str
    createdAt: int
    updatedBy: str
    updatedAt: int
    amount: str | None = None  # only in order snapshots: cents this fee contributed

    @property
    def scope(self) -> Literal["platform", "organization", "event", "season"]:
        if self.eventId:
            return "event"
        if self.seasonId:
            return "season"
        return "organization" if self.orgId else "platform"


SALES_TAX_FEE_NAME = "Sales tax"


# --- orders ----------------------------------------------------------------------------------


class Refund(Model):
    refunded: bool = False
    refundedAt: int | None = None
    refundedBy: str = ""
    refundedAmount: int = 0
    refundReason: str = ""


class Scan(Model):
    scanned: bool = False
    scannedAt: int = 0
    scannedBy: str = ""
    startsAt: int = 0


class TeiMemberInfo(Model):
    firstName: str = ""
    lastName: str = ""
    email: str = ""
    phoneNumber: str = ""


class OrderTicket(Identified):
    name: str
    ticketTypeId: str
    ticketTierId: str
    price: Cents
    origionalPrice: Cents  # sic: the clients' spelling (SPEC 7.1)
    rollFees: bool = False
    paymentId: str = ""
    seat: str = ""
    scan: list[Scan] = Field(default_factory=list)
    refund: Refund = Field(default_factory=Refund)
    state: ItemState = "Active"
    qrCodeUrl: str = ""
    values: str = "0"
    description: str = ""
    dayIds: list[str] = Field(default_factory=list)
    teiMemberId: str = ""
    isMemberIdValid: bool = False
    teiMemberInfo: TeiMemberInfo | None = None
    guestTicket: bool = False


class OrderUpgrade(Identified):
    name: str
    upgradeId: str
    price: Cents
    rollFees: bool = False
    paymentId: str = ""
    scan: Scan = Field(default_factory=Scan)
    refund: Refund = Field(default_factory=Refund)
    state: ItemState = "Active"
    qrCodeUrl: str = ""
    description: str = ""


class Payment(Identified):
    paymentIntentId: str = ""
    amount: Cents = 0
    transferAmount: int = 0
    feeAmount: Cents = 0
    tax: Cents = 0
    discount: Cents = 0
    feeIds: list[str] = Field(default_factory=list)
    createdAt: int = 0
    createdBy: str = ""
    promotionCode: str = ""
    discountCode: str = ""
    paymentMethodType: OrderPaymentMethod


class OrderCustomField(Identified):
    label: str
    value: str
    customFieldId: str
    type: CustomFieldType


class FeeRefundMarker(Model):
    refund: Refund = Field(default_factory=Refund)


# Orders are listed newest first through indexes ending in `createdAt`, a value that only grows:
# Firestore takes about 500 writes/s into one such index range. Each order gets one of
# CREATED_SHARDS lanes (`createdShard`), every such index has the lane before `createdAt`, and a
# list reads each lane and merges them (shared.adapters.order_store): a flash sale's orders append
# at CREATED_SHARDS places, about CREATED_SHARDS x 500 orders/s (README "Stock").
CREATED_SHARDS = 4


def created_shard(fields: dict[str, Any]) -> int:
    """An order's lane, from its (random) id: spread evenly, and the same for an order built
    again with the same id (a retried request, a season order's child orders)."""
    return int(hashlib.sha256(str(fields["id"]).encode()).hexdigest()[:8], 16) % CREATED_SHARDS


class Order(Identified):
    secretId: str = ""
    orgId: str
    eventName: str
    eventId: str = ""
    seasonId: str = ""
    userId: str = ""
    email: str = ""
    createdAt: int
    createdShard: int = Field(default_factory=created_shard)
    createdBy: str
    type: OrderType = "Paid"
    channel: OrderChannel = "Online"
    state: OrderState = "Active"
    tickets: list[OrderTicket] = Field(default_factory=list)
    upgrades: list[OrderUpgrade] = Field(default_factory=list)
    payments: list[Payment] = Field(default_factory=list)
    fees: list[Fee] = Field(default_factory=list)
    feeIds: list[str] = Field(default_factory=list)
    tax: float = 0
    venueIds: list[str] = Field(default_factory=list)
    artistIds: list[str] = Field(default_factory=list)
    stripeChargeId: str = ""
    qrCodeUrl: str = ""
    recipientEmails: list[str] = Field(default_factory=list)
    refundedAmount: int = 0
    refundReason: str = ""
    cancelReason: str = ""
    processingFee: FeeRefundMarker = Field(default_factory=FeeRefundMarker)
    promoterFee: FeeRefundMarker = Field(default_factory=FeeRefundMarker)
    promotionCode: str = ""
    discountCode: str = ""
    discountAmount: int = 0
    ipAddress: str = ""
    address: Address | None = None
    customFields: list[OrderCustomField] = Field(default_factory=list)
    hidden: bool = False
    printed: bool = False
    parentSeasonOrderId: str = ""
    # Not in GraphQL: the buyer's per-code use counters this order holds (released on refund).
    codeUses: list[str] = Field(default_factory=list)
    # Not in GraphQL: the member-id claim documents this order holds (shared.domain.member_tickets;
    # given back per ticket on refund).
    memberUses: list[str] = Field(default_factory=list)
    # Not in GraphQL: the refund claimed on this order and not settled yet (shared.adapters.refund_store).
    refundPending: str = ""
    # Not in GraphQL: money refunded outside Sellout (the Stripe dashboard), recorded from the
    # charge.refunded webhook; part of refundedAmount, tied to no item (README, Refunds).
    externalRefundedAmount: int = 0
    # Not in GraphQL: set by Stripe's charge.dispute.created webhook.
    disputed: bool = False
    disputeId: str = ""

    def has_live_items(self) -> bool:
        """A ticket or upgrade still admits (nothing refunded or cancelled it)."""
        return any(t.state == "Active" for t in self.tickets) or any(
            u.state == "Active" for u in self.upgrades
        )


def newest_first_key(order: Order) -> tuple[int, str]:
    """Where an order stands in a list read lane by lane (descending): createdAt, then the id, as
    Firestore breaks ties in a descending query."""
    return order.createdAt, order.id


def newest_first(orders: Iterable[Order]) -> list[Order]:
    """Orders of several createdShard lanes as one list, newest first."""
    return sorted(orders, key=newest_first_key, reverse=True)


# --- Webflow (SPEC 3.10) -------------------------------------------------------------------------

WebFlowEntityType = Literal["VENUE", "EVENT", "ARTIST", "ORGANIZATION"]


class WebFlowSiteDomain(Model):
    name: str = ""
    lastPublishedAt: int | None = None


class WebFlowSite(Identified):
    name: str = ""
    webFlowId: str
    enabled: bool = True
    eventCollectionId: str = ""
    venueCollectionId: str = ""
    artistCollectionId: str = ""
    organizationCollectionId: str = ""
    eventTypeCollectionId: str = ""
    previewUrl: str = ""
    domains: list[WebFlowSiteDomain] = Field(default_factory=list)
    createdAt: int = 0
    updatedAt: int = 0


class WebFlowEntityId(Model):
    webFlowSiteId: str  # the site's Webflow id (WebFlowSite.webFlowId)
    webFlowEntityId: str  # the CMS item id in that site's collection
    slug: str = ""


class WebFlowEntity(Identified):
    entityType: WebFlowEntityType
    name: str = ""
    selloutId: str
    webFlowIds: list[WebFlowEntityId] = Field(default_factory=list)
    alwaysPublishTo: list[str] = Field(default_factory=list)
    createdAt: int = 0
    updatedAt: int = 0

    def item_on(self, site_id: str) -> WebFlowEntityId | None:
        return next((w for w in self.webFlowIds if w.webFlowSiteId == site_id), None)


class WebFlow(Identified):
    orgId: str
    createdAt: int
    updatedAt: int = 0
    sites: list[WebFlowSite] = Field(default_factory=list)
    entities: list[WebFlowEntity] = Field(default_factory=list)
    # Not in GraphQL: the sites' Webflow ids, so remapWebFlowSite finds every org using a site
    # with one array-contains query (Firestore cannot query inside a list of maps).
    siteWebFlowIds: list[str] = Field(default_factory=list)

    def site(self, site_id: str) -> WebFlowSite | None:
        """A site by its Webflow id or our `_id` (clients have sent both)."""
        return next((s for s in self.sites if site_id in (s.webFlowId, s.id)), None)

    def entity(self, entity_type: str, sellout_id: str) -> WebFlowEntity | None:
        return next(
            (e for e in self.entities if e.entityType == entity_type and e.selloutId == sellout_id), None
        )
