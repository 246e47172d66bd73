"""Stripe Connect: connected accounts, OAuth, the Stripe-Account header and application fees.

- `POST /v1/accounts` (type standard/express/custom), `GET/POST /v1/accounts/{id}`,
  `GET /v1/accounts`, `GET /v1/account`. An update emits `account.updated` as a Connect event.
  An account created through the API has not finished onboarding (charges_enabled,
  payouts_enabled and details_submitted false, as on Stripe); the test control
  `POST /_config/accounts/{id}` (form charges_enabled / payouts_enabled / details_submitted)
  plays the part of the onboarding and emits `account.updated`.
- `POST /oauth/token` (Standard OAuth, on the connect base address stripe-python uses for
  `client.oauth.token`): a code `ac_<anything>` connects a new, onboarded Standard account once;
  a reused or unknown code is a 400 `invalid_grant`. `POST /oauth/deauthorize` disconnects it
  and emits `account.application.deauthorized`.
- Stripe-Account header: every request runs "as" that account (see _base.visible); a header
  naming an account that does not exist or is no longer connected is a 403, as on Stripe.
- Application fees: created on the platform when a direct charge carrying
  `application_fee_amount` is captured (`GET /v1/application_fees[/{id}]`, refunds under
  `/v1/application_fees/{id}/refunds`), with `application_fee.created` / `.refunded` events on
  the platform.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from localstripe import server
from localstripe.errors import UserError

from . import events
from ._base import (
    PLATFORM_ACCOUNT_ID,
    PLATFORM_APPLICATION_ID,
    Handler,
    RequestContext,
    StripeObject,
    context,
    created_filter,
    current_account,
    embedded_list,
    expand_param,
    format_amount,
    get,
    get_raw,
    json_response,
    list_response,
    merge_metadata,
    metadata_param,
    missing_parameter,
    now,
    objects_of,
    on_reset,
    random_id,
    read_params,
    reset_context,
    route,
    set_context,
    stripe_error,
    to_bool,
    to_int,
    unknown_parameters,
)


class Account(StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(self, account_type: str, *, onboarded: bool, **fields: Any) -> None:
        super().__init__(id=random_id("acct_", 16))
        self._stripe_account = None  # accounts belong to the platform
        self._deauthorized = False
        self.type = account_type
        self.business_type = fields.get("business_type")
        self.business_profile = {
            "name": None,
            "url": None,
            "mcc": None,
            "support_email": None,
            "product_description": None,
            **(fields.get("business_profile") or {}),
        }
        self.country = fields.get("country") or "US"
        self.default_currency = fields.get("default_currency") or "usd"
        self.email = fields.get("email")
        self.metadata = metadata_param(fields.get("metadata"))
        self.charges_enabled = onboarded
        self.payouts_enabled = onboarded
        self.details_submitted = onboarded
        self.capabilities = {"card_payments": "active" if onboarded else "inactive"}
        self.requirements = {
            "currently_due": [] if onboarded else ["business_profile.url", "external_account"],
            "disabled_reason": None if onboarded else "requirements.past_due",
        }

    def _sync_capabilities(self) -> None:
        self.capabilities = {"card_payments": "active" if self.charges_enabled else "inactive"}
        self.requirements = {
            "currently_due": [] if self.details_submitted else ["external_account"],
            "disabled_reason": None if self.charges_enabled else "requirements.past_due",
        }


class ApplicationFee(StripeObject):
    object = "application_fee"
    _id_prefix = "fee_"

    def __init__(self, charge: Any, amount: int) -> None:
        super().__init__(id=random_id("fee_", 24))
        self._stripe_account = None  # fees are the platform's
        self.account = charge._stripe_account
        self.application = PLATFORM_APPLICATION_ID
        self.amount = amount
        self.amount_refunded = 0
        self.charge = charge.id
        self.originating_transaction = charge.id
        self.currency = charge.currency
        self.balance_transaction = None
        self.refunded = False
        self._refund_ids: list[str] = []

    @property
    def refunds(self) -> dict[str, Any]:
        items = [get_raw("fee_refund", rid) for rid in reversed(self._refund_ids)]
        return embedded_list(f"/v1/application_fees/{self.id}/refunds", items)


class FeeRefund(StripeObject):
    object = "fee_refund"
    _id_prefix = "fr_"

    def __init__(self, fee: ApplicationFee, amount: int, metadata: dict[str, str]) -> None:
        super().__init__(id=random_id("fr_", 24))
        self._stripe_account = None
        self.amount = amount
        self.currency = fee.currency
        self.fee = fee.id
        self.metadata = metadata
        self.balance_transaction = None


# --- Stripe-Account and the request context ------------------------------------------------------


def _masked_key(request: web.Request) -> str:
    key = server.get_api_key(request) or ""
    return key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else key


@web.middleware
async def context_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sets who is calling (platform or connected account), the request id and API version for
    everything the request creates, and answers with a Request-Id header like Stripe."""
    ctx = RequestContext(
        request_id=random_id("req_", 14),
        idempotency_key=request.headers.get("Idempotency-Key"),
        api_version=request.headers.get("Stripe-Version") or context().api_version,
    )
    token = set_context(ctx)
    try:
        try:
            account_id = request.headers.get("Stripe-Account")
            if account_id and account_id != PLATFORM_ACCOUNT_ID and not request.path.startswith("/_config/"):
                account = get_raw("account", account_id)
                if account is None or account._deauthorized:
                    raise stripe_error(
                        403,
                        f"The provided key '{_masked_key(request)}' does not have access to account "
                        f"'{account_id}' (or that account does not exist). Application access may "
                        "have been revoked.",
                        code="account_invalid",
                    )
                ctx.account = account_id
            response = await handler(request)
        except UserError as error:
            response = error.to_response()
        if request.path.startswith(("/v1/", "/oauth/")):
            response.headers.setdefault("Request-Id", ctx.request_id or "")
            if ctx.account:
                response.headers["Stripe-Account"] = ctx.account
        return response
    finally:
        reset_context(token)


