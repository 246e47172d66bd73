"""Account e-mails (SPEC 4.4, R-ROLE-1, R-MSG-2): verifying an e-mail address, team invitations
and password-reset links. Rules and messages: shared.domain.account_emails.

The GraphQL function only records and enqueues; the send-email function (`POST
/tasks/account-email`) sends, because only it holds the SendGrid key and a provider hiccup then
costs a queue retry instead of a failed mutation. Task payloads carry ids, never addresses or
tokens. Every mail is claimed before it is sent (ClaimedMail), so a task delivered twice sends
once. A verification link's token is drawn when the mail is sent and only its hash is stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from shared.domain import account_emails as rules
from shared.domain.account_emails import AccountMessage, AccountTemplate, EmailVerification
from shared.domain.models import Organization, Role, User, UserProfile
from shared.domain.permissions import Principal, require_user
from shared.domain.ports import Repository
from shared.errors import DomainError, ErrorCode, invalid
from shared.services.claimed_mail import ClaimedMail, DeliveryClaims
from shared.services.mailer import Email, EmailRenderer, FallbackMailer
from shared.services.scheduled_tasks import TaskQueue

log = logging.getLogger("sellout.account_emails")

QUEUE = "delivery"
EMAIL_FUNCTION = "send-email"
EMAIL_PATH = "/tasks/account-email"


class VerificationRecords(Protocol):
    def create(self, request: EmailVerification) -> bool: ...
    def get(self, request_id: str) -> EmailVerification | None: ...
    def record_token(self, request_id: str, token_hash: str, sent_at: int) -> None: ...
    def by_token(self, token_hash: str) -> EmailVerification | None: ...
    def use(
        self, request_id: str, now: int, decide: Callable[[EmailVerification, User], dict[str, Any]]
    ) -> tuple[EmailVerification, User, dict[str, Any]]: ...


class SignInDirectory(Protocol):
    """Firebase Authentication (adapter: FirebaseAuthenticator)."""

    def update_user(self, uid: str, **fields: Any) -> None: ...
    def password_reset_link(self, email: str) -> str: ...


@dataclass(frozen=True)
class Verified:
    user: User
    email: str


class AccountEmailService:
    def __init__(
        self,
        *,
        users: Repository[User],
        profiles: Repository[UserProfile],
        roles: Repository[Role],
        organizations: Repository[Organization],
        verifications: VerificationRecords,
        claims: DeliveryClaims,
        tasks: TaskQueue,
        directory: SignInDirectory,
        mailer: Callable[[], FallbackMailer],
        email_from: str,
        backstage_url: str = "",
        renderer: EmailRenderer | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.users, self.profiles, self.roles, self.organizations = users, profiles, roles, organizations
        self.verifications, self.tasks, self.directory = verifications, tasks, directory
        self.mail = ClaimedMail(claims, mailer, clock)
        self.email_from = email_from
        self.backstage_url = backstage_url
        self.renderer = renderer or EmailRenderer()
        self.clock = clock

    def now(self) -> int:
        return int(self.clock())

    # --- GraphQL: e-mail verification ---------------------------------------------------------------

    def request_verification(self, principal: Principal | None, email: str | None) -> bool:
        """sendUserEmailVerification: mail a link for one of the caller's unverified addresses.
        False when there is none (the primary is verified and nothing is waiting)."""
        caller = require_user(principal)
        requested = str(email or "").strip().lower()
        address = rules.address_to_verify(caller.user, requested)
        if not address:
            return False
        self._queue_verification(caller.user, address)
        return True

    def queue_verification(self, user: User, email: str) -> None:
        """The link that follows an address typed in (updateUserEmail, register, a secondary
        address made primary). The change itself is stored; a mail that cannot be queued now is
        logged, and the user can ask again with sendUserEmailVerification."""
        try:
            self._queue_verification(user, email)
        except Exception:
            log.exception("verification e-mail not queued", extra={"userId": user.id})

    def _queue_verification(self, user: User, email: str) -> None:
        now = self.now()
        request = EmailVerification(
            _id=rules.verification_id(user.id, email, now), userId=user.id, email=email, createdAt=now,
            expiresAt=now + rules.VERIFICATION_TTL,
        )  # fmt: skip
        if self.verifications.create(request):  # a repeat inside the resend window sends nothing more
            self._enqueue({"template": "userWelcomeEmail", "verificationId": request.id}, key=request.id)

    def verify(self, token: str) -> Verified:
        """verifyUserEmail: the link proves the address; an address that was waiting becomes the
        primary one. Firebase learns the address first: were it left behind, the next sign-in
        would sync the old address back (shared.domain.identity)."""
        if not str(token or "").strip():
            raise invalid("The verification code is missing.", "emailVerificationToken")
        digest = rules.token_hash(str(token))
        now = self.now()
        request = rules.check_usable(self.verifications.by_token(digest), now)
        user = self.users.get(request.userId)
        if user is None:
            raise DomainError(ErrorCode.REFUSED, rules.INVALID_LINK)
        rules.verified_changes(user, request.email, now)  # refuses a link for a replaced address
        self._ensure_address_free(request.email, user.id)
        if user.firebaseUid:
            self.directory.update_user(user.firebaseUid, email=request.email, email_verified=True)

        def decide(current: EmailVerification, stored: User) -> dict[str, Any]:
            if current.tokenHash != digest:  # a newer mail replaced this link meanwhile
                raise DomainError(ErrorCode.REFUSED, rules.INVALID_LINK)
            return rules.verified_changes(stored, current.email, now)

        _, before, changes = self.verifications.use(request.id, now, decide)
        self._release_from_others(request.email, before.id)
        self.link_invitations(before.id, request.email)
        self.readdress_roles(before.id, before.email, request.email)
        return Verified(before.model_copy(update=changes), request.email)

    def link_invitations(self, user_id: str, email: str) -> None:
        """Invitations sent to a now verified address before anybody owned it (SPEC 4.4)."""
        for role in self.roles.find(("userEmail", "==", email)):
            if not role.userId:
                self.roles.update(role.id, {"userId": user_id})

    def readdress_roles(self, user_id: str, old: str, new: str) -> None:
        """The user's own roles follow its primary address (R-USR-5)."""
        if not old or old == new:
            return
        for role in self.roles.find(("userId", "==", user_id)):
            if role.userEmail == old:
                self.roles.update(role.id, {"userEmail": new})

    def _ensure_address_free(self, email: str, user_id: str) -> None:
        """Another account's primary address blocks; another account's secondary one does not:
        secondary addresses are typed in, never proven, and must not lock the owner out."""
        if any(o.id != user_id for o in self.users.find(("email", "==", email), limit=2)):
            raise DomainError(ErrorCode.CONFLICT, "An account with this e-mail already exists.")

    def _release_from_others(self, email: str, user_id: str) -> None:
        """A proven address leaves the secondary lists of accounts that merely typed it in."""
        for other in self.users.find(("secondaryEmails", "array_contains", email)):
            if other.id != user_id:
                kept = [e for e in other.secondaryEmails if e != email]
                self.users.update(other.id, {"secondaryEmails": kept})

    # --- GraphQL: invitations and password resets ------------------------------------------------

    def queue_invitation(self, role: Role) -> None:
        """R-ROLE-1: the invitation mail of a new role (not the org creator's own OWNER role)."""
        if not rules.invitation_wanted(role, self.organizations.get(role.orgId)):
            return
        try:
            self._enqueue({"template": "inviteToOrganization", "roleId": role.id}, key=f"invite-{role.id}")
        except Exception:
            # The role is stored and listed in Backstage; the mail is a courtesy the admin can
            # follow up on. Ids only in the log: the address is personal data.
            log.exception("invitation e-mail not queued", extra={"roleId": role.id})

    def request_password_reset(self, email: str | None) -> None:
        """forgotUserPassword (public): a reset link for the account whose primary address this
        is, at most once per RESET_WINDOW. Silent either way: the answer must not reveal whether
        an account exists."""
        address = str(email or "").strip().lower()
        found = self.users.find(("email", "==", address), limit=1) if address else []
        if not found or not found[0].firebaseUid:
            return
        window = self.now() // rules.RESET_WINDOW
        key = f"reset-{found[0].id}-{window}"
        try:
            self._enqueue({"template": "userResetPassword", "userId": found[0].id, "window": window}, key=key)
        except Exception:
            log.exception("password-reset e-mail not queued", extra={"userId": found[0].id})

    def _enqueue(self, payload: dict[str, Any], *, key: str) -> None:
        self.tasks.enqueue(QUEUE, EMAIL_FUNCTION, payload, path=EMAIL_PATH, key=key)

    # --- send-email (Cloud Tasks) -------------------------------------------------------------------

    def run_email_task(self, payload: Mapping[str, Any]) -> str:
        template = str(payload.get("template") or "")
        if template == "userWelcomeEmail":
            return self._send_verification(str(payload.get("verificationId") or ""))
        if template == "inviteToOrganization":
            return self._send_invitation(str(payload.get("roleId") or ""))
        if template == "userResetPassword":
            user_id, window = str(payload.get("userId") or ""), str(payload.get("window") or "")
            return self._send_password_reset(user_id, window)
        raise invalid("Unknown e-mail template.", "template")

    def _send_verification(self, request_id: str) -> str:
        request = self.verifications.get(request_id)
        now = self.now()
        if request is None or request.usedAt is not None or request.expiresAt <= now:
            return "no pending verification"
        user = self.users.get(request.userId)
        if user is None or request.email != rules.address_to_verify(user, request.email, strict=False):
            return "address no longer waiting"

        def compose() -> Email:
            token = rules.new_token()
            self.verifications.record_token(request.id, rules.token_hash(token), self.now())
            message = rules.verification_message(user, token, self.backstage_url)
            return self._email("userWelcomeEmail", message, request.email, from_name="Sellout")

        return self.mail.send(f"verify~{request.id}", "userWelcomeEmail", compose)

    def _send_invitation(self, role_id: str) -> str:
        role = self.roles.get(role_id)
        if role is None:
            return "invitation withdrawn"
        if role.acceptedAt:
            return "invitation already accepted"
        org = self.organizations.get(role.orgId)
        if org is None:
            return "organization not found"
        message = rules.invitation_message(role, org, self.users.get(role.createdBy), self.backstage_url)

        def compose() -> Email:
            brand_name = message.context["brand"].name
            return self._email("inviteToOrganization", message, role.userEmail, from_name=brand_name)

        return self.mail.send(f"invite~{role.id}", "inviteToOrganization", compose)

    def _send_password_reset(self, user_id: str, window: str) -> str:
        user = self.users.get(user_id)
        if user is None or not user.email:
            return "no account"

        def compose() -> Email:
            link = self.directory.password_reset_link(user.email)
            if not link:
                raise _NoSignInAccountError
            return self._email("userResetPassword", rules.password_reset_message(user, link), user.email,
                               from_name="Sellout")  # fmt: skip

        try:
            return self.mail.send(f"reset~{user.id}~{window}", "userResetPassword", compose)
        except _NoSignInAccountError:
            return "no password sign-in for this address"

    def _email(self, template: AccountTemplate, message: AccountMessage, to: str, *, from_name: str) -> Email:
        html, text = self.renderer.render(template, message.context)
        return Email(to=to, from_email=self.email_from, from_name=from_name, subject=message.subject,
                     html=html, text=text)  # fmt: skip


class _NoSignInAccountError(Exception):
    """Firebase has no account signing in with this address: nothing to reset."""
