"""E-mail verification and secondary e-mails (SPEC 4.4, R-USR-5)."""

from __future__ import annotations

from typing import Any

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.domain.rate_limits import EMAIL_VERIFICATION_PER_USER
from shared.graphql_api.context import ctx
from shared.graphql_api.rate_limits import enforce_limit
from shared.graphql_api.roots import doc, mutation


@mutation.field("sendUserEmailVerification")
def resolve_send_user_email_verification(_: None, info: GraphQLResolveInfo, email: str | None = None) -> Any:
    c = ctx(info)
    if c.principal is not None:  # anonymous callers are refused by the service
        enforce_limit(info, EMAIL_VERIFICATION_PER_USER, c.principal.user_id)
    return {"sent": c.services.account_emails.request_verification(c.principal, email)}


@mutation.field("verifyUserEmail")
def resolve_verify_user_email(_: None, info: GraphQLResolveInfo, emailVerificationToken: str) -> Any:
    """Public: the link is opened wherever the mail is read. The profile is returned only to the
    account's own signed-in user: a forwarded link proves an address, not who holds it now."""
    c = ctx(info)
    verified = c.services.account_emails.verify(emailVerificationToken)
    own = c.principal is not None and c.principal.user_id == verified.user.id
    profile = c.services.accounts.user_profile_admin(c.principal) if own else None
    return {"registered": True, "emailVerified": True, "userProfile": doc(profile)}


@mutation.field("addSecondaryEmail")
def resolve_add_secondary_email(_: None, info: GraphQLResolveInfo, email: str) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.add_secondary_email(c.principal, email))


@mutation.field("updateSecondaryEmail")
def resolve_update_secondary_email(_: None, info: GraphQLResolveInfo, email: str) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.update_secondary_email(c.principal, email))


@mutation.field("deleteSecondaryEmail")
def resolve_delete_secondary_email(_: None, info: GraphQLResolveInfo, email: str) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.delete_secondary_email(c.principal, email))


@mutation.field("makeSecondaryEmailPrimary")
def resolve_make_secondary_email_primary(_: None, info: GraphQLResolveInfo, email: str) -> Any:
    c = ctx(info)
    return doc(c.services.accounts.make_secondary_email_primary(c.principal, email))


BINDABLES: list[SchemaBindable] = []