def require_platform(what: str) -> None:
    if current_account() is not None:
        raise stripe_error(
            400, f"{what} can only be performed by the platform, without the Stripe-Account header."
        )


# --- accounts ------------------------------------------------------------------------------------

ACCOUNT_CREATE_PARAMS = {
    "type",
    "country",
    "email",
    "business_type",
    "business_profile",
    "metadata",
    "default_currency",
    "capabilities",
    "controller",
    "tos_acceptance",
    "settings",
}
ACCOUNT_UPDATE_PARAMS = {
    "email",
    "business_type",
    "business_profile",
    "metadata",
    "default_currency",
    "settings",
}


def _account(account_id: str) -> Account:
    """Visible to the platform, and to the account itself (Stripe-Account equal to its id)."""
    account = get_raw("account", account_id)
    if account is None or current_account() not in (None, account_id):
        raise stripe_error(
            404 if current_account() is None else 403,
            f"No such account: '{account_id}'",
            code="resource_missing" if current_account() is None else "account_invalid",
            param="account",
        )
    if account._deauthorized:
        raise stripe_error(
            403, f"Application access to account '{account_id}' has been revoked.", code="account_invalid"
        )
    return account  # type: ignore[no-any-return]


def _platform_account() -> dict[str, Any]:
    return {
        "id": PLATFORM_ACCOUNT_ID,
        "object": "account",
        "type": "standard",
        "business_profile": {"name": "Sellout (local)"},
        "country": "US",
        "default_currency": "usd",
        "email": "platform@sellout.local",
        "charges_enabled": True,
        "payouts_enabled": True,
        "details_submitted": True,
        "livemode": False,
        "metadata": {},
    }


async def create_account(request: web.Request) -> web.Response:
    require_platform("Creating connected accounts")
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - ACCOUNT_CREATE_PARAMS)
    account_type = data.get("type")
    if account_type is None and isinstance(data.get("controller"), dict):
        account_type = (
            "standard" if data["controller"].get("stripe_dashboard", {}).get("type") == "full" else "express"
        )
    if account_type is None:
        raise missing_parameter("type")
    if account_type not in ("standard", "express", "custom"):
        raise stripe_error(400, "Invalid type: must be one of custom, express, or standard", param="type")
    if data.get("business_profile") is not None and not isinstance(data["business_profile"], dict):
        raise stripe_error(400, "Invalid hash", param="business_profile")
    account = Account(account_type, onboarded=False, **data)
    return json_response(account._export(expand=expand))


async def retrieve_account(request: web.Request) -> web.Response:
    return json_response(_account(request.match_info["id"])._export())


async def retrieve_own_account(request: web.Request) -> web.Response:
    account_id = current_account()
    return json_response(_platform_account() if account_id is None else _account(account_id)._export())


