"""Seasons (R-T3-1) without I/O: the event rules applied to a season, who sees a season, which
events it may list, and seasonTickets answering like eventTickets."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain import event_rules, promotions
from shared.domain.listing import criterion
from shared.domain.models import Event, Fee, Role, Season, User, Venue
from shared.domain.permissions import Principal
from shared.errors import DomainError, ErrorCode
from shared.services.seasons import SeasonService, visible_to

T = 1_750_000_000
DAY = 86_400


def staff(role: str | None, org: str = "org") -> Principal:
    user = User(createdAt=T, orgContextId=org)
    roles = [Role(orgId=org, userId=user.id, userEmail="s@example.com", role=role, createdAt=T,  # type: ignore[arg-type]
                  createdBy="x", acceptedAt=T)] if role else []  # fmt: skip
    return Principal(user=user, token="t", claims={}, roles_loader=lambda _: roles)


def season_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Season",
        "schedule": {"announceAt": T, "ticketsAt": T, "ticketsEndAt": T + DAY, "startsAt": T + DAY,
                     "endsAt": T + 2 * DAY},
        "ticketTypes": [{"_id": "ga", "name": "GA", "totalQty": 10, "remainingQty": 0,
                         "tiers": [{"name": "Only", "price": 100, "totalQty": 10, "remainingQty": 0}]},
                        {"_id": "vip", "name": "VIP", "totalQty": 5, "remainingQty": 5, "visible": False,
                         "tiers": [{"name": "Only", "price": 900, "totalQty": 5, "remainingQty": 5}]}],
        "promotions": [{"code": "Open", "type": "Unlock", "totalQty": 3, "remainingQty": 3,
                        "ticketTypeIds": ["vip"], "startsAt": T - DAY, "endsAt": T + DAY}],
    }  # fmt: skip
    data.update(over)
    return data


class Repo:
    def __init__(self, *items: Any) -> None:
        self.by_id = {i.id: i for i in items}

    def get(self, item_id: str) -> Any:
        return self.by_id.get(item_id)

    def get_many(self, ids: list[str]) -> dict[str, Any]:
        return {i: self.by_id[i] for i in ids if i in self.by_id}

    def find(self, *where: Any, order_by: Any = None, limit: Any = None) -> list[Any]:
        def ok(item: Any) -> bool:
            return all(op == "==" and getattr(item, field) == value for field, op, value in where)

        return [i for i in self.by_id.values() if ok(i)]

    def save(self, item: Any) -> Any:
        self.by_id[item.id] = item
        return item

    def update(self, item_id: str, fields: dict[str, Any]) -> None:
        stored = self.by_id[item_id]
        self.by_id[item_id] = type(stored).model_validate({**stored.doc(), **fields})


class Stock:
    def live_stock(self, ids: Any) -> dict[str, dict[str, int]]:
        return {}

    def resize(self, event_id: str, shard_count: int, new_caps: Any) -> None:
        pass


class Store:
    def __init__(self, *events: Event) -> None:
        self.seasons = Repo()
        self.events = Repo(*events)
        self.orders = Repo()
        self.venues = Repo(Venue(orgId="org", name="Hall", createdAt=T, createdBy="x"))
        self.fees = Repo()
        self.inventory = Stock()


class Writer:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, season: Season) -> Season:
        return self.store.seasons.save(season)  # type: ignore[no-any-return]

    def change_holds(self, event_id: str, plan: Any) -> Season:
        raise AssertionError("no holds in these tests")


class Fees:
    def __init__(self) -> None:
        self.copied: list[tuple[str, str, bool]] = []

    def copy_org_fees_to_event(
        self, org_id: str, event_id: str, user_id: str, *, season: bool = False
    ) -> list[Fee]:
        self.copied.append((org_id, event_id, season))
        return []


def service(*events: Event) -> tuple[SeasonService, Store, Fees]:
    store, fees = Store(*events), Fees()
    seasons = SeasonService(store, Writer(store), fees, live_events=lambda e: e, clock=lambda: T)  # type: ignore[arg-type]
    return seasons, store, fees


def event(event_id: str, org: str = "org", **over: Any) -> Event:
    return Event.model_validate({"_id": event_id, "orgId": org, "createdAt": T, "published": True, **over})


def test_a_season_is_validated_by_the_event_rules_under_its_own_name() -> None:
    seasons, store, _ = service()
    bad = season_data()
    bad["ticketTypes"][0]["totalQty"] = 0
    bad["schedule"]["ticketsEndAt"] = T + 3 * DAY

    with pytest.raises(DomainError) as refused:
        seasons.create_season(staff("ADMIN"), bad)

    assert refused.value.code is ErrorCode.INVALID_INPUT
    assert set(refused.value.fields) == {"season.ticketTypes.0.totalQty", "season.schedule.ticketsEndAt"}
    assert store.seasons.by_id == {}


def test_only_multi_day_events_need_day_ids() -> None:
    data = season_data()
    season = Season.model_validate({**data, "orgId": "org", "createdAt": T})
    multi_day = Event.model_validate({**data, "orgId": "org", "createdAt": T, "isMultipleDays": True})

    assert event_rules.event_problems(season, "season") == []
    assert "event.ticketTypes.0.dayIds" in event_rules.event_problems(multi_day)


def test_create_sets_the_server_fields_lists_each_event_once_and_copies_the_org_fees() -> None:
    seasons, _, fees = service(event("e1"), event("e2"))
    admin = staff("ADMIN")

    season = seasons.create_season(
        admin, season_data(type="Concert", orgId="elsewhere", published=True, eventIds=["e1", "e2", "e1", ""])
    )

    assert (season.orgId, season.type, season.published, season.createdAt) == (
        "org",
        "General Event",
        False,
        T,
    )
    assert season.eventIds == ["e1", "e2"] and season.numberOfEvent == 2
    assert [t.remainingQty for t in season.ticketTypes] == [10, 5]
    assert fees.copied == [("org", season.id, True)]


@pytest.mark.parametrize("listed", [["foreign"], ["deleted"], ["missing"], ["e1", "foreign"]], ids=str)
def test_a_season_lists_only_active_events_of_its_own_org(listed: list[str]) -> None:
    seasons, store, _ = service(event("e1"), event("foreign", org="other"), event("deleted", active=False))

    with pytest.raises(DomainError) as refused:
        seasons.create_season(staff("ADMIN"), season_data(eventIds=listed))

    assert refused.value.fields == ["season.eventIds"]
    assert store.seasons.by_id == {}


def test_update_keeps_the_event_list_unless_given_and_a_given_count_wins() -> None:
    seasons, _, _ = service(event("e1"), event("e2"))
    admin = staff("ADMIN")
    season = seasons.create_season(admin, season_data(eventIds=["e1"], numberOfEvent=6))

    renamed = seasons.update_season(admin, {"_id": season.id, "name": "Renamed"})
    relisted = seasons.update_season(admin, {"_id": season.id, "eventIds": ["e1", "e2"]})

    assert (renamed.name, renamed.eventIds, renamed.numberOfEvent) == ("Renamed", ["e1"], 6)
    assert (relisted.eventIds, relisted.numberOfEvent) == (["e1", "e2"], 2)


@pytest.mark.parametrize(
    ("principal_role", "published", "active", "seen"),
    [
        (None, True, True, True),
        (None, False, True, False),
        (None, True, False, False),
        ("SCANNER", False, True, True),
        ("USER", False, True, False),
    ],
)
def test_who_sees_a_season(principal_role: str | None, published: bool, active: bool, seen: bool) -> None:
    season = Season(orgId="org", createdAt=T, published=published, active=active)
    principal = staff(principal_role) if principal_role else None

    assert visible_to(principal, season) is seen


def test_a_draft_answers_like_an_unknown_season_to_the_public() -> None:
    seasons, _, _ = service()
    draft = seasons.create_season(staff("ADMIN"), season_data())

    assert seasons.season(None, draft.id) is None
    with pytest.raises(DomainError) as refused:
        seasons.season_tickets(None, draft.id, "open")
    assert refused.value.code is ErrorCode.NOT_FOUND
    assert seasons.season(staff("SCANNER"), draft.id) is not None


def test_season_tickets_are_event_tickets_in_the_season_shape() -> None:
    seasons, store, _ = service()
    season = seasons.create_season(staff("ADMIN"), season_data())
    store.seasons.save(season.model_copy(update={"published": True}))

    answer = seasons.season_tickets(None, season.id, "OPEN")
    [expected] = promotions.event_tickets_for_code(season, "open")

    assert answer == [
        {"promoType": "Unlock", "remainingQty": 3, "active": True, "startsAt": T - DAY, "endsAt": T + DAY,
         "seasonTickets": expected["eventTickets"]}
    ]  # fmt: skip
    assert [t["_id"] for t in answer[0]["seasonTickets"]] == ["vip"]  # the hidden type it unlocks


def test_extra_list_criteria_combine_like_the_event_query_criteria() -> None:
    season = Season(orgId="org", createdAt=T, name="Winter", eventIds=["e1"])

    def lists(wanted: list[str]) -> bool | None:
        return criterion(wanted, lambda: bool(set(wanted) & set(season.eventIds)))

    assert event_rules.listed(season, {"name": "win"}, T, [lists(["e2"])]) is False
    assert event_rules.listed(season, {"name": "win", "any": True}, T, [lists(["e2"])]) is True
    assert event_rules.listed(season, {}, T, [lists([])]) is True  # an empty list is not a criterion
