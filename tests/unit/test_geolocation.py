"""Buyer IP geolocation rules (SPEC R-GEO-1): which addresses are looked up, and that a failed
lookup changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.models import Address, Order
from shared.services.geolocation import GeolocationService, is_public


@pytest.mark.parametrize(
    ("ip", "public"),
    [("8.8.8.8", True), ("2001:4860:4860::8888", True), ("127.0.0.1", False), ("10.1.2.3", False),
     ("192.168.0.9", False), ("169.254.1.1", False), ("203.0.113.7", False), ("::1", False),
     ("", False), ("not an ip", False)],
)  # fmt: skip
def test_only_global_addresses_are_looked_up(ip: str, public: bool) -> None:
    assert is_public(ip) is public


class _Orders:
    def __init__(self) -> None:
        self.updates: list[tuple[str, dict[str, Any]]] = []

    def update(self, item_id: str, fields: dict[str, Any]) -> None:
        self.updates.append((item_id, fields))


class _Tasks:
    def __init__(self) -> None:
        self.enqueued: list[tuple[str, dict[str, Any], str | None]] = []

    def enqueue(self, queue: str, function: str, payload: dict[str, Any], *, path: str = "/",
                key: str | None = None, run_at: int | None = None) -> str:  # fmt: skip
        self.enqueued.append((queue, payload, key))
        return "task"


class _Locator:
    def __init__(self, *, enabled: bool = True, fail: bool = False) -> None:
        self.enabled, self.fail = enabled, fail

    def locate(self, ip: str) -> Address | None:
        if self.fail:
            raise RuntimeError("ipstack did not answer")
        return Address(city="Mountain View", lat=1.0, lng=2.0)


def _service(locator: _Locator) -> tuple[GeolocationService, _Orders, _Tasks]:
    orders, tasks = _Orders(), _Tasks()
    return GeolocationService(orders, tasks, lambda: locator), orders, tasks  # type: ignore[arg-type]


def _order(ip: str, **fields: Any) -> Order:
    return Order.model_validate({"_id": "o1", "orgId": "org", "eventName": "E", "createdAt": 0,
                                 "createdBy": "x", "ipAddress": ip, **fields})  # fmt: skip


def test_an_order_from_a_public_address_queues_one_named_lookup() -> None:
    service, _, tasks = _service(_Locator())
    service.order_created(_order("8.8.8.8"))
    service.order_created(_order("127.0.0.1"))
    service.order_created(_order("8.8.8.8", address={"city": "Known"}))
    assert tasks.enqueued == [("background", {"orderId": "o1", "ip": "8.8.8.8"}, "geocode~o1")]


def test_a_failed_or_unconfigured_lookup_writes_nothing() -> None:
    failing, orders, _ = _service(_Locator(fail=True))
    assert failing.run_task({"orderId": "o1", "ip": "8.8.8.8"}) == "lookup failed"
    off, _, _ = _service(_Locator(enabled=False))
    assert off.run_task({"orderId": "o1", "ip": "8.8.8.8"}) == "geolocation not configured"
    assert orders.updates == []
    working, orders, _ = _service(_Locator())
    assert working.run_task({"orderId": "o1", "ip": "8.8.8.8"}) == "located"
    assert orders.updates[0][0] == "o1" and orders.updates[0][1]["address"]["city"] == "Mountain View"
