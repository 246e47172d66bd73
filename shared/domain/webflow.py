"""What Sellout publishes to a Webflow site (SPEC R-WF-2..5): the CMS field data of the venue,
artist, organization and event items, their slugs, and the event's status text. Pure.

Webflow Data API v2 keeps `isDraft` / `isArchived` on the item, not in `fieldData` (v1 had
`_draft` / `_archived` fields): `item_flags` returns them for the adapter. Dates are ISO 8601
(UTC) strings, `*-number` fields epoch milliseconds (the only milliseconds anywhere, SPEC 7.26).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.domain.availability import event_availability
from shared.domain.models import DEFAULT_TIMEZONE, Artist, Event, Organization, Venue
from shared.domain.promotions import is_active

FieldData = dict[str, Any]
EVENT, VENUE, ARTIST, ORGANIZATION = "EVENT", "VENUE", "ARTIST", "ORGANIZATION"

# Re-sync points (R-WF-6): the status text can change just after each of these.
SCHEDULE_FIELDS = ("announceAt", "ticketsAt", "ticketsEndAt", "startsAt", "endsAt")


# --- small parsers ------------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(markup: str) -> str:
    """The text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed
    (block ends count as a space, so "<p>a</p><p>b</p>" reads "a b")."""
    if not markup:
        return ""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return re.sub(r"\s+", " ", unescape("".join(parser.parts))).strip()


def youtube_id(link: str) -> str:
    """R-WF-3: the `v` value of a watch link; `videoseries?list=<id>` for a playlist link (the
    embed path Webflow's video element takes); the path of a youtu.be short link."""
    if not link:
        return ""
    url = urlparse(link.strip() if "://" in link else f"https://{link.strip()}")
    host = (url.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    query = parse_qs(url.query)
    if host == "youtu.be":
        return url.path.strip("/").split("/")[0]
    if not host.endswith("youtube.com"):
        return ""
    if url.path.rstrip("/") == "/playlist" and query.get("list"):
        return f"videoseries?list={query['list'][0]}"
    if query.get("v"):
        return query["v"][0]
    parts = [p for p in url.path.split("/") if p]
    if len(parts) == 2 and parts[0] in ("embed", "shorts", "live"):
        return parts[1]
    return ""


def spotify_path(link: str) -> str:
    """R-WF-3: the path after the Spotify host (`artist/<id>`), for Webflow's Spotify embed."""
    if not link:
        return ""
    url = urlparse(link.strip() if "://" in link else f"https://{link.strip()}")
    if not (url.hostname or "").lower().endswith("spotify.com"):
        return ""
    return url.path.strip("/")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")


def _digits(seed: str, count: int) -> str:
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    return str(number)[-count:].rjust(count, "0")


def event_slug(event_id: str) -> str:
    """R-WF-3 "16 random digits": derived from the event id, so a retried create finds the item
    it may already have made (by slug) instead of making a second one."""
    return _digits(f"event~{event_id}", 16)


def entity_slug(name: str, sellout_id: str) -> str:
    """`<name>-<6 digits>`: readable, stable across retries, distinct for equal names."""
    base = slugify(name) or "item"
    return f"{base}-{_digits(sellout_id, 6)}"


# --- time ---------------------------------------------------------------------------------------


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def iso_date(timestamp: int) -> str | None:
    if not timestamp:
        return None
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def millis(timestamp: int) -> int | None:
    return timestamp * 1000 if timestamp else None


def on_sale_text(timestamp: int, timezone: str) -> str:
    """moment's "ddd, MMM DD | h:mmA" in the venue's zone, e.g. "Fri, Mar 05 | 7:00PM"."""
    local = datetime.fromtimestamp(timestamp, tz=_zone(timezone))
    hour = local.hour % 12 or 12
    return f"{local:%a, %b %d} | {hour}:{local:%M}{'AM' if local.hour < 12 else 'PM'}"


# --- event numbers --------------------------------------------------------------------------------


def remaining_quantity(event: Event) -> int:
    """Σ remainingQty of the ticket types that still have stock (live stock merged first)."""
    return sum(t.remainingQty for t in event.ticketTypes if t.remainingQty > 0)


def lowest_price(event: Event) -> float | None:
    """The lowest tier price, in dollars (Webflow shows it as is)."""
    prices = [tier.price for t in event.ticketTypes for tier in t.tiers]
    return min(prices) / 100 if prices else None


def status_text(event: Event, timezone: str, now: int) -> tuple[str, str]:
    """R-WF-4 (event-status, button-text): each later rule that matches overrides the earlier."""
    state = event_availability(event, now)
    status, button = "", ""
    if state["announced"]:
        presale = any(p.type == "Presale" and is_active(p, now) for p in event.promotions)
        when = on_sale_text(event.schedule.ticketsAt, timezone) if event.schedule.ticketsAt else ""
        status, button = f"On Sale {when}".strip(), "Get Tickets" if presale else ""
    if state["on_sale"]:
        status, button = "On Sale", "Get Tickets"
    if state["sale_ended"]:
        status, button = "Sales have ended", "View Event"
    if remaining_quantity(event) <= 0:
        status, button = "Sold Out", "View Event"
    return status, button


def resync_times(event: Event, now: int) -> list[int]:
    """R-WF-6: one second after each future schedule time, when the status text may flip."""
    stamps = {getattr(event.schedule, name) for name in SCHEDULE_FIELDS}
    return sorted(t + 1 for t in stamps if t and t + 1 > now)


# --- item field data ----------------------------------------------------------------------------


def _image(url: str) -> dict[str, str] | None:
    return {"url": url} if url else None


def _first_performance_times(event: Event) -> tuple[int, int]:
    """(doors, start) of the first performance's first day, falling back to the event schedule."""
    for performance in event.performances:
        if performance.schedule:
            day = performance.schedule[0]
            return day.doorsAt, day.startsAt or event.schedule.startsAt
    return 0, event.schedule.startsAt


def event_fields(
    event: Event,
    *,
    timezone: str,
    now: int,
    venue_item: str | None,
    org_item: str | None,
    artist_items: dict[str, str],
    artist_names: dict[str, str],
) -> FieldData:
    """R-WF-3: the event item. `*_item(s)` are the Webflow item ids already recorded on this site
    for the referenced venue, organization and artists (sellout id -> item id)."""
    headliners = list(dict.fromkeys(a for p in event.performances for a in p.headliningArtistIds))
    openers = list(dict.fromkeys(a for p in event.performances for a in p.openingArtistIds))
    doors, starts = _first_performance_times(event)
    video = next((p.videoLink for p in event.performances if p.videoLink), "")
    song = next((p.songLink for p in event.performances if p.songLink), "")
    status, button = status_text(event, timezone, now)
    return {
        "name": event.name,
        "slug": event_slug(event.id),
        "subtitle": event.subtitle,
        "sellout-id": event.id,
        "event-description": event.description,
        "plain-text-description": plain_text(event.description),
        "age": event.age,
        "poster-image": _image(event.posterImageUrl),
        "organization": org_item,
        "venue": venue_item,
        "headlining-performer-name": artist_names.get(headliners[0], "") if headliners else "",
        "headlining-performers": [artist_items[a] for a in headliners if a in artist_items],
        "opening-performers": [artist_items[a] for a in openers if a in artist_items],
        "performance-date-time": iso_date(starts),
        "performance-date-number": millis(starts),
        "door-time": iso_date(doors),
        "announcement-date": iso_date(event.schedule.announceAt),
        "announcement-date-number": millis(event.schedule.announceAt),
        "on-sale-date": iso_date(event.schedule.ticketsAt),
        "remaining-ticket-quantity": remaining_quantity(event),
        "lowest-price": lowest_price(event),
        "youtube-id": youtube_id(video),
        "spotify-link": spotify_path(song),
        "event-status": status,
        "button-text": button,
    }


def venue_fields(venue: Venue) -> FieldData:
    address = venue.address
    return {
        "name": venue.name,
        "slug": entity_slug(venue.name, venue.id),
        "sellout-id": venue.id,
        "venue-description": venue.description,
        "description-plain-text": plain_text(venue.description),
        "venue-image": _image(venue.imageUrls[0] if venue.imageUrls else ""),
        "address-line-1": address.address1,
        "address-line-2": address.address2,
        "city": address.city,
        "state": address.state,
        "zip-code": address.zip,
        "country": address.country,
    }


_ARTIST_LINKS = {
    "Facebook": "facebook-link",
    "Instagram": "instagram-link",
    "YouTube": "youtube-link",
    "Spotify": "spotify-link",
    "Apple Music": "apple-music-link",
}


def artist_fields(artist: Artist) -> FieldData:
    """R-WF-5. Poster and bio come from the first press kit; the official website is the first
    social link without a platform (the Artist model has no website field of its own)."""
    kit = artist.pressKits[0] if artist.pressKits else None
    links: dict[str, str] = dict.fromkeys(_ARTIST_LINKS.values(), "")
    website = ""
    for account in [*artist.socialAccounts, *(kit.links if kit else [])]:
        field = _ARTIST_LINKS.get(account.platform)
        if field and not links[field]:
            links[field] = account.link
        elif not account.platform and not website:
            website = account.link
    bio = kit.description if kit else ""
    return {
        "name": artist.name,
        "slug": entity_slug(artist.name, artist.id),
        "sellout-id": artist.id,
        "poster-image": _image(kit.posterImageUrls[0] if kit and kit.posterImageUrls else ""),
        "bio": bio,
        "plain-text-bio": plain_text(bio),
        "official-website": website,
        **links,
    }


def organization_fields(org: Organization) -> FieldData:
    return {
        "name": org.orgName or "Organization",
        "slug": entity_slug(org.orgName, org.id),
        "sellout-id": org.id,
        "website-url": org.orgUrls[0] if org.orgUrls else "",
        "logo": _image(org.orgLogoUrl),
        "bio": org.bio,
        "plain-text-bio": plain_text(org.bio),
        "phone-number": org.phoneNumber,
        "support-email": org.email,
    }


def item_flags() -> dict[str, bool]:
    """R-WF-3 `_archived` false, `_draft` false when publishing (v2: item-level flags)."""
    return {"isArchived": False, "isDraft": False}


# --- site configuration (R-WF-1) ----------------------------------------------------------------

# Collection slug (or singular name) in the site -> the WebFlowSite field that records its id.
COLLECTION_FIELDS = {
    "events": "eventCollectionId",
    "event": "eventCollectionId",
    "venues": "venueCollectionId",
    "venue": "venueCollectionId",
    "artists": "artistCollectionId",
    "artist": "artistCollectionId",
    "performers": "artistCollectionId",
    "organizations": "organizationCollectionId",
    "organization": "organizationCollectionId",
    "event-types": "eventTypeCollectionId",
    "event-type": "eventTypeCollectionId",
}

COLLECTION_OF = {
    EVENT: "eventCollectionId",
    VENUE: "venueCollectionId",
    ARTIST: "artistCollectionId",
    ORGANIZATION: "organizationCollectionId",
}


def collection_ids(collections: list[dict[str, str]]) -> dict[str, str]:
    """The site's collection ids by WebFlowSite field, matched on each collection's slug, then its
    singular name (case-insensitive); the first match of a field wins."""
    found: dict[str, str] = {}
    for collection in collections:
        for key in (collection.get("slug", ""), slugify(collection.get("singularName", ""))):
            field = COLLECTION_FIELDS.get(key.lower())
            if field and field not in found:
                found[field] = collection["id"]
                break
    return found
