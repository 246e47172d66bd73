"""Cloud Tasks calls our private handlers with an OIDC token of a dedicated service account
(SECURITY 9). Verification is switchable off only for the local emulator, which sends none."""

from __future__ import annotations

import flask
from google.auth.transport import requests as google_requests
from google.oauth2 import id_token

from shared.errors import DomainError, ErrorCode
from shared.settings import Settings

_transport = google_requests.Request()


def verify_task_request(request: flask.Request, settings: Settings, audience: str) -> None:
    """The request carries a Google-signed ID token minted for `audience` (this function's URL)
    by the tasks invoker service account; anything else is refused."""
    if not settings.tasks_verify_oidc:
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "Authentication Required.")
    try:
        claims = id_token.verify_oauth2_token(token, _transport, audience=audience)
    except ValueError:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "Authentication Required.") from None
    if claims.get("email") != settings.tasks_invoker_email or not claims.get("email_verified"):
        raise DomainError(ErrorCode.FORBIDDEN, "You do not have permission to do this.")
