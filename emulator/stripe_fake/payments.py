"""PaymentIntents and Charges (including legacy `POST /v1/charges`), replacing localstripe's.

What is mirrored from Stripe:
- PaymentIntent states: requires_payment_method -> requires_confirmation -> (requires_action)
  -> requires_capture (capture_method=manual) or succeeded; canceled. A decline leaves it in
  requires_payment_method with `last_payment_error`, `payment_method` null, and answers 402
  card_error (with `payment_intent` in the error body); off-session confirmation of a card that
  needs authentication is declined with `authentication_required`.
- Events: payment_intent.created, .requires_action, .amount_capturable_updated, .succeeded,
  .payment_failed, .canceled; charge.succeeded (also on authorisation, with captured=false, as
  Stripe does), charge.captured, charge.failed, charge.refunded (cancel releases an authorised
  charge: it becomes refunded).
- `latest_charge` (expandable), `amount_capturable`, `amount_received`, metadata (merge on update,
  "" deletes), `payment_method_types` / `automatic_payment_methods` (mutually exclusive).
- Partial capture (`amount_to_capture`) releases the rest: it shows as refunded on the charge,
  so what can be refunded later is what was captured.
- Connect direct charges: objects live on the Stripe-Account; `application_fee_amount` (only
  with Stripe-Account, ≤ amount, overridable at capture) becomes an ApplicationFee on the
  platform when the charge is captured; the charge carries `application_fee(_amount)`.
- Unknown parameters are refused (`parameter_unknown`), like Stripe.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from localstripe import resources

from . import cards, connect, disputes, events, refunds
from ._base import (
    PLATFORM_APPLICATION_ID,
    StripeObject,
    created_filter,
    current_account,
    expand_param,
    format_amount,
    get,
    json_response,
    list_response,
    merge_metadata,
    metadata_param,
    missing_parameter,
    now,
    objects_of,
    random_id,
    read_params,
    route,
    stripe_error,
    to_bool,
    to_int,
    unknown_parameters,
)

MINIMUM_AMOUNTS = {"usd": 50, "eur": 50, "cad": 50, "aud": 50, "chf": 50, "gbp": 30}
MAXIMUM_AMOUNT = 99_999_999


class Charge(StripeObject):
    object = "charge"
    _id_prefix = "ch_"

    def __init__(
        self,
        *,
        amount: int,
        currency: str,
        instrument: Any,
        customer: str | None,
        description: str | None,
        metadata: dict[str, str],
        payment_intent: str | None = None,
        application_fee_amount: int | None = None,
        legacy_source: bool = False,
        **fields: Any,
    ) -> None:
        super().__init__(id=random_id("ch_", 24))
        self._card_number = cards.card_number(instrument)
        self._refund_ids: list[str] = []
        self.amount = amount
        self.amount_captured = 0
        self.captured = False
        self.currency = currency
        self.customer = customer
        self.description = description
        self.metadata = metadata
        self.payment_intent = payment_intent
        self.payment_method = instrument.id
        self.payment_method_details = cards.payment_method_details(instrument)
        # Legacy charges show the card they were made with (`source`); PaymentIntent charges don't.
        self.source = instrument._export() if legacy_source else None
        self.billing_details = dict(getattr(instrument, "billing_details", None) or {})
        self.application = PLATFORM_APPLICATION_ID if self._stripe_account else None
        self.application_fee = None
        self.application_fee_amount = application_fee_amount
        self.balance_transaction = None
        self.status = "pending"
        self.failure_code = None
        self.failure_message = None
        self.outcome: dict[str, Any] | None = None
        self.disputed = False
        self.receipt_email = fields.get("receipt_email")
        self.statement_descriptor = fields.get("statement_descriptor")
        self.statement_descriptor_suffix = fields.get("statement_descriptor_suffix")
        self.transfer_group = fields.get("transfer_group")
        self.on_behalf_of = fields.get("on_behalf_of")
        self.shipping = fields.get("shipping")

    @property
    def paid(self) -> bool:
        return self.status == "succeeded"

    @property
    def amount_refunded(self) -> int:
        return refunds.refunded_amount(self)

    @property
    def refunded(self) -> bool:
        return self.amount > 0 and self.amount_refunded >= self.amount

    @property
    def refunds(self) -> dict[str, Any]:
        return refunds.embedded(self)


class PaymentIntent(StripeObject):
    object = "payment_intent"
    _id_prefix = "pi_"

    def __init__(self, **fields: Any) -> None:
        super().__init__(id=random_id("pi_", 24))
        self._authenticated = False
        self.amount: int = fields["amount"]
        self.currency: str = fields["currency"]
        self.amount_capturable = 0
        self.amount_received = 0
        self.application = PLATFORM_APPLICATION_ID if self._stripe_account else None
        self.application_fee_amount: int | None = fields.get("application_fee_amount")
        self.automatic_payment_methods = fields.get("automatic_payment_methods")
        self.payment_method_types: list[str] = fields.get("payment_method_types") or ["card"]
        self.canceled_at: int | None = None
        self.cancellation_reason: str | None = None
        self.capture_method: str = fields.get("capture_method") or "automatic_async"
        self.confirmation_method: str = fields.get("confirmation_method") or "automatic"
        self.client_secret = f"{self.id}_secret_{random_id('', 25)}"
        self.customer: str | None = fields.get("customer")
        self.description: str | None = fields.get("description")
        self.last_payment_error: dict[str, Any] | None = None
        self.latest_charge: str | None = None
        self.metadata: dict[str, str] = fields.get("metadata") or {}
        self.next_action: dict[str, Any] | None = None
        self.on_behalf_of = fields.get("on_behalf_of")
        self.payment_method: str | None = fields.get("payment_method")
        self.payment_method_options = fields.get("payment_method_options") or {}
        self.receipt_email = fields.get("receipt_email")
        self.setup_future_usage = fields.get("setup_future_usage")
        self.shipping = fields.get("shipping")
        self.statement_descriptor = fields.get("statement_descriptor")
        self.statement_descriptor_suffix = fields.get("statement_descriptor_suffix")
        self.transfer_data = None
        self.transfer_group = fields.get("transfer_group")
        self.status = "requires_confirmation" if self.payment_method else "requires_payment_method"


# --- shared charge flow --------------------------------------------------------------------------


def _decline_error(decline: cards.Decline, charge: Charge, intent: PaymentIntent | None = None) -> Exception:
    extra: dict[str, Any] = {"charge": charge.id}
    if decline.decline_code:
        extra["decline_code"] = decline.decline_code
    if intent is not None:
        extra["payment_intent"] = intent._export()
        if intent.last_payment_error:
            extra["payment_method"] = intent.last_payment_error.get("payment_method")
    return stripe_error(402, decline.message, type="card_error", code=decline.code, **extra)


def _authorize(charge: Charge, decline: cards.Decline | None) -> None:
    """The issuer's answer. A declined charge is `failed` and emits charge.failed."""
    if decline is not None:
        charge.status = "failed"
        charge.failure_code = decline.code
        charge.failure_message = decline.message
        charge.outcome = {
            "network_status": "declined_by_network",
            "reason": decline.decline_code,
            "risk_level": "normal",
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined",
        }
        events.emit("charge.failed", charge)
        return
    charge.status = "succeeded"
    charge.outcome = {
        "network_status": "approved_by_network",
        "reason": None,
        "risk_level": "normal",
        "seller_message": "Payment complete.",
        "type": "authorized",
    }


