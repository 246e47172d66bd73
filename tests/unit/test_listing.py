"""Global name search keys (SPEC R-VA-2): what a venue or artist is stored under, and which
stored key a search looks up."""

from __future__ import annotations

from shared.domain.listing import MAX_PREFIX, name_prefixes, search_prefix, words_start_with
from shared.domain.models import Artist, Venue


def test_each_word_is_findable_by_every_prefix_of_two_characters_or_more():
    assert name_prefixes("Red Rocks") == ["re", "red", "ro", "roc", "rock", "rocks"]
    assert name_prefixes("Café A-Go-Go") == ["ca", "caf", "café", "go"]  # unicode words; 1-letter words alone
    long_word = "x" * 30
    assert max(name_prefixes(long_word), key=len) == "x" * MAX_PREFIX


def test_a_search_looks_up_its_longest_word_and_needs_two_characters():
    assert search_prefix("the  HARBOR hall") == "harbor"
    assert search_prefix("y" * 40) == "y" * MAX_PREFIX  # cut like the stored prefixes
    assert search_prefix("a") == search_prefix("  ") == search_prefix("!!") == ""


def test_every_searched_word_must_start_a_word_of_the_name():
    assert words_start_with("Harbor Hall", "hall harb")
    assert not words_start_with("Harbor Hall", "arbor")
    assert not words_start_with("Harbor Hall", "harbor room")


def test_venues_and_artists_store_their_keys_and_read_back_without_them():
    venue = Venue(orgId="o", name="Harbor Hall", createdAt=1, createdBy="x")
    assert venue.doc()["searchPrefixes"] == name_prefixes("Harbor Hall")
    assert Venue.model_validate(venue.doc()) == venue
    artist = Artist(orgId="o", name="Nina", createdAt=1, createdBy="x")
    assert artist.doc()["searchPrefixes"] == ["ni", "nin", "nina"]
