"""Webflow publishing (SPEC 5.15 R-WF-1..7, 5.20 UpdateWebFlowEvent, 5.21 reactions).

Flow. GraphQL never waits on Webflow: `publishEvent` validates the sites and enqueues one push
per site on the `webflow` queue; the webflow-push function (`run_push`) does the Webflow calls.
A push upserts, in R-WF-2 order, the venue, artist, organization and event items and records
each item's id and slug on the org's WebFlow record (`webFlows/{orgId}`, one per org, changed in
a transaction because pushes for several sites and entities run at once), then publishes the site.

Idempotency. Every upsert updates the recorded item when there is one; otherwise it first looks
the item up by its slug, which is derived from the Sellout id (shared.domain.webflow), and only
creates it when Webflow has none. So a push delivered twice, or retried after a crash between
Webflow's create and our record, updates the same item instead of making a second one.

Re-syncs (R-WF-6) are `tasks` documents + Cloud Tasks (R-TASK-1), type UpdateWebFlowEvent: one
just after each future schedule time of a published event (ids `{eventId}~wf~{time}`), and one
15-30 s after an event update (ids `{eventId}~wfsync~{15 s window}`: every update inside one
window shares one pending task, and the task re-reads the event when it runs, so it carries the
latest state). A re-sync re-pushes the event item to every site it is on; its references are
pushed only when missing on that site (venue, artist and org changes re-push their own items).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.domain import webflow as fields
from shared.domain.delivery_schedule import is_due
from shared.domain.models import (
    Artist,
    Event,
    Organization,
    Venue,
    WebFlow,
    WebFlowEntity,
    WebFlowEntityId,
    WebFlowSite,
    WebFlowSiteDomain,
)
from shared.domain.permissions import (
    ADMIN,
    SUPER_USER,
    Principal,
    require_context_org,
    require_level,
    require_user,
)
from shared.domain.ports import Repository
from shared.domain.tasks import Task
from shared.errors import DomainError, ErrorCode, invalid, not_found
from shared.services.scheduled_tasks import ScheduledTasks, TaskQueue, TaskRecords, TaskRoute

log = logging.getLogger("sellout.webflow")

QUEUE = "webflow"
PUSH_FUNCTION = "webflow-push"
SYNC_ROUTE = TaskRoute(QUEUE, PUSH_FUNCTION, name="webflow")
TASK_TYPE = "UpdateWebFlowEvent"
SYNC_DELAY = 15  # R-WF-6: re-sync 15 s after an event update


class ItemGoneError(Exception):
    """The Webflow item we recorded no longer exists (deleted in the Designer, say)."""


@dataclass(frozen=True)
class SiteInfo:
    """What R-WF-1 reads from Webflow about a site."""

    name: str
    preview_url: str
    domains: list[str]
    collections: list[dict[str, str]]  # {"id", "slug", "singularName"}


class WebflowPort(Protocol):
    def site(self, site_id: str) -> SiteInfo: ...
    def publish_site(self, site_id: str) -> None: ...
    def find_item(self, collection_id: str, slug: str) -> str | None: ...
    def create_item(self, collection_id: str, fields: dict[str, Any], flags: dict[str, bool]) -> str: ...
    def update_item(
        self, collection_id: str, item_id: str, fields: dict[str, Any], flags: dict[str, bool]
    ) -> None: ...
    def delete_item(self, collection_id: str, item_id: str) -> None: ...


class WebFlowRecords(Protocol):
    def get(self, org_id: str) -> WebFlow | None: ...
    def get_many(self, org_ids: list[str]) -> dict[str, WebFlow]: ...
    def create_if_absent(self, record: WebFlow) -> WebFlow: ...
    def mutate(self, org_id: str, change: Callable[[WebFlow], WebFlow]) -> WebFlow: ...
    def using_site(self, site_webflow_id: str) -> list[WebFlow]: ...
    def all(self) -> list[WebFlow]: ...


@dataclass
class PublishPlan:
    """The sites (Webflow ids) a publishEvent call pushes the event to and removes it from."""

    publish: list[str] = field(default_factory=list)
    unpublish: list[str] = field(default_factory=list)


def _ids(values: Iterable[str | None] | None) -> list[str]:
    return list(dict.fromkeys(v for v in values or [] if v))


def _with_item(entity: WebFlowEntity, site_id: str, item_id: str, slug: str, now: int) -> WebFlowEntity:
    others = [w for w in entity.webFlowIds if w.webFlowSiteId != site_id]
    entry = WebFlowEntityId(webFlowSiteId=site_id, webFlowEntityId=item_id, slug=slug)
    return entity.model_copy(update={"webFlowIds": [*others, entry], "updatedAt": now})


class WebflowService:
    def __init__(
        self,
        *,
        records: WebFlowRecords,
        events: Repository[Event],
        venues: Repository[Venue],
        artists: Repository[Artist],
        organizations: Repository[Organization],
        live_event: Callable[[str], Event | None],
        tasks: TaskQueue,
        task_records: TaskRecords,
        api: Callable[[], WebflowPort],
        clock: Callable[[], float] = time.time,
    ) -> None:
        # `api` is a factory: the GraphQL function builds this service to enqueue pushes and must
        # not import the Webflow SDK (or need its token) for that.
        self.records, self.events, self.venues = records, events, venues
        self.artists, self.organizations = artists, organizations
        self.live_event = live_event
        self.tasks, self.task_records = tasks, task_records
        self.api = api
        self.clock = clock

    @property
    def scheduled(self) -> ScheduledTasks:
        """UpdateWebFlowEvent tasks (R-TASK-1) on this service's current records and queue."""
        return ScheduledTasks(self.task_records, self.tasks, SYNC_ROUTE)

    def now(self) -> int:
        return int(self.clock())

    # --- configuration (R-WF-1, GraphQL) --------------------------------------------------------

    def web_flow(self, principal: Principal | None) -> WebFlow | None:
        _, org_id = require_context_org(principal, ADMIN)
        return self.records.get(org_id)

    def of_orgs(self, org_ids: list[str]) -> dict[str, WebFlow]:
        """The orgs' records, unchecked (nested resolvers check the caller themselves)."""
        return self.records.get_many(org_ids)

    def create_web_flow(self, principal: Principal | None) -> WebFlow:
        _, org_id = require_context_org(principal, ADMIN)
        return self._ensure(org_id)

    def organization_created(self, org_id: str) -> None:
        """OrganizationCreated (SPEC 5.21): the org's WebFlow record, before any site is mapped."""
        self._ensure(org_id)

    def _ensure(self, org_id: str) -> WebFlow:
        now = self.now()
        return self.records.create_if_absent(WebFlow(_id=org_id, orgId=org_id, createdAt=now, updatedAt=now))

    def web_flow_sites(self, principal: Principal | None) -> list[WebFlowSite]:
        """Every configured site, once each (several orgs can share a site)."""
        require_level(principal, SUPER_USER, None)
        sites: dict[str, WebFlowSite] = {}
        for record in self.records.all():
            for site in record.sites:
                sites.setdefault(site.webFlowId, site)
        return list(sites.values())

    def _site_fields(self, webflow_id: str) -> dict[str, Any]:
        info = self.api().site(webflow_id)
        found = fields.collection_ids(info.collections)
        if "eventCollectionId" not in found:
            raise DomainError(ErrorCode.CONFLICT, "The Webflow site has no events collection.")
        return {
            "name": info.name,
            "previewUrl": info.preview_url,
            "eventCollectionId": found.get("eventCollectionId", ""),
            "venueCollectionId": found.get("venueCollectionId", ""),
            "artistCollectionId": found.get("artistCollectionId", ""),
            "organizationCollectionId": found.get("organizationCollectionId", ""),
            "eventTypeCollectionId": found.get("eventTypeCollectionId", ""),
            "domains": info.domains,
        }

    @staticmethod
    def _apply_site(record: WebFlow, webflow_id: str, read: dict[str, Any], now: int) -> WebFlow:
        existing = record.site(webflow_id)
        published = {d.name: d.lastPublishedAt for d in existing.domains} if existing else {}
        site = WebFlowSite.model_validate(
            {
                **(existing.doc() if existing else {"webFlowId": webflow_id, "createdAt": now}),
                **read,
                "domains": [
                    WebFlowSiteDomain(name=d, lastPublishedAt=published.get(d)).doc() for d in read["domains"]
                ],
                "updatedAt": now,
            }
        )
        sites = [s for s in record.sites if s.webFlowId != webflow_id] + [site]
        return record.model_copy(
            update={"sites": sites, "siteWebFlowIds": [s.webFlowId for s in sites], "updatedAt": now}
        )

    def create_web_flow_site(self, principal: Principal | None, webflow_id: str, org_id: str) -> WebFlow:
        """R-WF-1 (SUPER_USER): add the Webflow site to the org, reading its collections, name,
        preview URL and domains from Webflow. Adding it again refreshes it."""
        require_level(principal, SUPER_USER, None)
        webflow_id, org_id = webflow_id.strip(), org_id.strip()
        if not webflow_id:
            raise invalid("A Webflow site id is required.", "webFlowId")
        if self.organizations.get(org_id) is None:
            raise not_found("Organization")
        read = self._site_fields(webflow_id)
        self._ensure(org_id)
        return self.records.mutate(org_id, lambda r: self._apply_site(r, webflow_id, read, self.now()))

    def remap_web_flow_site(self, principal: Principal | None, webflow_id: str) -> list[WebFlow]:
        """R-WF-1 (SUPER_USER): re-read the site and update it in every org that uses it."""
        require_level(principal, SUPER_USER, None)
        users = self.records.using_site(webflow_id)
        if not users:
            raise not_found("Webflow site")
        read = self._site_fields(webflow_id)
        return [
            self.records.mutate(r.orgId, lambda rec: self._apply_site(rec, webflow_id, read, self.now()))
            for r in users
        ]

    def update_venue_publishing(
        self, principal: Principal | None, venue_id: str | None, always_publish_to: list[str | None] | None
    ) -> WebFlow:
        """R-WF-1 (ADMIN of the venue's org): events at this venue always go to these sites."""
        venue = self.venues.get(venue_id or "")
        if venue is None:
            require_user(principal)  # anonymous callers learn nothing about which ids exist
            raise not_found("Venue")
        require_level(principal, ADMIN, venue.orgId)
        record = self._ensure(venue.orgId)
        wanted = []
        for site_id in _ids(always_publish_to):
            site = record.site(site_id)
            if site is None:
                raise invalid("Unknown Webflow site.", "alwaysPublishTo")
            wanted.append(site.webFlowId)
        now = self.now()

        def change(rec: WebFlow) -> WebFlow:
            entity = rec.entity(fields.VENUE, venue.id) or WebFlowEntity(
                entityType="VENUE", selloutId=venue.id, name=venue.name, createdAt=now
            )
            entity = entity.model_copy(
                update={"alwaysPublishTo": wanted, "name": venue.name, "updatedAt": now}
            )
            return self._put_entity(rec, entity, now)

        return self.records.mutate(venue.orgId, change)

    @staticmethod
    def _put_entity(record: WebFlow, entity: WebFlowEntity, now: int) -> WebFlow:
        others = [
            e
            for e in record.entities
            if not (e.entityType == entity.entityType and e.selloutId == entity.selloutId)
        ]
        return record.model_copy(update={"entities": [*others, entity], "updatedAt": now})

    # --- reactions (EventService, after its checks / writes) -------------------------------------

    def publish_targets(
        self,
        event: Event,
        publish_site_ids: list[str | None] | None,
        unpublish_site_ids: list[str | None] | None,
        published: bool,
    ) -> PublishPlan:
        """R-EV-6 step 3: the sites to push to (the requested ones plus, when publishing, the
        venue's alwaysPublishTo) and to remove from. Unknown sites are refused before any write."""
        publish, unpublish = _ids(publish_site_ids), _ids(unpublish_site_ids)
        record = self.records.get(event.orgId)
        if record is None:
            if publish or unpublish:
                raise invalid("Unknown Webflow site.", "publishSiteIds")
            return PublishPlan()
        plan = PublishPlan()
        for requested, target, name in ((publish, plan.publish, "publishSiteIds"),
                                        (unpublish, plan.unpublish, "unpublishSiteIds")):  # fmt: skip
            for site_id in requested:
                site = record.site(site_id)
                if site is None:
                    raise invalid("Unknown Webflow site.", name)
                target.append(site.webFlowId)
        venue = record.entity(fields.VENUE, event.venueId) if event.venueId and published else None
        for site_id in venue.alwaysPublishTo if venue else []:
            site = record.site(site_id)
            if site is not None and site.enabled and site.webFlowId not in plan.unpublish:
                plan.publish.append(site.webFlowId)
        plan.publish = _ids(plan.publish)
        return plan

    def event_published(self, event: Event, plan: PublishPlan, published: bool) -> None:
        """EventPublished: one push per site, and the R-WF-6 status re-syncs."""
        for site_id in plan.publish:
            self._enqueue_push("publish", event.orgId, site_id, event_id=event.id)
        for site_id in plan.unpublish:
            self._enqueue_push("unpublish", event.orgId, site_id, event_id=event.id)
        if published:
            now = self.now()
            for at in fields.resync_times(event, now):
                self._schedule_sync(event.orgId, event.id, f"{event.id}~wf~{at}", at, now)

    def event_updated(self, event: Event) -> None:
        """EventUpdated: one debounced re-sync, if the event is published and on any site."""
        if event.published:
            self.resync_event(event.orgId, event.id)

    def resync_event(self, org_id: str, event_id: str) -> None:
        """A debounced re-sync of the event's items, if it is on any site (one read). Also the
        OrderCreated / OrderRefunded reaction (SPEC 5.21): a sale changes the remaining quantity
        and can flip the status to Sold Out. The task re-reads the event when it runs."""
        record = self.records.get(org_id)
        entity = record.entity(fields.EVENT, event_id) if record else None
        if entity is None or not entity.webFlowIds:
            return
        now = self.now()
        window = now // SYNC_DELAY + 1
        self._schedule_sync(org_id, event_id, f"{event_id}~wfsync~{window}", (window + 1) * SYNC_DELAY, now)

    def event_deleted(self, event: Event) -> None:
        """R-EV-7: a deleted event leaves every site it is on."""
        record = self.records.get(event.orgId)
        entity = record.entity(fields.EVENT, event.id) if record else None
        for item in entity.webFlowIds if entity else []:
            self._enqueue_push("unpublish", event.orgId, item.webFlowSiteId, event_id=event.id)

    def entity_updated(self, org_id: str, entity_type: str, sellout_id: str) -> None:
        """VenueUpdated / ArtistUpdated / OrganizationUpdated (R-WF-5, R-VA-3, R-ORG-2): re-push
        the entity's existing items (nothing when it has none)."""
        record = self.records.get(org_id)
        entity = record.entity(entity_type, sellout_id) if record else None
        if entity is not None and entity.webFlowIds:
            payload = {
                "action": "entity",
                "orgId": org_id,
                "entityType": entity_type,
                "selloutId": sellout_id,
            }
            self.tasks.enqueue(QUEUE, PUSH_FUNCTION, payload)

    def _enqueue_push(self, action: str, org_id: str, site_id: str, *, event_id: str) -> None:
        # No task key: each publishEvent call is a new request to push the current state.
        payload = {"action": action, "orgId": org_id, "siteId": site_id, "eventId": event_id}
        self.tasks.enqueue(QUEUE, PUSH_FUNCTION, payload)

    def _schedule_sync(self, org_id: str, event_id: str, task_id: str, execute_at: int, now: int) -> None:
        """Planned once per id: a second update in the same window finds the pending task (the
        debounce)."""
        task = Task(_id=task_id, taskType=TASK_TYPE, createdAt=now, executeAt=execute_at, orgId=org_id,
                    eventId=event_id)  # fmt: skip
        self.scheduled.plan(task, now)

    # --- task handlers (webflow-push) -----------------------------------------------------------

    def run_push(self, body: dict[str, Any]) -> str:
        """webflow-push: one queued push. Webflow refusing it for good (a 4xx other than 404 and
        429: a field the site's collection rejects, a revoked token) is logged and answered as
        done, so the queue does not retry what cannot succeed (SECURITY 11); a busy or
        unreachable Webflow raises BUSY and the queue tries again."""
        try:
            return self._run_push(body)
        except DomainError as error:
            if error.code != ErrorCode.UPSTREAM_FAILED:
                raise
            context = {k: body.get(k) for k in ("action", "eventId", "siteId", "selloutId")}
            log.error("webflow push failed for good", extra={**context, "error": error.message})
            return f"failed: {error.message}"

    def _run_push(self, body: dict[str, Any]) -> str:
        action = str(body.get("action") or "")
        org_id, site_id = str(body.get("orgId") or ""), str(body.get("siteId") or "")
        if action == "publish":
            return self.push_event(str(body.get("eventId") or ""), site_id, publish_site=True)
        if action == "unpublish":
            return self.unpublish_event(org_id, str(body.get("eventId") or ""), site_id)
        if action == "entity":
            return self.repush_entity(
                org_id, str(body.get("entityType") or ""), str(body.get("selloutId") or "")
            )
        raise invalid("Unknown Webflow action.", "action")

    def run_task(self, task_id: str) -> str:
        """UpdateWebFlowEvent (R-TASK-1): re-push the event item to every site it is on."""
        task = self.scheduled.begin(task_id)
        if isinstance(task, str):
            return task
        if task.taskType != TASK_TYPE:
            return "no such task"
        now = self.now()
        if not is_due(task.executeAt, now):  # more than 30 days ahead when it was enqueued
            self.scheduled.enqueue(task, now)
            return "rescheduled"
        if task.startedAt is None:
            # A run that died after this point simply runs again: every push is an upsert.
            self.task_records.update_task(task.id, {"startedAt": now})
        event = self.events.get(task.eventId)
        record = self.records.get(task.orgId)
        entity = record.entity(fields.EVENT, task.eventId) if record and event else None
        if event is None or not event.published or not event.active or entity is None:
            self.scheduled.end(task.id, self.now(), success=False, outcome="event not published to Webflow")
            return "not published"
        try:
            for item in entity.webFlowIds:
                self.push_event(event.id, item.webFlowSiteId, publish_site=False)
        except DomainError as error:
            if error.code != ErrorCode.UPSTREAM_FAILED:
                raise  # BUSY: the queue delivers the task again
            self.scheduled.end(task.id, self.now(), success=False, outcome=f"failed: {error.message}")
            return "failed"
        self.scheduled.end(task.id, self.now(), success=True, outcome="synced")
        return "synced"

    def push_event(self, event_id: str, site_id: str, *, publish_site: bool) -> str:
        """R-WF-2: venue, artists, organization, then the event item, on one site. With
        `publish_site` (an explicit publish) every reference is refreshed and the site published;
        a re-sync pushes only the references the site lacks."""
        event = self.live_event(event_id)
        if event is None:
            return "event not found"
        record = self.records.get(event.orgId)
        site = record.site(site_id) if record else None
        if site is None or not site.enabled:
            return "site not configured"
        refresh = publish_site
        venue = self.venues.get(event.venueId) if event.venueId else None
        venue_item = None
        if venue is not None:
            venue_item = self._upsert(org_id=event.orgId, site=site, entity_type=fields.VENUE,
                                      sellout_id=venue.id, name=venue.name,
                                      data=fields.venue_fields(venue), refresh=refresh)  # fmt: skip
        artist_ids = event.artist_ids()
        artists = self.artists.get_many(artist_ids) if artist_ids else {}
        artist_items: dict[str, str] = {}
        for artist_id in artist_ids:
            artist = artists.get(artist_id)
            if artist is None:
                continue
            item = self._upsert(org_id=event.orgId, site=site, entity_type=fields.ARTIST,
                                sellout_id=artist.id, name=artist.name,
                                data=fields.artist_fields(artist), refresh=refresh)  # fmt: skip
            if item:
                artist_items[artist.id] = item
        org_item = None
        if (org := self.organizations.get(event.orgId)) is not None:
            org_item = self._upsert(org_id=event.orgId, site=site, entity_type=fields.ORGANIZATION,
                                    sellout_id=org.id, name=org.orgName,
                                    data=fields.organization_fields(org), refresh=refresh)  # fmt: skip
        timezone = venue.address.timezone if venue is not None else ""
        event_fields = fields.event_fields(
            event, timezone=timezone, now=self.now(), venue_item=venue_item, org_item=org_item,
            artist_items=artist_items, artist_names={a.id: a.name for a in artists.values()},
        )  # fmt: skip
        self._upsert(org_id=event.orgId, site=site, entity_type=fields.EVENT, sellout_id=event.id,
                     name=event.name, data=event_fields, refresh=True)  # fmt: skip
        if publish_site:
            self.api().publish_site(site.webFlowId)
            self._mark_published(event.orgId, site.webFlowId)
        return "published" if publish_site else "synced"

    def _upsert(
        self,
        *,
        org_id: str,
        site: WebFlowSite,
        entity_type: str,
        sellout_id: str,
        name: str,
        data: dict[str, Any],
        refresh: bool,
    ) -> str | None:
        """The entity's item on `site`, updated (when `refresh`) or created; its id recorded."""
        collection = getattr(site, fields.COLLECTION_OF[entity_type])
        if not collection:
            return None  # the site has no collection for this kind of item
        record = self.records.get(org_id)
        entity = record.entity(entity_type, sellout_id) if record else None
        known = entity.item_on(site.webFlowId) if entity else None
        api = self.api()
        if known is not None:
            if not refresh:
                return known.webFlowEntityId
            try:
                api.update_item(collection, known.webFlowEntityId, data, fields.item_flags())
            except ItemGoneError:
                log.info("webflow item gone: re-creating", extra={"entityType": entity_type})
            else:
                return known.webFlowEntityId
        slug = str(data["slug"])
        item_id = api.find_item(collection, slug)
        if item_id is None:
            item_id = api.create_item(collection, data, fields.item_flags())
        else:  # made by an earlier attempt whose record was lost: bring it up to date
            api.update_item(collection, item_id, data, fields.item_flags())
        self._record_item(org_id=org_id, entity_type=entity_type, sellout_id=sellout_id, name=name,
                          site_id=site.webFlowId, item_id=item_id, slug=slug)  # fmt: skip
        return item_id

    def _record_item(self, *, org_id: str, entity_type: str, sellout_id: str, name: str,
                     site_id: str, item_id: str, slug: str) -> None:  # fmt: skip
        now = self.now()

        def change(record: WebFlow) -> WebFlow:
            entity = record.entity(entity_type, sellout_id) or WebFlowEntity(
                entityType=entity_type,  # type: ignore[arg-type]  # one of the four constants
                selloutId=sellout_id,
                createdAt=now,
            )
            entity = _with_item(entity, site_id, item_id, slug, now).model_copy(update={"name": name})
            return self._put_entity(record, entity, now)

        self._ensure(org_id)
        self.records.mutate(org_id, change)

    def _mark_published(self, org_id: str, site_id: str) -> None:
        now = self.now()

        def change(record: WebFlow) -> WebFlow:
            sites = [
                s.model_copy(
                    update={"domains": [d.model_copy(update={"lastPublishedAt": now}) for d in s.domains]}
                )
                if s.webFlowId == site_id
                else s
                for s in record.sites
            ]
            return record.model_copy(update={"sites": sites, "updatedAt": now})

        self.records.mutate(org_id, change)

    def unpublish_event(self, org_id: str, event_id: str, site_id: str) -> str:
        """R-WF-7: the event item leaves the site, and the site leaves the entity's webFlowIds."""
        record = self.records.get(org_id)
        site = record.site(site_id) if record else None
        entity = record.entity(fields.EVENT, event_id) if record else None
        known = entity.item_on(site.webFlowId) if entity and site else None
        if record is None or site is None or known is None:
            return "not on the site"
        if site.eventCollectionId:
            self.api().delete_item(site.eventCollectionId, known.webFlowEntityId)
        now = self.now()

        def change(rec: WebFlow) -> WebFlow:
            current = rec.entity(fields.EVENT, event_id)
            if current is None:
                return rec
            kept = [w for w in current.webFlowIds if w.webFlowSiteId != site.webFlowId]
            return self._put_entity(
                rec, current.model_copy(update={"webFlowIds": kept, "updatedAt": now}), now
            )

        self.records.mutate(org_id, change)
        return "unpublished"

    def repush_entity(self, org_id: str, entity_type: str, sellout_id: str) -> str:
        """R-WF-5: re-push a venue, artist or organization item to the sites that have it."""
        built: tuple[str, dict[str, Any]] | None = None
        if entity_type == fields.VENUE:
            venue = self.venues.get(sellout_id)
            built = (venue.name, fields.venue_fields(venue)) if venue else None
        elif entity_type == fields.ARTIST:
            artist = self.artists.get(sellout_id)
            built = (artist.name, fields.artist_fields(artist)) if artist else None
        elif entity_type == fields.ORGANIZATION:
            org = self.organizations.get(sellout_id)
            built = (org.orgName, fields.organization_fields(org)) if org else None
        else:
            raise invalid("Unknown entity type.", "entityType")
        record = self.records.get(org_id)
        entity = record.entity(entity_type, sellout_id) if record else None
        if built is None or record is None or entity is None:
            return "nothing to push"
        name, data = built
        for item in entity.webFlowIds:
            site = record.site(item.webFlowSiteId)
            if site is not None and site.enabled:
                self._upsert(org_id=org_id, site=site, entity_type=entity_type, sellout_id=sellout_id,
                             name=name, data=data, refresh=True)  # fmt: skip
        return "pushed"
