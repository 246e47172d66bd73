"""The GraphQL API that Backstage, the purchase portal and the scanner app call."""

import flask
import functions_framework

from shared.entrypoint import http_entry
from shared.graphql_api.server import handle_graphql_request


@functions_framework.http
@http_entry("graphql")
def handle(request: flask.Request) -> flask.Response:
    return handle_graphql_request(request)
