"""Who is calling, and what they may do (SPEC 2.5, 2.6, 2.9).

A `Principal` is a verified Firebase user mapped to our User. Permission checks always name the
organization that owns the object being read or changed, not merely the one named in the request.
Roles count only once accepted. Super users come from a SUPER_USER role record or the Firebase
custom claim `superUser`, never from a list of e-mails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from shared.domain.models import ROLE_LEVELS, Role, User
from shared.errors import DomainError, ErrorCode

AUTHENTICATION_REQUIRED = "Authentication Required."  # Backstage signs out on this exact text
PERMISSION_DENIED = "You do not have permission to do this."

SUPER_USER = ROLE_LEVELS["SUPER_USER"]
OWNER = ROLE_LEVELS["OWNER"]
ADMIN = ROLE_LEVELS["ADMIN"]
BOX_OFFICE = ROLE_LEVELS["BOX_OFFICE"]
SCANNER = ROLE_LEVELS["SCANNER"]


def authentication_required() -> DomainError:
    return DomainError(ErrorCode.UNAUTHENTICATED, AUTHENTICATION_REQUIRED)


def permission_denied() -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, PERMISSION_DENIED)


@dataclass
class Principal:
    """A signed-in caller. `roles_loader` reads the caller's accepted roles once, when first needed."""

    user: User
    token: str
    claims: dict[str, object]
    roles_loader: Callable[[str], list[Role]]
    org_header: str | None = None
    revocation_check: Callable[[], None] | None = None
    _roles: list[Role] | None = field(default=None, repr=False)
    _revocation_checked: bool = field(default=False, repr=False)

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def roles(self) -> list[Role]:
        if self._roles is None:
            self._roles = [r for r in self.roles_loader(self.user.id) if r.acceptedAt]
        return self._roles

    @property
    def org_context_id(self) -> str:
        """X-Org-Id when sent, otherwise the persisted context (SPEC 2.6)."""
        return (self.org_header or self.user.orgContextId or "").strip()

    @property
    def is_super_user(self) -> bool:
        return self.claims.get("superUser") is True or any(r.role == "SUPER_USER" for r in self.roles)

    def level_in(self, org_id: str) -> int:
        if self.is_super_user:
            return SUPER_USER
        return max((ROLE_LEVELS[r.role] for r in self.roles if r.orgId == org_id), default=0)

    def ensure_not_revoked(self) -> None:
        """Staff operations re-check the token against revocation (one Auth lookup per request)."""
        if self.revocation_check and not self._revocation_checked:
            self.revocation_check()
            self._revocation_checked = True


def require_user(principal: Principal | None) -> Principal:
    if principal is None:
        raise authentication_required()
    return principal


def require_unrevoked_user(principal: Principal | None) -> Principal:
    """A signed-in caller whose token is re-checked against revocation (SECURITY 17): every
    operation that moves money (checkout, season checkout; refunds through require_level), so a
    disabled or signed-out account cannot pay or be paid with a token it still holds."""
    caller = require_user(principal)
    caller.ensure_not_revoked()
    return caller


def require_level(principal: Principal | None, level: int, org_id: str | None) -> Principal:
    """The caller holds at least `level` in `org_id` (the org owning the object at stake)."""
    caller = require_user(principal)
    if level > 0:
        caller.ensure_not_revoked()
    if level == SUPER_USER:
        if not caller.is_super_user:
            raise permission_denied()
        return caller
    if not org_id or caller.level_in(org_id) < level:
        raise permission_denied()
    return caller


def require_context_org(principal: Principal | None, level: int) -> tuple[Principal, str]:
    """The caller's current org (header or persisted context), with at least `level` in it."""
    caller = require_user(principal)
    org_id = caller.org_context_id
    if not org_id:
        raise DomainError(ErrorCode.INVALID_INPUT, "Select an organization first.", ["orgId"])
    require_level(caller, level, org_id)
    return caller, org_id


def require_owner_or_level(
    principal: Principal | None, owner_user_id: str, level: int, org_id: str
) -> Principal:
    """The record's owner (e.g. an order's buyer) or staff of its org at `level`."""
    caller = require_user(principal)
    if owner_user_id and caller.user_id == owner_user_id:
        return caller
    return require_level(caller, level, org_id)


def customer_orgs_of_staff(principal: Principal, customer_org_ids: Iterable[str]) -> list[str]:
    """Of the orgs a customer bought from, those where `principal` is BOX_OFFICE+: the staff who
    may look that customer up (SPEC 4.7), and what of the customer they see."""
    return [org_id for org_id in customer_org_ids if principal.level_in(org_id) >= BOX_OFFICE]
