"""Users, profiles, organizations and platform settings (SPEC 4.2/4.3/4.4/4.7, R-ORG, R-USR)."""

from __future__ import annotations

import asyncio
from typing import Any

from ariadne import ObjectType, SchemaBindable
from graphql import GraphQLResolveInfo

from shared.domain import rate_limits as limits
from shared.domain.models import Organization, UserProfile
from shared.domain.permissions import SCANNER
from shared.graphql_api.context import ctx
from shared.graphql_api.loaders import DataLoader
from shared.graphql_api.rate_limits import (
    caller_address,
    enforce_ip_limit,
    is_context_org_staff,
    within_limit,
)
from shared.graphql_api.roots import doc, docs, mutation, query
from shared.services.accounts import replaced_by_firebase

user_type = ObjectType("User")
profile_type = ObjectType("UserProfile")
profile_admin_type = ObjectType("UserProfileAdmin")
organization_type = ObjectType("Organization")

# --- users -------------------------------------------------------------------------------------


@query.field("user")
def resolve_user(_: None, info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.user(c.principal))


@query.field("userExists")
def resolve_user_exists(
    _: None,
    info: GraphQLResolveInfo,
    *,
    email: str | None = None,
    phoneNumber: str | None = None,
    promoCode: str | None = None,
    eventId: str | None = None,
    seasonId: str | None = None,
) -> Any:
    c = ctx(info)
    if not is_context_org_staff(c.principal):
        enforce_ip_limit(info, limits.USER_EXISTS_PER_IP)
    return c.services.accounts.user_exists(
        c.principal,
        email=email,
        phone=phoneNumber,
        promo_code=promoCode,
        event_id=eventId,
        season_id=seasonId,
    )


@query.field("userProfile")
def resolve_user_profile(_: None, info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.user_profile(c.principal))


@query.field("userProfileAdmin")
def resolve_user_profile_admin(_: None, info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.user_profile_admin(c.principal))


@query.field("userProfiles")
@query.field("userProfilesAdmin")
def resolve_user_profiles(
    _: None, info: GraphQLResolveInfo, query: Any = None, pagination: Any = None
) -> Any:
    c = ctx(info)
    return docs(c.services.accounts.user_profiles(c.principal, query, pagination))


@mutation.field("register")
def resolve_register(_: None, info: GraphQLResolveInfo, user: Any = None) -> Any:
    c = ctx(info)
    if c.principal is None:  # an anonymous sign-up creates an account and mails a link
        enforce_ip_limit(info, limits.REGISTER_PER_IP)
    registration = c.services.accounts.register(c.principal, user)
    return {
        "registered": registration.registered,
        "emailVerified": registration.email_verified,
        "userProfile": doc(registration.profile),
    }


@mutation.field("updateBasicUserInfo")
def resolve_update_basic_user_info(
    _: None,
    info: GraphQLResolveInfo,
    firstName: str | None = None,
    lastName: str | None = None,
    imageUrl: str | None = None,
) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.update_basic_user_info(c.principal, firstName, lastName, imageUrl))


@mutation.field("updateUserInfo")
def resolve_update_user_info(
    _: None, info: GraphQLResolveInfo, email: str | None = None, phoneNumber: str | None = None, **kwargs: Any
) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.update_user_info(c.principal, kwargs.get("_id"), email, phoneNumber))


@mutation.field("setUserOrgContextId")
def resolve_set_user_org_context_id(_: None, info: GraphQLResolveInfo, orgId: str | None = None) -> Any:
    c = ctx(info)
    user = c.services.accounts.set_org_context(c.principal, orgId)
    return {"user": doc(user), "token": c.token}  # the caller's own token, echoed (SPEC 4.4)


@mutation.field("updateUserPreferredLogin")
def resolve_update_user_preferred_login(_: None, info: GraphQLResolveInfo, preferredLogin: str) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.update_preferred_login(c.principal, preferredLogin))


@mutation.field("updateUserEmail")
def resolve_update_user_email(_: None, info: GraphQLResolveInfo, newEmail: str) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.update_user_email(c.principal, newEmail))


@mutation.field("updateUserPhoneNumber")
def resolve_update_user_phone_number(_: None, info: GraphQLResolveInfo, newPhoneNumber: str) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.update_user_phone(c.principal, newPhoneNumber))


@mutation.field("deleteUnverifiedUser")
def resolve_delete_unverified_user(
    _: None,
    info: GraphQLResolveInfo,
    userId: str | None = None,
    email: str | None = None,
    phoneNumber: str | None = None,
) -> Any:
    c = ctx(info)
    return c.services.accounts.delete_unverified_user(c.principal, userId, email, phoneNumber)


