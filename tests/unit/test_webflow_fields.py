"""What Sellout publishes to Webflow (SPEC R-WF-3..6): item fields, the status text and its
order, link parsing, prices in dollars, remaining quantity and the re-sync times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.domain import webflow
from shared.domain.models import Artist, Event, Organization, Venue

NOW = int(datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp())
HOUR, DAY = 3600, 86_400


def make_event(**over: Any) -> Event:
    data: dict[str, Any] = {
        "_id": "ev1",
        "orgId": "org1",
        "createdAt": NOW - 10 * DAY,
        "name": "Spring Show",
        "subtitle": "with friends",
        "description": "<p>Live &amp; <b>loud</b></p><p>All night</p>",
        "posterImageUrl": "https://img.example/p.png",
        "venueId": "v1",
        "age": "21+",
        "schedule": {
            "announceAt": NOW - 2 * DAY,
            "ticketsAt": NOW - DAY,
            "ticketsEndAt": NOW + 5 * DAY,
            "startsAt": NOW + 5 * DAY,
            "endsAt": NOW + 5 * DAY + 3 * HOUR,
        },
        "performances": [
            {
                "headliningArtistIds": ["a1"],
                "openingArtistIds": ["a2", "a3"],
                "videoLink": "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10",
                "songLink": "https://open.spotify.com/artist/4Z8W4fKeB5YxbusRsdQVPb?si=x",
                "schedule": [
                    {"doorsAt": NOW + 5 * DAY - HOUR, "startsAt": NOW + 5 * DAY, "endsAt": NOW + 6 * DAY}
                ],
            }
        ],
        "ticketTypes": [
            {
                "name": "GA",
                "totalQty": 100,
                "remainingQty": 40,
                "tiers": [
                    {"name": "Early", "price": 2550, "totalQty": 50, "remainingQty": 0},
                    {"name": "Regular", "price": 3000, "totalQty": 50, "remainingQty": 40},
                ],
            },
            {
                "name": "VIP",
                "totalQty": 10,
                "remainingQty": 2,
                "tiers": [{"name": "VIP", "price": 9900, "totalQty": 10, "remainingQty": 2}],
            },
        ],
    }
    data.update(over)
    return Event.model_validate(data)


def schedule(**over: int) -> dict[str, int]:
    base = make_event().schedule.model_dump()
    return {**base, **over}


# --- status text (R-WF-4) -------------------------------------------------------------------------


def test_on_sale_event_reads_on_sale_get_tickets():
    assert webflow.status_text(make_event(), "America/Denver", NOW) == ("On Sale", "Get Tickets")


def test_announced_before_sales_shows_the_sale_start_in_the_venue_time_zone():
    tickets_at = int(datetime(2026, 3, 6, 2, 0, tzinfo=UTC).timestamp())  # Thu 5 Mar 7 PM in Denver
    event = make_event(schedule=schedule(ticketsAt=tickets_at))
    assert webflow.status_text(event, "America/Denver", NOW) == ("On Sale Thu, Mar 05 | 7:00PM", "")
    assert webflow.status_text(event, "America/New_York", NOW)[0] == "On Sale Thu, Mar 05 | 9:00PM"


def test_announced_with_an_active_presale_offers_tickets():
    presale = {"code": "EARLY", "type": "Presale", "totalQty": 10, "remainingQty": 5, "active": True,
               "startsAt": NOW - HOUR, "endsAt": NOW + HOUR}  # fmt: skip
    event = make_event(schedule=schedule(ticketsAt=NOW + DAY), promotions=[presale])
    status, button = webflow.status_text(event, "America/Denver", NOW)
    assert status.startswith("On Sale ") and button == "Get Tickets"
    used_up = make_event(schedule=schedule(ticketsAt=NOW + DAY), promotions=[{**presale, "remainingQty": 0}])
    assert webflow.status_text(used_up, "America/Denver", NOW)[1] == ""


def test_not_announced_yet_has_no_status():
    event = make_event(schedule=schedule(announceAt=NOW + DAY, ticketsAt=NOW + 2 * DAY))
    assert webflow.status_text(event, "America/Denver", NOW) == ("", "")


def test_sales_ended_overrides_on_sale():
    event = make_event(schedule=schedule(ticketsEndAt=NOW - HOUR))
    assert webflow.status_text(event, "America/Denver", NOW) == ("Sales have ended", "View Event")


def test_sold_out_overrides_everything_else():
    sold_out = make_event()
    for ticket_type in sold_out.ticketTypes:
        ticket_type.remainingQty = 0
    assert webflow.status_text(sold_out, "America/Denver", NOW) == ("Sold Out", "View Event")
    ended_and_sold_out = sold_out.model_copy(update={"schedule": make_event(schedule=schedule(
        ticketsEndAt=NOW - HOUR)).schedule})  # fmt: skip
    assert webflow.status_text(ended_and_sold_out, "America/Denver", NOW) == ("Sold Out", "View Event")


# --- numbers ----------------------------------------------------------------------------------------


def test_remaining_quantity_sums_ticket_types_with_stock():
    assert webflow.remaining_quantity(make_event()) == 42
    event = make_event()
    event.ticketTypes[1].remainingQty = 0
    assert webflow.remaining_quantity(event) == 40


def test_lowest_price_is_the_lowest_tier_in_dollars():
    assert webflow.lowest_price(make_event()) == 25.5
    assert webflow.lowest_price(make_event(ticketTypes=[])) is None


# --- links ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ"),
        ("https://youtube.com/watch?feature=share&v=abc123", "abc123"),
        ("youtube.com/watch?v=abc123", "abc123"),
        ("https://www.youtube.com/playlist?list=PL12345", "videoseries?list=PL12345"),
        ("https://youtu.be/xyz987", "xyz987"),
        ("https://www.youtube.com/embed/emb1", "emb1"),
        ("https://vimeo.com/123", ""),
        ("", ""),
    ],
)
def test_youtube_id(link: str, expected: str):
    assert webflow.youtube_id(link) == expected


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://open.spotify.com/artist/4Z8W4fKeB5YxbusRsdQVPb?si=abc", "artist/4Z8W4fKeB5YxbusRsdQVPb"),
        ("https://open.spotify.com/album/1A2B3C", "album/1A2B3C"),
        ("https://example.com/artist/1", ""),
        ("", ""),
    ],
)
def test_spotify_path(link: str, expected: str):
    assert webflow.spotify_path(link) == expected


def test_plain_text_strips_tags_and_decodes_entities():
    assert webflow.plain_text("<p>Live &amp; <b>loud</b></p><p>All\nnight</p>") == "Live & loud All night"
    assert webflow.plain_text("") == ""


# --- items ------------------------------------------------------------------------------------------


def test_event_fields():
    event = make_event()
    data = webflow.event_fields(
        event, timezone="America/Denver", now=NOW, venue_item="wv", org_item="wo",
        artist_items={"a1": "w1", "a2": "w2"}, artist_names={"a1": "Headliner", "a2": "Opener"},
    )  # fmt: skip
    show = NOW + 5 * DAY
    assert data["name"] == "Spring Show" and data["subtitle"] == "with friends"
    assert data["sellout-id"] == "ev1"
    assert data["event-description"] == event.description
    assert data["plain-text-description"] == "Live & loud All night"
    assert data["age"] == "21+"
    assert data["poster-image"] == {"url": "https://img.example/p.png"}
    assert (data["venue"], data["organization"]) == ("wv", "wo")
    assert data["headlining-performer-name"] == "Headliner"
    assert data["headlining-performers"] == ["w1"]
    assert data["opening-performers"] == ["w2"]  # a3 has no item on this site (yet)
    assert data["performance-date-number"] == show * 1000
    assert data["performance-date-time"] == datetime.fromtimestamp(show, UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    assert data["door-time"] == datetime.fromtimestamp(show - HOUR, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert data["announcement-date-number"] == (NOW - 2 * DAY) * 1000
    assert data["on-sale-date"].startswith(datetime.fromtimestamp(NOW - DAY, UTC).strftime("%Y-%m-%d"))
    assert data["remaining-ticket-quantity"] == 42
    assert data["lowest-price"] == 25.5
    assert data["youtube-id"] == "dQw4w9WgXcQ"
    assert data["spotify-link"] == "artist/4Z8W4fKeB5YxbusRsdQVPb"
    assert (data["event-status"], data["button-text"]) == ("On Sale", "Get Tickets")
    assert data["slug"] == webflow.event_slug("ev1")
    assert webflow.item_flags() == {"isArchived": False, "isDraft": False}


def test_event_slug_is_sixteen_digits_and_stable():
    slug = webflow.event_slug("ev1")
    assert len(slug) == 16 and slug.isdigit()
    assert slug == webflow.event_slug("ev1") != webflow.event_slug("ev2")


def test_venue_artist_and_org_fields():
    venue = Venue.model_validate({
        "_id": "v1", "orgId": "o", "name": "The Fillmore", "description": "<p>Big room</p>",
        "imageUrls": ["https://img/v.png"], "createdAt": 1, "createdBy": "u",
        "address": {"address1": "1510 Clarkson St", "address2": "", "city": "Denver", "state": "CO",
                    "zip": "80218", "country": "US"},
    })  # fmt: skip
    data = webflow.venue_fields(venue)
    assert data["sellout-id"] == "v1" and data["description-plain-text"] == "Big room"
    assert data["venue-image"] == {"url": "https://img/v.png"}
    assert (data["address-line-1"], data["city"], data["state"], data["zip-code"], data["country"]) == (
        "1510 Clarkson St", "Denver", "CO", "80218", "US",
    )  # fmt: skip
    assert data["slug"].startswith("the-fillmore-")

    artist = Artist.model_validate({
        "_id": "a1", "orgId": "o", "name": "The Band!", "createdAt": 1, "createdBy": "u",
        "socialAccounts": [{"platform": "Spotify", "link": "https://open.spotify.com/artist/x"},
                           {"platform": "", "link": "https://theband.example"},
                           {"platform": "Instagram", "link": "https://instagram.com/band"}],
        "pressKits": [{"description": "<p>From <i>Denver</i></p>", "posterImageUrls": ["https://img/a.png"]}],
    })  # fmt: skip
    data = webflow.artist_fields(artist)
    assert data["bio"] == "<p>From <i>Denver</i></p>" and data["plain-text-bio"] == "From Denver"
    assert data["poster-image"] == {"url": "https://img/a.png"}
    assert data["spotify-link"] == "https://open.spotify.com/artist/x"
    assert data["instagram-link"] == "https://instagram.com/band"
    assert data["official-website"] == "https://theband.example"
    assert data["facebook-link"] == "" and data["apple-music-link"] == ""
    assert data["slug"].startswith("the-band-")

    org = Organization.model_validate({
        "_id": "o1", "userId": "u", "createdAt": 1, "orgName": "Good Shows", "orgUrls": ["https://good.example"],
        "orgLogoUrl": "https://img/logo.png", "bio": "<b>Hi</b>", "phoneNumber": "+13035550100",
        "email": "help@good.example",
    })  # fmt: skip
    data = webflow.organization_fields(org)
    assert data["website-url"] == "https://good.example" and data["logo"] == {"url": "https://img/logo.png"}
    assert data["plain-text-bio"] == "Hi" and data["support-email"] == "help@good.example"
    assert data["phone-number"] == "+13035550100" and data["sellout-id"] == "o1"


# --- re-syncs and site collections --------------------------------------------------------------


def test_resync_times_are_one_second_after_each_future_schedule_time():
    event = make_event()
    s = event.schedule
    assert webflow.resync_times(event, NOW) == [s.ticketsEndAt + 1, s.endsAt + 1]  # startsAt == ticketsEndAt
    assert webflow.resync_times(event, s.endsAt + 5) == []


def test_collection_ids_match_slugs_or_singular_names():
    found = webflow.collection_ids([
        {"id": "c1", "slug": "events", "singularName": "Event"},
        {"id": "c2", "slug": "places", "singularName": "Venue"},
        {"id": "c3", "slug": "artists", "singularName": "Artist"},
        {"id": "c4", "slug": "organizations", "singularName": "Organization"},
        {"id": "c5", "slug": "event-types", "singularName": "Event Type"},
        {"id": "c6", "slug": "blog", "singularName": "Post"},
    ])  # fmt: skip
    assert found == {
        "eventCollectionId": "c1", "venueCollectionId": "c2", "artistCollectionId": "c3",
        "organizationCollectionId": "c4", "eventTypeCollectionId": "c5",
    }  # fmt: skip
