"""WebflowService with in-memory fakes: which sites publishEvent targets, the R-WF-6 re-sync
tasks and their debounce, and pushes that stay idempotent when Webflow lost or kept an item."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

import pytest

from shared.domain.models import (
    Artist,
    Event,
    Identified,
    Organization,
    Venue,
    WebFlow,
    WebFlowEntity,
    WebFlowSite,
)
from shared.domain.tasks import Task
from shared.errors import DomainError, ErrorCode
from shared.services.webflow import ItemGoneError, SiteInfo, WebflowService

NOW = 1_780_000_000
DAY = 86_400
T = TypeVar("T", bound=Identified)


class Repo(Generic[T]):
    def __init__(self, *items: T) -> None:
        self.items = {i.id: i for i in items}

    def get(self, item_id: str) -> T | None:
        return self.items.get(item_id)

    def get_many(self, item_ids: Iterable[str]) -> dict[str, T]:
        return {i: self.items[i] for i in item_ids if i in self.items}

    def update(self, item_id: str, fields: Mapping[str, Any]) -> None:
        self.items[item_id] = self.items[item_id].model_copy(update=dict(fields))


class Records:
    def __init__(self) -> None:
        self.by_org: dict[str, WebFlow] = {}

    def get(self, org_id: str) -> WebFlow | None:
        return self.by_org.get(org_id)

    def get_many(self, org_ids: list[str]) -> dict[str, WebFlow]:
        return {o: self.by_org[o] for o in org_ids if o in self.by_org}

    def create_if_absent(self, record: WebFlow) -> WebFlow:
        return self.by_org.setdefault(record.orgId, record)

    def mutate(self, org_id: str, change: Callable[[WebFlow], WebFlow]) -> WebFlow:
        self.by_org[org_id] = change(self.by_org[org_id])
        return self.by_org[org_id]

    def using_site(self, site_webflow_id: str) -> list[WebFlow]:
        return [r for r in self.by_org.values() if site_webflow_id in r.siteWebFlowIds]

    def all(self) -> list[WebFlow]:
        return list(self.by_org.values())


class Queue:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def enqueue(self, queue: str, function: str, payload: dict[str, Any], *, path: str = "/",
                key: str | None = None, run_at: int | None = None) -> str:  # fmt: skip
        self.sent.append(
            {"queue": queue, "function": function, "payload": payload, "key": key, "run_at": run_at}
        )
        return f"tasks/{len(self.sent)}"


class TaskDocs:
    def __init__(self) -> None:
        self.docs: dict[str, Task] = {}

    def create_task(self, task: Task) -> bool:
        if task.id in self.docs:
            return False
        self.docs[task.id] = task
        return True

    def task(self, task_id: str) -> Task | None:
        return self.docs.get(task_id)

    def update_task(self, task_id: str, fields: dict[str, Any]) -> None:
        self.docs[task_id] = self.docs[task_id].model_copy(update=fields)


class FakeWebflow:
    """Items by collection; `lose` forgets one behind our back (deleted in the Designer)."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, dict[str, Any]]] = {}
        self.published: list[str] = []
        self.calls = 0

    def site(self, site_id: str) -> SiteInfo:
        collections = [{"id": f"{site_id}-{slug}", "slug": slug, "singularName": ""}
                       for slug in ("events", "venues", "artists", "organizations")]  # fmt: skip
        return SiteInfo(name="Site", preview_url="https://p", domains=["a.example"], collections=collections)

    def publish_site(self, site_id: str) -> None:
        self.published.append(site_id)

    def find_item(self, collection_id: str, slug: str) -> str | None:
        found = self.items.get(collection_id, {})
        return next((i for i, data in found.items() if data["slug"] == slug), None)

    def create_item(self, collection_id: str, fields: dict[str, Any], flags: dict[str, bool]) -> str:
        self.calls += 1
        item_id = f"item{self.calls}"
        self.items.setdefault(collection_id, {})[item_id] = dict(fields)
        return item_id

    def update_item(
        self, collection_id: str, item_id: str, fields: dict[str, Any], flags: dict[str, bool]
    ) -> None:
        if item_id not in self.items.get(collection_id, {}):
            raise ItemGoneError(item_id)
        self.items[collection_id][item_id] = dict(fields)

    def delete_item(self, collection_id: str, item_id: str) -> None:
        self.items.get(collection_id, {}).pop(item_id, None)

    def count(self) -> int:
        return sum(len(v) for v in self.items.values())


