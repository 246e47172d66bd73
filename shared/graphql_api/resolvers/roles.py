"""Roles and invitations (SPEC 4.2/4.3/4.7, R-ROLE)."""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType, SchemaBindable
from graphql import GraphQLResolveInfo

from shared.graphql_api.context import ctx
from shared.graphql_api.roots import doc, docs, mutation, query

role_type = ObjectType("Role")


@query.field("role")
def resolve_role(_: None, info: GraphQLResolveInfo, roleId: str | None = None) -> Any:
    c = ctx(info)
    return doc(c.services.roles.role(c.principal, roleId))


@query.field("roles")
def resolve_roles(_: None, info: GraphQLResolveInfo, query: Any = None, pagination: Any = None) -> Any:
    c = ctx(info)
    return docs(c.services.roles.roles(c.principal, query, pagination))


@query.field("userRoles")
def resolve_user_roles(_: None, info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return docs(c.services.roles.user_roles(c.principal))


@query.field("isSuperUser")
def resolve_is_super_user(_: None, info: GraphQLResolveInfo) -> bool:
    c = ctx(info)
    return c.services.roles.is_super_user(c.principal)


@mutation.field("createRole")
def resolve_create_role(
    _: None, info: GraphQLResolveInfo, role: dict[str, Any], update: bool | None = None
) -> Any:
    c = ctx(info)
    return doc(c.services.roles.create_role(c.principal, role, update))


@mutation.field("deleteRole")
def resolve_delete_role(_: None, info: GraphQLResolveInfo, roleId: str) -> bool:
    c = ctx(info)
    return c.services.roles.delete_role(c.principal, roleId)


@mutation.field("acceptRole")
def resolve_accept_role(_: None, info: GraphQLResolveInfo, roleId: str, accept: bool) -> Any:
    c = ctx(info)
    return doc(c.services.roles.accept_role(c.principal, roleId, accept))


# --- nested (SPEC 4.7) -------------------------------------------------------------------------


@role_type.field("org")
async def resolve_role_org(role: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    org_id = role.get("orgId")
    return doc(await ctx(info).loaders.organizations.load(str(org_id))) if org_id else None


@role_type.field("user")
async def resolve_role_user(role: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    user_id = role.get("userId")
    return doc(await ctx(info).loaders.users.load(str(user_id))) if user_id else None


@role_type.field("token")
def resolve_role_token(_: dict[str, Any], info: GraphQLResolveInfo) -> str | None:
    c = ctx(info)
    return c.token if c.principal is not None else None  # echo of the caller's token (SPEC 7.19)


BINDABLES: list[SchemaBindable] = [role_type]
