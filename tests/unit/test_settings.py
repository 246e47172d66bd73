import pytest
from pydantic import ValidationError

from shared.settings import Settings

REQUIRED = {
    "GCP_PROJECT": "p",
    "FUNCTIONS_BASE_URL": "https://us-central1-p.cloudfunctions.net",
    "TICKETS_BUCKET": "t",
    "UPLOADS_BUCKET": "u",
    "REPORTS_BUCKET": "r",
    "STRIPE_SECRET_KEY": "sk_test_x",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
    "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_y",
    "SENDGRID_API_KEY": "SG.x",
    "EMAIL_FROM": "a@b.c",
    "PLIVO_AUTH_ID": "MA",
    "PLIVO_AUTH_TOKEN": "tok",
    "SMS_FROM_NUMBER": "+15555550100",
    "TICKET_SIGNING_KEY": "a2V5",
}


@pytest.fixture
def production_env(monkeypatch):
    for key in list(Settings.model_fields):
        monkeypatch.delenv(key.upper(), raising=False)
    for key, value in REQUIRED.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


def test_production_defaults_talk_to_real_services(production_env):
    settings = Settings()
    assert settings.firestore_emulator_host is None
    assert settings.stripe_api_base is None
    assert settings.cloud_tasks_emulator_host is None
    assert settings.tasks_verify_oidc is True
    assert settings.graphql_introspection is False


def test_secrets_do_not_show_in_repr(production_env):
    settings = Settings()
    assert "sk_test_x" not in repr(settings)
    assert settings.stripe_secret_key.get_secret_value() == "sk_test_x"


def test_a_missing_required_setting_is_named(production_env):
    production_env.delenv("STRIPE_SECRET_KEY")
    with pytest.raises(ValidationError, match="stripe_secret_key"):
        Settings()


def test_lists_and_flags_are_read_from_the_environment(production_env):
    production_env.setenv("CORS_ALLOWED_ORIGINS", '["https://backstage.example"]')
    production_env.setenv("TASKS_VERIFY_OIDC", "false")
    settings = Settings()
    assert settings.cors_allowed_origins == ["https://backstage.example"]
    assert settings.tasks_verify_oidc is False


def test_the_readme_documents_every_setting():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [name.upper() for name in Settings.model_fields if f"| `{name.upper()}` |" not in readme]
    assert missing == []


def test_the_local_stack_allows_the_clients_dev_servers():
    """Backstage (3000), the purchase portal (3001) and Backstage's embed preview (3002), under
    both spellings a browser may use for the local machine."""
    import json

    from emulator.config import local_environment

    origins = json.loads(local_environment()["CORS_ALLOWED_ORIGINS"])
    for host in ("localhost", "127.0.0.1"):
        for port in (3000, 3001, 3002):
            assert f"http://{host}:{port}" in origins


def test_the_default_phone_region_is_a_region_code(production_env):
    assert Settings().default_phone_region == "US"
    production_env.setenv("DEFAULT_PHONE_REGION", "usa")
    with pytest.raises(ValidationError):
        Settings()
