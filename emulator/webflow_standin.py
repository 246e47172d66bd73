"""Local stand-in for the subset of the Webflow Data API v2 Sellout uses (Webflow has no
emulator). Mounted by the SaaS stand-in under `/webflow`; the official `webflow` SDK talks to it
through its `environment` base URL (WEBFLOW_API_BASE).

    GET    /sites/{site}                               the site (name, preview URL, domains)
    GET    /sites/{site}/collections                   its collections
    POST   /sites/{site}/publish                       recorded in /_publishes
    GET    /collections/{c}/items?slug=&limit=         staged items (live ones included)
    POST   /collections/{c}/items/live                 create an item, published live
    PATCH  /collections/{c}/items/{item}/live          update a live item (404 if absent)
    DELETE /collections/{c}/items/{item}/live          unpublish it (stays as a draft)
    DELETE /collections/{c}/items/{item}               delete it

Test hooks (not Webflow): `POST /_sites` {"id"?, "displayName"?, "customDomains"?: [urls]} makes a
site with the collections a Sellout site has (events, venues, artists, organizations,
event-types); `GET /_items` lists every item with its site and collection; `GET /_publishes`
lists site publishes; `POST /_fail` {"status", "count", "method"?, "after"?} lets `after` API
requests (of that method) through, then fails the next `count` with `status` (retry tests);
`clear()` forgets everything (the SaaS stand-in's `DELETE /_inbox`).
Webflow answers errors as {"code", "message"}; so does this.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

COLLECTIONS = (
    ("events", "Events", "Event"),
    ("venues", "Venues", "Venue"),
    ("artists", "Artists", "Artist"),
    ("organizations", "Organizations", "Organization"),
    ("event-types", "Event Types", "Event Type"),
)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _hex_id() -> str:
    return secrets.token_hex(12)  # Webflow ids are 24 hex digits


def _now() -> str:
    return datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _error(code: str, message: str, status: int) -> Response:
    return _json({"code": code, "message": message}, status)


class WebflowStandIn:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sites: dict[str, dict[str, Any]] = {}
        self.collections: dict[str, dict[str, Any]] = {}  # id -> collection (+ siteId)
        self.items: dict[str, dict[str, dict[str, Any]]] = {}  # collection id -> item id -> item
        self.publishes: list[dict[str, Any]] = []
        self.failures: dict[str, Any] = {}

    def clear(self) -> None:
        with self._lock:
            self.failures = {}
            self.sites.clear()
            self.collections.clear()
            self.items.clear()
            self.publishes.clear()

    # --- test hooks -------------------------------------------------------------------------------

    def add_site(self, body: dict[str, Any]) -> dict[str, Any]:
        site_id = str(body.get("id") or _hex_id())
        name = str(body.get("displayName") or "Local Site")
        domains = [{"id": _hex_id(), "url": str(u)} for u in body.get("customDomains") or []]
        site = {
            "id": site_id,
            "workspaceId": "local",
            "displayName": name,
            "shortName": re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
            "previewUrl": f"https://screenshots.webflow.local/{site_id}.png",
            "timeZone": "America/Denver",
            "createdOn": _now(),
            "lastUpdated": _now(),
            "lastPublished": None,
            "customDomains": domains,
        }
        with self._lock:
            self.sites[site_id] = site
            for slug, display, singular in COLLECTIONS:
                collection_id = _hex_id()
                self.collections[collection_id] = {
                    "id": collection_id, "displayName": display, "singularName": singular,
                    "slug": slug, "createdOn": _now(), "lastUpdated": _now(), "siteId": site_id,
                }  # fmt: skip
                self.items[collection_id] = {}
        return self.site_view(site_id)

    def site_view(self, site_id: str) -> dict[str, Any]:
        site = self.sites[site_id]
        collections = {c["slug"]: c["id"] for c in self.collections.values() if c["siteId"] == site_id}
        return {**site, "collections": collections}

    def all_items(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    **item,
                    "collectionId": cid,
                    "collection": self.collections[cid]["slug"],
                    "siteId": self.collections[cid]["siteId"],
                }
                for cid, items in self.items.items()
                for item in items.values()
            ]

    # --- dispatch ---------------------------------------------------------------------------------

    def dispatch(self, request: Request, path: str) -> Response:
        method = request.method
        if path == "/_sites" and method == "POST":
            return _json(self.add_site(request.get_json(silent=True) or {}), 201)
        if path == "/_items" and method == "GET":
            return _json(self.all_items())
        if path == "/_publishes" and method == "GET":
            return _json(self.publishes)
        if path == "/_fail" and method == "POST":
            self.failures = dict(request.get_json(silent=True) or {})
            return Response(status=204)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token.strip():
            return _error("not_authorized", "Request not authorized", 401)
        parts = [p for p in path.split("/") if p]
        with self._lock:
            failure = self.failures
            if failure.get("count", 0) > 0 and failure.get("method", method) == method:
                if failure.get("after", 0) > 0:
                    failure["after"] -= 1
                else:
                    failure["count"] -= 1
                    return _error("injected_failure", "injected failure", int(failure.get("status", 503)))
            if len(parts) >= 2 and parts[0] == "sites":
                return self._sites(request, parts[1], parts[2:])
            if len(parts) >= 3 and parts[0] == "collections" and parts[2] == "items":
                return self._items(request, parts[1], parts[3:])
        return _error("route_not_found", f"no stand-in for {method} {path}", 404)

    def _sites(self, request: Request, site_id: str, rest: list[str]) -> Response:
        site = self.sites.get(site_id)
        if site is None:
            return _error("resource_not_found", "Requested resource not found", 404)
        if not rest and request.method == "GET":
            return _json(site)
        if rest == ["collections"] and request.method == "GET":
            listed = [
                {k: v for k, v in c.items() if k != "siteId"}
                for c in self.collections.values()
                if c["siteId"] == site_id
            ]
            return _json({"collections": listed})
        if rest == ["publish"] and request.method == "POST":
            body = request.get_json(silent=True) or {}
            known = {d["id"] for d in site["customDomains"]}
            if any(d not in known for d in body.get("customDomains") or []):
                return _error("validation_error", "Unknown custom domain", 400)
            site["lastPublished"] = _now()
            self.publishes.append({"siteId": site_id, "at": site["lastPublished"], **body})
            return _json(
                {
                    "customDomains": [
                        d for d in site["customDomains"] if d["id"] in (body.get("customDomains") or [])
                    ],
                    "publishToWebflowSubdomain": bool(body.get("publishToWebflowSubdomain")),
                },
                202,
            )
        return _error("route_not_found", "no such site route", 404)

    def _items(self, request: Request, collection_id: str, rest: list[str]) -> Response:
        items = self.items.get(collection_id)
        if items is None:
            return _error("resource_not_found", "Collection not found", 404)
        method = request.method
        if not rest and method == "GET":
            found = [i for i in items.values() if request.args.get("slug") in (None, i["fieldData"]["slug"])]
            limit = int(request.args.get("limit") or 100)
            total = len(found)
            return _json(
                {"items": found[:limit], "pagination": {"limit": limit, "offset": 0, "total": total}}
            )
        if rest == ["live"] and method == "POST":
            return self._create(items, request.get_json(silent=True) or {})
        if len(rest) in (1, 2) and rest[1:] in ([], ["live"]):
            item = items.get(rest[0])
            if item is None:
                return _error("resource_not_found", "Item not found", 404)
            live = rest[1:] == ["live"]
            if method == "PATCH" and live:
                return self._update(items, item, request.get_json(silent=True) or {})
            if method == "DELETE" and live:
                item.update(isDraft=True, live=False, lastUpdated=_now())
                return Response(status=204)
            if method == "DELETE":
                del items[item["id"]]
                return Response(status=204)
            if method == "GET":
                return _json(item)
        return _error("route_not_found", "no such item route", 404)

    @staticmethod
    def _problems(field_data: dict[str, Any], items: dict[str, dict[str, Any]], item_id: str) -> str:
        if not field_data.get("name"):
            return "fieldData.name is required"
        slug = str(field_data.get("slug") or "")
        if not _SLUG.match(slug):
            return "fieldData.slug must be lowercase letters, digits and hyphens"
        if any(i["fieldData"].get("slug") == slug and i["id"] != item_id for i in items.values()):
            return f"slug {slug} is already in use"
        return ""

    def _create(self, items: dict[str, dict[str, Any]], body: dict[str, Any]) -> Response:
        field_data = dict(body.get("fieldData") or {})
        item_id = _hex_id()
        problem = self._problems(field_data, items, item_id)
        if problem:
            return _error("validation_error", problem, 409 if "in use" in problem else 400)
        now = _now()
        item = {
            "id": item_id, "cmsLocaleId": None, "createdOn": now, "lastUpdated": now, "lastPublished": now,
            "isArchived": bool(body.get("isArchived")), "isDraft": bool(body.get("isDraft")),
            "live": True, "fieldData": field_data,
        }  # fmt: skip
        items[item_id] = item
        return _json(item, 202)

    def _update(
        self, items: dict[str, dict[str, Any]], item: dict[str, Any], body: dict[str, Any]
    ) -> Response:
        field_data = {**item["fieldData"], **(body.get("fieldData") or {})}
        problem = self._problems(field_data, items, item["id"])
        if problem:
            return _error("validation_error", problem, 409 if "in use" in problem else 400)
        now = _now()
        item.update(fieldData=field_data, lastUpdated=now, lastPublished=now, live=True)
        for key in ("isArchived", "isDraft"):
            if body.get(key) is not None:
                item[key] = bool(body[key])
        return _json(item)