def _capture(charge: Charge, amount: int, fee_amount: int | None) -> None:
    """Money moves: balance transaction, release of any uncaptured rest, application fee."""
    charge.captured = True
    charge.amount_captured = amount
    txn = resources.BalanceTransaction(
        amount=amount,
        currency=charge.currency,
        description=charge.description,
        exchange_rate=1.0,
        reporting_category="charge",
        source=charge.id,
        type="charge",
    )
    charge.balance_transaction = txn.id
    if amount < charge.amount:
        refunds.release(charge, charge.amount - amount, emit=False)
    charge.application_fee_amount = fee_amount
    connect.collect_fee(charge)


def _after_capture(charge: Charge) -> None:
    """Test cards whose story continues after the money moved (createDispute)."""
    disputes.maybe_open(charge)


def _capture_fee(data: dict[str, Any], default: int | None, amount: int) -> int | None:
    for name in ("application_fee_amount", "application_fee"):
        if data.get(name) not in (None, ""):
            return connect.validate_fee({"application_fee_amount": data[name]}, amount)
    if default is not None and default > amount:
        raise stripe_error(
            400,
            f"The application fee ({default}) cannot be greater than the captured amount ({amount}).",
            param="application_fee_amount",
        )
    return default


def _validate_amount(data: dict[str, Any]) -> tuple[int, str]:
    if "amount" not in data:
        raise missing_parameter("amount")
    if "currency" not in data:
        raise missing_parameter("currency")
    amount = to_int(data["amount"], "amount", minimum=1)
    currency = str(data["currency"]).lower()
    if len(currency) != 3 or not currency.isalpha():
        raise stripe_error(400, f"Invalid currency: {data['currency']}.", param="currency")
    minimum = MINIMUM_AMOUNTS.get(currency)
    if minimum is not None and amount < minimum:
        raise stripe_error(
            400,
            f"Amount must be at least {format_amount(minimum, currency)} {currency}",
            code="amount_too_small",
            param="amount",
        )
    if amount > MAXIMUM_AMOUNT:
        raise stripe_error(
            400, "Amount must be no more than $999,999.99", code="amount_too_large", param="amount"
        )
    return amount, currency


