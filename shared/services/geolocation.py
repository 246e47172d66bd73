"""Where buyers buy from (SPEC R-GEO-1): after an order is committed, a Cloud Task geocodes the
buyer's IP and stores `order.address` for Backstage's heat map. It never delays checkout, and a
failure only leaves the address empty (no retries: the map can live without one dot).

Addresses that cannot be on the public internet (private, loopback, link-local, reserved) are not
sent to the provider. The task carries the order id and IP; the handler writes only `address`, so
a lookup delivered twice writes the same value twice.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from typing import Any, Protocol

from shared.domain.models import Address, Order
from shared.domain.ports import Repository

log = logging.getLogger("sellout.geolocation")

QUEUE = "background"
FUNCTION = "checkout"
TASK_PATH = "/tasks/geocode-order"


class Locator(Protocol):
    @property
    def enabled(self) -> bool: ...

    def locate(self, ip: str) -> Address | None: ...


class TaskQueue(Protocol):
    def enqueue(self, queue: str, function: str, payload: dict[str, Any], *, path: str = "/",
                key: str | None = None, run_at: int | None = None) -> str: ...  # fmt: skip


def is_public(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_global
    except ValueError:
        return False


class GeolocationService:
    def __init__(self, orders: Repository[Order], tasks: TaskQueue, locator: Callable[[], Locator]) -> None:
        self.orders, self.tasks, self.locator = orders, tasks, locator

    def order_created(self, order: Order) -> None:
        """OrderCreated: queue the lookup (once per order: the task is named after it). Queued
        whether or not a key is configured: the functions that record orders (checkout, the
        Stripe webhook) do not hold the provider's key; only the task handler does."""
        if order.address is not None or not is_public(order.ipAddress):
            return
        payload = {"orderId": order.id, "ip": order.ipAddress}
        self.tasks.enqueue(QUEUE, FUNCTION, payload, path=TASK_PATH, key=f"geocode~{order.id}")

    def run_task(self, payload: dict[str, Any]) -> str:
        order_id, ip = str(payload.get("orderId") or ""), str(payload.get("ip") or "")
        if not order_id or not is_public(ip):
            return "nothing to locate"
        locator = self.locator()
        if not locator.enabled:
            return "geolocation not configured"
        try:
            address = locator.locate(ip)
        except Exception as error:  # best effort by design (R-GEO-1): report, never retry
            log.warning("geolocation failed", extra={"orderId": order_id, "reason": str(error)})
            return "lookup failed"
        if address is None:
            return "not placed"
        self.orders.update(order_id, {"address": address.doc()})
        return "located"
