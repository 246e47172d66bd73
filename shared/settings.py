"""One settings object, read from the environment.

The same code runs against the local emulators and against real Google, Stripe, SendGrid and
Plivo services: only these values differ. Fields marked ``local_only`` point an SDK at a local
emulator or stand-in; production leaves them unset and the SDK talks to the real service.
Terraform provides every other field (a test checks that).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_ONLY: dict[str, Any] = {"local_only": True}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # --- Google Cloud -------------------------------------------------------------------------
    gcp_project: str = Field(description="Google Cloud project id (demo-sellout locally).")
    gcp_region: str = Field("us-central1", description="Region of the functions and task queues.")

    # Read by the Google SDKs themselves; listed here so the README table and checks see them.
    firestore_emulator_host: str | None = Field(
        None, description="host:port of the Firestore emulator.", json_schema_extra=LOCAL_ONLY
    )
    firebase_auth_emulator_host: str | None = Field(
        None, description="host:port of the Firebase Auth emulator.", json_schema_extra=LOCAL_ONLY
    )
    storage_emulator_host: str | None = Field(
        None, description="URL of the Cloud Storage emulator.", json_schema_extra=LOCAL_ONLY
    )
    cloud_tasks_emulator_host: str | None = Field(
        None,
        description="host:port of the Cloud Tasks emulator (insecure gRPC).",
        json_schema_extra=LOCAL_ONLY,
    )

    # --- Functions and tasks -----------------------------------------------------------------
    functions_base_url: str = Field(
        description="Base URL under which every function is reachable as <base>/<prefix><name>."
    )
    function_name_prefix: str = Field(
        "", description="Prefix of deployed function names (e.g. 'sellout-prod-')."
    )
    task_queue_prefix: str = Field("", description="Prefix of the Cloud Tasks queue names.")
    tasks_invoker_email: str = Field(
        "", description="Service account whose OIDC token Cloud Tasks attaches to each task."
    )
    tasks_verify_oidc: bool = Field(
        True,
        description="Verify the OIDC token on task handlers. Off only for the local emulator, "
        "which sends none.",
    )

    # --- Storage -----------------------------------------------------------------------------
    tickets_bucket: str = Field(description="Private bucket for QR ticket images.")
    storage_signing_key_file: str | None = Field(
        None,
        description="Service-account JSON with a throwaway key that signs URLs for the storage "
        "emulator. Production signs with the function's own service account (IAM signBlob).",
        json_schema_extra=LOCAL_ONLY,
    )
    uploads_bucket: str = Field(description="Bucket for uploaded posters and images.")
    reports_bucket: str = Field(
        description="Private bucket for CSV exports (buyers' personal data; deleted after a week)."
    )
    upload_max_bytes: int = Field(
        5 * 1024 * 1024,
        gt=0,
        description="Largest file uploadFiles accepts, in bytes (images only).",
    )
    upload_max_files: int = Field(5, gt=0, description="Most files one uploadFiles request may carry.")

    # --- Stripe -------------------------------------------------------------------------------
    stripe_secret_key: SecretStr = Field(description="Platform secret key (sk_...).")
    stripe_publishable_key: str = Field(description="Platform publishable key (pk_...).")
    stripe_webhook_secret: SecretStr = Field(description="Signing secret of the account webhook.")
    stripe_connect_webhook_secret: SecretStr = Field(
        description="Signing secret of the Connect webhook endpoint."
    )
    stripe_client_id: str = Field("", description="Connect OAuth client id (ca_...) Backstage links to.")
    stripe_redirect_url: str = Field("", description="Where Stripe sends promoters back after Connect.")
    stripe_client_api_version: str = Field(
        "2020-08-27",
        pattern=r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$",
        description="Stripe API version of the purchase portal's Stripe SDK: the checkout's ephemeral "
        "key is made for it (bump it with the portal, not with stripe-python).",
    )
    stripe_api_base: str | None = Field(
        None, description="URL of the local Stripe (localstripe).", json_schema_extra=LOCAL_ONLY
    )

    # --- E-mail and SMS ----------------------------------------------------------------------
    sendgrid_api_key: SecretStr = Field(description="SendGrid API key.")
    sendgrid_api_host: str | None = Field(
        None, description="URL of the SendGrid stand-in.", json_schema_extra=LOCAL_ONLY
    )
    email_from: str = Field(description="Sender address of every transactional e-mail.")
    purchase_portal_url: str = Field(
        "",
        description="Base URL of the purchase portal; notify-me e-mails link to <url>?eventId=<id> "
        "(empty = no link).",
    )
    plivo_auth_id: SecretStr = Field(description="Plivo auth id.")
    plivo_auth_token: SecretStr = Field(description="Plivo auth token.")
    plivo_api_base: str | None = Field(
        None, description="Account base URL of the Plivo stand-in.", json_schema_extra=LOCAL_ONLY
    )
    sms_from_number: str = Field(description="E.164 number (or sender id) SMS are sent from.")
    default_phone_region: str = Field(
        "US",
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166 region a phone number typed without its country code is read in "
        "(national and digits-only forms are stored in E.164).",
    )
    ses_region: str = Field(
        "us-east-1", description="AWS region of Amazon SES, the fallback when SendGrid fails."
    )
    ses_role_arn: str = Field(
        "",
        description="AWS IAM role the functions assume with their Google identity (web identity "
        "federation) to send through SES; empty = the default AWS credential chain.",
    )
    aws_endpoint_url_ses: str | None = Field(
        None, description="URL of the local SES (moto server).", json_schema_extra=LOCAL_ONLY
    )

    # --- Other SaaS (used by later features) -------------------------------------------------
    webflow_api_token: SecretStr = Field(SecretStr(""), description="Webflow API token.")
    webflow_site_id: str = Field("", description="The platform's own Webflow site id.")
    webflow_api_base: str | None = Field(
        None, description="URL of the Webflow stand-in.", json_schema_extra=LOCAL_ONLY
    )
    seatsio_secret_key: SecretStr = Field(
        SecretStr(""), description="seats.io company admin key (creates org sub-accounts)."
    )
    seatsio_api_base: str | None = Field(
        None, description="URL of the seats.io stand-in.", json_schema_extra=LOCAL_ONLY
    )
    ipgeo_access_key: SecretStr = Field(
        SecretStr(""), description="ipstack access key (buyer IP geolocation; empty = off)."
    )
    backstage_url: str = Field(
        "",
        description="Base URL of Backstage; verification and invitation e-mails link to its "
        "/account pages (empty = the verification mail shows the code instead of a link).",
    )
    ipgeo_api_base: str | None = Field(
        None, description="URL of the IP-geolocation stand-in.", json_schema_extra=LOCAL_ONLY
    )
    member_api_allow_private_hosts: bool = Field(
        False,
        description="Let an organization's member-API URL (tegURL) use http and private or "
        "loopback addresses, for the local stand-in; production calls https on public addresses only.",
        json_schema_extra=LOCAL_ONLY,
    )

    # --- Tickets ------------------------------------------------------------------------------
    ticket_signing_key: SecretStr = Field(
        description="Ed25519 private key (base64 raw 32 bytes) that signs ticket QR codes."
    )

    # --- Stock ---------------------------------------------------------------------------------
    stock_summary_seconds: int = Field(
        10,
        ge=0,
        le=300,
        description="How old the remaining stock shown on event pages, feeds and Backstage lists "
        "may be: each listing's shards are folded into a summary at most once per this many "
        "seconds (0: folded on every read, exact, K document reads per view). The checkout is "
        "always exact.",
    )

    # --- Sign-in ------------------------------------------------------------------------------
    legacy_sign_in: bool = Field(
        True,
        description="The legacy sign-in bridge (SPEC 4.4): login, sendUserPhoneAuthentication and "
        "verifyUserPhoneAuthentication answer the unmodified clients with Firebase session cookies. "
        "Turn off once Backstage and the portal sign in with the Firebase SDK.",
    )
    firebase_web_api_key: str = Field(
        "",
        description="Web API key of the Firebase project (public, as in the web clients' config): "
        "the bridge's password and custom-token sign-ins call the Identity Toolkit with it.",
    )

    # --- GraphQL and HTTP -------------------------------------------------------------------
    forwarded_for_trusted_hops: int = Field(
        1,
        ge=1,
        le=5,
        description="How many X-Forwarded-For entries our own infrastructure appends (1: Google's "
        "front end adds the connecting address; 2: behind an external HTTPS load balancer). Rate "
        "limits key on the entry that many places from the end.",
    )
    cors_allowed_origins: list[str] = Field(
        default_factory=list,
        description="Origins of Backstage and the purchase portal (JSON list).",
    )
    graphql_introspection: bool = Field(False, description="Allow schema introspection.")
    graphql_max_depth: int = Field(12, description="Deepest query accepted.")
    graphql_max_cost: int = Field(
        5000,
        description="Largest query cost accepted: each field 1, each root field 100 more (its "
        "lookup), a list root field its page more.",
    )
    log_level: str = Field("INFO", description="Lowest log severity written.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once (a Cloud Function instance serves many requests)."""
    return Settings()  # type: ignore[call-arg]  # required fields come from the environment
