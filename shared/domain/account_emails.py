# ruff: noqa: N815 - stored shapes keep camelCase field names (SPEC 2.1)
"""Account e-mails (SPEC 4.4, R-ROLE-1, R-MSG-2): e-mail verification (`userWelcomeEmail`), team
invitations (`inviteToOrganization`) and password-reset links (`userResetPassword`).

Verification links: the token exists only in the e-mail. A request
(`emailVerifications/{id}`) records who asked to verify which address; the send-email function
draws a fresh random token when it sends, and stores only its SHA-256. `verifyUserEmail` hashes
what the link carries and looks the request up by that hash, so a database reader cannot verify
anybody's address, and a mail sent again after a crash (new token) voids the lost one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from shared.domain.models import Identified, Organization, Role, User
from shared.domain.ticket_email import Brand, brand_of
from shared.errors import DomainError, ErrorCode, invalid

AccountTemplate = Literal["userWelcomeEmail", "inviteToOrganization", "userResetPassword"]

VERIFICATION_TTL = 24 * 3600  # a link older than a day is refused; the user asks for a new one
RESEND_WINDOW = 300  # asking again within five minutes does not send another e-mail
RESET_WINDOW = 900  # at most one reset e-mail per account per quarter hour (the mutation is public)

INVALID_LINK = "This verification link is invalid or has expired. Ask for a new one."
STALE_LINK = "This address is no longer waiting for verification. Ask for a new link."

ROLE_NAMES = {
    "OWNER": "an owner",
    "ADMIN": "an administrator",
    "BOX_OFFICE": "box office staff",
    "SCANNER": "a door scanner",
    "USER": "a team member",
    "SUPER_USER": "a super user",
}


class EmailVerification(Identified):
    """`emailVerifications/{id}`: one user's request to prove they own `email`."""

    userId: str
    email: str
    createdAt: int
    expiresAt: int
    tokenHash: str = ""  # set by send-email when it sends the link
    sentAt: int | None = None
    usedAt: int | None = None


def verification_id(user_id: str, email: str, now: int) -> str:
    """Requests for the same address within one RESEND_WINDOW share an id: a double click or a
    script calling the mutation in a loop queues one e-mail, not many."""
    window = now // RESEND_WINDOW
    return "ev" + hashlib.sha256(f"{user_id}\x1f{email}\x1f{window}".encode()).hexdigest()[:22]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def address_to_verify(user: User, requested: str, *, strict: bool = True) -> str:
    """Which address `sendUserEmailVerification(email)` verifies: the one asked for, else the
    address waiting for verification, else an unverified primary. Only the user's own
    unverified addresses qualify: the mutation must not mail links to arbitrary people
    (`strict`: refuse another address; otherwise answer "")."""
    candidates = [a for a in (user.emailWaitingForVerify, "" if user.emailVerifiedAt else user.email) if a]
    if requested:
        if requested in candidates:
            return requested
        if strict:
            raise invalid("This address is not awaiting verification on your account.", "email")
        return ""
    return candidates[0] if candidates else ""


def verified_changes(user: User, email: str, now: int) -> dict[str, Any]:
    """What proving `email` changes on the user: an unverified primary becomes verified; the
    address waiting for verification becomes the primary (the old one is kept as previousEmail).
    A link for an address the user has since replaced is refused."""
    if email == user.email:
        changes: dict[str, Any] = {"emailVerifiedAt": now}
        if user.emailWaitingForVerify == email:
            changes["emailWaitingForVerify"] = ""
        return changes
    if email == user.emailWaitingForVerify:
        return {
            "email": email,
            "previousEmail": user.email,
            "emailVerifiedAt": now,
            "emailWaitingForVerify": "",
            "secondaryEmails": [e for e in user.secondaryEmails if e != email],
        }
    raise DomainError(ErrorCode.REFUSED, STALE_LINK)


def check_usable(request: EmailVerification | None, now: int) -> EmailVerification:
    if request is None or request.usedAt is not None or request.expiresAt <= now or not request.tokenHash:
        raise DomainError(ErrorCode.REFUSED, INVALID_LINK)
    return request


# --- messages -------------------------------------------------------------------------------------


def backstage_link(base_url: str, path: str, **query: str) -> str:
    """An absolute Backstage link, or "" when no Backstage URL is configured (the mail then
    shows the code itself)."""
    if not base_url:
        return ""
    params = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    return f"{base_url.rstrip('/')}{path}" + (f"?{params}" if params else "")


@dataclass(frozen=True)
class AccountMessage:
    subject: str
    context: dict[str, Any]


def _base(brand: Brand, subject: str, heading: str, user: User | None) -> dict[str, Any]:
    return {
        "subject": subject,
        "heading": heading,
        "brand": brand,
        "first_name": (user.firstName.strip() if user else "") or "there",
    }


def verification_message(user: User, token: str, backstage_url: str) -> AccountMessage:
    subject = "Verify your email"
    link = backstage_link(backstage_url, "/account/verifyEmail/", code=token)
    base = _base(brand_of(None), subject, "Confirm your e-mail address", user)
    return AccountMessage(subject, {**base, "link": link, "code": token, "hours": VERIFICATION_TTL // 3600})


def invitation_message(
    role: Role, org: Organization, inviter: User | None, backstage_url: str
) -> AccountMessage:
    brand = brand_of(org)
    subject = f"Join {' '.join(brand.name.split())} on Sellout"
    inviter_name = " ".join(p for p in ((inviter.firstName, inviter.lastName) if inviter else ()) if p)
    return AccountMessage(subject, {
        **_base(brand, subject, f"You're invited to join {brand.name}", None),
        "role": ROLE_NAMES.get(role.role, "a team member"),
        "inviter": inviter_name,
        "email": role.userEmail,
        "link": backstage_link(backstage_url, "/account"),
    })  # fmt: skip


def password_reset_message(user: User, reset_link: str) -> AccountMessage:
    subject = "Reset your password"
    return AccountMessage(subject, {**_base(brand_of(None), subject, "Reset your password", user),
                                    "link": reset_link})  # fmt: skip


def invitation_wanted(role: Role, org: Organization | None) -> bool:
    """R-ROLE-1: every new invitation is mailed, except to the person who created the org (their
    OWNER role comes with createOrganization)."""
    return org is not None and not (role.userId and role.userId == org.userId)
