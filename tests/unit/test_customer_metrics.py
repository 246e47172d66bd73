"""Customer metrics rules (SPEC 3.12, R-USR-7): what an order and a refund add, and how the
stored counters read back as the GraphQL `Metrics` entries."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.domain import customer_metrics
from shared.domain.models import (
    MetricCounters,
    Metrics,
    Order,
    OrderTicket,
    OrderUpgrade,
    OrgMetrics,
    Payment,
    UserProfile,
)

JUNE_2026 = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp())
NEW_YEAR_2027 = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())


def _order(**fields: object) -> Order:
    tickets = [
        OrderTicket(
            _id=f"t{i}", name="GA", ticketTypeId="tt", ticketTierId="tr", price=4000, origionalPrice=4500
        )
        for i in range(2)
    ]
    base = {
        "orgId": "org", "eventId": "ev", "eventName": "E", "createdAt": JUNE_2026, "createdBy": "x",
        "userId": "buyer", "tickets": tickets, "venueIds": ["v"], "artistIds": ["a1", "a2"],
        "upgrades": [OrderUpgrade(_id="u1", name="Parking", upgradeId="up", price=1000)],
        "payments": [Payment(amount=9800, transferAmount=9000, paymentMethodType="Cash")],
    }  # fmt: skip
    return Order.model_validate({**base, **fields})


def test_a_paid_order_adds_what_the_promoter_nets_and_its_items():
    change = customer_metrics.purchase(_order())
    assert change is not None
    assert (change.user_id, change.org_id, change.year, change.at) == ("buyer", "org", 2026, JUNE_2026)
    assert change.counters == {
        "value": 9000,
        "ticketsPurchased": 2,
        "upgradesPurchased": 1,
        "ordersPurchased": 1,
    }
    assert change.event_ids == ("ev",) and change.venue_ids == ("v",) and change.artist_ids == ("a1", "a2")
    assert change.profile_lists


def test_a_complimentary_order_adds_its_face_value_as_comped_not_as_value():
    change = customer_metrics.purchase(_order(type="Complimentary", payments=[]))
    assert change is not None
    assert change.counters["valueComped"] == 2 * 4500 + 1000
    assert "value" not in change.counters


def test_an_anonymous_sale_has_nobody_to_credit():
    assert customer_metrics.purchase(_order(userId="")) is None
    assert customer_metrics.refund(_order(userId=""), amount=1, tickets=1, upgrades=0,
                                   became_refunded=False, at=JUNE_2026) is None  # fmt: skip


def test_a_refund_counts_money_items_and_the_order_only_when_it_becomes_refunded():
    partial = customer_metrics.refund(
        _order(), amount=4000, tickets=1, upgrades=0, became_refunded=False, at=NEW_YEAR_2027
    )
    assert partial is not None
    assert partial.counters == {"valueRefunded": 4000, "ticketsRefunded": 1}
    assert partial.year == 2027  # the year the refund happened, not the purchase's
    assert not partial.profile_lists
    final = customer_metrics.refund(
        _order(), amount=1800, tickets=1, upgrades=1, became_refunded=True, at=JUNE_2026
    )
    assert final is not None
    assert final.counters == {
        "valueRefunded": 1800,
        "ticketsRefunded": 1,
        "upgradesRefunded": 1,
        "ordersRefunded": 1,
    }
    nothing = customer_metrics.refund(
        _order(), amount=0, tickets=0, upgrades=0, became_refunded=False, at=JUNE_2026
    )
    assert nothing is None


def _profile(**fields: object) -> UserProfile:
    return UserProfile.model_validate(
        {"_id": "buyer", "userId": "buyer", "orgIds": ["org", "other"], **fields}
    )


def test_year_to_date_is_the_current_years_group_so_it_restarts_on_new_year():
    stored = OrgMetrics(
        orgId="org", createdAt=JUNE_2026, eventIds=["ev"],
        lifeTime=MetricCounters(value=9000, ticketsPurchased=2, ordersPurchased=1),
        years={"2026": MetricCounters(value=9000, ticketsPurchased=2, ordersPurchased=1)},
    )  # fmt: skip
    profile = _profile(metricsByOrg={"org": stored})
    [in_2026] = customer_metrics.metrics_view(profile, ["org"], JUNE_2026 + 10)
    assert (in_2026.lifeTimeValue, in_2026.yearToDateValue) == (9000, 9000)
    assert (in_2026.lifeTimeTicketsPurchased, in_2026.yearToDateTicketsPurchased) == (2, 2)
    assert in_2026.orgId == "org" and in_2026.createdAt == JUNE_2026 and in_2026.eventIds == ["ev"]
    [in_2027] = customer_metrics.metrics_view(profile, ["org"], NEW_YEAR_2027)
    assert (in_2027.lifeTimeValue, in_2027.yearToDateValue) == (9000, 0)
    assert in_2027.yearToDateOrdersPurchased == 0


def test_only_the_requested_orgs_are_shown_and_legacy_entries_fill_gaps():
    legacy = Metrics(_id="m", orgId="other", createdAt=1, lifeTimeValue=123)
    profile = _profile(metrics=[legacy], metricsByOrg={"org": OrgMetrics(orgId="org")})
    assert [m.orgId for m in customer_metrics.metrics_view(profile, ["org"], JUNE_2026)] == ["org"]
    both = customer_metrics.metrics_view(profile, ["org", "other"], JUNE_2026)
    assert [m.orgId for m in both] == ["org", "other"]
    assert both[1].lifeTimeValue == 123
    assert customer_metrics.metrics_view(profile, [], JUNE_2026) == []
