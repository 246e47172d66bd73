"""Saved cards: SetupIntents, PaymentMethods attached to Customers, and legacy customer sources,
replacing localstripe's versions of these routes where they differ from Stripe.

What is mirrored from Stripe:
- `POST /v1/setup_intents` (customer, usage, payment_method_types, metadata, description,
  payment_method, confirm), `GET /v1/setup_intents[/{id}]`, `POST .../{id}/confirm` (also with
  the publishable key and client_secret, as Stripe.js does), `POST .../{id}/cancel`.
  Confirming a SetupIntent that names a customer attaches the PaymentMethod to it (Stripe does;
  localstripe does not). A card declined at setup leaves the intent in requires_payment_method
  with `last_setup_error` and answers 402 card_error; a card needing authentication answers
  requires_action. Events: setup_intent.created / .succeeded / .setup_failed / .requires_action
  / .canceled, payment_method.attached / .detached.
- `POST /v1/payment_methods/{id}/attach` (customer): a PaymentMethod already attached to
  another customer is refused (400), attaching it again to the same customer answers it as it
  is; cards that Stripe declines on attach answer 402 card_declined.
  `POST /v1/payment_methods/{id}/detach`: refused (400) when not attached.
- `GET /v1/payment_methods/{id}` and `GET /v1/payment_methods?customer=&type=card`,
  `GET /v1/customers/{id}/payment_methods`: legacy card sources (`card_...`) show up as card
  PaymentMethods, as on Stripe ("saved compatible payment instruments").
- `POST /v1/customers/{id}/sources` (source = a test token `tok_visa`..., or a created token,
  single use), `DELETE /v1/customers/{id}/sources/{card_id}`: only the customer's own card;
  the default source moves to the next card. Events customer.source.created / .deleted.
- `POST /v1/payment_methods` with `payment_method` (and `customer`) under a Stripe-Account
  header clones a platform card onto that connected account (Connect's "share payment methods
  across accounts"): a new `pm_` owned by the connected account, same card (number, expiry,
  fingerprint, billing details), attached to no customer. The source is looked up on the
  platform; a card attached to a customer needs that customer's id, a wrong or missing one is
  a 400; an unknown card or customer a 404. Without `payment_method` the request creates a
  PaymentMethod as localstripe does.
- `POST /v1/ephemeral_keys` (customer) needs a Stripe-Version header, like Stripe; the key
  (`ephkey_...`, secret `ek_test_...`) expires after an hour. `DELETE /v1/ephemeral_keys/{id}`
  expires it at once. The fake does not accept `ek_` secrets as API keys.
- Everything is scoped to the account it was created on (Stripe-Account header), like the rest
  of the fake (_base.visible).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from localstripe import resources

from . import cards, events
from ._base import (
    StripeObject,
    current_account,
    expand_param,
    get,
    get_raw,
    json_response,
    list_response,
    metadata_param,
    missing_parameter,
    now,
    objects_of,
    random_id,
    read_params,
    resource_missing,
    route,
    stripe_error,
    to_bool,
    to_int,
    unknown_parameters,
)

# Cards Stripe declines when they are saved (a SetupIntent's zero-amount check, or attach);
# 4000000000000341 (chargeCustomerFail) saves fine and fails only when charged.
DECLINED_ON_SAVE = {
    number: decline for number, decline in cards.DECLINES.items() if number != "4000000000000341"
}
# Cards whose setup needs 3-D Secure (authenticationRequiredOnSetup and the always-3DS cards).
AUTHENTICATION_ON_SAVE = cards.AUTHENTICATION_REQUIRED - {"4000008260003178"}


class SetupIntent(StripeObject):
    object = "setup_intent"
    _id_prefix = "seti_"

    def __init__(self, **fields: Any) -> None:
        super().__init__(id=random_id("seti_", 24))
        self.client_secret = f"{self.id}_secret_{random_id('', 25)}"
        self.customer: str | None = fields.get("customer")
        self.description: str | None = fields.get("description")
        self.usage: str = fields.get("usage") or "off_session"
        self.payment_method_types: list[str] = fields.get("payment_method_types") or ["card"]
        self.metadata: dict[str, str] = fields.get("metadata") or {}
        self.payment_method: str | None = fields.get("payment_method")
        self.status = "requires_confirmation" if self.payment_method else "requires_payment_method"
        self.next_action: dict[str, Any] | None = None
        self.last_setup_error: dict[str, Any] | None = None
        self.cancellation_reason: str | None = None
        self.latest_attempt: str | None = None
        self.mandate = None
        self.single_use_mandate = None
        self.on_behalf_of = None
        self.application = None


def _customer_id(value: Any) -> str | None:
    if value in (None, ""):
        return None
    return str(get("customer", value, param="customer").id)


def _instrument(pm_id: Any, param: str = "payment_method") -> Any:
    """A pm_/card_ id (or canonical pm_card_<name>) visible on this account, else 404."""
    if not isinstance(pm_id, str) or not pm_id.startswith(("pm_", "card_")):
        raise stripe_error(404, f"No such PaymentMethod: '{pm_id}'", code="resource_missing", param=param)
    try:
        return resources.PaymentMethod._api_retrieve(pm_id)
    except Exception:  # localstripe's UserError or ours: answer Stripe's 404
        raise stripe_error(
            404, f"No such PaymentMethod: '{pm_id}'", code="resource_missing", param=param
        ) from None


def render_payment_method(instrument: Any) -> dict[str, Any]:
    """A PaymentMethod as Stripe renders it, whether stored as a PaymentMethod or a legacy Card."""
    common = {
        "id": instrument.id,
        "object": "payment_method",
        "billing_details": dict(getattr(instrument, "billing_details", None) or {}),
        "customer": getattr(instrument, "customer", None),
        "created": instrument.created,
        "livemode": False,
        "metadata": dict(getattr(instrument, "metadata", None) or {}),
    }
    if getattr(instrument, "type", None) == "card_present":  # tapped on a Terminal reader
        return {**common, "type": "card_present", "card_present": dict(instrument.card_present)}
    details = cards.payment_method_details(instrument)["card"]
    details.pop("checks", None)
    details["exp_month"] = int(details["exp_month"])
    details["exp_year"] = int(details["exp_year"])
    card = getattr(instrument, "card", None)  # a PaymentMethod's card hash; a legacy Card has none
    details["fingerprint"] = card.get("fingerprint") if isinstance(card, dict) else instrument.fingerprint
    return {**common, "type": "card", "card": details}


class _Rendered:
    """Event payload for an instrument rendered as a PaymentMethod."""

    def __init__(self, instrument: Any) -> None:
        self._stripe_account = getattr(instrument, "_stripe_account", None)
        self._body = render_payment_method(instrument)

    def _export(self, expand: Any = None) -> dict[str, Any]:
        return dict(self._body)


def _attach(pm: Any, customer: str) -> None:
    """Stripe's attach rules (shared by attach and a confirmed SetupIntent)."""
    if getattr(pm, "customer", None) not in (None, customer):
        raise stripe_error(
            400,
            "The payment method you provided has already been attached to a customer.",
            param="payment_method",
        )
    if pm.customer == customer:
        return
    decline = DECLINED_ON_SAVE.get(cards.card_number(pm))
    if decline is not None:
        extra = {"decline_code": decline.decline_code} if decline.decline_code else {}
        raise stripe_error(402, decline.message, type="card_error", code=decline.code, **extra)
    pm.customer = customer
    events.emit("payment_method.attached", _Rendered(pm))


