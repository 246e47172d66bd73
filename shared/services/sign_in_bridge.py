"""The legacy sign-in bridge (SPEC 4.4, setting LEGACY_SIGN_IN): `login`,
`sendUserPhoneAuthentication` and `verifyUserPhoneAuthentication` as the unmodified Backstage and
purchase portal call them, on top of Firebase, which stays the only identity store:

- `login(email, password)`: Firebase checks the password (Identity Toolkit, web API key);
- the purchase portal sends `{email}` and the code goes to that e-mail; Backstage sends
  `{email, isLogin: true}` and the code goes by SMS to the phone stored on that account; both
  verify with `{email, phoneVerificationToken}` (codes: shared.domain.sign_in_codes);
- every success answers a Firebase session cookie (at most 14 days) for the account's Firebase
  user (found or created with the admin SDK), which the API accepts as a bearer token beside ID
  tokens (shared.adapters.firebase_auth) and which revoking the user's sessions ends.

The GraphQL function only records the request and enqueues it; send-email / send-sms (`POST
/tasks/sign-in-code`) draw the code, store its hash and send it, so no task payload, document or
log line ever holds a code; passwords go straight to Firebase and are never stored or logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from shared.domain import rate_limits as limits
from shared.domain import sign_in_codes as codes
from shared.domain.identity import IdentityService
from shared.domain.models import User, new_id
from shared.domain.permissions import Principal, require_user
from shared.domain.phone_numbers import DEFAULT_REGION, optional_e164
from shared.domain.ports import Repository
from shared.domain.rate_limits import RateLimit, RateLimiter, rate_limited
from shared.domain.sign_in_codes import Outcome, SignInCode
from shared.domain.tasks import Delivery
from shared.domain.ticket_email import brand_of
from shared.errors import DomainError, ErrorCode, invalid
from shared.services.claimed_mail import ClaimedMail, DeliveryClaims
from shared.services.mailer import Email, EmailRenderer, FallbackMailer
from shared.services.scheduled_tasks import TaskQueue
from shared.services.texting import SmsOutcomeUnknownError, SmsRejectedError, TextSender

log = logging.getLogger("sellout.sign_in")

QUEUE = "delivery"
TASK_PATH = "/tasks/sign-in-code"
EMAIL_TEMPLATE = "userAuthenticationCode"
SMS_LEASE = 300  # longer than send-sms's timeout: a claim older than this belongs to a dead attempt
MIN_PASSWORD_LENGTH = 6  # Firebase's own minimum

BRIDGE_OFF = "Please sign in again."  # SPEC 4.4's answer once the bridge is off
WRONG_PASSWORD = "The e-mail or password is incorrect."  # noqa: S105 - a message, not a password
NO_ACCOUNT = "A user with this email does not exist."  # the original's wording, shown by the clients
NO_PHONE = "This account has no phone number to text a code to."


class SignInDirectory(Protocol):
    """Firebase Authentication (adapter: shared.adapters.firebase_auth.FirebaseAuthenticator)."""

    def verify(self, token: str, *, check_revoked: bool = False) -> dict[str, Any]: ...
    def password_sign_in(self, email: str, password: str) -> str | None: ...
    def session_for_id_token(self, id_token: str) -> str: ...
    def session_for_uid(self, uid: str) -> str: ...
    def sign_in_account(self, uid: str, email: str, email_verified: bool, phone: str) -> str: ...
    def update_user(self, uid: str, **fields: Any) -> None: ...


class SignInCodeRecords(Protocol):
    """`signInCodes` (adapter: shared.adapters.sign_in_code_store)."""

    def replace(self, record: SignInCode) -> None: ...
    def get(self, user_id: str) -> SignInCode | None: ...
    def record_code(
        self, user_id: str, request_id: str, salt: str, code_hash: str, expires_at: int
    ) -> bool: ...
    def attempt(self, user_id: str, judge: Callable[[SignInCode | None], Outcome]) -> Outcome: ...


@dataclass(frozen=True)
class BridgeSession:
    """What `Authentication` answers: the user and a Firebase session cookie."""

    user: User
    token: str


class _ReplacedError(Exception):
    """A newer code request replaced this one: its code must not be sent."""


class LegacySignInService:
    def __init__(
        self,
        *,
        enabled: bool,
        users: Repository[User],
        identity: IdentityService,
        directory: SignInDirectory,
        codes: SignInCodeRecords,
        limiter: RateLimiter,
        tasks: TaskQueue,
        claims: DeliveryClaims,
        mailer: Callable[[], FallbackMailer],
        texts: Callable[[], TextSender],
        email_from: str,
        phone_region: str = DEFAULT_REGION,
        renderer: EmailRenderer | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.enabled = enabled
        self.users, self.identity, self.directory, self.codes = users, identity, directory, codes
        self.limiter, self.tasks, self.claims = limiter, tasks, claims
        # Factories: the GraphQL function builds this service to enqueue only, and must not
        # import (or hold keys for) SendGrid, SES or Plivo.
        self.mail = ClaimedMail(claims, mailer, clock)
        self.texts = texts
        self.email_from = email_from
        self.phone_region = phone_region
        self.renderer = renderer or EmailRenderer()
        self.clock = clock

    def now(self) -> int:
        return int(self.clock())

    def _require_enabled(self) -> None:
        if not self.enabled:
            raise DomainError(ErrorCode.UNAUTHENTICATED, BRIDGE_OFF)

    def _limit(self, limit: RateLimit, key: str) -> None:
        if key and not self.limiter.hit(limit, key):
            raise rate_limited()

    # --- login (Backstage) ----------------------------------------------------------------------

    def login(self, email: str | None, password: str | None, address: str) -> BridgeSession:
        """Firebase checks the password; the answer is a session cookie of that Firebase user."""
        self._require_enabled()
        address_email = str(email or "").strip().lower()
        if not address_email or not password:
            raise invalid("Enter your e-mail address and password.", "email", "password")
        self._limit(limits.LOGIN_PER_IP, address)
        self._limit(limits.LOGIN_PER_EMAIL, address_email)
        id_token = self.directory.password_sign_in(address_email, str(password))
        if id_token is None:
            log.info("password sign-in refused")
            raise DomainError(ErrorCode.REFUSED, WRONG_PASSWORD)
        user = self.identity.user_for_claims(self.directory.verify(id_token))
        return BridgeSession(user, self.directory.session_for_id_token(id_token))

    # --- one-time codes (portal: by e-mail; Backstage: by SMS) ------------------------------------

    def _account(self, email: str, phone: str) -> User | None:
        if phone:
            found = self.users.find(("phoneNumber", "==", phone), limit=1)
        else:
            found = self.users.find(("email", "==", email), limit=1) or self.users.find(
                ("secondaryEmails", "array_contains", email), limit=1
            )
        return found[0] if found else None

    def _contact(self, email: str | None, phone: str | None) -> tuple[str, str]:
        address_email = str(email or "").strip().lower()
        phone_number = optional_e164(phone, self.phone_region, "phoneNumber")
        if not address_email and not phone_number:
            raise invalid("Enter your e-mail address.", "email")
        return address_email, phone_number

    def request_code(self, email: str | None, phone: str | None, is_login: bool | None, address: str) -> bool:
        """sendUserPhoneAuthentication: record a new code request for the account and queue its
        sending. `isLogin` (Backstage) or a phone-only request texts the account's phone; the
        portal's `{email}` mails the code to that address."""
        self._require_enabled()
        address_email, phone_number = self._contact(email, phone)
        self._limit(limits.SIGN_IN_CODE_PER_IP, address)
        self._limit(limits.SIGN_IN_CODE_PER_EMAIL, address_email)
        user = self._account(address_email, phone_number)
        if user is None:
            raise DomainError(ErrorCode.NOT_FOUND, NO_ACCOUNT)
        by_sms = bool(is_login) or not address_email
        destination = user.phoneNumber if by_sms else address_email
        if not destination:
            raise DomainError(ErrorCode.REFUSED, NO_PHONE)
        self._limit(limits.SIGN_IN_CODE_PER_ACCOUNT, user.id)
        if by_sms:
            self._limit(limits.SIGN_IN_CODE_PER_PHONE, destination)
        record = SignInCode(id=user.id, requestId=new_id(16), channel="sms" if by_sms else "email",
                            address=destination, requestedAt=self.now())  # fmt: skip
        self.codes.replace(record)
        function = "send-sms" if by_sms else "send-email"
        payload = {"userId": user.id, "requestId": record.requestId}
        self.tasks.enqueue(QUEUE, function, payload, path=TASK_PATH, key=f"sign-in~{record.requestId}")
        return True

    def verify_code(
        self, email: str | None, phone: str | None, typed: str | None, address: str
    ) -> BridgeSession:
        """verifyUserPhoneAuthentication: one try at the account's live code; on success the
        account's Firebase user (found or created) gets a session cookie."""
        self._require_enabled()
        code = str(typed or "").strip()
        if not code:
            raise invalid("Enter the code we sent you.", "phoneVerificationToken")
        address_email, phone_number = self._contact(email, phone)
        self._limit(limits.SIGN_IN_TRIES_PER_IP, address)
        user = self._account(address_email, phone_number)
        if user is None:
            raise DomainError(ErrorCode.REFUSED, codes.NO_CODE)
        self._limit(limits.SIGN_IN_TRIES_PER_ACCOUNT, user.id)
        now = self.now()
        judged: list[SignInCode] = []

        def judge(record: SignInCode | None) -> Outcome:
            outcome = codes.judge(record, code, now)
            judged[:] = [record] if record is not None else []
            return outcome

        if self.codes.attempt(user.id, judge) == "wrong":
            log.info("sign-in code refused", extra={"userId": user.id})
            raise DomainError(ErrorCode.REFUSED, codes.WRONG_CODE)
        user = self._mark_verified(user, judged[0], now)
        uid = self._firebase_user(user)
        return BridgeSession(user, self.directory.session_for_uid(uid))

    def _mark_verified(self, user: User, record: SignInCode, now: int) -> User:
        """The code proved the channel it went to, as in the original (phoneNumberVerifiedAt)."""
        changes: dict[str, Any] = {}
        if record.channel == "sms" and record.address == user.phoneNumber and not user.phoneNumberVerifiedAt:
            changes["phoneNumberVerifiedAt"] = now
        if record.channel == "email" and record.address == user.email and not user.emailVerifiedAt:
            changes["emailVerifiedAt"] = now
        if not changes:
            return user
        self.users.update(user.id, changes)
        return user.model_copy(update=changes)

    def _firebase_user(self, user: User) -> str:
        """The account's Firebase user, linked to it on first use. Found by e-mail only when our
        side has proven that address (an unproven one may be someone else's)."""
        phone = user.phoneNumber if user.phoneNumberVerifiedAt else ""
        uid = self.directory.sign_in_account(user.firebaseUid, user.email, bool(user.emailVerifiedAt), phone)
        if uid != user.firebaseUid:
            if any(u.id != user.id for u in self.users.find(("firebaseUid", "==", uid), limit=2)):
                raise DomainError(
                    ErrorCode.CONFLICT, "This sign-in belongs to another account. Please contact us."
                )
            self.users.update(user.id, {"firebaseUid": uid})
        return uid

    # --- send-email / send-sms (Cloud Tasks) -------------------------------------------------------

    def run_code_task(self, payload: Mapping[str, Any]) -> str:
        """Draw the account's code, store its hash and send it, once per request."""
        user_id, request_id = str(payload.get("userId") or ""), str(payload.get("requestId") or "")
        if not user_id or not request_id:
            raise invalid("userId and requestId are required.", "userId", "requestId")
        record = self.codes.get(user_id)
        if record is None or record.requestId != request_id:
            return "replaced by a newer request"
        user = self.users.get(user_id)
        if user is None:
            return "no account"
        if record.channel == "sms":
            return self._text_code(user, record)
        return self._mail_code(user, record)

    def _draw(self, record: SignInCode) -> str:
        code, salt = codes.new_code(), codes.new_salt()
        expires_at = self.now() + codes.CODE_TTL_SECONDS
        if not self.codes.record_code(
            record.id, record.requestId, salt, codes.code_hash(salt, code), expires_at
        ):
            raise _ReplacedError
        return code

    def _mail_code(self, user: User, record: SignInCode) -> str:
        def compose() -> Email:
            code = self._draw(record)
            subject = "Your Sellout sign-in code"
            context = {"subject": subject, "heading": "Your sign-in code", "brand": brand_of(None),
                       "first_name": user.firstName.strip() or "there", "code": code,
                       "minutes": codes.CODE_TTL_SECONDS // 60}  # fmt: skip
            html, text = self.renderer.render(EMAIL_TEMPLATE, context)
            return Email(to=record.address, from_email=self.email_from, from_name="Sellout", subject=subject,
                         html=html, text=text)  # fmt: skip

        try:
            return self.mail.send(f"sign-in~{record.requestId}", EMAIL_TEMPLATE, compose)
        except _ReplacedError:
            return "replaced by a newer request"

    def _text_code(self, user: User, record: SignInCode) -> str:
        """At most once, as ticket texts: a text whose outcome is unknown is not sent again
        (the buyer can ask for a new code)."""
        record_id = f"sign-in~{record.requestId}~sms"
        claim = Delivery(orderId="", channel="sms", key=f"sign-in~{record.requestId}",
                         template="signInCode", status="sending", claimedAt=self.now())  # fmt: skip
        outcome = self.claims.claim(record_id, claim, lease=SMS_LEASE, retry_stale=False)
        if outcome == "done":
            return "already sent"
        if outcome == "busy":
            raise DomainError(ErrorCode.BUSY, "This text is being sent.")
        try:
            code = self._draw(record)
        except _ReplacedError:
            self.claims.finish(record_id, {"status": "skipped"})
            return "replaced by a newer request"
        try:
            message_id = self.texts().send_mms(
                record.address, f"Your Sellout Authentication Code is {code}", []
            )
        except SmsRejectedError:
            # The provider's error text may quote the message (the code): not recorded or logged.
            self.claims.finish(record_id, {"status": "failed", "provider": "plivo"})
            log.warning("sign-in text rejected", extra={"userId": user.id})
            return "rejected"
        except SmsOutcomeUnknownError:
            self.claims.finish(record_id, {"status": "unknown", "provider": "plivo"})
            return "outcome unknown: not retried"
        except Exception:
            self.claims.release(record_id)  # not sent: the queue's retry draws a new code
            raise
        self.claims.finish(record_id, {"status": "sent", "provider": "plivo", "providerMessageId": message_id,
                                       "sentAt": self.now()})  # fmt: skip
        return "sent"

    # --- setUserPassword (Backstage, after a code sign-in) ----------------------------------------

    def set_password(self, principal: Principal | None, password: str | None) -> User:
        """setUserPassword: the signed-in caller's Firebase password (admin SDK), so the next
        sign-in can be a password one; with a proven e-mail the Firebase user gets that address."""
        self._require_enabled()
        caller = require_user(principal)
        if len(str(password or "")) < MIN_PASSWORD_LENGTH:
            raise invalid(f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.", "password")
        fields: dict[str, Any] = {"password": str(password)}
        if caller.user.email and caller.user.emailVerifiedAt:
            fields |= {"email": caller.user.email, "email_verified": True}
        self.directory.update_user(caller.user.firebaseUid, **fields)
        return caller.user