def make_event(**over: Any) -> Event:
    data: dict[str, Any] = {
        "_id": "ev1", "orgId": "org1", "createdAt": NOW - DAY, "name": "Show", "venueId": "v1",
        "published": True,
        "schedule": {"announceAt": NOW - DAY, "ticketsAt": NOW - DAY, "ticketsEndAt": NOW + 2 * DAY,
                     "startsAt": NOW + 2 * DAY, "endsAt": NOW + 3 * DAY},
        "performances": [{"headliningArtistIds": ["a1"]}],
        "ticketTypes": [{"name": "GA", "totalQty": 10, "remainingQty": 10,
                         "tiers": [{"name": "T", "price": 1000, "totalQty": 10, "remainingQty": 10}]}],
    }  # fmt: skip
    data.update(over)
    return Event.model_validate(data)


class World:
    def __init__(self) -> None:
        self.event = make_event()
        self.events = Repo(self.event)
        self.records, self.queue, self.tasks, self.api = Records(), Queue(), TaskDocs(), FakeWebflow()
        self.clock = float(NOW)
        self.service = WebflowService(
            records=self.records, events=self.events,  # type: ignore[arg-type]
            venues=Repo(Venue(_id="v1", orgId="org1", name="Hall", createdAt=1, createdBy="u")),  # type: ignore[arg-type]
            artists=Repo(Artist(_id="a1", orgId="org1", name="Band", createdAt=1, createdBy="u")),  # type: ignore[arg-type]
            organizations=Repo(Organization(_id="org1", userId="u", createdAt=1, orgName="Org")),  # type: ignore[arg-type]
            live_event=self.events.get, tasks=self.queue, task_records=self.tasks, api=lambda: self.api,
            clock=lambda: self.clock,
        )  # fmt: skip
        collections = {f"{kind}CollectionId": f"s1-{kind}s" for kind in ("event", "venue", "artist")}
        site = WebFlowSite(webFlowId="s1", organizationCollectionId="s1-organizations", **collections)
        self.records.by_org["org1"] = WebFlow(_id="org1", orgId="org1", createdAt=1, sites=[site],
                                              siteWebFlowIds=["s1"])  # fmt: skip

    def event_entity(self) -> WebFlowEntity | None:
        return self.records.by_org["org1"].entity("EVENT", "ev1")


def test_publish_targets_add_the_venues_always_publish_sites_and_refuse_unknown_ones():
    world = World()
    record = world.records.by_org["org1"]
    other = WebFlowSite(webFlowId="s2", eventCollectionId="s2-events")
    venue = WebFlowEntity(entityType="VENUE", selloutId="v1", alwaysPublishTo=["s2"])
    world.records.by_org["org1"] = record.model_copy(
        update={"sites": [*record.sites, other], "entities": [venue]}
    )

    plan = world.service.publish_targets(world.event, ["s1"], [], True)
    assert plan.publish == ["s1", "s2"] and plan.unpublish == []
    # Our own site `_id` names the same site; unpublishing wins over the venue's default.
    plan = world.service.publish_targets(world.event, [record.sites[0].id], ["s2"], True)
    assert (plan.publish, plan.unpublish) == (["s1"], ["s2"])
    with pytest.raises(DomainError) as refused:
        world.service.publish_targets(world.event, ["nope"], [], True)
    assert refused.value.code == ErrorCode.INVALID_INPUT and refused.value.fields == ["publishSiteIds"]


def test_event_published_queues_one_push_per_site_and_a_resync_after_each_future_time():
    world = World()
    plan = world.service.publish_targets(world.event, ["s1"], [], True)
    world.service.event_published(world.event, plan, True)
    pushes = [s["payload"] for s in world.queue.sent if "action" in s["payload"]]
    assert pushes == [{"action": "publish", "orgId": "org1", "siteId": "s1", "eventId": "ev1"}]
    s = world.event.schedule
    assert sorted(t.executeAt for t in world.tasks.docs.values()) == [s.ticketsEndAt + 1, s.endsAt + 1]
    assert all(t.taskType == "UpdateWebFlowEvent" and t.cloudTaskName for t in world.tasks.docs.values())

    # Publishing again plans no second task for the same time.
    world.service.event_published(world.event, plan, True)
    assert len(world.tasks.docs) == 2 and len([s for s in world.queue.sent if "taskId" in s["payload"]]) == 2


