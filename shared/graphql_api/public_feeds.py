"""The public website's REST feeds (SPEC 4.8), served by the graphql function next to /graphql:

    GET /getEventList?orgId=<org>        {"status": 200, "events": [Event]}   all orgs without orgId
    GET /getEventDetail?id=<eventId>     {"status": 200, "event": Event}
    GET /getEventDetail?name=<url stub>  (same)
    GET /getSeasonList?orgId=<org>       {"status": 200, "seasons": [Season]}  all orgs without orgId
    GET /getSeasonDetail?id=<seasonId>   {"status": 200, "season": Season}
Refusals are http_entry's JSON errors (404 for an event the website does not show).

The events (seasons) are chosen by shared.services.public_events and rendered through the
GraphQL Event (Season) type with a fixed selection, as seen by an anonymous caller (a bearer
token sent here is ignored), so REST and GraphQL cannot drift apart on what is public. The
selection leaves out what a website has no use for and should not carry: promotion codes, holds,
wait lists, sales report subscribers, analytics, the organization's Stripe and member-API fields,
artist contacts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import flask
from ariadne import graphql

from shared.bootstrap import services
from shared.domain.models import TicketedListing
from shared.domain.permissions import Principal
from shared.entrypoint import json_response
from shared.errors import DomainError, ErrorCode
from shared.graphql_api.context import RequestContext
from shared.graphql_api.errors import GraphQLErrorLog, format_error
from shared.graphql_api.resolvers.public_feeds import ChosenEvents
from shared.graphql_api.schema import executable_schema

log = logging.getLogger("sellout.feeds")

LIST_PATH = "/getEventList"
DETAIL_PATH = "/getEventDetail"
SEASON_LIST_PATH = "/getSeasonList"
SEASON_DETAIL_PATH = "/getSeasonDetail"
CACHE_SECONDS = 60  # a website polls these; a minute-old stock figure is fine

_ADDRESS = "address1 address2 city state zip country placeName lat lng timezone"
# What an event and a season both show the public: schedule, what is on sale and at what price,
# where, who plays, and who sells it (never its secrets, holds, promotion codes or subscribers).
_LISTING_FIELDS = f"""
  schedule {{ announceAt ticketsAt ticketsEndAt startsAt endsAt }}
  performances {{ _id name headliningArtistIds openingArtistIds venueId venueStageId price
                  posterImageUrl videoLink songLink schedule {{ doorsAt startsAt endsAt }} }}
  ticketTypes {{ _id name totalQty remainingQty purchaseLimit visible performanceIds description
                 rollFees values dayIds tiers {{ _id name price startsAt endsAt totalQty remainingQty }} }}
  upgrades {{ _id name price totalQty remainingQty purchaseLimit complimentary complimentaryWith
              complimentaryQty ticketTypeIds imageUrl description visible rollFees values }}
  fees {{ _id name type value appliedTo appliedBy minAppliedToPrice maxAppliedToPrice filters
          paymentMethods }}
  venue {{ _id orgId name description capacity url imageUrls address {{ {_ADDRESS} }} }}
  artists {{ _id orgId type name genres socialAccounts {{ _id platform link }}
             pressKits {{ _id title description posterImageUrls links {{ _id platform link }} }} }}
  organization {{ orgName orgUrls orgLogoUrl orgColorHex bio email phoneNumber
                  address {{ {_ADDRESS} }} }}
"""
PUBLIC_EVENT_FIELDS = f"""
  _id orgId type name subtitle description posterImageUrl venueId createdAt stub
  publishable published active cancel age processAs sendQRCode userAgreement taxDeduction
  isMultipleDays totalDays ticketDeliveryType physicalDeliveryInstructions salesBeginImmediately
  isGuestTicketSale guestTicketPerMember seasonId seatingChartKey seatingPublicKey
  location {{ {_ADDRESS} }}
  {_LISTING_FIELDS}
"""
_LIST_QUERY = f"{{ eventsList {{ {PUBLIC_EVENT_FIELDS} }} }}"
_DETAIL_QUERY = f"{{ eventsDetails {{ {PUBLIC_EVENT_FIELDS} }} }}"
# A season shows what an event shows, less the event-only fields, plus the events it admits to
# (each as the public event feeds show it, so only published ones).
PUBLIC_SEASON_FIELDS = f"""
  _id orgId type name subtitle description posterImageUrl venueId createdAt
  publishable published active cancel age processAs sendQRCode userAgreement taxDeduction
  salesBeginImmediately isGuestTicketSale seatingChartKey seatingPublicKey eventIds numberOfEvent
  location {{ {_ADDRESS} }}
  {_LISTING_FIELDS}
  events {{ {PUBLIC_EVENT_FIELDS} }}
"""
_SEASON_LIST_QUERY = f"{{ seasonsList {{ {PUBLIC_SEASON_FIELDS} }} }}"
_SEASON_DETAIL_QUERY = f"{{ seasonsDetails {{ {PUBLIC_SEASON_FIELDS} }} }}"
_PATHS = (LIST_PATH, DETAIL_PATH, SEASON_LIST_PATH, SEASON_DETAIL_PATH)


def is_public_feed(request: flask.Request) -> bool:
    return request.method in ("GET", "OPTIONS") and request.path.rstrip("/") in _PATHS


def handle_public_feed(request: flask.Request) -> flask.Response:
    # Public, read-only, no credentials: any website may embed the feed.
    cors = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, OPTIONS"}
    if request.method == "OPTIONS":
        return flask.Response(status=204, headers={**cors, "Access-Control-Max-Age": "3600"})
    path = request.path.rstrip("/")
    feeds, seasons = services().public_events, services().public_seasons
    if path == LIST_PATH:
        events = feeds.event_list(request.args.get("orgId"))
        body = {"status": 200, "events": _render(request, _LIST_QUERY, events)["eventsList"]}
    elif path == DETAIL_PATH:
        event = feeds.event_detail(request.args.get("id"), request.args.get("name"))
        body = {"status": 200, "event": _render(request, _DETAIL_QUERY, [event])["eventsDetails"]}
    elif path == SEASON_LIST_PATH:
        found = seasons.event_list(request.args.get("orgId"))
        body = {"status": 200, "seasons": _render(request, _SEASON_LIST_QUERY, found)["seasonsList"]}
    else:
        season = seasons.event_detail(request.args.get("id"))
        rendered = _render(request, _SEASON_DETAIL_QUERY, [season])
        body = {"status": 200, "season": rendered["seasonsDetails"]}
    response = json_response(body)
    response.headers.extend(cors)
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


@dataclass
class _AnonymousContext(RequestContext):
    """The request as anyone would make it: whatever token it carries, nobody is signed in."""

    @cached_property
    def principal(self) -> Principal | None:
        return None


def _render(request: flask.Request, query: str, events: Sequence[TicketedListing]) -> dict[str, Any]:
    success, result = asyncio.run(
        graphql(
            executable_schema(),
            {"query": query},
            root_value=ChosenEvents(events),
            context_value=_AnonymousContext(request, services()),
            debug=False,
            logger=GraphQLErrorLog("sellout.feeds"),
            error_formatter=format_error,
        )
    )
    if not success or result.get("errors"):
        log.error("public feed rendering failed", extra={"errors": result.get("errors")})
        raise DomainError(ErrorCode.INTERNAL, "Internal error.")
    data: dict[str, Any] = result["data"]
    return data
