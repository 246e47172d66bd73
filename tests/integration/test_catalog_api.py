"""Venues and artists through the GraphQL function over HTTP, with real ID tokens."""

from __future__ import annotations

from tests.integration.api import data_of, error_of, gql, make_org, staff_of

CREATE_VENUE = """
mutation($venue: VenueInput!) { createVenue(venue: $venue) {
  _id orgId name capacity tax address { city timezone } } }"""
UPDATE_VENUE = "mutation($venue: VenueInput!) { updateVenue(venue: $venue) { _id name orgId capacity } }"
VENUES = "query($q: VenueQueryInput, $p: PaginationInput) { venues(query: $q, pagination: $p) { _id name } }"


def test_an_admin_creates_and_lists_venues_of_their_org():
    org = make_org()
    admin = staff_of(org.id, "ADMIN")
    created = data_of(admin.gql(CREATE_VENUE, {"venue": {
        "name": "Red Rocks", "capacity": 9525, "tax": "8.31", "orgId": "someone-elses-org",
        "address": {"city": "Morrison", "lat": 39.66, "lng": -105.2},
    }}))["createVenue"]  # fmt: skip
    assert created["orgId"] == org.id  # the org comes from the caller's context, not the input
    assert created["capacity"] == 9525
    assert created["address"]["city"] == "Morrison"
    data_of(admin.gql(CREATE_VENUE, {"venue": {"name": "Bluebird Theater"}}))
    listed = data_of(admin.gql(VENUES, {"q": {"name": "red"}}))["venues"]
    assert [v["name"] for v in listed] == ["Red Rocks"]
    pages = [data_of(admin.gql(VENUES, {"p": {"pageSize": 1, "pageNumber": n}}))["venues"] for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [1, 1, 0]
    assert {pages[0][0]["name"], pages[1][0]["name"]} == {"Red Rocks", "Bluebird Theater"}
    assert pages[0] == data_of(admin.gql(VENUES, {"p": {"pageSize": 1, "pageNumber": 1}}))["venues"]  # stable


def test_invalid_venue_input_names_the_fields():
    admin = staff_of(make_org().id, "ADMIN")
    error = error_of(admin.gql(CREATE_VENUE, {"venue": {"name": "", "tax": "lots"}}))
    assert error["message"] == "Invalid Fields"
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert set(error["extensions"]["invalidArgs"]) == {"venue.name", "venue.tax"}
    assert error["extensions"]["exception"]["invalidArgs"] == error["extensions"]["invalidArgs"]


def test_anonymous_and_underprivileged_callers_are_refused():
    org = make_org()
    anonymous = error_of(gql(CREATE_VENUE, {"venue": {"name": "X"}}))
    assert anonymous["message"] == "Authentication Required."
    assert anonymous["extensions"]["code"] == "UNAUTHENTICATED"
    scanner = staff_of(org.id, "SCANNER")
    refused = error_of(scanner.gql(CREATE_VENUE, {"venue": {"name": "X"}}))
    assert refused["message"] == "You do not have permission to do this."
    assert refused["extensions"]["code"] == "UNAUTHENTICATED"


def test_an_admin_cannot_touch_another_orgs_venue_even_naming_their_own_org():
    mine, theirs = make_org("Mine"), make_org("Theirs")
    their_admin = staff_of(theirs.id, "ADMIN")
    venue_id = data_of(their_admin.gql(CREATE_VENUE, {"venue": {"name": "Theirs"}}))["createVenue"]["_id"]
    me = staff_of(mine.id, "ADMIN")
    error = error_of(me.gql(UPDATE_VENUE, {"venue": {"_id": venue_id, "name": "Stolen", "orgId": mine.id}}))
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert data_of(gql("query($id: String) { venue(venueId: $id) { name } }", {"id": venue_id}))["venue"] == {
        "name": "Theirs"
    }


def test_a_forged_token_makes_the_request_anonymous():
    org = make_org()
    admin = staff_of(org.id, "ADMIN")
    header, payload, _ = admin.token.split(".")
    forged = f"{header}.{payload}.bm90LWEtc2lnbmF0dXJl"
    error = error_of(gql(CREATE_VENUE, {"venue": {"name": "X"}}, token=forged + "x", org_id=org.id))
    assert error["message"] == "Authentication Required."


def test_artists_with_social_accounts_get_ids_and_stay_in_their_org():
    org = make_org()
    admin = staff_of(org.id, "ADMIN")
    created = data_of(admin.gql(
        """mutation($a: ArtistInput!) { createArtist(artist: $a) {
             _id orgId name type socialAccounts { _id platform link } } }""",
        {"a": {"name": "Phoebe", "type": "Musical Artist",
               "socialAccounts": [{"platform": "Spotify", "link": "https://open.spotify.com/x"}]}},
    ))["createArtist"]  # fmt: skip
    assert created["orgId"] == org.id
    assert created["socialAccounts"][0]["_id"]
    other_admin = staff_of(make_org().id, "ADMIN")
    error = error_of(
        other_admin.gql("query($id: String) { artist(artistId: $id) { name } }", {"id": created["_id"]})
    )
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    bad = error_of(admin.gql('mutation { createArtist(artist: {name: "X", type: "Painter"}) { _id } }'))
    assert bad["extensions"]["invalidArgs"] == ["artist.type"]


def test_variables_that_do_not_fit_the_input_type_are_bad_input_not_a_server_error():
    admin = staff_of(make_org().id, "ADMIN")
    error = error_of(admin.gql(CREATE_VENUE, {"venue": {"name": "X", "notAField": 1}}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "notAField" in error["message"]


GLOBAL_VENUES = "query($n: String) { globalVenues(name: $n) { _id name orgId } }"
GLOBAL_ARTISTS = "query($n: String) { globalArtists(name: $n) { _id name orgId } }"
CREATE_ARTIST = "mutation($artist: ArtistInput!) { createArtist(artist: $artist) { _id name } }"
UPDATE_ARTIST = "mutation($artist: ArtistInput!) { updateArtist(artist: $artist) { _id name } }"


def test_global_search_finds_other_orgs_venues_and_artists_by_the_start_of_a_word():
    first, second = staff_of(make_org().id, "ADMIN"), staff_of(make_org().id, "ADMIN")
    data_of(first.gql(CREATE_VENUE, {"venue": {"name": "Harbor Hall"}}))
    data_of(second.gql(CREATE_VENUE, {"venue": {"name": "The Old Harbour"}}))
    data_of(second.gql(CREATE_VENUE, {"venue": {"name": "Bluebird Theater"}}))
    importer = staff_of(make_org().id, "ADMIN")

    def venues(name: str) -> list[str]:
        return sorted(v["name"] for v in data_of(importer.gql(GLOBAL_VENUES, {"n": name}))["globalVenues"])

    assert venues("harb") == ["Harbor Hall", "The Old Harbour"]
    assert venues("HALL harbor") == ["Harbor Hall"]  # every word must still be in the name
    assert venues("bird") == []  # found by the start of a word, not by any fragment
    assert venues("b") == []  # too short to search every organization

    artist = data_of(first.gql(CREATE_ARTIST, {"artist": {"name": "Nina Simone"}}))["createArtist"]
    data_of(first.gql(UPDATE_ARTIST, {"artist": {"_id": artist["_id"], "name": "Nina Simone Trio"}}))
    found = data_of(importer.gql(GLOBAL_ARTISTS, {"n": "tri"}))["globalArtists"]
    assert [a["name"] for a in found] == ["Nina Simone Trio"]  # a rename is searchable at once
    assert error_of(staff_of(make_org().id, "BOX_OFFICE").gql(GLOBAL_VENUES, {"n": "harb"}))
