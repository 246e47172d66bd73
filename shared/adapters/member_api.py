"""An organization's member API ("TEG", SPEC R-T3-6): is this member id one of its members?

There is no public specification of the member service the original platform called, so this is
the minimal contract we need, kept by the local stand-in (emulator/teg_standin.py). All paths are
relative to the org's `tegURL`:

    POST {tegURL}/oauth/token
        form: grant_type=client_credentials, client_id=<tegClientID>, client_secret=<tegSecret>
        200 {"access_token": str, "token_type": "Bearer", "expires_in": int seconds}
        400/401: the credentials are wrong.
    GET {tegURL}/members/{memberId}          (member id URL-encoded as one path segment)
        header: Authorization: Bearer <access_token>
        200 {"memberId": str, "firstName": str, "lastName": str, "email": str,
             "phoneNumber": str, "active": bool (optional, default true)}
        404: no such member.  401: the token expired or was revoked (we fetch a new one once).

An inactive member is not valid. Any other answer, a timeout or a refused connection is the
member service being down: UPSTREAM_FAILED with a message a buyer can read; what went wrong is
logged without the secret or the token.

Tokens are cached per organization (and per URL, client id and secret, so a changed credential
never reuses an old token) for their lifetime minus a margin. The `tegURL` is set by the org's
admins, so before any request the host must be https on a public address: the functions never
call their own metadata server or private network for them. The local stack allows http and
loopback (setting `member_api_allow_private_hosts`) for the stand-in.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from shared.domain.member_tickets import MemberCheck
from shared.domain.models import Organization, TeiMemberInfo
from shared.errors import DomainError, ErrorCode
from shared.settings import Settings

log = logging.getLogger("sellout.member_api")

TIMEOUT = (3.05, 5.0)  # connect, read (seconds): a buyer is waiting at checkout
# All look-ups of one check together (ticketRestriction is public and takes up to 50 ids, each
# up to TIMEOUT): past it the service counts as down, instead of one request holding a function
# instance, and the buyer, for minutes.
LOOKUP_BUDGET = 10.0
TOKEN_MARGIN = 30  # seconds before a token's stated expiry we stop using it
DOWN_MESSAGE = "We could not check member ids right now. Please try again in a few minutes."
NOT_SET_UP_MESSAGE = "Member ids cannot be checked for this organization yet. Please contact the organizer."


def member_api_down() -> DomainError:
    return DomainError(ErrorCode.UPSTREAM_FAILED, DOWN_MESSAGE)


class _UnauthorizedError(Exception):
    """The member service refused our token: fetch a new one."""


class MemberApi:
    """MemberDirectory (shared.services.member_tickets) over the org's member service."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        resolve: Callable[[str], list[str]] | None = None,
    ) -> None:
        self.allow_private = settings.member_api_allow_private_hosts
        self.clock = clock
        self.resolve = resolve or _resolve
        self.session = requests.Session()
        self._tokens: dict[tuple[str, str, str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    # --- MemberDirectory ------------------------------------------------------------------------

    def check_members(self, org: Organization, member_ids: Sequence[str]) -> list[MemberCheck]:
        """One MemberCheck per id: its details when it is an active member, else None."""
        base = self._base_url(org)
        checks: list[MemberCheck] = []
        deadline = self.clock() + LOOKUP_BUDGET
        for member_id in member_ids:
            if self.clock() > deadline:
                log.warning("member API too slow", extra={"orgId": org.id, "checked": len(checks)})
                raise member_api_down()
            try:
                info = self._lookup(org, base, member_id)
            except _UnauthorizedError:
                self._forget_token(org, base)
                try:
                    info = self._lookup(org, base, member_id)
                except _UnauthorizedError:
                    log.warning("member API refused a fresh token", extra={"orgId": org.id})
                    raise member_api_down() from None
            checks.append(MemberCheck(member_id, info))
        return checks

    # --- requests -------------------------------------------------------------------------------

    def _lookup(self, org: Organization, base: str, member_id: str) -> TeiMemberInfo | None:
        token = self._token(org, base)
        body = self._call(
            org, "GET", f"{base}/members/{quote(member_id, safe='')}",
            headers={"Authorization": f"Bearer {token}"}, ok=(200, 404),
        )  # fmt: skip
        if body is None or body.get("active", True) is False:
            return None
        return TeiMemberInfo(
            firstName=str(body.get("firstName") or ""), lastName=str(body.get("lastName") or ""),
            email=str(body.get("email") or ""), phoneNumber=str(body.get("phoneNumber") or ""),
        )  # fmt: skip

    def _token(self, org: Organization, base: str) -> str:
        key = self._token_key(org, base)
        with self._lock:
            cached = self._tokens.get(key)
        if cached and cached[1] > self.clock():
            return cached[0]
        body = self._call(
            org, "POST", f"{base}/oauth/token", ok=(200,), token_request=True,
            data={"grant_type": "client_credentials", "client_id": org.tegClientID,
                  "client_secret": org.tegSecret},
        )  # fmt: skip
        token = str((body or {}).get("access_token") or "")
        try:
            lifetime = int((body or {}).get("expires_in") or 0)
        except (TypeError, ValueError):
            lifetime = 0
        if not token:
            log.warning("member API token answer without a token", extra={"orgId": org.id})
            raise member_api_down()
        if lifetime > TOKEN_MARGIN:
            with self._lock:
                self._tokens[key] = (token, self.clock() + lifetime - TOKEN_MARGIN)
        return token

    def _forget_token(self, org: Organization, base: str) -> None:
        with self._lock:
            self._tokens.pop(self._token_key(org, base), None)

    @staticmethod
    def _token_key(org: Organization, base: str) -> tuple[str, str, str, str]:
        secret = hashlib.sha256(org.tegSecret.encode()).hexdigest()
        return (org.id, base, org.tegClientID, secret)

    def _call(
        self,
        org: Organization,
        method: str,
        url: str,
        *,
        ok: tuple[int, ...],
        token_request: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """The JSON body of a 200, None for another status in `ok`; anything else is the service
        being down (or, for a 401 on a look-up, a token to renew)."""
        try:
            response = self.session.request(method, url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
        except requests.RequestException as error:
            log.warning("member API unreachable", extra={"orgId": org.id, "error": type(error).__name__})
            raise member_api_down() from None
        status = response.status_code
        if status == 401 and not token_request:
            raise _UnauthorizedError
        if status not in ok:
            # A token refusal means the org's credentials are wrong: still nothing a buyer can fix.
            log.warning("member API answered an error", extra={"orgId": org.id, "status": status,
                                                                  "tokenRequest": token_request})  # fmt: skip
            raise member_api_down()
        if status != 200:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            log.warning("member API answered no JSON object", extra={"orgId": org.id})
            raise member_api_down()
        return body

    # --- where we may call ----------------------------------------------------------------------

    def _base_url(self, org: Organization) -> str:
        """The org's tegURL, once it is safe to call: complete credentials, https (or http on the
        local stack), no user info, and a host that resolves only to public addresses."""
        url = org.tegURL.strip().rstrip("/")
        parts = urlsplit(url)
        schemes = ("https", "http") if self.allow_private else ("https",)
        if not (org.tegClientID and org.tegSecret) or parts.scheme not in schemes or not parts.hostname:
            raise DomainError(ErrorCode.UPSTREAM_FAILED, NOT_SET_UP_MESSAGE)
        if parts.username or parts.password or parts.query or parts.fragment:
            raise DomainError(ErrorCode.UPSTREAM_FAILED, NOT_SET_UP_MESSAGE)
        if not self.allow_private:
            try:
                addresses = self.resolve(parts.hostname)
            except OSError:
                log.warning("member API host does not resolve", extra={"orgId": org.id})
                raise member_api_down() from None
            if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses):
                log.warning("member API host is not public", extra={"orgId": org.id})
                raise DomainError(ErrorCode.UPSTREAM_FAILED, NOT_SET_UP_MESSAGE)
        return url


def _resolve(host: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)})
