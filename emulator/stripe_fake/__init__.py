"""Extensions of localstripe (PyPI `localstripe`, an aiohttp fake of the Stripe API) so that it
behaves like Stripe wherever Sellout's payment code relies on it.

`install(server.app)` must run before the app starts. It:
- keeps localstripe's store and its customers, payment methods, tokens, sources...;
- makes every object belong to the account it was created on (Stripe-Account header) and
  hides it from every other account (_base.install_visibility, connect.context_middleware);
- adds idempotency keys (idempotency), Connect accounts, OAuth and application fees
  (connect), PaymentIntents and Charges (payments), bounded refunds (refunds), disputes
  (disputes), stored events and signed, retried, Connect-aware webhook delivery (events),
  SetupIntents, customers' saved PaymentMethods and card sources (saved_cards), Terminal
  locations, readers and connection tokens (terminal);
- extends the test controls under /_config/ (webhooks with connect=true, event resend,
  refund status, account onboarding, an object's `created` time) and makes
  `DELETE /_config/data` forget all of it.

Each module's docstring lists the Stripe behaviours it mirrors and its test controls.
"""

from __future__ import annotations

from aiohttp import web
from localstripe import resources

from . import cards, connect, disputes, events, payments, refunds, saved_cards, terminal
from ._base import (
    OVERRIDES,
    RESET_HOOKS,
    get_raw,
    install_visibility,
    json_response,
    read_params,
    route,
    to_int,
)
from .idempotency import idempotency_middleware


async def _flush_data(request: web.Request) -> web.Response:
    """`DELETE /_config/data`: every object, event, idempotency key, used OAuth code and pending
    delivery goes; registered webhook endpoints stay (they are configuration, as in localstripe)."""
    resources.store.clear()
    for hook in RESET_HOOKS:
        hook()
    return web.Response()


async def _set_created(request: web.Request) -> web.Response:
    """`POST /_config/objects/{object}/{id}/created` (form `created`, a Unix time): dates an
    object (charge, refund...) on another day, so a test can reconcile a past day's activity."""
    found = get_raw(request.match_info["object"], request.match_info["id"])
    if found is None:
        return web.Response(status=404)
    found.created = to_int((await read_params(request)).get("created"), "created", minimum=0)
    return json_response(found._export())


def install(app: web.Application) -> None:
    install_visibility()
    events.install()
    cards.install()
    for module in (events, connect, payments, refunds, disputes, saved_cards, terminal):
        module.routes()
    route("DELETE", "/_config/data", _flush_data)
    route("POST", "/_config/objects/{object}/{id}/created", _set_created)
    # After localstripe's error/auth middlewares (outermost first): who is calling, then
    # idempotency (keyed by that account), then our routes before localstripe's.
    app.middlewares.extend([connect.context_middleware, idempotency_middleware, OVERRIDES.middleware])


__all__ = ["install"]
