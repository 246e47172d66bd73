"""Buyer IP geolocation through ipstack (SPEC R-GEO-1; the original platform used ipstack too).

ipstack has no official SDK: this is its plain HTTP API. The access key travels in the query
string, so no URL, request or exception text from here is ever logged or re-raised as is.
"""

from __future__ import annotations

from typing import Any

import requests

from shared.domain.models import Address
from shared.settings import Settings

PRODUCTION_BASE = "https://api.ipstack.com"
FIELDS = "city,region_code,zip,country_code,latitude,longitude"
TIMEOUT = 3.0  # seconds: a lookup is best effort and runs in a background task


class GeolocationError(RuntimeError):
    """ipstack could not be asked or answered an error (its message names no secret)."""


class IpstackLocator:
    def __init__(self, settings: Settings) -> None:
        self.base = (settings.ipgeo_api_base or PRODUCTION_BASE).rstrip("/")
        self.access_key = settings.ipgeo_access_key.get_secret_value()
        self.session = requests.Session()

    @property
    def enabled(self) -> bool:
        return bool(self.access_key)

    def locate(self, ip: str) -> Address | None:
        """Where `ip` is, or None when ipstack cannot place it."""
        try:
            response = self.session.get(
                f"{self.base}/{ip}", params={"access_key": self.access_key, "fields": FIELDS}, timeout=TIMEOUT
            )
            body: Any = response.json()
        except (requests.RequestException, ValueError):
            raise GeolocationError("ipstack did not answer") from None  # the URL holds the key
        if response.status_code != 200 or not isinstance(body, dict):
            raise GeolocationError(f"ipstack answered HTTP {response.status_code}")
        if body.get("success") is False:
            error = body.get("error") or {}
            raise GeolocationError(f"ipstack error {error.get('code')}: {error.get('type')}")
        if body.get("latitude") is None or body.get("longitude") is None:
            return None
        return Address(
            city=str(body.get("city") or ""), state=str(body.get("region_code") or ""),
            zip=str(body.get("zip") or ""), country=str(body.get("country_code") or ""),
            lat=float(body["latitude"]), lng=float(body["longitude"]),
        )  # fmt: skip
