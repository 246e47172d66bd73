"""Firebase Authentication: verifies ID tokens and the legacy bridge's session cookies
(FIREBASE_AUTH_EMULATOR_HOST honoured), reads and writes users through firebase-admin, and signs
bridge users in through the Identity Toolkit REST API. The domain sees only verified claims."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import threading
from typing import Any

import firebase_admin
import requests
from firebase_admin import auth
from firebase_admin import exceptions as firebase_exceptions

from shared.errors import DomainError, ErrorCode
from shared.settings import Settings

_init_lock = threading.Lock()


def firebase_app(settings: Settings) -> firebase_admin.App:
    """firebase-admin allows one default app per process; create it once."""
    with _init_lock:
        try:
            return firebase_admin.get_app()
        except ValueError:
            return firebase_admin.initialize_app(options={"projectId": settings.gcp_project})


class InvalidTokenError(Exception):
    """Missing, malformed, expired, revoked or forged token."""


SESSION_ISSUER = "https://session.firebase.google.com/"
# Firebase's own maximum for a session cookie.
SESSION_LIFETIME = datetime.timedelta(days=14)
_REST_TIMEOUT = 10


def is_session_cookie(token: str) -> bool:
    """A Firebase session cookie (the bridge's sessions) rather than an ID token: told apart by
    the issuer of the still unverified payload; the verification that follows decides."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return isinstance(claims, dict) and str(claims.get("iss") or "").startswith(SESSION_ISSUER)


class FirebaseAuthenticator:
    def __init__(self, settings: Settings) -> None:
        self.app = firebase_app(settings)
        self.web_api_key = settings.firebase_web_api_key
        emulator = settings.firebase_auth_emulator_host
        host = f"http://{emulator}/" if emulator else "https://"
        self.identity_toolkit = f"{host}identitytoolkit.googleapis.com/v1"

    def verify(self, token: str, *, check_revoked: bool = False) -> dict[str, Any]:
        """The claims of a Firebase ID token, or of a bridge session cookie (SPEC 4.4). Session
        cookies are always checked against revocation: they live up to 14 days, so revoking a
        user's sessions in Firebase must end them at once, everywhere."""
        try:
            if is_session_cookie(token):
                return dict(auth.verify_session_cookie(token, app=self.app, check_revoked=True))
            return dict(auth.verify_id_token(token, app=self.app, check_revoked=check_revoked))
        except (
            ValueError,
            auth.InvalidIdTokenError,
            auth.ExpiredIdTokenError,
            auth.RevokedIdTokenError,
            auth.InvalidSessionCookieError,
            auth.ExpiredSessionCookieError,
            auth.RevokedSessionCookieError,
            auth.UserDisabledError,
            auth.UserNotFoundError,  # the account was deleted after the token was issued
            auth.CertificateFetchError,
        ) as error:
            raise InvalidTokenError(type(error).__name__) from None

    # --- legacy sign-in bridge (SPEC 4.4) -------------------------------------------------------

    def password_sign_in(self, email: str, password: str) -> str | None:
        """An ID token when Firebase accepts this e-mail and password, None when it does not
        (wrong password, unknown e-mail, disabled account: the caller must not tell which)."""
        answer = self._identity_toolkit(
            "accounts:signInWithPassword", {"email": email, "password": password, "returnSecureToken": True}
        )
        return str(answer["idToken"]) if answer is not None else None

    def session_for_id_token(self, id_token: str) -> str:
        """A Firebase session cookie for a fresh ID token (at most 14 days)."""
        try:
            cookie = auth.create_session_cookie(id_token, SESSION_LIFETIME, app=self.app)
        except firebase_exceptions.FirebaseError as error:
            raise _unavailable() from error
        return cookie.decode() if isinstance(cookie, bytes) else str(cookie)

    def session_for_uid(self, uid: str) -> str:
        """A session cookie for `uid`: custom token → ID token (signInWithCustomToken) → cookie."""
        try:
            custom = auth.create_custom_token(uid, app=self.app).decode()
        except (firebase_exceptions.FirebaseError, auth.TokenSignError) as error:
            raise _unavailable() from error
        answer = self._identity_toolkit(
            "accounts:signInWithCustomToken", {"token": custom, "returnSecureToken": True}
        )
        if answer is None:
            raise _unavailable()
        return self.session_for_id_token(str(answer["idToken"]))

    def sign_in_account(self, uid: str, email: str, email_verified: bool, phone: str) -> str:
        """The Firebase account a bridge sign-in opens: `uid` when it still exists, else the
        account of a verified e-mail, else a new one (the phone added when no account has it).
        An unverified e-mail is never used to find an account: it may be someone else's."""
        if uid:
            try:
                return str(auth.get_user(uid, app=self.app).uid)
            except auth.UserNotFoundError:
                pass
        try:
            if email and email_verified:
                try:
                    return str(auth.get_user_by_email(email, app=self.app).uid)
                except auth.UserNotFoundError:
                    pass
            fields: dict[str, Any] = (
                {"email": email, "email_verified": True} if email and email_verified else {}
            )
            if phone:
                try:
                    auth.get_user_by_phone_number(phone, app=self.app)
                except auth.UserNotFoundError:
                    fields["phone_number"] = phone
            return str(auth.create_user(app=self.app, **fields).uid)
        except firebase_exceptions.FirebaseError as error:
            raise _unavailable() from error

    def _identity_toolkit(self, method: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """POST to the Identity Toolkit with the web API key: the answer, or None when Firebase
        refuses the credentials (4xx). Bodies and answers hold passwords and tokens: never logged."""
        try:
            response = requests.post(
                f"{self.identity_toolkit}/{method}", params={"key": self.web_api_key}, json=body,
                timeout=_REST_TIMEOUT,
            )  # fmt: skip
        except requests.RequestException:
            raise _unavailable() from None
        if 400 <= response.status_code < 500:
            return None
        if response.status_code >= 500:
            raise _unavailable()
        answer: dict[str, Any] = response.json()
        return answer

    def has_password(self, uid: str) -> bool:
        try:
            user = auth.get_user(uid, app=self.app)
        except auth.UserNotFoundError:
            return False
        return any(p.provider_id == "password" for p in user.provider_data)

    def update_user(self, uid: str, **fields: Any) -> None:
        try:
            auth.update_user(uid, app=self.app, **fields)
        except auth.EmailAlreadyExistsError:
            raise DomainError(ErrorCode.CONFLICT, "An account with this e-mail already exists.") from None
        except auth.PhoneNumberAlreadyExistsError:
            message = "An account with this phone number already exists."
            raise DomainError(ErrorCode.CONFLICT, message) from None
        except firebase_exceptions.FirebaseError as error:
            raise DomainError(ErrorCode.UPSTREAM_FAILED, "The sign-in service is unavailable.") from error

    def password_reset_link(self, email: str) -> str:
        """Firebase's password-reset link for the account signing in with `email`; "" when no
        account does (the caller must not tell the difference to whoever asked)."""
        try:
            return str(auth.generate_password_reset_link(email, app=self.app))
        except (auth.EmailNotFoundError, auth.UserNotFoundError):
            return ""


def _unavailable() -> DomainError:
    return DomainError(ErrorCode.UPSTREAM_FAILED, "The sign-in service is unavailable.")
