"""Idempotency keys, as Stripe applies them to POST requests (`Idempotency-Key` header).

- The first request with a key runs; its status code and body are saved, and any later request
  with the same key and the same parameters gets them back (`Idempotent-Replayed: true`, same
  Request-Id) without running again: no second object, no second event.
- The same key with other parameters, or on another endpoint, is a 400 `idempotency_error`.
- A request arriving while the first one with its key is still running gets a 409
  `idempotency_error` (stripe-python retries it).
- Keys are scoped per secret key and per account (Stripe-Account header): the same key used
  on two connected accounts is two different requests.
- Stripe saves the result only once the endpoint started executing: requests rejected by
  validation (400, 401, 403, 404, 409) are not saved and may be retried with the same key;
  card declines (402) and server errors (5xx) are saved and replayed.
- Stripe prunes keys after 24 hours; we drop entries older than that when we meet them (the
  fake's state is wiped between tests, so that path is never exercised).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from localstripe import server
from localstripe.errors import UserError

from ._base import Handler, context, on_reset, stripe_error

KEY_TTL_SECONDS = 24 * 60 * 60
NOT_SAVED = {400, 401, 403, 404, 409, 429}


@dataclass
class Saved:
    endpoint: str
    fingerprint: str
    status: int
    body: bytes
    request_id: str | None
    created: float


_SAVED: dict[tuple[str, str | None, str], Saved] = {}
_RUNNING: dict[tuple[str, str | None, str], tuple[str, str]] = {}


@on_reset
def _reset() -> None:
    _SAVED.clear()
    _RUNNING.clear()


async def _fingerprint(request: web.Request) -> str:
    """The request's parameters, independent of their order."""
    body = await request.read()
    try:
        parsed: Any = json.loads(body) if body else {}
        return json.dumps(parsed, sort_keys=True)
    except ValueError:
        return json.dumps(sorted(parse_qsl(body.decode(), keep_blank_values=True)))


def _error(status: int, message: str) -> web.Response:
    error = stripe_error(status, message, type="idempotency_error")
    response = error.to_response()
    if status == 409:
        response.headers["Stripe-Should-Retry"] = "true"
    return response


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or not request.path.startswith("/v1/"):
        return await handler(request)
    if len(key) > 255:
        raise stripe_error(400, "Idempotency-Key is too long: at most 255 characters.")
    scope = (server.get_api_key(request) or "", context().account, key)
    endpoint = f"{request.method} {request.path}"
    fingerprint = await _fingerprint(request)

    saved = _SAVED.get(scope)
    if saved is not None and time.time() - saved.created > KEY_TTL_SECONDS:
        del _SAVED[scope]
        saved = None
    if saved is not None:
        if saved.endpoint != endpoint:
            return _error(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they were first "
                f"used for ('{saved.endpoint}' vs '{endpoint}'). Try using a key other than '{key}' "
                "if you meant to execute a different request.",
            )
        if saved.fingerprint != fingerprint:
            return _error(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were "
                f"first used with. Try using a key other than '{key}' if you meant to execute a "
                "different request.",
            )
        response = web.Response(body=saved.body, status=saved.status, content_type="application/json")
        response.headers["Idempotent-Replayed"] = "true"
        if saved.request_id:
            response.headers["Request-Id"] = saved.request_id
        return response

    if scope in _RUNNING:
        return _error(
            409,
            "There is currently another in-progress request using this Idempotent Key (that "
            "probably means you submitted twice, and the other request is still going through): "
            f"{key}. Please try again later.",
        )
    _RUNNING[scope] = (endpoint, fingerprint)
    try:
        try:
            response = await handler(request)
        except UserError as error:
            response = error.to_response()
        if response.status not in NOT_SAVED and isinstance(response, web.Response):
            _SAVED[scope] = Saved(
                endpoint,
                fingerprint,
                response.status,
                bytes(response.body or b""),  # type: ignore[arg-type]
                context().request_id,
                time.time(),
            )
        response.headers["Idempotency-Key"] = key
        return response
    finally:
        _RUNNING.pop(scope, None)
