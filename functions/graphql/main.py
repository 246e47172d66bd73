"""The GraphQL API that Backstage, the purchase portal and the scanner app call, and the public
website's event feeds next to it (GET /getEventList, /getEventDetail; SPEC 4.8)."""

import flask
import functions_framework

from shared.entrypoint import http_entry
from shared.graphql_api.public_feeds import handle_public_feed, is_public_feed
from shared.graphql_api.server import handle_graphql_request


@functions_framework.http
@http_entry("graphql")
def handle(request: flask.Request) -> flask.Response:
    if is_public_feed(request):
        return handle_public_feed(request)
    return handle_graphql_request(request)
