"""Roles and invitations through the GraphQL function over HTTP (R-ROLE-1..4, D-24)."""

from __future__ import annotations

from typing import Any

from shared.bootstrap import services
from tests.integration.api import Caller, data_of, error_of, gql, make_org, new_user, staff_of, user_id_of

CREATE_ROLE = """mutation($r: RoleInput!, $u: Boolean) { createRole(role: $r, update: $u) {
  _id orgId userId userEmail role acceptedAt createdBy token } }"""
DELETE_ROLE = "mutation($id: String!) { deleteRole(roleId: $id) }"
ACCEPT_ROLE = """mutation($id: String!, $a: Boolean!) {
  acceptRole(roleId: $id, accept: $a) { _id userId acceptedAt role } }"""
USER_ROLES = "{ userRoles { _id orgId userId role acceptedAt } }"


def invite(by: Caller, org_id: str, email: str, role: str, update: bool | None = None) -> dict[str, Any]:
    return by.gql(CREATE_ROLE, {"r": {"orgId": org_id, "userEmail": email, "role": role}, "u": update})


def owned_org(name: str = "Org") -> tuple[Caller, str]:
    """An org created through the API: the caller is its (only) OWNER."""
    owner = new_user()
    org_id = data_of(owner.gql("mutation { createOrganization { _id } }"))["createOrganization"]["_id"]
    owner.org_id = org_id
    return owner, org_id


def test_an_admin_cannot_grant_owner_and_nobody_grants_super_user():
    org = make_org()
    admin = staff_of(org.id, "ADMIN")
    refused = error_of(invite(admin, org.id, "new-owner@example.com", "OWNER"))
    assert refused["message"] == "Only an owner can grant or remove the OWNER role."
    assert refused["extensions"]["code"] == "UNAUTHENTICATED"
    owner = staff_of(org.id, "OWNER")
    for granter in (admin, owner, new_user(superUser=True)):
        error = error_of(invite(granter, org.id, "root@example.com", "SUPER_USER"))
        assert error["message"] == "The SUPER_USER role cannot be granted here."
    granted = data_of(invite(owner, org.id, "co-owner@example.com", "OWNER"))["createRole"]
    assert granted["role"] == "OWNER" and granted["acceptedAt"] is None
    assert (
        data_of(invite(admin, org.id, "seller@example.com", "BOX_OFFICE"))["createRole"]["role"]
        == "BOX_OFFICE"
    )
    unknown = error_of(invite(admin, org.id, "x@example.com", "EMPEROR"))
    assert unknown["extensions"]["invalidArgs"] == ["role.role"]
    assert len(services().store.roles.find(("orgId", "==", org.id))) == 4  # 2 staff + 2 invites


def test_box_office_cannot_invite_and_admins_cannot_invite_into_other_orgs():
    mine, theirs = make_org("Mine"), make_org("Theirs")
    box_office = staff_of(mine.id, "BOX_OFFICE")
    assert error_of(invite(box_office, mine.id, "a@example.com", "SCANNER"))["message"] == (
        "You do not have permission to do this."
    )
    admin = staff_of(mine.id, "ADMIN")
    assert (
        error_of(invite(admin, theirs.id, "a@example.com", "SCANNER"))["extensions"]["code"]
        == "UNAUTHENTICATED"
    )
    assert services().store.roles.find(("orgId", "==", theirs.id)) == []


def test_invite_to_an_unknown_email_is_linked_at_sign_in_and_only_the_invitee_accepts():
    owner, org_id = owned_org()
    role = data_of(invite(owner, org_id, "Later@Example.com", "ADMIN"))["createRole"]
    assert role["userId"] is None and role["userEmail"] == "later@example.com"
    assert role["token"] == owner.token  # Role.token echoes the caller's token (SPEC 7.19)

    stranger = new_user()
    refused = error_of(stranger.gql(ACCEPT_ROLE, {"id": role["_id"], "a": True}))
    assert refused["message"] == "This invitation is not addressed to you."
    assert error_of(stranger.gql("query($id: String) { role(roleId: $id) { _id } }", {"id": role["_id"]}))

    invitee = new_user("later@example.com")
    invitee_id = user_id_of(invitee)  # first sign-in links the pending invitation
    pending = data_of(invitee.gql(USER_ROLES))["userRoles"]
    assert pending == [
        {"_id": role["_id"], "orgId": org_id, "userId": invitee_id, "role": "ADMIN", "acceptedAt": None}
    ]
    # Not accepted yet: the role grants nothing.
    assert (
        error_of(invitee.gql("{ roles { _id } }", org_id=org_id))["extensions"]["code"] == "UNAUTHENTICATED"
    )
    accepted = data_of(invitee.gql(ACCEPT_ROLE, {"id": role["_id"], "a": True}))["acceptRole"]
    assert accepted["userId"] == invitee_id and accepted["acceptedAt"] is not None
    listed = data_of(invitee.gql("{ roles { role user { _id } } }", org_id=org_id))["roles"]
    assert sorted(r["role"] for r in listed) == ["ADMIN", "OWNER"]
    assert error_of(stranger.gql(ACCEPT_ROLE, {"id": role["_id"], "a": False}))  # still not the stranger's


