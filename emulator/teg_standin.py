"""A local stand-in for an organization's member API ("TEG", SPEC R-T3-6), served by the SaaS
stand-in under `/teg`; an org's `tegURL` points at `<saas>/teg` locally. It keeps the contract
documented in shared/adapters/member_api.py: a client-credentials token, then member look-ups.

Each client id is its own member directory, so parallel tests never see each other's members:

    POST /teg/_control/clients   {"clientId", "clientSecret", "members": [{"memberId", "firstName",
                                  "lastName", "email", "phoneNumber", "active"}], "tokenLifetime"}
        registers (or replaces) a client and its members.
    POST /teg/_control/fail      {"clientId", "status": 503 | 0}   every call of that client then
                                  answers that status (0: back to normal).
    POST /teg/_control/revoke    {"clientId"}   its tokens stop working (the next look-up is 401).
    GET  /teg/_control/stats?clientId=...   {"tokens": n, "lookups": n} requests seen.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response


@dataclass
class _Client:
    secret: str
    members: dict[str, dict[str, Any]]
    token_lifetime: int = 3600
    failing_status: int = 0
    tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    lookups: int = 0


class TegStandIn:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clients: dict[str, _Client] = {}
        self.token_owner: dict[str, str] = {}

    def clear(self) -> None:
        with self._lock:
            self.clients.clear()
            self.token_owner.clear()

    def dispatch(self, request: Request, path: str) -> Response:
        method = request.method
        if path.startswith("/_control/"):
            return self._control(request, path.removeprefix("/_control/"))
        if path == "/oauth/token" and method == "POST":
            return self._token(request)
        if path.startswith("/members/") and method == "GET":
            return self._member(request, unquote(path.removeprefix("/members/")))
        return _json({"error": "not_found"}, 404)

    # --- the member API -----------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        form = request.form
        with self._lock:
            client = self.clients.get(form.get("client_id", ""))
            if client is not None:
                client.token_requests += 1
            if client is not None and client.failing_status:
                return _json({"error": "unavailable"}, client.failing_status)
            if form.get("grant_type") != "client_credentials":
                return _json({"error": "unsupported_grant_type"}, 400)
            if client is None or not secrets.compare_digest(client.secret, form.get("client_secret", "")):
                return _json({"error": "invalid_client"}, 401)
            token = secrets.token_urlsafe(24)
            client.tokens.add(token)
            self.token_owner[token] = form["client_id"]
            return _json({"access_token": token, "token_type": "Bearer", "expires_in": client.token_lifetime})

    def _member(self, request: Request, member_id: str) -> Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        with self._lock:
            client = self.clients.get(self.token_owner.get(token, ""))
            if client is not None and client.failing_status:
                return _json({"error": "unavailable"}, client.failing_status)
            if client is None or token not in client.tokens:
                return _json({"error": "invalid_token"}, 401)
            client.lookups += 1
            member = client.members.get(member_id)
        if member is None:
            return _json({"error": "member_not_found"}, 404)
        return _json(member)

    # --- test hooks -----------------------------------------------------------------------------

    def _control(self, request: Request, action: str) -> Response:
        if action == "stats" and request.method == "GET":
            with self._lock:
                client = self.clients.get(request.args.get("clientId", ""))
                stats = {"tokens": client.token_requests, "lookups": client.lookups} if client else {}
            return _json(stats)
        body = request.get_json(silent=True) or {}
        client_id = str(body.get("clientId") or "")
        if request.method != "POST" or not client_id:
            return _json({"error": "clientId required"}, 400)
        with self._lock:
            if action == "clients":
                members = {str(m["memberId"]): {"active": True, **m} for m in body.get("members") or []}
                self.clients[client_id] = _Client(
                    str(body.get("clientSecret") or ""), members, int(body.get("tokenLifetime") or 3600)
                )
                return Response(status=204)
            client = self.clients.get(client_id)
            if client is None:
                return _json({"error": "unknown client"}, 404)
            if action == "fail":
                client.failing_status = int(body.get("status") or 0)
                return Response(status=204)
            if action == "revoke":
                client.tokens.clear()
                return Response(status=204)
        return _json({"error": f"no control {action}"}, 404)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
