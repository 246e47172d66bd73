"""Local stand-in for the subset of the seats.io REST API Sellout uses (seats.io has no emulator).
Mounted by the SaaS stand-in under `/seatsio`; the official `seatsio` SDK talks to it through
its region base URL (SEATSIO_API_BASE).

    POST /workspaces                                   create a workspace (company admin key only)
    GET  /workspaces/{publicKey}                       retrieve it
    POST /events                                       create an event for a chart {chartKey, eventKey}
    GET  /events/{key}                                 retrieve it (404 EVENT_NOT_FOUND)
    POST /events/{key}                                 update it (name, date, eventKey)
    GET  /events/{key}/objects?label=A-1&label=A-2     object infos
    POST /events/groups/actions/change-object-status   book / hold / release objects, atomically
    POST /hold-tokens                                  create a hold token (15 minutes by default)
    GET  /hold-tokens/{token}                          retrieve it
    POST /hold-tokens/{token}                          set its expiry to now + expiresInMinutes

Authentication is HTTP basic with the secret key as user name, as the SDK sends it: the company
admin key (SEATSIO_SECRET_KEY in the stand-in's environment; any key not belonging to a workspace
when that is unset) acts on the workspace named by `X-Workspace-Key` (else the default
workspace); a workspace secret key acts on its own workspace. Seat state is kept per workspace
and event. Like seats.io, a status change fails as a whole with 400 ILLEGAL_STATUS_CHANGE when
any object is booked, or held by another hold token; releasing an object that is not booked
(or held by the given token) fails the same way; an expired hold token holds nothing.

Test hooks (not seats.io): `POST /_charts` {"key", "labels"} declares a chart's seat labels (an
undeclared chart accepts any label); `GET /_state` shows workspaces (no secrets), events and
seat states; `POST /_control` {"down": true} makes every API call answer 503 until set false,
{"failNext": n} only the next n calls;
`clear()` forgets everything (the SaaS stand-in's `DELETE /_inbox`).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

DEFAULT_HOLD_MINUTES = 15
FREE, BOOKED, HELD = "free", "booked", "reservedByToken"


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _error(code: str, message: str, status: int = 400) -> Response:
    # seats.io's error body; the SDK reads `errors` and `requestId`.
    return _json(
        {
            "errors": [{"code": code, "message": message}],
            "messages": [message],
            "requestId": uuid.uuid4().hex,
        },
        status,
    )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _FailureError(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__("seats.io stand-in failure")
        self.response = response


class SeatsioStandIn:
    def __init__(self, company_key: str | None = None) -> None:
        self._lock = threading.Lock()
        self.company_key = (
            company_key if company_key is not None else os.environ.get("SEATSIO_SECRET_KEY", "")
        )
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.workspaces: dict[str, dict[str, Any]] = {}  # public key -> workspace
            self.events: dict[tuple[str, str], dict[str, Any]] = {}  # (workspace, event key) -> event
            self.hold_tokens: dict[tuple[str, str], float] = {}  # (workspace, token) -> expires at
            self.charts: dict[str, list[str]] = {}
            self.down = False
            self.fail_next = 0
            self.default_workspace = self._new_workspace("Default workspace", is_default=True)["key"]

    # --- routing ------------------------------------------------------------------------------

    def dispatch(self, request: Request, path: str) -> Response:
        path, method = path.rstrip("/") or "/", request.method
        if path == "/_charts" and method == "POST":
            body = request.get_json(silent=True) or {}
            with self._lock:
                self.charts[str(body.get("key"))] = [str(label) for label in body.get("labels") or []]
            return Response(status=204)
        if path == "/_state" and method == "GET":
            return _json(self.state())
        if path == "/_control" and method == "POST":
            control = request.get_json(silent=True) or {}
            with self._lock:
                self.down = bool(control.get("down"))
                self.fail_next = int(control.get("failNext") or 0)
            return Response(status=204)
        with self._lock:
            failing = self.down or self.fail_next > 0
            self.fail_next = max(0, self.fail_next - 1)
        if failing:
            return Response("seats.io is unavailable", status=503, mimetype="text/plain")
        try:
            with self._lock:
                return self._api(request, path, method)
        except _FailureError as failure:
            return failure.response

    def _api(self, request: Request, path: str, method: str) -> Response:  # noqa: PLR0912 - one route table
        workspace, is_company = self._authenticate(request)
        body = request.get_json(silent=True, force=True) or {}
        parts = path.strip("/").split("/")
        if parts == ["workspaces"] and method == "POST":
            if not is_company:
                raise _FailureError(
                    _error("FORBIDDEN", "Only the company admin key can create workspaces.", 403)
                )
            return _json(self._workspace_view(self._new_workspace(str(body.get("name") or ""))))
        if len(parts) == 2 and parts[0] == "workspaces" and method == "GET":
            found = self.workspaces.get(parts[1])
            if not is_company or found is None:
                raise _FailureError(_error("WORKSPACE_NOT_FOUND", "Workspace not found.", 404))
            return _json(self._workspace_view(found))
        if parts == ["events"] and method == "POST":
            return _json(self._create_event(workspace, body))
        if parts == ["events", "groups", "actions", "change-object-status"] and method == "POST":
            return _json(self._change_status(workspace, body))
        if len(parts) == 2 and parts[0] == "events":
            event = self._event(workspace, parts[1])
            if method == "GET":
                return _json(self._event_view(event))
            if method == "POST":
                for field in ("name", "date"):
                    if body.get(field) is not None:
                        event[field] = body[field]
                if body.get("eventKey"):
                    self.events.pop((workspace, event["key"]))
                    event["key"] = str(body["eventKey"])
                    self.events[(workspace, event["key"])] = event
                event["updatedOn"] = _iso(time.time())
                return Response(status=204)
        if len(parts) == 3 and parts[0] == "events" and parts[2] == "objects" and method == "GET":
            event = self._event(workspace, parts[1])
            return _json({label: self._object_view(event, label) for label in request.args.getlist("label")})
        if parts == ["hold-tokens"] and method == "POST":
            minutes = int(body.get("expiresInMinutes") or DEFAULT_HOLD_MINUTES)
            token = secrets.token_urlsafe(18)
            self.hold_tokens[(workspace, token)] = time.time() + minutes * 60
            return _json(self._token_view(workspace, token))
        if len(parts) == 2 and parts[0] == "hold-tokens":
            token = parts[1]
            if (workspace, token) not in self.hold_tokens:
                raise _FailureError(_error("HOLD_TOKEN_NOT_FOUND", "Hold token not found.", 404))
            if method == "POST":
                minutes = int(body.get("expiresInMinutes") or 0)
                if not 0 < minutes <= 1440:
                    raise _FailureError(
                        _error("INVALID_EXPIRES_IN_MINUTES", "expiresInMinutes must be 1-1440.")
                    )
                if self.hold_tokens[(workspace, token)] <= time.time():
                    raise _FailureError(_error("HOLD_TOKEN_EXPIRED", "The hold token has expired."))
                self.hold_tokens[(workspace, token)] = time.time() + minutes * 60
            return _json(self._token_view(workspace, token))
        raise _FailureError(_error("NOT_FOUND", f"no stand-in for {method} {path}", 404))

    def _authenticate(self, request: Request) -> tuple[str, bool]:
        header = request.headers.get("Authorization", "")
        try:
            key = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")[0]
        except ValueError:
            key = ""
        for workspace in self.workspaces.values():
            if key and key == workspace["secretKey"]:
                return workspace["key"], False
        if key and (not self.company_key or key == self.company_key):
            chosen = request.headers.get("X-Workspace-Key") or self.default_workspace
            if chosen not in self.workspaces:
                raise _FailureError(_error("WORKSPACE_NOT_FOUND", "Workspace not found.", 404))
            return chosen, True
        raise _FailureError(_error("UNAUTHORIZED", "Invalid secret key.", 401))

    # --- workspaces ---------------------------------------------------------------------------

    def _new_workspace(self, name: str, *, is_default: bool = False) -> dict[str, Any]:
        workspace: dict[str, Any] = {
            "id": len(self.workspaces) + 1,
            "name": name,
            "key": str(uuid.uuid4()),
            "secretKey": str(uuid.uuid4()),
            "isTest": False,
            "isActive": True,
            "isDefault": is_default,
        }
        self.workspaces[workspace["key"]] = workspace
        return workspace

    @staticmethod
    def _workspace_view(workspace: dict[str, Any]) -> dict[str, Any]:
        return {**workspace, "secretKeys": [workspace["secretKey"]]}

    def _token_view(self, workspace: str, token: str) -> dict[str, Any]:
        expires = self.hold_tokens[(workspace, token)]
        return {
            "holdToken": token,
            "expiresAt": _iso(expires),
            "expiresInSeconds": max(0, int(expires - time.time())),
            "workspaceKey": workspace,
        }

    # --- events and objects -------------------------------------------------------------------

    def _create_event(self, workspace: str, body: dict[str, Any]) -> dict[str, Any]:
        chart_key = str(body.get("chartKey") or "")
        if not chart_key:
            raise _FailureError(_error("CHART_NOT_FOUND", "chartKey is required."))
        key = str(body.get("eventKey") or uuid.uuid4())
        if (workspace, key) in self.events:
            raise _FailureError(_error("EVENT_KEY_ALREADY_EXISTS", f"Event key {key} already exists."))
        now = _iso(time.time())
        event: dict[str, Any] = {
            "id": len(self.events) + 1,
            "key": key,
            "chartKey": chart_key,
            "name": body.get("name"),
            "date": body.get("date"),
            "createdOn": now,
            "updatedOn": None,
            "objects": {},
        }
        self.events[(workspace, key)] = event
        return self._event_view(event)

    def _event(self, workspace: str, key: str) -> dict[str, Any]:
        event = self.events.get((workspace, key))
        if event is None:
            raise _FailureError(_error("EVENT_NOT_FOUND", f"Event not found: {key}.", 404))
        return event

    @staticmethod
    def _event_view(event: dict[str, Any]) -> dict[str, Any]:
        view = {k: v for k, v in event.items() if k != "objects"}
        return {
            **view,
            "tableBookingConfig": {"mode": "INHERIT"},
            "supportsBestAvailable": False,
            "channels": [],
            "categories": [],
            "isInThePast": False,
        }

    def _held_by(self, workspace: str, seat: dict[str, Any]) -> str:
        """The live hold token holding `seat` ("" when its hold expired)."""
        token = str(seat.get("holdToken") or "")
        if seat.get("status") == HELD and self.hold_tokens.get((workspace, token), 0) > time.time():
            return token
        return ""

    def _object_view(self, event: dict[str, Any], label: str, workspace: str | None = None) -> dict[str, Any]:
        seat = dict(event["objects"].get(label) or {"status": FREE})
        if seat["status"] == HELD and workspace is not None and not self._held_by(workspace, seat):
            seat = {"status": FREE}
        return {"label": label, "objectType": "seat", "forSale": True, **seat}

    def _change_status(self, workspace: str, body: dict[str, Any]) -> dict[str, Any]:
        labels = [str(o.get("objectId")) for o in body.get("objects") or []]
        token = str(body.get("holdToken") or "")
        release = body.get("type") == "RELEASE"
        status = FREE if release else str(body.get("status") or "")
        if status not in (FREE, BOOKED, HELD):
            raise _FailureError(_error("ILLEGAL_STATUS", f"Unsupported status {status}."))
        if token and self.hold_tokens.get((workspace, token), 0) <= time.time():
            code = "HOLD_TOKEN_EXPIRED" if (workspace, token) in self.hold_tokens else "HOLD_TOKEN_NOT_FOUND"
            raise _FailureError(_error(code, "The hold token is not valid."))
        if status == HELD and not token:
            raise _FailureError(_error("HOLD_TOKEN_REQUIRED", "Holding objects needs a hold token."))
        events = [self._event(workspace, str(key)) for key in body.get("events") or []]
        # Check every object of every event first: the change applies to all or to none.
        for event in events:
            allowed = self.charts.get(event["chartKey"])
            for label in labels:
                if allowed is not None and label not in allowed:
                    raise _FailureError(_error("INVALID_OBJECT_ID", f"Invalid object id: {label}."))
                seat = event["objects"].get(label) or {"status": FREE}
                holder = self._held_by(workspace, seat)
                current = BOOKED if seat["status"] == BOOKED else HELD if holder else FREE
                legal = (
                    current == BOOKED or (current == HELD and holder == token)
                    if release
                    else current == FREE or (current == HELD and holder == token)
                )
                if not legal:
                    raise _FailureError(
                        _error("ILLEGAL_STATUS_CHANGE", f"Illegal status change of {label}: it is {current}.")
                    )
        result: dict[str, Any] = {}
        for event in events:
            for label in labels:
                if release:
                    event["objects"].pop(label, None)
                else:
                    event["objects"][label] = {
                        "status": status,
                        **({"holdToken": token} if status == HELD else {}),
                        **({"orderId": str(body["orderId"])} if body.get("orderId") else {}),
                    }
                result[label] = self._object_view(event, label)
        return {"objects": result}

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "workspaces": [
                    {k: v for k, v in w.items() if k != "secretKey"} for w in self.workspaces.values()
                ],
                "events": [
                    {
                        "workspaceKey": workspace,
                        "key": key,
                        "chartKey": event["chartKey"],
                        "objects": {
                            label: self._object_view(event, label, workspace) for label in event["objects"]
                        },
                    }
                    for (workspace, key), event in self.events.items()
                ],
            }