# --- SetupIntents --------------------------------------------------------------------------------

SI_CREATE_PARAMS = {
    "customer",
    "description",
    "usage",
    "payment_method_types",
    "automatic_payment_methods",
    "metadata",
    "payment_method",
    "confirm",
    "return_url",
    "use_stripe_sdk",
}
SI_CONFIRM_PARAMS = {"payment_method", "return_url", "use_stripe_sdk", "mandate_data", "key"}


async def create_setup_intent(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - SI_CREATE_PARAMS)
    usage = data.get("usage") or "off_session"
    if usage not in ("off_session", "on_session"):
        raise stripe_error(400, f"Invalid usage: {usage}", param="usage")
    types = data.get("payment_method_types")
    if types is not None and (not isinstance(types, list) or not types):
        raise stripe_error(400, "Invalid array", param="payment_method_types")
    payment_method = _instrument(data["payment_method"]).id if data.get("payment_method") else None
    intent = SetupIntent(
        customer=_customer_id(data.get("customer")),
        description=data.get("description"),
        usage=usage,
        payment_method_types=[str(t) for t in types] if types else None,
        metadata=metadata_param(data.get("metadata")),
        payment_method=payment_method,
    )
    events.emit("setup_intent.created", intent)
    if to_bool(data.get("confirm", False), "confirm"):
        _confirm(intent, data)
    return json_response(intent._export(expand=expand))