async def update_account(request: web.Request) -> web.Response:
    account = _account(request.match_info["id"])
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - ACCOUNT_UPDATE_PARAMS)
    previous: dict[str, Any] = {}
    for name, value in data.items():
        if name == "metadata":
            previous["metadata"] = dict(account.metadata)
            account.metadata = merge_metadata(account.metadata, value)
        elif name == "business_profile":
            if not isinstance(value, dict):
                raise stripe_error(400, "Invalid hash", param="business_profile")
            previous["business_profile"] = dict(account.business_profile)
            account.business_profile = {**account.business_profile, **value}
        else:
            previous[name] = getattr(account, name, None)
            setattr(account, name, value)
    events.emit("account.updated", account, account=account.id, previous_attributes=previous)
    return json_response(account._export(expand=expand))


async def list_accounts(request: web.Request) -> web.Response:
    require_platform("Listing connected accounts")
    data = await read_params(request)
    expand = expand_param(data)
    items = [a for a in objects_of("account") if not a._deauthorized]
    return list_response("/v1/accounts", items, data, expand)


async def set_account_state(request: web.Request) -> web.Response:
    """Test control standing in for Stripe-hosted onboarding: flips the account's state and
    emits `account.updated` (Connect event) with previous_attributes, like Stripe does."""
    account = get_raw("account", request.match_info["id"])
    if account is None:
        raise stripe_error(404, f"No such account: '{request.match_info['id']}'", code="resource_missing")
    data = await read_params(request)
    previous: dict[str, Any] = {}
    for name in ("charges_enabled", "payouts_enabled", "details_submitted"):
        if name in data:
            previous[name] = getattr(account, name)
            setattr(account, name, to_bool(data[name], name))
    account._sync_capabilities()
    events.emit("account.updated", account, account=account.id, previous_attributes=previous)
    return json_response(account._export())


# --- OAuth ---------------------------------------------------------------------------------------

_USED_CODES: dict[str, str] = {}


@on_reset
def _reset() -> None:
    _USED_CODES.clear()


def _oauth_error(error: str, description: str, status: int = 400) -> web.Response:
    # OAuth errors are not wrapped in {"error": {...}}: stripe-python maps `error` to
    # stripe.oauth_error.InvalidGrantError & co.
    return json_response({"error": error, "error_description": description}, status=status)


async def oauth_token(request: web.Request) -> web.Response:
    data = await read_params(request)
    grant_type = data.get("grant_type")
    code = data.get("code")
    if grant_type != "authorization_code":
        return _oauth_error("unsupported_grant_type", f"Unsupported grant type: {grant_type}")
    if not isinstance(code, str) or not code:
        return _oauth_error("invalid_request", "No authorization code provided")
    if code in _USED_CODES:
        return _oauth_error(
            "invalid_grant",
            "This authorization code has already been used. All tokens issued with this code have "
            "been revoked.",
        )
    if not code.startswith("ac_") or len(code) <= 3:
        return _oauth_error("invalid_grant", f"Invalid authorization code: {code}")
    token = set_context(RequestContext(request_id=context().request_id, api_version=context().api_version))
    try:
        account = Account("standard", onboarded=True, email=data.get("email"))
    finally:
        reset_context(token)
    _USED_CODES[code] = account.id
    return json_response(
        {
            "access_token": random_id("sk_test_", 32),
            "refresh_token": random_id("rt_", 32),
            "livemode": False,
            "scope": data.get("scope") or "read_write",
            "stripe_publishable_key": random_id("pk_test_", 32),
            "stripe_user_id": account.id,
            "token_type": "bearer",
        }
    )


async def oauth_deauthorize(request: web.Request) -> web.Response:
    data = await read_params(request)
    account = get_raw("account", str(data.get("stripe_user_id")))
    if account is None or account._deauthorized:
        return _oauth_error("invalid_client", f"No such user: {data.get('stripe_user_id')}")
    account._deauthorized = True
    application = {"id": PLATFORM_APPLICATION_ID, "object": "application", "name": "Sellout (local)"}
    events.emit("account.application.deauthorized", _Plain(application), account=account.id)
    return json_response({"stripe_user_id": account.id})


class _Plain:
    """Event data that is not a stored object (e.g. the Connect application)."""

    def __init__(self, body: dict[str, Any]) -> None:
        self._body = body

    def _export(self, expand: Any = None) -> dict[str, Any]:
        return dict(self._body)