def test_declining_an_invitation_deletes_it():
    owner, org_id = owned_org()
    invitee = new_user()
    user_id_of(invitee)
    role = data_of(invite(owner, org_id, invitee.email, "SCANNER"))["createRole"]
    assert role["userId"] == user_id_of(invitee)  # a known verified e-mail is linked right away
    assert data_of(invitee.gql(ACCEPT_ROLE, {"id": role["_id"], "a": False})) == {"acceptRole": None}
    assert services().store.roles.get(role["_id"]) is None


def test_the_last_owner_cannot_be_deleted_or_demoted():
    owner, org_id = owned_org()
    owner_role = data_of(owner.gql(USER_ROLES))["userRoles"][0]
    refused = error_of(owner.gql(DELETE_ROLE, {"id": owner_role["_id"]}))
    assert refused["message"] == "An organization must keep at least one owner."
    demote = owner.gql(
        CREATE_ROLE,
        {
            "r": {"orgId": org_id, "userId": user_id_of(owner), "userEmail": owner.email, "role": "ADMIN"},
            "u": True,
        },
    )
    assert error_of(demote)["message"] == "An organization must keep at least one owner."
    # With a second accepted owner, the first may go.
    second = staff_of(org_id, "OWNER")
    assert data_of(owner.gql(DELETE_ROLE, {"id": owner_role["_id"]})) == {"deleteRole": True}
    assert data_of(second.gql("{ roles { role } }"))["roles"] == [{"role": "OWNER"}]


def test_admins_cannot_remove_owners_and_duplicates_need_update():
    owner, org_id = owned_org()
    admin = staff_of(org_id, "ADMIN")
    owner_role = data_of(owner.gql(USER_ROLES))["userRoles"][0]
    assert error_of(admin.gql(DELETE_ROLE, {"id": owner_role["_id"]}))["message"] == (
        "Only an owner can grant or remove the OWNER role."
    )
    scanner = data_of(invite(admin, org_id, "door@example.com", "SCANNER"))["createRole"]
    duplicate = error_of(invite(admin, org_id, "door@example.com", "BOX_OFFICE"))
    assert duplicate["message"] == "This person already has a role in this organization."
    changed = data_of(invite(admin, org_id, "door@example.com", "BOX_OFFICE", update=True))["createRole"]
    assert (changed["_id"], changed["role"]) == (scanner["_id"], "BOX_OFFICE")
    assert data_of(admin.gql(DELETE_ROLE, {"id": scanner["_id"]})) == {"deleteRole": True}
    # An admin of another org cannot delete this org's roles.
    outsider = staff_of(make_org().id, "OWNER")
    assert (
        error_of(outsider.gql(DELETE_ROLE, {"id": owner_role["_id"]}))["extensions"]["code"]
        == "UNAUTHENTICATED"
    )


def test_roles_lists_only_the_context_org_and_filters_by_user():
    org, other = make_org("A"), make_org("B")
    admin = staff_of(org.id, "ADMIN")
    scanner = staff_of(org.id, "SCANNER")
    staff_of(other.id, "ADMIN")
    listed = data_of(admin.gql("{ roles { orgId role } }"))["roles"]
    assert sorted(r["role"] for r in listed) == ["ADMIN", "SCANNER"] and {r["orgId"] for r in listed} == {
        org.id
    }
    scanner_id = user_id_of(scanner)
    one = data_of(
        admin.gql("query($q: QueryInput) { roles(query: $q) { userId } }", {"q": {"userId": scanner_id}})
    )
    assert one["roles"] == [{"userId": scanner_id}]
    assert error_of(gql("{ userRoles { _id } }"))["message"] == "Authentication Required."
    assert data_of(gql("{ isSuperUser }")) == {"isSuperUser": False}