def _confirm(intent: SetupIntent, data: dict[str, Any]) -> None:
    if data.get("payment_method"):
        intent.payment_method = _instrument(data["payment_method"]).id
    if not intent.payment_method:
        raise stripe_error(
            400,
            "You cannot confirm this SetupIntent because it's missing a payment method. Update the "
            "SetupIntent with a payment method and then confirm it again.",
            code="setup_intent_unexpected_state",
        )
    pm = _instrument(intent.payment_method)
    number = cards.card_number(pm)
    intent.last_setup_error = None
    decline = DECLINED_ON_SAVE.get(number)
    if decline is not None:
        intent.status = "requires_payment_method"
        intent.last_setup_error = {
            "type": "card_error",
            "code": decline.code,
            "decline_code": decline.decline_code,
            "message": decline.message,
            "payment_method": render_payment_method(pm),
        }
        intent.payment_method = None
        events.emit("setup_intent.setup_failed", intent)
        raise stripe_error(
            402,
            decline.message,
            type="card_error",
            code=decline.code,
            decline_code=decline.decline_code,
            setup_intent=intent._export(),
        )
    if number in AUTHENTICATION_ON_SAVE:
        intent.status = "requires_action"
        intent.next_action = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": ""},
        }
        events.emit("setup_intent.requires_action", intent)
        return
    if intent.customer:
        _attach(pm, intent.customer)
    intent.status = "succeeded"
    intent.next_action = None
    events.emit("setup_intent.succeeded", intent)


def _setup_intent(request: web.Request) -> SetupIntent:
    return get("setup_intent", request.match_info["id"], param="intent")  # type: ignore[no-any-return]


def _check_client_secret(intent: SetupIntent, data: dict[str, Any]) -> None:
    """Stripe.js sends the publishable key with the intent's client secret; a wrong secret is
    refused. A secret-key request needs none."""
    secret = data.pop("client_secret", None)
    if secret is not None and secret != intent.client_secret:
        raise stripe_error(
            400,
            "The client_secret provided does not match the client_secret associated with the SetupIntent.",
            param="client_secret",
        )


async def retrieve_setup_intent(request: web.Request) -> web.Response:
    intent = _setup_intent(request)
    data = await read_params(request)
    expand = expand_param(data)
    _check_client_secret(intent, data)
    data.pop("key", None)
    unknown_parameters(data)
    return json_response(intent._export(expand=expand))