# --- application fees ----------------------------------------------------------------------------


def validate_fee(data: dict[str, Any], amount: int) -> int | None:
    """`application_fee_amount` only makes sense on a direct charge (Stripe-Account) and may not
    exceed the amount (Stripe refuses both)."""
    if data.get("application_fee_amount") in (None, ""):
        return None
    fee = to_int(data["application_fee_amount"], "application_fee_amount", minimum=0)
    if current_account() is None:
        raise stripe_error(
            400,
            "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct "
            "payment (using an OAuth key or Stripe-Account header) or destination payment (using "
            "`transfer_data[destination]`).",
            param="application_fee_amount",
        )
    if fee > amount:
        raise stripe_error(
            400,
            f"The application fee ({fee}) cannot be greater than the amount ({amount}).",
            param="application_fee_amount",
        )
    return fee


def collect_fee(charge: Any) -> ApplicationFee | None:
    """On capture of a direct charge with a fee, the platform collects it (Stripe)."""
    if not charge.application_fee_amount:
        return None
    fee = ApplicationFee(charge, charge.application_fee_amount)
    charge.application_fee = fee.id
    events.emit("application_fee.created", fee)
    return fee


def refund_fee(fee: ApplicationFee, amount: int, metadata: dict[str, str] | None = None) -> FeeRefund | None:
    amount = min(amount, fee.amount - fee.amount_refunded)
    if amount <= 0:
        return None
    refund = FeeRefund(fee, amount, metadata or {})
    fee._refund_ids.append(refund.id)
    fee.amount_refunded += amount
    fee.refunded = fee.amount_refunded >= fee.amount
    events.emit("application_fee.refunded", fee)
    return refund


def _fee(fee_id: str) -> ApplicationFee:
    fee = get("application_fee", fee_id)
    return fee  # type: ignore[no-any-return]


async def list_fees(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    items = objects_of("application_fee")
    if "charge" in data:
        charge = data.pop("charge")
        items = [f for f in items if f.charge == charge]
    items = created_filter(items, data)
    return list_response("/v1/application_fees", items, data, expand)


async def retrieve_fee(request: web.Request) -> web.Response:
    data = await read_params(request)
    return json_response(_fee(request.match_info["id"])._export(expand=expand_param(data)))


async def create_fee_refund(request: web.Request) -> web.Response:
    fee = _fee(request.match_info["id"])
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - {"amount", "metadata"})
    remaining = fee.amount - fee.amount_refunded
    amount = to_int(data.get("amount", remaining), "amount", minimum=1)
    if remaining <= 0:
        raise stripe_error(
            400, f"Application fee {fee.id} has already been refunded.", code="charge_already_refunded"
        )
    if amount > remaining:
        raise stripe_error(
            400,
            f"Refund amount ({format_amount(amount, fee.currency)}) is greater than unrefunded amount "
            f"on fee ({format_amount(remaining, fee.currency)})",
            param="amount",
            code="amount_too_large",
        )
    refund = refund_fee(fee, amount, metadata_param(data.get("metadata")))
    assert refund is not None
    return json_response(refund._export(expand=expand))


async def list_fee_refunds(request: web.Request) -> web.Response:
    fee = _fee(request.match_info["id"])
    data = await read_params(request)
    items = [get_raw("fee_refund", rid) for rid in reversed(fee._refund_ids)]
    return list_response(f"/v1/application_fees/{fee.id}/refunds", items, data, expand_param(data))


def routes() -> None:
    route("POST", "/v1/accounts", create_account)
    route("GET", "/v1/accounts", list_accounts)
    route("GET", "/v1/accounts/{id}", retrieve_account)
    route("POST", "/v1/accounts/{id}", update_account)
    route("GET", "/v1/account", retrieve_own_account)
    route("POST", "/_config/accounts/{id}", set_account_state)
    route("POST", "/oauth/token", oauth_token)
    route("POST", "/oauth/deauthorize", oauth_deauthorize)
    route("GET", "/v1/application_fees", list_fees)
    route("GET", "/v1/application_fees/{id}", retrieve_fee)
    route("POST", "/v1/application_fees/{id}/refunds", create_fee_refund)
    route("GET", "/v1/application_fees/{id}/refunds", list_fee_refunds)


__all__ = ["Account", "ApplicationFee", "FeeRefund", "context_middleware", "now"]
