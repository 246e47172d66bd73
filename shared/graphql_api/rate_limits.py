"""The one rate-limit check the public resolvers call (shared.domain.rate_limits holds the rules
and the limits). Keys are the address that connected to Google's front end (connecting_ip: the
entry the front end appended, never one the client wrote or a field of the input), an e-mail, or
a user id."""

from __future__ import annotations

from graphql import GraphQLResolveInfo

from shared.caller import connecting_ip
from shared.domain.permissions import BOX_OFFICE, Principal
from shared.domain.rate_limits import RateLimit, rate_limited
from shared.graphql_api.context import ctx


def caller_address(info: GraphQLResolveInfo) -> str:
    context = ctx(info)
    return connecting_ip(context.request, context.services.settings.forwarded_for_trusted_hops)


def within_limit(info: GraphQLResolveInfo, limit: RateLimit, key: str) -> bool:
    """Count this call against `limit` for `key`; False once the window's allowance is spent."""
    return ctx(info).services.rate_limiter.hit(limit, key)


def enforce_limit(info: GraphQLResolveInfo, limit: RateLimit, key: str) -> None:
    """Refuse the call (RATE_LIMITED, HTTP 429) once the window's allowance for `key` is spent."""
    if not within_limit(info, limit, key):
        raise rate_limited()


def enforce_ip_limit(info: GraphQLResolveInfo, limit: RateLimit) -> None:
    enforce_limit(info, limit, caller_address(info))


def is_context_org_staff(principal: Principal | None) -> bool:
    """BOX_OFFICE+ in the caller's context org: staff who look customers up all day, often many
    of them behind one venue address, are never limited on those look-ups."""
    if principal is None:
        return False
    org_id = principal.org_context_id
    return bool(org_id) and principal.level_in(org_id) >= BOX_OFFICE
