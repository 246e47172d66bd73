"""The local stack is real: each Google SDK, stripe-python, SendGrid and Plivo talk over HTTP or
gRPC to the emulator or stand-in that `make run` starts, and the functions answer through it."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path

import firebase_admin
import plivo
import requests
import stripe
from firebase_admin import auth
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore, storage  # type: ignore[attr-defined]
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Mail

from emulator import config
from emulator.functions_router import function_names
from shared.adapters.task_queue import CloudTaskQueue
from shared.settings import get_settings
from tests.integration.api import wait_for
from tests.integration.inbox import emails, texts

FUNCTIONS = config.FUNCTIONS_URL


def test_every_function_is_served_and_healthy():
    for name in function_names():
        response = requests.get(f"{FUNCTIONS}/{name}/", timeout=5)
        assert (name, response.status_code, response.text) == (name, 200, "OK")


def test_graphql_answers_a_trivial_query():
    response = requests.post(f"{FUNCTIONS}/graphql/graphql", json={"query": "{ __typename }"}, timeout=5)
    assert response.json() == {"data": {"__typename": "Query"}}


def test_graphql_admits_only_configured_origins():
    preflight = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}
    allowed = requests.options(f"{FUNCTIONS}/graphql/graphql", headers=preflight, timeout=5)
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "X-Org-Id" in allowed.headers["Access-Control-Allow-Headers"]
    evil = requests.options(
        f"{FUNCTIONS}/graphql/graphql", headers={**preflight, "Origin": "https://evil.example"}, timeout=5
    )
    assert "Access-Control-Allow-Origin" not in evil.headers


def test_function_logs_are_json_with_request_id_and_trace():
    request_id = uuid.uuid4().hex
    requests.post(
        f"{FUNCTIONS}/send-email/",
        headers={
            "X-Request-Id": request_id,
            "X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/1;o=1",
        },
        timeout=5,
    )
    log_file = config.STATE_DIR / "logs" / "functions.log"

    def our_line():
        for line in Path(log_file).read_text().splitlines():
            if line.startswith("{") and request_id in line:
                return json.loads(line)
        return None

    line = wait_for(our_line)
    assert line["severity"] == "INFO"
    assert line["function"] == "send-email"
    assert line["logging.googleapis.com/trace"] == (
        f"projects/{config.PROJECT_ID}/traces/105445aa7843bc8bf206b12000100000"
    )


def test_firestore_is_the_official_emulator_with_transactions():
    client = firestore.Client(project=config.PROJECT_ID)
    ref = client.collection("probe").document("counter")
    ref.set({"n": 0})

    @firestore.transactional
    def bump(transaction):
        snapshot = ref.get(transaction=transaction)
        transaction.update(ref, {"n": snapshot.get("n") + 1})

    for _ in range(3):
        bump(client.transaction())
    assert ref.get().get("n") == 3


def test_data_is_wiped_between_tests():
    client = firestore.Client(project=config.PROJECT_ID)
    assert not client.collection("probe").document("counter").get().exists


def test_auth_emulator_issues_id_tokens_that_firebase_admin_verifies():
    if not firebase_admin._apps:
        firebase_admin.initialize_app(options={"projectId": config.PROJECT_ID})
    user = auth.create_user(phone_number="+15555550199")
    custom = auth.create_custom_token(user.uid).decode()
    exchange = requests.post(
        f"http://{config.AUTH_HOST}/identitytoolkit.googleapis.com/v1/accounts:signInWithCustomToken?key=fake",
        json={"token": custom, "returnSecureToken": True},
        timeout=5,
    )
    claims = auth.verify_id_token(exchange.json()["idToken"], check_revoked=True)
    assert claims["uid"] == user.uid
    assert claims["phone_number"] == "+15555550199"


def test_cloud_tasks_emulator_delivers_http_tasks_on_schedule():
    queue = CloudTaskQueue(get_settings())
    run_at = int(time.time()) + 2
    queue.enqueue_url(
        "delivery", f"{config.SAAS_URL}/_echo/task", {"orderId": "o1"}, key="probe", run_at=run_at
    )

    def delivered():
        return requests.get(f"{config.SAAS_URL}/_inbox/echoes.json", timeout=5).json()

    (echo,) = wait_for(delivered)
    assert json.loads(echo["body"]) == {"orderId": "o1"}
    assert echo["headers"]["X-Cloudtasks-Queuename"].endswith("/queues/delivery")
    assert echo["receivedAt"] >= run_at - 0.5


def test_cloud_storage_emulator_holds_every_bucket():
    client = storage.Client(project=config.PROJECT_ID, credentials=AnonymousCredentials())
    for bucket in (config.TICKETS_BUCKET, config.UPLOADS_BUCKET, config.REPORTS_BUCKET):
        blob = client.bucket(bucket).blob("probe/hello.txt")
        blob.upload_from_string(b"hello", content_type="text/plain")
        assert blob.download_as_bytes() == b"hello"


def test_stripe_python_talks_to_the_local_stripe():
    client = stripe.StripeClient(config.STRIPE_SECRET_KEY, base_addresses={"api": config.STRIPE_URL})
    intent = client.v1.payment_intents.create(params={"amount": 2500, "currency": "usd"})
    assert intent.id.startswith("pi_")
    assert client.v1.payment_intents.retrieve(intent.id).amount == 2500


def test_sendgrid_sdk_delivers_to_the_inbox():
    settings = get_settings()
    client = SendGridAPIClient(settings.sendgrid_api_key.get_secret_value(), host=settings.sendgrid_api_host)
    message = Mail(
        from_email=settings.email_from,
        to_emails="buyer@example.com",
        subject="Your tickets",
        html_content="<h1>See you there</h1>",
    )
    assert client.send(message).status_code == 202
    (email,) = emails("buyer@example.com")
    assert email["subject"] == "Your tickets"
    page = requests.get(f"{config.SAAS_URL}/", timeout=5).text
    assert "Your tickets" in page
    assert "See you there" in page


def test_sendgrid_stand_in_refuses_a_wrong_key():
    client = SendGridAPIClient("not-a-key", host=get_settings().sendgrid_api_host)
    message = Mail(from_email="a@b.co", to_emails="c@d.co", subject="x", plain_text_content="x")
    try:
        client.send(message)
    except Exception as error:  # python_http_client raises UnauthorizedError
        assert "401" in str(error) or "Unauthorized" in type(error).__name__
    else:
        raise AssertionError("the stand-in accepted an invalid key")


def test_plivo_sdk_delivers_to_the_inbox(monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(plivo.rest.client, "PLIVO_API_BASE_URI", settings.plivo_api_base)
    client = plivo.RestClient(
        settings.plivo_auth_id.get_secret_value(), settings.plivo_auth_token.get_secret_value()
    )
    response = client.messages.create(src=settings.sms_from_number, dst="+15555550111", text="Doors at 7")
    assert response.message_uuid
    (sms,) = texts("+15555550111")
    assert sms["text"] == "Doors at 7"
    assert "Doors at 7" in requests.get(f"{config.SAAS_URL}/", timeout=5).text


def test_plivo_stand_in_refuses_wrong_credentials():
    header = base64.b64encode(f"{config.PLIVO_AUTH_ID}:wrong".encode()).decode()
    response = requests.post(
        f"{config.SAAS_URL}/v1/Account/{config.PLIVO_AUTH_ID}/Message/",
        json={"src": "+1555", "dst": "+1556", "text": "x"},
        headers={"Authorization": f"Basic {header}"},
        timeout=5,
    )
    assert response.status_code == 401


def test_the_demo_seed_gives_an_on_sale_event_the_api_serves(capsys):
    from emulator import seed

    seed.seed()
    seed.seed()  # idempotent
    response = requests.post(
        f"{FUNCTIONS}/graphql/graphql",
        json={"query": '{ event(eventId: "demoEvent01") { name ticketTypes { name remainingQty } } }'},
        timeout=10,
    )
    event = response.json()["data"]["event"]
    assert event["name"] == "The Emulators — Live"
    assert [t["remainingQty"] for t in event["ticketTypes"]] == [1000, 100]
    assert "Seeded organization" in capsys.readouterr().out
