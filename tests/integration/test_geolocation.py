"""Buyer IP geolocation (SPEC R-GEO-1) on the emulators: the order is written first, then a Cloud
Task asks the ipstack stand-in where the buyer's address is and stores `order.address`."""

from __future__ import annotations

from typing import Any

import requests

from emulator import config
from shared.bootstrap import services
from shared.domain.models import Order
from tests.integration.api import wait_for
from tests.integration.checkout_fixtures import clerk, connected_org, on_sale_event, ticket

ORDERS_URL = f"{config.FUNCTIONS_URL}/checkout/orders"
GEOCODE_URL = f"{config.FUNCTIONS_URL}/checkout/tasks/geocode-order"
LOOKUPS_URL = f"{config.SAAS_URL}/ipgeo/_lookups"


def _box_office_order(forwarded_for: str | None) -> Order:
    org = connected_org()
    event = on_sale_event(org)
    box = clerk(org)
    headers = {"Authorization": f"Bearer {box.token}"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    params = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
              "type": "Paid", "tickets": [ticket(event)]}  # fmt: skip
    response = requests.post(ORDERS_URL, json=params, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    order = services().store.orders.get(response.json()["_id"])
    assert order is not None
    return order


def _lookups() -> list[str]:
    found: list[str] = requests.get(LOOKUPS_URL, timeout=5).json()
    return found


def _address(order_id: str) -> dict[str, Any] | None:
    order = services().store.orders.get(order_id)
    return order.address.doc() if order is not None and order.address is not None else None


def test_the_buyers_city_is_stored_after_the_order_from_the_first_forwarded_address():
    order = _box_office_order("8.8.8.8, 10.0.0.1")  # the load balancer appends its own hop
    assert order.ipAddress == "8.8.8.8"
    address = wait_for(lambda: _address(order.id), timeout=20.0)
    assert {k: address[k] for k in ("city", "state", "zip", "country", "lat", "lng")} == {
        "city": "Mountain View", "state": "CA", "zip": "94043", "country": "US",
        "lat": 37.4056, "lng": -122.0775,
    }  # fmt: skip
    assert _lookups() == ["8.8.8.8"]


def test_a_private_address_is_never_sent_to_the_provider():
    order = _box_office_order(None)  # the test client connects from 127.0.0.1
    assert order.ipAddress == "127.0.0.1"
    outcome = requests.post(GEOCODE_URL, json={"orderId": order.id, "ip": order.ipAddress}, timeout=10)
    assert outcome.json() == {"outcome": "nothing to locate"}
    assert _lookups() == []
    assert _address(order.id) is None


def test_a_lookup_delivered_twice_writes_the_same_address_and_an_unknown_one_writes_none():
    order = _box_office_order("1.1.1.1")
    first = wait_for(lambda: _address(order.id), timeout=20.0)
    assert first["city"] == "Brisbane"
    again = requests.post(GEOCODE_URL, json={"orderId": order.id, "ip": "1.1.1.1"}, timeout=10)
    assert again.json() == {"outcome": "located"}
    assert _address(order.id) == first
    assert _lookups() == ["1.1.1.1", "1.1.1.1"]
    unknown = _box_office_order("9.9.9.9")
    outcome = requests.post(GEOCODE_URL, json={"orderId": unknown.id, "ip": "9.9.9.9"}, timeout=10)
    assert outcome.json() == {"outcome": "not placed"}
    assert _address(unknown.id) is None
