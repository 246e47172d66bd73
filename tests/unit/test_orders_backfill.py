"""The stripeChargeId back-fill without I/O: bounded per call, resumes where it stopped, skips
what Stripe cannot answer, changes nothing twice, and only for super users."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shared.domain.models import Organization, User
from shared.domain.permissions import Principal
from shared.errors import DomainError, ErrorCode
from shared.services.orders_backfill import ChargeBackfillService, ChargelessOrder


class FakeStore:
    def __init__(self, orders: list[ChargelessOrder]) -> None:
        self.orders = {o.id: o for o in orders}
        self.charges: dict[str, str] = {}
        self.saved_cursor = ""
        self.pages = 0

    def orders_without_charge(self, after: str, limit: int) -> list[ChargelessOrder]:
        self.pages += 1
        ids = sorted(i for i in self.orders if i > after and i not in self.charges)
        return [self.orders[i] for i in ids[:limit]]

    def set_charge_if_empty(self, order_id: str, charge_id: str) -> bool:
        if order_id in self.charges:
            return False
        self.charges[order_id] = charge_id
        return True

    def cursor(self) -> str:
        return self.saved_cursor

    def save_cursor(self, after: str) -> None:
        self.saved_cursor = after


class FakeOrgs:
    def __init__(self, orgs: dict[str, Organization]) -> None:
        self.orgs = orgs
        self.reads = 0

    def get(self, item_id: str) -> Organization | None:
        self.reads += 1
        return self.orgs.get(item_id)


@dataclass(frozen=True)
class Intent:
    latest_charge: str


class FakeStripe:
    def __init__(self, charges: dict[str, str], down: bool = False) -> None:
        self.charges = charges
        self.down = down
        self.lookups: list[tuple[str, str]] = []

    def retrieve(self, account: str, intent_id: str) -> Intent:
        self.lookups.append((account, intent_id))
        if self.down:
            raise DomainError(ErrorCode.UPSTREAM_FAILED, "down")
        if intent_id not in self.charges:
            raise DomainError(ErrorCode.PAYMENT_FAILED, "No such payment_intent")
        return Intent(self.charges[intent_id])


ORG = Organization(id="org1", userId="u", createdAt=0, stripeId="acct_1")


def card(n: int) -> ChargelessOrder:
    return ChargelessOrder(id=f"o{n:03d}", org_id="org1", intent_id=f"pi_{n}")


def cash(n: int) -> ChargelessOrder:
    return ChargelessOrder(id=f"o{n:03d}", org_id="org1", intent_id="")


def backfill(store: FakeStore, stripe: FakeStripe, **limits: int) -> ChargeBackfillService:
    return ChargeBackfillService(store, FakeOrgs({"org1": ORG}), stripe, **limits)  # type: ignore[arg-type]


def principal(super_user: bool) -> Principal:
    return Principal(
        user=User(createdAt=0), token="t", claims={"superUser": super_user}, roles_loader=lambda _: []
    )


def test_card_orders_get_their_intents_latest_charge_and_cash_orders_are_left_alone() -> None:
    store = FakeStore([card(1), cash(2), card(3)])
    stripe = FakeStripe({"pi_1": "ch_1", "pi_3": "ch_3"})

    result = backfill(store, stripe).run()

    assert store.charges == {"o001": "ch_1", "o003": "ch_3"}
    assert stripe.lookups == [("acct_1", "pi_1"), ("acct_1", "pi_3")]
    assert (result.updated, result.more) == (2, False)
    assert result.message == "Updated 2 orders; no more orders remain."


def test_each_call_is_bounded_and_the_next_one_resumes_where_it_stopped() -> None:
    store = FakeStore([card(n) for n in range(1, 6)])
    stripe = FakeStripe({f"pi_{n}": f"ch_{n}" for n in range(1, 6)})
    service = backfill(store, stripe, max_lookups=2, page_size=2)

    first = service.run()
    assert (first.updated, first.more) == (2, True)
    assert first.message == "Updated 2 orders; more orders remain: run it again."
    assert store.saved_cursor == "o002"

    second, third = service.run(), service.run()
    assert [(r.updated, r.more) for r in (second, third)] == [(2, True), (1, False)]
    assert store.charges == {f"o{n:03d}": f"ch_{n}" for n in range(1, 6)}
    assert store.saved_cursor == ""  # the pass is complete: the next one starts over
    assert len(stripe.lookups) == 5  # no order was looked up twice


def test_orders_that_never_get_a_charge_do_not_stall_later_calls() -> None:
    # Cash orders and an intent Stripe does not know (o003) come before the last card order.
    store = FakeStore([cash(1), cash(2), card(3), cash(4), card(5)])
    stripe = FakeStripe({"pi_5": "ch_5"})
    service = backfill(store, stripe, max_lookups=1, max_scanned=3, page_size=2)

    results = [service.run() for _ in range(3)]

    # The 2nd call goes on past o003 and completes the pass; the 3rd starts a new pass, in which
    # o003 is tried again (its intent may have been charged since).
    assert [(r.updated, r.skipped, r.more) for r in results] == [(0, 1, True), (1, 0, False), (0, 1, True)]
    assert store.charges == {"o005": "ch_5"}
    assert store.saved_cursor == "o003"


def test_a_second_run_changes_nothing() -> None:
    store = FakeStore([card(1)])
    service = backfill(store, FakeStripe({"pi_1": "ch_1"}))
    assert service.run().updated == 1

    again = service.run()

    assert (again.updated, again.message) == (0, "Updated 0 orders; no more orders remain.")
    assert store.charges == {"o001": "ch_1"}


def test_an_order_whose_org_has_no_stripe_account_is_skipped() -> None:
    store = FakeStore([ChargelessOrder(id="o001", org_id="gone", intent_id="pi_1")])
    stripe = FakeStripe({"pi_1": "ch_1"})

    result = backfill(store, stripe).run()

    assert (result.updated, result.skipped) == (0, 1)
    assert stripe.lookups == [] and store.charges == {}


def test_stripe_being_down_stops_the_call_and_keeps_the_cursor() -> None:
    store = FakeStore([card(1), card(2)])
    store.saved_cursor = ""
    with pytest.raises(DomainError) as error:
        backfill(store, FakeStripe({}, down=True)).run()
    assert error.value.code == ErrorCode.UPSTREAM_FAILED
    assert store.charges == {} and store.saved_cursor == ""


def test_only_super_users_may_run_it() -> None:
    store = FakeStore([card(1)])
    service = backfill(store, FakeStripe({"pi_1": "ch_1"}))

    with pytest.raises(DomainError) as anonymous:
        service.update_charges(None)
    with pytest.raises(DomainError) as staff:
        service.update_charges(principal(super_user=False))

    assert (anonymous.value.code, staff.value.code) == (ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN)
    assert store.charges == {}
    assert service.update_charges(principal(super_user=True)) == {
        "message": "Updated 1 order; no more orders remain."
    }
