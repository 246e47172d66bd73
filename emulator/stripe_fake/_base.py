"""Shared plumbing: Stripe-shaped errors, the per-request context, parameter parsing, the route
overrides and the per-account visibility of every stored object.

localstripe keeps every object in one dict (`resources.store`, keys `"<object>:<id>"`) and turns
`UserError` into an error response. We keep that store (so localstripe's customers, payment
methods, tokens... and our objects live side by side) and add what Stripe does on top of it.
"""

from __future__ import annotations

import contextvars
import json
import secrets
import string
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError

store = resources.store
StripeObject = resources.StripeObject

# stripe-python 16 pins an API version; events are rendered with the version of the request that
# caused them when it says one (Stripe renders them with the account's version).
DEFAULT_API_VERSION = "2024-06-20"
# The platform itself (what `GET /v1/account` answers without Stripe-Account) and its Connect
# application (the `application` field of charges and application fees).
PLATFORM_ACCOUNT_ID = "acct_1SelloutPlatform00"
PLATFORM_APPLICATION_ID = "ca_SelloutLocalPlatform0"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# --- request context -----------------------------------------------------------------------------


@dataclass
class RequestContext:
    request_id: str | None = None
    idempotency_key: str | None = None
    api_version: str = DEFAULT_API_VERSION
    # The connected account named by Stripe-Account (None = the platform).
    account: str | None = None


# Unset outside requests (startup, background work): the platform, default API version.
_context: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "stripe_fake_context", default=None
)


def context() -> RequestContext:
    return _context.get() or RequestContext()


