"""Webflow Data API v2 through the official `webflow` SDK (the only code that talks to Webflow).

Locally the SDK is pointed at the stand-in (`WEBFLOW_API_BASE`, emulator/saas_standin.py) through
its `environment` option. The SDK's own retries are off: Cloud Tasks retries the whole push,
which is idempotent, so a slow Webflow is not hammered from two layers. Errors become:
    404 on an item            ItemGoneError (the service re-creates or forgets the item)
    429, 5xx, timeouts        DomainError BUSY (503: Cloud Tasks tries again later)
    any other refusal         DomainError UPSTREAM_FAILED (502; retries are bounded by the queue)
The token is never logged: only the status code and Webflow's error text are.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from shared.errors import DomainError, ErrorCode
from shared.services.webflow import ItemGoneError, SiteInfo
from shared.settings import Settings

if TYPE_CHECKING:
    from webflow import Webflow
    from webflow.core.request_options import RequestOptions

log = logging.getLogger("sellout.webflow")

TIMEOUT_SECONDS = 20
_OPTIONS: RequestOptions = {"max_retries": 0, "timeout_in_seconds": TIMEOUT_SECONDS}


@contextmanager
def _mapped_errors(what: str, *, gone_ok: bool = False) -> Iterator[None]:
    import httpx
    from webflow.core.api_error import ApiError

    try:
        yield
    except ApiError as error:
        status = error.status_code or 0
        if status == 404 and gone_ok:
            raise ItemGoneError(what) from None
        detail = str(error.body)[:200] if error.body is not None else ""
        log.warning("webflow refused %s", what, extra={"status": status, "detail": detail})
        if status == 429 or status >= 500:
            raise DomainError(ErrorCode.BUSY, "Webflow is busy; try again later.") from None
        raise DomainError(ErrorCode.UPSTREAM_FAILED, f"Webflow refused to {what}.") from None
    except (httpx.TimeoutException, httpx.TransportError) as error:
        log.warning("webflow unreachable during %s", what, extra={"error": type(error).__name__})
        raise DomainError(ErrorCode.BUSY, "Webflow did not answer; try again later.") from None


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Unset values are left out of a new item (Webflow rejects null for some field types)."""
    return {k: v for k, v in fields.items() if v is not None}


class WebflowApi:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._client: Webflow | None = None

    @property
    def client(self) -> Webflow:
        with self._lock:
            if self._client is None:
                from webflow import Webflow, WebflowEnvironment

                token = self.settings.webflow_api_token.get_secret_value()
                if not token:
                    raise DomainError(ErrorCode.UNAVAILABLE, "Webflow is not configured.")
                base = self.settings.webflow_api_base
                environment = (
                    WebflowEnvironment(base=base, data_api=base, content_delivery_api=base)
                    if base
                    else WebflowEnvironment.DATA_API
                )
                self._client = Webflow(environment=environment, access_token=token, timeout=TIMEOUT_SECONDS)
            return self._client

    # --- sites ----------------------------------------------------------------------------------

    def site(self, site_id: str) -> SiteInfo:
        try:
            with _mapped_errors("read the site", gone_ok=True):
                site = self.client.sites.get(site_id, request_options=_OPTIONS)
                listed = self.client.collections.list(site_id, request_options=_OPTIONS)
        except ItemGoneError:
            raise DomainError(ErrorCode.NOT_FOUND, "Webflow site not found.") from None
        collections = [
            {"id": c.id, "slug": c.slug or "", "singularName": c.singular_name or ""}
            for c in listed.collections or []
        ]
        domains = [d.url for d in site.custom_domains or [] if d.url]
        return SiteInfo(
            name=site.display_name or site.short_name or site.id,
            preview_url=site.preview_url or "",
            domains=domains,
            collections=collections,
        )

    def publish_site(self, site_id: str) -> None:
        """Publish to the Webflow subdomain and every custom domain the site has now."""
        with _mapped_errors("publish the site"):
            site = self.client.sites.get(site_id, request_options=_OPTIONS)
            domain_ids = [d.id for d in site.custom_domains or []]
            self.client.sites.publish(
                site_id,
                custom_domains=domain_ids,
                publish_to_webflow_subdomain=True,
                request_options=_OPTIONS,
            )

    # --- collection items -----------------------------------------------------------------------

    def find_item(self, collection_id: str, slug: str) -> str | None:
        with _mapped_errors("list items"):
            found = self.client.collections.items.list_items(
                collection_id, slug=slug, limit=1, request_options=_OPTIONS
            )
        items = [i for i in found.items or [] if i.id]
        return str(items[0].id) if items else None

    def create_item(self, collection_id: str, fields: dict[str, Any], flags: dict[str, bool]) -> str:
        """A new item, published live at once (R-WF-3 "live, not draft")."""
        from webflow import CollectionItem, CollectionItemFieldData

        data = _clean(fields)
        item = CollectionItem(
            field_data=CollectionItemFieldData(**data),
            is_archived=flags.get("isArchived", False),
            is_draft=flags.get("isDraft", False),
        )
        with _mapped_errors("create an item"):
            created = self.client.collections.items.create_item_live(
                collection_id, request=item, request_options=_OPTIONS
            )
        if not created.id:
            raise DomainError(ErrorCode.UPSTREAM_FAILED, "Webflow returned no item id.")
        return str(created.id)

    def update_item(
        self, collection_id: str, item_id: str, fields: dict[str, Any], flags: dict[str, bool]
    ) -> None:
        """Replace the item's fields on the live site; ItemGoneError if it no longer exists."""
        from webflow import CollectionItemPatchSingleFieldData

        with _mapped_errors("update an item", gone_ok=True):
            self.client.collections.items.update_item_live(
                collection_id,
                item_id,
                field_data=CollectionItemPatchSingleFieldData(**fields),
                is_archived=flags.get("isArchived", False),
                is_draft=flags.get("isDraft", False),
                request_options=_OPTIONS,
            )

    def delete_item(self, collection_id: str, item_id: str) -> None:
        """Take the item off the live site and delete it; an item already gone is fine."""
        calls: list[Callable[[], Any]] = [
            lambda: self.client.collections.items.delete_item_live(
                collection_id, item_id, request_options=_OPTIONS
            ),
            lambda: self.client.collections.items.delete_item(
                collection_id, item_id, request_options=_OPTIONS
            ),
        ]
        for call in calls:
            try:
                with _mapped_errors("delete an item", gone_ok=True):
                    call()
            except ItemGoneError:
                continue
