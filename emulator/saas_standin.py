"""Local HTTP stand-in for the SaaS APIs that have no emulator anywhere: SendGrid and Plivo.

The real SDKs talk to it over HTTP (SendGrid through its `host` option, Plivo through its base
URI). It checks the credentials shape each real API demands, keeps every message it accepts,
and shows them on an inbox page: e-mails rendered as HTML, SMS texts beside them.
Tests read `/_inbox/*.json`, reset with `DELETE /_inbox`, and can make SendGrid fail with
`POST /_control/sendgrid` (to exercise the fallback path). `/_echo/...` records any request, a
neutral target for tests of the infrastructure itself.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import threading
import time
import uuid
from typing import Any

from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

from emulator.ipstack_standin import IpstackStandIn
from emulator.seatsio_standin import SeatsioStandIn
from emulator.teg_standin import TegStandIn
from emulator.webflow_standin import WebflowStandIn


class Inbox:
    """Everything the stand-in accepted, in arrival order (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.emails: list[dict[str, Any]] = []
        self.sms: list[dict[str, Any]] = []
        self.sendgrid_failure: dict[str, Any] | None = None
        self.echoes: list[dict[str, Any]] = []

    def add_echo(self, request: Request) -> None:
        with self._lock:
            self.echoes.append(
                {
                    "receivedAt": time.time(),
                    "path": request.path,
                    "headers": dict(request.headers),
                    "body": request.get_data(as_text=True),
                }
            )

    def add_email(self, message: dict[str, Any]) -> str:
        message_id = uuid.uuid4().hex
        with self._lock:
            self.emails.append({"id": message_id, "receivedAt": time.time(), "message": message})
        return message_id

    def add_sms(self, message: dict[str, Any]) -> str:
        message_uuid = str(uuid.uuid4())
        with self._lock:
            self.sms.append({"id": message_uuid, "receivedAt": time.time(), "message": message})
        return message_uuid

    def clear(self) -> None:
        with self._lock:
            self.emails.clear()
            self.sms.clear()
            self.echoes.clear()
            self.sendgrid_failure = None


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _sendgrid_error(message: str, status: int) -> Response:
    return _json({"errors": [{"message": message, "field": None, "help": None}]}, status)


def _plivo_error(message: str, status: int) -> Response:
    return _json({"api_id": str(uuid.uuid4()), "error": message}, status)


class SaasStandIn:
    def __init__(self, plivo_auth_id: str | None, plivo_auth_token: str | None) -> None:
        self.inbox = Inbox()
        self.plivo_auth = (plivo_auth_id, plivo_auth_token)
        self.webflow = WebflowStandIn()
        self.seatsio = SeatsioStandIn()
        self.ipstack = IpstackStandIn()
        self.teg = TegStandIn()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request: Request) -> Response:  # noqa: PLR0912 - one route table, read top down
        path, method = request.path.rstrip("/") or "/", request.method
        if path == "/" and method == "GET":
            return self.inbox_page()
        if path == "/health":
            return Response("OK")
        if path == "/v3/mail/send" and method == "POST":
            return self.sendgrid_send(request)
        if path.startswith("/v1/Account/") and path.endswith("/Message") and method == "POST":
            return self.plivo_send(request, path.split("/")[3])
        if path == "/_inbox" and method == "DELETE":
            self.inbox.clear()
            self.webflow.clear()
            self.seatsio.clear()
            self.ipstack.clear()
            self.teg.clear()
            return Response(status=204)
        if path == "/webflow" or path.startswith("/webflow/"):
            # Webflow Data API v2 subset + its test hooks (emulator/webflow_standin.py).
            return self.webflow.dispatch(request, path.removeprefix("/webflow"))
        if path == "/seatsio" or path.startswith("/seatsio/"):
            # seats.io REST subset + its test hooks (emulator/seatsio_standin.py).
            return self.seatsio.dispatch(request, path.removeprefix("/seatsio"))
        if path.startswith("/ipgeo/"):
            # ipstack's geolocation API (emulator/ipstack_standin.py).
            return self.ipstack.dispatch(request, path.removeprefix("/ipgeo"))
        if path.startswith("/teg/"):
            # An organization's member API (emulator/teg_standin.py).
            return self.teg.dispatch(request, path.removeprefix("/teg"))
        if path == "/_inbox/emails.json":
            return _json(self.inbox.emails)
        if path == "/_inbox/sms.json":
            return _json(self.inbox.sms)
        if path.startswith("/_echo"):
            # A neutral target for tests of the infrastructure itself (e.g. Cloud Tasks delivery).
            self.inbox.add_echo(request)
            return Response("OK")
        if path == "/_inbox/echoes.json":
            return _json(self.inbox.echoes)
        if path == "/_control/sendgrid" and method == "POST":
            self.inbox.sendgrid_failure = request.get_json(silent=True) or None
            return Response(status=204)
        return _json({"error": f"no stand-in for {method} {path}"}, 404)

    # --- SendGrid v3 ----------------------------------------------------------------------
    def sendgrid_send(self, request: Request) -> Response:
        if not request.headers.get("Authorization", "").startswith("Bearer SG."):
            return _sendgrid_error("The provided authorization grant is invalid.", 401)
        failure = self.inbox.sendgrid_failure
        if failure:
            return _sendgrid_error(failure.get("message", "injected failure"), failure.get("status", 503))
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _sendgrid_error("Bad Request", 400)
        problems = [
            field
            for field, ok in (
                ("from", bool((body.get("from") or {}).get("email"))),
                ("personalizations", bool(body.get("personalizations"))),
                (
                    "subject",
                    bool(body.get("subject"))
                    or any(p.get("subject") for p in body.get("personalizations", []))
                    or bool(body.get("template_id")),
                ),
                ("content", bool(body.get("content")) or bool(body.get("template_id"))),
            )
            if not ok
        ]
        if problems:
            return _sendgrid_error(f"missing: {', '.join(problems)}", 400)
        message_id = self.inbox.add_email(body)
        response = Response(status=202)
        response.headers["X-Message-Id"] = message_id
        return response

    # --- Plivo Message API ----------------------------------------------------------------
    def plivo_send(self, request: Request, auth_id: str) -> Response:
        header = request.headers.get("Authorization", "")
        try:
            user, _, password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
        except ValueError:
            user, password = "", ""
        expected_id, expected_token = self.plivo_auth
        if (
            user != auth_id
            or (expected_id and user != expected_id)
            or (expected_token and password != expected_token)
        ):
            return _plivo_error("Authentication failed", 401)
        body = request.get_json(silent=True) or {}
        missing = [k for k in ("src", "dst", "text") if not body.get(k)]
        if missing:
            return _plivo_error(f"missing parameter: {', '.join(missing)}", 400)
        message_uuid = self.inbox.add_sms(body)
        return _json(
            {"api_id": str(uuid.uuid4()), "message": "message(s) queued", "message_uuid": [message_uuid]},
            202,
        )

    # --- Inbox page -----------------------------------------------------------------------
    def inbox_page(self) -> Response:
        emails = "".join(_render_email(e) for e in reversed(self.inbox.emails)) or "<p>No e-mail yet.</p>"
        texts = "".join(_render_sms(s) for s in reversed(self.inbox.sms)) or "<p>No text yet.</p>"
        page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Sellout local inbox</title>