@mutation.field("updateUserProfile")
def resolve_update_user_profile(_: None, info: GraphQLResolveInfo, userProfile: dict[str, Any]) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.update_user_profile(c.principal, userProfile))


# --- REPLACED by Firebase Authentication (SPEC 4.4) ----------------------------------------------


@mutation.field("resetUserPassword")
@mutation.field("resetUserPasswordInApp")
@mutation.field("sendUserPhoneVerification")
@mutation.field("verifyUserPhoneNumber")
def resolve_replaced(_: None, info: GraphQLResolveInfo, **_kwargs: Any) -> Any:
    raise replaced_by_firebase()


# --- the legacy sign-in bridge (SPEC 4.4, LEGACY_SIGN_IN; shared.services.sign_in_bridge) -------


@mutation.field("login")
def resolve_login(_: None, info: GraphQLResolveInfo, email: str, password: str) -> Any:
    c = ctx(info)
    session = c.services.sign_in.login(email, password, caller_address(info))
    c.signed_in(session.token)
    return {"user": doc(session.user), "token": session.token}


@mutation.field("sendUserPhoneAuthentication")
def resolve_send_user_phone_authentication(
    _: None,
    info: GraphQLResolveInfo,
    email: str | None = None,
    phoneNumber: str | None = None,
    isLogin: bool | None = None,
) -> bool:
    return ctx(info).services.sign_in.request_code(email, phoneNumber, isLogin, caller_address(info))


@mutation.field("verifyUserPhoneAuthentication")
def resolve_verify_user_phone_authentication(
    _: None,
    info: GraphQLResolveInfo,
    phoneVerificationToken: str,
    email: str | None = None,
    phoneNumber: str | None = None,
) -> Any:
    c = ctx(info)
    session = c.services.sign_in.verify_code(email, phoneNumber, phoneVerificationToken, caller_address(info))
    c.signed_in(session.token)
    return {"user": doc(session.user), "token": session.token}


@mutation.field("setUserPassword")
def resolve_set_user_password(_: None, info: GraphQLResolveInfo, password: str) -> Any:
    c = ctx(info)
    return doc(c.services.sign_in.set_password(c.principal, password))


@mutation.field("forgotUserPassword")
def resolve_forgot_user_password(_: None, info: GraphQLResolveInfo, email: str) -> bool:
    # Always true: never reveal whether the address has an account. A Firebase reset link goes
    # out by e-mail (userResetPassword) when one does — and nothing goes out once the caller's
    # address or this e-mail is over its limit, still answering true.
    if within_limit(info, limits.FORGOT_PASSWORD_PER_IP, caller_address(info)) and within_limit(
        info, limits.FORGOT_PASSWORD_PER_EMAIL, email
    ):
        ctx(info).services.account_emails.request_password_reset(email)
    return True


# --- organizations -----------------------------------------------------------------------------


@query.field("organization")
def resolve_organization(_: None, info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.organization(c.principal))


@query.field("organizations")
def resolve_organizations(
    _: None, info: GraphQLResolveInfo, query: Any = None, pagination: Any = None
) -> Any:
    c = ctx(info)
    return docs(c.services.accounts.organizations(c.principal, query, pagination))


@mutation.field("createOrganization")
def resolve_create_organization(_: None, info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.create_organization(c.principal))


@mutation.field("updateOrganization")
def resolve_update_organization(_: None, info: GraphQLResolveInfo, organization: dict[str, Any]) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.update_organization(c.principal, organization))


