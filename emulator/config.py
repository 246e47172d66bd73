"""Where each local service listens, and the environment the functions and tests run with.

Every server binds 127.0.0.1. The environment below is the local counterpart of what Terraform
gives the deployed functions: same setting names, emulator addresses instead of Google's.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("SELLOUT_STACK_DIR", REPO_ROOT / ".stack"))
PROJECT_ID = "demo-sellout"
HOST = "127.0.0.1"

# Cloud Tasks queues the app uses (Terraform declares the same names with a prefix).
TASK_QUEUES = ("delivery", "reservations", "refunds", "webflow", "background")
TASKS_LOCATION = "us-central1"


@dataclass(frozen=True)
class Ports:
    firestore: int = 8080
    auth: int = 9099
    tasks: int = 9022
    storage: int = 9023
    stripe: int = 8420
    saas: int = 8025
    functions: int = 8085
    ses: int = 9024


PORTS = Ports(
    **{
        name: int(os.environ[f"SELLOUT_PORT_{name.upper()}"])
        for name in Ports.__dataclass_fields__
        if f"SELLOUT_PORT_{name.upper()}" in os.environ
    }
)

FUNCTIONS_URL = f"http://{HOST}:{PORTS.functions}"
SAAS_URL = f"http://{HOST}:{PORTS.saas}"
STRIPE_URL = f"http://{HOST}:{PORTS.stripe}"
STORAGE_URL = f"http://{HOST}:{PORTS.storage}"
SES_URL = f"http://{HOST}:{PORTS.ses}"
FIRESTORE_HOST = f"{HOST}:{PORTS.firestore}"
AUTH_HOST = f"{HOST}:{PORTS.auth}"
TASKS_HOST = f"{HOST}:{PORTS.tasks}"

TICKETS_BUCKET = f"{PROJECT_ID}-tickets"
UPLOADS_BUCKET = f"{PROJECT_ID}-uploads"
REPORTS_BUCKET = f"{PROJECT_ID}-reports"

# Fixed, non-secret values of the local fakes (localstripe accepts any sk_ key).
STRIPE_SECRET_KEY = "sk_test_local_sellout"  # noqa: S105 - localstripe accepts any sk_ key
STRIPE_PUBLISHABLE_KEY = "pk_test_local_sellout"
PLIVO_AUTH_ID = "MALOCALSELLOUT000000"
# moto accepts any AWS keys; these are obviously not real ones.
AWS_ACCESS_KEY_ID = "AKIALOCALSELLOUTFAKE"
AWS_SECRET_ACCESS_KEY = "local-sellout-fake-secret"  # noqa: S105 - moto accepts any key
SES_REGION = "us-east-1"


def _local_secrets() -> dict[str, str]:
    """Throwaway secrets made once per checkout and kept in .stack/, so restarting the stack
    keeps issued ticket codes and webhook signatures valid. Never used outside this machine."""
    path = STATE_DIR / "local-secrets.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    values = {
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(16),
        "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(16),
        "TICKET_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "PLIVO_AUTH_TOKEN": secrets.token_hex(16),
        "SENDGRID_API_KEY": "SG." + secrets.token_urlsafe(16),
    }
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values, indent=2))
    path.chmod(0o600)
    return values


def _local_storage_signer() -> Path:
    """A throwaway service-account key that signs ticket-image URLs for the storage emulator
    (which does not check signatures). Production signs with IAM signBlob and has no key file."""
    path = STATE_DIR / "storage-signer.json"
    if path.exists():
        return path
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": PROJECT_ID,
        "private_key_id": "local-" + secrets.token_hex(8),
        "private_key": pem,
        "client_email": f"local-url-signer@{PROJECT_ID}.iam.gserviceaccount.com",
        "client_id": "0",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=2))
    path.chmod(0o600)
    return path


def local_environment() -> dict[str, str]:
    """Environment variables for the functions, the seeder and the tests on the local stack."""
    env = {
        "GCP_PROJECT": PROJECT_ID,
        "GOOGLE_CLOUD_PROJECT": PROJECT_ID,
        "GCP_REGION": TASKS_LOCATION,
        "FIRESTORE_EMULATOR_HOST": FIRESTORE_HOST,
        "FIREBASE_AUTH_EMULATOR_HOST": AUTH_HOST,
        "STORAGE_EMULATOR_HOST": STORAGE_URL,
        "CLOUD_TASKS_EMULATOR_HOST": TASKS_HOST,
        "FUNCTIONS_BASE_URL": FUNCTIONS_URL,
        "FUNCTION_NAME_PREFIX": "",
        "TASK_QUEUE_PREFIX": "",
        "TASKS_INVOKER_EMAIL": "",
        # The Cloud Tasks emulator attaches no OIDC token; production verifies it.
        "TASKS_VERIFY_OIDC": "false",
        "TICKETS_BUCKET": TICKETS_BUCKET,
        "STORAGE_SIGNING_KEY_FILE": str(_local_storage_signer()),
        "UPLOADS_BUCKET": UPLOADS_BUCKET,
        "REPORTS_BUCKET": REPORTS_BUCKET,
        "STRIPE_SECRET_KEY": STRIPE_SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": STRIPE_PUBLISHABLE_KEY,
        "STRIPE_API_BASE": STRIPE_URL,
        "SENDGRID_API_HOST": SAAS_URL,
        "EMAIL_FROM": "tickets@sellout.local",
        # Where Backstage's dev server listens: account e-mails link to its /account pages.
        "BACKSTAGE_URL": "http://localhost:3000",
        "PLIVO_AUTH_ID": PLIVO_AUTH_ID,
        "PLIVO_API_BASE": f"{SAAS_URL}/v1/Account",
        "SMS_FROM_NUMBER": "+15555550100",
        "SES_REGION": SES_REGION,
        "AWS_ENDPOINT_URL_SES": SES_URL,
        "AWS_ACCESS_KEY_ID": AWS_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET_ACCESS_KEY,
        "WEBFLOW_API_BASE": f"{SAAS_URL}/webflow",
        # Page views fold live stock on every read locally: tests assert the count right after a sale.
        "STOCK_SUMMARY_SECONDS": "0",
        # The stand-in only checks that a bearer token is sent; this one is not a secret.
        "WEBFLOW_API_TOKEN": "local-webflow-token",
        "SEATSIO_API_BASE": f"{SAAS_URL}/seatsio",
        # The stand-in's company admin key (it makes org workspaces); not a secret anywhere else.
        "SEATSIO_SECRET_KEY": "local-seatsio-company-key",
        "IPGEO_API_BASE": f"{SAAS_URL}/ipgeo",
        "IPGEO_ACCESS_KEY": "local-ipgeo-key",  # the stand-in only checks one is sent
        # Organizations' member APIs (tegURL) point at the stand-in under SAAS_URL/teg locally.
        "MEMBER_API_ALLOW_PRIVATE_HOSTS": "true",
        # The clients' dev servers: Backstage 3000, the purchase portal 3001, Backstage's embed
        # preview 3002, under both spellings a browser may use. Production origins come from
        # Terraform (var.cors_allowed_origins).
        "CORS_ALLOWED_ORIGINS": json.dumps(
            [f"http://{host}:{port}" for host in ("localhost", "127.0.0.1") for port in (3000, 3001, 3002)]
        ),
        # The Auth emulator accepts any web API key (the bridge's Identity Toolkit calls).
        "FIREBASE_WEB_API_KEY": "local",
        "GRAPHQL_INTROSPECTION": "true",
        "LOG_LEVEL": "INFO",
    }
    env.update(_local_secrets())
    return env