def _customer(value: Any) -> str | None:
    if value in (None, ""):
        return None
    customer = get("customer", value, param="customer")  # 404 unless on the same account
    return str(customer.id)


# --- PaymentIntents ------------------------------------------------------------------------------

PI_CREATE_PARAMS = {
    "amount",
    "currency",
    "application_fee_amount",
    "automatic_payment_methods",
    "capture_method",
    "confirm",
    "confirmation_method",
    "customer",
    "description",
    "error_on_requires_action",
    "mandate_data",
    "metadata",
    "off_session",
    "on_behalf_of",
    "payment_method",
    "payment_method_configuration",
    "payment_method_options",
    "payment_method_types",
    "radar_options",
    "receipt_email",
    "return_url",
    "setup_future_usage",
    "shipping",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "transfer_data",
    "transfer_group",
    "use_stripe_sdk",
}
PI_CONFIRM_PARAMS = {
    "payment_method",
    "return_url",
    "off_session",
    "receipt_email",
    "setup_future_usage",
    "payment_method_options",
    "payment_method_types",
    "error_on_requires_action",
    "mandate_data",
    "use_stripe_sdk",
    "shipping",
    "capture_method",
    "radar_options",
}
PRE_CONFIRMATION = ("requires_payment_method", "requires_confirmation", "requires_action")
ALWAYS_UPDATABLE = {"metadata", "description", "receipt_email", "shipping"}
PI_UPDATE_PARAMS = ALWAYS_UPDATABLE | {
    "amount",
    "currency",
    "customer",
    "payment_method",
    "payment_method_types",
    "payment_method_options",
    "setup_future_usage",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "application_fee_amount",
    "capture_method",
    "transfer_group",
}


def _unexpected_state(intent: PaymentIntent, action: str, allowed: tuple[str, ...]) -> Exception:
    return stripe_error(
        400,
        f"This PaymentIntent could not be {action} because it has a status of {intent.status}. "
        f"Only a PaymentIntent with one of the following statuses may be {action}: {', '.join(allowed)}.",
        code="payment_intent_unexpected_state",
        payment_intent=intent._export(),
    )


def _payment_method_types(data: dict[str, Any]) -> tuple[list[str] | None, dict[str, Any] | None]:
    types, automatic = data.get("payment_method_types"), data.get("automatic_payment_methods")
    if types is not None and automatic is not None:
        raise stripe_error(
            400,
            "You may only specify one of these parameters: automatic_payment_methods, payment_method_types.",
            param="automatic_payment_methods",
        )
    if types is not None:
        if not isinstance(types, list) or not types:
            raise stripe_error(400, "Invalid array", param="payment_method_types")
        return [str(t) for t in types], None
    if automatic is not None:
        if not isinstance(automatic, dict) or "enabled" not in automatic:
            raise missing_parameter("automatic_payment_methods[enabled]")
        enabled = to_bool(automatic["enabled"], "automatic_payment_methods[enabled]")
        return ["card"], {"enabled": enabled, "allow_redirects": automatic.get("allow_redirects", "always")}
    # Stripe's default since API 2023-08-16: automatic payment methods (cards, here).
    return ["card"], {"enabled": True, "allow_redirects": "always"}


