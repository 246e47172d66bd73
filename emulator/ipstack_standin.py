"""A local stand-in for the ipstack geolocation API (SPEC R-GEO-1), served by the SaaS stand-in
under `/ipgeo`. ipstack has no emulator and no official SDK: the app calls its plain HTTP API
(`GET /<ip>?access_key=…&fields=…`) with requests, and so do the tests here.

Like ipstack it answers 200 even for errors, with `{"success": false, "error": {...}}` (101 for a
missing key), and `null` fields for an address it cannot place. The known addresses are public
DNS resolvers (infrastructure, not people); the RFC 5737 documentation ranges cannot be used
because the app rightly never looks up non-global addresses.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

PLACES: dict[str, dict[str, Any]] = {
    "8.8.8.8": {
        "city": "Mountain View",
        "region_code": "CA",
        "zip": "94043",
        "country_code": "US",
        "latitude": 37.4056,
        "longitude": -122.0775,
    },
    "1.1.1.1": {
        "city": "Brisbane",
        "region_code": "QLD",
        "zip": "4000",
        "country_code": "AU",
        "latitude": -27.4679,
        "longitude": 153.0281,
    },
}
UNKNOWN = {"city": None, "region_code": None, "zip": None, "country_code": None, "latitude": None,
           "longitude": None}  # fmt: skip


class IpstackStandIn:
    def __init__(self) -> None:
        self.lookups: list[str] = []

    def clear(self) -> None:
        self.lookups.clear()

    def dispatch(self, request: Request, path: str) -> Response:
        if path == "/_lookups":
            return _json(self.lookups)
        ip = path.strip("/")
        if not request.args.get("access_key"):
            error = {
                "code": 101,
                "type": "missing_access_key",
                "info": "You have not supplied an API Access Key.",
            }
            return _json({"success": False, "error": error})
        self.lookups.append(ip)
        place = PLACES.get(ip, UNKNOWN)
        fields = [f for f in request.args.get("fields", "").split(",") if f]
        body = {"ip": ip, **place}
        return _json({k: v for k, v in body.items() if not fields or k in fields or k == "ip"})


def _json(body: Any) -> Response:
    return Response(json.dumps(body), status=200, content_type="application/json")
