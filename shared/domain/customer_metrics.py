"""Customer metrics per organization (SPEC 3.12, R-USR-7). Pure.

How they are kept, and why this way:
- Counters live in the buyer's profile under `metricsByOrg.<orgId>` as a life-time group and one
  group per calendar year (`years.<YYYY>`), and every change is a Firestore increment written in
  the SAME batch as the order it counts (the order's creation, or a refund's settlement). That
  batch happens exactly once, so the counters can neither miss an order nor count one twice, and
  increments from concurrent orders of one buyer never overwrite each other.
- "Year to date" is the group of the current year (UTC), so it starts again at zero on 1 January
  without any job resetting it (the original never reset it).
- A purchase counts in the year the order was created; a refund in the year it was settled.
- Value is what the promoter nets (`payments[0].transferAmount`, R-USR-7); complimentary orders
  add the face value of their items to `valueComped` instead. Refunds add the money returned to
  `valueRefunded`, the items they newly refund to `tickets/upgradesRefunded`, and one to
  `ordersRefunded` when the order becomes fully Refunded. Cancellations move no money and leave
  the metrics alone: the order still counts as purchased, like a no-show.
- Profiles written by the original platform may carry a `metrics` list; an org without a
  `metricsByOrg` entry shows that legacy entry unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from shared.domain.models import MetricCounters, Metrics, Order, UserProfile

COUNTERS = (
    "value",
    "valueRefunded",
    "valueComped",
    "ticketsPurchased",
    "ticketsRefunded",
    "upgradesPurchased",
    "upgradesRefunded",
    "ordersPurchased",
    "ordersRefunded",
)


@dataclass(frozen=True)
class MetricsChange:
    """What one order write adds to its buyer's profile."""

    user_id: str
    org_id: str
    year: int
    at: int
    counters: dict[str, int]
    event_ids: tuple[str, ...] = ()
    venue_ids: tuple[str, ...] = ()
    artist_ids: tuple[str, ...] = ()
    profile_lists: bool = False  # also add the ids to the profile's orgIds/eventIds/venueIds/...


def year_of(ts: int) -> int:
    return datetime.fromtimestamp(ts, UTC).year


def _nonzero(counters: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counters.items() if v}


def purchase(order: Order) -> MetricsChange | None:
    """R-USR-7 on order creation; None for anonymous box-office sales (nobody to credit)."""
    if not order.userId:
        return None
    counters = {
        "ticketsPurchased": len(order.tickets),
        "upgradesPurchased": len(order.upgrades),
        "ordersPurchased": 1,
    }
    if order.type == "Complimentary":
        face = sum(t.origionalPrice for t in order.tickets) + sum(u.price for u in order.upgrades)
        counters["valueComped"] = face
    else:
        counters["value"] = order.payments[0].transferAmount if order.payments else 0
    event_ids = (order.eventId,) if order.eventId else ()
    return MetricsChange(
        user_id=order.userId, org_id=order.orgId, year=year_of(order.createdAt), at=order.createdAt,
        counters=_nonzero(counters), event_ids=event_ids, venue_ids=tuple(order.venueIds),
        artist_ids=tuple(order.artistIds), profile_lists=True,
    )  # fmt: skip


def refund(
    order: Order, *, amount: int, tickets: int, upgrades: int, became_refunded: bool, at: int
) -> MetricsChange | None:
    """A settled refund of `order` (already applied): money and items it newly returned."""
    if not order.userId:
        return None
    counters = _nonzero(
        {
            "valueRefunded": amount,
            "ticketsRefunded": tickets,
            "upgradesRefunded": upgrades,
            "ordersRefunded": int(became_refunded),
        }
    )
    if not counters:
        return None
    return MetricsChange(user_id=order.userId, org_id=order.orgId, year=year_of(at), at=at, counters=counters)


def metrics_view(profile: UserProfile, org_ids: list[str], now: int) -> list[Metrics]:
    """The SPEC 3.12 `Metrics` entries of `org_ids` (the orgs the reader may see), with the
    current calendar year as year-to-date."""
    legacy = {m.orgId: m for m in profile.metrics}
    year = str(year_of(now))
    shown: list[Metrics] = []
    for org_id in dict.fromkeys(org_ids):
        stored = profile.metricsByOrg.get(org_id)
        if stored is None:
            if org_id in legacy:
                shown.append(legacy[org_id])
            continue
        life, ytd = stored.lifeTime, stored.years.get(year, MetricCounters())
        values: dict[str, int] = {}
        for name in COUNTERS:
            suffix = name[0].upper() + name[1:]
            values[f"lifeTime{suffix}"] = getattr(life, name)
            values[f"yearToDate{suffix}"] = getattr(ytd, name)
        entry = Metrics(
            _id=f"{profile.id}~{org_id}", orgId=org_id, createdAt=stored.createdAt,
            eventIds=stored.eventIds, **values,
        )  # fmt: skip
        shown.append(entry)
    return shown
