"""Events and webhook delivery, as Stripe does them.

- Every event is stored and listed newest first (`GET /v1/events`, `/v1/events/{id}`), on the
  account it is about: an event about an object on a connected account carries
  `"account": "acct_..."` and is only visible with that Stripe-Account header.
- Endpoints registered with `POST /_config/webhooks/{id}` (form: url, secret, optional
  events[], optional connect=true) receive events the way Stripe's two kinds of endpoints do:
  Connect endpoints get only connected-account events, account endpoints only the platform's.
- Delivery is asynchronous (never inside the API request, so it may arrive before or after the
  API response, as on Stripe), signed `Stripe-Signature: t=<delivery time>,v1=<HMAC-SHA256 of
  "t.payload" with the endpoint secret>` (a new timestamp on every attempt, like Stripe), and
  retried with backoff on non-2xx or network errors (Stripe retries for 3 days; we retry a few
  times within seconds). Test controls: `POST /_config/events/{id}/resend` delivers an existing
  event again (duplicate delivery); `GET /_config/events/{id}/deliveries` lists the attempts;
  `GET /_config/deliveries/wait?endpoint=<id>` returns once nothing is pending for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from localstripe import resources, webhooks

from ._base import (
    StripeObject,
    context,
    current_account,
    dumps,
    get,
    get_raw,
    json_response,
    list_response,
    objects_of,
    on_reset,
    read_params,
    route,
    stripe_error,
    to_bool,
    to_int,
    unknown_parameters,
)

log = logging.getLogger("stripe_fake.webhooks")

FIRST_ATTEMPT_DELAY = 0.1  # seconds: after the API response in practice, never inside it
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)  # then give up and log (Stripe: exponential, up to 3 days)
DELIVERY_TIMEOUT = 10  # seconds, like Stripe's webhook timeout


class Event(StripeObject):
    object = "event"
    _id_prefix = "evt_"

    def __init__(
        self,
        type: str,
        data: Any,
        *,
        account: str | None = None,
        previous_attributes: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        ctx = context()
        # The account the event is about: the object's own account (Stripe: Connect events).
        if account is None:
            account = getattr(data, "_stripe_account", None)
        self._stripe_account = account
        if account is not None:
            self.account = account
        self.type = type
        self.api_version = ctx.api_version
        self.data: dict[str, Any] = {"object": data._export()}
        if previous_attributes:
            self.data["previous_attributes"] = previous_attributes
        self.request = {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key}
        self.pending_webhooks = 0


@dataclass
class Endpoint:
    id: str
    url: str
    secret: str
    events: list[str] | None
    connect: bool

    def wants(self, event: Event) -> bool:
        is_connect_event = getattr(event, "account", None) is not None
        if is_connect_event != self.connect:
            return False
        return self.events is None or "*" in self.events or event.type in self.events


ENDPOINTS: dict[str, Endpoint] = {}
DELIVERIES: dict[str, list[dict[str, Any]]] = {}  # event id -> attempts
# Background work (deliveries, delayed state changes) -> the endpoint it delivers to, if any.
_TASKS: dict[asyncio.Task[Any], str | None] = {}


def spawn(coro: Coroutine[Any, Any, Any], endpoint: str | None = None) -> None:
    """Run background work that a data reset cancels."""
    task = asyncio.get_running_loop().create_task(coro)
    _TASKS[task] = endpoint
    task.add_done_callback(lambda done: _TASKS.pop(done, None))


def emit(
    type: str,
    obj: Any,
    *,
    account: str | None = None,
    previous_attributes: dict[str, Any] | None = None,
) -> Event:
    event = Event(type, obj, account=account, previous_attributes=previous_attributes)
    schedule(event)
    return event


def schedule(event: Event, only: str | None = None) -> int:
    targets = [e for e in ENDPOINTS.values() if e.wants(event) and (only is None or e.id == only)]
    event.pending_webhooks += len(targets)
    for endpoint in targets:
        spawn(_deliver(event, endpoint), endpoint.id)
    return len(targets)


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + payload
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


async def _deliver(event: Event, endpoint: Endpoint) -> None:
    payload = dumps(event._export())
    attempts = DELIVERIES.setdefault(event.id, [])
    delays = (FIRST_ATTEMPT_DELAY, *RETRY_DELAYS)
    for number, delay in enumerate(delays, start=1):
        await asyncio.sleep(delay)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": sign(payload, endpoint.secret, int(time.time())),
        }
        record: dict[str, Any] = {"endpoint": endpoint.id, "attempt": number, "at": time.time()}
        attempts.append(record)
        try:
            timeout = aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(endpoint.url, data=payload, headers=headers) as response,
            ):
                record["status"] = response.status
                if 200 <= response.status < 300:
                    event.pending_webhooks = max(0, event.pending_webhooks - 1)
                    return
                reason = f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError) as error:
            record["error"] = reason = repr(error)
        log.warning(
            "webhook %s (%s) to endpoint %s failed, attempt %d/%d: %s",
            event.id,
            event.type,
            endpoint.id,
            number,
            len(delays),
            reason,
        )
    log.error("webhook %s (%s) to endpoint %s: giving up", event.id, event.type, endpoint.id)


@on_reset
def _reset() -> None:
    for task in list(_TASKS):
        task.cancel()
    _TASKS.clear()
    DELIVERIES.clear()


def install() -> None:
    # localstripe's own events (customer.created, ...) go through our Event and delivery too.
    resources.Event = Event
    resources.schedule_webhook = schedule
    webhooks.schedule_webhook = schedule


# --- API -----------------------------------------------------------------------------------------


async def list_events(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = data.pop("expand", None)
    items: list[Event] = objects_of("event")
    event_type = data.pop("type", None)
    if event_type is not None:
        # Stripe accepts `*` wildcards in the type filter (e.g. `charge.dispute.*`).
        prefix = event_type[:-1] if event_type.endswith("*") else None
        items = [e for e in items if (e.type.startswith(prefix) if prefix else e.type == event_type)]
    types = data.pop("types", None)
    if types is not None:
        items = [e for e in items if e.type in types]
    created = data.pop("created", None)
    if isinstance(created, dict):
        for op, value in created.items():
            bound = to_int(value, f"created[{op}]")
            checks = {
                "gt": lambda e, b=bound: e.created > b,
                "gte": lambda e, b=bound: e.created >= b,
                "lt": lambda e, b=bound: e.created < b,
                "lte": lambda e, b=bound: e.created <= b,
            }
            if op not in checks:
                raise stripe_error(400, f"Received unknown parameter: created[{op}]")
            items = [e for e in items if checks[op](e)]
    elif created is not None:
        items = [e for e in items if e.created == to_int(created, "created")]
    data.pop("delivery_success", None)
    page_params = {k: data.pop(k) for k in ("limit", "starting_after", "ending_before") if k in data}
    unknown_parameters(data)
    return list_response("/v1/events", items, page_params, expand)


async def retrieve_event(request: web.Request) -> web.Response:
    event = get("event", request.match_info["id"])
    return json_response(event._export())


# --- test controls -------------------------------------------------------------------------------


async def register_endpoint(request: web.Request) -> web.Response:
    data = await read_params(request)
    url, secret, events = data.get("url"), data.get("secret"), data.get("events")
    if not isinstance(url, str) or not url.startswith("http") or not isinstance(secret, str) or not secret:
        raise stripe_error(400, "url (http...) and secret are required")
    if events is not None and not isinstance(events, list):
        raise stripe_error(400, "events must be a list (events[]=...)")
    connect = to_bool(data.get("connect", "false"), "connect")
    endpoint_id = request.match_info["id"]
    ENDPOINTS[endpoint_id] = Endpoint(endpoint_id, url, secret, events, connect)
    return web.Response()


async def remove_endpoint(request: web.Request) -> web.Response:
    ENDPOINTS.pop(request.match_info["id"], None)
    return web.Response()


async def list_endpoints(request: web.Request) -> web.Response:
    return json_response(
        [{"id": e.id, "url": e.url, "events": e.events, "connect": e.connect} for e in ENDPOINTS.values()]
    )


async def resend_event(request: web.Request) -> web.Response:
    """Deliver an existing event again, same id and payload (Stripe may deliver an event more
    than once; receivers must deduplicate on event.id). Optional form field `endpoint`."""
    event = get_raw("event", request.match_info["id"])
    if event is None:
        raise stripe_error(404, f"No such event: '{request.match_info['id']}'", code="resource_missing")
    data = await read_params(request)
    sent = schedule(event, only=data.get("endpoint"))
    return json_response({"id": event.id, "type": event.type, "endpoints": sent})


async def event_deliveries(request: web.Request) -> web.Response:
    return json_response(DELIVERIES.get(request.match_info["id"], []))


async def wait_for_deliveries(request: web.Request) -> web.Response:
    """Wait (≤ 15 s) until no delivery to the endpoints named by `endpoint` (query, repeatable;
    default all) is pending: lets tests assert that something was NOT delivered without
    sleeping blindly."""
    wanted = set(request.query.getall("endpoint", []))

    def pending() -> list[asyncio.Task[Any]]:
        return [t for t, e in _TASKS.items() if not t.done() and (not wanted or e in wanted)]

    deadline = time.monotonic() + 15
    while pending() and time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(asyncio.gather(*pending(), return_exceptions=True)), 0.5)
    left = len(pending())
    return json_response({"pending": left}, status=504 if left else 200)


def routes() -> None:
    route("GET", "/v1/events", list_events)
    route("GET", "/v1/events/{id}", retrieve_event)
    route("POST", "/_config/webhooks/{id}", register_endpoint)
    route("DELETE", "/_config/webhooks/{id}", remove_endpoint)
    route("GET", "/_config/webhooks", list_endpoints)
    route("POST", "/_config/events/{id}/resend", resend_event)
    route("GET", "/_config/events/{id}/deliveries", event_deliveries)
    route("GET", "/_config/deliveries/wait", wait_for_deliveries)


__all__ = ["Event", "current_account", "emit", "install", "routes", "schedule", "spawn"]