async def create_payment_intent(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - PI_CREATE_PARAMS)
    amount, currency = _validate_amount(data)
    if data.get("transfer_data"):
        raise stripe_error(
            400,
            "transfer_data (destination charges) is not supported by the local fake.",
            param="transfer_data",
        )
    capture_method = data.get("capture_method") or "automatic_async"
    if capture_method not in ("automatic", "automatic_async", "manual"):
        raise stripe_error(400, f"Invalid capture_method: {capture_method}", param="capture_method")
    confirm = to_bool(data.get("confirm", False), "confirm")
    off_session = data.get("off_session")
    if off_session is not None and not confirm:
        raise stripe_error(400, "off_session can only be used when confirm=true.", param="off_session")
    if data.get("return_url") and not confirm:
        raise stripe_error(400, "return_url can only be used when confirm=true.", param="return_url")
    types, automatic = _payment_method_types(data)
    fee = connect.validate_fee(data, amount)
    payment_method = None
    if data.get("payment_method"):
        payment_method = cards.resolve_payment_method(data["payment_method"]).id
    intent = PaymentIntent(
        amount=amount,
        currency=currency,
        application_fee_amount=fee,
        automatic_payment_methods=automatic,
        payment_method_types=types,
        capture_method=capture_method,
        confirmation_method=data.get("confirmation_method"),
        customer=_customer(data.get("customer")),
        description=data.get("description"),
        metadata=metadata_param(data.get("metadata")),
        on_behalf_of=data.get("on_behalf_of"),
        payment_method=payment_method,
        payment_method_options=data.get("payment_method_options"),
        receipt_email=data.get("receipt_email"),
        setup_future_usage=data.get("setup_future_usage"),
        shipping=data.get("shipping"),
        statement_descriptor=data.get("statement_descriptor"),
        statement_descriptor_suffix=data.get("statement_descriptor_suffix"),
        transfer_group=data.get("transfer_group"),
    )
    events.emit("payment_intent.created", intent)
    if confirm:
        _confirm(intent, data)
    return json_response(intent._export(expand=expand))


def _confirm(intent: PaymentIntent, data: dict[str, Any]) -> None:
    if data.get("payment_method"):
        intent.payment_method = cards.resolve_payment_method(data["payment_method"]).id
    if data.get("capture_method"):
        intent.capture_method = data["capture_method"]
    if data.get("receipt_email"):
        intent.receipt_email = data["receipt_email"]
    if not intent.payment_method:
        raise stripe_error(
            400,
            "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm "
            "the PaymentIntent with a payment method, pass payment_method.",
            code="payment_intent_unexpected_state",
        )
    off_session = to_bool(data.get("off_session", False), "off_session") if data.get("off_session") else False
    pm = cards.resolve_payment_method(intent.payment_method)
    intent.last_payment_error = None
    if cards.card_number(pm) in cards.AUTHENTICATION_REQUIRED and not intent._authenticated:
        if off_session:
            # Stripe: a card that needs authentication cannot be charged off-session.
            decline = cards.Decline(
                "authentication_required",
                "authentication_required",
                "Your card was declined. This transaction requires authentication.",
            )
            _charge_intent(intent, pm, decline)
            return
        intent.status = "requires_action"
        if data.get("return_url"):
            intent.next_action = {
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "url": f"https://hooks.stripe.com/3d_secure_2/hosted?payment_intent={intent.id}",
                    "return_url": data["return_url"],
                },
            }
        else:
            intent.next_action = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": ""},
            }
        events.emit("payment_intent.requires_action", intent)
        return
    _charge_intent(intent, pm, cards.DECLINES.get(cards.card_number(pm)))


def _charge_intent(intent: PaymentIntent, pm: Any, decline: cards.Decline | None) -> None:
    charge = Charge(
        amount=intent.amount,
        currency=intent.currency,
        instrument=pm,
        customer=intent.customer,
        description=intent.description,
        metadata=dict(intent.metadata),
        payment_intent=intent.id,
        application_fee_amount=intent.application_fee_amount,
        receipt_email=intent.receipt_email,
        statement_descriptor=intent.statement_descriptor,
        statement_descriptor_suffix=intent.statement_descriptor_suffix,
        transfer_group=intent.transfer_group,
        on_behalf_of=intent.on_behalf_of,
        shipping=intent.shipping,
    )
    intent.latest_charge = charge.id
    intent.next_action = None
    _authorize(charge, decline)
    if decline is not None:
        intent.status = "requires_payment_method"
        intent.last_payment_error = {
            "type": "card_error",
            "code": decline.code,
            "decline_code": decline.decline_code,
            "message": decline.message,
            "charge": charge.id,
            "doc_url": "https://stripe.com/docs/error-codes/" + decline.code.replace("_", "-"),
            "payment_method": pm._export(),
        }
        intent.payment_method = None
        events.emit("payment_intent.payment_failed", intent)
        raise _decline_error(decline, charge, intent)
    if intent.capture_method == "manual":
        intent.status = "requires_capture"
        intent.amount_capturable = intent.amount
        events.emit("charge.succeeded", charge)
        events.emit("payment_intent.amount_capturable_updated", intent)
        return
    _capture(charge, intent.amount, intent.application_fee_amount)
    intent.status = "succeeded"
    intent.amount_received = intent.amount
    events.emit("charge.succeeded", charge)
    events.emit("payment_intent.succeeded", intent)
    _after_capture(charge)