<style>body{{font-family:system-ui,sans-serif;margin:0;background:#f4f4f6}}
header{{background:#1b1b2f;color:#fff;padding:12px 20px}}main{{display:flex;gap:20px;padding:20px}}
section{{flex:1;min-width:0}}article{{background:#fff;border-radius:8px;padding:12px;margin-bottom:14px;
box-shadow:0 1px 3px #0002}}iframe{{width:100%;height:420px;border:1px solid #ddd;border-radius:4px}}
.meta{{color:#555;font-size:13px;margin-bottom:6px}}.sms{{white-space:pre-wrap}}</style></head>
<body><header><b>Sellout local inbox</b> — what the functions sent through SendGrid and Plivo
(reload to refresh)</header><main><section><h2>E-mail ({len(self.inbox.emails)})</h2>{emails}</section>
<section style="max-width:420px"><h2>SMS ({len(self.inbox.sms)})</h2>{texts}</section></main></body></html>"""
        return Response(page, mimetype="text/html")


def _render_email(entry: dict[str, Any]) -> str:
    message = entry["message"]
    recipients = ", ".join(
        to.get("email", "") for p in message.get("personalizations", []) for to in p.get("to", [])
    )
    subject = message.get("subject") or next(
        (p.get("subject") for p in message.get("personalizations", []) if p.get("subject")), ""
    )
    contents = {c.get("type"): c.get("value", "") for c in message.get("content", [])}
    body = contents.get("text/html") or f"<pre>{html.escape(contents.get('text/plain', ''))}</pre>"
    attachments = ", ".join(a.get("filename", "") for a in message.get("attachments", []))
    return (
        f"<article><div class='meta'><b>{html.escape(subject)}</b><br>to {html.escape(recipients)}"
        f" from {html.escape((message.get('from') or {}).get('email', ''))}"
        f"{'<br>attachments: ' + html.escape(attachments) if attachments else ''}</div>"
        f'<iframe sandbox srcdoc="{html.escape(body, quote=True)}"></iframe></article>'
    )


def _render_sms(entry: dict[str, Any]) -> str:
    message = entry["message"]
    return (
        f"<article><div class='meta'>to {html.escape(str(message.get('dst')))} from "
        f"{html.escape(str(message.get('src')))}</div><div class='sms'>"
        f"{html.escape(str(message.get('text')))}</div></article>"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # Credentials come from the environment (not argv, which any local user can read).
    app = SaasStandIn(os.environ.get("PLIVO_AUTH_ID"), os.environ.get("PLIVO_AUTH_TOKEN"))
    print(f"SaaS stand-in on {args.host}:{args.port}", flush=True)
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