def test_updates_within_one_window_share_one_resync():
    world = World()
    world.service.push_event("ev1", "s1", publish_site=True)  # the event is on s1 now
    for offset in (0, 3, 9):
        world.clock = NOW - NOW % 15 + offset
        world.service.event_updated(world.event)
    assert len(world.tasks.docs) == 1
    [task] = world.tasks.docs.values()
    assert 15 <= task.executeAt - world.clock <= 30
    world.clock += 15  # the next window gets its own
    world.service.event_updated(world.event)
    assert len(world.tasks.docs) == 2


def test_an_event_on_no_site_plans_no_resync():
    world = World()
    world.service.event_updated(world.event)
    assert world.tasks.docs == {} and world.queue.sent == []


def test_push_is_idempotent_and_recreates_an_item_webflow_lost():
    world = World()
    assert world.service.push_event("ev1", "s1", publish_site=True) == "published"
    assert world.api.count() == 4 and world.api.published == ["s1"]
    entity = world.event_entity()
    assert entity is not None
    first = entity.item_on("s1")
    assert first is not None

    world.service.push_event("ev1", "s1", publish_site=True)
    assert world.api.count() == 4  # updated, not duplicated

    world.api.items["s1-events"].clear()  # deleted in the Webflow Designer
    world.service.push_event("ev1", "s1", publish_site=True)
    entity = world.event_entity()
    assert entity is not None
    again = entity.item_on("s1")
    assert again is not None and again.webFlowEntityId != first.webFlowEntityId
    assert list(world.api.items["s1-events"]) == [again.webFlowEntityId]


def test_unpublish_removes_the_item_and_the_site_from_the_entity():
    world = World()
    world.service.push_event("ev1", "s1", publish_site=True)
    assert world.service.unpublish_event("org1", "ev1", "s1") == "unpublished"
    assert world.api.items["s1-events"] == {}
    entity = world.event_entity()
    assert entity is not None and entity.webFlowIds == []
    assert world.service.unpublish_event("org1", "ev1", "s1") == "not on the site"  # delivered twice


def test_resync_task_runs_once_and_skips_unpublished_events():
    world = World()
    world.service.push_event("ev1", "s1", publish_site=True)
    world.tasks.create_task(Task(_id="t1", taskType="UpdateWebFlowEvent", createdAt=NOW, executeAt=NOW,
                                 orgId="org1", eventId="ev1"))  # fmt: skip
    assert world.service.run_task("t1") == "synced"
    assert world.service.run_task("t1") == "already done"
    world.events.update("ev1", {"published": False})
    world.tasks.create_task(Task(_id="t2", taskType="UpdateWebFlowEvent", createdAt=NOW, executeAt=NOW,
                                 orgId="org1", eventId="ev1"))  # fmt: skip
    assert world.service.run_task("t2") == "not published"
    assert world.tasks.docs["t2"].success is False


def test_a_deleted_event_is_unpublished_from_every_site_it_is_on():
    world = World()
    world.service.push_event("ev1", "s1", publish_site=True)
    world.queue.sent.clear()
    world.service.event_deleted(world.event)
    assert [s["payload"] for s in world.queue.sent] == [
        {"action": "unpublish", "orgId": "org1", "siteId": "s1", "eventId": "ev1"}
    ]


def test_a_permanent_refusal_is_answered_as_done_and_busy_is_raised_for_a_retry():
    world = World()

    def refuse(*_: Any) -> None:
        raise DomainError(ErrorCode.UPSTREAM_FAILED, "Webflow refused to publish the site.")

    world.api.publish_site = refuse  # type: ignore[method-assign, assignment]
    payload = {"action": "publish", "orgId": "org1", "siteId": "s1", "eventId": "ev1"}
    assert world.service.run_push(payload) == "failed: Webflow refused to publish the site."

    def busy(*_: Any) -> None:
        raise DomainError(ErrorCode.BUSY, "Webflow is busy; try again later.")

    world.api.publish_site = busy  # type: ignore[method-assign, assignment]
    with pytest.raises(DomainError) as raised:
        world.service.run_push(payload)
    assert raised.value.code == ErrorCode.BUSY


def test_a_sale_resyncs_by_ids_sharing_the_window_of_an_update():
    world = World()
    world.service.push_event("ev1", "s1", publish_site=True)
    world.clock = NOW - NOW % 15
    world.service.event_updated(world.event)
    world.service.resync_event("org1", "ev1")  # OrderCreated: the order knows only the ids
    assert len(world.tasks.docs) == 1
    world.service.resync_event("org1", "other-event")  # on no site: nothing planned
    assert len(world.tasks.docs) == 1