def _intent(request: web.Request) -> PaymentIntent:
    return get("payment_intent", request.match_info["id"], param="intent")  # type: ignore[no-any-return]


async def retrieve_payment_intent(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    data.pop("client_secret", None)
    unknown_parameters(data)
    return json_response(_intent(request)._export(expand=expand))


async def list_payment_intents(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    items = objects_of("payment_intent")
    if "customer" in data:
        customer = data.pop("customer")
        items = [i for i in items if i.customer == customer]
    items = created_filter(items, data)
    return list_response("/v1/payment_intents", items, data, expand)


async def update_payment_intent(request: web.Request) -> web.Response:
    intent = _intent(request)
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - PI_UPDATE_PARAMS)
    for name in sorted(set(data) - ALWAYS_UPDATABLE):
        if intent.status not in PRE_CONFIRMATION:
            raise stripe_error(
                400,
                f"This PaymentIntent's {name} could not be updated because it has a status of "
                f"{intent.status}. You may only update the {name} of a PaymentIntent with one of the "
                f"following statuses: {', '.join(PRE_CONFIRMATION)}.",
                code="payment_intent_unexpected_state",
                param=name,
            )
    if "amount" in data or "currency" in data:
        amount, currency = _validate_amount(
            {"amount": data.get("amount", intent.amount), "currency": data.get("currency", intent.currency)}
        )
        intent.amount, intent.currency = amount, currency
    if "application_fee_amount" in data:
        intent.application_fee_amount = connect.validate_fee(data, intent.amount)
    elif intent.application_fee_amount is not None and intent.application_fee_amount > intent.amount:
        raise stripe_error(400, "The application fee cannot be greater than the amount.", param="amount")
    if "customer" in data:
        intent.customer = _customer(data["customer"])
    if "payment_method" in data:
        intent.payment_method = (
            cards.resolve_payment_method(data["payment_method"]).id if data["payment_method"] else None
        )
        intent.status = "requires_confirmation" if intent.payment_method else "requires_payment_method"
        intent.next_action = None
    if "payment_method_types" in data:
        intent.payment_method_types, intent.automatic_payment_methods = _payment_method_types(
            {"payment_method_types": data["payment_method_types"]}
        )
    if "metadata" in data:
        intent.metadata = merge_metadata(intent.metadata, data["metadata"])
    for name in (
        "description",
        "receipt_email",
        "shipping",
        "setup_future_usage",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "capture_method",
        "transfer_group",
        "payment_method_options",
    ):
        if name in data:
            setattr(intent, name, data[name] or None)
    return json_response(intent._export(expand=expand))


async def confirm_payment_intent(request: web.Request) -> web.Response:
    intent = _intent(request)
    data = await read_params(request)
    expand = expand_param(data)
    data.pop("client_secret", None)
    unknown_parameters(set(data) - PI_CONFIRM_PARAMS)
    if intent.status not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise _unexpected_state(intent, "confirmed", PRE_CONFIRMATION)
    _confirm(intent, data)
    return json_response(intent._export(expand=expand))


async def authenticate_payment_intent(request: web.Request) -> web.Response:
    """The 3-D Secure step Stripe.js drives (localstripe's `_authenticate`, kept for the browser
    flow): success charges the card, failure returns to requires_payment_method."""
    intent = _intent(request)
    data = await read_params(request)
    if data.get("client_secret") != intent.client_secret:
        raise stripe_error(401, "Invalid client_secret")
    if intent.status != "requires_action":
        raise _unexpected_state(intent, "authenticated", ("requires_action",))
    pm = cards.resolve_payment_method(intent.payment_method)
    if to_bool(data.get("success", "false"), "success"):
        intent._authenticated = True
        _charge_intent(intent, pm, cards.DECLINES.get(cards.card_number(pm)))
    else:
        intent.status = "requires_payment_method"
        intent.next_action = None
        intent.last_payment_error = {
            "type": "invalid_request_error",
            "code": "payment_intent_authentication_failure",
            "message": "The provided PaymentMethod has failed authentication. You can provide "
            "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
            "payment_method": pm._export(),
        }
        intent.payment_method = None
        events.emit("payment_intent.payment_failed", intent)
    return json_response(intent._export())


async def capture_payment_intent(request: web.Request) -> web.Response:
    intent = _intent(request)
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(
        set(data)
        - {
            "amount_to_capture",
            "application_fee_amount",
            "metadata",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "final_capture",
        }
    )
    if intent.status != "requires_capture":
        raise _unexpected_state(intent, "captured", ("requires_capture",))
    amount = intent.amount_capturable
    if data.get("amount_to_capture") not in (None, ""):
        amount = to_int(data["amount_to_capture"], "amount_to_capture", minimum=1)
        if amount > intent.amount_capturable:
            raise stripe_error(
                400,
                f"The amount_to_capture ({amount}) must be less than or equal to the PaymentIntent's "
                f"amount_capturable ({intent.amount_capturable}).",
                code="amount_too_large",
                param="amount_to_capture",
            )
    fee = _capture_fee(data, intent.application_fee_amount, amount)
    if "metadata" in data:
        intent.metadata = merge_metadata(intent.metadata, data["metadata"])
    charge: Charge = get("charge", intent.latest_charge)
    _capture(charge, amount, fee)
    intent.application_fee_amount = fee
    intent.amount_capturable = 0
    intent.amount_received = amount
    intent.status = "succeeded"
    events.emit("charge.captured", charge)
    events.emit("payment_intent.succeeded", intent)
    _after_capture(charge)
    return json_response(intent._export(expand=expand))


CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")


async def cancel_payment_intent(request: web.Request) -> web.Response:
    intent = _intent(request)
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - {"cancellation_reason"})
    reason = data.get("cancellation_reason")
    if reason is not None and reason not in CANCELLATION_REASONS:
        raise stripe_error(400, f"Invalid cancellation_reason: {reason}", param="cancellation_reason")
    if intent.status not in CANCELABLE:
        raise _unexpected_state(intent, "canceled", CANCELABLE)
    if intent.status == "requires_capture" and intent.latest_charge:
        # Stripe releases the authorisation: the charge shows as fully refunded.
        refunds.release(get("charge", intent.latest_charge), intent.amount, emit=True)
    intent.status = "canceled"
    intent.canceled_at = now()
    intent.cancellation_reason = reason
    intent.amount_capturable = 0
    intent.next_action = None
    events.emit("payment_intent.canceled", intent)
    return json_response(intent._export(expand=expand))


