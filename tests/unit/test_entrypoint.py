"""The wrapper every function shares, exercised through functions_framework.create_app exactly as
Cloud Functions builds the app (no emulator needed: these paths do no I/O)."""

import json
from pathlib import Path

import flask
import functions_framework
import pytest

from emulator.functions_router import function_names
from shared.entrypoint import http_entry
from shared.errors import DomainError, ErrorCode

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


@pytest.mark.parametrize("name", function_names(FUNCTIONS))
def test_every_function_answers_a_health_check(name):
    client = functions_framework.create_app("handle", str(FUNCTIONS / name / "main.py")).test_client()
    response = client.get("/")
    assert response.status_code == 200
    assert response.data == b"OK"
    assert response.headers["X-Request-Id"]


def _app(handler):
    app = flask.Flask("t")
    wrapped = http_entry("test")(handler)
    app.add_url_rule("/", "h", lambda: wrapped(flask.request), methods=["GET", "POST"])
    return app.test_client()


def test_a_domain_error_becomes_its_status_and_stable_code():
    def handler(request):
        raise DomainError(ErrorCode.SOLD_OUT, "Sold out.", ["ticketTypeId"])

    response = _app(handler).post("/", json={})
    assert response.status_code == 409
    assert json.loads(response.data) == {
        "error": {"code": "SOLD_OUT", "message": "Sold out.", "fields": ["ticketTypeId"]}
    }


def test_an_unexpected_error_is_a_generic_500_with_no_internals():
    def handler(request):
        raise KeyError("firestore path projects/x/secret sk_test_123")

    response = _app(handler).post("/", json={})
    assert response.status_code == 500
    assert json.loads(response.data) == {"error": {"code": "INTERNAL", "message": "Internal error."}}


def test_the_callers_request_id_is_echoed():
    response = _app(lambda request: "done").post("/", headers={"X-Request-Id": "abcdef123456"})
    assert response.headers["X-Request-Id"] == "abcdef123456"
    assert response.data == b"done"
