"""Roles: membership of users in organizations, invitations and acceptance (SPEC 3.4, R-ROLE).

Grant rules are pure (shared.domain.roles); this service adds the look-ups around them. Every
operation checks the caller against the org that owns the role, not an org named by the client.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from shared.domain.listing import paginate
from shared.domain.models import ROLE_LEVELS, Organization, Role, User
from shared.domain.permissions import (
    ADMIN,
    Principal,
    permission_denied,
    require_context_org,
    require_level,
    require_user,
)
from shared.domain.ports import Repository
from shared.domain.roles import check_change, check_grant, check_removal, ensure_not_last_owner
from shared.errors import DomainError, ErrorCode, invalid, not_found
from shared.services.accounts import normalize_email

NOT_YOUR_INVITATION = "This invitation is not addressed to you."


class RoleStore(Protocol):
    @property
    def organizations(self) -> Repository[Organization]: ...

    @property
    def users(self) -> Repository[User]: ...

    @property
    def roles(self) -> Repository[Role]: ...


def _verified_email(principal: Principal) -> str:
    if principal.claims.get("email_verified") and principal.claims.get("email"):
        return str(principal.claims["email"]).lower()
    return principal.user.email.lower() if principal.user.emailVerifiedAt else ""


def _is_invitee(principal: Principal, role: Role) -> bool:
    """The person a role is addressed to: its linked user, or (while unlinked) the verified e-mail."""
    if role.userId:
        return role.userId == principal.user_id
    email = _verified_email(principal)
    return bool(email) and email == role.userEmail


def _newest_first(roles: list[Role]) -> list[Role]:
    return sorted(roles, key=lambda r: (r.createdAt, r.id), reverse=True)


class RoleService:
    def __init__(
        self,
        store: RoleStore,
        clock: Callable[[], float] = time.time,
        on_created: Callable[[Role], None] = lambda role: None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.on_created = on_created  # the inviteToOrganization e-mail (R-ROLE-1)

    def _get(self, role_id: str) -> Role:
        role = self.store.roles.get(role_id)
        if role is None:
            raise not_found("Role")
        return role

    # --- reads ---------------------------------------------------------------------------------

    def role(self, principal: Principal | None, role_id: str | None) -> Role:
        """The invitee or a member of the role's org (SPEC 4.2)."""
        caller = require_user(principal)
        role = self._get(role_id or "")
        member = caller.is_super_user or any(r.orgId == role.orgId for r in caller.roles)
        if not (member or _is_invitee(caller, role)):
            raise permission_denied()
        return role

    def roles(
        self,
        principal: Principal | None,
        query: Mapping[str, Any] | None,
        pagination: Mapping[str, Any] | None,
    ) -> list[Role]:
        """R-ROLE-4: the context org's roles, optionally of one user or created in a date range."""
        _, org_id = require_context_org(principal, ADMIN)
        query = query or {}
        found = self.store.roles.find(("orgId", "==", org_id))
        if query.get("userId"):
            found = [r for r in found if r.userId == query["userId"]]
        if query.get("startDate") is not None:
            found = [r for r in found if r.createdAt >= int(query["startDate"])]
        if query.get("endDate") is not None:
            found = [r for r in found if r.createdAt <= int(query["endDate"])]
        return paginate(_newest_first(found), pagination)

    def user_roles(self, principal: Principal | None) -> list[Role]:
        """The caller's roles, accepted or not, plus invitations to its verified e-mail not yet linked."""
        caller = require_user(principal)
        found = {r.id: r for r in self.store.roles.find(("userId", "==", caller.user_id))}
        email = _verified_email(caller)
        if email:
            found |= {r.id: r for r in self.store.roles.find(("userEmail", "==", email)) if not r.userId}
        return _newest_first(list(found.values()))

    @staticmethod
    def is_super_user(principal: Principal | None) -> bool:
        return principal is not None and principal.is_super_user

    def context_role(self, principal: Principal | None, user_id: str, org_id: str | None) -> Role | None:
        """`User.role`: the user's accepted role in its context org (the highest, if several)."""
        if not org_id:
            return None
        if principal is not None and principal.user_id == user_id:
            candidates = principal.roles  # already read for this request
        else:
            candidates = self.store.roles.find(("userId", "==", user_id))
        held = [r for r in candidates if r.orgId == org_id and r.acceptedAt]
        return max(held, key=lambda r: ROLE_LEVELS[r.role]) if held else None

    # --- writes --------------------------------------------------------------------------------

    def create_role(self, principal: Principal | None, data: Mapping[str, Any], update: bool | None) -> Role:
        """R-ROLE-1: invite a user (by id or e-mail) to `orgId`, or change its level with `update`."""
        org_id = str(data.get("orgId") or "").strip()
        caller = require_level(principal, ADMIN, org_id)
        if self.store.organizations.get(org_id) is None:
            raise not_found("Organization")
        role_name = str(data.get("role") or "")
        granter = caller.level_in(org_id)
        check_grant(granter, role_name)
        invitee, email = self._invitee(data)
        existing = self._existing(org_id, invitee, email)
        if existing is not None:
            if not update:
                raise DomainError(ErrorCode.CONFLICT, "This person already has a role in this organization.")
            check_change(granter, existing, role_name)
            if role_name != "OWNER":
                ensure_not_last_owner(existing, self.store.roles.find(("orgId", "==", org_id)))
            self.store.roles.update(existing.id, {"role": role_name})
            return existing.model_copy(update={"role": role_name})
        role = Role(
            orgId=org_id,
            userId=invitee.id if invitee else None,
            userEmail=email,
            role=role_name,  # type: ignore[arg-type]  # checked by check_grant
            createdAt=int(self.clock()),
            createdBy=caller.user_id,
        )
        created = self.store.roles.create(role)
        self.on_created(created)
        return created

    def _invitee(self, data: Mapping[str, Any]) -> tuple[User | None, str]:
        """The invited user (by id, else by verified primary e-mail) and the invite address."""
        email = normalize_email(data.get("userEmail"), "role.userEmail")
        user_id = str(data.get("userId") or "").strip()
        if user_id:
            user = self.store.users.get(user_id)
            if user is None:
                raise not_found("User")
            return user, (user.email or email)
        if not email:
            raise invalid("Enter the e-mail address of the person to invite.", "role.userEmail")
        verified = [u for u in self.store.users.find(("email", "==", email)) if u.emailVerifiedAt]
        return (verified[0] if verified else None), email

    def _existing(self, org_id: str, invitee: User | None, email: str) -> Role | None:
        org_roles = self.store.roles.find(("orgId", "==", org_id))
        for role in org_roles:
            if (invitee and role.userId == invitee.id) or (email and role.userEmail == email):
                return role
        return None

    def delete_role(self, principal: Principal | None, role_id: str) -> bool:
        """R-ROLE-3: ADMIN of the role's org; not above the caller's level; never the last OWNER."""
        role = self._get(role_id)
        caller = require_level(principal, ADMIN, role.orgId)
        check_removal(caller.level_in(role.orgId), role)
        ensure_not_last_owner(role, self.store.roles.find(("orgId", "==", role.orgId)))
        self.store.roles.delete(role.id)
        return True

    def accept_role(self, principal: Principal | None, role_id: str, accept: bool) -> Role | None:
        """R-ROLE-2: only the invitee; accepting links and dates it, declining deletes it."""
        caller = require_user(principal)
        role = self._get(role_id)
        if not _is_invitee(caller, role):
            raise DomainError(ErrorCode.FORBIDDEN, NOT_YOUR_INVITATION)
        if not accept:
            ensure_not_last_owner(role, self.store.roles.find(("orgId", "==", role.orgId)))
            self.store.roles.delete(role.id)
            return None
        changes: dict[str, Any] = {"userId": caller.user_id}
        if not role.acceptedAt:
            changes["acceptedAt"] = int(self.clock())
        self.store.roles.update(role.id, changes)
        return role.model_copy(update=changes)
