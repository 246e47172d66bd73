"""An event edit saved from a read taken a moment before must not undo what other writers did in
between: a wait-list sign-up, a sales-report subscription, the publish flag (R-EV-3)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.bootstrap import services
from shared.domain.models import Event
from shared.services.events import EventService
from tests.integration.api import data_of, gql, make_org, principal_of, staff_of
from tests.integration.events_fixtures import CREATE_EVENT, event_input, make_artist, make_venue

JOIN = """mutation($p: WaitListInput, $e: String) {
  createWaitList(params: $p, eventId: $e, type: "waitList") { _id } }"""
PUBLISH = "mutation($id: String!) { publishEvent(eventId: $id, published: true) { published } }"


def test_an_edit_based_on_a_stale_read_keeps_the_sign_ups_and_the_publish_in_between(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    org = make_org("Owl Presents")
    admin = staff_of(org.id, "ADMIN")
    listed = event_input(make_venue(org.id).id, [make_artist(org.id).id])
    created = data_of(admin.gql(CREATE_EVENT, {"e": listed}))["createEvent"]
    stale = services().store.events.get(created["_id"])
    assert stale is not None and not stale.published and stale.waitList == []
    # Between the editor's read and its write: a fan joins the wait list, the event is published.
    data_of(gql(JOIN, {"p": {"name": "Ada", "email": "ada@example.com"}, "e": stale.id}))
    assert data_of(admin.gql(PUBLISH, {"id": stale.id}))["publishEvent"]["published"] is True

    def stale_read(self: EventService, principal: Any, event_id: Any, level: int) -> Event:
        return stale

    monkeypatch.setattr(EventService, "_event_for", stale_read)
    edited = services().events.update_event(principal_of(admin), {**created, "name": "Spring Show (moved)"})

    stored = services().store.events.get(stale.id)
    assert stored is not None and edited.name == stored.name == "Spring Show (moved)"
    assert stored.published is True
    assert [e.email for e in stored.waitList] == ["ada@example.com"]
