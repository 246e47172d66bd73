"""The pure grant rules of R-ROLE-1..3 and D-24."""

from __future__ import annotations

import pytest

from shared.domain.models import ROLE_LEVELS, Role
from shared.domain.roles import (
    ABOVE_OWN_LEVEL,
    LAST_OWNER,
    NEVER_SUPER_USER,
    OWNER_ONLY,
    REMOVE_ABOVE_OWN,
    check_change,
    check_grant,
    check_removal,
    ensure_not_last_owner,
    is_last_owner,
)
from shared.errors import DomainError, ErrorCode

L = ROLE_LEVELS


def role(name: str, org: str = "o1", accepted: bool = True, role_id: str | None = None) -> Role:
    data = {
        "orgId": org,
        "userEmail": "x@example.com",
        "role": name,
        "createdAt": 1,
        "createdBy": "u",
        "acceptedAt": 2 if accepted else None,
    }
    if role_id:
        data["_id"] = role_id
    return Role.model_validate(data)


def refusal(call: object, *args: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


@pytest.mark.parametrize("granter", ["SUPER_USER", "OWNER", "ADMIN"])
def test_super_user_is_never_granted(granter: str):
    error = refusal(check_grant, L[granter], "SUPER_USER")
    assert (error.code, error.message) == (ErrorCode.FORBIDDEN, NEVER_SUPER_USER)


def test_only_owners_and_super_users_grant_owner():
    check_grant(L["OWNER"], "OWNER")
    check_grant(L["SUPER_USER"], "OWNER")
    assert refusal(check_grant, L["ADMIN"], "OWNER").message == OWNER_ONLY


@pytest.mark.parametrize(
    ("granter", "granted", "allowed"),
    [
        ("ADMIN", "ADMIN", True),
        ("ADMIN", "BOX_OFFICE", True),
        ("ADMIN", "USER", True),
        ("BOX_OFFICE", "SCANNER", True),  # the level rule alone (createRole also needs ADMIN)
        ("BOX_OFFICE", "ADMIN", False),
        ("SCANNER", "BOX_OFFICE", False),
        ("USER", "SCANNER", False),
    ],
)
def test_nobody_grants_above_their_own_level(granter: str, granted: str, allowed: bool):
    if allowed:
        check_grant(L[granter], granted)
    else:
        assert refusal(check_grant, L[granter], granted).message == ABOVE_OWN_LEVEL


def test_unknown_role_names_are_input_errors():
    error = refusal(check_grant, L["OWNER"], "owner")
    assert (error.code, error.fields) == (ErrorCode.INVALID_INPUT, ["role.role"])


def test_removal_respects_levels_and_owner_rule():
    check_removal(L["ADMIN"], role("ADMIN"))
    check_removal(L["OWNER"], role("OWNER"))
    check_removal(L["SUPER_USER"], role("OWNER"))
    assert refusal(check_removal, L["ADMIN"], role("OWNER")).message == OWNER_ONLY
    assert refusal(check_removal, L["BOX_OFFICE"], role("ADMIN")).message == REMOVE_ABOVE_OWN
    assert refusal(check_removal, L["OWNER"], role("SUPER_USER")).message == REMOVE_ABOVE_OWN


def test_changing_a_role_needs_both_removal_and_grant_rights():
    check_change(L["ADMIN"], role("SCANNER"), "BOX_OFFICE")
    assert refusal(check_change, L["ADMIN"], role("OWNER"), "SCANNER").message == OWNER_ONLY
    assert refusal(check_change, L["ADMIN"], role("SCANNER"), "OWNER").message == OWNER_ONLY


def test_last_owner_counts_only_other_accepted_owners_of_the_same_org():
    only = role("OWNER", role_id="a")
    assert is_last_owner(only, [only])
    assert is_last_owner(only, [only, role("OWNER", accepted=False, role_id="b")])  # a pending invite
    assert is_last_owner(only, [only, role("OWNER", org="o2", role_id="c")])  # another org's owner
    assert is_last_owner(only, [only, role("ADMIN", role_id="d")])
    assert not is_last_owner(only, [only, role("OWNER", role_id="e")])
    assert not is_last_owner(role("ADMIN", role_id="f"), [])
    assert not is_last_owner(role("OWNER", accepted=False, role_id="g"), [])
    error = refusal(ensure_not_last_owner, only, [only])
    assert (error.code, error.message) == (ErrorCode.CONFLICT, LAST_OWNER)