def set_context(value: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _context.set(value)


def reset_context(token: contextvars.Token[RequestContext | None]) -> None:
    _context.reset(token)


def current_account() -> str | None:
    return context().account


def random_id(prefix: str, length: int = 24) -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def now() -> int:
    return int(time.time())


# --- errors --------------------------------------------------------------------------------------


def stripe_error(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    **extra: Any,
) -> UserError:
    """A UserError whose body is shaped like Stripe's (type, code, param, doc_url, message), so
    stripe-python raises the same exception class with the same attributes as against Stripe."""
    contents: dict[str, Any] = {}
    if code:
        contents["code"] = code
        contents["doc_url"] = "https://stripe.com/docs/error-codes/" + code.replace("_", "-")
    if param:
        contents["param"] = param
    contents.update(extra)
    error = UserError(status, message, contents)
    error.body["error"]["type"] = type
    return error


def resource_missing(object_name: str, object_id: str, param: str = "id") -> UserError:
    return stripe_error(404, f"No such {object_name}: '{object_id}'", code="resource_missing", param=param)


def unknown_parameters(names: Iterable[str]) -> None:
    names = sorted(names)
    if names:
        raise stripe_error(
            400, f"Received unknown parameter: {names[0]}", code="parameter_unknown", param=names[0]
        )


def missing_parameter(name: str) -> UserError:
    return stripe_error(400, f"Missing required param: {name}.", code="parameter_missing", param=name)


# --- parameters ----------------------------------------------------------------------------------


async def read_params(request: web.Request) -> dict[str, Any]:
    """Form (or JSON) body merged with the query string, nested like Stripe's `a[b][0]=c`."""
    data: dict[str, Any] = {}
    if request.method in ("POST", "DELETE"):
        data = dict(await server.get_post_data(request) or {})
    data.update(server.unflatten_data(request.query) or {})
    return data


def to_int(value: Any, param: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool):
        raise stripe_error(400, f"Invalid integer: {value}", param=param)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise stripe_error(400, f"Invalid integer: {value}", param=param) from None
    if minimum is not None and number < minimum:
        kind = "positive" if minimum > 0 else "non-negative"
        raise stripe_error(400, f"Invalid {kind} integer", param=param)
    return number


def to_bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise stripe_error(400, f"Invalid boolean: {value}", param=param)


def metadata_param(value: Any) -> dict[str, str]:
    """Stripe's metadata rules: a hash of at most 50 string keys (≤ 40 chars) and values (≤ 500)."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise stripe_error(400, "Invalid hash", param="metadata")
    if len(value) > 50:
        raise stripe_error(400, "Metadata can have at most 50 keys.", param="metadata")
    for key, item in value.items():
        if len(str(key)) > 40:
            raise stripe_error(400, "Metadata keys can be at most 40 characters.", param="metadata")
        if len(str(item)) > 500:
            raise stripe_error(400, "Metadata values can be at most 500 characters.", param="metadata")
    return {str(k): str(v) for k, v in value.items()}


def merge_metadata(current: dict[str, str], update: Any) -> dict[str, str]:
    """Updating metadata merges keys; a key set to "" is removed (Stripe's rule)."""
    if update == "":
        return {}
    merged = dict(current)
    for key, value in metadata_param(update).items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def expand_param(data: dict[str, Any]) -> list[str] | None:
    expand = data.pop("expand", None)
    if expand is None:
        return None
    if isinstance(expand, str):
        return [expand]
    return list(expand)


def json_response(body: Any, status: int = 200) -> web.Response:
    return server.json_response(body, status=status)


def format_amount(amount: int, currency: str) -> str:
    """How Stripe prints amounts in error messages, e.g. `$50.00`."""
    symbols = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"}
    return f"{symbols.get(currency, currency.upper() + ' ')}{amount / 100:.2f}"


# --- per-account visibility ----------------------------------------------------------------------


def visible(obj: Any) -> bool:
    """Stripe: an object created with Stripe-Account lives on that connected account; requests
    without the header (the platform) or with another account do not see it (404)."""
    return getattr(obj, "_stripe_account", None) == current_account()


def get_raw(object_name: str, object_id: str) -> Any:
    """Look an object up without the account check (test controls, background work)."""
    return store.get(f"{object_name}:{object_id}")


def get(object_name: str, object_id: Any, param: str = "id") -> Any:
    if not isinstance(object_id, str) or not object_id:
        raise resource_missing(object_name, str(object_id), param)
    obj = get_raw(object_name, object_id)
    if obj is None or not visible(obj):
        raise resource_missing(object_name, object_id, param)
    return obj


def objects_of(object_name: str) -> list[Any]:
    """The visible objects of one kind, newest first (Stripe's list order)."""
    prefix = object_name + ":"
    found = [value for key, value in store.items() if key.startswith(prefix) and visible(value)]
    found.reverse()
    return found


def list_response(
    url: str, items: list[Any], data: dict[str, Any], expand: list[str] | None = None
) -> web.Response:
    """A Stripe list page: `limit` (1-100, default 10), `starting_after` / `ending_before`."""
    limit = to_int(data.pop("limit", 10), "limit", minimum=1)
    if limit > 100:
        raise stripe_error(400, "Invalid limit: must be at most 100", param="limit")
    starting_after = data.pop("starting_after", None)
    ending_before = data.pop("ending_before", None)
    ids = [item.id for item in items]
    if starting_after:
        if starting_after not in ids:
            raise resource_missing(url.rsplit("/", 1)[-1].rstrip("s"), starting_after, "starting_after")
        items = items[ids.index(starting_after) + 1 :]
    elif ending_before:
        if ending_before not in ids:
            raise resource_missing(url.rsplit("/", 1)[-1].rstrip("s"), ending_before, "ending_before")
        items = items[: ids.index(ending_before)][-limit:]
    page = items[:limit]
    return json_response(
        {
            "object": "list",
            "url": url,
            "has_more": len(items) > limit,
            "data": [item._export(expand=_sub_expand(expand)) for item in page],
        }
    )


CREATED_BOUNDS = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}


def created_filter(items: list[Any], data: dict[str, Any]) -> list[Any]:
    """Stripe's `created` list filter: an exact timestamp, or any of `created[gt|gte|lt|lte]`
    (reconciliation lists one UTC day). Pops the parameter; unknown bounds are refused."""
    created = data.pop("created", None)
    if created is None:
        return items
    if not isinstance(created, dict):
        exact = to_int(created, "created")
        return [item for item in items if item.created == exact]
    unknown = sorted(set(created) - set(CREATED_BOUNDS))
    if unknown:
        raise stripe_error(
            400, f"Received unknown parameter: created[{unknown[0]}]", code="parameter_unknown",
            param=f"created[{unknown[0]}]",
        )  # fmt: skip
    bounds = [(CREATED_BOUNDS[name], to_int(value, f"created[{name}]")) for name, value in created.items()]
    return [item for item in items if all(compare(int(item.created), bound) for compare, bound in bounds)]


def _sub_expand(expand: list[str] | None) -> list[str]:
    """`expand[]=data.latest_charge` on a list expands `latest_charge` on each item."""
    return [path[len("data.") :] for path in expand or [] if path.startswith("data.")]


def embedded_list(url: str, items: list[Any]) -> dict[str, Any]:
    """A sub-list embedded in an object (e.g. `charge.refunds`), as Stripe renders it."""
    return {
        "object": "list",
        "url": url,
        "has_more": False,
        "total_count": len(items),
        "data": [item._export() for item in items],
    }


def install_visibility() -> None:
    """Patch localstripe's base class so every object remembers the account it was created on
    and retrieving/listing it from another account is a 404, as on Stripe."""
    original_init = StripeObject.__init__

    def init_on_account(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._stripe_account = current_account()

    def _api_retrieve(cls: Any, id: str) -> Any:
        return get(cls.object, id)

    def _api_list_all(
        cls: Any, url: str, limit: Any = None, starting_after: Any = None, **kwargs: Any
    ) -> Any:
        if kwargs:
            raise stripe_error(400, "Received unknown parameter: " + sorted(kwargs)[0])
        li = resources.List(url, limit=limit, starting_after=starting_after)
        li._list = objects_of(cls.object)
        return li

    StripeObject.__init__ = init_on_account  # type: ignore[method-assign]
    StripeObject._api_retrieve = classmethod(_api_retrieve)  # type: ignore[method-assign,assignment]
    StripeObject._api_list_all = classmethod(_api_list_all)  # type: ignore[method-assign,assignment]


# --- route overrides -----------------------------------------------------------------------------


@dataclass
class Overrides:
    """Routes served before localstripe's own. localstripe's router is already populated (its
    `/v1/charges` etc. would win), so ours live in a second router that a middleware consults
    first; anything it does not match falls through to localstripe."""

    router: web.UrlDispatcher = field(default_factory=web.UrlDispatcher)

    def add(self, method: str, path: str, handler: Callable[..., Awaitable[web.StreamResponse]]) -> None:
        self.router.add_route(method, path, handler)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        match = await self.router.resolve(request)
        if match.http_exception is not None:
            return await handler(request)
        # Our handlers read path ids from `request.match_info`; aiohttp resolved localstripe's
        # (possibly non-matching) route, so give them ours.
        match.add_app(request.app)
        request._match_info = match  # aiohttp has no public setter; match_info is cached (reify)
        request._cache.pop("match_info", None)
        return await match.handler(request)


OVERRIDES = Overrides()
route = OVERRIDES.add

# Everything `DELETE /_config/data` must forget besides localstripe's store.
RESET_HOOKS: list[Callable[[], None]] = []


def on_reset(hook: Callable[[], None]) -> Callable[[], None]:
    RESET_HOOKS.append(hook)
    return hook


def dumps(body: Any) -> bytes:
    return json.dumps(body, indent=2, sort_keys=True).encode()
