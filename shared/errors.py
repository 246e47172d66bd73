"""One error type with stable codes, mapped once to HTTP statuses (here) and once to GraphQL
errors (in the GraphQL layer). Its message is safe to show to a user; internals never are."""

from __future__ import annotations

import logging
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    SOLD_OUT = "SOLD_OUT"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    RATE_LIMITED = "RATE_LIMITED"  # too many calls from one address or for one account: wait, retry
    REFUSED = "REFUSED"  # a business rule says no (an expired code, a closed sale): message shown as is
    PAYMENT_FAILED = "PAYMENT_FAILED"
    PAYMENT_REQUIRES_ACTION = "PAYMENT_REQUIRES_ACTION"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    BUSY = "BUSY"
    UPSTREAM_FAILED = "UPSTREAM_FAILED"
    UNAVAILABLE = (
        "UNAVAILABLE"  # not offered here: not configured in this deployment, or not built (seated seasons)
    )
    INTERNAL = "INTERNAL"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_INPUT: 422,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.SOLD_OUT: 409,
    ErrorCode.LIMIT_EXCEEDED: 400,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.REFUSED: 400,
    ErrorCode.PAYMENT_FAILED: 402,
    ErrorCode.PAYMENT_REQUIRES_ACTION: 402,
    ErrorCode.BAD_SIGNATURE: 400,
    ErrorCode.BUSY: 503,
    ErrorCode.UPSTREAM_FAILED: 502,
    ErrorCode.UNAVAILABLE: 501,
    ErrorCode.INTERNAL: 500,
}


# How loudly a refusal is logged. ERROR pages the on-call (terraform/monitoring.tf counts
# severity >= ERROR), so it is kept for what someone must act on: a refusal the caller caused
# (a sold-out event, a typo, a missing sign-in) is routine INFO; WARNING marks what is worth a
# look when it piles up (probing, a busy or failing upstream, a feature not configured) but is
# answered correctly and needs nobody tonight. A flash sale's 500 SOLD_OUT answers page no one.
LOG_LEVEL: dict[ErrorCode, int] = {
    ErrorCode.INVALID_INPUT: logging.INFO,
    ErrorCode.UNAUTHENTICATED: logging.INFO,
    ErrorCode.FORBIDDEN: logging.WARNING,
    ErrorCode.NOT_FOUND: logging.INFO,
    ErrorCode.CONFLICT: logging.INFO,
    ErrorCode.SOLD_OUT: logging.INFO,
    ErrorCode.LIMIT_EXCEEDED: logging.INFO,
    ErrorCode.RATE_LIMITED: logging.WARNING,
    ErrorCode.REFUSED: logging.INFO,
    ErrorCode.PAYMENT_FAILED: logging.INFO,
    ErrorCode.PAYMENT_REQUIRES_ACTION: logging.INFO,
    ErrorCode.BAD_SIGNATURE: logging.WARNING,
    ErrorCode.BUSY: logging.WARNING,
    ErrorCode.UPSTREAM_FAILED: logging.WARNING,
    ErrorCode.UNAVAILABLE: logging.WARNING,
    ErrorCode.INTERNAL: logging.ERROR,
}


class DomainError(Exception):
    """A failure the caller can understand: a stable `code`, a user-facing `message`, and the
    input `fields` at fault (for validation errors)."""

    def __init__(self, code: ErrorCode, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or []

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    @property
    def log_level(self) -> int:
        return LOG_LEVEL[self.code]

    def to_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"code": str(self.code), "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


def invalid(message: str, *fields: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, message, list(fields))


def not_found(what: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"{what} not found.")
