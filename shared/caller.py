"""Who is calling an HTTP function: the Firebase ID token in `Authorization: Bearer`, mapped to
our User (SPEC 2.5). Shared by the GraphQL API and the plain HTTPS functions (checkout, scan)."""

from __future__ import annotations

import logging

import flask

from shared.adapters.firebase_auth import InvalidTokenError
from shared.bootstrap import Services
from shared.domain.permissions import Principal, authentication_required

log = logging.getLogger("sellout.auth")


def bearer_token(request: flask.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def client_ip(request: flask.Request) -> str:
    """R-ORD-8: the buyer's address from the load balancer's headers, never from the input."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return request.headers.get("X-Real-IP", "") or (request.remote_addr or "")


def connecting_ip(request: flask.Request, trusted_hops: int = 1) -> str:
    """The address that connected to Google's front end, for limits a client must not dodge: the
    X-Forwarded-For entry our infrastructure appended (`trusted_hops` from the end: the front end
    adds the connecting address after anything the client sent, a load balancer adds its own
    after that). The first entry, which client_ip reports as the buyer's, is the client's to write."""
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if forwarded:
        return forwarded[-min(trusted_hops, len(forwarded))]
    return request.headers.get("X-Real-IP", "") or (request.remote_addr or "")


def principal_for(request: flask.Request, services: Services, token: str | None = None) -> Principal | None:
    """The signed-in caller, or None: a bad or missing token makes the request anonymous; fields
    and operations that need a user then fail with "Authentication Required.". `token` (a
    session the request itself just opened) stands in for the bearer token."""
    token = token or bearer_token(request)
    if not token:
        return None
    authenticator = services.authenticator
    try:
        claims = authenticator.verify(token)
    except InvalidTokenError as error:
        log.info("token refused", extra={"reason": str(error)})
        return None
    user = services.identity.user_for_claims(claims)

    def check_revocation() -> None:
        try:
            authenticator.verify(token, check_revoked=True)
        except InvalidTokenError:
            raise authentication_required() from None

    return Principal(
        user=user,
        token=token,
        claims=claims,
        roles_loader=lambda user_id: services.store.roles.find(("userId", "==", user_id)),
        org_header=request.headers.get("X-Org-Id") or None,
        revocation_check=check_revocation,
    )