# --- legacy Charges ------------------------------------------------------------------------------

CHARGE_CREATE_PARAMS = {
    "amount",
    "currency",
    "application_fee",
    "application_fee_amount",
    "capture",
    "customer",
    "description",
    "metadata",
    "on_behalf_of",
    "receipt_email",
    "shipping",
    "source",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "transfer_group",
}
CHARGE_UPDATE_PARAMS = {
    "description",
    "metadata",
    "receipt_email",
    "shipping",
    "fraud_details",
    "transfer_group",
}


async def create_charge(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - CHARGE_CREATE_PARAMS)
    amount, currency = _validate_amount(data)
    if data.get("application_fee") not in (None, "") and "application_fee_amount" not in data:
        data["application_fee_amount"] = data.pop("application_fee")  # the pre-2019 name
    fee = connect.validate_fee(data, amount)
    capture = to_bool(data.get("capture", True), "capture")
    customer = _customer(data.get("customer"))
    if data.get("source"):
        instrument = cards.resolve_source(data["source"])
    elif customer:
        instrument = get("customer", customer)._get_default_payment_method_or_source()
        if instrument is None:
            raise stripe_error(
                400, "Cannot charge a customer that has no active card", code="missing", param="card"
            )
    else:
        raise stripe_error(400, "Must provide source or customer.", code="parameter_missing", param="source")
    charge = Charge(
        amount=amount,
        currency=currency,
        instrument=instrument,
        customer=customer,
        description=data.get("description"),
        metadata=metadata_param(data.get("metadata")),
        application_fee_amount=fee,
        legacy_source=True,
        receipt_email=data.get("receipt_email"),
        statement_descriptor=data.get("statement_descriptor"),
        statement_descriptor_suffix=data.get("statement_descriptor_suffix"),
        transfer_group=data.get("transfer_group"),
        on_behalf_of=data.get("on_behalf_of"),
        shipping=data.get("shipping"),
    )
    number = cards.card_number(instrument)
    decline = cards.DECLINES.get(number)
    if decline is None and number in cards.AUTHENTICATION_REQUIRED:
        # The Charges API cannot run 3-D Secure: Stripe declines such cards.
        decline = cards.Decline(
            "card_declined",
            "authentication_required",
            "Your card was declined. This transaction requires authentication.",
        )
    _authorize(charge, decline)
    if decline is not None:
        raise _decline_error(decline, charge)
    if capture:
        _capture(charge, amount, fee)
    events.emit("charge.succeeded", charge)
    if capture:
        _after_capture(charge)
    return json_response(charge._export(expand=expand))


