"""Terraform provides every setting of shared/settings.py that production needs.

The rule, checked against Settings.model_fields at test time (env var = field name upper-cased;
fields with json_schema_extra {"local_only": True} are emulator hosts and API overrides that
production leaves unset, so they are skipped):

1. Every plain field is in local.plain_environment (main.tf), which EVERY function receives;
   nothing else is there.
2. Every SecretStr field is a Secret Manager secret (local.secrets, secrets.tf); nothing else is.
3. Each function lists the secrets it needs; only those are mounted from Secret Manager and
   readable by its service account. Because Settings() requires most secrets and is built on
   every request, the module gives each function the other secret variables as "" (checked in
   test_tf_functions.py), so every required field is present in every function.
"""

from __future__ import annotations

import pytest
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings
from tf_layout import SettingField, compare_environment, root_locals, settings_fields


class FakeSettings(BaseSettings):
    gcp_project: str
    emulator_host: str | None = Field(None, json_schema_extra={"local_only": True})
    stripe_secret_key: SecretStr
    webflow_api_token: SecretStr = SecretStr("")


def test_settings_fields_classifies_fields() -> None:
    assert settings_fields(FakeSettings) == [
        SettingField("GCP_PROJECT", secret=False, required=True),
        SettingField("STRIPE_SECRET_KEY", secret=True, required=True),
        SettingField("WEBFLOW_API_TOKEN", secret=True, required=False),
    ]


def test_compare_accepts_a_complete_environment() -> None:
    fields = settings_fields(FakeSettings)
    problems = compare_environment(
        fields, ["GCP_PROJECT"], ["STRIPE_SECRET_KEY", "WEBFLOW_API_TOKEN"], {"f": ["STRIPE_SECRET_KEY"]}
    )
    assert problems == []


def test_compare_names_every_kind_of_gap() -> None:
    fields = settings_fields(FakeSettings)
    problems = compare_environment(
        fields,
        plain_environment=["STRIPE_SECRET_KEY", "TYPO_BUCKET"],
        secrets=["WEBFLOW_API_TOKEN", "OLD_KEY"],
        function_secrets={"refund": ["STRIPE_SECRET_KEY"]},
    )
    assert problems == [
        "GCP_PROJECT (a setting) is missing from local.plain_environment",
        "STRIPE_SECRET_KEY is a secret setting but is set in plain_environment",
        "TYPO_BUCKET in local.plain_environment is not a field of Settings",
        "STRIPE_SECRET_KEY (a secret setting) has no Secret Manager secret",
        "secret OLD_KEY is not a SecretStr field of Settings",
        "function refund lists secret STRIPE_SECRET_KEY, which secrets.tf does not define",
    ]


@pytest.fixture(scope="module")
def terraform_locals() -> dict:
    terraform_locals: dict = root_locals()
    return terraform_locals


def test_terraform_provides_every_setting(terraform_locals: dict) -> None:
    function_secrets = {
        name: entry.get("secrets", []) for name, entry in terraform_locals["functions"].items()
    }
    problems = compare_environment(
        settings_fields(),
        terraform_locals["plain_environment"],
        terraform_locals["secrets"],
        function_secrets,
    )
    assert problems == [], "\n".join(problems)


def test_production_values_of_fixed_settings(terraform_locals: dict) -> None:
    env = terraform_locals["plain_environment"]
    assert env["TASKS_VERIFY_OIDC"] == "true"
    assert env["FUNCTIONS_BASE_URL"] == "https://${var.region}-${var.project_id}.cloudfunctions.net"
    assert env["FUNCTION_NAME_PREFIX"] == "${var.prefix}-"
    assert env["TASK_QUEUE_PREFIX"] == "${var.prefix}-"
    assert env["TASKS_INVOKER_EMAIL"] == "${google_service_account.tasks_invoker.email}"
    assert env["CORS_ALLOWED_ORIGINS"] == "${jsonencode(var.cors_allowed_origins)}"


def test_secrets_are_created_empty() -> None:
    from tf_layout import blocks

    assert blocks("resource", "google_secret_manager_secret_version") == {}, (
        "secret values are added with gcloud: a version in Terraform would store the value in state"
    )
