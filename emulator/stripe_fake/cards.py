"""Stripe's test cards (https://docs.stripe.com/testing): the canonical `pm_card_<name>` payment
methods and `tok_<name>` tokens, and what charging each card does.

localstripe knows three canonical payment methods and treats 4000000000000002 as declined only
when attached to a customer; on Stripe it is declined when charged. This table is the single
source of truth for how a charge attempt ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localstripe import resources

from ._base import get, stripe_error


@dataclass(frozen=True)
class Decline:
    code: str  # the error's `code`
    decline_code: str | None
    message: str


GENERIC = Decline("card_declined", "generic_decline", "Your card was declined.")

# Card number -> the decline Stripe answers when it is charged.
DECLINES: dict[str, Decline] = {
    "4000000000000002": GENERIC,
    "4000000000000341": GENERIC,  # attaches fine, fails when charged
    "4000000000009995": Decline("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "4000000000009987": Decline("card_declined", "lost_card", "Your card was declined."),
    "4000000000009979": Decline("card_declined", "stolen_card", "Your card was declined."),
    "4100000000000019": Decline("card_declined", "fraudulent", "Your card was declined."),
    "4000000000000069": Decline("expired_card", "expired_card", "Your card has expired."),
    "4000000000000127": Decline("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    "4000000000000119": Decline(
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    # Authenticates, then the issuer declines.
    "4000008260003178": Decline("card_declined", "insufficient_funds", "Your card has insufficient funds."),
}
AUTHENTICATION_REQUIRED = {
    "4000000000003220",  # threeDSecure2Required
    "4000000000003063",  # threeDSecureRequired
    "4000002760003184",  # authenticationRequired
    "4000002500003155",  # authenticationRequiredOnSetup
    "4000008260003178",  # authenticationRequiredChargeDeclinedInsufficientFunds
}
DISPUTES = {
    "4000000000000259": "fraudulent",  # createDispute
    "4000000000002685": "product_not_received",  # createDisputeProductNotReceived
    "4000000000001976": "fraudulent",  # createDisputeInquiry (simplified: a dispute, not an inquiry)
}
REFUND_FAILS = {"4000000000005126"}  # refundFail: the refund succeeds, then fails later

# `<name>` of pm_card_<name> / tok_<name> -> card number.
CANONICAL: dict[str, str] = {
    "visa": "4242424242424242",
    "visa_debit": "4000056655665556",
    "mastercard": "5555555555554444",
    "us": "4242424242424242",
    "chargeDeclined": "4000000000000002",
    "visa_chargeDeclined": "4000000000000002",
    "chargeDeclinedInsufficientFunds": "4000000000009995",
    "visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "chargeDeclinedLostCard": "4000000000009987",
    "visa_chargeDeclinedLostCard": "4000000000009987",
    "chargeDeclinedStolenCard": "4000000000009979",
    "visa_chargeDeclinedStolenCard": "4000000000009979",
    "chargeDeclinedFraudulent": "4100000000000019",
    "visa_chargeDeclinedFraudulent": "4100000000000019",
    "chargeDeclinedExpiredCard": "4000000000000069",
    "visa_chargeDeclinedExpiredCard": "4000000000000069",
    "chargeDeclinedIncorrectCvc": "4000000000000127",
    "visa_chargeDeclinedIncorrectCvc": "4000000000000127",
    "chargeDeclinedProcessingError": "4000000000000119",
    "visa_chargeDeclinedProcessingError": "4000000000000119",
    "chargeCustomerFail": "4000000000000341",
    "threeDSecure2Required": "4000000000003220",
    "threeDSecureRequired": "4000000000003063",
    "authenticationRequired": "4000002760003184",
    "authenticationRequiredOnSetup": "4000002500003155",
    "authenticationRequiredChargeDeclinedInsufficientFunds": "4000008260003178",
    "createDispute": "4000000000000259",
    "createDisputeProductNotReceived": "4000000000002685",
    "createDisputeInquiry": "4000000000001976",
    "refundFail": "4000000000005126",
}


def _brand(number: str) -> str:
    return "mastercard" if number.startswith("5") else "visa"


def _new_payment_method(number: str) -> Any:
    pm = resources.PaymentMethod(
        type="card", card={"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"}
    )
    pm.card.update(brand=_brand(number), country="US", display_brand=_brand(number))
    return pm


def _new_card(number: str) -> Any:
    card = resources.Card(
        source={"object": "card", "number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"}
    )
    card.brand = "MasterCard" if number.startswith("5") else "Visa"
    return card


def install() -> None:
    """`pm_card_<name>` resolves to a new PaymentMethod of that test card, as on Stripe (each use
    creates a `pm_...` object on the calling account)."""

    def _try_get_canonical_test_article(cls: Any, id: str) -> Any:
        if id.startswith("pm_card_") and id[len("pm_card_") :] in CANONICAL:
            return _new_payment_method(CANONICAL[id[len("pm_card_") :]])
        return None

    resources.PaymentMethod._try_get_canonical_test_article = classmethod(  # type: ignore[method-assign,assignment]
        _try_get_canonical_test_article
    )


def card_number(instrument: Any) -> str:
    return str(getattr(instrument, "_card_number", "") or "")


def resolve_payment_method(pm_id: Any, param: str = "payment_method") -> Any:
    """A pm_/card_/src_ id (or a canonical pm_card_<name>) -> the stored instrument."""
    if not isinstance(pm_id, str) or not pm_id.startswith(("pm_", "card_", "src_")):
        raise stripe_error(400, f"No such PaymentMethod: '{pm_id}'", code="resource_missing", param=param)
    try:
        return resources.PaymentMethod._api_retrieve(pm_id)
    except Exception as error:  # localstripe's UserError; ours says which param
        raise stripe_error(
            400, f"No such PaymentMethod: '{pm_id}'", code="resource_missing", param=param
        ) from error


def resolve_source(source: Any) -> Any:
    """A legacy Charges `source`: tok_<name> test tokens, created tokens (single use, like
    Stripe), card_/src_/pm_ ids."""
    if not isinstance(source, str) or not source:
        raise stripe_error(400, "Invalid source", param="source")
    if source.startswith("tok_"):
        name = source[len("tok_") :]
        if name in CANONICAL:
            return _new_card(CANONICAL[name])
        token = get("token", source, param="source")
        if getattr(token, "_used", False):
            raise stripe_error(
                400,
                f"You cannot use a Stripe token more than once: {source}.",
                code="token_already_used",
                param="source",
            )
        token._used = True
        token.used = True
        return token.card
    if source.startswith("card_"):
        return get("card", source, param="source")
    return resolve_payment_method(source, "source")


def payment_method_details(instrument: Any) -> dict[str, Any]:
    number = card_number(instrument)
    card = getattr(instrument, "card", None)
    expiry = card if isinstance(card, dict) else vars(instrument)
    if getattr(instrument, "type", None) == "sepa_debit":
        return {"type": "sepa_debit", "sepa_debit": dict(instrument.sepa_debit)}
    return {
        "type": "card",
        "card": {
            "brand": _brand(number),
            "last4": number[-4:],
            "exp_month": expiry.get("exp_month", 12),
            "exp_year": expiry.get("exp_year", 2034),
            "country": "US",
            "funding": "credit",
            "network": _brand(number),
            "checks": {"cvc_check": "pass", "address_line1_check": None, "address_postal_code_check": None},
        },
    }
