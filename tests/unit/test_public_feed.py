"""The public website feeds (SPEC 4.8): which events are listed, which have a page, and that the
service asks Firestore a bounded, filtered question instead of reading every event."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.models import Event
from shared.domain.public_feed import FEED_LIMIT, FEED_SCAN_LIMIT, on_public_list, on_public_page, public_list
from shared.errors import DomainError, ErrorCode
from shared.services.public_events import PublicEventService

NOW = 1_900_000_000
HOUR = 3600


def event(eid: str = "e1", **over: Any) -> Event:
    data: dict[str, Any] = {
        "_id": eid, "orgId": "org", "createdAt": NOW - 100 * HOUR, "name": eid, "stub": f"stub-{eid}",
        "published": True, "publishable": True, "active": True, "cancel": False,
        "schedule": {"announceAt": NOW - HOUR, "startsAt": NOW + 24 * HOUR, "endsAt": NOW + 27 * HOUR},
    }  # fmt: skip
    schedule = over.pop("schedule", {})
    data.update(over)
    data["schedule"] = {**data["schedule"], **schedule}
    return Event.model_validate(data)


def test_a_published_announced_upcoming_event_is_listed_and_has_a_page() -> None:
    assert on_public_list(event(), NOW) and on_public_page(event(), NOW)


@pytest.mark.parametrize(
    "over",
    [
        {"published": False},
        {"publishable": False},
        {"active": False},
        {"schedule": {"announceAt": NOW + 1}},
    ],
)
def test_drafts_deleted_and_unannounced_events_are_neither_listed_nor_shown(over: dict[str, Any]) -> None:
    assert not on_public_list(event(**over), NOW)
    assert not on_public_page(event(**over), NOW)


@pytest.mark.parametrize("over", [{"cancel": True}, {"schedule": {"endsAt": NOW - 1}}])
def test_cancelled_and_ended_events_keep_their_page_but_leave_the_list(over: dict[str, Any]) -> None:
    assert not on_public_list(event(**over), NOW)
    assert on_public_page(event(**over), NOW)


def test_the_edges_are_inclusive() -> None:
    edge = event(schedule={"announceAt": NOW, "endsAt": NOW})
    assert on_public_list(edge, NOW)


def test_the_list_is_soonest_first_and_bounded() -> None:
    later = event("later", schedule={"startsAt": NOW + 48 * HOUR, "endsAt": NOW + 50 * HOUR})
    sooner = event("sooner", schedule={"startsAt": NOW + 2 * HOUR})
    hidden = event("hidden", published=False)
    assert [e.id for e in public_list([later, hidden, sooner], NOW)] == ["sooner", "later"]
    many = [event(f"e{i:03}") for i in range(FEED_LIMIT + 5)]
    assert len(public_list(many, NOW)) == FEED_LIMIT


class FakeEvents:
    """find() applies equality filters only and records what it was asked."""

    def __init__(self, *events: Event) -> None:
        self.items = {e.id: e for e in events}
        self.queries: list[tuple[tuple[Any, ...], Any, Any]] = []

    def get(self, item_id: str) -> Event | None:
        return self.items.get(item_id)

    def find(self, *where: Any, order_by: Any = None, limit: Any = None) -> list[Event]:
        self.queries.append((where, order_by, limit))
        equal = [(f, v) for f, op, v in where if op == "=="]
        return [e for e in self.items.values() if all(getattr(e, f) == v for f, v in equal)][:limit]


def service(*events: Event) -> tuple[PublicEventService, FakeEvents]:
    repo = FakeEvents(*events)
    return PublicEventService(repo, live=lambda es: es, clock=lambda: NOW), repo  # type: ignore[arg-type]


def test_the_list_query_filters_in_firestore_and_is_bounded() -> None:
    svc, repo = service(event("a"), event("b", orgId="other"), event("c", schedule={"announceAt": NOW + 5}))
    assert [e.id for e in svc.event_list()] == ["a", "b"]
    assert [e.id for e in svc.event_list(" other ")] == ["b"]
    (all_orgs, _, limit), (one_org, order_by, _) = repo.queries
    assert limit == FEED_SCAN_LIMIT and order_by == [("schedule.endsAt", "asc")]
    for field in ("published", "publishable", "active"):
        assert (field, "==", True) in all_orgs
    assert ("cancel", "==", False) in all_orgs and ("schedule.endsAt", ">=", NOW) in all_orgs
    assert one_org[0] == ("orgId", "==", "other")


def test_detail_by_id_or_stub_shows_only_public_events_and_hides_the_rest_as_not_found() -> None:
    svc, _ = service(
        event("a"), event("draft", published=False), event("soon", schedule={"announceAt": NOW + 9})
    )
    assert svc.event_detail(event_id="a").id == "a"
    assert svc.event_detail(stub="stub-a").id == "a"
    for kwargs in ({"event_id": "draft"}, {"event_id": "soon"}, {"event_id": "nope"}, {"stub": "stub-draft"}):
        with pytest.raises(DomainError) as hidden:
            svc.event_detail(**kwargs)
        assert hidden.value.code == ErrorCode.NOT_FOUND
    with pytest.raises(DomainError) as neither:
        svc.event_detail()
    assert neither.value.code == ErrorCode.INVALID_INPUT
