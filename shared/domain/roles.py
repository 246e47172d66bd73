"""Who may grant, change and remove which roles (R-ROLE-1..3, D-24). Pure rules, no I/O.

Levels come from ROLE_LEVELS. `granter_level` is the caller's level in the role's organization
(SUPER_USER is 5 everywhere). A refusal is FORBIDDEN (shown as UNAUTHENTICATED, SPEC 2.7) with a
message that says which rule was hit; an unknown role name is an input error.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.domain.models import ROLE_LEVELS, Role
from shared.errors import DomainError, ErrorCode, invalid

OWNER_LEVEL = ROLE_LEVELS["OWNER"]
GRANTABLE = tuple(name for name in ROLE_LEVELS if name != "SUPER_USER")

NEVER_SUPER_USER = "The SUPER_USER role cannot be granted here."
ABOVE_OWN_LEVEL = "You cannot grant a role above your own."
OWNER_ONLY = "Only an owner can grant or remove the OWNER role."
REMOVE_ABOVE_OWN = "You cannot change or remove a role above your own."
LAST_OWNER = "An organization must keep at least one owner."


def _refuse(message: str) -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, message)


def level_of(role_name: str, field: str = "role.role") -> int:
    if role_name not in ROLE_LEVELS:
        raise invalid(f"Unknown role {role_name!r}.", field)
    return ROLE_LEVELS[role_name]


def check_grant(granter_level: int, role_name: str) -> None:
    """A new role at `role_name`: never SUPER_USER, never above the granter, OWNER only by OWNER+."""
    level = level_of(role_name)
    if role_name == "SUPER_USER":
        raise _refuse(NEVER_SUPER_USER)
    if role_name == "OWNER" and granter_level < OWNER_LEVEL:
        raise _refuse(OWNER_ONLY)
    if level > granter_level:
        raise _refuse(ABOVE_OWN_LEVEL)


def check_removal(remover_level: int, role: Role) -> None:
    """Removing (or changing) an existing role: not above the caller's own, OWNER only by OWNER+."""
    if role.role == "SUPER_USER" and remover_level < ROLE_LEVELS["SUPER_USER"]:
        raise _refuse(REMOVE_ABOVE_OWN)
    if role.role == "OWNER" and remover_level < OWNER_LEVEL:
        raise _refuse(OWNER_ONLY)
    if ROLE_LEVELS[role.role] > remover_level:
        raise _refuse(REMOVE_ABOVE_OWN)


def check_change(granter_level: int, existing: Role, new_role_name: str) -> None:
    """`createRole(update: true)`: the old level must be removable and the new one grantable."""
    check_removal(granter_level, existing)
    check_grant(granter_level, new_role_name)


def is_last_owner(role: Role, org_roles: Iterable[Role]) -> bool:
    """True when `role` is an accepted OWNER and no other accepted OWNER of its org exists."""
    if role.role != "OWNER" or not role.acceptedAt:
        return False
    others = [
        r
        for r in org_roles
        if r.id != role.id and r.orgId == role.orgId and r.role == "OWNER" and r.acceptedAt
    ]
    return not others


def ensure_not_last_owner(role: Role, org_roles: Iterable[Role]) -> None:
    if is_last_owner(role, org_roles):
        raise DomainError(ErrorCode.CONFLICT, LAST_OWNER)