def _charge(request: web.Request) -> Charge:
    return get("charge", request.match_info["id"], param="charge")  # type: ignore[no-any-return]


async def retrieve_charge(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(data)
    return json_response(_charge(request)._export(expand=expand))


async def list_charges(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    items = objects_of("charge")
    for name in ("customer", "payment_intent", "transfer_group"):
        if name in data:
            value = data.pop(name)
            items = [c for c in items if getattr(c, name) == value]
    items = created_filter(items, data)
    return list_response("/v1/charges", items, data, expand)


async def update_charge(request: web.Request) -> web.Response:
    charge = _charge(request)
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - CHARGE_UPDATE_PARAMS)
    if "metadata" in data:
        charge.metadata = merge_metadata(charge.metadata, data.pop("metadata"))
    data.pop("fraud_details", None)
    for name, value in data.items():
        setattr(charge, name, value or None)
    return json_response(charge._export(expand=expand))


async def capture_charge(request: web.Request) -> web.Response:
    charge = _charge(request)
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(
        set(data)
        - {
            "amount",
            "application_fee",
            "application_fee_amount",
            "receipt_email",
            "statement_descriptor",
            "statement_descriptor_suffix",
        }
    )
    if charge.payment_intent:
        raise stripe_error(
            400,
            f"This charge was created by PaymentIntent {charge.payment_intent}: capture the "
            "PaymentIntent instead.",
            code="charge_not_capturable",
        )
    if charge.captured:
        raise stripe_error(
            400, f"Charge {charge.id} has already been captured.", code="charge_already_captured"
        )
    if charge.status != "succeeded" or charge.refunded:
        raise stripe_error(400, f"Charge {charge.id} cannot be captured.", code="charge_expired_for_capture")
    amount = to_int(data.get("amount", charge.amount), "amount", minimum=1)
    if amount > charge.amount:
        raise stripe_error(
            400,
            f"Amount to capture ({amount}) cannot be greater than the charge amount ({charge.amount}).",
            code="amount_too_large",
            param="amount",
        )
    fee = _capture_fee(data, charge.application_fee_amount, amount)
    _capture(charge, amount, fee)
    events.emit("charge.captured", charge)
    _after_capture(charge)
    return json_response(charge._export(expand=expand))


def routes() -> None:
    route("POST", "/v1/payment_intents", create_payment_intent)
    route("GET", "/v1/payment_intents", list_payment_intents)
    route("GET", "/v1/payment_intents/{id}", retrieve_payment_intent)
    route("POST", "/v1/payment_intents/{id}", update_payment_intent)
    route("POST", "/v1/payment_intents/{id}/confirm", confirm_payment_intent)
    route("POST", "/v1/payment_intents/{id}/capture", capture_payment_intent)
    route("POST", "/v1/payment_intents/{id}/cancel", cancel_payment_intent)
    route("POST", "/v1/payment_intents/{id}/_authenticate", authenticate_payment_intent)
    route("POST", "/v1/charges", create_charge)
    route("GET", "/v1/charges", list_charges)
    route("GET", "/v1/charges/{id}", retrieve_charge)
    route("POST", "/v1/charges/{id}", update_charge)
    route("POST", "/v1/charges/{id}/capture", capture_charge)


__all__ = ["Charge", "PaymentIntent", "current_account", "routes"]
