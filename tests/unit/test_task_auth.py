"""Task handlers accept only Cloud Tasks' OIDC token of the invoker account (SECURITY 9)."""

import flask
import pytest

from shared.adapters import task_auth
from shared.errors import DomainError, ErrorCode
from shared.settings import get_settings

AUDIENCE = "https://us-central1-p.cloudfunctions.net/sellout-prod-send-email"


def _request(headers):
    return flask.Request.from_values(path="/", method="POST", headers=headers)


@pytest.fixture
def production(monkeypatch):
    settings = get_settings().model_copy(
        update={"tasks_verify_oidc": True, "tasks_invoker_email": "tasks@p.iam.gserviceaccount.com"}
    )
    seen = {}

    def fake_verify(token, transport, audience):
        seen["audience"] = audience
        if token != "google-signed":
            raise ValueError("Could not verify token signature.")
        return {"email": seen.get("email", settings.tasks_invoker_email), "email_verified": True}

    monkeypatch.setattr("shared.adapters.task_auth.id_token.verify_oauth2_token", fake_verify)
    return settings, seen


def test_the_local_emulator_sends_no_token_and_is_let_through_only_when_verification_is_off():
    task_auth.verify_task_request(_request({}), get_settings(), AUDIENCE)  # local settings: off


def test_a_missing_or_unverifiable_token_is_refused(production):
    settings, _ = production
    for headers in ({}, {"Authorization": "Bearer forged"}):
        with pytest.raises(DomainError) as caught:
            task_auth.verify_task_request(_request(headers), settings, AUDIENCE)
        assert caught.value.code == ErrorCode.UNAUTHENTICATED


def test_the_token_is_checked_against_this_functions_url(production):
    settings, seen = production
    task_auth.verify_task_request(_request({"Authorization": "Bearer google-signed"}), settings, AUDIENCE)
    assert seen["audience"] == AUDIENCE


def test_a_token_of_another_service_account_is_refused(production):
    settings, seen = production
    seen["email"] = "someone-else@p.iam.gserviceaccount.com"
    with pytest.raises(DomainError) as caught:
        task_auth.verify_task_request(_request({"Authorization": "Bearer google-signed"}), settings, AUDIENCE)
    assert caught.value.code == ErrorCode.FORBIDDEN