@query.field("platformSettings")
def resolve_platform_settings(_: None, info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return c.services.accounts.platform_settings(c.principal)


@query.field("stripePublishKey")
def resolve_stripe_publish_key(_: None, info: GraphQLResolveInfo) -> Any:
    return ctx(info).services.accounts.stripe_publish_key()


# --- nested (SPEC 4.7) -------------------------------------------------------------------------


@user_type.field("userProfile")
async def resolve_user_user_profile(user: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    profile = await c.loaders.profiles.load(str(user["_id"]))  # the profile id is the user id
    if profile is None or not c.services.accounts.profile_visible(c.principal, profile):
        return None
    return doc(profile)


def _visible_context_org(user: dict[str, Any], info: GraphQLResolveInfo) -> str | None:
    """The org a user works in (orgContextId), for the user, a super user, or staff of that
    org; to anyone else (staff of another org reading their customer) it is nobody's business."""
    org_id = user.get("orgContextId")
    principal = ctx(info).principal
    if principal is not None and principal.user_id == user["_id"]:
        return org_id  # type: ignore[no-any-return]
    if not org_id or principal is None or principal.level_in(str(org_id)) < SCANNER:
        return None
    return str(org_id)


@user_type.field("orgContextId")
def resolve_user_org_context_id(user: dict[str, Any], info: GraphQLResolveInfo) -> str | None:
    return _visible_context_org(user, info)


@user_type.field("orgRole")
def resolve_user_org_role(user: dict[str, Any], info: GraphQLResolveInfo) -> str | None:
    return user.get("orgRole") if _visible_context_org(user, info) else None


@user_type.field("role")
def resolve_user_role(user: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    org_id = _visible_context_org(user, info)
    return doc(c.services.roles.context_role(c.principal, str(user["_id"]), org_id)) if org_id else None


@profile_type.field("user")
@profile_admin_type.field("user")
async def resolve_profile_user(profile: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    user_id = profile.get("userId")
    return doc(await ctx(info).loaders.users.load(str(user_id))) if user_id else None


@profile_type.field("metrics")
@profile_admin_type.field("metrics")
def resolve_profile_metrics(profile: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return docs(c.services.accounts.visible_metrics(c.principal, UserProfile.model_validate(profile)))


def _visible_orgs(info: GraphQLResolveInfo, profile: dict[str, Any]) -> set[str] | None:
    """The orgs whose part of this profile the caller sees; None when that is all of it."""
    c = ctx(info)
    visible = c.services.accounts.visible_org_ids(c.principal, UserProfile.model_validate(profile))
    return None if visible is None else set(visible)


async def _owned_by(ids: list[str], visible: set[str], *loaders: DataLoader[str, Any]) -> list[str]:
    """Of `ids`, those whose object (found by the first loader that knows it) belongs to a
    visible org; one batched read per loader."""
    if not visible or not ids:
        return []
    found = [await asyncio.gather(*(loader.load(i) for i in ids)) for loader in loaders]
    kept = []
    for index, item_id in enumerate(ids):
        owner = next((f[index] for f in found if f[index] is not None), None)
        if owner is not None and owner.orgId in visible:
            kept.append(item_id)
    return kept


def _ids(profile: dict[str, Any], key: str) -> list[str]:
    return [str(i) for i in profile.get(key) or []]


@profile_type.field("orgIds")
@profile_admin_type.field("orgIds")
def resolve_profile_org_ids(profile: dict[str, Any], info: GraphQLResolveInfo) -> list[str]:
    visible = _visible_orgs(info, profile)
    return [i for i in _ids(profile, "orgIds") if visible is None or i in visible]


@profile_type.field("eventIds")
@profile_admin_type.field("eventIds")
async def resolve_profile_event_ids(profile: dict[str, Any], info: GraphQLResolveInfo) -> list[str]:
    """The events (and seasons) the customer bought for, of the orgs the caller may see."""
    visible = _visible_orgs(info, profile)
    if visible is None:
        return _ids(profile, "eventIds")
    loaders = ctx(info).loaders
    return await _owned_by(_ids(profile, "eventIds"), visible, loaders.events, loaders.seasons)


@profile_type.field("venueIds")
@profile_admin_type.field("venueIds")
async def resolve_profile_venue_ids(profile: dict[str, Any], info: GraphQLResolveInfo) -> list[str]:
    visible = _visible_orgs(info, profile)
    if visible is None:
        return _ids(profile, "venueIds")
    return await _owned_by(_ids(profile, "venueIds"), visible, ctx(info).loaders.venues)


@profile_type.field("artistIds")
@profile_admin_type.field("artistIds")
async def resolve_profile_artist_ids(profile: dict[str, Any], info: GraphQLResolveInfo) -> list[str]:
    visible = _visible_orgs(info, profile)
    if visible is None:
        return _ids(profile, "artistIds")
    return await _owned_by(_ids(profile, "artistIds"), visible, ctx(info).loaders.artists)


@organization_type.field("user")
async def resolve_organization_user(org: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    user_id = org.get("userId")
    return doc(await ctx(info).loaders.users.load(str(user_id))) if user_id else None


@organization_type.field("tegSecret")
def resolve_organization_teg_secret(org: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    if not c.services.accounts.may_read_org_secret(c.principal, str(org.get("_id") or "")):
        return None  # a credential (D-5): only ADMIN+ of this org
    return org.get("tegSecret")


@mutation.field("connectStripe")
def resolve_connect_stripe(_: None, info: GraphQLResolveInfo, connectCode: str) -> bool:
    c = ctx(info)
    return c.services.accounts.connect_stripe(c.principal, connectCode, c.services.stripe_connect)


@organization_type.field("stripeConnectAccount")
def resolve_stripe_connect_account(org: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    c = ctx(info)
    return c.services.accounts.connected_account(
        c.principal, Organization.model_validate(org), c.services.stripe_connect
    )


BINDABLES: list[SchemaBindable] = [user_type, profile_type, profile_admin_type, organization_type]
