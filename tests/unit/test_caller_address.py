"""Which address a request came from: the buyer's (first X-Forwarded-For hop, R-ORD-8) and the one
that connected to Google's front end, which rate limits use because the client cannot write it."""

from __future__ import annotations

import flask
from werkzeug.test import EnvironBuilder

from shared.caller import client_ip, connecting_ip


def request_with(headers: dict[str, str], remote: str = "10.0.0.9") -> flask.Request:
    builder = EnvironBuilder(headers=list(headers.items()), environ_base={"REMOTE_ADDR": remote})
    return flask.Request(builder.get_environ())


def test_a_client_written_forwarded_for_does_not_change_the_connecting_address() -> None:
    spoofed = request_with({"X-Forwarded-For": "1.2.3.4, 203.0.113.7"})
    assert client_ip(spoofed) == "1.2.3.4"  # what the buyer's geolocation reads (R-ORD-8)
    assert connecting_ip(spoofed) == "203.0.113.7"  # appended by the front end


def test_without_forwarding_headers_the_peer_address_counts() -> None:
    assert connecting_ip(request_with({})) == "10.0.0.9"
    assert connecting_ip(request_with({"X-Real-IP": "198.51.100.2"})) == "198.51.100.2"
    assert connecting_ip(request_with({"X-Forwarded-For": "198.51.100.3"})) == "198.51.100.3"


def test_behind_a_load_balancer_the_entry_before_its_own_is_the_connecting_one() -> None:
    through_lb = request_with({"X-Forwarded-For": "1.2.3.4, 203.0.113.7, 10.0.0.1"})
    assert connecting_ip(through_lb, trusted_hops=2) == "203.0.113.7"
    assert connecting_ip(request_with({"X-Forwarded-For": "203.0.113.7"}), trusted_hops=2) == "203.0.113.7"