async def list_setup_intents(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    items = objects_of("setup_intent")
    for name in ("customer", "payment_method"):
        if name in data:
            value = data.pop(name)
            items = [i for i in items if getattr(i, name) == value]
    return list_response("/v1/setup_intents", items, data, expand)


async def confirm_setup_intent(request: web.Request) -> web.Response:
    intent = _setup_intent(request)
    data = await read_params(request)
    expand = expand_param(data)
    _check_client_secret(intent, data)
    unknown_parameters(set(data) - SI_CONFIRM_PARAMS)
    if intent.status not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise stripe_error(
            400,
            f"This SetupIntent could not be confirmed because it has a status of {intent.status}.",
            code="setup_intent_unexpected_state",
            setup_intent=intent._export(),
        )
    _confirm(intent, data)
    return json_response(intent._export(expand=expand))


async def cancel_setup_intent(request: web.Request) -> web.Response:
    intent = _setup_intent(request)
    data = await read_params(request)
    expand = expand_param(data)
    _check_client_secret(intent, data)
    data.pop("key", None)
    unknown_parameters(set(data) - {"cancellation_reason"})
    if intent.status in ("succeeded", "canceled", "processing"):
        raise stripe_error(
            400,
            f"This SetupIntent could not be canceled because it has a status of {intent.status}.",
            code="setup_intent_unexpected_state",
        )
    intent.status = "canceled"
    intent.cancellation_reason = data.get("cancellation_reason")
    intent.next_action = None
    events.emit("setup_intent.canceled", intent)
    return json_response(intent._export(expand=expand))


# --- PaymentMethods of a customer ----------------------------------------------------------------


async def retrieve_payment_method(request: web.Request) -> web.Response:
    data = await read_params(request)
    data.pop("expand", None)
    unknown_parameters(data)
    return json_response(render_payment_method(_instrument(request.match_info["id"], "payment_method")))


async def attach_payment_method(request: web.Request) -> web.Response:
    data = await read_params(request)
    data.pop("expand", None)
    unknown_parameters(set(data) - {"customer"})
    if not data.get("customer"):
        raise missing_parameter("customer")
    pm = _instrument(request.match_info["id"], "payment_method")
    customer = _customer_id(data["customer"])
    assert customer is not None
    _attach(pm, customer)
    return json_response(render_payment_method(pm))


async def detach_payment_method(request: web.Request) -> web.Response:
    data = await read_params(request)
    data.pop("expand", None)
    unknown_parameters(data)
    pm = _instrument(request.match_info["id"], "payment_method")
    if not getattr(pm, "customer", None):
        raise stripe_error(
            400,
            "The payment method you provided is not attached to a customer so detachment is impossible.",
            param="payment_method",
        )
    if isinstance(pm, resources.Card):
        _remove_card(get("customer", pm.customer), pm)
    else:
        pm.customer = None
    events.emit("payment_method.detached", _Rendered(pm))
    return json_response(render_payment_method(pm))


def _saved_instruments(customer: Any, card_type: Any) -> list[Any]:
    """The customer's card PaymentMethods and legacy cards, newest first."""
    if card_type not in (None, "card"):
        return []
    methods = [pm for pm in objects_of("payment_method") if pm.customer == customer.id and pm.type == "card"]
    legacy = [s for s in reversed(customer.sources._list) if isinstance(s, resources.Card)]
    return sorted([*methods, *legacy], key=lambda pm: pm.created, reverse=True)


def _list_of(url: str, customer: Any, data: dict[str, Any]) -> web.Response:
    data.pop("expand", None)
    items = _saved_instruments(customer, data.pop("type", None))
    limit = to_int(data.pop("limit", 10), "limit", minimum=1)
    data.pop("starting_after", None)  # one page is all a customer's cards ever need here
    unknown_parameters(data)
    return json_response(
        {
            "object": "list",
            "url": url,
            "has_more": len(items) > limit,
            "data": [render_payment_method(pm) for pm in items[:limit]],
        }
    )


async def list_payment_methods(request: web.Request) -> web.Response:
    data = await read_params(request)
    if not data.get("customer"):
        raise missing_parameter("customer")
    customer = get("customer", data.pop("customer"), param="customer")
    return _list_of("/v1/payment_methods", customer, data)


async def list_customer_payment_methods(request: web.Request) -> web.Response:
    data = await read_params(request)
    customer = get("customer", request.match_info["id"], param="customer")
    return _list_of(f"/v1/customers/{customer.id}/payment_methods", customer, data)


# --- PaymentMethods cloned onto a connected account ---------------------------------------------

PM_CLONE_PARAMS = {"payment_method", "customer", "metadata"}


def _platform_card(pm_id: Any) -> Any:
    """The card to clone, looked up on the platform: the request runs as the connected account,
    which cannot see it. Canonical `pm_card_*` ids are not stored cards and cannot be cloned."""
    if isinstance(pm_id, str) and pm_id.startswith(("pm_", "card_")):
        found = get_raw("card" if pm_id.startswith("card_") else "payment_method", pm_id)
        on_platform = found is not None and getattr(found, "_stripe_account", None) is None
        if on_platform and getattr(found, "type", "card") == "card":
            return found
    raise stripe_error(
        404, f"No such PaymentMethod: '{pm_id}'", code="resource_missing", param="payment_method"
    )


def _platform_customer(customer_id: Any) -> str | None:
    if customer_id in (None, ""):
        return None
    found = get_raw("customer", str(customer_id))
    if found is None or getattr(found, "_stripe_account", None) is not None:
        raise resource_missing("customer", str(customer_id), "customer")
    return str(found.id)


def _clone(data: dict[str, Any]) -> Any:
    """Stripe's clone: a new PaymentMethod on the calling connected account with the same card,
    attached to no customer there."""
    unknown_parameters(set(data) - PM_CLONE_PARAMS)
    if current_account() is None:
        raise stripe_error(
            400,
            "A PaymentMethod can only be cloned onto a connected account: send the Stripe-Account header.",
            param="payment_method",
        )
    source = _platform_card(data["payment_method"])
    customer = _platform_customer(data.get("customer"))
    owner = getattr(source, "customer", None)
    if owner and customer is None:
        raise missing_parameter("customer")
    if customer is not None and owner != customer:
        raise stripe_error(
            400,
            f"The customer {customer} does not have a payment method with the ID {source.id}. "
            "The payment method must be attached to the customer.",
            param="payment_method",
        )
    details = cards.payment_method_details(source)["card"]
    clone = resources.PaymentMethod(
        type="card",
        card={"number": cards.card_number(source), "exp_month": str(details["exp_month"]),
              "exp_year": str(details["exp_year"]), "cvc": "123"},
        billing_details=dict(getattr(source, "billing_details", None) or {}),
        metadata=metadata_param(data.get("metadata")),
    )  # fmt: skip
    clone.card.update(brand=details["brand"], country=details["country"], display_brand=details["brand"])
    return clone


async def create_payment_method(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    if data.get("payment_method"):
        return json_response(render_payment_method(_clone(data)))
    # A new card (Stripe.js's createPaymentMethod with raw test details): localstripe's own rules.
    return json_response(resources.PaymentMethod._api_create(**data)._export(expand=expand))


# --- ephemeral keys -------------------------------------------------------------------------------

EPHEMERAL_KEY_SECONDS = 3600


class EphemeralKey(StripeObject):
    object = "ephemeral_key"
    _id_prefix = "ephkey_"

    def __init__(self, customer: str) -> None:
        super().__init__(id=random_id("ephkey_", 24))
        self.associated_objects = [{"id": customer, "type": "customer"}]
        self.expires = self.created + EPHEMERAL_KEY_SECONDS
        self.secret = "ek_test_" + random_id("", 64)


async def create_ephemeral_key(request: web.Request) -> web.Response:
    data = await read_params(request)
    data.pop("expand", None)
    unknown_parameters(set(data) - {"customer", "issuing_card", "nonce", "verification_session"})
    if not request.headers.get("Stripe-Version"):
        raise stripe_error(400, "Stripe-Version header is required to create an ephemeral key.")
    if set(data) - {"customer"}:
        raise stripe_error(
            400, "Only customer ephemeral keys are supported by the local fake.", param=sorted(data)[0]
        )
    if not data.get("customer"):
        raise missing_parameter("customer")
    customer = get("customer", data["customer"], param="customer")  # 404 unless on this account
    return json_response(EphemeralKey(str(customer.id))._export())


async def delete_ephemeral_key(request: web.Request) -> web.Response:
    key: EphemeralKey = get("ephemeral_key", request.match_info["id"], param="key")
    key.expires = now()
    body = key._export()
    body.pop("secret", None)
    return json_response(body)


# --- legacy sources ------------------------------------------------------------------------------


async def add_source(request: web.Request) -> web.Response:
    customer = get("customer", request.match_info["id"], param="customer")
    data = await read_params(request)
    data.pop("expand", None)
    unknown_parameters(set(data) - {"source", "metadata", "validate"})
    if not data.get("source"):
        raise missing_parameter("source")
    card = cards.resolve_source(data["source"])
    if not isinstance(card, resources.Card):
        raise stripe_error(400, "Only card tokens can be saved as a source here.", param="source")
    decline = DECLINED_ON_SAVE.get(cards.card_number(card))
    if decline is not None:
        extra = {"decline_code": decline.decline_code} if decline.decline_code else {}
        raise stripe_error(402, decline.message, type="card_error", code=decline.code, **extra)
    card.customer = customer.id
    card.metadata = metadata_param(data.get("metadata"))
    customer.sources._list.append(card)
    if customer.default_source is None:
        customer.default_source = card.id
    events.emit("customer.source.created", card)
    return json_response(card._export())


def _remove_card(customer: Any, card: Any) -> None:
    customer.sources._list.remove(card)
    if customer.default_source == card.id:
        customer.default_source = customer.sources._list[0].id if customer.sources._list else None
    card.customer = None


async def delete_source(request: web.Request) -> web.Response:
    customer = get("customer", request.match_info["id"], param="customer")
    source_id = request.match_info["source_id"]
    card = next((s for s in customer.sources._list if s.id == source_id), None)
    if card is None:
        raise stripe_error(404, f"No such source: '{source_id}'", code="resource_missing", param="id")
    _remove_card(customer, card)
    events.emit("customer.source.deleted", card)
    return json_response({"id": card.id, "object": "card", "deleted": True, "customer": customer.id})


def routes() -> None:
    route("POST", "/v1/setup_intents", create_setup_intent)
    route("GET", "/v1/setup_intents", list_setup_intents)
    route("GET", "/v1/setup_intents/{id}", retrieve_setup_intent)
    route("POST", "/v1/setup_intents/{id}/confirm", confirm_setup_intent)
    route("POST", "/v1/setup_intents/{id}/cancel", cancel_setup_intent)
    route("POST", "/v1/payment_methods", create_payment_method)
    route("GET", "/v1/payment_methods", list_payment_methods)
    route("GET", "/v1/payment_methods/{id}", retrieve_payment_method)
    route("POST", "/v1/payment_methods/{id}/attach", attach_payment_method)
    route("POST", "/v1/payment_methods/{id}/detach", detach_payment_method)
    route("GET", "/v1/customers/{id}/payment_methods", list_customer_payment_methods)
    route("POST", "/v1/customers/{id}/sources", add_source)
    route("DELETE", "/v1/customers/{id}/sources/{source_id}", delete_source)
    route("POST", "/v1/ephemeral_keys", create_ephemeral_key)
    route("DELETE", "/v1/ephemeral_keys/{id}", delete_ephemeral_key)


__all__ = ["EphemeralKey", "SetupIntent", "render_payment_method", "routes"]
