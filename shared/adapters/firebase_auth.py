"""Firebase Authentication: verifies ID tokens (FIREBASE_AUTH_EMULATOR_HOST honoured) and reads
users through firebase-admin. The domain sees only verified claims."""

from __future__ import annotations

import threading
from typing import Any

import firebase_admin
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


class FirebaseAuthenticator:
    def __init__(self, settings: Settings) -> None:
        self.app = firebase_app(settings)

    def verify(self, id_token: str, *, check_revoked: bool = False) -> dict[str, Any]:
        try:
            return dict(auth.verify_id_token(id_token, app=self.app, check_revoked=check_revoked))
        except (
            ValueError,
            auth.InvalidIdTokenError,
            auth.ExpiredIdTokenError,
            auth.RevokedIdTokenError,
            auth.UserDisabledError,
            auth.UserNotFoundError,  # the account was deleted after the token was issued
            auth.CertificateFetchError,
        ) as error:
            raise InvalidTokenError(type(error).__name__) from None

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
