"""Stripe's side of the daily reconciliation (shared.services.reconciliation): one account's
charges and refunds of a time range, every page, and single look-ups of those it did not list.

Reads only. The platform's own objects are read without `Stripe-Account`, a connected account's
with it. A missing object is None; an account Stripe refuses us (403, access revoked) is
AccountUnreadableError, which no retry fixes; any other Stripe failure is UPSTREAM_FAILED, so
the task answers 5xx and Cloud Tasks tries the account again later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import stripe

from shared.adapters.stripe_payments import stripe_client
from shared.domain.reconciliation import AccountUnreadableError, StripeCharge, StripeRefund
from shared.errors import DomainError, ErrorCode
from shared.settings import Settings

log = logging.getLogger("sellout.stripe")

PAGE_SIZE = 100  # Stripe's largest page


def _options(account: str) -> Any:
    return {"stripe_account": account} if account else {}


def _id_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    return str((value or {}).get("id", ""))


def _charge(account: str, resource: Any) -> StripeCharge:
    charge = resource.to_dict()  # stripe-python objects are not dicts
    return StripeCharge(
        id=str(charge["id"]),
        account=account,
        amount=int(charge.get("amount") or 0),
        amount_captured=int(charge.get("amount_captured") or 0),
        amount_refunded=int(charge.get("amount_refunded") or 0),
        captured=bool(charge.get("captured")),
        status=str(charge.get("status") or ""),
        payment_intent=_id_of(charge.get("payment_intent")),
        created=int(charge.get("created") or 0),
    )


def _refund(account: str, resource: Any) -> StripeRefund:
    refund = resource.to_dict()
    return StripeRefund(
        id=str(refund["id"]),
        account=account,
        amount=int(refund.get("amount") or 0),
        status=str(refund.get("status") or ""),
        charge=_id_of(refund.get("charge")),
        created=int(refund.get("created") or 0),
        our_refund_id=str((refund.get("metadata") or {}).get("refundId") or ""),
    )


def _unavailable(error: stripe.StripeError, account: str) -> Exception:
    if isinstance(error, stripe.PermissionError):
        return AccountUnreadableError(account)
    log.warning(
        "stripe listing failed",
        extra={
            "stripeCode": getattr(error, "code", None),
            "status": error.http_status,
            "stripeAccount": account,
        },
    )
    return DomainError(ErrorCode.UPSTREAM_FAILED, "Stripe could not be read; the run is retried.")


def _look_up(account: str, fetch: Callable[[], Any]) -> Any | None:
    """One object, or None when Stripe says there is no such object on that account."""
    try:
        return fetch()
    except stripe.InvalidRequestError as error:
        if error.code == "resource_missing":
            return None
        raise _unavailable(error, account) from error
    except stripe.StripeError as error:
        raise _unavailable(error, account) from error


class StripeLedger:
    def __init__(self, settings: Settings, page_size: int = PAGE_SIZE) -> None:
        self.client = stripe_client(settings)
        self.page_size = page_size

    def charges(self, account: str, start: int, end: int) -> Iterator[StripeCharge]:
        params: Any = {"created": {"gte": start, "lt": end}, "limit": self.page_size}
        try:
            for charge in self.client.v1.charges.list(
                params=params, options=_options(account)
            ).auto_paging_iter():
                yield _charge(account, charge)
        except stripe.StripeError as error:
            raise _unavailable(error, account) from error

    def refunds(self, account: str, start: int, end: int) -> Iterator[StripeRefund]:
        params: Any = {"created": {"gte": start, "lt": end}, "limit": self.page_size}
        try:
            for refund in self.client.v1.refunds.list(
                params=params, options=_options(account)
            ).auto_paging_iter():
                yield _refund(account, refund)
        except stripe.StripeError as error:
            raise _unavailable(error, account) from error

    def charge(self, account: str, charge_id: str) -> StripeCharge | None:
        found = _look_up(
            account, lambda: self.client.v1.charges.retrieve(charge_id, options=_options(account))
        )
        return None if found is None else _charge(account, found)

    def intent_charge(self, account: str, intent_id: str) -> StripeCharge | None:
        intent = _look_up(
            account, lambda: self.client.v1.payment_intents.retrieve(intent_id, options=_options(account))
        )
        charge_id = _id_of(intent.to_dict().get("latest_charge")) if intent is not None else ""
        return self.charge(account, charge_id) if charge_id else None

    def refund(self, account: str, refund_id: str) -> StripeRefund | None:
        found = _look_up(
            account, lambda: self.client.v1.refunds.retrieve(refund_id, options=_options(account))
        )
        return None if found is None else _refund(account, found)

    def refunds_of(self, account: str, charge_id: str, intent_id: str) -> list[StripeRefund]:
        params: Any = {"limit": self.page_size}
        if intent_id:
            params["payment_intent"] = intent_id
        elif charge_id:
            params["charge"] = charge_id
        else:
            return []
        try:
            listed = self.client.v1.refunds.list(params=params, options=_options(account)).auto_paging_iter()
            return [_refund(account, refund) for refund in listed]
        except stripe.StripeError as error:
            raise _unavailable(error, account) from error
